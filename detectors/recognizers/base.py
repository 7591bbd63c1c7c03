"""Shared pieces of the cheap recognizers: the protocol, raw matches, context windows, checksums."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol, TypeAlias

import regex

# Python's re has no timeout; the regex module does, and bounded patterns keep it from mattering.
Pattern: TypeAlias = "regex.Pattern[str]"


class RegexTimeout(RuntimeError):
    """A recognizer's pattern ran past its time budget (the text is treated as suspicious)."""

    code = "regex_timeout"


@dataclass(frozen=True)
class RawMatch:
    """A recognizer hit before it becomes a Finding (offsets into the analysed text)."""

    entity: str
    start: int
    end: int
    score: float
    category: str  # "identifier" | "health" | "context"
    recognizer: str
    role: str = ""  # for names: "patient", "provider", "correspondent", "addressee", "staff", ""


class Recognizer(Protocol):
    """A named cheap detector that returns raw matches for one text."""

    name: str
    entities: tuple[str, ...]

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """Return every match in ``text`` within ``timeout`` seconds per pattern."""
        ...


# ---- word gates -------------------------------------------------------------------------------
# A whole-word phrase pattern can only match where the text holds every word of the phrase as a
# word of its own: the match starts after a non-word character, ends before one, and inside the
# phrase each run of word characters is bounded by non-word characters (spaces, which match
# whitespace, or punctuation). So a text that lacks a word of every phrase cannot match, and
# `finditer` skips the scan. The phrases are indexed by their first word, so a text is checked
# against the few phrases whose first word it holds. Texts are split into words once (the last
# text is remembered), and only ASCII texts are gated: there lower-casing is exactly the
# patterns' case folding, while other scripts fold in ways str.lower() does not follow.
_WORD_RUN = regex.compile(r"\w+")
# pattern -> first word of a phrase -> the other words of each phrase that starts with it
_word_gates: dict[Pattern, dict[str, tuple[frozenset[str], ...]]] = {}


# pattern -> the endings one of which a word it matches has (see gate_suffixes)
_suffix_gates: dict[Pattern, frozenset[str]] = {}


@dataclass
class _TextWords:
    text: str
    words: frozenset[str] | None
    endings: frozenset[str] | None = None  # the last 3 to 6 letters of each word, on demand


_last_words = [_TextWords("", frozenset())]


def text_words(text: str) -> frozenset[str] | None:
    """The lower-cased words of an ASCII ``text``; None for any other text (never gated)."""
    last = _last_words[0]
    if last.text is text:
        return last.words
    words = frozenset(_WORD_RUN.findall(text.lower())) if text.isascii() else None
    _last_words[0] = _TextWords(text, words)
    return words


def gate_words(pattern: Pattern, phrases: Iterable[str]) -> Pattern:
    """Register ``pattern`` (a whole-word alternation of ``phrases``) behind their words.

    The pattern must allow no word character right before or after a phrase. A phrase without
    a word character leaves the pattern ungated.
    """
    index: dict[str, set[frozenset[str]]] = {}
    for phrase in phrases:
        phrase = phrase.strip().lower()
        if not phrase:
            continue
        runs = _WORD_RUN.findall(phrase)
        if not runs:
            return pattern
        index.setdefault(runs[0], set()).add(frozenset(runs[1:]))
    _word_gates[pattern] = {w: tuple(rests) for w, rests in index.items()}
    return pattern


def gate_suffixes(pattern: Pattern, suffixes: Iterable[str]) -> Pattern:
    """Register ``pattern``, a whole word that ends in one of ``suffixes``, behind them.

    The pattern must match a whole run of word characters (no word character right before or
    after it), of letters only; suffixes are 3 to 6 letters long.
    """
    ends = frozenset(s.lower() for s in suffixes)
    if not all(3 <= len(s) <= 6 for s in ends):
        raise ValueError("suffix gates take suffixes of 3 to 6 letters")
    _suffix_gates[pattern] = ends
    return pattern


def _endings(text: str) -> frozenset[str] | None:
    """The last 3 to 6 characters of every word of an ASCII ``text`` (None for other text)."""
    words = text_words(text)
    last = _last_words[0]
    if words is None or last.text is not text:
        return None
    if last.endings is None:
        last.endings = frozenset(w[-k:] for w in words for k in (3, 4, 5, 6) if len(w) > k)
    return last.endings


def word_gated(pattern: Pattern, text: str) -> bool:
    """Whether ``pattern`` is gated off ``text``: every phrase lacks one of its words there, or
    no word ends in one of its suffixes."""
    ends = _suffix_gates.get(pattern)
    if ends is not None:
        present = _endings(text)
        return present is not None and present.isdisjoint(ends)
    gate = _word_gates.get(pattern)
    if gate is None:
        return False
    words = text_words(text)
    if words is None:
        return False
    for first in gate.keys() & words:
        if any(rest <= words for rest in gate[first]):
            return False
    return True


def context_absent(pattern: Pattern, text: str) -> bool:
    """Whether no phrase of a gated ``pattern`` can match anywhere in an ASCII ``text``.

    Looser than `word_gated`: context is searched in windows, and a lookahead cannot see past a
    window's end (a window ending after "member" finds it in "membership"), so here a phrase's
    first word need only occur in the text, not as a word of its own.
    """
    gate = _word_gates.get(pattern)
    if gate is None or not text.isascii():
        return False
    lower = _lower(text)
    return not any(first in lower for first in gate)


def _lower(text: str) -> str:
    """``text`` lower-cased, remembered for the last text (every recognizer asks for it)."""
    last = _last_lower[0]
    if last[0] is text:
        return last[1]
    lower = text.lower()
    _last_lower[0] = (text, lower)
    return lower


_last_lower: list[tuple[str, str]] = [("", "")]


def forget_text() -> None:
    """Drop the remembered last text, its words and its lower-cased copy: a scan's caller calls
    this when done, so no message text stays referenced between messages."""
    _last_words[0] = _TextWords("", frozenset())
    _last_lower[0] = ("", "")


def compile_words(words: Iterable[str], flags: int = regex.IGNORECASE) -> Pattern:
    """Compile a whole-word alternation of phrases (longest first; spaces match any whitespace).

    The phrases are folded into a prefix tree ("heart (?:attack|failure)"), which the regex
    module scans several times faster than a flat alternation and which matches the same: at
    each position the longest phrase that ends at a word boundary. Case-blind phrase sets are
    lower-cased first so that no two branches differ by case alone; one with a non-ASCII phrase
    keeps the flat alternation, where case folding could join branches in other ways.
    """
    alts = {w.strip() for w in words if w.strip()}
    if flags & regex.IGNORECASE:
        if not all(a.isascii() for a in alts):
            return gate_words(flat_words(alts, flags), alts)
        alts = {a.lower() for a in alts}
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


# ---- the time budget ---------------------------------------------------------------------------
# The regex module's timeout reads the process's CPU clock (a system call) on every call, about
# 1.4 us, which was a sixth of the cheap pass. Only a pattern that can backtrack without bound
# needs it: one with an unbounded quantifier (*, +, {n,}) or a group repeated more than once that
# holds a quantifier. Any other pattern tries a bounded number of paths at each position, so it
# takes time linear in the text, and runs without the budget; the message's own time budget
# (detection.time_budget) still covers the whole scan. What cannot be read here keeps the budget.
_QUANTIFIER = regex.compile(r"[*+?]|\{(\d*)(,(\d*))?\}")
_GROUP_OPEN = regex.compile(r"\?(?:[:=!>|]|<[=!]|P?<\w+>|[a-zA-Z-]+:)")
_FLAGS_ONLY = regex.compile(r"\?[a-zA-Z-]+\)")
_budgeted: dict[Pattern, bool] = {}


def needs_budget(pattern: Pattern) -> bool:
    """Whether ``pattern`` may backtrack without bound and so runs with the time budget."""
    known = _budgeted.get(pattern)
    if known is None:
        known = _budgeted[pattern] = bool(pattern.flags & regex.VERBOSE) or not _linear(
            pattern.pattern
        )
    return known


def _class_end(src: str, i: int) -> int:
    """The index of the "]" that closes the character class opening at ``src[i]``; -1 if none."""
    j = i + 1
    if src.startswith("^", j):
        j += 1
    if src.startswith("]", j):
        j += 1
    while j < len(src):
        if src[j] == "\\":
            j += 2
        elif src[j] == "[":
            return -1  # a nested set (regex V1): not read here
        elif src[j] == "]":
            return j
        else:
            j += 1
    return -1


def _linear(src: str) -> bool:
    """Whether a pattern's source has only bounded quantifiers, none of them repeating more than
    once a group that holds a quantifier (a conservative reading: anything unusual is not)."""
    holds = [False]  # per open group: whether it holds a quantifier
    i = 0
    while i < len(src):
        c = src[i]
        inner = False
        if c == "\\":
            if src.startswith(("\\p{", "\\P{", "\\N{", "\\x{"), i):
                end = src.find("}", i)
                if end < 0:
                    return False
                i = end + 1
            else:
                i += 2
        elif c == "[":
            end = _class_end(src, i)
            if end < 0:
                return False
            i = end + 1
        elif c == "(":
            flags = _FLAGS_ONLY.match(src, i + 1)
            if flags:  # "(?i)" sets flags: no group, nothing to repeat
                i = flags.end()
                continue
            opening = _GROUP_OPEN.match(src, i + 1)
            if src.startswith("?", i + 1) and opening is None:
                return False
            holds.append(False)
            i = opening.end() if opening else i + 1
            continue
        elif c == ")":
            if len(holds) < 2:
                return False
            inner = holds.pop()
            i += 1
        elif c in "*+?{" and _QUANTIFIER.match(src, i):
            return False  # a quantifier with nothing before it to repeat
        else:
            i += 1
        q = _QUANTIFIER.match(src, i)
        if q is None:
            holds[-1] = holds[-1] or inner
            continue
        if q.group() in ("*", "+") or (q.group(2) and not q.group(3)):
            return False  # unbounded
        most = 1 if q.group() == "?" else int(q.group(3) or q.group(1) or 0)
        if inner and most > 1:
            return False  # a repeated group that holds a quantifier
        holds[-1] = True
        i = q.end()
        if src.startswith(("?", "+"), i):  # lazy or possessive
            i += 1
    return len(holds) == 1


def finditer(
    pattern: Pattern, text: str, timeout: float, *, overlapped: bool = False
) -> Iterator[regex.Match[str]]:
    """Iterate matches, turning a timeout into RegexTimeout.

    A pattern behind a gate (`gate_words`, `gate_suffixes`) is not run on a text the gate
    clears; only a pattern that `needs_budget` runs with the time budget.
    """
    if word_gated(pattern, text):
        return
    budget = timeout if needs_budget(pattern) else None
    try:
        yield from pattern.finditer(text, overlapped=overlapped, timeout=budget)
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


def line_bounds(text: str, pos: int) -> tuple[int, int]:
    """Return the [start, end) of the line holding ``pos``."""
    lo = text.rfind("\n", 0, pos) + 1
    hi = text.find("\n", pos)
    return lo, (len(text) if hi < 0 else hi)


def _split_cells(line: str, sep: str) -> list[tuple[int, int]]:
    """Cell spans of one table line; commas inside double quotes do not split (CSV)."""
    cells: list[tuple[int, int]] = []
    quoted = False
    begin = 0
    for i, ch in enumerate(line):
        if ch == '"' and sep == ",":
            quoted = not quoted
        elif ch == sep and not quoted:
            cells.append((begin, i))
            begin = i + 1
    cells.append((begin, len(line)))
    return cells


def table_cell(text: str, start: int, max_lines_up: int = 400) -> tuple[str, str]:
    """Return (header cell, separator) above a table cell in CSV-, tab- or pipe-separated text.

    The header is the first line of the block of non-empty lines holding ``start`` that has the
    same number of cells; ("", "") when the position is not inside such a table.
    """
    lo, hi = line_bounds(text, start)
    line = text[lo:hi].rstrip("\r")
    sep = next((s for s in ("\t", "|", ",") if line.count(s) >= 2), "")
    if not sep:
        return "", ""
    cells = _split_cells(line, sep)
    col = next((k for k, (a, b) in enumerate(cells) if a <= start - lo <= b), -1)
    if col < 0 or len(cells) < 3:
        return "", ""
    header = ""
    cur = lo
    for _ in range(max_lines_up):
        if cur == 0:
            break
        prev_lo = text.rfind("\n", 0, cur - 1) + 1
        prev = text[prev_lo : cur - 1].rstrip("\r")
        if not prev.strip() or len(_split_cells(prev, sep)) != len(cells):
            break
        header = prev
        cur = prev_lo
    if not header or header == line:
        return "", ""
    a, b = _split_cells(header, sep)[col]
    return header[a:b].strip().strip('"'), sep


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
