"""Person-name recognizers driven by cues: titles, patient labels, greetings, signatures, lists.

Each hit carries a role (``patient``, ``provider``, ``correspondent``, ``addressee``, ``staff`` or
unknown) so the message-level decision can tell a patient's name from staff and business contacts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache

import regex
from anyascii import anyascii
from spacy.lang.en.stop_words import STOP_WORDS

import detectors.recognizers.multiscan as multiscan
from detectors.recognizers.base import RawMatch, Spans, finditer, table_cell
from detectors.recognizers.gates import text_words
from detectors.recognizers.health import drug_names, terms

_CAP = r"\p{Lu}(?:\p{Ll}|['’]\p{Lu})[\p{L}'’-]{0,24}"
_UP = r"\p{Lu}{2}[\p{Lu}'’-]{0,24}"
_INIT = r"\p{Lu}\."
# "First [M.] Last [Last2]", "Last, First [M.]", "LAST, FIRST"
# Names in scripts without letter case (Han, Hangul, kana, Arabic, Hebrew, Indic, South-East
# Asian, Georgian, Ethiopic), one to four words.
_UNCASED = (
    r"[\p{Han}\p{Hangul}\p{Hiragana}\p{Katakana}\p{Arabic}\p{Hebrew}\p{Devanagari}\p{Bengali}"
    r"\p{Tamil}\p{Telugu}\p{Gujarati}\p{Gurmukhi}\p{Kannada}\p{Malayalam}\p{Sinhala}\p{Thai}"
    # with the zero-width (non-)joiners Indic and Persian names are written with
    r"\p{Lao}\p{Khmer}\p{Myanmar}\p{Georgian}\p{Ethiopic}\p{M}\u200c\u200d]"
)
# ("डी’सोउज़ा", "के.सी": an apostrophe, a stop or a hyphen may join the parts of one word)
_UNCASED_WORD = rf"{_UNCASED}{{1,20}}(?:['’.-]{_UNCASED}{{1,20}})?"
_UNCASED_NAME = rf"{_UNCASED_WORD}(?:[ \t]{_UNCASED_WORD}){{0,3}}"
NAME_FIRST_LAST = rf"{_CAP}(?: {_INIT})?(?: {_CAP}){{1,2}}"
NAME_LAST_FIRST = rf"{_CAP}(?:[- ]{_CAP})?, {_CAP}(?: {_INIT})?"
# "LAST, FIRST" and the record style "LAST, First" ("GOODMAN, Lisa", "МИХЕЕВ, Демид").
NAME_UPPER = rf"{_UP}(?:[- ]{_UP})?, (?:{_UP}|{_CAP})(?: \p{{Lu}}\.?)?"
ANY_NAME = rf"(?:{NAME_UPPER}|{NAME_LAST_FIRST}|{NAME_FIRST_LAST}|{_CAP})"
# "JACOB PALMER" as a system prints it after a label, not the label that follows it on the line
# ("Patient: JACOB PALMER   ID: 6761669"); read only after a strong patient label.
NAME_UPPER_FIRST_LAST = (
    rf"{_UP}(?: \p{{Lu}}\.?)?(?: (?!(?:ID|DOB|MRN|DOS|ACCT|AGE|SEX|GR|RM|BED|TEL|PH|FAX|MBI)"
    rf"(?![\p{{L}}])){_UP}){{1,2}}(?![\p{{L}}])"
)

CREDENTIALS = (
    "MD|M\\.D\\.|DO|D\\.O\\.|NP|FNP|FNP-C|APRN|RN|BSN|LPN|LVN|PA|PA-C|CMA|CNA|CPC|CCS|RHIA|PharmD|"
    "RPh|PhD|DDS|DMD|DPM|OD|DC|PT|DPT|OT|OTR|SLP|LCSW|LMFT|LPC|MSW|CRNA|CNM|MPH|MBA|MHA|FACP|"
    "FACS|FAAP|FAAFP|SHRM-CP|SHRM-SCP|CPA|RD|RDN|CDE|CDCES|MA|NREMT|EMT|DVM|JD|MSc|BSc|CPHIMS|"
    "RHIT|CHDA|CISSP|"
    # behavioral health, addiction, midwifery and advanced-practice credentials
    "LICSW|LMHC|LPCC|LCPC|LMSW|LISW|LISW-S|LCADC|LADC|CADC|CASAC|LCDC|PsyD|Psy\\.D\\.|PMHNP|"
    "PMHNP-BC|WHNP|WHNP-BC|DNP|BCBA|CPRS|MFT|NCC|IBCLC|AGNP|ACNP|FNP-BC|RN-BC"
)
# Courtesy titles before a name, English and others ("Herr", "Sra.", "Mme", "Pani"): a
# correspondent, a signer or an attendee may carry any of them.
_COURTESY = r"Mr|Mrs|Ms|Miss|Mx|Sr|Sra|Srta|Herrn?|Frau|Mevr|Dhr|Pani|Mme|Mlle|Madame|Monsieur|Signora?|Sig|Fru"
TITLE_PATIENT = regex.compile(
    rf"(?<![\w])(?:Mr|Mrs|Ms|Miss|Mx|Mstr)\.? ({_CAP}(?: {_CAP}){{0,2}}|{_UNCASED_NAME})"
)
# Staff news: a titled name in a sentence about fundraising, a retirement, a welcome or the
# practice's policies is a colleague, not a patient ("Mr. Jon Qualter are raising money for the
# hospice", "review the policies with Mr Frank Thomas").
STAFF_NEWS = regex.compile(
    r"(?i)(?<![\w])(?:rais(?:e|es|ed|ing) (?:money|funds)|fundrais\w*|charity|sponsor(?:ed|ing)?|"
    r"retir(?:e|es|ed|ing|ement)|leaving do|farewell|welcome to the team|welcome aboard|"
    r"congratulations|new starter|has joined|joins us|policies|meeting minutes|rota|bake sale|"
    r"fun run|bienvenid[ao]s?|bienvenue|boas-vindas|willkommen|mandatory training|"
    r"training matrix|appraisals?|inspectors?|staff induction|staff meeting|team meeting)(?![\w])"
)
# The same courtesy titles in other languages ("Estimada Sra. Pérez", "Herrn Klaus Meier",
# "mevrouw Anna de Vries", "Pani Ewa Nowak", "Mme Claire Roy"); not a bare "Sr", which in UK
# mail is a ward sister. The Danish and Norwegian "Hr" (Mr, beside "Fru") only where no number
# stands before it: "24 Hr Pharmacy" is a shop's opening hours.
TITLE_PATIENT_INTL = regex.compile(
    r"(?<![\w])(?:Sra|Srta|Herrn?|Frau|[Mm]evrouw|[Mm]eneer|Mevr|Dhr|Pani|Signora?|Sig|"
    r"Sig\.ra|Mme|Mlle|Madame|Monsieur|Fru|(?<!\d[ \t]?)Hr|Herra|Rouva)\.? "
    rf"({_CAP}(?: (?:de|van|von|der|den|da|di|del|la|le))?(?: {_CAP}){{0,2}})"
)
# Arabic titles of address (Mr, Mrs, Miss) before a name in Arabic script.
TITLE_PATIENT_ARABIC = regex.compile(
    r"(?<![\w])(?:السيد|السيدة|الآنسة)[ \t](\p{Arabic}{2,20}(?:[ \t]\p{Arabic}{2,20}){0,2})"
)
# (and a doctor's title of other languages: "Docteur Giraud", "Dott.ssa Bruni", "Dra. Lima",
# "Doutor Reis", "lek. Nowak")
_DOCTOR_INTL = (
    r"Docteur|Doktor|Dottoressa|Dottor|Dott\.ssa|Dott|Dra|Doctora|Doutora|Doutor|Dokter|"
    # ("lek." only with its dot: without it, Polish "lek" is a medicine, "lek Metformax")
    r"Dr\.med|Dr\. med|lek\. med\.|lek\."
)
TITLE_PROVIDER = regex.compile(
    rf"(?<![\w])(?:Dr|Doctor|Prof|Professor|{_DOCTOR_INTL})\.? "
    rf"((?:Mr\.? |Ms\.? )?{_CAP}(?: {_INIT})?(?: {_CAP}){{0,2}})"
)
CREDENTIALED = regex.compile(
    rf"(?<![\w])({NAME_FIRST_LAST}|{_CAP} {_CAP}),? (?:{CREDENTIALS})(?![\w])"
)
# A sender's or recipient's title stays outside the name: "Miss Ann Lee" <ann@...> is the
# correspondent Ann Lee, not a patient named by a title.
DISPLAY_NAME = regex.compile(
    rf"(?<![\w])\"?(?:(?:{_COURTESY})\.? )?((?:Dr\.? )?{NAME_FIRST_LAST}|{NAME_LAST_FIRST})(?:,? (?:{CREDENTIALS}))?\"? <[^<>@\s]{{1,64}}@"
)
HEADER_LINE = regex.compile(
    rf"(?m)^(?:>\s?)*(?:From|To|Cc|Bcc|Sender|Reply-To|Attendees?):[ \t]{{0,4}}\"?"
    rf"(?:(?:{_COURTESY})\.? )?((?:Dr\.? )?{NAME_FIRST_LAST})"
)
_GREET_PARTICLES = r"van|von|der|den|de|da|di|du|del|della|dos|das|le|la|bin|ibn|ter|ten"
GREETING = regex.compile(
    rf"(?m)^(?:>\s?)*(?:Dear|Hi|Hello|Hey|Good (?:morning|afternoon|evening)|Greetings|Attn:?|Attention:?"
    # the same in other languages: "Hej Stig!", "Bonjour Madame Roy,", "Sehr geehrte Frau Lenz,"
    r"|Hej|Hei|Hallo|Hola|Bonjour|Bonsoir|Buongiorno|Buonasera|Bom dia|Boa tarde|Olá|"
    r"Dzień dobry|Merhaba|Goedemorgen|Goedemiddag|Beste|Geachte|Liebe|Lieber|"
    r"Sehr geehrte|Sehr geehrter|Estimado|Estimada|Querido|Querida|Caro|Cara|Gentile|"
    r"Gentilissim[oa]|Cher|Chère|Prezado|Prezada|Szanown[ya]|Kära|Käre)[ ,]{1,3}"
    # other languages' forms of address stay outside the name: "Dear pani Marika Miąsik"
    r"(?:(?:pani|pan|Pani|Pan|Herr|Frau|Sr|Sra|Srta|Mme|Mlle|Sig|Sig\.ra|Dhr|Mevr|Bay|Bayan|"
    r"Madame|Monsieur|Signora|Signor|Senhora|Senhor|Señora|Señor|mevrouw|meneer|heer)\.? )?"
    # Turkish titles stay in the name's span: "Dear Uz. Bitül Tevetoğlu", "Dear Av. Ece Kaya".
    rf"((?:Dr\.? |Mr\.? |Ms\.? |Mrs\.? |(?:Uz|Av|Doç|Op|Dt|Ecz)\. )?{_CAP}(?: (?:(?:{_GREET_PARTICLES}) )*{_CAP}){{0,2}}"
    # a name in a script without capitals: "Dear ماهان زارعی,", "Dear 稔 加藤,"
    rf"|{_UNCASED_NAME})"
    rf"\s{{0,2}}[,:!\n-]"
)
# A provider's mark anywhere in a short span: "Dr. Park", "Lee, MD", "Ana Ruiz NP".
PROVIDER_MARK = regex.compile(
    rf"(?<![\w])(?:Dr|Doctor|Prof|Professor|{_DOCTOR_INTL})\b\.?|(?:,\s?|\s)(?:{CREDENTIALS})(?![\w])"
)
# "Mclaughlin, Flores and Hubbard Clinic", "Smith & Jones LLP": a list of surnames naming a firm.
FIRM_AFTER = regex.compile(
    r"\s(?:Clinic|Hospital|Center|Centre|Associates|LLC|LLP|Inc|Group|Health|Healthcare|Medical|"
    r"Practice|Partners|PLC|Ltd|Company|Pharmacy|Laboratories|Labs|Foundation|Law|Dental|"
    r"Dermatology|Cardiology|Pediatrics|Orthopedics|Surgical|Surgery|Imaging|Radiology|Family)\b"
)
BARE_GREETING = regex.compile(rf"(?m)^({_CAP}(?: {_CAP})?) (?:-|–)\s*$")
CLOSING = regex.compile(
    r"(?im)^(?:>\s?)*(?:thanks|thank you|many thanks|regards|best regards|kind regards|warm regards|"
    r"sincerely|best|respectfully|cheers|cordially|take care|yours truly|--|—)[,.!]?\s*$"
)
SIGN_LINE = regex.compile(
    rf"(?m)^(?:>\s?)*((?:(?:Dr|{_COURTESY})\.? )?{NAME_FIRST_LAST}|{_CAP})(?:,? (?:{CREDENTIALS}))?\s*"
    rf"(?:[–-].{{0,80}}|,[ \t][^\n]{{1,80}})?$"
)
# A sign-off name over (or beside) a job title at the end of a message is staff: "Seana Cloney
# / GP Trainee", "Ricardo Harper, Health Visitor", "Aaron Page / Occupational Health Physician".
STAFF_TITLE = (
    r"trainee|registrar|nurse|practitioner|physician|doctor|gp|manager|administrator|"
    r"coordinator|co-ordinator|receptionist|pharmacist|physiotherapist|physio|therapist|"
    r"dietitian|dietician|midwife|visitor|partner|lead|director|officer|secretary|assistant|"
    r"technician|consultant|surgeon|counsellor|counselor|psychologist|podiatrist|optometrist|"
    r"hygienist|dentist|paramedic|clinician|associate|apprentice|volunteer|navigator|"
    r"supervisor|sister|matron|team|department|services?|outpatients|reception|admin|"
    r"analyst|specialist|scientist|engineer|accountant|clerk|biller|coder|auditor|educator|"
    r"recruiter|advisor|adviser|representative|executive|chair|president|scheduler|planner|"
    r"controller|head|chief|champion|liaison|dispatcher|courier|committee|office|desk|"
    r"estates|facilities|finance|payroll|hr|governance|operations|procurement|security|"
    r"housekeeping|catering|maintenance|compliance|billing|accounts|integration|interfaces?|"
    r"informatics|enrol?ment|relations|helpdesk|support|development"
)
TITLED_SIGN_OFF = regex.compile(
    rf"(?m)^(?:>\s?)*((?:(?:Dr|{_COURTESY})\.? )?{NAME_FIRST_LAST})(?:,? (?:{CREDENTIALS}))?[ \t]*"
    rf"(?:,[ \t]*|\r?\n[ \t]*)(?:[\p{{L}}&/'.-]+[ \t]){{0,4}}(?:(?i:{STAFF_TITLE})|IT|EDI|ICT)"
    rf"(?:[ \t,&/-]{{1,3}}[\p{{L}}\d&'()-]+){{0,5}}[ \t\r]*$"
)
# A signature block that ends the message: a name, the organisation's name on the next line, and
# only its phone numbers, addresses for mail and web after it ("Ms Julie Mitchell / Ashbourne
# Vale Community Pharmacy / 01674 852987"). The writer is staff, titled or not.
_ORG_END = (
    r"pharmacy|chemist|surgery|practice|partnership|clinic|centre|center|hospital|hospice|"
    r"physiotherapy|physio|dental|dentistry|optometry|opticians?|health|healthcare|medical|"
    r"laboratory|laboratories|labs?|trust|foundation|group|services|ltd|limited|llc|inc|plc|"
    r"associates|partners|nhs|imaging|radiology|diagnostics"
)
_CONTACT_LINE = (
    r"(?:\r?\n[ \t]*(?:(?i:tel|phone|t|fax|f|mob|m|direct|office)[.:]?[ \t]*)?[+(]?\d[\d ()+.-]{6,}"
    r"[^\n]*|\r?\n[ \t]*[^\s@]+@[^\s@]+|\r?\n[ \t]*(?:www\.|https?://)\S+)"
)
ORG_SIGN_OFF = regex.compile(
    rf"(?m)^(?:>\s?)*((?:(?:Dr|{_COURTESY})\.? )?{NAME_FIRST_LAST})(?:,? (?:{CREDENTIALS}))?"
    rf"[ \t]*\r?\n[ \t]*(?P<org>(?:[\p{{L}}&/'.-]+[ \t]){{1,6}}(?i:{_ORG_END})"
    rf"(?:[ \t]*,?[ \t]+[\p{{L}}&'()-]+){{0,3}})[ \t\r]*{_CONTACT_LINE}{{0,4}}\s*\Z"
)
LAST_LINE_NAME = regex.compile(
    rf"(?:^|\n)[ \t]*((?:(?:Dr|{_COURTESY})\.? )?{NAME_FIRST_LAST})[ \t\r]*\n?[ \t\r\n]*\Z"
)


def last_line_name(text: str) -> regex.Match[str] | None:
    """LAST_LINE_NAME's match in ``text``, looked for on the last line that is not blank only.

    A match is a name alone on a line with nothing but blanks after it, and a name holds no line
    break, so it can only start at that line's break (or at the text's start): searching from
    there finds the same match without trying every line of the text (tests/detectors/
    test_name_endings.py holds the two to the same answers).
    """
    end = len(text.rstrip(" \t\r\n"))
    return LAST_LINE_NAME.search(text, max(text.rfind("\n", 0, end), 0))


SIGNED = regex.compile(
    rf"(?i:signed|signature|electronically signed by|sent by|from)(?:[: ]{{1,3}}|[ \t]?[-–][ \t]?)"
    rf"((?:(?:Dr|{_COURTESY})\.? )?{NAME_FIRST_LAST})"
)
# Honorifics of many languages that may stand between a cue and a name ("our patient pani Ewa
# Nowak", "Patient: Herr Jonas Weber", "for Sra. Lucia Gomez"); they never make a provider.
HONORIFIC = (
    r"(?:(?:Mr|Mrs|Ms|Miss|Mx|Mstr|Dr|Herr|Frau|Hr|Fr|pan|pani|Pan|Pani|Sr|Sra|Srta|Don|Dona|"
    r"Doña|Dña|M|Mme|Mlle|Sig|Sig\.ra|Signor|Signora|Dhr|Mevr|Bay|Bayan|Ông|Bà|Anh|Chị|Fru|Herra|"
    r"Rouva|Úr|Asszony|Domnul|Doamna|Shri|Smt|Kumari|Prof|Professor|Ing|Ir|Mgr|JUDr|MUDr|Др)"
    r"\.?\s{1,2})"
)
# Words right before a titled name that make it the patient's ("our patient Dr Robin Naylor",
# "Home health orders for Dr. Ann Lee", "Thank you for referring Prof. Ewa Nowak").
_PATIENT_SLOT = r"orders for|for referring|(?:i|we) (?:have )?(?:assessed|examined|treated)"
# A letter to a child's family names the child: "Dear Parent/Carer of Bethan Casserley".
_CHILD_OF = (
    r"parents? of|parent ?/ ?(?:carer|guardian) of|parent or (?:carer|guardian) of|carers? of|"
    r"guardian of"
)
# The person a genetics, research or disability-support record is about.
_SUBJECT_CUES = r"proband|index case|participant"
PATIENT_BEFORE = regex.compile(
    r"(?i)(?<![\w])(?:(?:patient|pt|member|resident|claimant|decedent|client|beneficiary|proband)"
    rf"(?:['’]s)?(?: name)?\s{{0,3}}[:#-]?|{_PATIENT_SLOT})\s{{0,3}}$"
)
PATIENT_CUE = regex.compile(
    r"(?i:(?<![\w])(?:patient(?:'s)?(?: name)?|pt\.?(?: name)?|name|re|claimant|beneficiary|member|"
    rf"{_SUBJECT_CUES}|"
    # a request for one's own records names its requester: "SAR 6939 - Lambert, John"
    r"d?sar(?: \d{1,8})?|subject access request(?: for)?|records request(?: for)?|"
    r"release of information(?: for)?|"
    r"member name|resident|client|insured|subscriber|guarantor|caller|caller name|summary for|"
    r"results for|result for|"
    r"refer(?:ring|ral for|ral of|ral)?|referring my patient|my patient|our patient|mutual patient|"
    r"certify that|interpreter for|orders for|for referring|"
    rf"{_CHILD_OF}|"
    r"med list for|following up on|follow up on|f/u|calling about|regarding|about|for|see|seen|on|"
    r"my name is|name is|i am|this is|calls me|call me|tribute to|directed by|written by|"
    r"schedule|reschedule|call|contact|book|admit|admitted|discharge|discharged|transfer|treat|treated|"
    # other languages: "Paciente: ...", "je vous réfère Mme ...", "le remito a ..."
    # the child a school, camp or pediatric form is about: "Student: JACOB PALMER   ID: 6761669"
    r"(?:student|camper|athlete|child|infant|newborn)(?:['’]s)?(?: name)?(?=\s{0,3}:)|"
    r"paciente|patiente|patientin|patienten|paziente|nom du patient|nombre del paciente|"
    # the insured or the service user named on a form: "Utente:", "Versicherte:", "Assuré :"
    r"utente|versicherter?|assur[ée]e?|asegurad[oa]|segurad[oa]|assicurat[oa]|verzekerde|"
    r"nome do paciente|je vous (?:réfère|adresse)|le (?:remito|refiero)(?: a)?|encaminho|"
    r"überweise ich ihnen|"
    # Dutch, Polish, Italian, Turkish, Russian, Greek, Chinese, Japanese, Korean
    r"patiënte?|naam patiënt|hierbij verwijs ik|pacjent(?:ka|ki|ce|kę|ką|em|a|owi)?|"
    r"imię i nazwisko|le invio il paziente|assistit[oa]|"
    r"hasta(?= ?:)|hasta adı|пациент(?:ка)?|больн(?:ой|ая)|ф\.?и\.?о\.?|ασθενής|"
    # (in scripts without capitals only before a colon: "환자 주소는" is "the patient's address")
    r"(?:患者(?:姓名|氏名|名)?|病人|姓名|氏名|受診者|受检者|환자(?:명| 이름)?|성명|수검자|수진자)"
    r"(?=\s{0,3}[:：]))"
    r")(?:\s{0,3}[:#：-]\s{0,8}|,?\s{1,3})"
    rf"{HONORIFIC}?({NAME_UPPER}|{NAME_UPPER_FIRST_LAST}|{NAME_LAST_FIRST}|{NAME_FIRST_LAST}|"
    rf"{_UNCASED_NAME})"
)
STRONG_CUE_WORDS = regex.compile(
    r"(?i:patient|pt|name|re|claimant|beneficiary|member|resident|client|insured|subscriber|guarantor|"
    # the patient in other languages ("Paciente:", "Pacjent:", "Hasta:", "患者：")
    r"paciente|paziente|patiënt|pacjent|hasta ?:|hasta adı|пациент|больн|ασθενής|患者|病人|환자|"
    r"utente|versicherte|assuré|asegurad|segurad|assicurat|assistit|verzekerde|受診者|受检者|수검자|"
    r"수진자|"
    rf"{_SUBJECT_CUES}|"
    r"d?sar|subject access|records request|release of information|"
    rf"caller|{_PATIENT_SLOT}|{_CHILD_OF}|student|camper|athlete|child|infant|newborn)"
)
FOLLOW_CUE = regex.compile(
    r"(?i:\s{0,3}[(,/–-]?\s{0,3}(?:\(?\s{0,2})(?:dob|d\.o\.b|mrn|date of birth|born|acct|account|mbi|ssn|"
    r"member id|medicare|medicaid|age \d|\d{1,3}[- ]?(?:y/?o|year)|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}|"
    r"\d{1,2}[ -](?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}\.?[ -]\d{4}|"
    r"(?:19|20)\d\d-\d\d-\d\d))"
)
# A name straight before its date of birth is a patient's record: "Julie Boatemaa DOB 10.02.20",
# "Roe, Ann (d.o.b. 3/4/1950)", "Ann Lee, born 12 May 1961".
NAME_THEN_DOB = regex.compile(
    rf"(?<![\w])({NAME_UPPER}|{NAME_LAST_FIRST}|{NAME_FIRST_LAST})[ \t]{{0,2}}[,(–-]?[ \t]{{0,2}}"
    r"(?i:dob|d\.o\.b\.?|date of birth|born|geb\.?|geboren|née?|nat[oa]|nacid[oa]|nascid[oa]|"
    r"ur\.|urodzon[ya]|født|född|род\.|d\.t\.)(?![\w])"
)
# A roster row may start with its clock time ("10:10  Cousin, Laurence  (07.08.1954) ...",
# "3:20 pm  Andreotti, Daria").
LIST_ROW = regex.compile(
    rf"(?m)^[ \t>*-]{{0,6}}(?:\d{{1,2}}[:.]\d{{2}}(?:[ \t]?(?i:am|pm))?[ \t]+)?({NAME_UPPER}|{NAME_LAST_FIRST}|{_UNCASED}{{1,20}}, {_UNCASED}{{1,20}})(?=\s{{2,}}|\t|,|\s*\||\s+\d|\s[-–—]\s)"
)
TABLE_NAME_CELL = regex.compile(
    rf"(?:^|(?<=[,\t|]))[ \t\"]{{0,3}}({NAME_UPPER}|{NAME_LAST_FIRST}|{NAME_FIRST_LAST}|{_CAP}|{_UP}|{_UNCASED_NAME})[ \t\"]{{0,3}}(?=[,\t|\r\n]|$)",
    regex.MULTILINE,
)
_NAME_HEADER_WORDS = (
    "name", "patient", "member", "beneficiary", "client", "resident", "last", "first", "surname",
)  # fmt: skip
NAME_HEADER = regex.compile(rf"(?i)\b(?:{'|'.join(_NAME_HEADER_WORDS)})\b")
NOT_PATIENT_HEADER = regex.compile(
    r"(?i)\b(?:provider|physician|doctor|staff|employee|vendor|company|facility|practice|clinic|"
    r"plan|payer|drug|product|item|file|user|rep|contact person)\b"
)
# Names listed as those present, speaking or serving are participants, never patients:
# "Present: A, B, C", "Speakers: ...", "Board members: ...", "Attendees - ...".
ATTENDEE_LIST = regex.compile(
    r"(?im)\b(?:present|attendees?|attending|in attendance|absent|regrets|apologies|"
    r"speakers?|panel(?:ists)?|faculty|moderators?|presenters?|board members?|members present|"
    r"guests?|committee members?|participants|invited|cc|chair(?:ed by)?|facilitators?|hosts?|"
    r"(?:co-?)?authors?|investigators?|principal investigator|reviewers?|signatories|quorum|"
    r"voting members)"
    r"[ \t]?[:-][ \t]?((?:[^.\n;]|(?<=(?<![\w])(?:Mr|Mrs|Ms|Dr|Prof|Jr|Sr|Sra|Srta|Mme|Mlle|Sig|Mevr|Dhr|\p{Lu}))\.){3,400})"
)
ATTENDEE_ITEM = regex.compile(
    rf"(?:(?:Dr|Prof|{_COURTESY})\.? )?({NAME_FIRST_LAST}|{NAME_LAST_FIRST}|{_CAP})"
)
# "Kowalski J. 1957-03-02 - MRI report": a surname, an initial and a full date before a care
# document word on one line is a patient's record label.
SURNAME_INITIAL_DATE = regex.compile(
    rf"(?m)(?<![\w])({_CAP}(?:[- ]{_CAP})?,? \p{{Lu}}\.?)[ \t,]{{1,3}}"
    r"(\d{4}-\d{2}-\d{2}|\d{1,2}[/.]\d{1,2}[/.]\d{4})(?![\w/.-])"
    r"(?=[^\n]{0,12}?(?i:\b(labs?|lab results?|results?|report|biopsy|pathology|path|imaging|mri|"
    r"ct|x-?ray|scan|ultrasound|echo|ecg|ekg|referral|consult|discharge|note|notes|rx|"
    r"prescription|chart|records?|summary|visit|follow-?up)\b))"
)
CLINICAL_TEST_WORD = regex.compile(
    r"(?i:labs?|lab results?|biopsy|pathology|path|imaging|mri|ct|x-?ray|scan|ultrasound|echo|"
    r"ecg|ekg|discharge|rx|prescription)"
)
# "Erling Lundkvist (grade 10)", "Ana Roe (72 y/o)", "Li Wei (DOB ...)": a parenthetical age,
# school grade or birth date after capitalised words says they name a person.
NAME_DEMOGRAPHIC = regex.compile(
    rf"(?<![\w])({_CAP}(?: {_INIT})?(?: {_CAP}){{1,2}})\s?\((?i:grade\s?\d|age[ds]?\s?\d|dob|d\.o\.b|"
    r"born|\d{1,3}\s?(?:yo|y/o|y\.o\.|years?|yrs?|months?|mos?)(?![\w])|[MF],?\s?\d{1,3}(?![\w])|"
    r"\d{1,2}(?:st|nd|rd|th) grade)"
)
# "Daniel Allen from Perez Group stopped by and met Dr. Lee": a visitor named by the firm they
# come from is a business contact.
VISITOR = regex.compile(
    rf"(?<![\w])(?:(?:{_COURTESY})\.?[ \t])?({NAME_FIRST_LAST}) (?:from|of|with) (?:the )?"
    r"\p{Lu}[^.\n]{0,40}?\b(?:stopped by|dropped by|dropped off|came by|visited|will visit|"
    r"presented|will present|will speak|will talk|hosted|demonstrated|met with|met|called on|"
    r"detailed)(?![\w])"
)
# "the dose for Ann Lee in bay 6", "Mrs Hale in bed 12": a person placed in a care bed is its
# patient.
_IN_BED = r"[ \t](?:in|on|at)[ \t](?i:bed|bay|cubicle|chair|stretcher)[ \t]?#?\d"
NAME_IN_BED = regex.compile(
    rf"(?<![\w])({NAME_LAST_FIRST}|{NAME_FIRST_LAST}|{_CAP}|{_UNCASED_NAME}){_IN_BED}"
)
# "Spoke with Ann Lee today", "saw Tom Hale": the person a clinician spoke to or saw (role
# unknown; a visitor from a firm is not one).
SPOKE_WITH = regex.compile(
    rf"\b(?i:spoke with|spoke to|talked with|talked to|saw|assessed|reviewed|bringing|brought|"
    rf"phoned|rang|telephoned)"
    rf"[ \t]{{1,3}}(?:(?:{_COURTESY})\.?[ \t])?({NAME_FIRST_LAST}|{_UNCASED_NAME}"
    # A first name alone where a visit follows: "I saw Ajeng at the 2-year review".
    rf"|{_CAP}(?=[ \t](?:at|in|to|for|today|yesterday|this (?:morning|afternoon)|on)[ \t]))"
    r"(?![ \t](?:from|of|at|with)[ \t]\p{Lu})(?![\w])"
)
# A caller who gives their name: "Ryan Siqueira here, my son has had a fever", "it's Ann Lee
# calling" (not a rep's "Jane Roe here from Acme").
SELF_INTRO = regex.compile(
    rf"(?<![\w])(?:(?i:it's|it is|this is)[ \t]+)?({NAME_FIRST_LAST}|{_UNCASED_NAME})"
    r"[ \t](?:here|calling)(?![\w])(?![,]?[ \t](?i:from|at|with|of|on behalf)(?![\w]))"
)
# A visit at the patient's home: "I visited Tori Maclean at home (38 Church Road ...)".
HOME_VISIT = regex.compile(
    rf"\b(?i:visited|saw|seen)[ \t]{{1,3}}(?:(?:{_COURTESY})\.?[ \t])?"
    rf"({NAME_FIRST_LAST}|{_UNCASED_NAME})[ \t]+(?i:at (?:home|her home|his home|their home))\b"
)
# A job title right before a name marks staff: "the study coordinator Ann Lee", "practice
# manager Tom Hale", "HR contact: Ana Ruiz".
JOB_TITLE_BEFORE = regex.compile(
    rf"\b(?:(?i:coordinator|manager|director|administrator|representative|rep|liaison|"
    rf"officer|supervisor|assistant|specialist|scheduler|receptionist|technician|pharmacist|"
    rf"recruiter|secretary|chair|chairman|chairperson|president|treasurer|organizer|organiser|"
    rf"lead|head of [a-z]+|hr contact|billing contact|point of contact)"
    # Human Resources in capitals only: "Hr Sam Nielsen" is the Danish and Norwegian "Mr".
    rf"|HR)"
    rf"[ \t]?[:,-]?[ \t]({NAME_FIRST_LAST})"
)
# The person in a care place at the head of a line is its patient: ward lists, ED boards,
# dialysis chair rosters ("Bed 12: Okafor, 67M", "Chair 3 - Ann Lee", "Rm 4: Mrs Hale").
CENSUS_ROW = regex.compile(
    rf"(?m)^[ \t>*-]{{0,6}}(?i:bed|bay|rm|room|chair|cubicle|stretcher|cot)\s?#?\d{{1,3}}"
    rf"(?:\p{{Lu}}(?![\w]))?[ \t]?[:|-][ \t]{{0,3}}{HONORIFIC}?"
    rf"({NAME_UPPER}|{NAME_LAST_FIRST}|{NAME_FIRST_LAST}|{_CAP}|{_UNCASED_NAME})(?![\w])"
)
# "12 Hale - intubated", "3) 王 - for discharge": a surname after a row number and before a dash
# is a listed person (role unknown: a name beside health information in its part counts).
NUMBERED_ROW = regex.compile(
    rf"(?m)^[ \t]{{0,6}}\d{{1,3}}[.)]?[ \t]+({_CAP}|{_UNCASED_NAME}),?[ \t]+[-–—:][ \t]"
)
# A row that opens with a record or specimen number, then a name and a separator:
# "> A27-11852 Priya Natarajan - squamous cell carcinoma", "#40417  Ann Lee | INR 3.1".
RECORD_ROW = regex.compile(
    rf"(?m)^[ \t>*-]{{0,6}}#?\p{{Lu}}{{0,3}}\d{{0,4}}[-/]?\d{{3,10}}[ \t]+"
    rf"({NAME_FIRST_LAST}|{_UNCASED_NAME})(?=[ \t]+[-–—][ \t]|[ \t]*[|:\t])"
)
# A list row of a name and, a wide gap later, a date: "  Κλειώ Κυριαννάκη  19 November 1964
# R3A M1 -> eye clinic", "Ann Lee\t03/04/1961\t...".
DATED_ROW = regex.compile(
    rf"(?m)^[ \t>*-]{{0,6}}({NAME_FIRST_LAST}|{_UNCASED_NAME})"
    r"(?=(?:[ \t]{2,}|\t)[ \t]*\d{1,4}[-/. ](?:\d{1,2}|\p{L}{3,9})[-/. ]\d{2,4}(?![\w/.-]))"
)
# A short line (a subject, a list row) of a name, a dash and what it is about: "Mandala Tri -
# lithium", "के.सी अवलोक - warfarin"; a name in a script without capitals after the dash at a
# line's end: "CP review - पुजन श्रेष्ठ". Only a health item on the line makes it a patient's.
DASH_ROW_NAME = regex.compile(
    rf"(?m)^[ \t>*-]{{0,6}}({NAME_FIRST_LAST}|{_UNCASED_NAME})[ \t]+[-–—][ \t]+(?=[^\n]{{1,60}}$)"
)
DASH_TAIL_NAME = regex.compile(rf"(?m)[ \t][-–—][ \t]+({_UNCASED_NAME})[ \t]*$")
# A name in a script without capitals set in English prose, where a sentence or a clause begins:
# "िकशोरी सेनगुप्ता from the welding bay had a 44 dB shift", "Please book 은서 문 for Tuesday".
# Only care in its own sentence makes it a patient's.
EMBEDDED_SCRIPT_NAME = regex.compile(
    rf"(?:^|(?<=[\n.!?:;,][ \t]{{1,3}})|(?<=\n)|(?<=[a-z][ \t]))({_UNCASED_NAME})"
    r"(?=[ \t]+(?:[a-z]{2,}|[0-9])[^\n]{0,200}[a-z])"
)
# A Japanese, Chinese or Korean name before its honorific: "藤田 健一様", "山口さま", "王芳女士",
# "김영수 님" (not 先生, which in Japanese is any doctor or teacher and follows a surname alone).
CJK_HONORIFIC_NAME = regex.compile(
    r"(?|(?<!\p{Han})(\p{Han}{1,3}[ \u3000]?\p{Han}{1,3})(?:様|さま|殿|女士)"
    r"|(?<![\p{Hangul}])(\p{Hangul}{2,4})[ \t]?님(?![\p{Hangul}]))"
)
# A line that is only a name in a script without capitals ("حمدي عنس" under a sign-off): the
# engine reads it only in the signature of a writer who tells of their own health.
SCRIPT_NAME_LINE = regex.compile(rf"(?m)^[ \t>]*({_UNCASED_NAME})[ \t\r]*$")
# A name with a date in brackets right after it: "Smear overdue - Dorel Pop (06-04-1984)". The
# engine makes it a patient and a date of birth when the date is of an earlier year.
NAME_BRACKET_DATE = regex.compile(
    rf"(?<![\w])({NAME_UPPER}|{NAME_LAST_FIRST}|{NAME_FIRST_LAST}|{_UNCASED_NAME})[ \t]?"
    r"\((?=\d{1,4}[-/. ]\d{1,2}|\d{1,2}[ \t]\p{L}{3})"
)
# A line (a subject, mostly) of a care item, a dash and a name: "CP review - Jane Hoàng",
# "Smear overdue: Dorel Pop", "Discharge summary – 张伟". The mail is about that person.
_CARE_ITEMS = (
    "review", "report", "referral", "conference", "recall", "result", "results", "overdue",
    "discharge", "follow-up", "follow up", "appointment", "case", "concern", "safeguarding",
    "mdt", "letter", "notes", "summary", "handover", "assessment", "plan",
)  # fmt: skip
CARE_ITEM_DASH_NAME = regex.compile(
    # (the care item in a lookbehind: the scan stops only at a dash or a colon, 2.5x faster)
    r"(?im)(?<=(?<![\w])(?:" + "|".join(w.replace(" ", "[ \t]") for w in _CARE_ITEMS) + r")"
    r"[ \t]*)[-–—:][ \t]*(?:(?:Dr|Mr|Mrs|Ms|Miss|Mx|Prof)\.?[ \t])?"
    rf"(?-i:({NAME_UPPER}|{NAME_LAST_FIRST}|{NAME_FIRST_LAST}|{_UNCASED_NAME}))[ \t\r]*$"
)
# A person from a place of work, study or care, and what happened to them: "Nomasonto Mahlobo
# from the crushing plant had a 44 dB shift", "Ann Lee from Room 4 fell overnight".
NAME_FROM_UNIT = regex.compile(
    rf"({NAME_FIRST_LAST}|{_UNCASED_NAME}) from (?:the|our|room|ward|bay|unit|class|year) "
    r"[^.\n]{0,40}?(?<=[ \t])(?:had|has|was|is|needs?|reported|attended|presented|complained|"
    r"fell|developed|failed|showed)(?![\w])"
)
# A relative named in brackets: "Mother (सुश्री इन्दु श्रेष्ठ) attended with a black eye".
KIN_IN_BRACKETS = regex.compile(
    r"(?i:\b(?:mother|mum|mom|father|dad|parent|carer|guardian|sibling|brother|sister))"
    rf"[ \t]\({HONORIFIC}?({NAME_FIRST_LAST}|{_UNCASED_NAME})\)"
)
# A name followed by a patient descriptor in charting shorthand is a patient's: age and sex
# ("Okafor, 67M", "Ann Lee 45 F", "Hale 72yo F"), gravida/para ("Roe, G2P1"), a post-operative
# day or status-post ("Hale POD 2 ...", "Lee s/p ..."), or a clinical statement about them
# ("Siv Antonsen had anaphylaxis", "Ann Lee is allergic to", "Tom Hale attended the clinic").
_SHORTHAND = (
    r"\d{1,3}[ \t]?(?:y/?o|y\.o\.|yrs?)?[ \t]?[MF](?![\w&])|\d{1,3}[ \t]?(?:y/?o|-year-old)\b"
    r"|G\d{1,2}[ \t]?P\d{1,2}\b|POD[ \t]?\d{1,2}\b|[sS]/[pP][ \t]"
    # an age alone between commas before what happened: "Enrico Cicilia, 34, overdose of ..."
    r"|\d{1,3},[ \t](?=\p{Ll})"
)
_STATEMENT = (
    r"(?:had|has|developed) (?:an? )?(?:anaphyla|allergic reaction)|(?:is|was) allergic to"
    r"|attended (?:this|our|the|today's|her|his|their) (?:clinic|practice|surgery|hospital|"
    r"session|appointment|review|consultation|assessment|group)"
    # a night on the ward or at the hospice, and a death
    r"|had an? (?:comfortable|settled|restless|good|poor|quiet|disturbed|unsettled) night"
    r"|(?:died|passed away) (?:peacefully |suddenly )?(?:on|in|at|yesterday|last|overnight|this)"
)
_DESCRIPTOR = f"{_SHORTHAND}|{_STATEMENT}"
NAME_AGE_SEX = regex.compile(
    rf"(?<![\w])({NAME_LAST_FIRST}|{NAME_FIRST_LAST}|{_CAP}|{_UNCASED_NAME}),?[ \t]"
    rf"(?={_DESCRIPTOR})"
)
# Authors of a cited paper are no patients: "(Okafor et al.)", "Ann Lee and colleagues".
_CITED = r"[ \t](?:et al\b|and colleagues\b)"
CITATION = regex.compile(rf"(?<![\w])({NAME_FIRST_LAST}|{_CAP}(?:[- ]{_CAP})?),?{_CITED}")
# The person forms, replies or questions go to is staff: "forms are due by Friday to Ann Lee",
# "RSVP to Tom Hale", "questions to Dr Ruiz", "Questions: Kevin Hodges".
RECIPIENT_OF_PAPERWORK = regex.compile(
    r"\b(?i:due|rsvp|questions?|enquiries|inquiries|forms?|timesheets?|submissions?|"
    r"paperwork|returned?)\b(?:[^.\n]{0,30}?\bto[ \t]+|[ \t]?:[ \t]?)(?:Dr\.?[ \t])?"
    rf"({NAME_FIRST_LAST})"
)
# A name followed by the unit someone works in is staff: "Sergio Sanchez, Biomedical
# Engineering", "Ann Lee, Medical Affairs", "Tom Hale, Purchasing Dept".
_UNIT = (
    r"(?i:engineering|department|dept|services|team|office|affairs|operations|purchasing|"
    r"procurement|supply chain|facilities|administration|accounts(?: payable| receivable)?|"
    r"human resources|biomed(?:ical)?|marketing|sales|compliance|finance|logistics)\b"
)
NAME_COMMA_UNIT = regex.compile(
    rf"(?<![\w])({NAME_FIRST_LAST}),[ \t](?:\p{{Lu}}[\p{{L}}&-]+[ \t]){{0,3}}{_UNIT}"
)
# A name, a comma and a job in one of several languages is staff: "Katherina Pohl, nuestra
# nueva enfermera", "Anne Roy, notre infirmière", "Ann Lee, our new practice nurse".
_JOBS = (
    "nurse", "doctor", "physician", "receptionist", "pharmacist", "midwife", "enfermera",
    "enfermero", "médica", "médico", "doctora", "recepcionista", "farmacéutica", "farmacéutico",
    "matrona", "infirmière", "infirmier", "médecin", "secrétaire", "pharmacienne", "pharmacien",
    "sage-femme", "enfermeira", "enfermeiro", "farmacêutica", "farmacêutico", "krankenschwester",
    "pflegekraft", "arzt", "ärztin", "arzthelferin", "apotheker", "apothekerin", "hebamme",
)  # fmt: skip
NAME_COMMA_JOB = regex.compile(
    rf"(?<![\w])({NAME_FIRST_LAST})(?:[ \t]\p{{Lu}}[\p{{L}}.]{{1,6}})?,[ \t]"
    r"(?i:(?:our|nuestr[ao]|notre|nossa|nosso|unser[e]?|la|el|le|a|o|die|der|new|nuev[ao]|"
    r"nouvel(?:le)?|nov[ao]|neuer?|practice|family|head|senior|lead)[ \t]){0,3}"
    r"(?i:" + "|".join(_JOBS) + r"|(?:de|da) família|de famille|de familia)(?![\w])"
)
# Cheap gates: a pattern runs only on text that holds what it needs.
VISITOR_GATE = regex.compile(
    r"\b(?:stopped by|dropped by|dropped off|came by|visited|will visit|presented|will present|"
    r"hosted|demonstrated|met|called on|detailed)\b"
)
FULL_DATE_GATE = regex.compile(r"\d{4}-\d{2}-\d{2}|\d[/.]\d{1,2}[/.]\d{4}")
LONE_NAME = regex.compile(r"(?<![\w])\p{Lu}[\p{Ll}\p{M}]{2,15}(?![\w])")
# Family-name particles of many languages ("Elif de Vrome", "Carol van den Heuvel", "Omar bin
# Laden", "Ali al-Farsi").
_PARTICLE = (
    r"(?:van der|van den|van de|van|von der|von|de la|de los|de las|del|della|de|da|di|du|dos|"
    r"das|do|bin|ibn|binti|al|el|le|la|ter|ten|zu|mac|ap)"
)
KNOWN_NAME = regex.compile(
    rf"(?<![\w])({_CAP}(?: {_INIT})?(?: {_CAP})?(?: {_PARTICLE}(?= ))?"
    rf" (?:(?:al|el)-)?{_CAP}(?:-{_CAP})?)(?![\w])"
)
# Surname endings of many languages: a capitalised pair ending in one is a name ("Cezary
# Koniecki", "Viljami Eloranta" is not, "Pekka Virtanen" is).
SURNAME_ENDINGS = (
    "ski|ska|cki|cka|dzki|dzka|wicz|owicz|ewicz|czyk|czak|iak|ova|ová|ov|ev|eva|in|ina|"
    "enko|chuk|vić|vic|ić|ic|escu|eanu|oğlu|oglu|nen|inen|lä|la|dóttir|sson|sen|son|ström|"
    "strom|berg|gren|lund|qvist|kvist|holm|dahl|mann|meier|mayer|müller|ini|elli|etti|otti|"
    "ucci|azzi|ez|es|eira|eiro|ópoulos|opoulos|akis|ákis|idis|ídis|iou|ίου|ου|ος|ης|άκης|"
    "ίδης|όπουλος|ов|ова|ев|ева|ин|ина|ский|ская|енко|ович|евич|овна|евна|ian|yan|yan|"
    "zadeh|pour|vand|poulos|oulos"
).split("|")
# The endings reversed, matched at the start of the reversed word: one position tried, where a
# search for "(?:ski|...)$" tries all 95 endings at every position of the word (8-14 us a word;
# tests/detectors/test_name_endings.py holds the two to the same answers).
_SURNAME_ENDING_REVERSED = regex.compile(
    "(?:" + "|".join(regex.escape(e[::-1]) for e in SURNAME_ENDINGS) + ")", regex.IGNORECASE
)


def surname_ending(word: str) -> bool:
    """Whether a word (a name's letters: no line break) ends in a surname ending, any case."""
    return _SURNAME_ENDING_REVERSED.match(word[::-1]) is not None


PAIR = regex.compile(rf"(?<![\w])({_CAP} {_CAP})(?![\w])")
# Names written in Han, Kana or Hangul (CJK names are written without capitals).
_HAN = r"\p{Han}"
JAPANESE_NAME = regex.compile(
    rf"(?<![\p{{Han}}\p{{Hiragana}}\p{{Katakana}}\w]){_HAN}{{1,3}}[ \u3000]"
    rf"{_HAN}[{_HAN}\p{{Hiragana}}]{{0,3}}(?![\p{{Han}}\p{{Hiragana}}\p{{Katakana}}\w])"
)
HAN_RUN = regex.compile(
    rf"(?<![\p{{Han}}\p{{Hiragana}}\p{{Katakana}}\w]){_HAN}{{2,4}}(?![\p{{Han}}\p{{Hiragana}}\p{{Katakana}}\w])"
)
# Any character of the CJK and Hangul blocks.
CJK_CHAR = regex.compile("[\u2e80-\ud7ff]")
HANGUL_NAME = regex.compile(r"(?<![\p{Hangul}\w])\p{Hangul}{2,4}(?![\p{Hangul}\w])")
# A word before a CJK name that says a person follows (English, Chinese, Japanese, Korean).
CJK_NAME_CUE = regex.compile(
    r"(?i:(?:name is|i am|i'm|this is|patient|pt|mr|mrs|ms|dr|for|attn\.?|to|from|kin|"
    r"contact|患者|病人|姓名|氏名|様|환자|성명|이름|보호자)[\s:：,，]{0,3})$"
)
CJK_LAST_FIRST = regex.compile(
    r"(?m)^[ \t>]*((?:\p{Han}{1,2}|\p{Hangul}), (?:\p{Han}{1,3}|\p{Hangul}{1,3}))(?=[ \t]*[-–,(]|$)"
)
# The commonest Chinese and Korean family names (a Han or Hangul run starting with one).
CHINESE_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
KOREAN_SURNAMES = frozenset(
    "김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민진지엄채원천방공현나라"
    "함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용"
)
# Where a Han run ends in one of these it names a place or an organisation, not a person.
HAN_PLACE_END = frozenset("省市区县镇乡村路街道号座楼室院司局厂店所部科楼都道府県町丁目番郡社園館")
# (and Korean particles that end a word, never a name: "주소는" is "the address is")
HANGUL_NOT_NAME_END = frozenset("시구군도동로길리읍면호층실원사과소관청국부는를을에의께")

# "Lara A Pottinger", "Erik A. Eberhardt": a middle initial between two capitalised words.
MIDDLE_INITIAL = regex.compile(rf"(?<![\w.])({_CAP} \p{{Lu}}\.? {_CAP}(?:-{_CAP})?)(?![\w])")
KIN_CUE = regex.compile(
    rf"(?i:\b(?:my|our|his|her|their|your) (?:kid|son|daughter|child|wife|husband|partner|mother|"
    rf"mom|mum|father|dad|brother|sister|grandson|granddaughter|grandmother|grandfather|aunt|uncle|"
    rf"nephew|niece|cousin|friend|boss|colleague|neighbou?r|caregiver|guardian|spouse) "
    # a newborn is named by the word for one: "the ultrasound for baby Ayla", "Infant Boy Reyes"
    rf"|\b(?:baby|infant|newborn)(?: (?:boy|girl))? )"
    rf"({_CAP}(?: {_INIT})?(?: {_CAP}){{0,2}})"
)
_NEWBORN = regex.compile(r"(?i)baby|infant|newborn")
TITLE_ANY_CASE = regex.compile(rf"(?<![\w])(?i:mr|mrs|ms|miss|mx)\.? ({_CAP}(?: {_CAP}){{0,2}})")
# Staff shorthand names a patient in lower case: after a patient label ("pt: keith castillo",
# "pt ms iwu 23 yo f", "patient name: jennifer pollard") or after a lower-case courtesy title
# ("mrs dương in rm 5", "mr. okafor no-showed"). `_lower_name` keeps the words that can be a
# name and asks for evidence that they are one.
_LOWER_WORD = r"\p{Ll}[\p{Ll}\p{M}'’-]{1,24}"
LOWER_LABELLED_NAME = regex.compile(
    r"(?<![\w])(?i:pt|patient|client)(?:['’]s)?(?i: name)?[ \t]{0,3}[:#-]?[ \t]{0,3}"
    rf"((?:(?:mr|mrs|ms|miss|mx)\.?[ \t])?{_LOWER_WORD}(?:[ \t]{_LOWER_WORD}){{0,2}})"
)
LOWER_TITLED_NAME = regex.compile(
    rf"(?<![\w@.])((?:mr|mrs|miss|mx|ms\.)\.?[ \t]{_LOWER_WORD}(?:[ \t]{_LOWER_WORD})?)(?![\w@])"
)
_LOWER_TITLE = regex.compile(r"(?:mr|mrs|ms|miss|mx)\.?[ \t]")
# ... or before what a person does in a message-taker's note: "tao shen called, needs a refill",
# "mike johnson left vm", "maria santos no-showed"
LOWER_NAME_VERB = regex.compile(
    rf"(?<![\w@./-])({_LOWER_WORD}[ \t]{_LOWER_WORD})[ \t,]+(?:called|left (?:a )?(?:vm|voicemail|"
    r"msg|message)|wants|needs|is in (?:rm|room)|came in|no-?showed|missed|is asking|asked)(?![\w])"
)
NAMED_CUE = regex.compile(
    rf"(?i:\b(?:called|named|maiden name(?: is)?|last name(?: is)?|first name(?: is)?|"
    rf"surname(?: is)?|family name(?: is)?|calls me|call me|name is|nicknamed|aka|i'm|i am))"
    rf"[:?]?\s{{1,3}}({_CAP}(?: {_INIT})?(?: {_CAP}){{0,2}})"
)
# Verbs whose subject is a person ("Johannes lives on ...", "Ana told ...").
_HUMAN_VERBS = (
    r" (?:lives|lived|resides|resided|shouted|called (?:-|–|about|re|regarding|in)|"
    r"whispered|told|was born|had given|emailed|texted|phoned|smiled|laughed|called to|rang|"
    r"called back|missed (?:the|her|his|their) appointment|cancelled (?:the|her|his)|"
    r"moved to|asked (?:us|me|for|to)|wrote to|came in|arrived|turned up)(?![\w])"
)
HUMAN_VERB = regex.compile(
    rf"(?<![\w])({NAME_LAST_FIRST}|{_UNCASED_NAME},[ \t]{_UNCASED_NAME}|"
    rf"{_CAP}(?: {_INIT})?(?: {_CAP}){{0,2}}){_HUMAN_VERBS}"
)
# A speaker at a meeting is a colleague or a visitor, not a patient: "Brandon Wallace asked to
# present Slynd data at the huddle", "Dr Ama Owusu will speak on PrEP".
PRESENTER = regex.compile(
    rf"(?<![\w])({NAME_LAST_FIRST}|{NAME_FIRST_LAST}) (?:has |had )?(?:asked|wants|offered|agreed|"
    r"is going|will|would like|plans|is scheduled|is due|was invited|has been invited)(?: to)? "
    r"(?:present|speak|talk|give (?:a|the|an) (?:talk|presentation|in-?service|update)|"
    r"lead (?:the|a|an|our) (?:session|huddle|training|in-?service|discussion)|host)(?![\w])"
)
# Who runs a session or an item of an agenda is staff or a visitor: "Facilitated by Ashley
# Brown", "Case 1 - presented by Abhimanyu", "12:50 Telehealth prescribing update (Jyoti Minhas)".
SESSION_LEAD = regex.compile(
    r"(?<![\w])(?i:(?:presented|facilitated|led|hosted|moderated|chaired|run|taught|delivered) by) "
    rf"(?:(?:Dr|Prof)\.? )?({NAME_FIRST_LAST}|{_CAP})"
)
AGENDA_ITEM_BY = regex.compile(
    r"(?m)(?:^|[•·])[ \t>*•·-]*\d{1,2}[:.]\d{2}[ \t]*(?i:[ap]\.?m\.?)?[ \t]*[-–—:]?[ \t]*"
    rf"[^\n()•·]{{3,80}}\((?:(?:Dr|Prof)\.? )?({NAME_FIRST_LAST})(?:, [^()\n]{{1,30}})?\)"
)
# People named by their part in someone's care or a delivery: "Next of kin Cahal Corless",
# "Emergency contact: Ana Ruiz", "attn. Li Wei", "c/o Ben Hale", "ship the monitor to Ann Lee".
CARE_ROLE_NAME = regex.compile(
    rf"(?i:\b(?:next of kin|emergency contact|guardian|legal guardian|carer|caregiver|"
    rf"care of|c/o|attn\.?|attention|contact person|proxy|power of attorney|"
    rf"(?:ship|send|deliver|mail|post)(?: the [a-z]+(?: [a-z]+)?)? to))[ \t]?[:,-]?[ \t]{{1,3}}"
    rf"((?:{_CAP}|{_UP})(?: {_INIT})?(?: (?:{_PARTICLE} )?(?:{_CAP}|{_UP})){{1,2}})"
)
# Reported speech: "said Ana to Ben", "shouted at Ben", "asked Ana".
SPEECH = regex.compile(
    rf"(?<![\w])(?:said|asked|replied|shouted|yelled|whispered|told)(?: at| to)? ({_CAP})"
    rf"(?: to ({_CAP}))?(?![\w])"
)
# Two capitalised words, one with letters outside ASCII ("Karel Janeba", "Ludmiła Kwiatkowska").
DIACRITIC_PAIR = regex.compile(rf"(?<![\w])({_CAP} {_CAP})(?![\w])")
POSSESSIVE = regex.compile(
    rf"(?<![\w])({_CAP})['’]s (?=(?:address|phone|number|email|e-mail|daughter|son|wife|husband|"
    rf"mother|father|kid|child|family|house|home|birthday|account|room|bed|chart|file|record|"
    rf"appointment|results|insurance|song|novel|book|lawyer|doctor|sister|brother|"
    rf"bloods?|urine|sample|specimen|swab|scan|x-ray|labs?|tests?|referral|prescription|"
    rf"medications?|meds)\b)"
)
SPEAKER = regex.compile(rf"(?m)^[ \t>}}|]*({_CAP})[ \t]?:[ \t]*[\"“]?\S")
NAME_LIST = regex.compile(rf"(?<![\w])({_CAP}(?:, {_CAP}){{0,8}},? (?:and|&|or) {_CAP})(?![\w])")
NAME_LINE = regex.compile(
    rf"(?m)^[ \t>}}|]*({_CAP}(?: \p{{Lu}}\.?)?(?: {_CAP}){{1,2}})[ \t]*(?=\r?\n|$)"
)

# Cheap gates for the costly shapes: each pattern's match holds a match of its gate, so a text
# without one cannot match and is not scanned. A name shape is tried at every capitalised word;
# the word or sign after it that the pattern needs is rare, and looking for it is far cheaper.
_GATES: dict[regex.Pattern[str], regex.Pattern[str]] = {
    CREDENTIALED: regex.compile(rf" (?:{CREDENTIALS})(?![\w])"),
    RECORD_ROW: regex.compile(r"(?m)^[ \t>*-]{0,6}#?\p{Lu}{0,3}\d{0,4}[-/]?\d{3}"),
    DASH_TAIL_NAME: regex.compile(rf"[-–—][ \t]+{_UNCASED}"),
    EMBEDDED_SCRIPT_NAME: regex.compile(rf"{_UNCASED}[ \t]+[a-z0-9]"),
    NAME_BRACKET_DATE: regex.compile(r"\(\d"),
    NAME_FROM_UNIT: regex.compile(r" from (?:the|our|room|ward|bay|unit|class|year) "),
    DATED_ROW: regex.compile(
        r"(?:[ \t]{2,}|\t)[ \t]*\d{1,4}[-/. ](?:\d{1,2}|\p{L}{3,9})[-/. ]\d{2,4}"
    ),
    NAME_IN_BED: regex.compile(_IN_BED),
    AGENDA_ITEM_BY: regex.compile(r"\d[:.]\d\d"),
    # (a word each clinical statement holds stands for it: cheaper to look for than the phrases)
    NAME_AGE_SEX: regex.compile(
        rf"{_SHORTHAND}|anaphyla|allergic|attended| night|died|passed away"
    ),
    CITATION: regex.compile(_CITED),
    NAME_COMMA_UNIT: regex.compile(rf"[ \t]{_UNIT}"),
    HUMAN_VERB: regex.compile(_HUMAN_VERBS),
    POSSESSIVE: regex.compile(r"['’]s "),
    NAME_THEN_DOB: regex.compile(
        r"(?i:dob|d\.o\.b|date of birth|born|geb|née?|nat[oa]|nacid|nascid|ur\.|urodzon|født|"
        r"född|род\.|d\.t\.)"
    ),
    VISITOR: VISITOR_GATE,
}


# Patterns that start with a cue word: a match holds one of these words as written (_CASED) or,
# for a case-insensitive pattern, lower-cased (_CUE_WORDS; checked on ASCII text only, where
# lower-casing is exactly the pattern's case folding).
_CASED: dict[regex.Pattern[str], tuple[str, ...]] = {
    TITLE_PROVIDER: ("Dr", "Doctor", "Prof", "Doct", "Dokt", "Dott", "Dout", "Dok", "lek"),
    TITLE_PATIENT: ("Mr", "Ms", "Miss", "Mx", "Mstr"),
    TITLE_PATIENT_ARABIC: ("السيد", "الآنسة"),
    TITLE_PATIENT_INTL: (
        "Sra",
        "Srta",
        "Herr",
        "Frau",
        "evrouw",
        "eneer",
        "Mevr",
        "Dhr",
        "Pani",
        "Sig",
        "Mme",
        "Mlle",
        "Madame",
        "Monsieur",
        "Fru",
        "Hr",
        "Rouva",
    ),
    DISPLAY_NAME: ("@",),
    SPEECH: ("said", "asked", "replied", "shouted", "yelled", "whispered", "told"),
    SELF_INTRO: ("here", "calling"),
    DASH_ROW_NAME: (" - ", " – ", " — "),
}
_CUE_WORDS: dict[regex.Pattern[str], tuple[str, ...]] = {
    NAME_COMMA_JOB: _JOBS,
    CARE_ITEM_DASH_NAME: _CARE_ITEMS,
    HOME_VISIT: ("home",),
    KIN_IN_BRACKETS: (
        "mother", "mum", "mom", "father", "dad", "parent", "carer", "guardian", "sibling",
        "brother", "sister",
    ),
    CENSUS_ROW: ("bed", "bay", "rm", "room", "chair", "cubicle", "stretcher", "cot"),
    KIN_CUE: (
        "kid", "son", "daughter", "child", "wife", "husband", "partner", "mother", "mom", "mum",
        "father", "dad", "brother", "sister", "aunt", "uncle", "nephew", "niece", "cousin",
        "friend", "boss", "colleague", "neighbo", "caregiver", "guardian", "spouse", "baby",
        "infant", "newborn",
    ),
    NAMED_CUE: ("call", "name", "aka", "i'm", "i am"),
    LOWER_LABELLED_NAME: ("pt", "patient", "client"),
    LOWER_NAME_VERB: ("called", "left", "wants", "needs", "is in", "came in", "showed", "missed", "ask"),
    PRESENTER: ("present", "speak", "talk", "lead ", "host"),
    SESSION_LEAD: (" by ",),
    LOWER_TITLED_NAME: ("mr", "mrs", "miss", "mx", "ms."),
    CARE_ROLE_NAME: (
        "kin", "emergency", "guardian", "care", "c/o", "attn", "attention", "contact", "proxy",
        "attorney", "ship", "send", "deliver", "mail", "post",
    ),
    SPOKE_WITH: ("spoke", "talked", "saw", "assessed", "reviewed", "bringing", "brought",
                 "phoned", "rang", "telephoned"),
    JOB_TITLE_BEFORE: (
        "coordinator", "manager", "director", "administrator", "rep", "liaison", "officer",
        "supervisor", "assistant", "specialist", "scheduler", "receptionist", "technician",
        "pharmacist", "recruiter", "secretary", "chair", "president", "treasurer", "organi",
        "lead", "head of", "hr", "billing contact", "point of contact",
    ),
    ATTENDEE_LIST: (
        "present", "attend", "absent", "regrets", "apologies", "speaker", "panel", "faculty",
        "moderator", "presenter", "board member", "guest", "committee member", "participants",
        "invited", "cc", "chair", "facilitator", "host", "author", "investigator", "reviewer",
        "signatories",
    ),
    RECIPIENT_OF_PAPERWORK: (
        "due", "rsvp", "question", "enquiries", "inquiries", "form", "timesheet", "submission",
        "paperwork", "return",
    ),
}  # fmt: skip


# Patterns that match only names in scripts without capitals.
_UNCASED_ONLY = frozenset({DASH_TAIL_NAME, EMBEDDED_SCRIPT_NAME, CJK_HONORIFIC_NAME})
_LOWER_CASED = frozenset({LOWER_LABELLED_NAME, LOWER_TITLED_NAME, LOWER_NAME_VERB})


def _scan(
    pattern: regex.Pattern[str], text: str, timeout: float, lower: str = ""
) -> Iterator[regex.Match[str]]:
    """``finditer`` behind the pattern's gate, if it has one.

    ``lower`` is ``text`` lower-cased when it is ASCII ("" otherwise: no cue-word gate then).
    """
    if lower and pattern in _UNCASED_ONLY:  # ASCII text holds no script without capitals
        return iter(())
    if multiscan.absent(pattern, text):  # before the word gates below: one set lookup
        return iter(())
    gate = _GATES.get(pattern)
    if gate is not None and gate.search(text) is None:
        return iter(())
    cased = _CASED.get(pattern)
    if cased is not None and not any(w in text for w in cased):
        return iter(())
    words = _CUE_WORDS.get(pattern) if lower else None
    if words is not None and not any(w in lower for w in words):
        return iter(())
    return finditer(pattern, text, timeout)


# run on a name or list already found (not asked of the databases)
_CAP_WORD = regex.compile(_CAP)
_LIST_SEPARATOR = regex.compile(r",|;| and | & ")
_SURNAME_PARTS = regex.compile(r"[- ]")
_FOUR_DIGITS = regex.compile(r"\d{4}")


def _in_staff_news(text: str, start: int, end: int) -> bool:
    """Whether the sentence around text[start:end] is staff news (STAFF_NEWS)."""
    lo = max(text.rfind(c, max(0, start - 200), start) for c in ".!?\n") + 1
    hi = min(
        (i for i in (text.find(c, end, end + 200) for c in ".!?\n") if i >= 0), default=end + 200
    )
    return STAFF_NEWS.search(text, lo, hi) is not None


# a title right before a name ("Mr ", "Ms. ", "Dr "): the only cue a title-cued patient has
_TITLE_BEFORE = regex.compile(rf"(?:Dr|{_COURTESY})\.?[ \t]$")


def _fold_name(value: str) -> str:
    """A name without its title, in one case and spacing, to compare mentions of one person."""
    value = _TITLE_PREFIX.sub("", value.strip())
    return " ".join(value.casefold().split())


def _ascii_lower(text: str) -> str:
    return text.lower() if text.isascii() else ""


# A last word that makes "Hayes Hotel" or "Carr Forges" a place or an organisation.
PLACE_OR_ORG_WORDS = frozenset(
    """hotel inn motel lodge resort hall church chapel school college university academy library
    museum bank pharmacy clinic hospital center centre institute foundation trust fund bridge
    tower towers building plaza park square street road avenue lane drive court place way forges
    forge mills mill station airport harbor harbour port bay beach valley heights hills county
    city town village district airlines airways motors industries holdings partners group labs
    laboratories press media news weekly daily times journal review magazine records studios
    day eve week dental dentistry surgical surgery imaging radiology dermatology cardiology
    orthopedics orthopaedics pediatrics paediatrics oncology urology neurology pharmaceuticals
    pharma supply supplies logistics distributors diagnostics therapeutics biologics""".split()
)

NOT_NAME_WORDS = frozenset(
    """the a an and or of in on at to for with from by re fw fwd fyi dear hi hello hey good thanks
    thank please patient patients pt name member claimant clinic hospital center centre medical health
    healthcare care plan insurance medicare medicaid group practice department dept office team
    monday tuesday wednesday thursday friday saturday sunday january february march april may june
    july august september october november december mon tue wed thu fri sat sun feb mar apr jun
    jul aug sep sept oct nov dec today tomorrow yesterday morning afternoon evening new old primary
    dr doctor mr mrs ms miss nurse md do np rn pa lab labs result results dob mrn ssn mbi dx icd cpt
    date invoice order account acct claim policy id number phone fax email address street suite
    referral request summary update note notes letter report form forms follow followup follow-up
    subject attachment attached regards sincerely best cheers respectfully signed sent
    topic topics comments comment standard criterion criteria auditor initials outcome findings
    action actions status source total description category priority owner reviewer audit
    sample objective aim method methods hotel registration flight booking
    north south east west city county state united states america street avenue road drive lane
    inc llc ltd plc corp company associates partners services solutions systems
    urgent routine stat priority reason diagnosis problem orders order home safety evaluation
    hcg hba1c wbc rbc tsh ldl hdl alt ast bun inr psa ekg ecg mri ct covid covid-19 rsv hiv
    please kindly would could should can will let us we our your my his her their its this that
    confidential notice privacy hipaa information message email website portal secure
    ehr emr it hr ap ar ceo cfo coo cmo billing payroll benefits enrollment
    adres adresse address paziente patiente paciente pacjent pacjentka potilas hasta patienten
    patientin telefon telefono telefone telefoon nome nombre nom imie nazwisko vorname nachname
    cognome apellido datum fecha geb nato nata nacido nacida nascida urodzony aadhaar pesel cpf
    dni nif bsn nhs ahv hetu ssn sin herr frau mevrouw meneer signora signor senora senor
    reschedule schedule rebook book cancel confirm remind refill call
    mum mom mummy mommy dad daddy mother father grandma grandmother grandpa grandfather nan nana
    granny grandad parent parents carer guardian son daughter husband wife
    gp trainee registrar physician practitioner receptionist pharmacist physiotherapist dietitian
    dietician midwife therapist counsellor podiatrist optometrist hygienist paramedic clinician
    matron administrator coordinator manager
    blue aetna cigna humana anthem bupa aviva allianz unitedhealthcare
    title titles author authors abstract background objective objectives methods method results
    conclusion conclusions keywords funding disclosures affiliation affiliations
    identifier identifiers list type value values segment segments code codes table column columns
    mapping element elements attribute attributes resource resources record records demographics
    alias identity schema payload
    all everyone colleagues colleague
    grüße grüsse grüßen grüssen gruß gruss wünsche kollegen kolleginnen kollegin kollege team
    equipo equipe équipe squadra zespół collega colleghi colleghe collègues compañeros colegas
    allemaal tutti todos todas tous toutes wszyscy herren damen damas señores senhores
    collega's medewerkers""".split()
)


_SPLIT = regex.compile(r"[\s,]+")
_TITLE_PREFIX = regex.compile(rf"(?:(?:Dr|{_COURTESY})\.? )+")


def _words(name: str) -> frozenset[str]:
    return frozenset(w for line in terms(name) for w in line.split())


@lru_cache(maxsize=1)
def _name_lists() -> tuple[frozenset[str], frozenset[str]]:
    return _words("first_names.txt"), _words("surnames.txt")


@lru_cache(maxsize=1)
def _census_lists() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """Given names, surnames (ours plus the US Census') and the names that are English words."""
    firsts, lasts = _name_lists()
    given = firsts | _words("census_given_names.txt")
    family = lasts | _words("census_surnames.txt")
    return given, family, _words("name_words.txt") | NOT_NAME_WORDS | frozenset(STOP_WORDS)


@lru_cache(maxsize=1)
def _lone_names() -> frozenset[str]:
    """The words LONE_NAME reports: listed given names that are no common word, and listed
    names that are no English word."""
    firsts, _ = _name_lists()
    given, family, ambiguous = _census_lists()
    return (firsts - NOT_NAME_WORDS) | ((given | family) - ambiguous)


def known_name_word(word: str) -> bool:
    """A listed given name or surname that is not also an ordinary English word."""
    given, family, ambiguous = _census_lists()
    w = word.lower().strip(".,'’")
    return (w in given or w in family) and w not in ambiguous


def listed_name_word(word: str) -> bool:
    """A listed given name or surname, English word or not."""
    given, family, _ = _census_lists()
    w = word.lower().strip(".,'’")
    return w in given or w in family


@lru_cache(maxsize=1)
def _medical_words() -> frozenset[str]:
    """Words of the clinical term lists and drug names, which are no evidence of a name.

    A person's name in an eponym ("Graves disease", "Down syndrome", "Parkinson disease") stays a
    name: Mr Graves and Ms Down are people.
    """
    words: set[str] = set()
    eponyms: set[str] = set()
    for name in (
        "conditions.txt",
        "specialties.txt",
        "labs.txt",
        "procedures.txt",
        "conditions_care.txt",
        "labs_care.txt",
        "procedures_care.txt",
    ):
        for t in terms(name):
            parts = t.split()
            words.update(parts)
            if len(parts) == 2 and parts[1] in _EPONYM_HEADS:
                eponyms.add(parts[0])
    return frozenset(words - eponyms) | drug_names()


_EPONYM_HEADS = frozenset({"disease", "syndrome", "palsy", "lymphoma", "phenomenon"})


def plausible_name(value: str) -> bool:
    """Reject candidates made of common words, calendar words, clinical terms or drug names."""
    words = [w.strip(".,'’").lower() for w in _SPLIT.split(value) if w.strip(".,")]
    if not words:
        return False
    medical = _medical_words()
    for w in words:
        if w in NOT_NAME_WORDS or (len(w) > 3 and w in medical):
            return False
    return True


def _lower_name(value: str, labelled: bool) -> tuple[int, str] | None:
    """Where in a lower-case candidate (`_LOWER_CASED`: after a patient label, after a title,
    before a message-taker's verb) its name starts, and the name, or None: the words after any
    title up to the first that no name is (a stop word, a clinical word, a drug); then a title
    and a word, or two words or more of which one is a listed given name or surname that is no
    English word. A word in another script ("dương") counts as one: the lists are of
    Latin-script names. Without a patient label, a bare "ms" (also multiple sclerosis) needs
    such a name after it.
    """
    title = _LOWER_TITLE.match(value)
    offset = title.end() if title else 0
    medical = _medical_words()
    drugs = drug_names()
    kept: list[str] = []
    for word in value[offset:].split():
        w = word.strip("'’-")
        if (
            not w
            or w in STOP_WORDS
            or w in NOT_NAME_WORDS
            or (len(w) > 3 and w in medical)
            or w in drugs
        ):
            break
        kept.append(word)
    if not kept:
        return None
    # a name, not a word that is also one ("card" in "patient alert card")
    known = any(known_name_word(w) or not w.isascii() for w in kept)
    if title is None:
        if len(kept) < 2 or not known:
            return None
    elif not labelled and title.group().strip() == "ms" and not known:
        return None
    start = value.index(kept[0], offset)
    return start, value[start : start + len(" ".join(kept))]


def _word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _without_possessive(text: str, m: RawMatch) -> RawMatch:
    """Keep "'s" out of a name's span ("Joe Roe's labs" names Joe Roe)."""
    if m.end - m.start > 3 and text[m.end - 2 : m.end] in ("'s", "’s"):
        return RawMatch(m.entity, m.start, m.end - 2, m.score, m.category, m.recognizer, m.role)
    return m


def _trim(value: str, start: int) -> tuple[int, int]:
    stripped = value.rstrip(" ,.")
    return start, start + len(stripped)


@dataclass(frozen=True)
class NameRecognizer:
    """Cue-driven person names, each tagged with the role its cue implies."""

    name: str = "person_cues"
    entities: tuple[str, ...] = ("PERSON", "DOB", "CLINICAL_NARRATIVE")
    patterns: tuple[tuple[regex.Pattern[str], str, float], ...] = field(
        default_factory=lambda: (
            (TITLE_PROVIDER, "provider", 0.85),
            (CREDENTIALED, "provider", 0.85),
            (DISPLAY_NAME, "correspondent", 0.85),
            (HEADER_LINE, "correspondent", 0.8),
            (SIGNED, "staff", 0.8),
            (GREETING, "addressee", 0.8),
            (BARE_GREETING, "addressee", 0.6),
            (TITLE_PATIENT, "patient", 0.85),
            (TITLE_PATIENT_INTL, "patient", 0.85),
            (TITLE_PATIENT_ARABIC, "patient", 0.85),
            (LIST_ROW, "list", 0.7),
            (VISITOR, "correspondent", 0.8),
            (JOB_TITLE_BEFORE, "staff", 0.8),
            (CENSUS_ROW, "patient", 0.85),
            (NAME_AGE_SEX, "patient", 0.8),
            (CITATION, "staff", 0.85),
            (RECIPIENT_OF_PAPERWORK, "staff", 0.8),
            (NAME_COMMA_UNIT, "staff", 0.8),
            (NAME_COMMA_JOB, "staff", 0.8),
            (NUMBERED_ROW, "", 0.6),
            (RECORD_ROW, "list", 0.7),
            (NAME_IN_BED, "patient", 0.8),
            (PRESENTER, "staff", 0.8),
            (SESSION_LEAD, "staff", 0.8),
            (AGENDA_ITEM_BY, "staff", 0.8),
            (LOWER_LABELLED_NAME, "patient", 0.8),
            (LOWER_TITLED_NAME, "patient", 0.7),
            (LOWER_NAME_VERB, "", 0.6),
            (SPOKE_WITH, "", 0.65),
            (NAME_THEN_DOB, "patient", 0.85),
            (SELF_INTRO, "patient", 0.8),
            (HOME_VISIT, "patient", 0.8),
            (DATED_ROW, "list", 0.7),
            (DASH_ROW_NAME, "", 0.6),
            (DASH_TAIL_NAME, "", 0.6),
            (KIN_IN_BRACKETS, "", 0.7),
            (EMBEDDED_SCRIPT_NAME, "", 0.6),
            (NAME_FROM_UNIT, "", 0.65),
            (NAME_BRACKET_DATE, "", 0.6),
            (CARE_ITEM_DASH_NAME, "patient", 0.7),
            (CJK_HONORIFIC_NAME, "", 0.6),
        )
    )
    # the patterns alone, asked of the databases at once a text (multiscan.absent_of)
    cues: tuple[regex.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "cues", tuple(p for p, _, _ in self.patterns))

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """See Recognizer."""
        out: list[RawMatch] = []
        lower = _ascii_lower(text)
        care_items: set[tuple[int, int]] = set()
        skip = multiscan.absent_of(self.cues, text)
        for k, (pattern, role, score) in enumerate(self.patterns):
            if skip is not None and skip[k]:
                continue
            for m in _scan(pattern, text, timeout, lower):
                if pattern is CARE_ITEM_DASH_NAME:
                    care_items.add(_trim(m.group(1), m.start(1)))
                staff_news = pattern in (TITLE_PATIENT, TITLE_PATIENT_INTL) and _in_staff_news(
                    text, m.start(), m.end()
                )
                value = m.group(1)
                vstart = m.start(1)
                if pattern in _LOWER_CASED:
                    lowered = _lower_name(value, pattern is LOWER_LABELLED_NAME)
                    if lowered is None:
                        continue
                    vstart += lowered[0]
                    value = lowered[1]
                if role != "patient":
                    sub = _TITLE_PREFIX.match(value)
                    if sub:
                        vstart += sub.end()
                        value = value[sub.end() :]
                        if role == "addressee":
                            # the message tells which a doctor is (engine._titled_addressees)
                            role_here = (
                                "titled_addressee" if m.group(1).startswith("Dr") else "patient"
                            )
                        else:
                            role_here = role
                    else:
                        role_here = role
                else:
                    role_here = role
                if not plausible_name(value):
                    continue
                # "our patient Dr Robin Naylor", "we examined Dr Ines Faria": a doctor can be
                # the patient.
                if role_here == "provider" and PATIENT_BEFORE.search(
                    text, max(0, m.start() - 40), m.start()
                ):
                    role_here = "patient"
                s, e = _trim(value, vstart)
                if staff_news:
                    role_here = "staff"
                out.append(RawMatch("PERSON", s, e, score, "identifier", self.name, role_here))
        # "Dear Dr. Ann Lee": the greeting says more than the title alone (the engine decides
        # whether the doctor greeted is a colleague or the patient).
        # "Occupational health report - Dr Elliott Kent": the doctor a care item is about.
        greeted = {(m.start, m.end) for m in out if m.role == "titled_addressee"}
        greeted |= {(m.start, m.end) for m in out if (m.start, m.end) in care_items}
        if greeted:
            out = [m for m in out if m.role != "provider" or (m.start, m.end) not in greeted]
        out.extend(self._patient_cued(text, timeout))
        # "Miss Ann Lee from Hale Partners will present", "From: Mrs Ann Lee <...>", "signed -
        # Miss Shirley Bates": a titled visitor, correspondent or member of staff is no patient
        # by the title alone.
        # The text's last lines, where sign-offs stand: one slice for every pattern that reads
        # them (a slice of its own per pattern was a Hyperscan pass of its own), and the
        # organisation sign-offs found once for `_signatures` and for the filter at the end.
        tail = max(0, len(text) - 400)
        last_lines = text[tail:]
        # (the slice is asked of no Hyperscan pass of its own, which cost more than the patterns)
        whole = last_lines is text
        org_sign_offs = list(finditer(ORG_SIGN_OFF, last_lines, timeout, prefiltered=whole))
        signatures = self._signatures(text, timeout, last_lines, org_sign_offs)
        visitors = [
            m for m in out if m.recognizer == self.name and m.role in ("correspondent", "staff")
        ] + signatures
        out = [
            m
            for m in out
            if m.role != "patient"
            or not any(v.start <= m.start and m.end <= v.end for v in visitors)
        ]
        attendees = self._attendees(text, timeout, lower)
        # "Present: Mr. Luis James, ...": a title in an attendee list names no patient; nor does
        # the same title and name elsewhere in those minutes ("Order couch roll - Mr Luis James").
        present = {_fold_name(text[a.start : a.end]) for a in attendees + signatures}
        out = [
            m
            for m in out
            if m.role != "patient"
            or not any(a.start <= m.start and m.end <= a.end for a in attendees)
        ]
        out = [
            replace(m, role="staff")
            if m.role == "patient"
            and _TITLE_BEFORE.search(text, max(0, m.start - 6), m.start) is not None
            and _fold_name(text[m.start : m.end]) in present
            else m
            for m in out
        ]
        out.extend(attendees)
        out.extend(self._record_labels(text, timeout))
        out.extend(self._table_names(text, timeout, lower))
        # A sign-off line is staff's: no patient or roster row overlaps it ("Susannah Melican,
        # Friel, McLoone and Cole" is a rep and her firm, not "Melican, Friel" on a list).
        out = [
            m
            for m in out
            if m.role not in ("patient", "list")
            or not any(g.start < m.end and m.start < g.end for g in signatures)
        ]
        out.extend(signatures)
        out.extend(self._known_names(text, timeout))
        out.extend(self._shaped_names(text, timeout, lower))
        out.extend(self._propagated(text, out, timeout))
        # The organisation's line of a signature block names no one ("Hollins Green Community
        # Pharmacy" under the writer's name).
        orgs = [(tail + o.start("org"), tail + o.end("org")) for o in org_sign_offs]
        if orgs:
            out = [
                m
                for m in out
                if m.role == "staff" or not any(a <= m.start and m.end <= b for a, b in orgs)
            ]
        return [_without_possessive(text, m) for m in out]

    def _shaped_names(self, text: str, timeout: float, lower: str) -> list[RawMatch]:
        """Names known by shape or a nearby word: middle initials, kin, titles, lists, speakers."""
        out: list[RawMatch] = []

        def add(s: int, e: int, score: float) -> None:
            if plausible_name(text[s:e]):
                out.append(RawMatch("PERSON", s, e, score, "identifier", self.name, ""))

        for m in finditer(NAME_DEMOGRAPHIC, text, timeout) if "(" in text else ():
            add(m.start(1), m.end(1), 0.7)
        for m in finditer(MIDDLE_INITIAL, text, timeout):
            words = m.group(1).split()
            listed = listed_name_word(words[0]) or listed_name_word(words[-1])
            if listed or not m.group(1).isascii():
                add(m.start(1), m.end(1), 0.6 if listed else 0.45)
        for m in _scan(CARE_ROLE_NAME, text, timeout, lower):
            add(m.start(1), m.end(1), 0.6)
        for pattern in (KIN_CUE, TITLE_ANY_CASE, NAMED_CUE, HUMAN_VERB):
            for m in _scan(pattern, text, timeout, lower):
                single = " " not in m.group(1)
                if (
                    pattern in (NAMED_CUE, HUMAN_VERB)
                    and single
                    and not listed_name_word(m.group(1))
                ):
                    if pattern is NAMED_CUE or m.group(1).isascii():
                        continue
                # Two words before a verb only people do ("Roe, Ann called -") are a full name.
                full = pattern is HUMAN_VERB and not single
                score = 0.6 if pattern in (KIN_CUE, TITLE_ANY_CASE) or full else 0.55
                # a newborn is named by the word for one, and is the one cared for
                if pattern is KIN_CUE and _NEWBORN.match(m.group()):
                    score = 0.7
                add(m.start(1), m.end(1), score)
        pairs = () if text.isascii() else finditer(DIACRITIC_PAIR, text, timeout, overlapped=True)
        for m in pairs:
            if m.group(1).isascii():
                continue
            words = m.group(1).split()
            _, _, ambiguous = _census_lists()
            if not any(w.lower() in ambiguous for w in words):
                add(m.start(1), m.end(1), 0.45)
        for m in _scan(SPEECH, text, timeout):
            for g in (1, 2):
                if m.group(g) and m.group(g).lower() not in _census_lists()[2]:
                    add(m.start(g), m.end(g), 0.5)
        for m in _scan(POSSESSIVE, text, timeout):
            add(m.start(1), m.end(1), 0.5)
        lines = list(finditer(SPEAKER, text, timeout))
        speakers = [m for m in lines if known_name_word(m.group(1))]
        # A word no name list knows speaks only if it heads two lines or more, as the people of
        # a chat or a transcript do: a form's labels ("Device:", "Lot:", "Issue:") come once.
        heads = Counter(m.group(1) for m in lines)
        speakers += [
            m
            for m in lines
            if heads[m.group(1)] >= 2
            and not listed_name_word(m.group(1))
            and m.group(1).lower() not in _census_lists()[2]
        ]
        if len(speakers) >= 2:
            for m in speakers:
                add(m.start(1), m.end(1), 0.5)
        for m in finditer(NAME_LIST, text, timeout):
            if FIRM_AFTER.match(text, m.end(1)):
                continue
            items = list(_CAP_WORD.finditer(m.group(1)))
            items = [i for i in items if i.group() not in ("And", "Or")]
            known = sum(listed_name_word(i.group()) for i in items)
            strong = sum(known_name_word(i.group()) for i in items)
            if strong >= 1 and 2 * known >= len(items):
                for i in items:
                    add(m.start(1) + i.start(), m.start(1) + i.end(), 0.55)
        for m in finditer(NAME_LINE, text, timeout):
            words = [w for w in m.group(1).split() if len(w.strip(".")) > 1]
            if any(known_name_word(w) for w in words) or (
                len(m.group(1).split()) == 3 and any(listed_name_word(w) for w in words)
            ):
                add(m.start(1), m.end(1), 0.6)
        return out

    def _propagated(self, text: str, found: list[RawMatch], timeout: float) -> list[RawMatch]:
        """Other mentions of a word already found in a name ("Tomi" after "Tomi S Asplund")."""
        words: set[str] = set()
        for m in found:
            if m.score < 0.5:
                continue
            for w in _SPLIT.split(text[m.start : m.end]):
                w = w.strip(".,'’")
                if len(w) > 2 and w[0].isupper() and w.lower() not in NOT_NAME_WORDS:
                    words.add(w)
        if not words:
            return []
        # the found spans in start order, and the furthest end up to each: a mention lies
        # inside one of them when one starting at or before it reaches its end (by bisection:
        # a table's every mention against its every name was quadratic)
        taken = Spans((m.start, m.end) for m in found)
        out: list[RawMatch] = []
        # str.find per word: compiling an alternation for every text cost more than the scan.
        for w in sorted(words):
            pos = text.find(w)
            while pos >= 0:
                end = pos + len(w)
                if (
                    (pos == 0 or not _word_char(text[pos - 1]))
                    and (end == len(text) or not _word_char(text[end]))
                    and not taken.contains(pos, end)
                ):
                    out.append(RawMatch("PERSON", pos, end, 0.45, "identifier", self.name, ""))
                pos = text.find(w, end)
        return out

    def _patient_cued(self, text: str, timeout: float) -> list[RawMatch]:
        out: list[RawMatch] = []
        for m in finditer(PATIENT_CUE, text, timeout):
            value = m.group(1)
            if not plausible_name(value):
                # "Carer of Bethan Casserley, Thank you": the name ends at its comma.
                value = value.partition(",")[0]
                if value == m.group(1) or not plausible_name(value):
                    continue
            cue = text[m.start() : m.start(1)]
            end = m.start(1) + len(value)
            follow = FOLLOW_CUE.match(text, end, min(len(text), end + 30)) is not None
            strong = STRONG_CUE_WORDS.search(cue) is not None
            if (
                value.isupper()
                and "," not in value
                and (not strong or sum(listed_name_word(w) for w in value.split()) < 2)
            ):
                # "RE: ANNUAL REVIEW", "Patient: ICU NURSING STAFF": capitals are a heading
                # unless a strong label and two listed names say otherwise
                continue
            if not (strong or follow):
                # "Last, First" is a name's shape far more often than a phrase's.
                role, score = "", (0.7 if "," in value else 0.55)
            else:
                role, score = "patient", 0.85
            s, e = _trim(value, m.start(1))
            out.append(RawMatch("PERSON", s, e, score, "identifier", self.name, role))
        return out

    def _attendees(self, text: str, timeout: float, lower: str) -> list[RawMatch]:
        """Names in an attendee, speaker or board list: participants (role "staff")."""
        out: list[RawMatch] = []
        for m in _scan(ATTENDEE_LIST, text, timeout, lower):
            for item in _LIST_SEPARATOR.split(m.group(1)):
                found = ATTENDEE_ITEM.search(item)
                if found is None or not plausible_name(found.group(1)):
                    continue
                start = m.start(1) + m.group(1).find(item) + found.start(1)
                s, e = _trim(found.group(1), start)
                out.append(RawMatch("PERSON", s, e, 0.8, "identifier", self.name, "staff"))
        return out

    def _record_labels(self, text: str, timeout: float) -> list[RawMatch]:
        """A surname with an initial and a full date before a care word: patient and birth date."""
        out: list[RawMatch] = []
        # the Hyperscan pass first (two lookups), then the gate's search of the whole text
        if multiscan.absent(SURNAME_INITIAL_DATE, text) or not FULL_DATE_GATE.search(text):
            return []
        recent = date.today().year - 1
        for m in finditer(SURNAME_INITIAL_DATE, text, timeout):
            surname = m.group(1).rstrip(" .").rpartition(" ")[0].rstrip(",")
            parts = _SURNAME_PARTS.split(surname)
            if not plausible_name(surname):
                continue
            # An unlisted surname ("Kabus O.") needs a word that names a clinical test, not just
            # a document ("report", "summary" also label business files: "Budget Q. ... report").
            listed = all(listed_name_word(w) or not w.isascii() for w in parts)
            if not listed and (
                not CLINICAL_TEST_WORD.fullmatch(m.group(3))
                or any(w.lower() in _census_lists()[2] for w in parts)
            ):
                continue
            # A date of this year or last is a visit's date far more often than a birth date.
            year = _FOUR_DIGITS.search(m.group(2))
            if year is None or int(year.group()) >= recent:
                continue
            s, e = _trim(m.group(1), m.start(1))
            out.append(RawMatch("PERSON", s, e, 0.85, "identifier", self.name, "patient"))
            out.append(RawMatch("DOB", m.start(2), m.end(2), 0.85, "identifier", self.name))
            out.append(
                RawMatch("CLINICAL_NARRATIVE", m.start(3), m.end(3), 0.7, "health", self.name)
            )
        return out

    def _table_names(self, text: str, timeout: float, lower: str) -> list[RawMatch]:
        """Cells under a "Name"/"Patient" column of a CSV/tab/pipe table."""
        out: list[RawMatch] = []
        if text.count("\n") < 1 or multiscan.absent(TABLE_NAME_CELL, text):
            return out
        # A name column needs a header cell that says so (NAME_HEADER); text without one of its
        # words anywhere has none (checked on ASCII text, lower-cased).
        if lower and not any(w in lower for w in _NAME_HEADER_WORDS):
            return out
        for m in finditer(TABLE_NAME_CELL, text, timeout):
            value = m.group(1)
            header, _ = table_cell(text, m.start(1))
            if not header or not NAME_HEADER.search(header) or NOT_PATIENT_HEADER.search(header):
                continue
            if plausible_name(value):
                s, e = _trim(value, m.start(1))
                out.append(RawMatch("PERSON", s, e, 0.8, "identifier", self.name, "list"))
        return out

    def _signatures(
        self,
        text: str,
        timeout: float,
        last_lines: str,
        org_sign_offs: list[regex.Match[str]],
    ) -> list[RawMatch]:
        """Sign-off names: after a closing, alone on the last line, over a job title or an
        organisation (``last_lines`` is the end of ``text``, ``org_sign_offs`` ORG_SIGN_OFF's
        matches in it)."""
        out: list[RawMatch] = []
        tail = len(text) - len(last_lines)
        for m in finditer(CLOSING, text, timeout):
            nxt = text.find("\n", m.end())
            if nxt < 0:
                continue
            sig = SIGN_LINE.match(text, nxt + 1, min(len(text), nxt + 200))
            if sig is None:
                nl = text.find("\n", nxt + 1)
                if nl > 0 and not text[nxt + 1 : nl].strip():
                    sig = SIGN_LINE.match(text, nl + 1, min(len(text), nl + 200))
            if sig is None:
                continue
            # "Kind regards, / Mrs Ashleigh Butler": the writer, whatever the title.
            title = _TITLE_PREFIX.match(sig.group(1))
            skip = title.end() if title else 0
            value = sig.group(1)[skip:]
            if plausible_name(value):
                s, e = _trim(value, sig.start(1) + skip)
                out.append(RawMatch("PERSON", s, e, 0.8, "identifier", self.name, "staff"))
        # A name alone on the last line, titled or not, is how the writer signs off.
        # Not the last row of a list of names ("Patients seen today: / Ann Lee / Tom Hale").
        last = last_line_name(text)
        above = text[: last.start(1)].rstrip().rpartition("\n")[2] if last is not None else ""
        if last is not None and not NAME_LINE.fullmatch(above.strip()):
            title = _TITLE_PREFIX.match(last.group(1))
            skip = title.end() if title else 0
            if plausible_name(last.group(1)[skip:]):
                s, e = _trim(last.group(1)[skip:], last.start(1) + skip)
                out.append(RawMatch("PERSON", s, e, 0.8, "identifier", self.name, "staff"))
        # A name over its job title in the message's last lines, with or without a closing.
        titled = finditer(TITLED_SIGN_OFF, last_lines, timeout, prefiltered=last_lines is text)
        for m in [*titled, *org_sign_offs]:
            title = _TITLE_PREFIX.match(m.group(1))
            skip = title.end() if title else 0
            if plausible_name(m.group(1)[skip:]):
                s, e = _trim(m.group(1)[skip:], tail + m.start(1) + skip)
                out.append(RawMatch("PERSON", s, e, 0.8, "identifier", self.name, "staff"))
        return out

    def _script_names(self, text: str, timeout: float) -> list[RawMatch]:
        """Names by shape where name lists cannot help: surname endings, Han, Kana, Hangul."""
        out: list[RawMatch] = []
        _, _, ambiguous = _census_lists()
        for m in finditer(PAIR, text, timeout, overlapped=True):
            first, last = m.group(1).split(" ")
            if not surname_ending(last) or len(last) < 4:
                continue
            plain = [anyascii(w).lower() for w in (first, last)]
            if any(w in ambiguous for w in plain) or last.lower() in PLACE_OR_ORG_WORDS:
                continue
            if plausible_name(m.group(1)):
                out.append(RawMatch("PERSON", m.start(1), m.end(1), 0.5, "identifier", self.name))
        if text.isascii() or CJK_CHAR.search(text) is None:
            return out
        for m in finditer(JAPANESE_NAME, text, timeout):
            if m.group()[-1] not in HAN_PLACE_END:
                out.append(RawMatch("PERSON", m.start(), m.end(), 0.6, "identifier", self.name))
        for m in finditer(HAN_RUN, text, timeout):
            value = m.group()
            cued = CJK_NAME_CUE.search(text, max(0, m.start() - 16), m.start()) is not None
            if (value[0] in CHINESE_SURNAMES or cued) and value[-1] not in HAN_PLACE_END:
                out.append(RawMatch("PERSON", m.start(), m.end(), 0.55, "identifier", self.name))
        for m in finditer(HANGUL_NAME, text, timeout):
            value = m.group()
            cued = CJK_NAME_CUE.search(text, max(0, m.start() - 16), m.start()) is not None
            if len(value) == 3 and value[0] not in KOREAN_SURNAMES and not cued:
                continue
            if len(value) != 3 and not cued:
                continue
            if value[-1] not in HANGUL_NOT_NAME_END:
                out.append(RawMatch("PERSON", m.start(), m.end(), 0.55, "identifier", self.name))
        # "山本, 七夏 - DOB ...", "김, 서준": family name, comma, given name at a line's start.
        for m in finditer(CJK_LAST_FIRST, text, timeout):
            out.append(RawMatch("PERSON", m.start(1), m.end(1), 0.6, "identifier", self.name))
        return out

    def _known_names(self, text: str, timeout: float) -> list[RawMatch]:
        firsts, lasts = _name_lists()
        out: list[RawMatch] = []
        out.extend(self._script_names(text, timeout))
        for m in finditer(KNOWN_NAME, text, timeout):
            # Names in other scripts or with diacritics are looked up transliterated.
            words = anyascii(m.group(1)).replace("-", " ").split()
            first, last = words[0].lower(), words[-1].lower()
            census = (known_name_word(first) or known_name_word(last)) or (
                first in _census_lists()[0] and last in _census_lists()[1]
            )
            if last in PLACE_OR_ORG_WORDS:
                continue
            if (first in firsts or last in lasts or census) and plausible_name(m.group(1)):
                out.append(
                    RawMatch("PERSON", m.start(1), m.end(1), 0.6, "identifier", self.name, "")
                )
        # A lone listed given name is weak evidence: enough for a span, never for a decision.
        # (A lone name is a word of its own: an ASCII text without one of them has none. Other
        # text is not gated: its words are compared transliterated, "José" as "jose".)
        present = text_words(text) if text.isascii() else None
        if present is not None and _lone_names().isdisjoint(present):
            return out
        for m in finditer(LONE_NAME, text, timeout):
            word = anyascii(m.group()).lower()
            if (word in firsts and word not in NOT_NAME_WORDS) or known_name_word(word):
                out.append(
                    RawMatch("PERSON", m.start(), m.end(), 0.45, "identifier", self.name, "")
                )
        return out
