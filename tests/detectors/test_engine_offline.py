"""The engine builds and analyses with every network path blocked."""

from __future__ import annotations

import importlib.metadata
import json
import socket
import subprocess
import sys
import urllib.request
from typing import Any

import pytest

from bench import stock_presidio
from detectors import engine as engine_mod
from detectors.masking import mask
from tests.support.tables import table


class NetworkUsed(AssertionError):
    """Raised by the patched network entry points."""


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise NetworkUsed("network access attempted")


def test_build_and_analyze_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building ours and the stock baseline and analysing e-mail addresses and URLs never touches the network."""
    monkeypatch.setattr(socket.socket, "connect", _refuse)
    monkeypatch.setattr(socket, "create_connection", _refuse)
    monkeypatch.setattr(urllib.request, "urlopen", _refuse)
    engine_mod.load_nlp.cache_clear()
    try:
        ours = engine_mod.PhiEngine()
        text = "Mail jane.roe@example.com or see https://portal.example.org/x, MRN 12345678"
        found = {f.entity for f in ours.analyze_text(text, full=True)}
        stock = stock_presidio.stock_presidio_engine()
        stock_types = {r.entity_type for r in stock.analyze(text, language="en")}
    finally:
        engine_mod.load_nlp.cache_clear()
    assert {"EMAIL_ADDRESS", "URL", "MRN"} <= found
    assert "EMAIL_ADDRESS" in stock_types


def test_ner_configuration_keeps_abbreviations_out_of_organization() -> None:
    """With presidio's ner_model_configuration, ORGANIZATION is ignored, so DOB/SSN never show up as one."""
    nlp_engine = stock_presidio.nlp_engine_for(engine_mod.load_nlp(trimmed=True))
    artifacts = nlp_engine.process_text("DOB 01/02/1950, SSN and MRN were sent to Acme Corp.", "en")
    labels = {e.label_ for e in artifacts.entities}
    assert "ORGANIZATION" not in labels and "ORG" not in labels


@pytest.mark.parametrize(
    ("value", "entity", "expected"),
    table("engine_offline.mask"),
)
def test_mask(value: str, entity: str, expected: str) -> None:
    """Previews keep shape and at most four trailing digits."""
    assert mask(value, entity) == expected


def test_loading_the_model_imports_no_installed_package_factory() -> None:
    """spaCy would import every pipeline factory installed packages register (presidio-analyzer's
    among them, 0.5-1 s of start-up); the pinned model needs none. A fresh interpreter, since
    other tests import presidio themselves."""
    registered = [
        ep.value.partition(":")[0].partition(".")[0]
        for ep in importlib.metadata.entry_points(group="spacy_factories")
    ]
    assert registered, "no installed package registers a spaCy factory: nothing to check"
    probe = (
        "import json, sys\n"
        "from spacy.util import registry\n"
        "from detectors.engine import load_nlp\n"
        "load_nlp()\n"
        "load_nlp.cache_clear()\n"
        "nlp = load_nlp(trimmed=False)\n"
        "print(json.dumps({'modules': sorted(sys.modules), 'pipes': nlp.pipe_names,\n"
        "    'restored': registry._entry_point_factories.entry_points}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    imported = [name for name in registered if name in seen["modules"]]
    assert imported == []
    assert "ner" in seen["pipes"] and "parser" in seen["pipes"]
    assert seen["restored"] is True
