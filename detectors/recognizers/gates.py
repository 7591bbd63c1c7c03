"""Gates in front of the recognizers' patterns, and the time budget only where it is needed.

A gate says, cheaply, that a pattern cannot match a text, so the scan is skipped: the words of a
whole-word phrase list, the suffixes of a word pattern, the context words a recognizer needs.
Each gate is looser than its pattern by construction; tests/detectors/test_prefilter_words.py
checks that, on the corpora at hand, no gated scan loses a match. `needs_budget` tells which
patterns can backtrack without bound and so keep the regex module's time budget.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeAlias

import regex

import detectors.recognizers.multiscan as multiscan

Pattern: TypeAlias = "regex.Pattern[str]"

# ---- word gates -------------------------------------------------------------------------------
# A whole-word phrase pattern can only match where the text holds every word of the phrase as a
# word of its own: the match starts after a non-word character, ends before one, and inside the
# phrase each run of word characters is bounded by non-word characters (spaces, which match
# whitespace, or punctuation). So a text that lacks a word of every phrase cannot match, and
# `finditer` skips the scan. The phrases are indexed by their first word, so a text is checked
# against the few phrases whose first word it holds. Texts are split into words once (the last
# text is remembered). Words of phrase and text are compared by their case-blind keys (`fold`):
# two characters the regex module matches case-blind have one key, in every script
# (tests/detectors/test_prefilter_words.py checks this over all of Unicode), so a case-blind
# pattern's phrase word and the text's word it matches have the same key.
_WORD_RUN = regex.compile(r"\w+")
# Every ASCII character that is not a word character, as a space: in an ASCII text the runs of
# `_WORD_RUN` are what `str.split` leaves of the text so translated (the regex module took
# about 160 ns a word to find and copy them, a quarter of a millisecond for 5 KB of prose).
_ASCII_NON_WORD = str.maketrans(
    {chr(c): " " for c in range(128) if not (chr(c).isalnum() or chr(c) == "_")}
)
# pattern -> first word of a phrase -> the other words of each phrase that starts with it
_word_gates: dict[Pattern, dict[str, tuple[frozenset[str], ...]]] = {}


# patterns gated on ASCII texts only (see gate_words)
_ascii_only: set[Pattern] = set()

# pattern -> the endings one of which a word it matches has (see gate_suffixes)
_suffix_gates: dict[Pattern, frozenset[str]] = {}


class _Text:
    """What the gates have worked out about one text, each piece when first asked for."""

    __slots__ = ("text", "words", "endings", "lower", "memo")

    def __init__(self, text: str) -> None:
        self.text = text
        self.words: frozenset[str] | None = None
        self.endings: frozenset[str] | None = None  # the last 3 to 6 letters of each word
        self.lower: str | None = None
        self.memo: dict[Any, Any] | None = None


# The texts asked about since the last `forget_text`, by identity (each kept with its text, so an
# id is never read for another text), and the last one asked about: most calls ask about the same
# text as the call before. A batch of messages (PhiEngine.analyze_many) runs each recognizer over
# all of its texts in turn, so more than one text is in play at once; KEEP_TEXTS bounds them.
KEEP_TEXTS = 1024
_NO_TEXT = _Text("")
_last_text = [_NO_TEXT]
_kept: dict[int, _Text] = {}


def _about(text: str) -> _Text:
    """What is known about ``text`` (a fresh record for a text not asked about yet)."""
    last = _last_text[0]
    if last.text is text:
        return last
    kept = _kept.get(id(text))
    if kept is None or kept.text is not text:
        if len(_kept) >= KEEP_TEXTS:
            _kept.clear()
        kept = _kept[id(text)] = _Text(text)
    _last_text[0] = kept  # swapped whole: a thread never reads one text's record for another
    return kept


def fold_char(ch: str) -> str:
    """One character's case-blind key: "Σ", "σ" and "ς" all give "σ", "K" (Kelvin) gives "k",
    and "i", "I", "ı" and "İ" all give "i" (the regex module matches "i" with "I" and "İ", and
    "I" with "ı"). A key may be longer than its character: "ß" gives "ss", "ﬅ" "st".
    """
    return ch.casefold().replace("\u0307", "").replace("ı", "i")


def fold(phrase: str) -> str:
    """The case-blind key of ``phrase``: the keys of its characters (`fold_char`)."""
    if phrase.isascii():
        return phrase.lower()
    return "".join(map(fold_char, phrase))


def text_words(text: str) -> frozenset[str]:
    """The case-blind keys of the words of ``text`` (`fold`)."""
    last = _last_text[0]
    if last.text is text and last.words is not None:
        return last.words
    about = _about(text)
    if about.words is None:
        if text.isascii():
            about.words = frozenset(text.lower().translate(_ASCII_NON_WORD).split())
        else:
            about.words = frozenset(fold(w) for w in set(_WORD_RUN.findall(text)))
    return about.words


def gate_words(pattern: Pattern, phrases: Iterable[str], *, ascii_only: bool = False) -> Pattern:
    """Register ``pattern`` (a whole-word alternation of ``phrases``) behind their words.

    The pattern must allow no word character right before or after a phrase. A phrase without
    a word character leaves the pattern ungated. ``ascii_only``: the phrases are only the
    pattern's ASCII alternatives (others, such as "〒", match only non-ASCII text), so only
    ASCII texts are gated.
    """
    if ascii_only:
        _ascii_only.add(pattern)
    index: dict[str, set[frozenset[str]]] = {}
    for phrase in phrases:
        phrase = phrase.strip()
        if not phrase:
            continue
        runs = [fold(run) for run in _WORD_RUN.findall(phrase)]
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


def _endings(text: str) -> frozenset[str]:
    """The last 3 to 6 characters of the case-blind key of every word of ``text``."""
    words = text_words(text)
    about = _about(text)
    if about.endings is None:
        about.endings = frozenset(w[-k:] for w in words for k in (3, 4, 5, 6) if len(w) > k)
    return about.endings


def word_gated(pattern: Pattern, text: str) -> bool:
    """Whether ``pattern`` is gated off ``text``: every phrase lacks one of its words there, or
    no word ends in one of its suffixes."""
    ends = _suffix_gates.get(pattern)
    if ends is not None:
        return _endings(text).isdisjoint(ends)
    gate = _word_gates.get(pattern)
    if gate is None or (pattern in _ascii_only and not text.isascii()):
        return False
    words = text_words(text)
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
    """``text`` lower-cased, remembered with the text (every recognizer asks for it)."""
    about = _about(text)
    if about.lower is None:
        about.lower = text.lower()
    return about.lower


_ASCII_DIGIT = regex.compile(r"[0-9]")


def has_digit(text: str) -> bool:
    """Whether a character of ``text`` is a digit by ``str.isdigit`` (superscripts and other
    scripts' digits too): an ASCII text by one search in C (its only such characters are 0-9),
    any other character by character. The recognizers that need a digit ask this before reading
    a text; a text with none was walked a character at a time in Python by each of them."""
    if text.isascii():
        return _ASCII_DIGIT.search(text) is not None
    return any(ch.isdigit() for ch in text)


def text_memo(text: str) -> dict[Any, Any]:
    """A dict of memos about ``text`` (base.table_cell's rows): what a recognizer's helpers work
    out about it, kept until `forget_text`."""
    about = _about(text)
    if about.memo is None:
        about.memo = {}
    return about.memo


def forget_text() -> None:
    """Drop the remembered texts, their words, lower-cased copies and memos: a scan's caller
    calls this when done, so no message text stays referenced between messages."""
    _last_text[0] = _NO_TEXT
    _kept.clear()
    multiscan.forget()


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
