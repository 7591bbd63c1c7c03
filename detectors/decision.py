"""The message-level PHI decision: hand rules as a floor, a learned calibrated model above them.

`decide` first applies the hand rules (`rule_decision`), then, unless `learned` is off, the shipped
logistic model (detectors/model) over features of the findings gives a calibrated P(PHI) and a
band: phi, uncertain or clean (thresholds in DecisionThresholds). The hand rules are a floor:
what they call PHI (a strong identifier; a patient identifier with health information) stays PHI
whatever the model says, so the model only adds what the rules miss (fail closed). The reasons
name the features that pushed the probability most (`--explain`).

The hand rules: strong patient identifiers (MRN, MBI, member ID) are PHI on their own. Other identifiers tied to
a patient (a patient-cued name, DOB, date of service, SSN, patient account, claim, age over 89,
and contact details a cue ties to the patient) are PHI next to health information anywhere in the
message; independent identifiers and independent kinds of health information corroborate each
other. A name of unknown role is PHI only in the same part as health information. Provider and
staff names, business contacts and bare dates never count.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import replace
from itertools import islice

from detectors.config import DecisionThresholds
from detectors.findings import Band, Decision, Finding
from detectors.model.features import features
from detectors.model.logistic import LogisticModel, load_model

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
    """Turn findings into a Decision with its band, probability and reasons (masked, no PHI)."""
    rules = rule_decision(findings, thresholds)
    if not thresholds.learned:
        return rules
    return learned_decision(findings, thresholds, rules)


def learned_decision(
    findings: Sequence[Finding],
    thresholds: DecisionThresholds,
    rules: Decision,
    model: LogisticModel | None = None,
) -> Decision:
    """The model's band for the findings, floored by the hand rules' safe verdicts.

    `model` defaults to the configured (or shipped) model file; evaluation passes a fold's model.
    """
    t = thresholds
    model = model or load_model(t.model_file)
    x = features(findings, t, rules.score, rules.phi)
    p = model.probability(x)
    band: Band = (
        "phi"
        if p >= t.phi_probability
        else "uncertain"
        if p >= t.uncertain_probability
        else "clean"
    )
    floor = ""
    if rules.phi and band != "phi":
        band, floor = "phi", "hand-rule floor: the rules call it PHI"
    pushes = model.contributions(x)
    reasons = [f"learned model: P(PHI) {p:.2f} -> {band}", *_explain(pushes)]
    if floor:
        reasons.append(floor)
    reasons.extend(f"hand rules: {r}" for r in rules.reasons)
    return replace(
        rules,
        phi=band == "phi",
        band=band,
        score=round(max(p, rules.score) if floor else p, 3),
        probability=round(p, 4),
        reasons=tuple(reasons),
        contributions=tuple((name, round(v, 3)) for name, v in pushes[:8]),
    )


def _explain(pushes: list[tuple[str, float]], top: int = 4) -> list[str]:
    """The features that pushed the probability up and held it down most, named and signed."""
    # Only the first ``top`` of each side are written out (every feature has a push).
    up = [f"{n} {v:+.2f}" for n, v in islice(((n, v) for n, v in pushes if v > 0), top)]
    down = [f"{n} {v:+.2f}" for n, v in islice(((n, v) for n, v in pushes if v < 0), top)]
    out = []
    if up:
        out.append("pushed towards PHI by: " + ", ".join(up))
    if down:
        out.append("held back by: " + ", ".join(down))
    return out


def rule_decision(findings: Sequence[Finding], thresholds: DecisionThresholds) -> Decision:
    """The hand rules' Decision, whose reasons name the findings behind it (masked)."""
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
    for first, second in t.identity_pairs:
        found = _best_pair(usable, first, second)
        if found is not None:
            x, y = found
            if x.score * y.score > score:
                score = x.score * y.score
                reasons.append(f"patient identified by {x.describe()} with {y.describe()}")
                behind.extend((x, y))
    phi = score >= t.phi_threshold
    if not phi:
        reasons = [_why_not(strong, linked, unknown, health)]
    return Decision(
        phi=phi,
        score=round(score, 3),
        reasons=tuple(reasons),
        findings=tuple(dict.fromkeys(behind)),
    )


def _beside(a: Finding, b: Finding, gap: int = 40) -> bool:
    """`b` right after `a` in one part ("Ann Lee (DOB 3/4/1950)"): one person's identifiers."""
    return a.part == b.part and 0 <= b.start - a.end <= gap


def _best_pair(
    usable: Sequence[Finding], first: str, second: str, gap: int = 40
) -> tuple[Finding, Finding] | None:
    """The ``first`` and ``second`` finding `_beside` each other with the highest product of
    scores (the first such pair in the findings' order on a tie), or None.

    The ``second`` findings of each part are looked up by start (bisection): a table's every
    name against its every date was quadratic."""
    seconds: dict[str, tuple[list[int], list[tuple[int, Finding]]]] = {}
    for k, y in enumerate(usable):
        if y.entity == second:
            seconds.setdefault(y.part, ([], []))[1].append((k, y))
    for starts, ys in seconds.values():
        ys.sort(key=lambda ky: ky[1].start)
        starts.extend(y.start for _, y in ys)
    best: tuple[Finding, Finding] | None = None
    top = 0.0
    for x in usable:
        if x.entity != first or x.part not in seconds:
            continue
        starts, ys = seconds[x.part]
        near = ys[bisect_left(starts, x.end) : bisect_right(starts, x.end + gap)]
        for _, y in sorted(near, key=lambda ky: ky[0]):  # the findings' order, for ties
            product = x.score * y.score
            if best is None or product > top:
                best, top = (x, y), product
    return best


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
