"""Shared test helpers: plain code only; the pytest fixtures live in the conftest.py files."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The shipped policies (default.yaml, deliver-only.yaml, examples/) in the source tree.
POLICIES = REPO / "policies"
