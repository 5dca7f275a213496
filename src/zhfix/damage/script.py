"""Machine script conversion: simplified → traditional one character at a time.

Scraping pipelines often "convert" simplified pages to traditional with a
character table: ``台风`` becomes ``臺風`` (a phrase-aware converter writes
``颱風``), and characters with several traditional forms (``发`` → ``發``/``髮``,
``后`` → ``後``/``后``, ``干`` → ``幹``/``乾``/``干``) are either left alone or given
their most common form, because a table has no context.  :func:`char_convert`
reproduces that damage from OpenCC's character dictionary (see
``scripts/build_script_data.py``).
"""

from __future__ import annotations

from zhfix.damage.base import Damaged
from zhfix.machine import ambiguous_simplified, st_candidates

#: What a character table does with a character it cannot convert without context.
#:
#: - ``"leave"``: keep it simplified (``头发`` → ``頭发``, ``台风`` → ``台風``);
#: - ``"first"``: take OpenCC's first candidate (``头发`` → ``頭發``, ``台风`` → ``臺風``).
POLICIES: tuple[str, ...] = ("leave", "first")


def char_convert(text: str, *, seed: int = 0, policy: str = "leave") -> Damaged:
    """Convert ``text`` from simplified to traditional one character at a time.

    A character with one traditional form in use gets it (OpenCC's first
    candidate); an ambiguous one (two or more forms used by OpenCC's phrases)
    is treated according to ``policy`` (see :data:`POLICIES`).  The conversion
    is deterministic; ``seed`` is recorded for the damage API's uniformity.

    >>> char_convert("台风过后，头发干了").text
    '台風過后，頭发干了'
    >>> char_convert("台风过后，头发干了", policy="first").text
    '臺風過後，頭發幹了'
    >>> d = char_convert("台风", policy="first")
    >>> d.record["ambiguous"], d.record["params"]
    (1, {'seed': 0, 'policy': 'first'})
    """
    if policy not in POLICIES:
        raise ValueError(f"policy must be one of {', '.join(POLICIES)}; got {policy!r}")
    table = st_candidates()
    ambiguous = ambiguous_simplified()
    out: list[str] = []
    converted = n_ambiguous = 0
    for ch in text:
        candidates = table.get(ch)
        if candidates is None:
            out.append(ch)
            continue
        if ch in ambiguous:
            n_ambiguous += 1
            new = ch if policy == "leave" else candidates[0]
        else:
            new = candidates[0]
        converted += new != ch
        out.append(new)
    return Damaged(
        text="".join(out),
        original=text,
        kind="char_convert",
        record={
            "function": "char_convert",
            "params": {"seed": seed, "policy": policy},
            "converted": converted,
            "ambiguous": n_ambiguous,
        },
    )
