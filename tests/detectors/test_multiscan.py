"""The Hyperscan pass (detectors/recognizers/multiscan.py) never skips a pattern that matches.

Its rewriting is checked against the regex module itself: character by character for case
folding, on mutated examples of every construct the recognizers use, on every corpus text for
every pattern the databases hold, and on the engine's findings. Hyperscan ships for x86-64; on
that machine these tests must run, not skip.
"""

from __future__ import annotations

import os
import platform
import random
import threading
from pathlib import Path

import pytest
import regex

from detectors.engine import PhiEngine, recognizer_patterns
from detectors.extract import extract_message
from detectors.recognizers import multiscan
from detectors.recognizers.multiscan import MultiScan, Unsupported, widen

if platform.machine() == "x86_64":
    assert multiscan.hyperscan is not None, "hyperscan is a dependency on x86-64"
else:  # pragma: no cover - no wheel for this machine
    pytest.skip("Hyperscan has no wheel for this machine", allow_module_level=True)

DEV = Path("/work/shared/corpus/dev")


# ---- the rewriting, read by hand ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (r"(?<![\w])ab(?=c)", "ab(?:c)"),  # a negative lookaround goes; a trailing lookahead
        (r"(?<=x)ab(?!c)", "(?:x)ab"),  # and a leading lookbehind are consumed at the top
        (r"a(?=b)c", "ac"),  # a lookahead with more after it goes
        (r"a(?=b)(?=c)", "a(?:b)"),  # of two lookaheads at one place, one is kept
        (r"^(?<=x)a", r"\Aa"),  # a lookbehind after an anchor goes
        (r"(?:a(?=b))c|d(?=e)", r"(?:a)c|d(?:e)"),  # in a group: dropped; per alternative
        (r"a(?=b)?", "a"),  # a repeated lookaround goes
        (r"a(?=b(?=c)d)", "a(?:bd)"),  # inside a kept lookahead, lookarounds go
        (r"\bab\B", "ab"),  # so do word boundaries
        (r"(?i)k", "[Kk\\x{212a}]"),  # the Kelvin sign folds to k
        (r"(?i)x", "[Xx]"),
        (r"[A-C]", r"[\x{41}-\x{43}]"),  # a plain ASCII set stays as it is
        (r"[^A-C]", r"[\x{0}-\x{40}\x{44}-\x{7f}\x{80}-\x{10FFFF}]"),
        (r"\d", r"[\x{30}-\x{39}\x{80}-\x{10FFFF}]"),  # Arabic-Indic digits are \d too
        (r"a{2,40}", "a{2,}"),  # a long bound is dropped
        (r"a{0,5}?", "a{0,5}"),  # laziness does not change what can match
        (r"(?>a+)b", "(?:a+)b"),  # nor does atomicity, for the worse
        (r"^a$", r"\Aa"),  # outside multiline mode "$" may sit before a final newline
        (r"(?m)^a$", "^a$"),
        (r"(?P<x>a)|é", r"(?:a)|\x{e9}"),
        (r"(?x) a \  b  # note", r"a\x{20}b"),
        (r"(a)-\1", r"(?:a)\x{2d}[\x{0}-\x{10FFFF}]*"),  # a back-reference: anything
    ],
)
def test_widen_reads_each_construct(source: str, expected: str) -> None:
    assert widen(regex.compile(source)) == expected


@pytest.mark.parametrize("source", [r"(a)?(?(1)b|c)", r"(?:ab){e<=1}", r"\X", r"(?r)ab", r"a{"])
def test_what_widen_cannot_read_stays_out(source: str) -> None:
    with pytest.raises(Unsupported):
        widen(regex.compile(source))


def test_case_partners_are_every_fold_outside_ascii() -> None:
    """Derived from every code point: which non-ASCII characters a case-blind ASCII letter
    matches in the regex module. The rewriting adds exactly these."""
    letters = regex.compile(r"(?i)[a-z]")
    found: dict[str, str] = {}
    for cp in range(0x80, 0x110000):
        ch = chr(cp)
        if letters.fullmatch(ch):
            for a in "abcdefghijklmnopqrstuvwxyz":
                if regex.fullmatch(f"(?i){a}", ch):
                    found[a] = found.get(a, "") + ch
    assert found == multiscan.CASE_PARTNERS


# ---- every construct, against the regex module ---------------------------------------------------
# (pattern, an example it matches); the examples are mutated toward the characters where the
# regex module and a naive ASCII reading part ways
CONSTRUCTS: list[tuple[str, str]] = [
    (r"(?i)kelvin", "KELVIN"),
    (r"(?i)\bmass\b", "Mass"),
    (r"(?i:straße)", "STRASSE straße"),
    (r"(?i)σοφία", "ΣΟΦΊΑ"),
    (r"\w+é", "café"),
    (r"(?<![\w])\d{3}-\d{4}", "555-1234"),
    (r"[^\s,;]{3,}@x", "ann@x"),
    (r"(?m)^\s*Name:", "x\n  Name:"),
    (r"\p{Lu}\p{Ll}+ \p{Lu}\p{Ll}+", "Ann Lee"),
    (r"[\p{L}'’-]{2,30}", "O’Neil"),
    (r"(?:Dr|Mr)\.?\s+\p{Lu}", "Dr. Ö"),
    (r"(?s)a.b", "a\nb"),
    (r"a.b", "a-b"),
    (r"(?=ab)a", "ab"),
    (
        r"(?<![\w])\p{Lu}\p{Ll}+,?[ \t](?=\d{1,3}[ \t]?[MF](?![\w&])|(?:is|was) allergic)",
        "Ann 45 F",
    ),
    (r"(?<=[,\t|])[ \t]{0,3}\p{Lu}{2}(?=\b)", "x,\tAB"),
    (r"x(?=y)|(?<=\d)z(?=\w)", "1zé"),
    (r"\d(?=\d{2})\d", "123"),  # a lookahead with more after it must not be consumed
    (r"\p{Ll}(?<=[a-c]\p{Ll})\d", "ab7"),  # nor a lookbehind with something before it
    (r"(?>a+)b", "aab"),
    (r"a{2,40}b", "aaab"),
    (r"(?i)[a-k]{2}", "Kk"),
    (r"\s\S\W\D", " x,y"),
    (r"\$\d+", "$12"),
    (r"colou?r$", "color"),
    (r"^abc", "abc"),
    (r"\N{EM DASH}x", "—x"),
    (r"\u00e9t\xe9", "été"),
    (r"(?i)[[:alpha:]]{3}", "abc"),
    (r"(?x) a \  b  # comment", "a b"),
    (r"(?i)\p{Lu}{2}", "ab"),
    (r"(\d)-\1", "7-7"),
    (r"(?P<s>[*|])a(?P=s)", "*a*"),
]
TRICKY = "aAkKsSxX\u212a\u017fßẞσςΣé\u00c9e\u0301٣3 \t\n\xa0\x85\u2028,;@.-'’:$—"


def mutations(example: str, rng: random.Random, n: int) -> list[str]:
    """``example`` with characters flipped in case, swapped for tricky ones, added or removed."""
    out = [example]
    for _ in range(n):
        chars = list(example)
        for _ in range(rng.randint(1, 3)):
            op = rng.random()
            i = rng.randrange(len(chars) + 1)
            if op < 0.3 and i < len(chars):
                chars[i] = chars[i].swapcase()
            elif op < 0.6 and i < len(chars):
                chars[i] = rng.choice(TRICKY)
            elif op < 0.8:
                chars.insert(i, rng.choice(TRICKY))
            elif i < len(chars):
                del chars[i]
        out.append("".join(chars))
    return out


def variants(example: str) -> list[str]:
    """``example`` with each character in turn swapped for each of its tricky stand-ins: its
    other case, a character outside ASCII that folds to it, an accented letter, a digit or a
    space from another script."""
    out = []
    for i, c in enumerate(example):
        subs = {c.swapcase(), "é", "Ö", "\u0301"}
        subs |= set(multiscan.CASE_PARTNERS.get(c.lower(), ""))
        subs |= {"\u0663"} if c.isdigit() else set()
        subs |= {"\xa0", "\u2028"} if c.isspace() else set()
        out.extend(example[:i] + s + example[i + 1 :] for s in subs)
    return out


def misses(scan: MultiScan, texts: list[str]) -> list[tuple[str, str]]:
    """(pattern, text) pairs where the pattern matches but the databases said it cannot."""
    out = []
    for text in texts:
        found = scan.candidates(text)
        assert found is not None
        for pid, pattern in scan.held.items():
            if pid not in found and pattern.search(text) is not None:
                out.append((pattern.pattern, text))
    return out


@pytest.fixture(scope="module")
def construct_scan() -> MultiScan:
    return MultiScan([regex.compile(p) for p, _ in CONSTRUCTS], cache=False)


def test_every_construct_is_rewritten(construct_scan: MultiScan) -> None:
    assert construct_scan.size == len(CONSTRUCTS)


def test_no_construct_is_skipped_where_it_matches(construct_scan: MultiScan) -> None:
    rng = random.Random(7)
    texts = [t for _, example in CONSTRUCTS for t in mutations(example, rng, 150)]
    texts += [t for _, example in CONSTRUCTS for t in variants(example)]
    texts += ["".join(rng.choice(TRICKY) for _ in range(rng.randint(0, 12))) for _ in range(2000)]
    matched = sum(1 for t in texts for p in construct_scan.held.values() if p.search(t))
    assert matched > 2000  # the mutations keep matching often enough to test something
    assert misses(construct_scan, texts) == []


def test_a_rewriting_that_narrows_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check can fail: forget the Kelvin sign and the long s, or let classes hold ASCII
    only, and the mutated examples find what the databases wrongly skip."""
    texts = [t for _, example in CONSTRUCTS for t in variants(example)]
    monkeypatch.setattr(multiscan, "CASE_PARTNERS", {})
    monkeypatch.setattr(multiscan, "_NON_ASCII", r"\x{80}-\x{9f}")
    narrow = MultiScan([regex.compile(p) for p, _ in CONSTRUCTS], cache=False)
    lost = {p for p, _ in misses(narrow, texts)}
    assert r"(?i)kelvin" in lost
    assert r"\p{Lu}\p{Ll}+ \p{Lu}\p{Ll}+" in lost


def test_consuming_a_lookaround_in_the_middle_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check can fail for lookarounds too: consume every positive lookaround, not only the
    ones at an alternative's ends, and the examples find what the databases wrongly skip."""
    texts = [t for _, example in CONSTRUCTS for t in variants(example)]
    texts += [example for _, example in CONSTRUCTS]
    real = multiscan.widen

    def consume_all(p: regex.Pattern[str]) -> str:
        source = p.pattern.replace("(?=", "(?:").replace("(?<=", "(?:")
        return real(regex.compile(source, p.flags))

    monkeypatch.setattr(multiscan, "widen", consume_all)
    careless = MultiScan([regex.compile(p) for p, _ in CONSTRUCTS], cache=False)
    lost = {p for p, _ in misses(careless, texts)}
    assert r"\d(?=\d{2})\d" in lost
    assert r"\p{Ll}(?<=[a-c]\p{Ll})\d" in lost


# ---- the recognizers' own patterns, on the corpora ----------------------------------------------
@pytest.fixture(scope="module")
def shared_scan() -> MultiScan:
    """The databases the engine uses (loaded from the cache `make install` fills)."""
    multiscan.start(recognizer_patterns, wait=True)
    scan = multiscan.active()
    assert scan is not None
    return scan


def corpus_texts() -> list[str]:
    from bench.spans.generate import generate as generate_spans

    texts = [row["text"] for row in generate_spans(seed=21)][:400]
    if DEV.is_dir():
        for path in sorted(DEV.glob("*.eml")):
            texts.extend(p.text for p in extract_message(path.read_bytes()).parts)
    return texts


def test_the_databases_hold_nearly_every_pattern(shared_scan: MultiScan) -> None:
    patterns = recognizer_patterns()
    unique = {(p.pattern, p.flags) for p in patterns}
    assert len(unique) > 250
    assert shared_scan.size >= 0.95 * len(unique)


def test_no_recognizer_pattern_is_skipped_where_it_matches(shared_scan: MultiScan) -> None:
    texts = corpus_texts()
    assert len(texts) > 300
    assert misses(shared_scan, texts) == []


def test_the_pass_skips_most_scans(shared_scan: MultiScan) -> None:
    """Not vacuous: most patterns are shown absent from most texts."""
    texts = corpus_texts()
    absent = sum(shared_scan.size - len(shared_scan.candidates(t) or ()) for t in texts)
    assert absent > 0.6 * shared_scan.size * len(texts)


def test_findings_are_the_same_with_and_without_the_pass(shared_scan: MultiScan) -> None:
    if not DEV.is_dir():
        pytest.skip("the shared dev corpus is not here")
    engine = PhiEngine()
    messages = [extract_message(p.read_bytes()).parts for p in sorted(DEV.glob("*.eml"))]
    with_pass = [engine.analyze(parts) for parts in messages]
    multiscan.install(None)
    try:
        without = [engine.analyze(parts) for parts in messages]
    finally:
        multiscan.install(shared_scan)
    assert with_pass == without


def test_a_long_text_costs_the_names_one_pass(
    shared_scan: MultiScan, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name recognizer reads a long text's last lines as one slice, and asks no pass of its
    own about that slice (a pass over 400 characters cost more than its two sign-off patterns):
    one pass over the text, and the sign-offs that only those patterns see (a name over a job
    title, a name over its organisation and phone, with no closing above) still found."""
    from detectors.recognizers.names import NameRecognizer

    body = "Please see the notes below about the clinic move.\n" * 20
    passes: list[int] = []
    real = MultiScan.candidates

    def counted(self: MultiScan, t: str) -> set[int] | None:
        passes.append(len(t))
        return real(self, t)

    monkeypatch.setattr(MultiScan, "candidates", counted)
    for tail in ("Ann Lee\nPractice Manager\n", "Ann Lee\nHale Street Surgery\n01632 960123\n"):
        text = body + tail
        assert len(text) > 600
        passes.clear()
        multiscan.forget()
        found = NameRecognizer().analyze(text, 1.0)
        assert any(text[m.start : m.end] == "Ann Lee" and m.role == "staff" for m in found), tail
        assert passes == [len(text)]


class _Untouchable(tuple):  # type: ignore[type-arg]
    """A gate's word list that fails the test if anything reads it."""

    def __iter__(self):  # type: ignore[no-untyped-def]
        raise AssertionError("the gate was read although the pass shows its pattern absent")


class _UnsearchablePattern:
    def search(self, *args: object) -> None:
        raise AssertionError("the gate was searched although the pass shows its pattern absent")


def test_gates_that_read_the_whole_text_wait_for_the_pass(
    shared_scan: MultiScan, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three recognizer steps searched a long text for their gate's words before the pattern
    the gate guards, which the pass may already show absent: the lab results told to the
    reader in other languages, a table's name column, a surname with a date of birth. They now
    ask the pass first and read nothing more of a text it clears; on a text it does not clear,
    each still finds its match."""
    from detectors.recognizers import health, names

    plain = "La la la la la la la la la la la la la la la la la la la la la la la la la.\n" * 70
    for pattern in (health.YOUR_RESULTS_INTL, names.TABLE_NAME_CELL, names.SURNAME_INITIAL_DATE):
        multiscan.forget()
        assert multiscan.absent(pattern, plain)
    monkeypatch.setattr(health, "_YOUR_RESULTS_GATE", _Untouchable(health._YOUR_RESULTS_GATE))
    monkeypatch.setattr(names, "_NAME_HEADER_WORDS", _Untouchable(names._NAME_HEADER_WORDS))
    monkeypatch.setattr(names, "FULL_DATE_GATE", _UnsearchablePattern())
    multiscan.forget()
    assert health.LabRecognizer().analyze(plain, 1.0) == []
    assert names.NameRecognizer().analyze(plain, 1.0) == []
    multiscan.forget()
    monkeypatch.undo()
    told = "Bonjour,\nvos résultats d'analyse sont disponibles.\n"
    assert any(m.role == "reader" for m in health.LabRecognizer().analyze(told, 1.0)), (
        "the reader's results in French"
    )
    table = "Name,Date of birth,Ward\nAnn Lee,02/03/1950,4B\nTom Hale,11/12/1948,4C\n"
    found = names.NameRecognizer().analyze(table, 1.0)
    assert {table[m.start : m.end] for m in found if m.role == "list"} >= {"Ann Lee", "Tom Hale"}
    multiscan.forget()


def test_absent_only_for_patterns_held(shared_scan: MultiScan) -> None:
    mine = regex.compile(r"zq\d{7}zq")  # a pattern of no recognizer: never skipped
    assert not multiscan.absent(mine, "nothing here")
    held = next(iter(shared_scan.held.values()))
    multiscan.install(None)
    try:
        assert not multiscan.absent(held, "")
    finally:
        multiscan.install(shared_scan)


def test_absent_answers_for_the_text_asked_about(shared_scan: MultiScan) -> None:
    """`absent` remembers the last text's candidates; asking about texts in turn (and from two
    threads at once) must never answer one text with another's candidates."""
    texts = corpus_texts()[:120]
    patterns = list(shared_scan.held.values())
    want = {
        (i, k): (found := shared_scan.candidates(t)) is not None
        and shared_scan.by_key[(p.pattern, int(p.flags))] not in found
        for i, t in enumerate(texts)
        for k, p in enumerate(patterns)
    }
    # the answers differ from text to text, or this would prove nothing
    assert len({tuple(want[(i, k)] for k in range(len(patterns))) for i in range(10)}) > 3
    got: list[dict[tuple[int, int], bool]] = [{}, {}]

    def ask(n: int, order: list[int]) -> None:
        for k, p in enumerate(patterns):
            for i in order:  # every pattern over every text: the text changes on each call
                got[n][(i, k)] = multiscan.absent(p, texts[i])
            multiscan.forget()

    order = list(range(len(texts)))
    threads = [
        threading.Thread(target=ask, args=(0, order)),
        threading.Thread(target=ask, args=(1, order[::-1])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [want, want]


def test_threads_get_their_own_scratch(shared_scan: MultiScan) -> None:
    texts = corpus_texts()[:200]
    want = [shared_scan.candidates(t) for t in texts]
    got: list[list[set[int] | None]] = [[], []]

    def run(k: int) -> None:
        got[k] = [shared_scan.candidates(t) for t in texts]

    threads = [threading.Thread(target=run, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [want, want]


def test_a_text_that_is_not_utf8_is_never_skipped(shared_scan: MultiScan) -> None:
    assert shared_scan.candidates("lone \ud800 surrogate") is None
    assert not multiscan.absent(next(iter(shared_scan.held.values())), "lone \ud800 surrogate")


# ---- the cache -------------------------------------------------------------------------------
def test_compiled_databases_are_kept_and_found_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHIGATE_CACHE_DIR", str(tmp_path))
    patterns = [regex.compile(p) for p, _ in CONSTRUCTS]
    first = MultiScan(patterns)
    files = list((tmp_path / "multiscan").glob("*.hsdb"))
    assert len(files) == 1

    def no_compile(sources: list[str]) -> list[object]:
        raise AssertionError("compiled again although the cache holds the databases")

    monkeypatch.setattr(MultiScan, "_compile_all", staticmethod(no_compile))
    again = MultiScan(list(reversed(patterns)))  # found in any order
    assert [again.candidates(e) for _, e in CONSTRUCTS] == [
        first.candidates(e) for _, e in CONSTRUCTS
    ]


def test_a_damaged_cache_file_is_compiled_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHIGATE_CACHE_DIR", str(tmp_path))
    patterns = [regex.compile(p) for p, _ in CONSTRUCTS]
    MultiScan(patterns)
    (path,) = (tmp_path / "multiscan").glob("*.hsdb")
    path.write_bytes(path.read_bytes()[:100])
    scan = MultiScan(patterns)
    assert scan.candidates("KELVIN") is not None
    assert scan.size == len(CONSTRUCTS)
    assert len(path.read_bytes()) > 100  # written whole again


def test_old_cache_files_are_pruned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHIGATE_CACHE_DIR", str(tmp_path))
    folder = tmp_path / "multiscan"
    folder.mkdir()
    for n in range(6):  # stale files of earlier pattern sets, oldest first
        old = folder / f"old{n}.hsdb"
        old.write_bytes(b"x")
        os.utime(old, (1_000_000 + n, 1_000_000 + n))
    MultiScan([regex.compile(p) for p, _ in CONSTRUCTS])
    kept = sorted(f.name for f in folder.glob("*.hsdb"))
    assert len(kept) == multiscan.KEEP_FILES
    assert {"old5.hsdb", "old4.hsdb", "old3.hsdb"} <= set(kept)  # the newest stale ones stay


def test_a_cache_file_others_may_write_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database that wrongly said "absent" would let PHI through, so a file another user could
    have planted or changed is compiled anew, never read."""
    monkeypatch.setenv("PHIGATE_CACHE_DIR", str(tmp_path))
    patterns = [regex.compile(p) for p, _ in CONSTRUCTS]
    MultiScan(patterns)
    (path,) = (tmp_path / "multiscan").glob("*.hsdb")
    assert (tmp_path / "multiscan").stat().st_mode & 0o077 == 0  # the folder is the owner's
    compiled: list[int] = []
    real = MultiScan._compile_all

    def counting(patterns: list[regex.Pattern[str]]) -> list[tuple[list[int], object]]:
        compiled.append(len(patterns))
        return real(patterns)

    monkeypatch.setattr(MultiScan, "_compile_all", staticmethod(counting))
    path.chmod(0o666)
    MultiScan(patterns)
    assert compiled == [len(CONSTRUCTS)]  # group- and world-writable: compiled again
    path.chmod(0o644)
    MultiScan(patterns)
    assert compiled == [len(CONSTRUCTS)]  # the owner's alone: read


def test_a_failed_scan_skips_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should Hyperscan fail on a text, every pattern is scanned on it (nothing is skipped)."""
    scan = MultiScan([regex.compile(p) for p, _ in CONSTRUCTS], cache=False)
    assert scan.candidates("nothing") is not None

    class Broken:
        def scan(self, *args: object, **kwargs: object) -> None:
            raise multiscan.hyperscan.error("scratch in use")

    monkeypatch.setattr(scan, "dbs", [Broken()] * len(scan.dbs))
    assert scan.candidates("nothing") is None
    previous = multiscan.active()
    multiscan.install(scan)
    try:
        assert not multiscan.absent(next(iter(scan.held.values())), "nothing at all")
    finally:
        multiscan.install(previous)


def test_absent_of_answers_as_absent_does_pattern_by_pattern(shared_scan: MultiScan) -> None:
    """`absent_of` asks about a tuple of patterns at once; each answer must be what the
    candidates say of that pattern, a pattern the databases do not hold is never skipped, and
    without databases nothing is."""
    texts = corpus_texts()[:80]
    mine = regex.compile(r"zq\d{7}zq")  # held by no database
    patterns = (*list(shared_scan.held.values())[:60], mine)
    answers = []
    for t in texts:
        found = shared_scan.candidates(t)
        want = [
            found is not None
            and p is not mine
            and shared_scan.by_key[(p.pattern, int(p.flags))] not in found
            for p in patterns
        ]
        got = multiscan.absent_of(patterns, t)
        assert got == want
        answers.append(tuple(want))
    multiscan.forget()
    # the texts differ in what they may match, or this would prove nothing
    assert len(set(answers)) > 3
    # a new tuple of the same patterns (another recognizer's) gets ids of its own
    other = tuple(reversed(patterns))
    assert multiscan.absent_of(other, texts[0]) == list(reversed(answers[0]))
    multiscan.install(None)
    try:
        assert multiscan.absent_of(patterns, texts[0]) is None
    finally:
        multiscan.install(shared_scan)
