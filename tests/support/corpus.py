"""Where the shared labelled corpus is: beside the checkout (as CI lays it), or /work/shared."""

from __future__ import annotations

import os
from pathlib import Path

from tests.support import REPO


def corpus_dir() -> Path:
    """The `corpus` folder of shared/ (override with PHIGATE_CORPUS)."""
    if os.environ.get("PHIGATE_CORPUS"):
        return Path(os.environ["PHIGATE_CORPUS"])
    for candidate in (REPO.parent / "shared" / "corpus", Path("/work/shared/corpus")):
        if candidate.is_dir():
            return candidate
    return REPO.parent / "shared" / "corpus"
