"""Regex engines: the regex module against PCRE2 with its JIT, on the scan's own pattern calls.

    .venv/bin/python bench/regex_engines.py                       # dev corpus + a generated mix
    .venv/bin/python bench/regex_engines.py --per-family 3 --seed 7 --repeat 5

One untimed pass of `phigate scan`'s Scanner over the corpus records every call the recognizers
make through `base.finditer` that the Hyperscan pass and the word gates let through: the pattern
and the text. Each pattern is then timed over its own texts, best of --repeat, under the regex
module (the baseline, what phigate runs) and, where the `pcre2` package is installed and the
pattern compiles there, under PCRE2 with its JIT (the same IGNORECASE, MULTILINE and DOTALL; UTF
with Unicode properties). A pattern counts towards the ratio only if PCRE2 finds the same matches
(every span and every group's span) in every one of its texts.

Same matches on a corpus do not make two engines the same. The second check reads every class
escape and Unicode property the recorded patterns use, and every ASCII letter case-blind, against
every code point in both engines, and prints those whose members differ: a pattern using one of
them could match differently on text the corpus does not hold. (docs/performance.md, "PCRE2's
JIT on the scan's own calls".) Figures only: nothing here asserts a time, and no text is printed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import regex  # noqa: E402

from bench.args import positive_int  # noqa: E402
from bench.detect_eval import MessageCase  # noqa: E402
from bench.scan_speed import DEV_CORPUS, corpus  # noqa: E402
from detectors.config import DetectorConfig  # noqa: E402
from detectors.recognizers import base, multiscan  # noqa: E402
from detectors.recognizers.gates import word_gated  # noqa: E402
from gateway.cli.scan import Item, Scanner  # noqa: E402

try:  # an optional engine: without it only the regex module's figures are given
    import pcre2
except ImportError:  # pragma: no cover - depends on what is installed
    pcre2 = None

# The regex module's flags that PCRE2 has an equal of; a pattern with any other is not tried.
_PORTABLE = int(regex.IGNORECASE | regex.MULTILINE | regex.DOTALL | regex.UNICODE | regex.VERSION0)
# Every code point a str can hold that UTF-8 can carry (no surrogates).
_EVERY = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
_CLASS_ESCAPES = (r"\w", r"\W", r"\d", r"\D", r"\s", r"\S", ".")
_PROPERTY = regex.compile(r"\\[pP]\{[^}]+\}")
# What the regex module reads and PCRE2 reads otherwise or not at all: fuzzy matching
# ("{e<=1}", which PCRE2 takes as literal text), named lists, and inline flags beyond i, m, s, u.
_FUZZY = regex.compile(r"\{[^{}]*[eisd][^{}]*[<=][^{}]*\}")
_INLINE_FLAGS = regex.compile(r"\(\?([a-zA-Z0-9]+)(?:-([a-zA-Z]+))?[:)]")


def regex_only(source: str) -> bool:
    """Whether ``source`` uses a construct that PCRE2 does not read as the regex module does."""
    if _FUZZY.search(source) or "\\L<" in source:
        return True
    return any(
        set(m.group(1) + (m.group(2) or "")) - set("imsu") for m in _INLINE_FLAGS.finditer(source)
    )


@dataclass
class Calls:
    """One pattern and the texts the scan asked it about."""

    pattern: Any  # a regex-module Pattern
    texts: list[str] = field(default_factory=list)


def record_calls(cases: Sequence[MessageCase]) -> dict[tuple[str, int], Calls]:
    """Scan ``cases`` once and keep every `base.finditer` call that reached the regex module."""
    scanner = Scanner(DetectorConfig(), text_mode=False)
    multiscan.start(wait=True)
    calls: dict[tuple[str, int], Calls] = {}
    original = base.finditer

    def recording(
        pattern: Any,
        text: str,
        timeout: float,
        *,
        overlapped: bool = False,
        prefiltered: bool = True,
    ) -> Any:
        skipped = (prefiltered and multiscan.absent(pattern, text)) or word_gated(pattern, text)
        if not overlapped and not skipped:
            key = (pattern.pattern, int(pattern.flags))
            calls.setdefault(key, Calls(pattern)).texts.append(text)
        return original(pattern, text, timeout, overlapped=overlapped, prefiltered=prefiltered)

    # The recognizers import the function by name: each module's own reference is swapped.
    holders = [
        m
        for name, m in list(sys.modules.items())
        if name.startswith("detectors.") and getattr(m, "finditer", None) is original
    ]
    for m in holders:
        m.finditer = recording  # type: ignore[attr-defined]
    try:
        for case in cases:
            scanner.scan(Item(case.file, case.raw), False)
    finally:
        for m in holders:
            m.finditer = original  # type: ignore[attr-defined]
    return calls


def pcre2_twin(pattern: Any) -> Any | None:
    """``pattern`` compiled by PCRE2 with its JIT under the same flags, or None if it cannot be."""
    flags = int(pattern.flags)
    if pcre2 is None or flags & ~_PORTABLE or regex_only(pattern.pattern):
        return None
    options = pcre2.UNICODE
    if flags & regex.IGNORECASE:
        options |= pcre2.IGNORECASE
    if flags & regex.MULTILINE:
        options |= pcre2.MULTILINE
    if flags & regex.DOTALL:
        options |= pcre2.DOTALL
    try:
        # (*LF): only a line feed ends a line, as in the regex module, whatever PCRE2's build says
        twin = pcre2.compile("(*LF)" + pattern.pattern, options)
        twin.jit_compile()
    except Exception:  # noqa: BLE001 - a construct PCRE2 does not read: the pattern is not tried
        return None
    return twin


def matches(pattern: Any, text: str) -> list[tuple[tuple[int, int], ...]]:
    """Every match of ``pattern`` in ``text`` as the spans of the match and of each group."""
    return [tuple(m.span(g) for g in range(pattern.groups + 1)) for m in pattern.finditer(text)]


def same_matches(reference: Any, other: Any, texts: Iterable[str]) -> bool:
    """Whether ``other`` finds exactly what ``reference`` finds in every one of ``texts``."""
    if other.groups != reference.groups:
        return False
    return all(matches(reference, t) == matches(other, t) for t in texts)


def _every_match(pattern: Any) -> Callable[[str], object]:
    """A function that takes every match of ``pattern`` in a text (what a recognizer does)."""

    def run(text: str) -> object:
        return list(pattern.finditer(text))

    return run


def best_seconds(run: Callable[[str], object], texts: Sequence[str], repeat: int) -> float:
    """The best of ``repeat`` timed passes of ``run`` over ``texts``."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for t in texts:
            run(t)
        best = min(best, time.perf_counter() - started)
    return best


def compare(calls: dict[tuple[str, int], Calls], messages: int, repeat: int) -> dict[str, Any]:
    """Per pattern: the regex module's time, PCRE2's where it compiles, and whether they agree."""
    rows: list[dict[str, Any]] = []
    for (source, flags), c in calls.items():
        ours = best_seconds(_every_match(c.pattern), c.texts, repeat)
        row: dict[str, Any] = {
            "pattern": source[:80],
            "flags": flags,
            "calls": len(c.texts),
            "regex_us": round(ours / messages * 1e6, 2),
            "pcre2_us": None,
            "agrees": None,
        }
        twin = pcre2_twin(c.pattern)
        if twin is not None:
            row["agrees"] = same_matches(c.pattern, twin, c.texts)
            theirs = best_seconds(_every_match(twin), c.texts, repeat)
            row["pcre2_us"] = round(theirs / messages * 1e6, 2)
        rows.append(row)
    rows.sort(key=lambda r: -r["regex_us"])
    agreeing = [r for r in rows if r["agrees"]]
    ours_all = sum(r["regex_us"] for r in rows)
    ours_agreeing = sum(r["regex_us"] for r in agreeing)
    theirs_agreeing = sum(r["pcre2_us"] for r in agreeing)
    return {
        "patterns": len(rows),
        "calls_per_message": round(sum(r["calls"] for r in rows) / messages, 1),
        "regex_us_per_message": round(ours_all, 1),
        "pcre2_available": pcre2 is not None,
        "pcre2_agreeing_patterns": len(agreeing),
        "pcre2_differing_patterns": sum(1 for r in rows if r["agrees"] is False),
        "pcre2_not_compiled": sum(1 for r in rows if r["agrees"] is None),
        "regex_us_on_agreeing": round(ours_agreeing, 1),
        "pcre2_us_on_agreeing": round(theirs_agreeing, 1),
        "speedup_on_agreeing": round(ours_agreeing / theirs_agreeing, 2)
        if theirs_agreeing
        else None,
        "rows": rows,
    }


def classes_used(sources: Iterable[str]) -> list[str]:
    """The class escapes, the Unicode properties the patterns name, and every ASCII letter."""
    props: set[str] = set()
    for s in sources:
        props.update(_PROPERTY.findall(s))
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    return [*_CLASS_ESCAPES, *sorted(props), *letters]


def _only(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The stretches of ``a``'s spans that no span of ``b`` covers (each list sorted and
    non-overlapping, as a left-to-right scan's matches are)."""
    out: list[tuple[int, int]] = []
    j = 0
    for start, end in a:
        while j < len(b) and b[j][1] <= start:
            j += 1
        at = start
        k = j
        while k < len(b) and b[k][0] < end and at < end:
            if b[k][0] > at:
                out.append((at, b[k][0]))
            at = max(at, b[k][1])
            k += 1
        if at < end:
            out.append((at, end))
    return out


def _first(spans: list[tuple[int, int]], n: int = 4) -> list[str]:
    """The first ``n`` code points the spans of `_EVERY` cover, as U+ numbers."""
    out: list[str] = []
    for start, end in spans:
        for i in range(start, min(end, start + n - len(out))):
            out.append(f"U+{ord(_EVERY[i]):04X}")
        if len(out) >= n:
            break
    return out


def class_differences(classes: Iterable[str]) -> list[dict[str, Any]]:
    """Each class (case-blind as well) whose members differ between the two engines, over every
    code point: how many each engine alone takes, and the first few of each (as U+ numbers).

    Each engine reports the runs of consecutive members (the class repeated possessively, over
    `_EVERY`, in code point order; possessive, so PCRE2's JIT needs no stack for a run of a
    million) rather than every member: the same sets, compared as spans, in about a fourteenth
    of the time the negated classes' million single matches took.
    """
    if pcre2 is None:
        return []
    out: list[dict[str, Any]] = []
    for cls in classes:
        for blind in (False, True) if len(cls) > 1 else (True,):
            flags = regex.IGNORECASE if blind else 0
            ours = [m.span() for m in regex.finditer(f"(?:{cls})++", _EVERY, flags=flags)]
            options = pcre2.UNICODE | (pcre2.IGNORECASE if blind else 0)
            twin = pcre2.compile(f"(*LF)(?:{cls})++", options)
            twin.jit_compile()
            theirs = [m.span() for m in twin.finditer(_EVERY)]
            if ours != theirs:
                regex_only, pcre2_only = _only(ours, theirs), _only(theirs, ours)
                out.append(
                    {
                        "class": cls,
                        "case_blind": blind,
                        "regex_only": sum(e - s for s, e in regex_only),
                        "pcre2_only": sum(e - s for s, e in pcre2_only),
                        "regex_only_first": _first(regex_only),
                        "pcre2_only_first": _first(pcre2_only),
                    }
                )
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line; prints a table and one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEV_CORPUS, help="labelled corpus folder")
    parser.add_argument("--per-family", type=int, default=3, help="generated messages per family")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=positive_int, default=5)
    parser.add_argument("--top", type=int, default=20, help="patterns listed (by regex time)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="phigate-regex-engines-") as tmp:
        cases = corpus(args.corpus, args.per_family, args.seed, Path(tmp))
    if not cases:
        print("no messages: give --corpus with a manifest.jsonl or --per-family", file=sys.stderr)
        return 2
    calls = record_calls(cases)
    figures: dict[str, Any] = {"messages": len(cases), "repeat": args.repeat}
    figures.update(compare(calls, len(cases), args.repeat))
    figures["class_differences"] = class_differences(classes_used(s for s, _ in calls))
    rows = figures.pop("rows")
    print(f"# {len(cases)} messages; per message, best of {args.repeat} passes")
    print(f"{'regex us':>9} {'pcre2 us':>9}  agrees  calls  pattern")
    for r in rows[: args.top]:
        theirs = "-" if r["pcre2_us"] is None else f"{r['pcre2_us']:.1f}"
        agrees = {None: "-", True: "yes", False: "NO"}[r["agrees"]]
        print(f"{r['regex_us']:9.1f} {theirs:>9}  {agrees:>6} {r['calls']:6}  {r['pattern']!r}")
    for key, value in figures.items():
        if key != "class_differences":
            print(f"{key:28} {value}")
    print("classes whose members differ between the engines (over every code point):")
    for d in figures["class_differences"]:
        print(
            f"  {d['class']:16} case-blind={d['case_blind']!s:5} regex only {d['regex_only']:6}"
            f" {d['regex_only_first']}  pcre2 only {d['pcre2_only']:6} {d['pcre2_only_first']}"
        )
    figures["top"] = rows[: args.top]
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
