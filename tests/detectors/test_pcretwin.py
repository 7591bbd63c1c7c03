"""PCRE2 twins (detectors/recognizers/pcretwin.py) find exactly the regex module's matches.

The two engines differ on characters (each test that shows a difference below shows it with
PCRE2's own reading), so the twins must never let PCRE2 decide about one: classes are checked
against every code point, the anchors and word boundaries on their edge cases, every twin of the
recognizers against the regex module on the corpora and on text seeded with the characters where
the engines part, and a scan's records with and without twins.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pytest
import regex

from bench.corpus.generate import generate as generate_messages
from detectors.config import DetectorConfig
from detectors.engine import recognizer_patterns
from detectors.extract import extract_message
from detectors.recognizers import base, multiscan, pcretwin
from gateway.cli.scan import Item, Scanner

pcre2 = pytest.importorskip("pcre2")
if not pcretwin.enabled():  # pragma: no cover - PHIGATE_PCRE2=0 or another binding
    pytest.skip("PCRE2 twins are off here", allow_module_level=True)

DEV = Path("/work/shared/corpus/dev")
EVERY = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
# Where the engines part (bench/regex_engines.py lists them): numbers other than digits, marks,
# script extensions, newer code points, folds, the Mongolian vowel separator; and line ends.
SEEDS = (
    "\u00b2", "\u00bd", "\u0130", "\u0131", "\u212a", "\u017f", "\u3001", "\u00b7", "\u180e",
    "\u0301", "\u05c8", "\u0488", "\u0295", "\U00011de0", "\ua7ce", "\r\n", "\n", "\t", "\u2028",
)  # fmt: skip


# ASCII texts are read by twins whose classes hold ASCII alone: word and non-word characters,
# digits, case, spaces and line ends put at the matches' edges.
ASCII_SEEDS = ("_", "-", "'", ".", "0", "a", "Z", " ", "\t", "\n", "\r\n", "@", "/", "\x7f")


def twin_of(source: str, flags: int = 0) -> object:
    pattern = regex.compile(source, flags)
    twin = pcretwin.compile_twin(pattern, pcretwin.translate(pattern))
    assert twin is not None, source
    return twin


def spans(pattern: regex.Pattern[str], text: str) -> list[tuple[tuple[int, int], ...]]:
    return [tuple(m.span(g) for g in range(pattern.groups + 1)) for m in pattern.finditer(text)]


@pytest.mark.parametrize(
    ("atom", "flags"),
    [
        (r"\w", 0),
        (r"\d", 0),
        (r"\s", 0),
        (r"\p{Lu}", 0),
        (r"\p{Lu}", regex.IGNORECASE),
        (r"\p{Han}", 0),
        (r"[^\s,;]", 0),
        (".", 0),
        ("i", regex.IGNORECASE),
        ("k", regex.IGNORECASE),
    ],
)
def test_a_class_has_the_regex_modules_members_at_every_code_point(atom: str, flags: int) -> None:
    twin = twin_of(atom, flags)
    assert set(twin.findall(EVERY)) == set(regex.findall(atom, EVERY, flags=flags))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("atom", "flags"),
    [
        (r"\w", 0),
        (r"\W", 0),
        (r"\s", 0),
        (r"\p{Lu}", regex.IGNORECASE),
        (r"[^\s,;]", 0),
        (".", 0),
        (r"\b", 0),
        ("k", regex.IGNORECASE),
        ("\u00e9", regex.IGNORECASE),  # no ASCII member: the ASCII twin's class matches nothing
    ],
)
def test_the_ascii_twin_has_the_regex_modules_members_at_every_ascii_code_point(
    atom: str, flags: int
) -> None:
    pattern = regex.compile(atom, flags)
    ascii_source = pcretwin.translate(pattern, ascii_only=True)
    twin = pcretwin.compile_twin(pattern, pcretwin.translate(pattern), ascii_source)
    assert twin is not None
    text = "".join(map(chr, range(128)))
    got = [m.span() for m in twin.ascii.finditer(text.encode())]  # type: ignore[attr-defined]
    assert got == [m.span() for m in pattern.finditer(text)]
    if atom == r"\w":  # the point of it: about 750 ranges become 4
        assert len(ascii_source) * 10 < len(pcretwin.translate(pattern))


def test_pcre2_alone_would_read_those_classes_otherwise() -> None:
    """Why the classes are written out: PCRE2's own \\w takes "²", its \\p{Han} takes "、", and
    it does not fold "İ" with "i" (so the test above can fail)."""
    for source, flags, text in (
        (r"\w", 0, "\u00b2"),
        (r"\p{Han}", 0, "\u3001"),
        ("i", 2, "\u0130"),
    ):
        own = pcre2.compile(source, pcre2.UNICODE | (pcre2.IGNORECASE if flags else 0))
        assert bool(own.findall(text)) != bool(regex.findall(source, text, flags=flags))
        assert bool(twin_of(source, flags).findall(text)) == bool(  # type: ignore[attr-defined]
            regex.findall(source, text, flags=flags)
        )


EDGES = ["", "a", "a\n", "\na\n", "b a\na\n", "a\r\n", "x\u00b2a", "a\u0301b", "\u180ea", "ab\n\n"]


@pytest.mark.parametrize(
    ("source", "flags"),
    [
        ("^a", 0),
        ("a$", 0),
        ("^a", regex.MULTILINE),
        ("a$", regex.MULTILINE),
        (r"$", regex.MULTILINE),
        (r"\ba", 0),
        (r"a\b", 0),
        (r"\Ba", 0),
        (r"\Aa", 0),
        (r"a\Z", 0),
        (".", 0),
        (".", regex.DOTALL),
        (r"(?i:A)(?-i:b)?", 0),
        (r"(?<![\w-])(\w)(?P<n>\w)?", 0),
    ],
)
def test_anchors_and_boundaries_on_their_edges(source: str, flags: int) -> None:
    pattern = regex.compile(source, flags)
    twin = twin_of(source, flags)
    for text in EDGES:
        got = [tuple(m.span(g) for g in range(pattern.groups + 1)) for m in twin.finditer(text)]  # type: ignore[attr-defined]
        assert got == spans(pattern, text), (source, text)


@pytest.mark.parametrize(
    "source",
    [r"(a)\1", r"(?:patient){e<=1}", r"(?x) a b", r"(?<=(a))b", r"a{", r"[[:alpha:]]", r"a(?i)b"],
)
def test_what_cannot_be_reproduced_gets_no_twin(source: str) -> None:
    with pytest.raises(pcretwin.Untranslatable):
        pcretwin.translate(regex.compile(source))


@pytest.fixture(scope="module")
def twins() -> dict[regex.Pattern[str], object]:
    built = pcretwin.build(recognizer_patterns(), cached=False)  # this code's translations
    assert len(built) > 100
    return built


def corpus_texts(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    folders = [DEV] if DEV.is_dir() else []
    work = tmp_path_factory.mktemp("pcretwin-corpus")
    generate_messages(work / "generated", 2, 14)
    folders.append(work / "generated")
    out: dict[str, None] = {}
    for folder in folders:
        for path in sorted(folder.glob("*.eml")):
            out.update((p.text, None) for p in extract_message(path.read_bytes()).parts)
    texts = [t for t in out if len(t) <= pcretwin.MAX_CHARS]
    rng = random.Random(14)
    seeded = []
    for text in rng.sample(texts, min(300, len(texts))):
        chars = list(text)
        for _ in range(6):
            chars.insert(rng.randrange(len(chars) + 1), rng.choice(SEEDS))
        seeded.append("".join(chars))
    return texts + seeded


def at_the_edges(
    pattern: regex.Pattern[str], texts: list[str], seeds: tuple[str, ...] = SEEDS
) -> list[str]:
    """Texts where ``pattern`` matches, with each of ``seeds`` put right before and right after
    its first matches and inside them: where a class or a boundary decides, if anywhere."""
    out: list[str] = []
    for text in texts:
        found = list(pattern.finditer(text))[:2]
        for m in found:
            for seed in seeds:
                for at in (m.start(), m.end(), (m.start() + m.end()) // 2):
                    out.append(text[:at] + seed + text[at:])
        if len(out) >= 400:
            break
    return out


def check_twins(twins: dict[regex.Pattern[str], object], texts: list[str]) -> tuple[int, int]:
    """Compare every twin with the regex module on ``texts`` and on their edge variants; return
    how many answers came from twins and how many texts were read."""
    used = read = 0
    plain = [t for t in texts if t.isascii()]
    for pattern in twins:
        edges = at_the_edges(pattern, texts) + at_the_edges(pattern, plain, ASCII_SEEDS)
        for text in texts + edges:
            read += 1
            found = pcretwin.matches(pattern, text)
            if found is None:
                continue
            used += 1
            got = [tuple(m.span(g) for g in range(pattern.groups + 1)) for m in found]
            assert got == spans(pattern, text), (pattern.pattern[:60], text[:40])
    return used, read


def test_every_twin_finds_the_regex_modules_matches(
    twins: dict[regex.Pattern[str], object], tmp_path_factory: pytest.TempPathFactory
) -> None:
    texts = corpus_texts(tmp_path_factory)
    assert len(texts) > 1000
    pcretwin.install(twins)
    try:
        used, read = check_twins(twins, texts)
    finally:
        pcretwin.install({})
    assert used > 0.9 * read


def test_a_scans_records_are_the_same_with_and_without_twins(
    twins: dict[regex.Pattern[str], object], tmp_path_factory: pytest.TempPathFactory
) -> None:
    work = tmp_path_factory.mktemp("pcretwin-scan")
    generate_messages(work, 2, 7)
    files = sorted(work.glob("*.eml")) + (sorted(DEV.glob("*.eml")) if DEV.is_dir() else [])
    scanner = Scanner(DetectorConfig(), text_mode=False)
    multiscan.start(wait=True)
    calls = {"twin": 0}
    real = pcretwin.matches

    def counting(
        pattern: regex.Pattern[str], text: str, timeout: float | None = None
    ) -> list[regex.Match[str]] | None:
        found = real(pattern, text, timeout)
        calls["twin"] += found is not None
        return found

    def records(with_twins: bool) -> list[tuple[object, ...]]:
        pcretwin.install(twins if with_twins else {})
        out = []
        for f in files:
            r = scanner.scan(Item(f.name, f.read_bytes()), False)
            out.append((r["band"], r["findings"], r["reasons"]))
        return out

    try:
        without = records(False)
        pcretwin.matches = counting  # type: ignore[assignment]
        with_twins = records(True)
    finally:
        pcretwin.matches = real  # type: ignore[assignment]
        pcretwin.install({})
    assert calls["twin"] > len(files)  # the twins were asked, and answered
    assert with_twins == without


def test_what_the_twin_cannot_take_goes_back_to_the_regex_module() -> None:
    pattern = regex.compile(r"(?<![\w])\d{3}(?![\w])")
    pcretwin.install({pattern: twin_of(pattern.pattern)})
    try:
        assert pcretwin.matches(pattern, "call 555 now") is not None
        long_text = "555 " * (pcretwin.MAX_CHARS // 4 + 1)
        assert pcretwin.matches(pattern, long_text) is None
        surrogate = "call 555 \udcff now"
        assert pcretwin.matches(pattern, surrogate) is None
        # base.finditer then asks the regex module: the same matches as ever
        for text in (long_text, surrogate):
            got = [m.span() for m in base.finditer(pattern, text, 5.0)]
            assert got == [m.span() for m in pattern.finditer(text)]
    finally:
        pcretwin.install({})


def test_engines_that_part_are_caught_at_the_match() -> None:
    """A twin that locates a match the regex module does not make (here, deliberately, the twin
    of another pattern) gives the text back instead of an answer."""
    pattern = regex.compile(r"\d{3}")
    pcretwin.install({pattern: twin_of(r"\d{2}")})
    try:
        assert pcretwin.matches(pattern, "12 345") is None
    finally:
        pcretwin.install({})


def test_a_runaway_twin_stops_at_its_limit() -> None:
    pattern = regex.compile(r"(a+)+$")
    pcretwin.install({pattern: twin_of(pattern.pattern)})
    try:
        assert pcretwin.matches(pattern, "a" * 40 + "b") is None
    finally:
        pcretwin.install({})


def test_off_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHIGATE_PCRE2", "0")
    assert not pcretwin.enabled()


def test_translations_are_kept_and_an_untrusted_file_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PHIGATE_CACHE_DIR", str(tmp_path))
    pattern = regex.compile(r"(?<![\w])\d{3}(?![\w])")
    right = pcretwin.translations([pattern])
    path = pcretwin._cache_path()  # noqa: SLF001 - the file under test
    assert path.is_file() and path.stat().st_mode & 0o077 == 0
    # Another user's hand in the file (a twin that never matches would let PHI through).
    tampered = {k: ["(?!)", "(?!)"] for k in right}
    path.write_bytes(gzip.compress(json.dumps(tampered).encode()))
    assert pcretwin.translations([pattern]) == tampered  # the file is read: it is ours
    path.chmod(0o666)
    assert pcretwin.translations([pattern]) == right  # writable by others: worked out again


def test_a_budgeted_pattern_keeps_its_budget_through_the_twin() -> None:
    """The pattern's time budget is read after each match the twin locates; with the budget
    spent the text goes back, and base.finditer answers RegexTimeout as it does without twins."""
    pattern = regex.compile(r"(\w+\s?)+x")
    assert base.needs_budget(pattern)
    pcretwin.install({pattern: twin_of(pattern.pattern)})
    try:
        assert [m.span() for m in pcretwin.matches(pattern, "ab cd x", 5.0) or []] == [(0, 7)]
        assert pcretwin.matches(pattern, "ab cd x", 0.0) is None
        with pytest.raises(base.RegexTimeout):
            list(base.finditer(pattern, "ab cd x", 0.0))
    finally:
        pcretwin.install({})


def test_a_pattern_that_matches_nearly_every_word_gets_no_twin(
    twins: dict[regex.Pattern[str], object],
) -> None:
    """Each match a twin locates is taken again by the regex module, so a twin of a pattern that
    matches every word costs more than it saves; such patterns keep the regex module."""
    every_word = regex.compile(r"(?<![\w'-])[A-Za-z][A-Za-z'-]{1,30}(?![\w])")
    assert pcretwin.dense(every_word)
    assert not pcretwin.dense(regex.compile(r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])"))
    assert every_word not in twins
    assert any(p.pattern == every_word.pattern for p in recognizer_patterns())
    assert pcretwin.build([every_word]) == {}


def test_a_pattern_too_large_for_pcre2_in_every_script_gets_a_twin_for_ascii_text() -> None:
    """Twenty alternatives of a letter-or-digit class spelt out over every script are past
    PCRE2's 64 KB of compiled pattern; their ASCII members alone are not. ASCII text is then
    read by the ASCII twin, with the regex module's matches, and other text by the regex module
    (`matches` answers None)."""
    pattern = regex.compile(
        "(" + "|".join(rf"[\p{{L}}\p{{N}}]{chr(97 + i)}\d" for i in range(20)) + ")"
    )
    twin = pcretwin.compile_twin(
        pattern, pcretwin.translate(pattern), pcretwin.translate(pattern, ascii_only=True)
    )
    assert twin is not None and twin.text is None
    pcretwin.install({pattern: twin})
    try:
        ascii_text = "Xa1 and 7c2, Zt9 but not a11"
        found = pcretwin.matches(pattern, ascii_text)
        assert found is not None
        assert [m.span() for m in found] == [(0, 3), (8, 11), (13, 16)]
        assert pcretwin.matches(pattern, "Éa1 and Xb2") is None  # not ASCII: the regex module
        assert [m.span() for m in base.finditer(pattern, "Éa1 and Xb2", 5.0)] == [(0, 3), (8, 11)]
    finally:
        pcretwin.install({})
