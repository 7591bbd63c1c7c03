"""One Hyperscan pass per text tells which patterns cannot match it, so the regex scans of those
patterns are skipped.

Most patterns find nothing in most text: on the shared dev corpus seven scans in ten match
nothing, and they take two thirds of the regex time. Hyperscan runs every pattern at once, in one
pass over the text's UTF-8 bytes; each pattern it reports as absent is not scanned again.

The answer must never be wrong in one direction: a pattern that matches must be reported. Each
pattern is given to Hyperscan as `widen` rewrites it, a pattern that matches everything the
original matches (and maybe more), in Hyperscan's prefilter mode, which may widen it further:

* assertions are dropped: lookarounds, word boundaries, ``$`` outside multiline mode; except
  that at the top of the pattern a positive lookahead that nothing consumed follows, or a
  positive lookbehind that nothing consumed precedes, is kept as text its alternative consumes
  (``Ann(?=, 45 F)`` as ``Ann(?:, 45 F)``): where the original matches, so does that;
* every character class and class escape (``\\w``, ``\\p{Lu}``, ``[^,;]``) keeps its ASCII
  members, worked out by the regex module itself, and takes every non-ASCII character beside them
  unless it is a plain set of ASCII characters;
* case-blind letters match the characters that fold to them (``k`` also the Kelvin sign);
* bounded repeats longer than `_MAX_BOUND` become unbounded; atomic groups, possessive and lazy
  quantifiers become plain ones.

What `widen` cannot read (back-references, conditionals, fuzzy matching, named lists) is left out
of the database: such a pattern is always scanned. Without Hyperscan (it ships for x86-64 only)
nothing is skipped. tests/detectors/test_multiscan.py checks the rewriting against the regex
module character by character, and tests/detectors/test_prefilter_soundness.py shows on every
corpus at hand that findings are the same with and without the skipping.
"""

from __future__ import annotations

import ast
import dataclasses
import fcntl
import functools
import hashlib
import json
import logging
import os
import pkgutil
import re
import sys
import threading
import time
import types
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeAlias

import regex

try:  # the stdlib's own parser of `re` patterns (Python 3.11+); without it no twin is made
    import re._parser as re_parser
except ImportError:  # pragma: no cover - depends on the Python version
    re_parser = None

try:  # x86-64 wheels only; elsewhere every pattern is scanned
    import hyperscan
except ImportError:  # pragma: no cover - depends on the platform
    hyperscan = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

Pattern: TypeAlias = "regex.Pattern[str]"
Database: TypeAlias = "hyperscan.Database"

# A bounded repeat up to this many stays bounded; a longer one becomes unbounded (the database
# compiles in a fraction of the time, and a prefilter may match more).
_MAX_BOUND = 8
_NON_ASCII = r"\x{80}-\x{10FFFF}"
# ASCII letters that a case-blind pattern also matches to a character outside ASCII (the regex
# module's simple case folding; test_multiscan.py derives this from every code point).
CASE_PARTNERS: dict[str, str] = {"i": "\u0130", "k": "\u212a", "s": "\u017f"}
_ZERO_WIDTH_ESCAPES = frozenset("bBmMGK")
_CLASS_ESCAPES = frozenset("dDwWsSpPhHvV")
_SIMPLE_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f", "v": "\v", "a": "\a", "e": "\x1b"}
# the flags as plain ints (enum arithmetic was most of the rewriting's time)
_I, _M, _S, _X, _V1 = (
    int(f) for f in (regex.IGNORECASE, regex.MULTILINE, regex.DOTALL, regex.VERBOSE, regex.VERSION1)
)
_SCOPED_FLAGS = {"i": _I, "m": _M, "s": _S, "x": _X}
# Flags whose meaning the rewriting follows; a pattern with any other (fuzzy, reverse, WORD,
# full case folding, POSIX) is not rewritten.
_UNSUPPORTED_FLAGS = int(
    regex.REVERSE | regex.WORD | regex.FULLCASE | regex.POSIX | regex.BESTMATCH
)


class Unsupported(ValueError):
    """A construct `widen` does not rewrite: the pattern stays out of the database."""


def _hs_char(ch: str) -> str:
    """``ch`` as a Hyperscan literal."""
    if ch.isascii() and ch.isalnum():
        return ch
    return f"\\x{{{ord(ch):x}}}"


def _ascii_class(members: Iterable[str], non_ascii: bool) -> str:
    """A Hyperscan class of ``members`` (ASCII characters), plus every non-ASCII one if asked."""
    codes = sorted({ord(c) for c in members})
    parts: list[str] = []
    i = 0
    while i < len(codes):
        j = i
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1:
            j += 1
        lo, hi = codes[i], codes[j]
        parts.append(f"\\x{{{lo:x}}}" if lo == hi else f"\\x{{{lo:x}}}-\\x{{{hi:x}}}")
        i = j + 1
    if non_ascii:
        parts.append(_NON_ASCII)
    if not parts:
        raise Unsupported("a class that matches nothing")
    return "[" + "".join(parts) + "]"


_ASCII = "".join(chr(i) for i in range(128))


@functools.lru_cache(maxsize=4096)
def _members(source: str, flags: int) -> list[str]:
    """The ASCII characters that the one-character pattern ``source`` matches under ``flags``."""
    try:
        one = regex.compile(source, flags)
    except regex.error as exc:
        raise Unsupported(str(exc)) from exc
    return sorted(set(one.findall(_ASCII)))


def scoped_flags(
    flags: int, on: str, off: str, scoped: dict[str, int], error: type[ValueError]
) -> int:
    """``flags`` with an inline group's letters ``on`` turned on and ``off`` turned off, for both
    pattern rewriters: a letter of ``scoped`` is followed, "u" and "0" (Unicode, version 0: the
    defaults) change nothing, and any other letter raises ``error``."""
    for letter in on + off:
        if letter not in scoped and letter not in ("u", "0"):
            raise error(f"flag {letter!r}")
    for letter in on:
        flags |= scoped.get(letter, 0)
    for letter in off:
        flags &= ~scoped.get(letter, 0)
    return flags


def escaped_char(src: str, i: int, nxt: str, error: type[ValueError]) -> tuple[str, int] | None:
    """The one character that the escape "\\" + ``nxt`` names (``\\N{name}``, ``\\xhh``,
    ``\\x{h...}``, ``\\uhhhh``, ``\\Uhhhhhhhh``, ``\\t`` and the other simple escapes) and the
    index in ``src`` just past it, ``i`` being the index just past ``nxt``; None for any other
    escape. A malformed one raises ``error`` (the rewriter's own exception)."""
    if nxt == "N":
        m = regex.match(r"\{([^}]*)\}", src, pos=i)
        if m is None:
            raise error("bad \\N")
        try:
            return unicodedata.lookup(m.group(1)), m.end()
        except KeyError as exc:
            raise error("unknown character name") from exc
    if nxt == "x":
        m = regex.match(r"\{([0-9a-fA-F]+)\}|([0-9a-fA-F]{2})", src, pos=i)
        if m is None:
            raise error("bad \\x")
        return chr(int(m.group(1) or m.group(2), 16)), m.end()
    if nxt in ("u", "U"):
        width = 4 if nxt == "u" else 8
        digits = src[i : i + width]
        if len(digits) != width or not all(c in "0123456789abcdefABCDEF" for c in digits):
            raise error("bad \\u")
        return chr(int(digits, 16)), i + width
    if nxt in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[nxt], i
    return None


class _Widener:
    """Rewrites one regex-module pattern into a Hyperscan pattern that matches at least as much."""

    def __init__(self, pattern: Pattern) -> None:
        if int(pattern.flags) & _UNSUPPORTED_FLAGS:
            raise Unsupported("flags")
        self.src = pattern.pattern
        self.i = 0
        # flags an atom is compiled under to read its members: the pattern's own, without the
        # ones the rewriting tracks itself
        self.base = int(pattern.flags) & ~(_I | _M | _S | _X)
        self.version1 = bool(int(pattern.flags) & _V1)
        # the positive lookaround `group` has just read, as ("=" or "<=", its widened body)
        self.look: tuple[str, str] | None = None

    # ---- reading ---------------------------------------------------------------------------
    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.src[j] if j < len(self.src) else ""

    def run(self, flags: int) -> str:
        out = self.sequence(flags, top=True)
        if self.i != len(self.src):
            raise Unsupported(f"unbalanced ')' at {self.i}")
        return out

    def sequence(self, flags: int, *, top: bool = False) -> str:
        """Alternatives up to the closing ')' of the current group (not consumed).

        At the top of the pattern (``top``) a positive lookaround at either end of an
        alternative is kept as text the alternative consumes (see the module doc); everywhere
        else it is dropped.
        """
        out: list[str] = []
        lead = True  # nothing consumed yet in this alternative
        trail: str | None = None  # a lookahead that nothing consumed has followed yet
        while self.i < len(self.src) and self.peek() != ")":
            ch = self.peek()
            if ch == "|":
                self.i += 1
                out.append((trail or "") + "|")
                lead, trail = True, None
                continue
            if flags & _X and self.skip_verbose():
                continue
            if ch == "(" and self.peek(1) == "?" and self.inline_flags_only():
                flags = self.read_inline_flags(flags)
                continue
            self.look = None
            atom = self.atom(flags)
            look, self.look = self.look, None
            quant = self.quantifier(flags)
            if top and look is not None and not quant:
                kind, body = look
                if kind == "=" and trail is None:
                    trail = body
                elif kind == "<=" and lead and trail is None:
                    out.append(body)
                    lead = False
                continue
            if atom:
                out.append(atom + quant)
                lead, trail = False, None
        return "".join(out) + (trail or "")

    def skip_verbose(self) -> bool:
        ch = self.peek()
        if ch.isspace():
            self.i += 1
            return True
        if ch == "#":
            end = self.src.find("\n", self.i)
            self.i = len(self.src) if end < 0 else end + 1
            return True
        return False

    def inline_flags_only(self) -> bool:
        """Whether a "(?" here opens flags alone, "(?i)" or "(?-x)", not a group."""
        m = regex.match(r"\(\?[a-zA-Z]*(?:-[a-zA-Z]+)?\)", self.src, pos=self.i)
        return m is not None

    def read_inline_flags(self, flags: int) -> int:
        m = regex.match(r"\(\?([a-zA-Z]*)(?:-([a-zA-Z]+))?\)", self.src, pos=self.i)
        assert m is not None
        self.i = m.end()
        return self.apply_flags(flags, m.group(1), m.group(2) or "")

    @staticmethod
    def apply_flags(flags: int, on: str, off: str) -> int:
        return scoped_flags(flags, on, off, _SCOPED_FLAGS, Unsupported)

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
            return r"[\x{0}-\x{10FFFF}]" if flags & _S else "."
        if ch == "^":
            return "^" if flags & _M else r"\A"
        if ch == "$":
            return "$" if flags & _M else ""
        if ch in ("*", "+", "?"):
            raise Unsupported(f"nothing to repeat at {self.i - 1}")
        return self.literal(ch, flags)

    def literal(self, ch: str, flags: int) -> str:
        if not flags & _I:
            return _hs_char(ch)
        if ch.isascii():
            members = _members(regex.escape(ch), self.base | _I)
            partners = CASE_PARTNERS.get(ch.lower(), "")
            if len(members) == 1 and not partners:
                return _hs_char(ch)
            return (
                "["
                + "".join(_hs_char(c) for c in members)
                + "".join(_hs_char(c) for c in partners)
                + "]"
            )
        # a case-blind letter outside ASCII: whatever it folds with, in or out of ASCII
        members = _members(regex.escape(ch), self.base | _I)
        return _ascii_class(members, non_ascii=True)

    def group(self, flags: int) -> str:
        self.i += 1  # "("
        src = self.src
        keep = True
        look = ""
        inner_flags = flags
        if self.peek() == "?":
            rest = src[self.i + 1 :]
            if rest.startswith("#"):
                end = src.find(")", self.i)
                if end < 0:
                    raise Unsupported("unterminated comment")
                self.i = end + 1
                return ""
            if rest.startswith((":", ">", "|")):
                self.i += 2
            elif rest.startswith(("=", "!")):
                look = rest[0]
                self.i += 2
                keep = False
            elif rest.startswith(("<=", "<!")):
                look = rest[:2]
                self.i += 3
                keep = False
            elif rest.startswith("P="):  # a back-reference by name: any text at all
                end = src.find(")", self.i)
                if end < 0:
                    raise Unsupported("unterminated back-reference")
                self.i = end + 1
                return r"[\x{0}-\x{10FFFF}]*"
            elif rest.startswith(("P<", "<")):
                end = src.find(">", self.i)
                if end < 0:
                    raise Unsupported("unterminated group name")
                self.i = end + 1
            else:
                m = regex.match(r"\?([a-zA-Z]*)(?:-([a-zA-Z]+))?:", src, pos=self.i)
                if m is None:
                    raise Unsupported(f"group {src[self.i - 1 : self.i + 4]!r}")
                inner_flags = self.apply_flags(flags, m.group(1), m.group(2) or "")
                self.i = m.end()
        body = self.sequence(inner_flags)
        if self.peek() != ")":
            raise Unsupported("unterminated group")
        self.i += 1
        if look in ("=", "<=") and body:
            self.look = (look, f"(?:{body})")  # for `sequence` at the top of the pattern
        if not keep or not body:
            return ""  # a lookaround: dropped, so the pattern matches at least as much
        return f"(?:{body})"

    def class_end(self) -> int:
        """The index just past the class that opens at ``self.i``."""
        src = self.src
        j = self.i + 1
        if src.startswith("^", j):
            j += 1
        if src.startswith("]", j):
            j += 1
        depth = 1
        while j < len(src):
            c = src[j]
            if c == "\\":
                j += 2
                continue
            if c == "[" and self.version1:
                depth += 1
            elif c == "[" and src.startswith(("[:",), j):
                end = src.find(":]", j + 2)
                if end < 0:
                    raise Unsupported("unterminated POSIX class")
                j = end + 2
                continue
            elif c == "]":
                depth -= 1
                if depth == 0:
                    return j + 1
            j += 1
        raise Unsupported("unterminated class")

    def char_class(self, flags: int) -> str:
        end = self.class_end()
        source = self.src[self.i : end]
        self.i = end
        caseless = flags & _I
        members = _members(source, self.base | (_I if caseless else 0))
        return _ascii_class(members, non_ascii=not self._plain(source, caseless, members))

    @staticmethod
    def _plain(source: str, caseless: int, members: list[str]) -> bool:
        """Whether a class matches ASCII characters only: not negated, no escape that stands
        for a set, and (when case-blind) no letter that folds to a character outside ASCII."""
        if source.startswith("[^") or not source.isascii():
            return False
        body = source[1:-1]
        k = 0
        while k < len(body):
            if body[k] == "\\":
                nxt = body[k + 1 : k + 2]
                if nxt.isalnum() and nxt not in _SIMPLE_ESCAPES:
                    return False  # \d, \w, \p{..}, \x.., \N{..}: not read here
                k += 2
                continue
            if body[k] == "[":
                return False
            k += 1
        if caseless and any(c.lower() in CASE_PARTNERS for c in members):
            return False
        return True

    def escape(self, flags: int) -> str:
        src = self.src
        nxt = self.peek(1)
        if not nxt:
            raise Unsupported("trailing backslash")
        start = self.i
        self.i += 2
        if nxt in _ZERO_WIDTH_ESCAPES:
            return ""
        if nxt == "A":
            return r"\A"
        if nxt in ("Z", "z"):
            return r"\z"
        if nxt in _CLASS_ESCAPES:
            if nxt in ("p", "P"):
                if self.peek() == "{":
                    end = src.find("}", self.i)
                    if end < 0:
                        raise Unsupported("unterminated property")
                    self.i = end + 1
                else:
                    self.i += 1
            caseless = _I if flags & _I else 0
            members = _members(src[start : self.i], self.base | caseless)
            return _ascii_class(members, non_ascii=True)
        named = escaped_char(src, self.i, nxt, Unsupported)
        if named is not None:
            ch, self.i = named
            return self.literal(ch, flags)
        if nxt == "0":
            m = regex.match(r"[0-7]{0,2}", src, pos=self.i)
            assert m is not None
            self.i = m.end()
            return self.literal(chr(int("0" + m.group(), 8)), flags)
        if nxt in "123456789":  # a back-reference: any text at all
            while self.peek().isdigit():
                self.i += 1
            return r"[\x{0}-\x{10FFFF}]*"
        if nxt.isalnum() or nxt == "_":
            raise Unsupported(f"escape \\{nxt}")  # \g<...>, \L<...>, \X
        return self.literal(nxt, flags)

    def quantifier(self, flags: int) -> str:
        src = self.src
        ch = self.peek()
        if flags & _X:
            while self.peek().isspace():
                self.i += 1
            ch = self.peek()
        out = ""
        if ch in ("*", "+", "?"):
            self.i += 1
            out = ch
        elif ch == "{":
            m = regex.match(r"\{(\d*)(,?)(\d*)\}", src, pos=self.i)
            if m is None:  # a literal "{", or fuzzy matching ("{e<=1}"): not read here
                raise Unsupported(f"'{{' at {self.i}")
            if m.group(0) == "{}" or (not m.group(2) and not m.group(1)):
                raise Unsupported("bad repeat")
            self.i = m.end()
            lo = int(m.group(1) or 0)
            hi = m.group(3)
            if not m.group(2):
                out = f"{{{lo}}}" if lo <= _MAX_BOUND * 4 else f"{{{_MAX_BOUND * 4},}}"
            elif hi == "" or int(hi) > _MAX_BOUND:
                out = f"{{{min(lo, _MAX_BOUND)},}}"
            else:
                out = f"{{{lo},{hi}}}"
        else:
            return ""
        if self.peek() in ("?", "+"):  # lazy or possessive: the same set of matches or more
            self.i += 1
        if self.peek() in ("*", "+", "?"):
            raise Unsupported("multiple repeat")
        return out


def widen(pattern: Pattern) -> str:
    """A Hyperscan pattern (UTF-8, multiline, no other flag) that matches wherever ``pattern``
    can match; raises `Unsupported` for what it cannot rewrite."""
    w = _Widener(pattern)
    flags = pattern.flags & (_I | _M | _S | _X)
    return w.run(flags)


# ---- the database ----------------------------------------------------------------------------
_HS_FLAGS = 0
if hyperscan is not None:
    _HS_FLAGS = (
        hyperscan.HS_FLAG_PREFILTER
        | hyperscan.HS_FLAG_SINGLEMATCH
        | hyperscan.HS_FLAG_UTF8
        | hyperscan.HS_FLAG_ALLOWEMPTY
        | hyperscan.HS_FLAG_MULTILINE
    )
# Patterns per database: one pass over the text per database, and a pattern that does not
# compile costs a recompile of its own chunk only. Chunks of 25 compile in about two thirds of
# the time of one database of them all and scan in about a tenth more.
CHUNK = 25


def cache_dir() -> Path:
    """Where compiled databases are kept between runs ($PHIGATE_CACHE_DIR, else ~/.cache)."""
    explicit = os.environ.get("PHIGATE_CACHE_DIR")
    if explicit:
        return Path(explicit) / "multiscan"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "phigate" / "multiscan"


def _compile(sources: dict[int, str], ids: list[int]) -> Database:
    assert hyperscan is not None
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(
        expressions=[sources[i].encode() for i in ids],
        ids=ids,
        elements=len(ids),
        flags=[_HS_FLAGS] * len(ids),
    )
    return db


def _compile_chunk(sources: dict[int, str], ids: list[int]) -> tuple[list[int], Database | None]:
    """One chunk's database and the ids it holds; a pattern that fails on its own is left out."""
    assert hyperscan is not None
    try:
        return ids, _compile(sources, ids)
    except hyperscan.error:
        pass
    good: list[int] = []
    for i in ids:
        try:
            _compile(sources, [i])
            good.append(i)
        except hyperscan.error as exc:
            log.warning("multiscan: pattern %d left out: %s", i, exc)
    return (good, _compile(sources, good)) if good else ([], None)


# This file's own bytes are part of a cache file's name: a change to the rewriting compiles anew.
_REWRITING = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


class MultiScan:
    """The compiled databases of a set of patterns, and which of them a text may match.

    A pattern's id is its place among the patterns sorted by source and flags, so a cache file
    (named by the hash of that list) is found again whatever order the patterns come in, and
    without rewriting them again.
    """

    def __init__(self, patterns: Iterable[Pattern], *, cache: bool = True) -> None:
        if hyperscan is None:
            raise RuntimeError("hyperscan is not installed")
        unique = {(p.pattern, int(p.flags)): p for p in patterns}
        keys = sorted(unique)
        chunks = self._databases(keys, unique, cache)
        #: the patterns the databases hold, by id
        self.held: dict[int, Pattern] = {i: unique[keys[i]] for ids, _ in chunks for i in ids}
        self.by_key = {keys[i]: i for i in self.held}
        self.ids: dict[Pattern, int | None] = {}  # by identity, filled as patterns are asked
        # `absent_of`: the ids of a tuple of patterns, by the tuple's identity (kept with it)
        self.tuple_ids: dict[int, tuple[tuple[Pattern, ...], list[int | None]]] = {}
        self.dbs = [db for _, db in chunks]
        self._local = threading.local()

    @property
    def size(self) -> int:
        """How many patterns the databases hold."""
        return len(self.held)

    def _databases(
        self, keys: list[tuple[str, int]], unique: dict[tuple[str, int], Pattern], cache: bool
    ) -> list[tuple[list[int], Database]]:
        assert hyperscan is not None
        name = hashlib.sha256(
            repr(
                [_REWRITING, _HS_FLAGS, CHUNK, getattr(hyperscan, "__version__", ""), keys]
            ).encode()
        ).hexdigest()[:32]
        path = cache_dir() / f"{name}.hsdb"

        def compile_all() -> list[tuple[list[int], Database]]:
            return self._compile_all([unique[k] for k in keys])

        if not cache:
            return compile_all()
        loaded = _load(path)
        if loaded is not None:
            _touch(path)
            return loaded
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            lock = open(path.with_suffix(".lock"), "a+b")  # noqa: SIM115 - held below
        except OSError as exc:  # a read-only cache (a container's image): compile, keep nothing
            log.warning("multiscan: cannot keep the compiled patterns in %s: %s", path, exc)
            return compile_all()
        # one process compiles; the others wait for its file (workers start together)
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                loaded = _load(path)
                if loaded is not None:
                    return loaded
                chunks = compile_all()
                _save(path, chunks)
                _prune(path.parent)
                return chunks
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    @staticmethod
    def _compile_all(patterns: list[Pattern]) -> list[tuple[list[int], Database]]:
        """Rewrite every pattern and compile them in chunks; ids are places in ``patterns``."""
        sources: dict[int, str] = {}
        for i, p in enumerate(patterns):
            try:
                sources[i] = widen(p)
            except Unsupported:
                continue
        ids = list(sources)
        out: list[tuple[list[int], Database]] = []
        for k in range(0, len(ids), CHUNK):
            held, db = _compile_chunk(sources, ids[k : k + CHUNK])
            if db is not None:
                out.append((held, db))
        return out

    def pattern_id(self, pattern: Pattern) -> int | None:
        """``pattern``'s id in the databases (None: not held, so never skipped)."""
        try:
            return self.ids[pattern]
        except KeyError:
            pid = self.ids[pattern] = self.by_key.get((pattern.pattern, int(pattern.flags)))
            return pid

    def candidates(self, text: str) -> set[int] | None:
        """The ids of the patterns that may match ``text``; None when it cannot be scanned."""
        assert hyperscan is not None
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: Hyperscan reads UTF-8 only
            return None
        scratches = getattr(self._local, "scratches", None)
        if scratches is None:
            scratches = self._local.scratches = [hyperscan.Scratch(db) for db in self.dbs]
        found: set[int] = set()
        try:
            for db, scratch in zip(self.dbs, scratches, strict=True):
                db.scan(data, match_event_handler=_collect, context=found, scratch=scratch)
        except hyperscan.error as exc:  # never seen; if it is, this text is scanned in full
            log.warning("multiscan: scan failed (%s); every pattern is scanned", exc)
            return None
        return found


def _collect(pid: int, start: int, end: int, flags: int, found: object) -> None:
    assert isinstance(found, set)
    found.add(pid)


def _save(path: Path, chunks: list[tuple[list[int], Database]]) -> None:
    """Write the databases: a JSON line of each chunk's ids and size, then the databases."""
    assert hyperscan is not None
    blobs = [hyperscan.dumpb(db) for _, db in chunks]
    head = json.dumps([[ids, len(b)] for (ids, _), b in zip(chunks, blobs, strict=True)])
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(head.encode() + b"\n")
            for b in blobs:
                f.write(b)
        tmp.replace(path)
    except OSError as exc:
        log.warning("multiscan: cannot keep the compiled patterns in %s: %s", path, exc)


# Cache files kept: each change to a pattern or to the rewriting names a new one, and installs of
# other versions may share the directory, so the least recently used beyond these go.
KEEP_FILES = 4


def _touch(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:
        pass  # a read-only cache


def _prune(folder: Path, glob: str = "*.hsdb") -> None:
    """Remove all but the `KEEP_FILES` most recently used cache files of a kind (and their
    locks)."""
    try:
        files = sorted(folder.glob(glob), key=lambda f: f.stat().st_mtime, reverse=True)
        for old in files[KEEP_FILES:]:
            old.unlink(missing_ok=True)
            old.with_suffix(".lock").unlink(missing_ok=True)
    except OSError as exc:
        log.warning("multiscan: cannot prune %s: %s", folder, exc)


def _trusted(path: Path) -> bool:
    """Whether ``path`` is ours or root's and no one else may write it.

    A database that wrongly says a pattern is absent would let PHI through unscanned, so a cache
    file another user could have written is not read (it is compiled anew instead), as ssh
    treats its keys. A read-only cache built into a container image belongs to root.
    """
    st = path.stat()
    if st.st_uid not in (os.getuid(), 0):
        log.warning("multiscan: %s belongs to another user; not read", path)
        return False
    if st.st_mode & 0o022:
        log.warning("multiscan: %s is writable by others; not read", path)
        return False
    return True


def _load(path: Path) -> list[tuple[list[int], Database]] | None:
    """The databases `_save` wrote, or None when there is no readable file we can trust."""
    assert hyperscan is not None
    try:
        if not (_trusted(path.parent) and _trusted(path)):
            return None
        data = path.read_bytes()
        nl = data.index(b"\n")
        head = json.loads(data[:nl])
        out: list[tuple[list[int], Database]] = []
        pos = nl + 1
        for ids, size in head:
            out.append(
                (list(ids), hyperscan.loadb(data[pos : pos + size], hyperscan.HS_MODE_BLOCK))
            )
            pos += size
        if pos != len(data):
            raise ValueError("trailing bytes")
        return out
    except (OSError, ValueError, TypeError, hyperscan.error):
        return None


# ---- the patterns -------------------------------------------------------------------------------
def patterns_in(
    objects: Iterable[object], depth: int = 4, *, skip: frozenset[str] = frozenset()
) -> list[Pattern]:
    """Every compiled pattern in ``objects``: in containers, and in dataclass fields (but not in
    a field named in ``skip``)."""
    out: list[Pattern] = []
    seen: set[int] = set()

    def walk(obj: object, left: int) -> None:
        if isinstance(obj, regex.Pattern):
            out.append(obj)
            return
        if left <= 0 or id(obj) in seen or isinstance(obj, str | bytes | int | float):
            return
        seen.add(id(obj))
        if isinstance(obj, dict):
            for k, v in obj.items():
                walk(k, left - 1)
                walk(v, left - 1)
        elif isinstance(obj, list | tuple | set | frozenset):
            for v in obj:
                walk(v, left - 1)
        elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            for f in dataclasses.fields(obj):
                if f.name not in skip:
                    walk(getattr(obj, f.name, None), left - 1)

    for obj in objects:
        walk(obj, depth)
    return out


def module_patterns(
    package: types.ModuleType, *, skip: frozenset[str] = frozenset()
) -> list[Pattern]:
    """The patterns defined at the top of every module of ``package`` that has been imported
    (a pattern bound only to names in ``skip`` is left out; containers are walked whatever their
    name)."""
    values: list[object] = []
    for info in pkgutil.iter_modules(package.__path__):
        module = sys.modules.get(f"{package.__name__}.{info.name}")
        if module is not None:
            values.extend(
                v
                for name, v in vars(module).items()
                if not (name in skip and isinstance(v, regex.Pattern))
            )
    return patterns_in(values, depth=3)


# ---- patterns nothing asks about -----------------------------------------------------------
# Only `absent` reads the databases, and only for the patterns handed to it (recognizers.base's
# `finditer`, the name recognizer's `_scan`, the narrative cues). A pattern that the code only
# ever calls itself ("CONTEXT.search(text, lo, hi)", a check on a value already found) is never
# asked about, yet a database that held it would still run it over every text. On the dev corpus
# and the generated sources 144 of 343 patterns were never asked about; `direct_only` finds 92
# of them by reading the source (the others are also handed on bare somewhere), and leaving those
# out takes the databases from 14 to 11 and 15.1 to 12.5 MB, and a scan about 4% faster.
# Getting it wrong costs speed only: a pattern not held is never skipped
# (tests/detectors/test_multiscan_held.py checks on the corpora that every pattern asked about is
# held).
# methods of a pattern that run it without asking the databases
_DIRECT_METHODS = frozenset(
    {"search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split", "scanner"}
)
# functions whose first argument is a pattern they run themselves, or gate by its words only
_DIRECT_CALLS = frozenset({"has_context", "context_absent"})


def direct_only(root: Path) -> frozenset[str]:
    """The names (module globals, and attributes such as a recognizer's ``context``) that the
    code under ``root`` uses only to run a pattern itself: every use is ``NAME.search(...)`` and
    the like, the first argument of `_DIRECT_CALLS`, or an ``is None`` test. A name with any
    other use (handed to a function, put in a tuple, imported under another name) is not one.
    Nothing is, when the source cannot be read: then every pattern is held.

    Reading the source takes about 0.3 s, so the answer is kept in the cache folder under the
    hash of the source read and of this module, and in this process. One thread at a time reads
    it: the Hyperscan databases and the PCRE2 twins are built on two threads that both ask, and
    CPython 3.11 (before 3.11.8) can fail `ast.parse` on two threads at once with "AST
    constructor recursion depth mismatch", which left a process without its databases.
    """
    with _direct_lock:
        return _direct_only(root)


_direct_lock = threading.Lock()
# direct_only's answers in this process, by the hash of the source read (a read-only cache
# folder keeps none)
_direct_seen: dict[str, frozenset[str]] = {}


def _direct_only(root: Path) -> frozenset[str]:
    try:
        sources = [(str(p.relative_to(root)), p.read_bytes()) for p in sorted(root.rglob("*.py"))]
    except OSError as exc:
        log.warning("multiscan: cannot read %s (%s); every pattern is held", root, exc)
        return frozenset()
    digest = hashlib.sha256(_REWRITING.encode())
    for name, data in sources:
        digest.update(b"%d:%s\0%d:" % (len(name), name.encode(), len(data)) + data)
    key = digest.hexdigest()[:32]
    seen = _direct_seen.get(key)
    if seen is not None:
        return seen
    path = cache_dir() / f"direct-{key}.json"
    try:
        if _trusted(path.parent) and _trusted(path):
            names = json.loads(path.read_bytes())
            if isinstance(names, list) and all(isinstance(n, str) for n in names):
                _touch(path)
                _direct_seen[key] = frozenset(names)
                return _direct_seen[key]
    except (OSError, ValueError):
        pass
    direct: set[str] = set()
    other: set[str] = set()
    try:
        for name, data in sources:
            _sort_uses(ast.parse(data, name), direct, other)
    except (SyntaxError, ValueError) as exc:
        log.warning("multiscan: cannot read %s (%s); every pattern is held", root, exc)
        return frozenset()
    found = _direct_seen[key] = frozenset(direct - other)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(sorted(found)))
        tmp.replace(path)
        _prune(path.parent, "direct-*.json")
    except OSError:
        pass  # a read-only cache: read the source again next time
    return found


def _sort_uses(tree: ast.AST, direct: set[str], other: set[str]) -> None:
    """Add each loaded name and attribute of ``tree`` to ``direct`` or ``other`` (see
    `direct_only`). Names are not told apart by scope: a local variable that shares a pattern's
    name counts for it (so the pattern may be held for nothing, never the reverse)."""
    parents: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
        if isinstance(node, ast.alias) and node.asname and node.asname != node.name:
            other.add(node.name.rpartition(".")[2])  # imported under another name
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            name = node.id
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            name = node.attr
        else:
            continue
        up = parents.get(node)
        if isinstance(up, ast.Attribute) and up.value is node and up.attr in _DIRECT_METHODS:
            direct.add(name)
        elif (
            isinstance(up, ast.Call)
            and up.args
            and up.args[0] is node
            and _called_name(up.func) in _DIRECT_CALLS
        ):
            direct.add(name)
        elif (
            isinstance(up, ast.Compare)
            and up.left is node
            and len(up.ops) == 1
            and isinstance(up.ops[0], ast.Is | ast.IsNot)
            and isinstance(up.comparators[0], ast.Constant)
            and up.comparators[0].value is None
        ):
            continue  # "self.context is not None": neither
        else:
            other.add(name)


def _called_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


# ---- the active databases, consulted by recognizers.base.finditer ------------------------------
_active: list[MultiScan | None] = [None]
# the texts asked about since the last `forget`, by identity (a recognizer may scan a slice; a
# batch of messages has all its texts in play at once: recognizers.gates.KEEP_TEXTS)
KEEP_TEXTS = 1024
_last: dict[int, tuple[str, set[int] | None]] = {}
# the text asked about last and its candidates, as one tuple (swapped whole, so a thread never
# reads one text's candidates for another): most calls ask about the same text as the last
_current: list[tuple[str, set[int] | None] | None] = [None]
_lock = threading.Lock()
_builder: list[threading.Thread | None] = [None]


def enabled() -> bool:
    """Whether skipping is possible here: Hyperscan installed and PHIGATE_MULTISCAN not "0"."""
    return hyperscan is not None and os.environ.get("PHIGATE_MULTISCAN", "1") != "0"


def install(scan: MultiScan | None) -> None:
    """Make ``scan`` the databases `absent` consults (None: skip nothing)."""
    with _lock:
        _active[0] = scan
        _last.clear()
        _current[0] = None


def active() -> MultiScan | None:
    """The installed databases, if any."""
    return _active[0]


def held() -> int:
    """How many patterns the installed databases hold (0: none installed)."""
    scan = _active[0]
    return scan.size if scan is not None else 0


def start(patterns: Callable[[], list[Pattern]] | None = None, *, wait: bool = False) -> None:
    """Build (or load) the databases of ``patterns()`` in a thread of their own, once per
    process, and install them when ready (`detectors.engine` passes the recognizers' patterns).

    Until then nothing is skipped, so start-up does not wait for a compile (the compile releases
    the GIL). ``wait`` blocks until they are installed (benchmarks, tests); without
    ``patterns`` it only waits for a build already started.
    """
    if not enabled():
        return
    with _lock:
        thread = _builder[0]
        if thread is None:
            if patterns is None:
                return
            thread = threading.Thread(
                target=_build, args=(patterns,), name="phigate-multiscan", daemon=True
            )
            _builder[0] = thread
            thread.start()
    if wait:
        thread.join()


def _build(patterns: Callable[[], list[Pattern]]) -> None:
    started = time.perf_counter()
    try:
        scan = MultiScan(patterns())
    except Exception:  # noqa: BLE001 - without the databases every pattern is scanned
        log.exception("multiscan: databases not built; every pattern will be scanned")
        return
    install(scan)
    log.info("multiscan: %d patterns ready in %.1f s", scan.size, time.perf_counter() - started)


def absent(pattern: Pattern, text: str) -> bool:
    """Whether the installed databases show that ``pattern`` cannot match ``text``.

    Called a hundred times and more per text (every pattern a recognizer may run), so the
    common case, the same text as the last call and a pattern asked before, is two lookups.
    """
    scan = _active[0]
    if scan is None:
        return False
    pid = scan.ids.get(pattern, -1)
    if pid == -1:
        pid = scan.pattern_id(pattern)
    if pid is None:  # not held: never skipped, and no reason to scan the text for it
        return False
    cur = _current[0]
    found = cur[1] if cur is not None and cur[0] is text else _found(scan, text)
    return found is not None and pid not in found


def absent_of(patterns: tuple[Pattern, ...], text: str) -> list[bool] | None:
    """`absent` asked of every one of ``patterns`` at once, in their order (None: nothing can be
    skipped). A recognizer that walks a fixed tuple of patterns asks once a text instead of once
    a pattern; ``patterns`` must be a tuple that lives as long as the recognizer (its ids are kept
    by its identity).
    """
    scan = _active[0]
    if scan is None:
        return None
    ids = scan.tuple_ids.get(id(patterns))
    if ids is None or ids[0] is not patterns:
        ids = scan.tuple_ids[id(patterns)] = (patterns, [scan.pattern_id(p) for p in patterns])
    found = _current_found(scan, text)
    if found is None:
        return None
    return [pid is not None and pid not in found for pid in ids[1]]


# ---- stdlib `re` patterns searched in windows (the engine's): a regex-module twin to ask about
# Characters that the stdlib's \s matches and the regex module's does not (the file, group,
# record and unit separators): a text holding one is never judged by a twin (`plain_text`).
RE_ONLY_SPACES = "\x1c\x1d\x1e\x1f"
# Characters outside ASCII whose lower, upper or folded case holds an ASCII letter ("K" the
# Kelvin sign, "ſ", "ı", "ﬁ"): the two modules may fold them differently, so a pattern that holds
# one is not twinned (tests/detectors/test_engine_twins.py derives this from every code point).
ASCII_PARTNERS = frozenset(
    "\xdf\u0130\u0131\u0149\u017f\u01f0\u1e96\u1e97\u1e98\u1e99\u1e9a\u1e9e\u212a"
    "\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06"
)
_RE_ANCHORS = frozenset(("^", "$"))
_RE_ANCHOR_ESCAPES = frozenset("AZz")
_POSIX_CLASS = regex.compile(r"\[:\^?\w+:\]")


def plain_text(text: str) -> bool:
    """Whether `re_twin` twins may judge ``text``: ASCII, without RE_ONLY_SPACES."""
    return text.isascii() and not any(ch in text for ch in RE_ONLY_SPACES)


def _code_points(tree: Any) -> Iterable[tuple[int, int]]:
    """Every literal (as a range of one) and range of a parsed `re` pattern, nested ones too."""
    for item in tree:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], int | str):
            op, arg = item
            name = str(op)
            if name in ("LITERAL", "NOT_LITERAL") and isinstance(arg, int):
                yield arg, arg
                continue
            if name == "RANGE" and isinstance(arg, tuple):
                yield arg[0], arg[1]
                continue
            item = arg
        if isinstance(item, list | tuple):
            yield from _code_points(item)
        elif isinstance(item, re_parser.SubPattern):
            yield from _code_points(item.data)


def _without_anchors(source: str) -> str:
    """``source`` with its anchors (^ $ \\A \\Z \\z outside character classes) taken out: in
    a window, `re` takes the window's edges for the string's ends."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(source):
        ch = source[i]
        if ch == "\\":
            pair = source[i : i + 2]
            if in_class or pair[1:] not in _RE_ANCHOR_ESCAPES:
                out.append(pair)
            i += 2
            continue
        if in_class:
            if ch == "]":
                in_class = False
        elif ch == "[":
            in_class = True
            out.append(ch)
            i += 1
            # a "]" first (after an optional "^") is a member, not the end
            if source.startswith("^", i):
                out.append("^")
                i += 1
            if source.startswith("]", i):
                out.append("]")
                i += 1
            continue
        elif ch in _RE_ANCHORS:
            i += 1
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def re_twin(pattern: re.Pattern[str]) -> Pattern | None:
    """A regex-module pattern the databases can hold for a stdlib ``re`` pattern that is searched
    in windows of a text (``search(text, pos, endpos)``, ``match``, ``fullmatch``): whatever
    ``pattern`` matches in any window of a `plain_text`, the twin's Hyperscan rewriting matches
    somewhere in the whole text, so when the databases show the twin absent, every such search
    finds nothing. None when no twin is made (the pattern is then always searched).

    * The anchors are taken out: at a window's end `re` matches ``$`` and ``\\Z``, which the
      whole text may not; `widen` drops lookarounds and word boundaries itself.
    * On a plain text the two modules agree: the same ASCII members of every class escape and of
      ``.``, the same ASCII case folding (tests/detectors/test_engine_twins.py checks each
      character); only \\s differs, on RE_ONLY_SPACES, which `plain_text` keeps out.
    * A pattern holding a character of ASCII_PARTNERS (as a literal or in a range) is not
      twinned, nor a verbose or ASCII-flagged one, nor one with "[[" or a "[:name:]" in its
      source (where the regex module may read a nested set or a POSIX class that `re` does not).
    """
    if re_parser is None or pattern.flags & (re.VERBOSE | re.ASCII | re.LOCALE):
        return None
    if "[[" in pattern.pattern or _POSIX_CLASS.search(pattern.pattern):
        return None
    try:
        parsed = re_parser.parse(pattern.pattern, pattern.flags)
    except re.error:
        return None
    for lo, hi in _code_points(parsed.data):
        if hi >= 0x80 and any(lo <= ord(ch) <= hi for ch in ASCII_PARTNERS):
            return None
    flags = 0
    for ours, theirs in ((re.I, regex.I), (re.M, regex.M), (re.S, regex.S)):
        if pattern.flags & ours:
            flags |= theirs
    try:
        return regex.compile(_without_anchors(pattern.pattern), flags)
    except regex.error:
        return None


def candidates_now(text: str) -> tuple[MultiScan, set[int]] | None:
    """The installed databases and the candidates of ``text`` (scanned now if need be), for a
    caller that asks about the text after the recognizers have forgotten it (`absent_in`)."""
    scan = _active[0]
    if scan is None:
        return None
    found = _current_found(scan, text)
    return None if found is None else (scan, found)


def absent_in(pattern: Pattern, scan: MultiScan, found: set[int]) -> bool:
    """Whether ``pattern`` is held by ``scan`` and not among ``found``, candidates ``scan`` gave."""
    pid = scan.pattern_id(pattern)
    return pid is not None and pid not in found


def _current_found(scan: MultiScan, text: str) -> set[int] | None:
    """The candidates of ``text``: the last text's if it is that one, else `_found`'s.
    (`absent` does the same inline: it is called hundreds of times a text.)"""
    cur = _current[0]
    return cur[1] if cur is not None and cur[0] is text else _found(scan, text)


def _found(scan: MultiScan, text: str) -> set[int] | None:
    """The candidates of ``text``: remembered since the last `forget`, or scanned now."""
    seen = _last.get(id(text))
    if seen is None or seen[0] is not text:
        if len(_last) >= KEEP_TEXTS:
            _last.clear()
        seen = _last[id(text)] = (text, scan.candidates(text))
    _current[0] = seen
    return seen[1]


def forget() -> None:
    """Drop the remembered texts (no message text stays referenced between messages)."""
    _last.clear()
    _current[0] = None
