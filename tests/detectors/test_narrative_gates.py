"""The clinical-narrative cue gates never hide a cue: every alternative holds one gate word."""

from __future__ import annotations

from pathlib import Path

import pytest
import regex

from bench.corpus.generate import generate as generate_messages
from bench.corpus.unseen import build as build_unseen
from detectors.extract import extract_message
from detectors.recognizers.health import GATED_CUES, NARRATIVE_CUES, NARRATIVE_GATES

DEV = Path("/work/shared/corpus/dev")
# Every gated kind: (kind, gate words, pattern), from both tables of the recognizer.
GATED = [
    *GATED_CUES,
    *((k, NARRATIVE_GATES[k], p) for k, p in NARRATIVE_CUES if k in NARRATIVE_GATES),
]

# Sentences written for this test, one or more for each alternative of each gated cue kind.
SENTENCES: dict[str, tuple[str, ...]] = {
    "vitals": (
        "BP 120/80 today.",
        "B/P: 130/85.",
        "HR 88.",
        "RR 18.",
        "SpO2 96%.",
        "SaO2 95.",
        "O2 sat 94.",
        "sats 92.",
        "Temp 38.2.",
        "Tmax 39.",
        "pulse 70.",
    ),
    "glucose": (
        "BG 180.",
        "FSBG was 210.",
        "CBG 95.",
        "Blood sugars around 200.",
        "Glucose of 110.",
        "My sugar was 221 this morning.",
    ),
    "vital_alert": (
        "Low SpO2 - Barnes, R.",
        "ALERT: high blood pressure",
        "Weight gain: 185.0 lb in 24 h",
        "wt 92.4 kg today",
        "He is 85.9 lbs now.",
    ),
    "section": (
        "HPI: cough.",
        "Assessment and plan: rest.",
        "Chief complaint: pain.",
        "Physical exam: normal.",
        "Hospital course: stable.",
        "Plan of care: rest.",
        "Code status: full.",
        "Vital signs: stable.",
        "Dispo: home.",
        "PMHx: HTN.",
        "Hx: asthma.",
        "Obs: stable.",
        "Meds: none.",
        "Medications: aspirin.",
        "CC: cough.",
        "ROS: negative.",
        "PSH: none.",
        "Subjective: tired.",
        "Objective: well.",
        "Impression: viral.",
        "History of present illness: cough.",
        "Allergies: none.",
        "Plan: rest.",
        "Vitals: stable.",
    ),
    "census": (
        "Bed 12: Okafor",
        "BAY 2 - Lee",
        "Rm 4: Hale",
        "Room 7: Roe",
        "Chair 3: Ann",
        "Cubicle 1: Hale",
        "Stretcher 2: Roe",
        "Cot 5: Lee",
        "Pod 3: Ann",
    ),
    "status": (
        "Afebrile overnight.",
        "Remains intubated.",
        "Extubated at noon.",
        "Sedated.",
        "Ventilated.",
        "Still on pressors.",
        "Tolerating diet.",
        "Mobilising well.",
        "Mobilizing well.",
        "Ambulating.",
        "Nil by mouth.",
        "Drain output 50 mL.",
        "Catheterised.",
        "Desaturating.",
        "Hypotensive.",
        "Tachycardic.",
        "Bradycardic.",
        "MAP > 65.",
        "On HFNC.",
        "Sats fine on room air.",
        "Stable on RA.",
    ),
    "care_event": (
        "He was admitted on Monday.",
        "Admitted to ward 3.",
        "Discharged home today.",
        "She underwent surgery.",
        "In stable condition.",
        "Arrived by ambulance.",
        "An adverse reaction to the dressing.",
        "Received the MMR vaccine.",
        "Given Tdap.",
        "Had a flu shot.",
        "Had her COVID-19 booster.",
        "Received Hep B dose 2.",
        "Had PCV13.",
        "Given zoster vaccine.",
        "Was transferred to ICU.",
        "Was resuscitated.",
    ),
    "care_context": (
        "The patient resides alone.",
        "This participant withdrew.",
        "EHR export attached.",
        "EMR export below.",
        "See the intake form.",
        "Noted in the chart.",
        "Charted as fall.",
        "During the encounter.",
        "Her glucose monitor.",
        "The home monitor.",
        "Consult requested.",
    ),
    "mental_status": (
        "Referred for low mood.",
        "Cognitive behavioural therapy offered.",
        "Talking therapies.",
        "Dialectical behavior therapy.",
        "A session of EMDR.",
        "PHQ-9 of 14.",
        "GAD7 score 9.",
        "Mood is low.",
        "Affect flat.",
        "Suicidal ideation denied.",
        "Denies SI/HI.",
        "No self-harm.",
        "Safety plan agreed.",
        "Panic attacks.",
        "Sleeping only 4 hours.",
        "Keep the thought diary going.",
        "Bring your thought records.",
        "Try the graded exposure.",
        "Exposure work this week.",
        "Behavioral activation.",
        "Ring the crisis line.",
        "The crisis team visited.",
        "If your mood dips again.",
        "Mood swings.",
    ),
    "anthropometric": (
        "Your weight today was 92.1 kg.",
        "She weighs 18.2 kg.",
        "Length is 74 cm.",
        "He measured 104 cm.",
        "You're now at 114.6 kg.",
        "You are down to 88 kg.",
        "You have lost 3 kg.",
        "You've put on 2 st.",
        "On the 9th centile.",
        "See the growth chart.",
        "Crossing two centile lines.",
        "Plotted on the percentile chart.",
        "Dry weight 72.5 kg.",
        "Wt 180 lbs.",
        "Height 170 cm.",
        "Ht 165 cm.",
        "BMI 31.",
    ),
    "death": ("She died peacefully on 3 May.", "He passed away last night."),
    "patient_subject": (
        "Pt reports pain.",
        "Patient denies fever.",
        "Resident refused meds.",
        "Mum reports fussy eating.",
        "Dad is concerned about his speech.",
        "Carer noticed a rash.",
        "Wife states he fell.",
        "Parents were concerned.",
    ),
    "exam": (
        "2+ pitting edema.",
        "Wound 3 x 2 cm.",
        "GCS 14.",
        "Bibasilar crackles.",
        "Rales.",
        "Rhonchi.",
        "Wheezing.",
        "Murmur.",
        "Granulating.",
        "Erythema.",
        "Tenderness.",
        "Pain 7/10.",
        "Stage 2 pressure ulcer.",
    ),
    "encounter": (
        "Your next appointment is on Monday.",
        "She is due for her annual check-up.",
        "Please book his diabetes review.",
        "The asthma check is overdue.",
        "POST-OP VISIT at 3pm.",
        "Follow-up consultation next week.",
        "Last visit on 3 May.",
        "Last seen in clinic 12 Jan.",
        "He was seen at the practice yesterday.",
        "Appointment on Friday with Dr Roe.",
        "Session booked with the physio.",
        "Your crown seat and bite check with Dr. Abernethy is confirmed.",
        "Thanks for choosing us for your lip filler with Joanna Pike, RN on Friday.",
        "Hi Mai, you are due to schedule your IUI.",
        "Stephen is due for his 15-month well visit.",
    ),
    "encounter_intl": (
        "VOTRE RENDEZ-VOUS est confirmé.",
        "Votre prochain rdv est lundi.",
        "Consultation de suivi à 10h.",
        "Rendez-vous chez le Dr Martin.",
        "RDV le 3 mars à 9h.",
        "Su próxima cita es el martes.",
        "Tiene una cita mañana.",
        "Consulta de revisión programada.",
        "Consulta marcada para dia 3.",
        "Remarcação da consulta feita.",
        "Consulta com a Dra. Lima.",
        "Cita con el Dr. Ruiz.",
        "A sua vacinação está marcada.",
        "Ihren nächsten Termin bitte absagen.",
        "Der Kontrolltermin ist am Montag.",
        "Termin bei Dr. Weber.",
        "Il suo prossimo appuntamento è lunedì.",
        "Visita di controllo alle 9.",
        "Appuntamento con il dott. Rossi.",
        "Prenotazione della visita confermata.",
        "Uw afspraak is verzet.",
        "Afspraak bij de huisarts om 9 uur.",
        "Controleafspraak volgende week.",
        "Spreekuur bij de dokter.",
        "Pani wizyta w środę.",
        "Wizyta kontrolna w piątek.",
        "Przypominamy o wizycie u lekarza.",
        "Termin wizyty to 3 maja.",
        "Umówiona wizyta o 10.",
        "Din tid hos läkaren är kl 9.",
        "Ditt återbesök är bokat.",
        "Läkarbesök på tisdag.",
        "Besök hos barnmorska.",
        "Kallelse till mammografi.",
        "Randevunuz yarın.",
        "Kontrol muayenesi pazartesi.",
        "来週受診してください。",
        "明日の診察について",
        "请来门诊复诊",
        "预约就诊时间",
        "진료 예약 안내",
        "건강검진 결과",
    ),
    "certification_intl": (
        "Die Arbeitsunfähigkeitsbescheinigung liegt bei.",
        "Er ist arbeitsunfähig bis Freitag.",
        "Sie ist krankgeschrieben.",
        "Krankmeldung anbei.",
        "AU-Bescheinigung folgt.",
        "Arrêt de travail de 5 jours.",
        "Arret maladie prolongé.",
        "Sigue de baja por lumbalgia.",
        "Baja laboral desde el lunes.",
        "Parte de confirmación adjunto.",
        "Incapacidad temporal prorrogada.",
        "Atestado médico em anexo.",
        "Baixa médica até sexta.",
        "Certificado de incapacidade temporária.",
        "Certificato di malattia inviato.",
        "È in malattia da lunedì.",
        "Ziekmelding ontvangen.",
        "Hij is arbeidsongeschikt.",
        "Zwolnienie lekarskie do piątku.",
        "Wystawienie zwolnienia lekarskiego.",
        "Sjukskrivning i två veckor.",
        "Han är sjukskriven.",
        "Läkarintyg bifogas.",
        "Sağlık raporu ektedir.",
        "İstirahat raporu verildi.",
        "診断書を発行しました",
        "病假三天",
        "诊断证明已开具",
        "진단서 발급",
        "병가 신청",
    ),
    "care_event_cjk": (
        "検査結果をお送りします",
        "胃炎の診断となりました",
        "胃炎と診断されました",
        "診断と治療",
        "入院となりました",
        "退院しました",
        "外科へ転科",
        "手術目的に紹介",
        "処方箋を発行",
        "检查结果如下",
        "诊断为肺炎",
        "已确诊",
        "住院治疗",
        "已出院",
        "手术后恢复",
        "处方如下",
        "검사 결과 안내",
        "위염 진단을 받았습니다",
        "입원 예정",
        "퇴원 후",
        "수술 후 경과",
        "처방 변경",
    ),
    "referral_intl": (
        "Anbei die Überweisung.",
        "Ich überweise Ihnen Frau Kurz.",
        "Zuweisung zur Kardiologie.",
        "Derivación a traumatología.",
        "Interconsulta a neurología.",
        "Le remito a la paciente.",
        "Lettre d'adressage jointe.",
        "Je vous adresse Mme Roy.",
        "Encaminhamento para cardiologia.",
        "Impegnativa allegata.",
        "Verwijzing naar de cardioloog.",
        "Skierowanie do poradni.",
        "Remiss till ortopeden.",
        "Sevk belgesi ektedir.",
        "紹介状を送ります",
        "转诊至上级医院",
        "진료의뢰서 첨부",
    ),
    "allergy": (
        "She had anaphylaxis to latex.",
        "He has an allergic reaction to plasters.",
        "Anaphylactic reaction to nuts in 2019.",
        "Is allergic to penicillin.",
        "Allergies to shellfish.",
        "No known allergy.",
    ),
    "certification": (
        "He is unfit for work until Monday.",
        "She is fit to return to work.",
        "He may return to school on Monday.",
        "Please excuse her absence.",
        "On light duties for two weeks.",
        "No lifting over 10 kg.",
        "A sick note is attached.",
        "Fit note issued.",
        "Medical certificate attached.",
    ),
    "injury": (
        "A sprained left ankle.",
        "Wrist fracture in May.",
        "Chest infection again.",
        "Knee replacement last year.",
        "Rotator cuff tear.",
        "ACL reconstruction in March.",
        "Meniscus repair planned.",
        "Whiplash after the crash.",
        "Road traffic accident.",
    ),
    "treatment_course": (
        "She has run out of her inhaler.",
        "Repeat prescription please.",
        "No refills left.",
        "Refills remaining: 2.",
        "After 6 treatments the pain eased.",
        "Completed 4 visits.",
        "Attended 3 sessions.",
        "Thank you for referring Mr Hale.",
        "We discharged her with exercises.",
        "Home exercise programme given.",
    ),
    "overnight_course": (
        "Had a comfortable night.",
        "Slept well.",
        "Eating a little.",
        "Increased the morphine to 10 mg.",
        "Doubled the dose to 20 mg.",
        "Titrated the insulin to 12 units.",
        "Weaned the oxygen off 2 days ago.",
        "5 mg every 4 hours.",
        "10 mg twice a day.",
        "2 units at night.",
        "5 mg nightly.",
    ),
}


def admitted(gate: tuple[str, ...], text: str) -> bool:
    """The recognizer's own gate test."""
    folded = text.casefold()
    return any(w in folded for w in gate)


def test_every_gated_kind_has_sentences() -> None:
    """No gated cue kind goes untested."""
    assert {kind for kind, _, _ in GATED} == set(SENTENCES)


@pytest.mark.parametrize(("kind", "gate", "pattern"), GATED, ids=lambda v: str(v)[:20])
def test_each_alternative_passes_its_gate(
    kind: str, gate: tuple[str, ...], pattern: regex.Pattern[str]
) -> None:
    """Each sentence is a cue of its kind, and the gate lets it through."""
    for sentence in SENTENCES[kind]:
        assert pattern.search(sentence), f"{kind}: the sentence must exercise the pattern"
        assert admitted(gate, sentence), f"{kind} gate hides {sentence!r}"


def test_a_gate_missing_a_word_is_caught() -> None:
    """The check can fail: without "visit" the encounter gate hides "Last visit on 3 May"."""
    _, gate, pattern = next(c for c in GATED_CUES if c[0] == "encounter")
    narrowed = tuple(w for w in gate if w != "visit")
    hidden = [s for s in SENTENCES["encounter"] if pattern.search(s) and not admitted(narrowed, s)]
    assert "Last visit on 3 May." in hidden


def test_gates_are_sound_on_the_corpora(tmp_path: Path) -> None:
    """On the dev corpus and generated messages of two template sources, no cue is hidden."""
    generate_messages(tmp_path / "a", 2, 23)
    build_unseen(tmp_path / "d", 3, 23)
    texts: list[str] = []
    for folder in [tmp_path / "a", tmp_path / "d"] + ([DEV] if DEV.is_dir() else []):
        for path in sorted(folder.glob("*.eml")):
            texts.extend(p.text for p in extract_message(path.read_bytes()).parts)
    assert len(texts) > 200
    hidden = [
        (kind, n)
        for n, text in enumerate(texts)
        for kind, gate, pattern in GATED
        if pattern.search(text) and not admitted(gate, text)
    ]
    assert hidden == []
