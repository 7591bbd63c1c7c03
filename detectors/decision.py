"""The message-level PHI decision: a patient identifier together with health information.

Strong patient identifiers (MRN, MBI, member ID) are PHI on their own. Other identifiers tied to
a patient (a patient-cued name, DOB, date of service, SSN, patient account, claim, age over 89,
and contact details a cue ties to the patient) are PHI next to health information anywhere in the
message; independent identifiers and independent kinds of health information corroborate each
other. A name of unknown role is PHI only in the same part as health information. Provider and
staff names, business contacts and bare dates never count.
"""

from __future__ import annotations

from collections.abc import Sequence

from detectors.config import DecisionThresholds
from detectors.findings import Decision, Finding

UNKNOWN_NAME = "PERSON"
PATIENT_ROLE = "patient"


def _best_per_entity(findings: Sequence[Finding]) -> list[Finding]:
    """The strongest finding of each entity type, strongest first."""
    best: dict[str, Finding] = {}
    for f in findings:
        if f.entity not in best or f.score > best[f.entity].score:
            best[f.entity] = f
    return sorted(best.values(), key=lambda f: -f.score)


def corroborated(findings: Sequence[Finding], cap: float) -> float:
    """Noisy-OR of the best score per entity type, capped: independent evidence adds up."""
    missing = 1.0
    for f in _best_per_entity(findings):
        missing *= 1.0 - f.score
    return min(cap, 1.0 - missing) if findings else 0.0


def decide(findings: Sequence[Finding], thresholds: DecisionThresholds) -> Decision:
    """Turn findings into a Decision whose reasons name the findings behind it (masked)."""
    t = thresholds
    usable = [f for f in findings if f.score >= t.min_finding_score]
    health = sorted(
        (f for f in usable if f.category == "health" and f.entity in t.health_entities),
        key=lambda f: -f.score,
    )
    strong = sorted((f for f in usable if f.entity in t.strong_identifiers), key=lambda f: -f.score)
    linked = sorted(
        (
            f
            for f in usable
            if f.entity in t.linked_identifiers
            or (f.entity in t.contact_identifiers and f.role == PATIENT_ROLE)
        ),
        key=lambda f: -f.score,
    )
    unknown = sorted(
        (f for f in usable if f.entity == UNKNOWN_NAME and f.score >= t.min_unknown_name_score),
        key=lambda f: -f.score,
    )

    score = 0.0
    reasons: list[str] = []
    behind: list[Finding] = []
    if strong:
        score = max(score, strong[0].score)
        reasons.append(f"strong patient identifier {strong[0].describe()}")
        behind.append(strong[0])
    if health:
        top = health[0]
        if linked:
            pair = corroborated(linked, t.corroboration_cap) * corroborated(
                health, t.corroboration_cap
            )
            if pair > score:
                score = pair
            reasons.append(
                f"patient identifier {linked[0].describe()} with health information {top.describe()}"
            )
            behind.extend((linked[0], top))
        for name in unknown:
            same_part = [h for h in health if h.part == name.part]
            if not same_part:
                continue
            pair = name.score * same_part[0].score
            if pair >= t.phi_threshold:
                score = max(score, pair)
                reasons.append(
                    f"person name {name.describe()} with health information "
                    f"{same_part[0].describe()} in the same part"
                )
                behind.extend((name, same_part[0]))
                break
    if strong and health:
        score = min(1.0, max(score, strong[0].score) + 0.05)
        behind.append(health[0])
    phi = score >= t.phi_threshold
    if not phi:
        reasons = [_why_not(strong, linked, unknown, health)]
    return Decision(
        phi=phi,
        score=round(score, 3),
        reasons=tuple(reasons),
        findings=tuple(dict.fromkeys(behind)),
    )


def _why_not(
    strong: list[Finding], linked: list[Finding], unknown: list[Finding], health: list[Finding]
) -> str:
    if not health and not strong:
        kinds = sorted({f.entity for f in linked + unknown})
        if kinds:
            return "identifiers without health information: " + ", ".join(kinds)
        return "no patient identifier and no health information"
    if health and not (strong or linked or unknown):
        kinds = sorted({f.entity for f in health})
        return "health information without a patient identifier: " + ", ".join(kinds)
    return "findings below the PHI threshold"
