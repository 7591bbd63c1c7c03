"""Classes from the misses left after templates-i and from templates-j's first run (issue 10): a
writer who tells of their own health (what they cannot do, "my asthma") and signs as the
patient, signatures of CRLF mail, names in scripts without capitals set in English prose, a
worker from a unit with a result, sexual health codes, a name with a birth date in brackets, a
care item and a name in a subject; and on the clean side the sound of a call, staff who sign
with their job, a leaflet in other scripts, a care item that names a document, titled
colleagues in staff news, a phone with a bracketed area code after "Member Services" and the
surgery that is closed. From templates-j: mail in French, Spanish, Portuguese and German (health
words, dates with month names, birth-date labels, patient labels and contact cues), vitals then a
name after a dash; and placeholder rows of a sample layout, an abstract's authors, a pet at the
vet and a newsletter welcoming a nurse.
"""

from __future__ import annotations

import pytest

from detectors.engine import PhiEngine, _signature_start
from detectors.recognizers.health import OWN_LIMITATION
from detectors.recognizers.names import EMBEDDED_SCRIPT_NAME
from tests.detectors.test_care_mail_classes import rules_phi

PHI_MAIL = [
    pytest.param(
        "Hello,\r\n\r\nMy Oticon More 1 has stopped working and I can't hear the TV or the phone "
        "without it. Can I drop it in this week?\r\n\r\nRegards,\r\nDionne Coogan\r\n26 Park "
        "Avenue, Dundalk, Co. Louth, A91 R1E8\r\n(091) 730 0124\r\n",
        id="writer-cannot-hear-and-signs-with-address",
    ),
    pytest.param(
        "Hi there,\n\nMy son still can't walk far since the fall in the playground and the "
        "crutches hurt his arms. Is there an earlier slot?\n\nThanks\nMthunzi Dube\n082 555 0147",
        id="parent-tells-what-the-child-cannot-do",
    ),
    pytest.param(
        "Hi,\n\nCould I have a copy of my notes about my hip operation last spring, please?"
        "\n\nسلمى داود\n07/11/1958\n",
        id="requester-signs-with-a-name-in-arabic-script-and-birth-date",
    ),
    pytest.param(
        "Dear Sipho,\n\n민준 박 from the loading dock had an FEV1 of 71% predicted at the "
        "spirometry check; please book a review.\n\nOH nurse",
        id="hangul-name-in-english-prose",
    ),
    pytest.param(
        "Hi,\n\nThabo Nkosi from the paint shop had a 35 dB threshold shift on this year's "
        "audiometry.\n\nOH Advisor",
        id="worker-from-a-unit-with-a-result",
    ),
    pytest.param(
        "Attached as agreed.\n\nqueued,client,number,code\n04/05/2026 09:10,Kerry Ann Walsh,"
        "+61 412 555 019,GC_POSITIVE_TREAT\n",
        id="sexual-health-code-in-an-sms-list",
    ),
    pytest.param(
        "Diabetes Nurse Team\n\nსალომე ბერიძე\nრუსთაველის გამზ. 12, ქუთაისი\n\nYour HbA1c "
        "today: 71 mmol/mol. Please increase your metformin to 1 g twice daily.\n",
        id="letter-head-name-in-georgian-script",
    ),
    pytest.param(
        "Forwarded from the chart:\n\nThe patient lives alone on a farm outside Hanford; the home "
        "ZIP in the record is 93230. Falls twice this month, INR 4.1 on warfarin.\n\nKim",
        id="zip-said-in-a-sentence-as-the-record-holds-it",
    ),
    pytest.param(
        "Dear Sir or Madam,\n\nWe examined Dr Ines Faria (staff no. 41877) on 2 March. She has "
        "carpal tunnel syndrome and should avoid keyboard work for two weeks.\n\nOH Service",
        id="a-doctor-examined-is-the-patient",
    ),
    pytest.param(
        "Mrs Pauline Hardcastle waited forty minutes in reception and then had a severe asthma "
        "attack; she is on the ward now.",
        id="titled-patient-whose-sentence-says-minutes",
    ),
    pytest.param(
        "Objet : demande d'avis\n\nJe vous adresse Mme Odile Garnier, née le 4 avril 1958. "
        "Insuffisance cardiaque connue; échographie à prévoir.\n\nDr Caron",
        id="french-referral-with-a-birth-date-in-words",
    ),
    pytest.param(
        "Estimado Sr. Ruiz:\n\nLa ecografía del 02/03/2026 muestra una pequeña fractura del "
        "radio.\n\nFecha de nacimiento en su ficha: 12/07/1961\n\nClínica Lakeside",
        id="spanish-letter-with-its-birth-date-label",
    ),
    pytest.param(
        "Seguem os resultados.\n\nGlicemia: 182 mg/dL\nCreatinina: 1,9 mg/dL\n\nPaciente: "
        "Joana Prates\n\nEquipe do laboratório",
        id="portuguese-lab-results-for-a-patient",
    ),
    pytest.param(
        "Überweisung\n\nHerr Jan Kowalczyk, geb. 5. März 1950, Diagnose: Herzinsuffizienz, "
        "Röntgen Thorax erbeten.",
        id="german-referral",
    ),
]

SUBJECT_PHI = [
    pytest.param(
        "Bloods overdue - Ioana Marin (17-09-1979)",
        "Second reminder sent, no reply. Repeat due. Mobile 0780 614 925.",
        id="name-and-birth-date-in-brackets",
    ),
    pytest.param(
        "Safeguarding review - Amira Haddad",
        "Seen at home on Monday: bruising to both forearms, mother says she fell.",
        id="care-item-dash-name",
    ),
    pytest.param(
        "Fitness report - Dr Rhys Okonkwo",
        "Assessed today after his shoulder replacement: fit for light duties from Monday.",
        id="care-item-dash-a-titled-doctor",
    ),
    pytest.param(
        "RPM alert: SpO2 86%, HR 118 - Tomasz Zielinski",
        "See the dashboard for details.",
        id="vitals-then-a-name-after-a-dash",
    ),
]

CLEAN_MAIL = [
    pytest.param(
        "Hi all,\n\nI can't hear the audio on the webinar recording from Tuesday, can IT have a "
        "look?\n\nThanks\nRuth Ellery\n01632 960 555",
        id="sound-of-a-recording",
    ),
    pytest.param(
        "Morning,\r\n\r\nI still can't sleep in the on-call room with the generator running, can "
        "estates move it?\r\n\r\nRegards,\r\nKeith Arbuthnot\r\nPractice Manager\r\n01632 960 "
        "112\r\n",
        id="staff-member-signs-with-a-job-title",
    ),
    pytest.param(
        "Hi team,\n\nThe diabetes leaflet is now printed in 中文 and हिन्दी as well, copies at "
        "reception.\n\nDeepa\nPractice Manager",
        id="leaflet-in-other-scripts",
    ),
    pytest.param(
        "Hi all,\n\nI have booked my flu jab for Friday at 9, so reception is covered by "
        "Lorna.\n\nMaureen Tobin\nReception Supervisor\n01632 960 301",
        id="staff-own-vaccination-with-job-title",
    ),
    pytest.param(
        "Annual review - Infection Control Policy\n\nPlease read the attached policy on "
        "hand hygiene and sepsis escalation before the meeting.",
        id="care-item-dash-a-document",
    ),
    pytest.param(
        "Hi all,\n\nMrs Wendy Carrick and Tom are doing the fun run for the hospice on Sunday; "
        "sponsor forms in the kitchen.\n\nPractice office",
        id="titled-colleague-raising-money-for-a-hospice",
    ),
    pytest.param(
        "Before the CQC visit please go through the sepsis and insulin policies with Mr Owen "
        "Blakely by Friday.",
        id="titled-colleague-going-through-policies",
    ),
    pytest.param(
        "Dear Practice,\n\nMembers can now self-refer for up to six physiotherapy sessions "
        "without a GP referral.\n\nMember Services, (353) 297-0834",
        id="member-services-phone-with-a-bracketed-area-code",
    ),
    pytest.param(
        "Dear patients,\n\nThe surgery will be closed on 26/12/2026. For urgent help call "
        "111; repeat prescriptions take 3 working days.\n\nHillside Surgery",
        id="the-surgery-as-the-practice-building",
    ),
    pytest.param(
        "Release 4.2 notes\n\nSample import layout:\n  last|first|dob|member|dos|cpt|icd10\n"
        "  DOE|JOHN|02/02/1960|XXX000000|05/11/2026|99214|E11.9\n  TEST|PATIENT|1/1/1950|"
        "TEST0001|05/11/2026|93000|I10\n\nSupport: 0800 555 0100",
        id="placeholder-rows-of-a-sample-layout",
    ),
    pytest.param(
        "Abstract draft\n\nTitle: Heart failure clinics in rural Wales\nAuthors: Gwen Pryce, "
        "Emyr Tudur, Dr Hale\n\nMethods: de-identified series of 40 adults.",
        id="authors-of-an-abstract",
    ),
    pytest.param(
        "Hi Ruth,\n\nMax (Beagle) is due for his booster and kennel cough vaccine on "
        "2026-06-14. At the last visit we noted a small fatty lump on the flank.\n\nOur records "
        "show your address as 12 Mill Lane, Leeds LS6 2AB. Call 01632 960 777 to book.\n\n"
        "Meadow Veterinary Clinic",
        id="a-dog-at-the-vet",
    ),
    pytest.param(
        "Boletín de junio\n\nHablamos de la prevención de la diabetes. Damos la bienvenida a "
        "Lucía Ferrer, nuestra nueva enfermera. Llame al 555-0134 para inscribirse.",
        id="spanish-newsletter-welcoming-a-nurse",
    ),
]


@pytest.mark.parametrize("body", PHI_MAIL)
def test_phi_mail(engine: PhiEngine, body: str) -> None:
    """The writer is the patient: their own limitation, their own signature."""
    phi, findings = rules_phi(engine, body)
    assert phi, [f.describe() for f in findings]


@pytest.mark.parametrize(("subject", "body"), SUBJECT_PHI)
def test_subject_names_the_patient(engine: PhiEngine, subject: str, body: str) -> None:
    """A subject naming whom the body is about; the body names nobody."""
    phi, findings = rules_phi(engine, body, subject)
    assert phi, [f.describe() for f in findings]


@pytest.mark.parametrize("body", CLEAN_MAIL)
def test_clean_mail(engine: PhiEngine, body: str) -> None:
    """The sound of a call, or staff who sign with their job, make nobody a patient."""
    phi, findings = rules_phi(engine, body)
    assert not phi, [f.describe() for f in findings]


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("and I can't hear the TV without it", "hear"),
        ("my daughter is unable to walk to school", "walk"),
        ("he struggles to swallow tablets", "swallow"),
        ("I still can't sleep on my left side", "sleep"),
    ],
)
def test_told_limitations(text: str, word: str) -> None:
    """A person who cannot hear, walk, swallow or sleep, in their own or a parent's words."""
    m = OWN_LIMITATION.search(text)
    assert m is not None and m.group(1) == word


@pytest.mark.parametrize(
    "text",
    [
        "Sorry, I can't hear you, the line is bad",
        "we can't hear the speaker at the back",
        "I can't see the file",
    ],
)
def test_call_sound_is_no_limitation(text: str) -> None:
    """Not hearing a caller, a speaker or a file is nobody's health."""
    assert OWN_LIMITATION.search(text) is None


def test_signature_of_crlf_mail() -> None:
    """The last paragraph of short lines is the signature, whatever the line breaks."""
    lf = "Hello,\n\nThe text.\n\nRegards,\nAnn Lee\n01632 960 555\n"
    crlf = lf.replace("\n", "\r\n")
    assert lf[_signature_start(lf) :].startswith("Regards,")
    assert crlf[_signature_start(crlf) :].startswith("Regards,")


@pytest.mark.parametrize("name", ["माधवी डी’सोउज़ा", "के.सी अवलोक", "은서 문"])
def test_script_names_with_joiners(name: str) -> None:
    """An apostrophe or a stop inside a word of a script without capitals keeps one name."""
    text = f"Dear nurse,\n\n{name} from the night shift had a cough."
    m = EMBEDDED_SCRIPT_NAME.search(text)
    assert m is not None and m.group(1) == name
