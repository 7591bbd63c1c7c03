"""Patients named in mail that is not in English (issue 10: names outside US naming conventions):
a courtesy title of the language (Sr., Herrn, mevrouw, Pani, Mme), a name before the language's
birth-date word (geb., ur., née), the patient labels of other languages and scripts (Pacjent,
Hasta:, 患者：, 환자:), an East Asian date, and "Jan" as the given name it is in much of Europe.

Written from the languages, not from any corpus template.
"""

from __future__ import annotations

import pytest

from detectors.engine import PhiEngine
from detectors.findings import Finding
from tests.detectors.test_care_mail_classes import rules_phi


def _patient(findings: list[Finding], text: str, name: str) -> bool:
    return any(f.entity == "PATIENT_NAME" and name in text[f.start : f.end] for f in findings)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Estimada Sra. Pérez, su resultado de colesterol fue 190 mg/dL.", "Pérez"),
        ("wir berichten über Herrn Klaus Meier nach seiner Entlassung.", "Meier"),
        ("Hierbij verwijs ik mevrouw Anna de Vries naar de cardioloog.", "Vries"),
        ("Kieruję Pani Ewa Nowak na badanie.", "Nowak"),
        ("Je vous adresse Mme Claire Roy pour avis.", "Roy"),
        ("Pacjent Jan Kowalski, skierowany do poradni.", "Kowalski"),
        ("Hasta: Ahmet Yılmaz, kontrol randevusu.", "Yılmaz"),
        ("患者：王伟，男。", "王伟"),
        ("환자: 김민수", "김민수"),
        ("Verwijzing: Sanne Jansen (geb. 04-05-1972).", "Jansen"),
        ("Skierowanie: Anna Wiśniewska, ur. 12.03.1958.", "Wiśniewska"),
    ],
)
def test_a_patient_named_in_another_language(engine: PhiEngine, text: str, name: str) -> None:
    """The language's own cue makes the name a patient's."""
    found = engine.analyze_text(text)
    assert _patient(found, text, name), [f.describe() for f in found]


def test_an_east_asian_birth_date(engine: PhiEngine) -> None:
    """ "出生日期：1965年3月2日" is a date of birth."""
    text = "患者：王伟，男，出生日期：1965年3月2日"
    found = engine.analyze_text(text)
    assert any(f.entity == "DOB" and "1965年3月2日" == text[f.start : f.end] for f in found)


@pytest.mark.parametrize(
    "text",
    [
        "Hasta luego, nos vemos el lunes en la reunión.",
        "Frau und Herr sind höfliche Anreden.",
        "Pan Am flight 12 leaves at noon.",
        "Jan Newsletter: new opening hours from 5 Jan.",
        "Sr Jane Hughes will review the dressing rota tomorrow.",
    ],
)
def test_the_same_words_in_other_senses_name_no_patient(engine: PhiEngine, text: str) -> None:
    """'hasta' as 'until', titles without a name, an airline, a month, a ward sister ("Sr" in
    UK mail): no patient."""
    found = engine.analyze_text(text)
    assert not any(f.entity == "PATIENT_NAME" for f in found), [f.describe() for f in found]


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("患者：王伟，男，出生日期：1965年3月2日，诊断：2型糖尿病。", "糖尿病"),
        ("患者：陳美玲，診斷：高血壓，請複診。", "高血壓"),
        ("患者名：山田太郎、生年月日：1958年4月1日、診断：心不全。", "心不全"),
        ("환자: 김민수, 생년월일: 1970년 5월 3일, 진단: 당뇨병과 고혈압", "당뇨병"),
    ],
)
def test_a_chinese_japanese_or_korean_record_is_phi(
    engine: PhiEngine, text: str, term: str
) -> None:
    """A condition written without spaces is found inside its sentence, and with the patient's
    name and birth date the record is PHI by the rules."""
    found = engine.analyze_text(text)
    assert any(f.entity == "DIAGNOSIS" and text[f.start : f.end] == term for f in found)
    phi, findings = rules_phi(engine, text, "病历")
    assert phi, [f.describe() for f in findings]


def test_chinese_business_mail_names_no_condition(engine: PhiEngine) -> None:
    """A supplier's note in Chinese without any condition gives no health finding."""
    text = "您好，本周的手套和口罩订单已发货，预计周五送达诊所。谢谢！"
    found = engine.analyze_text(text)
    assert not any(f.category == "health" for f in found), [f.describe() for f in found]
