"""The engine's own `re` patterns, skipped where Hyperscan shows their twins absent.

`multiscan.re_twin` makes a regex-module pattern for a stdlib `re` pattern that the engine
searches in windows of a text; `engine._absent` skips the search when the databases show the
twin absent from the whole text. Skipping must never change what a search finds: these tests
check the reasons it holds (the anchors, the two modules' agreement on plain text, the folding
partners) one by one, then the engine's findings with and without the skipping.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import regex

import detectors.engine as engine_module
from bench.corpus.generate import generate as generate_messages
from detectors.config import DetectorConfig
from detectors.engine import PhiEngine, recognizer_patterns
from detectors.extract import extract_message
from detectors.recognizers import multiscan
from detectors.recognizers.multiscan import (
    ASCII_PARTNERS,
    RE_ONLY_SPACES,
    MultiScan,
    plain_text,
    re_twin,
)

DEV = Path("/work/shared/corpus/dev")
pytestmark = pytest.mark.skipif(not multiscan.enabled(), reason="Hyperscan is not installed")


def test_anchors_are_taken_out_and_nothing_else() -> None:
    cases = {
        r"^ab$": "ab",
        r"(?m)^Dear\s+\w+,?$": r"(?m)Dear\s+\w+,?",
        r"[$^]x\$\^": r"[$^]x\$\^",  # members and escaped characters stay
        r"[]$]y\Z": r"[]$]y",
        r"[^]^]z\A": r"[^]^]z",
        r"a\\$": r"a\\",  # an escaped backslash, then an anchor
        r"\bword\b(?=\.)$|\Zfoo": r"\bword\b(?=\.)|foo",
    }
    for source, want in cases.items():
        twin = re_twin(re.compile(source))
        assert twin is not None and twin.pattern == want, source


def test_a_window_end_is_no_end_of_the_text() -> None:
    """Why the anchors go: `re` matches `$` at a window's end, which the whole text may not.
    With the anchor kept, the databases would call the pattern absent from a text in whose
    window it matches."""
    pattern = re.compile(r"(?m)\bcode\s*$")
    text = "the code word"
    assert pattern.search(text, 0, 8) is not None  # "the code" ends the window
    assert pattern.search(text) is None
    twin = re_twin(pattern)
    assert twin is not None
    kept = regex.compile(pattern.pattern)
    scan = MultiScan([twin, kept], cache=False)
    found = scan.candidates(text)
    assert found is not None
    assert multiscan.absent_in(kept, scan, found)  # the anchored form would have skipped it
    assert not multiscan.absent_in(twin, scan, found)


def test_folding_partners_are_every_character_that_folds_to_ascii() -> None:
    want = {
        chr(c)
        for c in range(0x80, sys.maxunicode + 1)
        if any(ch.isascii() for ch in chr(c).lower() + chr(c).upper() + chr(c).casefold())
    }
    assert want == ASCII_PARTNERS


def test_no_twin_where_the_modules_may_fold_apart() -> None:
    assert re_twin(re.compile("(?i)cla\u017fs")) is None  # the long s folds to "s"
    assert re_twin(re.compile("(?i)[\u0100-\u0180]")) is None  # a range holding it
    assert re_twin(re.compile("\u212aelvin")) is None  # the Kelvin sign
    assert re_twin(re.compile("x # a comment", re.VERBOSE)) is None
    assert re_twin(re.compile(r"\w+", re.ASCII)) is None
    with pytest.warns(FutureWarning):  # re itself warns of a possible nested set
        nested = re.compile(r"[[:alpha:]]+")
    assert re_twin(nested) is None  # a POSIX class to the regex module
    assert re_twin(re.compile(r"x[:alpha:]")) is None  # the same, outside a set
    assert re_twin(re.compile(r"no[:#-]?\s*$")) is not None  # a set that opens with ":"
    twin = re_twin(re.compile("(?i)Tom\u2019s"))  # a character with no ASCII partner is fine
    assert twin is not None and twin.search("TOM\u2019S") is not None


def test_the_modules_agree_on_plain_characters_but_the_separators() -> None:
    """On ASCII text the two modules' classes and case folding agree, except that \\s of `re`
    also takes RE_ONLY_SPACES, which `plain_text` keeps out."""
    probes = [r"\w", r"\W", r"\d", r"\D", r"\s", r"\S", r".", r"[a-z]", r"[^A-Z0-9_]"]
    differ: set[str] = set()
    for probe in probes:
        for flags in (0, re.I):
            ours = re.compile(probe, flags)
            theirs = regex.compile(probe, regex.I if flags else 0)
            for c in range(128):
                if bool(ours.fullmatch(chr(c))) != bool(theirs.fullmatch(chr(c))):
                    differ.add(chr(c))
    for a in range(128):  # every letter against every other, case-blind
        ours = re.compile(re.escape(chr(a)), re.I)
        theirs = regex.compile(regex.escape(chr(a)), regex.I)
        for c in range(128):
            if bool(ours.fullmatch(chr(c))) != bool(theirs.fullmatch(chr(c))):
                differ.add(chr(c))
    assert differ == set(RE_ONLY_SPACES)
    assert not plain_text("a\x1fb") and not plain_text("caf\u00e9") and plain_text("plain")


@pytest.fixture(scope="module")
def engine() -> PhiEngine:
    multiscan.start(recognizer_patterns, wait=True)
    return PhiEngine(DetectorConfig())


def test_every_gated_pattern_has_a_twin_the_databases_hold(engine: PhiEngine) -> None:
    scan = multiscan.active()
    assert scan is not None
    assert set(engine_module._TWINS) == set(engine_module._GATED)
    assert all(scan.pattern_id(t) is not None for t in engine_module._TWINS.values())


def _messages(tmp: Path) -> list[bytes]:
    generate_messages(tmp, 2, 5)
    paths = sorted(tmp.rglob("*.eml"))
    if DEV.is_dir():
        paths += sorted(DEV.glob("*.eml"))
    return [p.read_bytes() for p in paths]


def test_skipping_changes_no_finding_and_no_decision(
    engine: PhiEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raws = _messages(tmp_path)
    asked: list[bool] = []
    absent = engine_module._absent

    def counted(pattern: re.Pattern[str], text: str) -> bool:
        asked.append(absent(pattern, text))
        return asked[-1]

    monkeypatch.setattr(engine_module, "_absent", counted)
    skipped = [engine.analyze(extract_message(raw).parts) for raw in raws]
    # the skipping happened, or the comparison below would prove nothing
    assert sum(asked) > len(raws)
    monkeypatch.setattr(engine_module, "_TWIN_OF", {})
    searched = [engine.analyze(extract_message(raw).parts) for raw in raws]
    assert skipped == searched
    assert not engine_module._SCANNED  # no text stays referenced after a message


def test_no_window_search_finds_what_a_skip_would_drop(engine: PhiEngine) -> None:
    """Over the dev corpus's plain texts: wherever the databases show a twin absent, its pattern
    finds nothing in the whole text nor in any window of it (every start, four widths)."""
    if not DEV.is_dir():
        pytest.skip("no dev corpus")
    scan = multiscan.active()
    assert scan is not None
    checked = 0
    for path in sorted(DEV.glob("*.eml"))[:60]:
        for part in extract_message(path.read_bytes()).parts:
            text = part.text
            found = scan.candidates(text) if plain_text(text) else None
            if found is None:
                continue
            for pattern, twin in engine_module._TWINS.items():
                if not multiscan.absent_in(twin, scan, found):
                    continue
                checked += 1
                assert pattern.search(text) is None
                for lo in range(len(text)):
                    for width in (1, 20, 60, 120):
                        hi = min(len(text), lo + width)
                        assert pattern.search(text, lo, hi) is None, (pattern.pattern, lo, hi)
                        assert pattern.match(text, lo, hi) is None
    assert checked > 100
