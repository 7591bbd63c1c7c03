"""The person-name recognizer's pattern gates never hide a match the pattern itself finds."""

from __future__ import annotations

from pathlib import Path

import pytest
import regex

from bench.corpus.generate import generate as generate_messages
from bench.spans.generate import generate as generate_spans
from detectors.extract import extract_message
from detectors.recognizers import names
from detectors.recognizers.names import _ascii_lower, _scan

DEV = Path("/work/shared/corpus/dev")
TIMEOUT = 5.0
GATED = (*names._GATES, *names._CASED, *names._CUE_WORDS)

# One sentence per gated pattern that the pattern matches, some in capitals or with letters
# outside ASCII, written for this test.
SENTENCES = {
    names.CREDENTIALED: "Seen in clinic by Ann Lee, MD on Tuesday.",
    names.NAME_IN_BED: "Please check the dose for Ann Lee in bed 12.",
    names.NAME_AGE_SEX: "Okafor, 67M admitted overnight.",
    names.CITATION: "As Okafor et al. showed last year.",
    names.NAME_COMMA_UNIT: "Regards, Sergio Sanchez, Biomedical Engineering",
    names.HUMAN_VERB: "Johannes lives on the corner now.",
    names.POSSESSIVE: "Ana's address changed in May.",
    names.VISITOR: "Daniel Allen from Perez Group stopped by this morning.",
    names.TITLE_PROVIDER: "Referred by Dr. Ann Lee.",
    names.TITLE_PATIENT: "Mrs Hale called again.",
    names.TITLE_PATIENT_ARABIC: "المريض السيد أحمد حسن",
    names.TITLE_PATIENT_INTL: "Estimada Sra. Pérez, su resultado está listo.",
    names.DISPLAY_NAME: 'From: "Ann Lee" <ann@example.org>',
    names.SPEECH: '"Stop," said Ana to Ben.',
    names.CENSUS_ROW: "BED 12: Okafor, 67M",
    names.KIN_CUE: "MY DAUGHTER Ana Lee will drive.",
    names.NAMED_CUE: "She is Called Ana.",
    names.CARE_ROLE_NAME: "NEXT OF KIN: Cahal Corless",
    names.SPOKE_WITH: "Spoke With Ann Lee today.",
    names.JOB_TITLE_BEFORE: "Our Practice Manager Tom Hale will call.",
    names.ATTENDEE_LIST: "PRESENT: Ann Lee, Tom Hale",
    names.RECIPIENT_OF_PAPERWORK: "RSVP to Tom Hale by Friday.",
    names.NAME_THEN_DOB: "WAS NOT BROUGHT: Julie Boatemaa D.O.B. 10.02.20",
    names.SELF_INTRO: "Hi, Marta Nowak here, about my tablets.",
    names.DASH_ROW_NAME: "Agnieszka Wrona - lithium",
    names.RECORD_ROW: "> A27-11852 Priya Natarajan - carcinoma",
    names.DASH_TAIL_NAME: "CP REVIEW - पुजन श्रेष्ठ",
    names.DATED_ROW: "  Κλειώ Κυριαννάκη  19 November 1964  R3A M1",
    names.KIN_IN_BRACKETS: "MOTHER (Dương Nguyễn) attended.",
    names.HOME_VISIT: "I VISITED Tori Maclean AT HOME on Monday.",
    names.EMBEDDED_SCRIPT_NAME: "Please book 은서 문 for Tuesday.",
    names.NAME_FROM_UNIT: "Ana Lee from the paint shop had a cough.",
    names.NAME_BRACKET_DATE: "Recall: Ana Lee (03/04/1950)",
    names.CARE_ITEM_DASH_NAME: "SAFEGUARDING REVIEW - Ana Lee",
    names.NAME_COMMA_JOB: "Damos la bienvenida a Ana Lee, nuestra nueva ENFERMERA.",
    names.LOWER_LABELLED_NAME: "PT: keith castillo, 45 yom",
    names.LOWER_TITLED_NAME: "please see mrs nguyễn next",
    names.PRESENTER: "Tom Hale will present the audit at noon.",
    names.SESSION_LEAD: "A skills group FACILITATED BY Ann Lee on Fridays.",
    names.AGENDA_ITEM_BY: "• 12:50 Prescribing update (Jyoti Minhas)",
    names.LOWER_NAME_VERB: "fyi mike johnson left vm about his meds",
}


def spans(matches: object) -> list[tuple[int, int]]:
    return [m.span() for m in matches]  # type: ignore[attr-defined]


def gated_differs(pattern: regex.Pattern[str], text: str) -> bool:
    """Whether the gated scan finds other matches than the pattern itself."""
    gated = _scan(pattern, text, TIMEOUT, _ascii_lower(text))
    return spans(gated) != spans(pattern.finditer(text))


def test_every_gated_pattern_has_a_sentence() -> None:
    """No gate goes untested: each gated pattern has its sentence here."""
    assert set(GATED) == set(SENTENCES)


@pytest.mark.parametrize("pattern", list(SENTENCES), ids=lambda p: p.pattern[:30])
def test_the_gate_admits_what_the_pattern_matches(pattern: regex.Pattern[str]) -> None:
    """Each sentence is a match of its pattern, and the gated scan finds the same matches."""
    text = SENTENCES[pattern]
    assert spans(pattern.finditer(text)), "the sentence must exercise the pattern"
    assert not gated_differs(pattern, text)
    # The same sentence inside a longer text with letters outside ASCII (no cue-word gate).
    longer = f"Zoë wrote:\n{text}\n"
    assert not gated_differs(pattern, longer)


def test_a_gate_too_tight_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check can fail: a cue-word gate that leaves out the pattern's word hides its match."""
    monkeypatch.setitem(names._CUE_WORDS, names.KIN_CUE, ("uncle",))
    assert gated_differs(names.KIN_CUE, SENTENCES[names.KIN_CUE])


def test_gates_are_sound_on_the_corpora(tmp_path: Path) -> None:
    """On the dev corpus, generated messages and generated span sentences, no match is lost."""
    texts = [row["text"] for row in generate_spans(seed=21)]
    generate_messages(tmp_path / "generated", 2, 21)
    folders = [tmp_path / "generated"] + ([DEV] if DEV.is_dir() else [])
    for folder in folders:
        for path in sorted(folder.glob("*.eml")):
            texts.extend(p.text for p in extract_message(path.read_bytes()).parts)
    assert len(texts) > 500
    bad = [(p.pattern[:40], n) for n, t in enumerate(texts) for p in GATED if gated_differs(p, t)]
    assert bad == []


@pytest.mark.parametrize(
    ("table", "listed"),
    [
        ("LAST NAME,FIRST NAME,DOB\nHale,Ann,1960-01-02\nRoe,Tom,1970-02-03\n", 4),
        ("Surname\tGiven\tDOB\nHale\tAnn\t1960-01-02\n", 1),  # "Given" is no name header
        ("Vendor,Item,Qty\nHale,Gloves,4\nRoe,Masks,2\n", 0),
    ],
)
def test_table_names_behind_the_header_gate(table: str, listed: int) -> None:
    """Cells under a name header are listed people, whatever the header's case; others are not."""
    found = [m for m in names.NameRecognizer().analyze(table, TIMEOUT) if m.role == "list"]
    assert len(found) == listed


def test_lone_names_gate_loses_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A text without a listed lone name as a word is skipped; elsewhere all are found."""
    texts = ["Thanks, Maria. See you then.", "Please send printer paper.", *SENTENCES.values()]
    rec = names.NameRecognizer()
    gated = [rec._known_names(t, TIMEOUT) for t in texts]
    assert gated[0], "the check must see a lone name"
    monkeypatch.setattr(names, "text_words", lambda text: None)
    assert [rec._known_names(t, TIMEOUT) for t in texts] == gated
