"""Care in other languages: appointments, referrals, labelled clinical fields, national ids
without a label, Japanese era birth dates, names before a CJK honorific, and whole messages.

The sentences are written here, in each language, as a clinic's staff would write them; none is
taken from a corpus source.
"""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from detectors.engine import PhiEngine
from detectors.extract import extract_message
from detectors.recognizers.dates import DateRecognizer
from detectors.recognizers.health import ClinicalNarrativeRecognizer, LabRecognizer
from detectors.recognizers.identifiers import MrnRecognizer
from detectors.recognizers.national import NationalIdRecognizer

T = 5.0
NARRATIVE = ClinicalNarrativeRecognizer()


def kinds(text: str) -> set[str]:
    return {m.entity for m in NARRATIVE.analyze(text, T)}


@pytest.mark.parametrize(
    "text",
    [
        "Nous vous confirmons votre rendez-vous du 12 mai à 9h30.",
        "Le rappelamos su cita con la Dra. Ortega el martes a las 10:00.",
        "Informamos que tem consulta de enfermagem agendada para dia 4.",
        "Ihr Kontrolltermin ist am Donnerstag um 8 Uhr.",
        "Le ricordiamo il suo appuntamento di lunedì alle 11.",
        "Uw afspraak bij de huisarts is verzet naar vrijdag.",
        "Przypominamy o wizycie kontrolnej w poradni w środę.",
        "Välkommen på ditt återbesök hos oss den 3 juni.",
        "Yarınki randevunuz saat 14:00'te.",
        "来週の受診日は火曜日です。",
        "请于周三上午来门诊复诊。",
        "다음 주 진료 예약이 확정되었습니다.",
    ],
    ids=["fr", "es", "pt", "de", "it", "nl", "pl", "sv", "tr", "ja", "zh", "ko"],
)
def test_appointments_in_other_languages(text: str) -> None:
    assert "APPOINTMENT" in kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "La praxis permanecerá cerrada del 1 al 15 de agosto por vacaciones.",
        "Die Praxis ist vom 24.12. bis 2.1. geschlossen.",
        "De praktijk is gesloten op Tweede Paasdag.",
        "Serwis systemu potrwa od 18:00 do 20:00.",
        "Vi söker en sjuksköterska till vår mottagning.",
        "Kallelse till årsmöte den 12 mars.",
        "Le séminaire commence à 19h à l'hôtel de ville.",
        "見積書を添付いたしますのでご確認ください。",
    ],
    ids=["es", "de", "nl", "pl", "sv", "sv-meeting", "fr", "ja"],
)
def test_no_appointment_in_business_notices(text: str) -> None:
    assert not {"APPOINTMENT", "CLINICAL_NARRATIVE"} & kinds(text)


@pytest.mark.parametrize(
    "text",
    [
        "Anbei die Überweisung zum Orthopäden.",
        "Adjunto la derivación a cardiología.",
        "Bifogar remiss till ögonmottagningen.",
        "W załączeniu skierowanie do poradni.",
        "紹介状を同封いたします。",
    ],
)
def test_referrals_in_other_languages(text: str) -> None:
    assert "CLINICAL_NARRATIVE" in kinds(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Diagnose: Coxarthrose links", "Coxarthrose links"),
        ("Frågeställning: misstänkt gallsten", "misstänkt gallsten"),
        ("Motivo de consulta: cefalea persistente", "cefalea persistente"),
        ("Rozpoznanie: nadciśnienie tętnicze", "nadciśnienie tętnicze"),
        ("主訴：腹痛", "腹痛"),
        ("진단명: 당뇨병", "당뇨병"),
    ],
)
def test_labelled_clinical_fields(text: str, value: str) -> None:
    found = [text[m.start : m.end] for m in NARRATIVE.analyze(text, T)]
    assert value in found


@pytest.mark.parametrize(
    "text",
    ["Motivo: cambio de proveedor", "Status: offen", "Klachten: via het webformulier"],
)
def test_business_fields_are_no_clinical_fields(text: str) -> None:
    assert not NARRATIVE.analyze(text, T)


def national(text: str) -> list[tuple[str, float]]:
    return [(text[m.start : m.end], m.score) for m in NationalIdRecognizer().analyze(text, T)]


def test_national_ids_without_a_label() -> None:
    """Long personnummer, RRN, Chinese RIC and HETU stand alone; a short personnummer is weak;
    date-shaped references that fail the check are nothing."""
    # 19811228-9874 and 811228-9874: Luhn over 8112289874 holds
    assert national("Ref. 19811228-9874 bifogas") == [("19811228-9874", 0.85)]
    assert national("för Per Holm, 811228-9874, tack") == [("811228-9874", 0.6)]
    assert national("order 811228-9875 shipped") == []
    # a Chinese resident identity number with its ISO 7064 check character
    assert national("见附件 11010519491231002X。") == [("11010519491231002X", 0.85)]
    assert national("serial 11010519491231002Y") == []
    # HETU 131052-308T: 131052308 mod 31 = 25, and the 26th check character is T
    assert national("viite 131052-308T") == [("131052-308T", 0.85)]
    assert national("Batch 131052-308U") == []


def test_japanese_era_and_east_asian_birth_dates() -> None:
    rec = DateRecognizer()
    text = "山田 花子様（昭和45年6月7日生）"
    found = [(m.entity, text[m.start : m.end]) for m in rec.analyze(text, T)]
    assert found == [("DOB", "昭和45年6月7日")]
    text = "2026年3月2日に受診されました"
    assert [(m.entity, text[m.start : m.end]) for m in rec.analyze(text, T)] == [
        ("DATE_TIME", "2026年3月2日")
    ]


def test_units_are_no_lab_tests() -> None:
    lab = LabRecognizer()
    assert lab.analyze("Guantes de nitrilo, caja 100 uds x4", T) == []
    assert [m.entity for m in lab.analyze("UDS positive for opiates", T)] == ["LAB_RESULT"]


def test_patient_numbers_of_other_languages() -> None:
    rec = MrnRecognizer()
    for text, value in [
        ("N.º de utente: 763810020", "763810020"),
        ("Numéro de dossier 4471203", "4471203"),
        ("Patientennummer 88123456", "88123456"),
    ]:
        assert value in [text[m.start : m.end] for m in rec.analyze(text, T)], text


@pytest.fixture(scope="module")
def engine() -> PhiEngine:
    return PhiEngine()


def band(engine: PhiEngine, subject: str, body: str) -> str:
    """The band of a message from a clinic to an outside address with this subject and body."""
    msg = EmailMessage()
    msg["From"] = "Recepcja <desk@clinic.example>"
    msg["To"] = "someone@mail.example"
    msg["Subject"] = subject
    msg.set_content(body)
    return engine.analyze(extract_message(msg.as_bytes()).parts)[1].band


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        (
            "Lembrete",
            "Exmo. Sr. Rui Tavares,\n\nRelembramos que tem consulta de diabetes marcada para "
            "dia 9 de abril às 10h00.\nN.º de utente: 318402277\n\nCumprimentos,\nA secretaria",
        ),
        (
            "Ihr Termin",
            "Sehr geehrte Frau Brigitte Lorenz,\n\nIhr Nachsorgetermin nach der Knie-OP ist am "
            "14.04.2026 um 9 Uhr bei Dr. Albers.\n\nMit freundlichen Grüßen\nPraxis am Markt",
        ),
        (
            "Remiss Holm",
            "Hej,\n\nvi skickar remiss för Per Holm, 19811228-9874.\nFrågeställning: "
            "misstänkt gallsten.\n\nMvh\nAnna Berg",
        ),
        (
            "山田様の件",
            "中村先生\n\nいつもお世話になっております。\n山田 花子様（昭和45年6月7日生）の"
            "検査結果をお送りします。\n主訴：腹痛\n\n佐藤",
        ),
    ],
    ids=["pt", "de", "sv", "ja"],
)
def test_care_mail_in_other_languages_is_phi(engine: PhiEngine, subject: str, body: str) -> None:
    assert band(engine, subject, body) != "clean"


def test_a_closure_notice_in_dutch_is_clean(engine: PhiEngine) -> None:
    body = (
        "Beste patiënten,\n\nDe praktijk is gesloten van 27 juli tot en met 7 augustus. "
        "Voor spoed belt u de huisartsenpost.\n\nMet vriendelijke groet,\nDr. Van Dijk en team"
    )
    assert band(engine, "Zomersluiting", body) == "clean"


@pytest.mark.parametrize(
    "text",
    [
        "Vos résultats d'analyses sont disponibles.",
        "Ya tenemos sus resultados de laboratorio.",
        "Os seus resultados dos exames chegaram.",
        "Ihre Blutwerte sind unauffällig.",
        "I suoi esiti sono pronti.",
        "Uw uitslag is binnen.",
        "Pani wyniki są gotowe.",
        "Ditt provsvar är klart.",
        "Tahlil sonuçlarınız hazır.",
    ],
)
def test_the_readers_own_results_in_other_languages(text: str) -> None:
    found = [(m.entity, m.score) for m in LabRecognizer().analyze(text, T)]
    assert ("LAB_RESULT", 0.7) in found


def test_a_results_table_in_a_newsletter_is_not_the_readers() -> None:
    text = "Los resultados del estudio se publicarán en mayo."
    assert ("LAB_RESULT", 0.7) not in [
        (m.entity, m.score) for m in LabRecognizer().analyze(text, T)
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Referencia\tDescripción\tCantidad\tPrecio\tIVA\nEL-ECG-50\tElectrodos ECG adulto\t7\t5,95\t21",
        "Please call with questions about the MRI.\r\n\r\nThanks,\r\nJulio McDonald\r\nFront Desk",
        "Seen for asthma review. Angela -\r\n\r\nHere's the note you asked for.",
    ],
)
def test_an_ner_name_stays_in_its_cell_and_line(engine: PhiEngine, text: str) -> None:
    names = [text[m.start : m.end] for m in engine._ner(text) if m.entity == "PERSON"]
    assert all(not any(c in n for c in "\t\r\n|;") for n in names), names


def test_an_ner_name_across_lines_keeps_its_name_line(engine: PhiEngine) -> None:
    """A span the NER runs over a line break keeps the line that holds the name."""
    text = (
        "Virtual ward list:\r\n- Yetunde Ayandokun (75): pneumonia; NEWS2 1; escalate\r\n"
        "- Iya Mosunmola Aloba (64): UTI with delirium; NEWS2 4; med reg review\r\n"
    )
    # (the model reads "escalate<CR><LF>- Iya Mosunmola Aloba" as one PERSON)
    found = [(text[m.start : m.end], m.score) for m in engine._ner(text) if m.entity == "PERSON"]
    assert ("Iya Mosunmola Aloba", 0.7) in found
    assert not any("escalate" in n for n, _ in found)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Dear Ann,\nthanks for the forms.", "Ann"),
        ("Hi Stig!\n\nSee below.", "Stig"),
        ("Hej Stig!\n\nSe nedan.", "Stig"),
        ("Bonjour Madame Roy,\nvoici le document.", "Roy"),
        ("Sehr geehrte Frau Lenz,\nanbei das Formular.", "Lenz"),
        ("Caro Marco,\nti scrivo per la riunione.", "Marco"),
        ("Dzień dobry Pani Ewo,\nprzesyłam dokument.", "Ewo"),
    ],
)
def test_greetings_name_their_addressee(text: str, name: str) -> None:
    """The greeting word stays outside the name it greets, in English and other languages."""
    from detectors.recognizers.names import NameRecognizer

    found = {(text[m.start : m.end], m.role) for m in NameRecognizer().analyze(text, T)}
    assert (name, "addressee") in found


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        (
            "Provsvar",
            "Hej Stig!\n\nDitt provsvar från 13 februari är klart. Alla värden var normala.\n\n"
            "Vänliga hälsningar\nMaria Strand, distriktssköterska",
        ),
        (
            "Votre rendez-vous",
            "Bonjour Madame Roy,\n\nvotre rendez-vous de contrôle est fixé au 3 mars à 9h.\n\n"
            "Le secrétariat",
        ),
    ],
    ids=["sv", "fr"],
)
def test_care_told_to_a_reader_greeted_by_name_is_phi(
    engine: PhiEngine, subject: str, body: str
) -> None:
    assert band(engine, subject, body) != "clean"


@pytest.mark.parametrize(
    "text",
    [
        "Danke.\n\nBeste Grüße\nAnna Roth",
        "Liebe Grüße,\nTom",
        "Hola Equipo,\nos envío el turno.",
        "Beste Kollegen,\nanbei der Plan.",
        "Hello All,\nthe rota is attached.",
        "Dear Colleagues,\nplease find attached.",
    ],
)
def test_a_sign_off_or_a_group_is_no_addressee(text: str) -> None:
    """ "Beste Grüße" signs off and "Hola Equipo" greets a team: neither names a person."""
    from detectors.recognizers.names import NameRecognizer

    found = [m for m in NameRecognizer().analyze(text, T) if m.role == "addressee"]
    assert found == []


def test_doctors_titles_of_other_languages() -> None:
    from detectors.recognizers.names import NameRecognizer

    def providers(text: str) -> set[str]:
        return {
            text[m.start : m.end] for m in NameRecognizer().analyze(text, T) if m.role == "provider"
        }

    assert "Giraud" in providers("Intervenant : Docteur Giraud, cardiologue")
    assert "Anna Nowak" in providers("Wizyta u lek. Anna Nowak jutro.")
    assert "Bruni" in providers("Medico: Dott.ssa Bruni")
    # Polish "lek" without its dot is a medicine, not a title
    assert providers("Przepisano lek Metformax 500.") == set()
