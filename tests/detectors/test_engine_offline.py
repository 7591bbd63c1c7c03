"""The engine builds and analyses with every network path blocked."""

from __future__ import annotations

import socket
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
