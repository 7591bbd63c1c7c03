"""The cheap first pass: signals computed once per text decide which recognizers can match at all.

Every recognizer's patterns need some characters to match: an SSN needs nine digits, a phone six,
an e-mail address an '@'. One scan of the text counts them (`signals`), and a recognizer whose
gate the signals do not meet is skipped: it could not have matched. Gates are declared here, by
recognizer name, from each recognizer's own patterns (the comment beside each gate names the
pattern it follows); a recognizer without a gate always runs. Digits are counted as Unicode
decimal and other number characters (``\\p{Nd}`` and ``\\p{No}``), a superset of both the regex
module's ``\\d`` and ``str.isdigit``, so a count is never below what any pattern or check sees.

tests/detectors/test_prefilter_soundness.py shows on every corpus at hand that the gated run gives
the same matches as the ungated one; a gate changed here needs its pattern read again.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import regex

from detectors.config import DetectorConfig
from detectors.recognizers.base import RawMatch, Recognizer, RegexRecognizer, finditer
from detectors.recognizers.gates import forget_text

DIGIT_RUN = regex.compile(r"[\p{Nd}\p{No}]+")
URL_START = regex.compile(r"(?i)://|www\.")
# In ASCII text the only digits are 0-9, found by the stdlib faster than the regex module reads
# each character against two Unicode categories (a 500-row CSV export: 0.6 against 1.8 ms).
ASCII_DIGIT_RUN = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class Signals:
    """What one text holds, as far as the gates ask."""

    digits: int  # digit characters (Nd or No) in the text
    run: int  # the longest run of digit characters
    at: bool  # an '@'
    url: bool  # "://" or "www." (any case)


def signals(text: str) -> Signals:
    """Count the signals of ``text`` in one pass over its digits and two substring tests."""
    if text.isascii():
        runs = [len(r) for r in ASCII_DIGIT_RUN.findall(text)]
        url = "://" in text or "www." in text.lower()
    else:
        runs = [len(r) for r in DIGIT_RUN.findall(text)]
        url = URL_START.search(text) is not None
    return Signals(digits=sum(runs), run=max(runs, default=0), at="@" in text, url=url)


@dataclass(frozen=True)
class Gate:
    """What a text must hold for a recognizer to be able to match in it."""

    digits: int = 0  # at least this many digit characters
    run: int = 0  # a run of at least this many digits in a row
    at: bool = False  # an '@'
    url: bool = False  # "://" or "www."
    any_of: tuple[str, ...] = ()  # at least one of these, as written (checked when text is given)

    def admits(self, s: Signals, text: str | None = None) -> bool:
        """Whether a text with signals ``s`` (and, for ``any_of``, this ``text``) may hold a match."""
        return (
            s.digits >= self.digits
            and s.run >= self.run
            and (s.at or not self.at)
            and (s.url or not self.url)
            and (text is None or not self.any_of or any(w in text for w in self.any_of))
        )


# Keyed by recognizer name; each line names the shortest thing its patterns can match.
GATES: Mapping[str, Gate] = {
    "us_ssn": Gate(digits=9, run=3),  # \d{3}-\d{2}-\d{4} | \d{3} \d{2} \d{4} | \d{9}
    # [A-Z]{0,3}-?\d{5,12}[A-Z]?, and GROUPED_MRN: six digits or more in groups of two to four
    # (no practice patterns only)
    "mrn": Gate(digits=5, run=2),
    "npi": Gate(digits=10, run=10),  # \d{10}
    "dea": Gate(digits=7, run=7),  # [A-Z][A-Z9]\d{7}
    "medicare_mbi": Gate(digits=5),  # [1-9].\d.[..]\d.{2}\d{2}: five \d at fixed places
    "uk_nhs_number": Gate(digits=10, run=3),  # \d{3}[ -]?\d{3}[ -]?\d{4}
    "uk_nhs_number_labelled": Gate(digits=10, run=3),  # the same pattern behind its label
    "member_id": Gate(digits=1),  # [A-Z]{0,4}-?\d[A-Z0-9-]{4,18}
    "claim_number": Gate(digits=1),  # the same token
    "study_subject_id": Gate(digits=1),  # the same token
    "account_number": Gate(digits=5, run=5),  # #?\s?[A-Z]{0,3}-?\d{5,17}
    "aba_routing": Gate(digits=9, run=9),  # \d{9}
    "vin": Gate(digits=5),  # vin_valid: five digits or more
    "device_udi": Gate(digits=4),  # (01)\d{14}, or mixed_id: four digits or more
    "device_labelled": Gate(digits=5, any_of=(":", "#")),  # serial_shaped: five digits or more
    "us_driver_license": Gate(digits=2),  # [A-Z]{0,2}-?\d[\d-]{4,14}\d
    "national_id": Gate(digits=1),  # unlabelled ids hold digits; no digit: it returns early
    "driver_licence_intl": Gate(digits=1),  # no digit in the text: it returns early
    "phone": Gate(digits=6),  # nothing unless PHONE_WINDOW (six digits) finds a window
    "email": Gate(at=True),  # local@domain
    # (?:https?://|www\.)... | ...\.(?:com|org|...) in lower case
    "url": Gate(
        any_of=("://", "www.", ".com", ".org", ".net", ".gov", ".edu", ".io", ".info", ".biz")
        + (".us", ".health", ".example")
    ),
    "record_url": Gate(url=True),  # (?:https?://|www\.) then a record path
    "street_address": Gate(digits=1),  # \d{1,6} house number first
    "po_box": Gate(digits=1),  # (P.O. Box|PSC|Unit|CMR) \d{1,6}
    "zip_code": Gate(digits=5, run=5),  # after a state: \d{5}
    "address_unit": Gate(digits=1),  # (Apt|Suite|...) #?\d{1,6}
    "street_euro": Gate(digits=1),  # street name then \d{1,5}
    "postcode_country": Gate(digits=4, run=4),  # after a country: \d{4,6}
    "zip_code_worded": Gate(digits=1),  # every alternative of the value holds a \d
    "credit_card": Gate(digits=12),  # \d(?:[ -]?\d){11,18}
    "credit_card_short": Gate(digits=12, run=4),  # \d{4}[ -]?\d{4}[ -]?\d{4}
    "iban": Gate(digits=2, run=2),  # [A-Z]{2}\d{2}...
    "postcode_intl": Gate(digits=1),  # no digit in the text: it returns early
    "date": Gate(digits=3, run=2),  # shortest: \d-Mon-\d{2} or \d/\d/\d{2}
    "age": Gate(digits=2, run=2),  # \d{2,3} beside age / years old
    "icd10": Gate(digits=1),  # [A-TV-Z]\d[0-9AB]
    "cpt_hcpcs": Gate(digits=4, run=4),  # \d{4}[0-9FTU] | [A-V]\d{4}
    # one of its readers' markers (records.py _READERS): a field or cell separator, NM1 or CLP, a
    # DICOM tag or keyword, an XML tag, a JSON key, a log's key=value
    "patient_record": Gate(
        any_of=("|", ",", ";", "\t", "NM1", "CLP", "0010", "atient", "<", '"', "=")
    ),
}


def gates_for(config: DetectorConfig) -> dict[str, Gate]:
    """The gates that hold under ``config``: per-practice MRN patterns can match anything."""
    gates = dict(GATES)
    if config.mrn_patterns:
        gates.pop("mrn", None)
    return gates


@dataclass
class PrefilterStats:
    """How many texts and characters reached each recognizer (benchmarks only)."""

    texts: int = 0
    chars: int = 0
    reached: dict[str, list[int]] = field(default_factory=dict)  # name -> [texts, chars]

    def add(self, text: str, ran: Iterable[str]) -> None:
        """Count one text and the recognizers it reached."""
        self.texts += 1
        self.chars += len(text)
        for name in ran:
            row = self.reached.setdefault(name, [0, 0])
            row[0] += 1
            row[1] += len(text)


def _pattern_key(rec: Recognizer) -> tuple[str, int] | None:
    """The pattern a plain regex recognizer scans for (None for any other recognizer)."""
    if isinstance(rec, RegexRecognizer):
        return rec.pattern.pattern, rec.pattern.flags
    return None


class GatedRecognizers:
    """Recognizers in their order, each run only on texts whose signals its gate admits.

    Plain regex recognizers that share one pattern share one scan of the text.
    """

    def __init__(
        self,
        recognizers: Iterable[Recognizer],
        gates: Mapping[str, Gate],
        *,
        stats: PrefilterStats | None = None,
    ) -> None:
        self.recognizers = tuple(recognizers)
        keys = Counter(_pattern_key(r) for r in self.recognizers)
        self._plan = tuple(
            (r, gates.get(r.name), key if key is not None and keys[key] > 1 else None)
            for r in self.recognizers
            for key in (_pattern_key(r),)
        )
        self.stats = stats

    def analyze(self, text: str, timeout: float) -> list[RawMatch]:
        """Every match of the recognizers that can match in ``text``, in recognizer order (what
        a recognizer raised, raised here)."""
        (found,) = self.analyze_many((text,), timeout)
        if isinstance(found, Exception):
            raise found
        return found

    def analyze_many(
        self, texts: Sequence[str], timeout: float
    ) -> list[list[RawMatch] | Exception]:
        """`analyze` of each of ``texts``, recognizer by recognizer over all of them.

        Each recognizer runs over every text before the next one starts, so its patterns and
        code stay in the caches for the whole batch instead of being brought back for every
        text; each text's matches come out in recognizer order, as `analyze` gives them. A text
        whose recognizer raises (a pattern over its time budget) gets the exception in place of
        its matches, and no further recognizer reads it; the other texts go on.
        """
        found = [signals(t) for t in texts]
        out: list[list[RawMatch] | Exception] = [[] for _ in texts]
        ran: list[list[str]] = [[] for _ in texts]
        scans: dict[tuple[tuple[str, int], int], list[regex.Match[str]]] = {}
        try:
            for rec, gate, shared in self._plan:
                regex_rec = rec if isinstance(rec, RegexRecognizer) else None
                for k, text in enumerate(texts):
                    into = out[k]
                    if isinstance(into, Exception):
                        continue
                    if gate is not None and not gate.admits(found[k], text):
                        continue
                    if regex_rec is not None and regex_rec.cannot_match(text):
                        continue
                    try:
                        if shared is not None and regex_rec is not None:
                            # one scan of the text for every recognizer of that pattern
                            got = scans.get((shared, k))
                            if got is None:
                                got = scans[shared, k] = list(
                                    finditer(regex_rec.pattern, text, timeout)
                                )
                            into.extend(regex_rec.from_matches(text, got))
                        else:
                            into.extend(rec.analyze(text, timeout))
                    except Exception as exc:  # noqa: BLE001 - this text's answer
                        out[k] = exc
                        continue
                    ran[k].append(rec.name)
        finally:
            forget_text()
        if self.stats is not None:
            for text, names in zip(texts, ran, strict=True):
                self.stats.add(text, names)
        return out


def gated_recognizers(
    recognizers: Iterable[Recognizer], config: DetectorConfig
) -> GatedRecognizers:
    """``recognizers`` behind the gates that hold under ``config``."""
    return GatedRecognizers(recognizers, gates_for(config))
