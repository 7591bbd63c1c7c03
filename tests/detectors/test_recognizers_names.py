"""Parametrized tables for the person-name rules added on top of the cue recognizers."""

from __future__ import annotations

import pytest

from detectors.recognizers.names import NameRecognizer, known_name_word, listed_name_word

NAMES = NameRecognizer()


def names(text: str) -> set[str]:
    """Every span the name recognizer tags as a person."""
    return {text[m.start : m.end] for m in NAMES.analyze(text, 1.0)}


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        # Middle initial between a listed name and a capitalised word.
        ("Please forward this to Norma K Ashdown today.", "Norma K Ashdown", True),
        ("Please forward this to Dorota J. Wąsowicz today.", "Dorota J. Wąsowicz", True),
        ("We stock Vitamin D Drops in aisle 4.", "Vitamin D Drops", False),
        # Kin, titles in any case, "named"/"I'm" cues.
        ("I would like to add my daughter Ximena to the plan", "Ximena", True),
        ("please transfer to ms. Okonkwo", "Okonkwo", True),
        ("Her maiden name is Halvorsen", "Halvorsen", True),
        ("I'm Desmond Achterberg, calling about my bill", "Desmond Achterberg", True),
        ("I'm Sorry about the delay", "Sorry", False),
        # A person as the subject of a human verb, or in reported speech.
        ("Teodora lives near the river.", "Teodora", True),
        ('"Stop!" said Wojtek to Brandon.', "Wojtek", True),
        # Dialogue speakers, lists of names, a name alone on a line.
        ("Ingrid: are you there?\nMateo: yes", "Mateo", True),
        ("Note: fasting\nPlan: recheck", "Note", False),
        ("The winners were Helen, Gunnar and Tomasz.", "Gunnar", True),
        ("Bring Wisdom and Discipline to work.", "Discipline", False),
        ("Thanks,\n\nRosalind Pembleton\n", "Rosalind Pembleton", True),
        # Later mentions of a name already found.
        ("Ask Ximena Quist first; Quist knows the file.", "Quist", True),
        # Places and organisations made of a surname.
        ("We stayed at the Hayes Hotel downtown.", "Hayes Hotel", False),
        ("Two capitalised words Ludmiła Kowalczyk appear", "Ludmiła Kowalczyk", True),
        # A parenthetical age or grade after a name, and particles in a greeted name.
        ("Erling Lundkvist (grade 10) was seen for a seizure", "Erling Lundkvist", True),
        ("Ana Roe (72 y/o) fell at home", "Ana Roe", True),
        ("Dear Isis da Costa,\nYour results are back", "Isis da Costa", True),
        ("Annual Report (2024 edition) attached", "Annual Report", False),
        ("Staff Meeting (grade pay scale) tomorrow", "Staff Meeting", False),
    ],
)
def test_shaped_names(text: str, value: str, expected: bool) -> None:
    """Names are found by shape and nearby words; look-alike phrases are not."""
    assert (value in names(text)) is expected


@pytest.mark.parametrize(
    ("word", "listed", "known"),
    [
        ("Kimberly", True, True),
        ("Gutierrez", True, True),
        ("Brown", True, False),  # an English word as well as a surname
        ("Will", True, False),
        ("Metformin", False, False),
    ],
)
def test_name_lists(word: str, listed: bool, known: bool) -> None:
    """Census names count alone only when they are not also ordinary English words."""
    assert listed_name_word(word) is listed
    assert known_name_word(word) is known


def roles(text: str) -> dict[str, set[str]]:
    """Every tagged span with the roles the name recognizer gives it."""
    out: dict[str, set[str]] = {}
    for m in NAMES.analyze(text, 1.0):
        out.setdefault(text[m.start : m.end], set()).add(m.role)
    return out


@pytest.mark.parametrize(
    ("text", "value", "role", "expected"),
    [
        # Attendee, speaker and board lists name participants, titles or not.
        ("Present: Roberto Baker, Holly Lewis. Approved the budget.", "Holly Lewis", "staff", True),
        ("Present: Mr. Luis James, Joseph Navarro. Approved it.", "Luis James", "patient", False),
        ("Present: Mr. Luis James, Joseph Navarro. Approved it.", "Luis James", "staff", True),
        ("Speakers: Dr. Ana Ruiz and Tom Hale", "Tom Hale", "staff", True),
        ("Please see Holly Lewis for her knee", "Holly Lewis", "staff", False),
        # A visitor named by the firm they come from is a business contact.
        (
            "Daniel Allen from Perez Group stopped by and met Dr. Lee",
            "Daniel Allen",
            "correspondent",
            True,
        ),
        (
            "Daniel Allen from Springfield came in with chest pain",
            "Daniel Allen",
            "correspondent",
            False,
        ),
        # A job title right before a name marks staff; a care word does not.
        ("Contact the study coordinator Wanda Pierce at 555", "Wanda Pierce", "staff", True),
        ("Questions go to practice manager Tom Hale.", "Tom Hale", "staff", True),
        ("Please see patient Tom Hale today", "Tom Hale", "staff", False),
        # Honorifics of other languages between a patient cue and the name.
        ("for our patient pani Ewelina Boksa, member Z63", "Ewelina Boksa", "patient", True),
        ("Patient: Herr Jonas Weber", "Jonas Weber", "patient", True),
        # A doctor can be the patient when the patient cue says so.
        ("for our patient Dr Robin Naylor, member Y6", "Robin Naylor", "patient", True),
        ("for our patient Dr Robin Naylor, member Y6", "Robin Naylor", "provider", False),
        ("referred by Dr Robin Naylor today", "Robin Naylor", "provider", True),
        # A surname, an initial and a full date before a care word label a patient's record.
        ("Kowalski J. 1957-03-02 - MRI report", "Kowalski J", "patient", True),
        ("Nowak-Lis A 03/04/1961 labs", "Nowak-Lis A", "patient", True),
        ("Budget Q. 1999-03-02 report", "Budget Q", "patient", False),  # an English word
        ("Kowalski J. 2025-03-02 - MRI report", "Kowalski J", "patient", False),  # a recent date
        ("Kowalski J. 1957-03-02 - lunch order", "Kowalski J", "patient", False),  # no care word
    ],
)
def test_name_roles(text: str, value: str, role: str, expected: bool) -> None:
    """Cues give names their roles: participants, patients behind foreign titles, record labels."""
    assert (role in roles(text).get(value, set())) is expected
