"""Build the character tables used by :mod:`zhfix.machine` and :mod:`zhfix.damage.script`.

Writes five generated files into ``src/zhfix/data/``, all derived from OpenCC's
own dictionaries:

- ``script.st.tsv``: simplified → traditional, one line per simplified character,
  ``char<TAB>candidates<TAB>in-phrases``.  ``candidates`` are OpenCC's
  ``STCharacters`` candidates in OpenCC's order (its default first); ``in-phrases``
  are the candidates OpenCC's phrase dictionaries (``STPhrases`` and
  ``STPhrases_GeneratedFromRegionalPhrases``) actually use.  A character with two
  or more candidates in use is *ambiguous*: a character table cannot convert it
  right without context (``发`` → ``發`` or ``髮``).  Characters whose extra
  candidates no phrase uses (``证`` → ``證``, never ``証``) are one-to-one in practice.
- ``script.ts.tsv``: traditional → simplified, ``char<TAB>candidates`` from
  ``TSCharacters``; a character none of whose candidates is itself exists only in
  traditional script (``這``, ``發``).
- ``script.variants.tsv``: ``char<TAB>representative`` for characters that are
  regional or compatibility variants of one another (``爲``/``為``, ``裏``/``裡``,
  ``着``/``著``, ``台``/``臺``, U+F900 compatibility ideographs).  Built from
  ``TWVariants``, ``HKVariants`` and ``CJK_Compatibility_Ideographs``: OpenCC's
  standard, Taiwan and Hong Kong spellings of one word differ only in these.
- ``script.opencc_forms.txt``: the characters of OpenCC's standard orthography
  that both Taiwan and Hong Kong write otherwise (``爲``, ``衆``, ``僞`` against
  ``為``, ``眾``, ``偽``), one per line: keys of both ``TWVariants`` and
  ``HKVariants`` that neither maps to itself.  Text written in them has almost
  always been produced from simplified text by OpenCC's tables.
- ``script.mainland.tsv``: ``term<TAB>taiwan`` for mainland vocabulary in
  traditional script (``軟件`` where Taiwan writes ``軟體``), the keys of
  ``TWPhrases`` whose Taiwan phrase differs from them.

Where the dictionaries come from (the robust choice): OpenCC's wheel ships its
dictionaries compiled (``.ocd2``) together with its ``opencc_dict`` tool, which
dumps them back to OpenCC's tab-separated text format; by default this script
does that with the installed ``opencc`` package, so the tables always match the
converter zhfix runs.  ``--dictionary-dir`` reads the text dictionaries
(``STCharacters.txt`` …) from an OpenCC source checkout (``data/dictionary/``)
instead.  Running OpenCC over every code point was rejected: it yields only the
default candidate of each character and loses the one-to-many information the
detector needs.

Run from the repository root::

    python scripts/build_script_data.py
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[1] / "src" / "zhfix" / "data"

#: OpenCC dictionaries this script reads.
DICTIONARIES: tuple[str, ...] = (
    "STCharacters",
    "STPhrases",
    "STPhrases_GeneratedFromRegionalPhrases",
    "TSCharacters",
    "TWVariants",
    "HKVariants",
    "CJK_Compatibility_Ideographs",
    "TWPhrases",
)

Dict = dict[str, list[str]]


def opencc_package_dir() -> Path:
    """Where the installed ``opencc`` wheel keeps its tool and compiled dictionaries."""
    import opencc

    return Path(opencc.__file__).resolve().parent / "clib"


def dump_ocd2(names: tuple[str, ...], out_dir: Path) -> Path:
    """Dump the wheel's ``.ocd2`` dictionaries to text with its ``opencc_dict`` tool."""
    clib = opencc_package_dir()
    tool = clib / "bin" / "opencc_dict"
    share = clib / "share" / "opencc"
    if not tool.exists():
        sys.exit(
            f"opencc_dict not found at {tool}; pass --dictionary-dir with the text "
            "dictionaries of an OpenCC checkout (data/dictionary/)"
        )
    for name in names:
        subprocess.run(
            [str(tool), "-i", str(share / f"{name}.ocd2"), "-o", str(out_dir / f"{name}.txt"),
             "-f", "ocd2", "-t", "text"],
            check=True,
        )
    return out_dir


def read_dict(path: Path) -> Dict:
    """An OpenCC text dictionary: ``key<TAB>value value …`` per line."""
    table: Dict = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            key, values = line.split("\t", 1)
            table[key] = values.split(" ")
    return table


def phrase_choices(phrases: list[Dict]) -> dict[str, set[str]]:
    """For each simplified character, the traditional characters phrases convert it to."""
    used: dict[str, set[str]] = {}
    for table in phrases:
        for key, values in table.items():
            for value in values:
                if len(value) != len(key):
                    continue
                for s, t in zip(key, value, strict=True):
                    used.setdefault(s, set()).add(t)
    return used


def st_lines(st: Dict, used: dict[str, set[str]]) -> list[str]:
    lines = []
    for key in sorted(st):
        candidates = st[key]
        if len(key) != 1 or any(len(c) != 1 for c in candidates):
            continue
        in_phrases = [c for c in candidates if c in used.get(key, set()) or c == candidates[0]]
        lines.append(f"{key}\t{''.join(candidates)}\t{''.join(in_phrases)}")
    return lines


def ts_lines(ts: Dict) -> list[str]:
    return [
        f"{key}\t{''.join(ts[key])}"
        for key in sorted(ts)
        if len(key) == 1 and all(len(c) == 1 for c in ts[key])
    ]


def variant_lines(tables: list[Dict]) -> list[str]:
    """Union the variant pairs into classes; each character maps to its class's smallest."""
    parent: dict[str, str] = {}

    def find(c: str) -> str:
        while parent.setdefault(c, c) != c:
            c = parent[c]
        return c

    for table in tables:
        for key, values in table.items():
            if len(key) != 1:
                continue
            for value in values:
                if len(value) == 1:
                    a, b = find(key), find(value)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
    lines = []
    for c in sorted(parent):
        root = find(c)
        if root != c:
            lines.append(f"{c}\t{root}")
    return lines


def opencc_form_lines(tw: Dict, hk: Dict) -> list[str]:
    return sorted(c for c in tw if c in hk and c not in tw[c] and c not in hk[c])


def mainland_lines(tw_phrases: Dict) -> list[str]:
    return [
        f"{key}\t{tw_phrases[key][0]}"
        for key in sorted(tw_phrases)
        if len(key) >= 2 and key not in tw_phrases[key]
    ]


def write(name: str, header: str, lines: list[str]) -> None:
    path = DATA_DIR / name
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(header + "\n")
        f.write("\n".join(lines) + "\n")
    print(f"{path.relative_to(DATA_DIR.parents[2])}: {len(lines)} lines")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dictionary-dir",
        type=Path,
        help="OpenCC text dictionaries (data/dictionary/ of an OpenCC checkout); "
        "default: dump those of the installed opencc package",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.dictionary_dir is not None:
            source = f"OpenCC text dictionaries in {args.dictionary_dir.name}"
            directory = args.dictionary_dir
        else:
            source = f"OpenCC {version('opencc')}"
            directory = dump_ocd2(DICTIONARIES, Path(tmp))
        d = {name: read_dict(directory / f"{name}.txt") for name in DICTIONARIES}
    header = (
        f"# generated by scripts/build_script_data.py from {source} (Apache-2.0); do not edit"
    )
    used = phrase_choices([d["STPhrases"], d["STPhrases_GeneratedFromRegionalPhrases"]])
    write("script.st.tsv", header, st_lines(d["STCharacters"], used))
    write("script.ts.tsv", header, ts_lines(d["TSCharacters"]))
    write(
        "script.variants.tsv",
        header,
        variant_lines([d["TWVariants"], d["HKVariants"], d["CJK_Compatibility_Ideographs"]]),
    )
    write("script.opencc_forms.txt", header, opencc_form_lines(d["TWVariants"], d["HKVariants"]))
    write("script.mainland.tsv", header, mainland_lines(d["TWPhrases"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
