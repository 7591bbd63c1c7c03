"""PCRE2 twins of the recognizers' patterns: the regex module's matches, found by PCRE2's JIT.

The regex module's matching is about a sixth of a scan. PCRE2 with its JIT compiler finds the same
matches in about a third of the time (`bench/regex_engines.py`), but it is not the same engine:
its `\\w` takes numbers like "²" that the regex module's does not, its script properties follow
the script extensions ("、" is Han, Hiragana, Katakana and Hangul to it), its Unicode tables are a
version older, and it folds case otherwise for a few letters (İ). So a twin never leaves PCRE2 a
question about characters:

* every atom that matches one character (a literal, a class, a class escape, a property, ``.``)
  becomes an explicit class of code-point ranges that the regex module itself reports, by
  matching the atom under the pattern's flags against every code point; a case-blind letter
  becomes the class of every character the regex module folds with it, and the twin is compiled
  case-sensitive;
* the anchors and word boundaries become lookarounds over those classes (``^`` in multiline mode
  is "after a line feed or at the start", ``\\b`` is "a word character on one side only", with
  the regex module's word characters);
* what is left to PCRE2 is structure, which both engines read the same way (groups in the same
  order, alternatives tried left to right, greedy, lazy and possessive repeats, atomic groups,
  lookarounds).

Each pattern has two twins: one for any text, and one for ASCII text (most mail), given to PCRE2
as bytes, whose classes hold only their ASCII members (a \\w of about 750 ranges becomes four):
no other code point can occur in such a text, so the matches are the same, and the compiled
code of all the ASCII twins is about a fifth of the others'.

A pattern with anything else (back-references, fuzzy matching, named lists, set operations, a
capture inside a lookbehind, a lookbehind PCRE2 cannot bound) gets no twin and is scanned by the
regex module as before; one whose classes, spelt out over every script, are past PCRE2's 64 KB
of compiled pattern gets the ASCII twin alone, and other text stays with the regex module; so is a text longer than `MAX_CHARS` (the binding's offsets are counted
from the text's start, so many matches in a long text would cost more than they save) and a text
UTF-8 cannot carry (a lone surrogate). PCRE2 has no clock, so a twin runs under PCRE2's own bound
on backtracking (`MATCH_LIMIT`); a twin that reaches it, or fails in any way while matching, hands
the text back to the regex module, which runs the pattern as before (under the time budget if the
pattern has one): a runaway pattern still ends in the budget's answer.

The translations take seconds to work out (every class against every code point), so they are
kept on disk beside the Hyperscan databases, keyed by the pattern, the regex module's and
PCRE2's versions and this module's own bytes; a process compiles them in the background at start
and uses none until all are in (the fork server waits for them before it forks). tests/detectors/test_pcretwin.py checks classes against every code point,
the anchors on edge cases, every twin against the regex module on the corpora and on strings built
to differ, and that a scan's records are the same with and without twins. `PHIGATE_PCRE2=0` turns
them off.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeAlias

import regex

import detectors.recognizers.multiscan as multiscan

try:  # x86-64 Linux wheels; elsewhere every pattern is scanned by the regex module
    import pcre2
except ImportError:  # pragma: no cover - depends on the platform
    pcre2 = None

log = logging.getLogger(__name__)

Pattern: TypeAlias = "regex.Pattern[str]"

# Texts up to this many characters are matched by a twin (see the module doc).
MAX_CHARS = 4096
# PCRE2's own bound on one match call's backtracking (about 2 ms of work here): a twin that
# reaches it hands the text to the regex module, which runs the pattern as before, under the time
# budget if the pattern has one. So the budget still decides about a runaway pattern.
MATCH_LIMIT = 1_000_000
# A twin saves the regex module's search but not its matches: each match PCRE2 locates is taken
# again by the regex module. So a pattern that matches nearly every word (a word of letters, a
# capitalised word, any number) costs more with a twin; one that matches more than `DENSE` times
# in a thousand characters of `CALIBRATION` (a made-up clinic letter: what mail reads like) gets
# none. On the mix those are the five patterns a twin made slower.
DENSE = 10.0
CALIBRATION = (
    "Hi Dana,\n\nThanks for sending the referral. Mr. Alvarez was seen on 03/14/2024 for "
    "follow-up of his type 2 diabetes; his A1c is down to 7.2% and we kept metformin 500 mg twice "
    "daily. Please book him with cardiology in two weeks and call me at (555) 010-4477 if anything "
    "changes.\n\nBest regards,\nMaria Chen, RN\nCare Coordinator, Lakeside Family Practice\n"
    "120 Harbor Street, Suite 4, Springfield, IL 62704\nmchen@lakeside.example | fax 555-010-4478\n"
)

_I, _M, _S = (int(f) for f in (regex.IGNORECASE, regex.MULTILINE, regex.DOTALL))
# Flags a pattern may carry (besides the scoped I, M, S): the regex module's defaults for str.
_ALLOWED = int(regex.UNICODE | regex.VERSION0)
_SCOPED = {"i": _I, "m": _M, "s": _S}
_SURROGATES = (0xD800, 0xDFFF)


class Untranslatable(ValueError):
    """A construct a twin cannot reproduce exactly; the pattern keeps the regex module."""


# ---- every code point, and the classes the regex module makes of them ---------------------
@functools.lru_cache(maxsize=1)
def _every() -> str:
    """Every code point a str can hold and UTF-8 can carry, in order (no surrogates)."""
    return "".join(chr(c) for c in range(0x110000) if not _SURROGATES[0] <= c <= _SURROGATES[1])


def _code_point(index: int) -> int:
    """The code point at ``index`` of `_every`."""
    return index if index < _SURROGATES[0] else index + (_SURROGATES[1] - _SURROGATES[0] + 1)


@functools.lru_cache(maxsize=8192)
def members(atom: str, flags: int) -> tuple[tuple[int, int], ...]:
    """The code-point ranges that the one-character pattern ``atom`` matches under ``flags``,
    as the regex module itself answers for every code point."""
    try:
        runs = regex.compile(f"(?:{atom})+", flags)
    except regex.error as exc:
        raise Untranslatable(str(exc)) from exc
    out: list[tuple[int, int]] = []
    for m in runs.finditer(_every()):
        lo, hi = _code_point(m.start()), _code_point(m.end() - 1)
        if lo < _SURROGATES[0] < hi:  # a run across the surrogates' gap is two ranges
            out.extend(((lo, _SURROGATES[0] - 1), (_SURROGATES[1] + 1, hi)))
        else:
            out.append((lo, hi))
    return tuple(out)


def _char(code: int, in_class: bool) -> str:
    """One code point as PCRE2 source. The binding compiles with PCRE2_ALT_BSUX (Python's
    escapes), under which "\\x{...}" is not a code point, so characters are written as
    themselves: controls as "\\xhh", punctuation that means something behind a backslash."""
    ch = chr(code)
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if ch.isascii() and not ch.isalnum() and (in_class and ch in "]\\^-[" or not in_class):
        return "\\" + ch
    return ch


def _class(ranges: Iterable[tuple[int, int]], ascii_only: bool = False) -> str:
    """A PCRE2 class of ``ranges`` (an empty one is an assertion that fails); with
    ``ascii_only``, of their ASCII code points alone (for a twin that reads ASCII text only)."""
    if ascii_only:
        ranges = [(lo, min(hi, 0x7F)) for lo, hi in ranges if lo <= 0x7F]
    parts = [
        _char(lo, True) if lo == hi else f"{_char(lo, True)}-{_char(hi, True)}" for lo, hi in ranges
    ]
    return "[" + "".join(parts) + "]" if parts else "(?!)"


@functools.lru_cache(maxsize=16)
def _word(flags: int, ascii_only: bool = False) -> str:
    """The regex module's word characters under ``flags``, as a PCRE2 class."""
    return _class(members(r"\w", flags), ascii_only)


def _esc(ch: str) -> str:
    return _char(ord(ch), False)


# ---- the translation ---------------------------------------------------------------------
class _Translator:
    """Rewrites one regex-module pattern as PCRE2 source with the same matches (see the doc)."""

    def __init__(self, pattern: Pattern, ascii_only: bool = False) -> None:
        self.ascii_only = ascii_only
        flags = int(pattern.flags)
        if flags & ~(_ALLOWED | _I | _M | _S):
            raise Untranslatable("flags")
        self.src = pattern.pattern
        self.i = 0
        self.base = flags & _ALLOWED
        self.flags = flags & (_I | _M | _S)
        self.behind = 0  # how many lookbehinds enclose the current position

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.src[j] if j < len(self.src) else ""

    def run(self) -> str:
        out = self.sequence(self.flags)
        if self.i != len(self.src):
            raise Untranslatable(f"unbalanced ')' at {self.i}")
        return out

    def sequence(self, flags: int) -> str:
        out: list[str] = []
        while self.i < len(self.src) and self.peek() != ")":
            ch = self.peek()
            if ch == "|":
                self.i += 1
                out.append("|")
                continue
            if ch == "(" and self.peek(1) == "?":
                m = regex.match(r"\(\?([a-zA-Z]*)(?:-([a-zA-Z]+))?\)", self.src, pos=self.i)
                if m is not None:
                    # Flags alone at the pattern's start are the pattern's flags. Anywhere else
                    # the regex module's reading is its own (it reports "a(?i)b" as case-blind
                    # throughout, and matches "A" only case-sensitively): no twin.
                    if self.i != 0:
                        raise Untranslatable("inline flags after the start")
                    self.i = m.end()
                    flags = self.apply(flags, m.group(1), m.group(2) or "")
                    continue
            out.append(self.atom(flags) + self.quantifier())
        return "".join(out)

    @staticmethod
    def apply(flags: int, on: str, off: str) -> int:
        return multiscan.scoped_flags(flags, on, off, _SCOPED, Untranslatable)

    def atom(self, flags: int) -> str:
        ch = self.peek()
        if ch == "(":
            return self.group(flags)
        if ch == "[":
            return self.char_class(flags)
        if ch == "\\":
            return self.escape(flags)
        self.i += 1
        if ch == ".":
            return _class(members(".", self.base | (flags & _S)), self.ascii_only)
        if ch == "^":
            return r"(?<![^\n])" if flags & _M else r"\A"
        if ch == "$":
            return r"(?=\n|\z)" if flags & _M else r"(?=\n?\z)"
        if ch in ("*", "+", "?", "{"):
            raise Untranslatable(f"{ch!r} at {self.i - 1}")
        return self.literal(ch, flags)

    def literal(self, ch: str, flags: int) -> str:
        if not flags & _I:
            return _esc(ch)
        ranges = members(regex.escape(ch), self.base | _I)
        if ranges == ((ord(ch), ord(ch)),):
            return _esc(ch)
        return _class(ranges, self.ascii_only)

    def group(self, flags: int) -> str:
        self.i += 1  # "("
        src = self.src
        opening = "("
        inner = flags
        behind = False
        if self.peek() == "?":
            rest = src[self.i + 1 :]
            if rest.startswith("#"):
                end = src.find(")", self.i)
                if end < 0:
                    raise Untranslatable("unterminated comment")
                self.i = end + 1
                return ""
            if rest.startswith((":", ">", "=", "!")):
                opening = "(?" + rest[0]
                self.i += 2
            elif rest.startswith(("<=", "<!")):
                opening = "(?" + rest[:2]
                self.i += 3
                behind = True
            elif rest.startswith(("P<", "<")):
                m = regex.match(r"\?P?<([A-Za-z_][A-Za-z0-9_]*)>", src, pos=self.i)
                if m is None:
                    raise Untranslatable("group name")
                if self.behind:
                    raise Untranslatable("a capture inside a lookbehind")
                opening = f"(?<{m.group(1)}>"
                self.i = m.end()
            else:
                m = regex.match(r"\?([a-zA-Z]*)(?:-([a-zA-Z]+))?:", src, pos=self.i)
                if m is None:
                    raise Untranslatable(f"group {src[self.i - 1 : self.i + 4]!r}")
                inner = self.apply(flags, m.group(1), m.group(2) or "")
                opening = "(?:"
                self.i = m.end()
        elif self.behind:
            raise Untranslatable("a capture inside a lookbehind")
        self.behind += behind
        body = self.sequence(inner)
        self.behind -= behind
        if self.peek() != ")":
            raise Untranslatable("unterminated group")
        self.i += 1
        return f"{opening}{body})"

    def class_end(self) -> int:
        src = self.src
        j = self.i + 1
        if src.startswith("^", j):
            j += 1
        if src.startswith("]", j):
            j += 1
        while j < len(src):
            c = src[j]
            if c == "\\":
                j += 2
                continue
            if c == "[":
                raise Untranslatable("a nested class")  # a POSIX class or a V1 set
            if c == "]":
                return j + 1
            j += 1
        raise Untranslatable("unterminated class")

    def char_class(self, flags: int) -> str:
        end = self.class_end()
        source = self.src[self.i : end]
        self.i = end
        return _class(members(source, self.base | (flags & _I)), self.ascii_only)

    def escape(self, flags: int) -> str:
        src = self.src
        nxt = self.peek(1)
        if not nxt:
            raise Untranslatable("trailing backslash")
        start = self.i
        self.i += 2
        if nxt == "b":
            w = _word(self.base, self.ascii_only)
            return f"(?:(?<={w})(?!{w})|(?<!{w})(?={w}))"
        if nxt == "B":
            w = _word(self.base, self.ascii_only)
            return f"(?:(?<={w})(?={w})|(?<!{w})(?!{w}))"
        if nxt == "A":
            return r"\A"
        if nxt == "Z":
            return r"\z"
        if nxt in "dDwWsSpP":
            if nxt in ("p", "P"):
                if self.peek() == "{":
                    end = src.find("}", self.i)
                    if end < 0:
                        raise Untranslatable("unterminated property")
                    self.i = end + 1
                else:
                    self.i += 1
            return _class(members(src[start : self.i], self.base | (flags & _I)), self.ascii_only)
        named = multiscan.escaped_char(src, self.i, nxt, Untranslatable)
        if named is not None:
            ch, self.i = named
            return self.literal(ch, flags)
        if nxt.isalnum() or nxt == "_":
            # back-references, \0 octal, \G, \K, \m, \M, \X, \L<...>, \g<...>: not reproduced
            raise Untranslatable(f"escape \\{nxt}")
        return self.literal(nxt, flags)

    def quantifier(self) -> str:
        ch = self.peek()
        out = ""
        if ch in ("*", "+", "?"):
            self.i += 1
            out = ch
        elif ch == "{":
            m = regex.match(r"\{(\d*)(,?)(\d*)\}", self.src, pos=self.i)
            if m is None or (not m.group(1) and not m.group(3)):
                raise Untranslatable(f"'{{' at {self.i}")  # a literal brace, fuzzy matching
            self.i = m.end()
            lo, comma, hi = m.group(1) or "0", m.group(2), m.group(3)
            out = f"{{{lo}{comma}{hi}}}"
        else:
            return ""
        if self.peek() in ("?", "+"):  # lazy or possessive: PCRE2 reads both alike
            out += self.peek()
            self.i += 1
        if self.peek() in ("*", "+", "?", "{"):
            raise Untranslatable("multiple repeat")
        return out


def translate(pattern: Pattern, *, ascii_only: bool = False) -> str:
    """PCRE2 source with ``pattern``'s matches, or `Untranslatable`. ``ascii_only``: the same
    matches in ASCII text only (every class cut to its ASCII members), for the twin that reads
    the ASCII texts, most of them: its program is a tenth of the size."""
    return _Translator(pattern, ascii_only).run()


# ---- building, keeping and using the twins --------------------------------------------------
def enabled() -> bool:
    """Whether twins can be used here: the pcre2 package installed (the version whose matching
    generator `matches` calls) and PHIGATE_PCRE2 not "0"."""
    return (
        pcre2 is not None
        and hasattr(pcre2, "_cy")
        and hasattr(pcre2._cy, "match_generator")
        and _NO_CONTEXT is not None
        and os.environ.get("PHIGATE_PCRE2", "1") != "0"
    )


@dataclasses.dataclass(frozen=True)
class Twin:
    """A pattern's twin compiled twice: for any text (str) and for ASCII text (bytes). ``text``
    is None where only the ASCII twin compiles (every class spelt out for any text is over
    PCRE2's 64 KB of compiled pattern, the ASCII members alone are not): text that is not ASCII
    then stays with the regex module."""

    text: Any | None
    ascii: Any

    def finditer(self, text: str) -> Any:
        """PCRE2's own matches (for tests: `matches` is what the recognizers use)."""
        assert self.text is not None
        return self.text.finditer(text)

    def findall(self, text: str) -> Any:
        """PCRE2's own findall (for tests)."""
        assert self.text is not None
        return self.text.findall(text)


def compile_twin(pattern: Pattern, source: str, ascii_source: str | None = None) -> Twin | None:
    """``source`` compiled by PCRE2 with its JIT, checked to have ``pattern``'s groups, and
    ``ascii_source`` (``translate(..., ascii_only=True)``; ``source`` when not given) for ASCII
    text. Where the ASCII twin compiles and ``source`` does not (too large: its classes hold
    every member in every script), the twin is for ASCII text alone."""
    assert pcre2 is not None
    limit = f"(*LIMIT_MATCH={MATCH_LIMIT})"
    try:
        # ASCII text is given to its twin as bytes: the binding then reports offsets as they
        # are, where for a str it counts characters from the text's start for every offset.
        ascii_twin = pcre2.compile((limit + (ascii_source or source)).encode(), pcre2.UNICODE)
        ascii_twin.jit_compile()
    except Exception:  # noqa: BLE001 - a lookbehind without a bound, a name used twice: no twin
        return None
    twin: Any | None
    try:
        twin = pcre2.compile(limit + source, pcre2.UNICODE)
        twin.jit_compile()
    except Exception:  # noqa: BLE001 - too large: the regex module reads other text
        if ascii_source is None or ascii_source == source:
            return None
        twin = None
    for compiled in (twin, ascii_twin):
        if compiled is not None and (
            compiled.groups != pattern.groups
            or dict(compiled.groupindex) != dict(pattern.groupindex)
        ):
            return None
    return Twin(twin, ascii_twin)


def _key(pattern: Pattern) -> str:
    return hashlib.sha256(f"{int(pattern.flags)}:{pattern.pattern}".encode()).hexdigest()[:32]


@functools.lru_cache(maxsize=1)
def _translator_digest() -> str:
    """This module's own bytes, hashed: a change to the translation names a new cache file."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def _cache_path() -> Path:
    """The translations' file: one for this module's code and these engines' versions, holding
    every pattern translated so far by its key (pattern lists differ between callers)."""
    assert pcre2 is not None
    versions = [_translator_digest(), regex.__version__, pcre2.__libpcre2_version__]
    digest = hashlib.sha256(json.dumps(versions).encode()).hexdigest()[:32]
    return multiscan.cache_dir().parent / "pcre2" / f"twins-{digest}.json.gz"


def _load(path: Path) -> dict[str, list[str] | None] | None:
    """The translations a file holds, if it is there and trusted (a twin that misses a match
    would let PHI through, so a file another user could have written is not read)."""
    try:
        if not (multiscan._trusted(path.parent) and multiscan._trusted(path)):  # noqa: SLF001
            return None
        loaded = json.loads(gzip.decompress(path.read_bytes()))
    except (OSError, ValueError, EOFError):
        return None
    if not isinstance(loaded, dict) or not all(
        v is None or (isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) for x in v))
        for v in loaded.values()
    ):
        return None
    multiscan._touch(path)  # noqa: SLF001 - the same cache rules as the databases
    return loaded


def translations(patterns: list[Pattern], *, cached: bool = True) -> dict[str, list[str] | None]:
    """Each pattern's PCRE2 sources by its key, for any text and for ASCII text (None: no twin):
    from the cache file where it holds them (and ``cached``), else worked out, and the file
    rewritten with them added (about 4.4 MB of source for the recognizers' patterns, 1.3 MB
    on disk)."""
    path = _cache_path()
    known = (_load(path) or {}) if cached else {}
    keys = {_key(p): p for p in patterns}
    missing = [k for k in keys if k not in known]
    if not missing:
        return known
    for k in missing:
        try:
            known[k] = [translate(keys[k]), translate(keys[k], ascii_only=True)]
        except Untranslatable:
            known[k] = None
    _every.cache_clear()  # 4 MB that only the translating needed
    members.cache_clear()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(gzip.compress(json.dumps(known).encode(), compresslevel=6))
        os.chmod(tmp, 0o600)
        tmp.replace(path)
        multiscan._prune(path.parent, "twins-*.json.gz")  # noqa: SLF001
    except OSError as exc:
        log.warning("pcre2 twins: cannot keep the translations in %s: %s", path, exc)
    return known


def dense(pattern: Pattern) -> bool:
    """Whether ``pattern`` matches too often for a twin to pay (see `DENSE`)."""
    found = sum(1 for _ in pattern.finditer(CALIBRATION))
    return found * 1000 / len(CALIBRATION) > DENSE


def build(patterns: Iterable[Pattern], *, cached: bool = True) -> dict[Pattern, Twin]:
    """The twins of ``patterns`` (those that translate and compile); ``cached=False`` works the
    translations out again rather than read them from the cache file."""
    chosen = list(dict.fromkeys(patterns))
    sources = translations(chosen, cached=cached)
    twins: dict[Pattern, Twin] = {}
    for p in chosen:
        if dense(p):
            continue
        pair = sources.get(_key(p))
        if pair is not None:
            twin = compile_twin(p, pair[0], pair[1])
            if twin is not None:
                twins[p] = twin
    return twins


_TWINS: list[dict[Pattern, Twin]] = [{}]
_lock = threading.Lock()
_builder: list[threading.Thread | None] = [None]


def install(twins: dict[Pattern, Twin]) -> None:
    """Use ``twins`` from now on (an empty dict: none)."""
    _TWINS[0] = twins


def installed() -> int:
    """How many patterns have a twin in use."""
    return len(_TWINS[0])


def start(patterns: Callable[[], list[Pattern]], *, wait: bool = False) -> None:
    """Build the twins of ``patterns()`` in a thread of their own, once per process, and install
    them when all are ready; until then every pattern is scanned by the regex module."""
    if not enabled():
        return
    with _lock:
        thread = _builder[0]
        if thread is None:
            thread = threading.Thread(
                target=_build, args=(patterns,), name="phigate-pcre2", daemon=True
            )
            _builder[0] = thread
            thread.start()
    if wait:
        thread.join()


def _build(patterns: Callable[[], list[Pattern]]) -> None:
    started = time.perf_counter()
    try:
        twins = build(patterns())
    except Exception:  # noqa: BLE001 - without twins every pattern is scanned by regex
        log.exception("pcre2 twins: not built; the regex module scans every pattern")
        return
    install(twins)
    log.info("pcre2 twins: %d ready in %.1f s", len(twins), time.perf_counter() - started)


def matches(
    pattern: Pattern, text: str, timeout: float | None = None
) -> list[regex.Match[str]] | None:
    """Every match of ``pattern`` in ``text``, located by its twin, or None when the regex module
    must scan (no twin, a text too long or one UTF-8 cannot carry, a twin that failed).

    PCRE2 only says where each match starts; the match itself is the regex module's own, taken
    at that place (``pattern.match(text, start)``), so a recognizer reads the same object as
    before. Where the two engines would part (the regex module's match there is missing or ends
    elsewhere, or PCRE2 reports an empty match, whose successor the engines find by different
    rules) the whole text goes back to the regex module. A pattern under the time budget has
    ``timeout`` for all its matches here: the clock is read after each match, and past the budget
    the text goes back too, where the budget answers as it always has.

    The regex module's match at a start is not given the budget itself: its ``timeout`` reads
    the process's CPU clock (``clock()``, a system call) on every call, 2-3 us that were a tenth
    of a scan's regex matching (30 such matches a message). That match repeats, at one place and
    in the same order of alternatives, a match that PCRE2 has just found there within
    `MATCH_LIMIT`; the budget is read again as soon as it returns, and in the gateway a scan
    that runs over its allowance ends its detection process and the message is deferred.
    """
    twin = _TWINS[0].get(pattern)
    if twin is None or len(text) > MAX_CHARS:
        return None
    out: list[regex.Match[str]] = []
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        # The binding's own generator (pinned version): its Match objects cost more to read
        # than they save.
        subject: str | bytes
        if text.isascii():
            subject, code = text.encode("ascii"), twin.ascii._pcre2_code
        elif twin.text is None:  # a twin for ASCII text alone
            return None
        else:
            subject, code = text, twin.text._pcre2_code
        found = pcre2._cy.match_generator(code, subject, len(subject), 0, _NO_CONTEXT)
        for data, _, _ in found:
            start, end = pcre2._cy.match_substring_span_bynumber(data, subject, 0)
            if start == end:
                return None
            m = pattern.match(text, start)
            if m is None or m.end() != end:
                return None
            if deadline is not None and time.monotonic() > deadline:
                return None
            out.append(m)
    except Exception:  # noqa: BLE001 - a lone surrogate, the match limit, the budget spent
        return None
    return out


_NO_CONTEXT = getattr(pcre2, "_EMPTY_MATCH_CONTEXT", None)
