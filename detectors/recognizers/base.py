"""Shared pieces of the cheap recognizers: the protocol, raw matches, context windows, checksums."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol, TypeAlias

import regex

import detectors.recognizers.multiscan as multiscan
import detectors.recognizers.pcretwin as pcretwin
from detectors.findings import one_step_init
from detectors.recognizers.gates import (
    Pattern,
    context_absent,
    gate_words,
    needs_budget,
    text_memo,
    word_gated,
)


class RegexTimeout(RuntimeError):
    """A recognizer's pattern ran past its time budget (the text is treated as suspicious)."""

    code = "regex_timeout"


@one_step_init
@dataclass(frozen=True)
class RawMatch:
    """A recognizer hit before it becomes a Finding (offsets into the analysed text)."""

    entity: str
    start: int
    end: int
    score: float
    category: str  # "identifier" | "health" | "context"
    recognizer: str
    # for names: "patient", "provider", "correspondent", "addressee", "titled_addressee" (a
    # doctor greeted by title: the engine decides which), "staff", ""; for health: "self" (the
    # writer's own, "I can't hear without it"), "reader" (the reader's own, said in a language
    # other than English: "votre rendez-vous", "ditt provsvar"), ""
    role: str = ""


class Recognizer(Protocol):
    """A named cheap detector that returns raw matches for one text."""

    name: str
    entities: tuple[str, ...]

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """Return every match in ``text`` within ``timeout`` seconds per pattern."""
        ...


def _lower_case_of(ch: str) -> str:
    """``ch``'s lower case where the two are a plain pair (each the other's case); else ``ch``.

    Matched case-blind, such a pair's letters match the same characters, so the lower one can
    stand for the upper; "ı", "ſ", "ς" and "İ" match other sets and stay as they are.
    """
    low = ch.lower()
    return low if len(low) == 1 and low.upper() == ch else ch


def _lower_same_cases(phrase: str) -> str:
    """``phrase`` with each letter of a plain case pair in lower case (`_lower_case_of`)."""
    if phrase.isascii():
        return phrase.lower()
    return "".join(map(_lower_case_of, phrase))


def compile_words(words: Iterable[str], flags: int = regex.IGNORECASE) -> Pattern:
    """Compile a whole-word alternation of phrases (longest first; spaces match any whitespace).

    The phrases are folded into a prefix tree ("heart (?:attack|failure)"), which the regex
    module scans several times faster than a flat alternation and which matches the same: at
    each position the longest phrase that ends at a word boundary. Case-blind phrase sets are
    lower-cased first (`_lower_same_cases`) so that no two branches differ by case alone.
    """
    alts = {w.strip() for w in words if w.strip()}
    if flags & regex.IGNORECASE:
        alts = {_lower_same_cases(a) for a in alts}
    pattern = regex.compile(rf"(?<![\w])(?:{_trie_body(sorted(alts))})(?![\w])", flags)
    return gate_words(pattern, alts)


def flat_words(words: Iterable[str], flags: int = regex.IGNORECASE) -> Pattern:
    """The flat whole-word alternation, longest phrase first (compile_words' reference form)."""
    alts = sorted({w.strip() for w in words if w.strip()}, key=len, reverse=True)
    body = "|".join(regex.escape(a).replace(r"\ ", r"\s{1,3}") for a in alts)
    return regex.compile(rf"(?<![\w]){'(?:' + body + ')'}(?![\w])", flags)


_Trie: TypeAlias = "dict[str, _Trie]"


def _trie_body(phrases: list[str]) -> str:
    """A prefix-tree regex of ``phrases``: a longer continuation is tried before stopping."""
    root: _Trie = {}
    for phrase in phrases:
        node = root
        for ch in phrase:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: _Trie) -> str:
        kids = [
            (r"\s{1,3}" if ch == " " else regex.escape(ch)) + emit(child)
            for ch, child in node.items()
            if ch
        ]
        if not kids:
            return ""
        body = kids[0] if len(kids) == 1 else "(?:" + "|".join(kids) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(root)


def finditer(
    pattern: Pattern,
    text: str,
    timeout: float,
    *,
    overlapped: bool = False,
    prefiltered: bool = True,
) -> Iterator[regex.Match[str]]:
    """Iterate matches, turning a timeout into RegexTimeout.

    A pattern that the Hyperscan pass shows cannot match the text (`multiscan`) is not run, nor
    one behind a gate (`gate_words`, `gate_suffixes`) on a text the gate clears; a pattern with a
    PCRE2 twin is matched by the twin (`pcretwin`, the same matches, found eagerly); only a
    pattern that `needs_budget` runs with the time budget. (A plain function, not a generator: most
    calls return at once, and the rest hand back the regex module's own iterator.)

    ``prefiltered=False`` leaves the Hyperscan pass out: for a short slice of a text under
    analysis, whose own pass would cost more than the pattern (the last 400 characters: 73 us
    against 4 us for two anchored patterns by their twins).
    """
    if (prefiltered and multiscan.absent(pattern, text)) or word_gated(pattern, text):
        return iter(())
    budget = needs_budget(pattern)
    if not overlapped:
        found = pcretwin.matches(pattern, text, timeout if budget else None)
        if found is not None:
            return iter(found)
    if budget:
        return _budgeted(pattern, text, timeout, overlapped)
    return pattern.finditer(text, overlapped=overlapped)


def _budgeted(
    pattern: Pattern, text: str, timeout: float, overlapped: bool
) -> Iterator[regex.Match[str]]:
    """Every match, found within the budget before the first is handed out.

    The regex module's clock runs from the call until the iterator is done, so with the matches
    taken one at a time it would also count whatever the caller does between them: a
    recognizer that reads a table's header for every name cell timed out on a CSV export of a
    thousand rows, though the pattern itself scans it in 7 ms.
    """
    try:
        return iter(list(pattern.finditer(text, overlapped=overlapped, timeout=timeout)))
    except TimeoutError as exc:
        raise RegexTimeout("pattern exceeded its time budget") from exc


def has_context(
    pattern: Pattern, text: str, start: int, end: int, before: int = 40, after: int = 0
) -> bool:
    """Whether a whole-word context phrase occurs in the window around ``text[start:end]``."""
    lo = max(0, start - before)
    if pattern.search(text, lo, start) is not None:
        return True
    if after:
        return pattern.search(text, end, min(len(text), end + after)) is not None
    return False


class Spans:
    """Spans (start, end) that can be asked whether any overlaps or holds a given one, by bisection
    (the furthest end so far in start order), so that checking every match of a long text against
    every span costs a logarithm, not a pass."""

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        ordered = sorted(spans)
        self.starts = [s for s, _ in ordered]
        # the furthest end among the spans up to each place in start order
        self.reach: list[int] = []
        furthest = -1
        for _, e in ordered:
            furthest = max(furthest, e)
            self.reach.append(furthest)

    def overlaps(self, start: int, end: int) -> bool:
        """Whether a span starts before ``end`` and ends after ``start``."""
        i = bisect_left(self.starts, end)  # the spans starting before ``end``
        return i > 0 and self.reach[i - 1] > start

    def contains(self, start: int, end: int, *, strictly_before: bool = False) -> bool:
        """Whether a span starts at or before ``start`` (before it, ``strictly_before``) and
        ends at or after ``end``."""
        i = (bisect_left if strictly_before else bisect_right)(self.starts, start)
        return i > 0 and self.reach[i - 1] >= end


def line_bounds(text: str, pos: int) -> tuple[int, int]:
    """Return the [start, end) of the line holding ``pos``."""
    lo = text.rfind("\n", 0, pos) + 1
    hi = text.find("\n", pos)
    return lo, (len(text) if hi < 0 else hi)


def split_cells(line: str, sep: str, *, quotes: bool | None = None) -> list[tuple[int, int]]:
    """Cell spans of one table line; ``sep`` inside double quotes does not split where
    ``quotes`` says quoting counts (by default for commas only: a CSV line)."""
    cells: list[tuple[int, int]] = []
    if quotes is None:
        quotes = sep == ","
    if not quotes or '"' not in line:  # no quoting to follow: split in C, then measure
        begin = 0
        for cell in line.split(sep):
            cells.append((begin, begin + len(cell)))
            begin += len(cell) + 1
        return cells
    quoted = False
    begin = 0
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == sep and not quoted:
            cells.append((begin, i))
            begin = i + 1
    cells.append((begin, len(line)))
    return cells


def table_cell(text: str, start: int, max_lines_up: int = 400) -> tuple[str, str]:
    """Return (header cell, separator) above a table cell in CSV-, tab- or pipe-separated text.

    The header is the first line of the block of lines holding ``start`` that has the same
    number of cells; ("", "") when the position is not inside such a table. Rows may stand one
    blank line apart (a table turned from HTML or with doubled line ends). A CSV written without
    quotes has rows with more cells than its header where a free-text cell holds commas
    ("HPV positive, cytology negative"): their cells left of the header's last column still sit
    under their headers, so such rows (up to three cells more) stay in the block for them.
    The block is looked for at most ``max_lines_up`` rows up.

    Every cell of a table asks this, so what is found is kept for the text (`text_memo`): each
    row is split and climbed past once, not once for every cell below it (a CSV export of a
    thousand rows took seconds).
    """
    lo, hi = line_bounds(text, start)
    line = text[lo:hi].rstrip("\r")
    sep = next((s for s in ("\t", "|", ",") if line.count(s) >= 2), "")
    if not sep:
        return "", ""
    cells = split_cells(line, sep)
    col = next((k for k, (a, b) in enumerate(cells) if a <= start - lo <= b), -1)
    if col < 0 or len(cells) < 3:
        return "", ""
    rows = _Rows(text)
    top = rows.header_row(lo, sep, len(cells), col, max_lines_up)
    if top is None:
        return "", ""
    header = rows.line(top)
    if header == line:
        return "", ""
    head = split_cells(header, sep)
    if len(head) != len(cells) and not _ragged_csv(sep, len(head), len(cells), col):
        return "", ""
    a, b = head[col]
    return header[a:b].strip().strip('"'), sep


class _Rows:
    """A text's rows as `table_cell` climbs them, with what it learns kept in `text_memo`."""

    __slots__ = ("memo", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.memo = text_memo(text)

    def line(self, lo: int) -> str:
        """The row starting at ``lo``, without its line end."""
        end = self.text.find("\n", lo)
        return self.text[lo : len(self.text) if end < 0 else end].rstrip("\r")

    def above(self, cur: int) -> int | None:
        """The start of the row above the row starting at ``cur``: the line before it, or the one
        before that past a single blank line; None at the top or past two blank lines."""
        key = ("above", cur)
        try:
            found: int | None = self.memo[key]
            return found
        except KeyError:
            pass
        found = None
        if cur > 0:
            text = self.text
            prev_lo = text.rfind("\n", 0, cur - 1) + 1
            prev = text[prev_lo : cur - 1].rstrip("\r")
            if not prev.strip() and prev_lo > 0:
                prev_lo = text.rfind("\n", 0, prev_lo - 1) + 1
                prev = self.line(prev_lo)
            if prev.strip():
                found = prev_lo
        self.memo[key] = found
        return found

    def width(self, lo: int, sep: str) -> int:
        """How many cells the row starting at ``lo`` has, split at ``sep``."""
        key = ("width", lo, sep)
        try:
            n: int = self.memo[key]
        except KeyError:
            n = self.memo[key] = len(split_cells(self.line(lo), sep))
        return n

    def header_row(self, lo: int, sep: str, m: int, col: int, limit: int) -> int | None:
        """The start of the topmost row of the unbroken run above ``lo`` (at most ``limit`` rows
        up) whose rows line up with a row of ``m`` cells at column ``col``; None if none does."""
        count, top = self._run(lo, sep, m, col)
        if count <= limit:
            return top
        # a block taller than the limit: its row ``limit`` rows up, the one of its run with
        # ``count - limit`` rows lining up above it (rows never share the row above them)
        row: int | None = self.memo.get(("at", top, sep, m, col, count - limit))
        if row is not None:
            return row
        cur: int | None = lo
        for _ in range(limit):
            assert cur is not None
            cur = self.above(cur)
        return cur

    def _run(self, lo: int, sep: str, m: int, col: int) -> tuple[int, int | None]:
        """(how many rows in a row above ``lo`` line up, the topmost of them), unbounded."""
        memo = self.memo
        climbed: list[tuple[int, int]] = []
        cur = lo
        while True:
            got = memo.get(("run", cur, sep, m, col))
            if got is not None:
                break
            p = self.above(cur)
            if p is None:
                memo[("run", cur, sep, m, col)] = (0, None)
                break
            n = self.width(p, sep)
            if n != m and not _ragged_csv(sep, n, m, col):
                memo[("run", cur, sep, m, col)] = (0, None)
                break
            climbed.append((cur, p))
            cur = p
        for c, p in reversed(climbed):
            count, top = memo[("run", p, sep, m, col)]
            count, top = count + 1, top if count else p
            memo[("run", c, sep, m, col)] = (count, top)
            memo[("at", top, sep, m, col, count)] = c
        run: tuple[int, int | None] = memo[("run", lo, sep, m, col)]
        return run


def _ragged_csv(sep: str, n: int, m: int, col: int) -> bool:
    """Two CSV lines of n and m cells whose column ``col`` still lines up: left of the first
    cell that may hold unquoted commas (a line's last column or further right)."""
    return sep == "," and min(n, m) >= 3 and abs(n - m) <= 3 and col < min(n, m) - 1


def column_header(text: str, start: int) -> str:
    """Return the header cell above a table cell ("" when not inside a table)."""
    return table_cell(text, start)[0]


def luhn_ok(digits: str) -> bool:
    """Luhn mod-10 check over a digit string."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


@dataclass(frozen=True)
class RegexRecognizer:
    """A compiled pattern plus optional validation and (required or boosting) context words."""

    name: str
    entity: str
    pattern: Pattern
    score: float
    category: str = "identifier"
    context: Pattern | None = None
    context_required: bool = False
    context_score: float = 0.95
    before: int = 40
    after: int = 0
    validate: Callable[[str], bool] | None = None
    group: int = 0
    header_context: bool = False
    # a label right before the match that makes it something else ("payer ID 60054"): ends in $
    veto_before: Pattern | None = None

    @property
    def entities(self) -> tuple[str, ...]:
        """The one entity type this recognizer emits."""
        return (self.entity,)

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """See Recognizer."""
        if self.cannot_match(text):
            return []
        return self.from_matches(text, finditer(self.pattern, text, timeout))

    def cannot_match(self, text: str) -> bool:
        """Whether a required context cannot be anywhere in ``text``, so no match can count."""
        return (
            self.context_required
            and self.context is not None
            and context_absent(self.context, text)
        )

    def from_matches(self, text: str, matches: Iterable[regex.Match[str]]) -> list[RawMatch]:
        """The raw matches for ``matches`` of this recognizer's pattern in ``text``.

        Recognizers that share one pattern (a token read as a member id or as a claim number)
        can so share one scan of the text.
        """
        out: list[RawMatch] = []
        for m in matches:
            start, end = m.span(self.group)
            if start < 0:
                continue
            value = text[start:end]
            if self.validate is not None and not self.validate(value):
                continue
            if self.veto_before is not None and self.veto_before.search(
                text, max(0, start - 30), start
            ):
                continue
            score = self.score
            if self.context is not None:
                ctx = has_context(self.context, text, start, end, self.before, self.after)
                if not ctx and self.header_context:
                    header = column_header(text, start)
                    ctx = bool(header) and self.context.search(header) is not None
                if ctx:
                    score = max(score, self.context_score)
                elif self.context_required:
                    continue
            out.append(RawMatch(self.entity, start, end, score, self.category, self.name))
        return out
