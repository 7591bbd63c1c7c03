"""Which patterns the Hyperscan databases hold: every pattern the recognizers ask about, and not
the ones the code only runs itself (`multiscan.direct_only`)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import regex

import detectors.engine as engine_module
from bench.corpus.generate import generate as generate_messages
from bench.spans.generate import generate as generate_spans
from detectors.engine import PhiEngine
from detectors.extract import extract_message
from detectors.recognizers import multiscan

DEV = Path("/work/shared/corpus/dev")
REPO = Path(__file__).resolve().parents[2]


def _key(p: regex.Pattern[str]) -> tuple[str, int]:
    return p.pattern, int(p.flags)


@pytest.fixture(scope="module")
def asked(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, int]]:
    """Every pattern the engine asks `absent` about, over the dev corpus (when here), freshly
    generated messages and sentences. `absent` answers "maybe" throughout, so every pattern the
    recognizers would consult is reached and scanned."""
    seen: set[tuple[str, int]] = set()

    def record(pattern: regex.Pattern[str], text: str) -> bool:
        seen.add(_key(pattern))
        return False

    mp = pytest.MonkeyPatch()
    mp.setattr(multiscan, "absent", record)
    try:
        engine = PhiEngine()
        work = tmp_path_factory.mktemp("held-corpus")
        generate_messages(work, 2, 31)
        paths = sorted(work.glob("*.eml"))
        if DEV.is_dir():
            paths += sorted(DEV.glob("*.eml"))
        for path in paths:
            engine.analyze(extract_message(path.read_bytes()).parts)
        for row in list(generate_spans(seed=31))[:300]:
            engine.analyze_text(row["text"], full=True)
    finally:
        mp.undo()
    assert len(seen) > 100
    return seen


# What the databases are built from, read in a fresh process as at start-up: the sweep walks the
# modules' containers, and some fill as text is scanned (the time-budget memo), so in this process
# they would hold patterns the sweep of a fresh one does not.
_SWEEP = """
import json
import detectors.recognizers as package
from detectors.config import DetectorConfig
from detectors.engine import _TWINS, recognizer_patterns
from detectors.recognizers import default_recognizers, multiscan

def keys(patterns):
    return sorted({(p.pattern, int(p.flags)) for p in patterns})

# the recognizers' patterns and the twins of the engine's own windowed ones (engine._absent)
every = (
    multiscan.module_patterns(package)
    + multiscan.patterns_in(default_recognizers(DetectorConfig()))
    + list(_TWINS.values())
)
print(json.dumps({"every": keys(every), "held": keys(recognizer_patterns())}))
"""


@pytest.fixture(scope="module")
def sweep() -> dict[str, set[tuple[str, int]]]:
    """Every pattern the sweep finds, and those the databases are built from."""
    out = subprocess.run(
        [sys.executable, "-c", _SWEEP],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        timeout=120,
    )
    found = json.loads(out.stdout)
    return {k: {(p, f) for p, f in v} for k, v in found.items()}


def test_every_pattern_asked_about_is_held(
    asked: set[tuple[str, int]], sweep: dict[str, set[tuple[str, int]]]
) -> None:
    left_out = (asked & sweep["every"]) - sweep["held"]
    assert left_out == set()


def test_patterns_nothing_asks_about_are_left_out(
    asked: set[tuple[str, int]], sweep: dict[str, set[tuple[str, int]]]
) -> None:
    """Not vacuous: a good share of the sweep is left out, and none of it was asked about."""
    every, held = sweep["every"], sweep["held"]
    assert held < every
    assert len(every - held) > 0.15 * len(every)
    # read before a name the recognizer found: `_TITLE_BEFORE.search(text, lo, hi)`
    from detectors.recognizers.names import _TITLE_BEFORE

    assert _key(_TITLE_BEFORE) in every and _key(_TITLE_BEFORE) not in held


# ---- the reading, on a source tree of its own ----------------------------------------------------
SOURCE = """
import regex
from other import handed as renamed

SEARCHED = regex.compile("a")
SCANNED = regex.compile("b")
BOTH = regex.compile("c")
CONTEXT = regex.compile("d")
TUPLED = regex.compile("e")


def use(text, rec):
    SEARCHED.search(text)
    SEARCHED.fullmatch(text, 0, 4)
    list(finditer(SCANNED, text, 1.0))
    BOTH.match(text)
    finditer(BOTH, text, 1.0)
    has_context(CONTEXT, text, 0, 3)
    if rec.window is not None and rec.window.search(text):
        pass
    for p in (TUPLED,):
        p.search(text)
    return rec.scanned
"""


def _tree(root: Path, source: str = SOURCE) -> Path:
    (root / "pkg").mkdir(parents=True, exist_ok=True)
    (root / "pkg" / "mod.py").write_text(source)
    (root / "pkg" / "other.py").write_text("handed = 1\nprint(handed)\n")
    return root / "pkg"


@pytest.fixture
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder of the test's own, where `direct_only` keeps its reading."""
    monkeypatch.setenv("PHIGATE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(multiscan, "_direct_seen", {}, raising=False)  # nor what was read before
    return tmp_path / "cache" / "multiscan"


@pytest.mark.usefixtures("private_cache")
def test_direct_only_reads_each_use(tmp_path: Path) -> None:
    found = multiscan.direct_only(_tree(tmp_path))
    assert {"SEARCHED", "CONTEXT", "window"} <= found
    # handed to finditer, put in a tuple, read bare, or imported under another name
    assert not {"SCANNED", "BOTH", "TUPLED", "scanned", "handed", "renamed"} & found


def test_the_reading_is_kept_and_read_again_after_a_change(
    tmp_path: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _tree(tmp_path)
    first = multiscan.direct_only(root)
    kept = list(private_cache.glob("direct-*.json"))
    assert len(kept) == 1
    assert set(json.loads(kept[0].read_text())) == first

    def no_parse(*args: object, **kwargs: object) -> ast.Module:
        raise AssertionError("the source was read again")

    with monkeypatch.context() as patched:
        patched.setattr(multiscan.ast, "parse", no_parse)
        assert multiscan.direct_only(root) == first
    _tree(tmp_path, SOURCE + "\nfinditer(SEARCHED, '', 1.0)\n")
    changed = multiscan.direct_only(root)
    assert "SEARCHED" not in changed and "CONTEXT" in changed


@pytest.mark.usefixtures("private_cache")
def test_source_that_cannot_be_read_leaves_every_pattern_held(tmp_path: Path) -> None:
    root = _tree(tmp_path, SOURCE + "\ndef broken(:\n")
    assert multiscan.direct_only(root) == frozenset()


def test_a_cached_reading_others_may_write_is_not_read(tmp_path: Path, private_cache: Path) -> None:
    root = _tree(tmp_path)
    first = multiscan.direct_only(root)
    (kept,) = private_cache.glob("direct-*.json")
    kept.write_text(json.dumps(["SCANNED"]))
    kept.chmod(0o666)
    multiscan._direct_seen.clear()  # as a new process would find it
    assert multiscan.direct_only(root) == first


@pytest.mark.usefixtures("private_cache")
def test_two_threads_read_the_source_one_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The databases' and the twins' builds ask on two threads at once; CPython 3.11 can fail
    `ast.parse` run on two threads together, which left a process without its databases."""
    root = _tree(tmp_path)
    files = len(list(root.rglob("*.py")))
    parse = ast.parse
    inside = [0]
    most = [0]
    calls = [0]
    count = threading.Lock()

    def slow_parse(*args: Any, **kwargs: Any) -> ast.Module:
        with count:
            inside[0] += 1
            calls[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.05)  # long enough for the other thread to arrive
        try:
            return parse(*args, **kwargs)
        finally:
            with count:
                inside[0] -= 1

    monkeypatch.setattr(multiscan.ast, "parse", slow_parse)
    start = threading.Barrier(2)
    answers: list[frozenset[str]] = []

    def ask() -> None:
        start.wait()
        answers.append(multiscan.direct_only(root))

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 1
    assert calls[0] == files  # the second thread took the first one's reading
    assert len(answers) == 2 and answers[0] == answers[1] and "SEARCHED" in answers[0]


def test_the_engine_reads_its_own_package() -> None:
    """recognizer_patterns reads the `detectors` package the engine was imported from."""
    found = multiscan.direct_only(Path(engine_module.__file__).resolve().parent)
    assert "_TITLE_BEFORE" in found
    assert "TITLE_PATIENT" not in found  # scanned through _scan
