"""Tables of benchmark results, as aligned text for the terminal and as Markdown."""

from __future__ import annotations

from typing import Any

#: Short column names for the tools.
SHORT = {"ftfy (width, quotes kept)": "ftfy*"}

Table = tuple[list[str], list[list[str]]]


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _short(name: str) -> str:
    return SHORT.get(name, name)


def accuracy_table(results: dict[str, Any]) -> Table:
    rows = results["accuracy"]
    tools = list(rows[0]["tools"]) if rows else []
    header = ["kind", "corpus", "docs", "damaged CER"]
    for tool in tools:
        header += [f"{_short(tool)} exact", f"{_short(tool)} CER"]
    header.append("zhfix flagged")
    body = []
    for row in rows:
        line = [
            row["kind"] + ("" if row["lossy"] else " (lossless)"),
            row["corpus"][:4],
            f"{row['docs']:,}",
            f"{row['damaged_cer']:.3f}",
        ]
        for tool in tools:
            score = row["tools"][tool]
            line += [_pct(score["exact"]), f"{score['cer']:.3f}" + ("!" if score["errors"] else "")]
        line.append(_pct(row["zhfix_flagged"]))
        body.append(line)
    return header, body


def clean_table(results: dict[str, Any]) -> Table:
    rows = results["clean"]
    tools = list(rows[0]["tools"]) if rows else []
    header = ["clean corpus", "docs"] + [f"{_short(t)} changed" for t in tools]
    body = [
        [row["corpus"], f"{row['docs']:,}"]
        + [f"{row['tools'][t]['changed']:,} ({_pct(row['tools'][t]['changed_share'])})"
           for t in tools]
        for row in rows
    ]
    return header, body


def throughput_table(results: dict[str, Any]) -> Table:
    rows = results["throughput"]
    header = ["input", "tool", "jobs", "lines timed", "MB/s", "MB/CPU-s", "peak RSS MB",
              "zhfix ÷ tool (wall)", "(CPU)"]
    zhfix = {(r["input"], r["jobs"]): r for r in rows
             if r["tool"] == "zhfix" and "error" not in r}
    body = []
    for row in rows:
        if "error" in row:
            body.append([row["input"], row["tool"], str(row["jobs"]), "-", "failed", "-", "-",
                         "-", row["error"][:60]])
            continue
        base = zhfix.get((row["input"], row["jobs"]))
        ratios = [f"{base[k] / row[k]:.2f}×" if base and row[k] else "-"
                  for k in ("mb_per_s", "mb_per_cpu_s")]
        body.append([row["input"], row["tool"], str(row["jobs"]), f"{row['lines_timed']:,}",
                     f"{row['mb_per_s']:.2f}",
                     f"{row['mb_per_cpu_s']:.2f}", f"{row['peak_rss_mb']:.0f}", *ratios])
    return header, body


def _text(table: Table) -> str:
    header, body = table
    widths = [max(len(str(c)) for c in col) for col in zip(header, *body, strict=True)]

    def fmt(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest]).rstrip()

    lines = [fmt(header), "  ".join("-" * w for w in widths)]
    lines += [fmt(r) for r in body]
    return "\n".join(lines)


def _markdown(table: Table) -> str:
    header, body = table
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join([" --- "] + [" ---: "] * (len(header) - 1)) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines)


def _ratios(results: dict[str, Any]) -> list[str]:
    rows = results["throughput"]
    out = []
    speed = {(r["input"], r["tool"], r["jobs"]): r for r in rows if "error" not in r}
    for (label, tool, jobs), r in speed.items():
        z = speed.get((label, "zhfix", jobs))
        if tool == "zhfix" or z is None:
            continue
        out.append(f"zhfix ÷ {tool}, {label} text, {jobs} job(s): "
                   f"{z['mb_per_s'] / r['mb_per_s']:.2f}× in wall time, "
                   f"{z['mb_per_cpu_s'] / r['mb_per_cpu_s']:.2f}× in CPU time")
    return out


def text_report(results: dict[str, Any]) -> str:
    meta = results["meta"]
    parts = [
        f"zhfix benchmark ({meta['mode']}), {meta['date']}, commit {meta.get('commit')}, "
        f"{meta['cpus']} CPUs, "
        f"{meta['jobs']} job(s)",
        "",
        "Accuracy per damage kind (exact = share restored exactly; CER = character "
        "error rate; ftfy* = ftfy with fix_character_width=False, uncurl_quotes=False)",
        _text(accuracy_table(results)),
        "",
        "False positives: clean lines changed",
        _text(clean_table(results)),
    ]
    if results["throughput"]:
        parts += ["", "Throughput (UTF-8 input)", _text(throughput_table(results)), ""]
        parts += _ratios(results)
    parts += ["", f"accuracy took {meta['accuracy_seconds']} s, "
              f"everything {meta['total_seconds']} s"]
    return "\n".join(parts)


def _budget_note(meta: dict[str, Any]) -> str:
    seconds = meta.get("task_seconds")
    if not seconds:
        return ""
    return (f" In this {meta['mode']} run each kind and corpus had a sample of documents "
            f"in random order and stopped after {seconds} s, so *docs* is what a tool's "
            "speed allowed.")


def markdown_report(results: dict[str, Any]) -> str:
    meta = results["meta"]
    versions = ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
    pools = "; ".join(
        f"{corpus}: " + ", ".join(f"{n:,} documents of {label}" for label, n in counts.items())
        for corpus, counts in meta["pools"].items()
    )
    parts = [
        "# zhfix benchmarks",
        "",
        "Generated by `bench/run.py`; do not edit by hand. Regenerate with:",
        "",
        "```",
        meta["command"],
        "```",
        "",
        f"Run {meta['date']} at commit {meta.get('commit', 'unknown')} on {meta['cpus']} CPUs "
        f"with {meta['jobs']} worker process(es) "
        f"({versions}; edit distance by {meta['levenshtein']}). "
        f"Accuracy took {meta['accuracy_seconds']} s, the whole run {meta['total_seconds']} s; "
        "the one-minute load average was "
        + " at the start and ".join(str(x) for x in meta.get("load_average", ["?", "?"]))
        + " at the end.",
        "",
        "## Accuracy per damage kind",
        "",
        "Each document of the clean corpus (one line; four lines for the chunked "
        "decoders) is damaged by `zhfix.damage` with a seed fixed by its position, "
        "then repaired by each tool. *exact* is the share of documents restored "
        "exactly, *CER* the character error rate (summed edit distance / summed "
        "reference length), *damaged CER* that of the damaged text left alone, "
        "*zhfix flagged* the share of documents zhfix changed or reported a finding "
        "on. *ftfy\\** is `ftfy.fix_text(fix_character_width=False, "
        "uncurl_quotes=False)`. Kinds marked *(lossless)* keep every byte, so exact "
        "restoration is possible; the others lose bytes or context, and CER shows how "
        "close a repair gets. Codec and byte-level kinds use only documents with at "
        "least 4 Han characters; documents the damage leaves unchanged are not "
        "counted. Kinds named *no byte lost* keep only the documents a lossy chain "
        "happens to keep every byte of; *hole in the last character* keeps only "
        "those whose single loss is in the last character. A `!` after a CER means "
        "the tool raised an exception on some documents (counted as unrepaired)."
        + _budget_note(meta),
        "",
        f"Documents available: {pools}.",
        "",
        _markdown(accuracy_table(results)),
        "",
        "## False positives on clean text",
        "",
        "Clean corpus lines changed by each tool (zhfix's goal: none).",
        "",
        _markdown(clean_table(results)),
        "",
    ]
    if results["throughput"]:
        tp = meta["throughput"]
        parts += [
            "## Throughput",
            "",
            f"{tp['lines']:,} lines ({tp['bytes']['clean'] / 1e6:.1f} MB of UTF-8), taken from "
            f"the two corpora in turn, clean, and damaged ({tp['damaged_lines']:,} lines "
            "damaged by one of: "
            f"{', '.join(tp['damage_mix'])}). One call per line; each measurement in a fresh "
            "process, warmed up, the median of several passes, each pass stopping after "
            f"{meta.get('run_seconds')} s at most (*lines timed*); the processes of all tools take "
            "turns over several rounds and the median round is shown. *MB/CPU-s* divides by "
            "the CPU time spent in the tool (summed over workers), which other load on the "
            "machine disturbs less than wall time. Peak RSS is that of the largest process "
            "(VmHWM). With 2 jobs the lines go to a pool of 2 worker processes in chunks.",
            "",
            _markdown(throughput_table(results)),
            "",
        ]
        parts += [f"- {line}" for line in _ratios(results)]
        parts.append("")
    return "\n".join(parts)
