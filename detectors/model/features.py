"""Features of a message's findings for the learned PHI decision, the same in training and at run time.

Only findings are read (entity types, scores, the part they sit in, roles, recognizers), never
matched text, so a feature vector holds no PHI and `scripts/train_decision.py` computes exactly
what `detectors.decision.decide` computes for a live message. Every feature lies in [0, 1].
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

from detectors.findings import Finding

# The entity types that get a count and a best-score feature of their own; any other entity falls
# into OTHER_IDENTIFIER or OTHER_HEALTH by its category.
ENTITIES: tuple[str, ...] = (
    "MRN", "MBI", "MEMBER_ID", "MEDICAID_ID", "NHS_NUMBER",
    "US_SSN", "DOB", "DATE_OF_SERVICE", "AGE_OVER_89", "PATIENT_ACCOUNT", "CLAIM_NUMBER",
    "VIN", "DEVICE_ID", "US_DRIVER_LICENSE", "RECORD_URL", "NATIONAL_ID",
    "PATIENT_NAME", "PROVIDER_NAME", "PERSON",
    "PHONE_NUMBER", "FAX_NUMBER", "EMAIL_ADDRESS", "STREET_ADDRESS", "ZIP_CODE", "LOCATION",
    "DATE_TIME", "IP_ADDRESS", "CREDIT_CARD", "IBAN_CODE",
    "DIAGNOSIS", "ICD10", "CPT", "MEDICATION", "PROCEDURE", "LAB_RESULT", "SPECIALTY",
    "CLINICAL_NOTE", "CLINICAL_NARRATIVE",
    "OTHER_IDENTIFIER", "OTHER_HEALTH",
)  # fmt: skip
WHERE: tuple[str, ...] = ("subject", "header", "body", "attachment")
NAME_ENTITIES = ("PATIENT_NAME", "PERSON")
PATIENT_ROLE = "patient"


class Groups(Protocol):
    """The entity groups and score floors of the decision settings (detectors.config)."""

    @property
    def min_finding_score(self) -> float: ...  # noqa: D102

    @property
    def min_unknown_name_score(self) -> float: ...  # noqa: D102

    @property
    def strong_identifiers(self) -> tuple[str, ...]: ...  # noqa: D102

    @property
    def linked_identifiers(self) -> tuple[str, ...]: ...  # noqa: D102

    @property
    def contact_identifiers(self) -> tuple[str, ...]: ...  # noqa: D102

    @property
    def health_entities(self) -> tuple[str, ...]: ...  # noqa: D102


def _count(n: int) -> float:
    """A count squashed into [0, 1]: 0 -> 0, 1 -> 0.29, 3 -> 0.58, 10 or more -> 1."""
    return _COUNTS[n] if 0 <= n < len(_COUNTS) else min(1.0, math.log1p(n) / math.log(11))


# The same floats, worked out once: a message's features ask for a few dozen counts.
_COUNTS = tuple(min(1.0, math.log1p(n) / math.log(11)) for n in range(11))


def _where(part: str) -> str:
    """The kind of place a part is: subject, header, body or attachment."""
    if part.startswith("attachment"):
        return "attachment"
    head = part.split(":")[0]
    return head if head in WHERE else "body"


def _bucket(f: Finding) -> str:
    if f.entity in ENTITIES:
        return f.entity
    return "OTHER_HEALTH" if f.category == "health" else "OTHER_IDENTIFIER"


def feature_names() -> tuple[str, ...]:
    """The names of the features, in vector order."""
    names = [f"count:{e}" for e in ENTITIES] + [f"max:{e}" for e in ENTITIES]
    names += [f"health_in:{w}" for w in WHERE] + [f"identifier_in:{w}" for w in WHERE]
    names += [
        "rule_score", "rule_phi",
        "strong_max", "linked_max", "patient_contact_max", "contact_max", "unknown_name_max",
        "health_max", "health_kinds", "identifier_kinds", "health_count", "findings_count",
        "pair_same_part", "pair_message", "health_x_linked", "health_x_unknown_name",
        "health_x_patient_contact", "health_x_contact", "health_x_date", "health_x_provider",
        "provider_without_patient", "patient_role_count", "roster_match", "parts_with_health",
    ]  # fmt: skip
    return tuple(names)


FEATURES: tuple[str, ...] = feature_names()


def features(
    findings: Sequence[Finding], t: Groups, rule_score: float, rule_phi: bool
) -> list[float]:
    """The feature vector (in FEATURES order) of one message's findings and its hand-rule verdict."""
    usable = [f for f in findings if f.score >= t.min_finding_score]
    counts = dict.fromkeys(ENTITIES, 0)
    best = dict.fromkeys(ENTITIES, 0.0)
    health_in = dict.fromkeys(WHERE, 0.0)
    ident_in = dict.fromkeys(WHERE, 0.0)
    per_part_health: dict[str, float] = {}
    per_part_ident: dict[str, float] = {}
    strong = linked = patient_contact = contact = unknown = health = date = provider = 0.0
    health_kinds: set[str] = set()
    ident_kinds: set[str] = set()
    health_count = patient_roles = 0
    roster = 0.0
    for f in usable:
        b = _bucket(f)
        counts[b] += 1
        best[b] = max(best[b], f.score)
        where = _where(f.part)
        is_health = f.category == "health" and (
            f.entity in t.health_entities or b == "OTHER_HEALTH"
        )
        if "+roster" in f.recognizer:
            roster = 1.0
        if f.role == PATIENT_ROLE:
            patient_roles += 1
        if is_health:
            health = max(health, f.score)
            health_kinds.add(f.entity)
            health_count += 1
            health_in[where] = max(health_in[where], f.score)
            per_part_health[f.part] = max(per_part_health.get(f.part, 0.0), f.score)
            continue
        ident_kinds.add(f.entity)
        ident_in[where] = max(ident_in[where], f.score)
        tied = 0.0
        if f.entity in t.strong_identifiers:
            strong = max(strong, f.score)
            tied = f.score
        if f.entity in t.linked_identifiers:
            linked = max(linked, f.score)
            tied = f.score
        if f.entity in t.contact_identifiers:
            contact = max(contact, f.score)
            if f.role == PATIENT_ROLE:
                patient_contact = max(patient_contact, f.score)
                tied = f.score
        if f.entity == "PERSON" and f.score >= t.min_unknown_name_score:
            unknown = max(unknown, f.score)
            tied = f.score
        if f.entity == "DATE_TIME":
            date = max(date, f.score)
        if f.entity == "PROVIDER_NAME":
            provider = max(provider, f.score)
        if tied:
            per_part_ident[f.part] = max(per_part_ident.get(f.part, 0.0), tied)
    pair_same = max(
        (per_part_ident.get(p, 0.0) * h for p, h in per_part_health.items()), default=0.0
    )
    ident_any = max(strong, linked, patient_contact, unknown)
    patient_named = counts["PATIENT_NAME"] > 0
    vec = [_count(counts[e]) for e in ENTITIES] + [best[e] for e in ENTITIES]
    vec += [health_in[w] for w in WHERE] + [ident_in[w] for w in WHERE]
    vec += [
        rule_score, 1.0 if rule_phi else 0.0,
        strong, linked, patient_contact, contact, unknown,
        health, min(1.0, len(health_kinds) / 5), min(1.0, len(ident_kinds) / 8),
        _count(health_count), _count(len(usable)),
        pair_same, ident_any * health, health * linked, health * unknown,
        health * patient_contact, health * contact, health * date, health * provider,
        1.0 if provider and not patient_named else 0.0, _count(patient_roles), roster,
        min(1.0, len(per_part_health) / 3),
    ]  # fmt: skip
    return vec
