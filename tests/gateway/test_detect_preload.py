"""What the detection processes' fork server loads before any process is forked, and what not.

It loads the engine (the spaCy model, the recognizers, the Hyperscan databases) once, so every
detection process starts with them in memory. It must not load what no detection process runs:
Alembic (the processes read the patient roster but never migrate a store) and the pipeline
factories other packages register with spaCy (presidio-analyzer's compiles 173 regexes at
import). Both sat on the critical path of every start (docs/performance.md). A fresh
interpreter, as the fork server is.
"""

from __future__ import annotations

import json
import subprocess
import sys

PROBE = """
import json, sys
import gateway.detect_preload
from detectors.recognizers import multiscan
from gateway.scanning import shared_engine
from detectors.config import DetectorConfig
engine = shared_engine(DetectorConfig())
print(json.dumps({
    "modules": sorted(sys.modules),
    "pipes": engine.nlp.pipe_names,
    "multiscan": multiscan.held(),
}))
"""

NOT_LOADED = ("alembic", "presidio_analyzer")


def test_the_preload_holds_the_engine_and_nothing_a_process_never_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=180
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["pipes"] == ["ner"]
    assert seen["multiscan"] > 100
    loaded = {name.partition(".")[0] for name in seen["modules"]}
    assert {"spacy", "regex", "sqlalchemy"} <= loaded
    assert sorted(loaded & set(NOT_LOADED)) == []
