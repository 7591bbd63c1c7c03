"""The facts a policy decision reads, resolved once per message before any rule is matched.

Resolving asks the patient roster (a database), so the pipeline runs it off the event loop; the
rules then match against the frozen Facts and never touch a store (see RulePolicy.decide).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Protocol

from detectors.extract.envelope import message_encrypted_kind
from gateway.config import Frozen, GroupSettings
from gateway.model import (
    Detection,
    Envelope,
    Facts,
    HeaderEdit,
    ParsedMessage,
    RecipientFacts,
)
from gateway.policy.conditions import Names

PATIENTS = "patients"


class Roster(Protocol):
    """The patient roster as the policy uses it (keyed-hash lookups; see gateway.patients)."""

    def ids_by_email(self, address: str) -> Sequence[str]: ...


class Triggers(Frozen):
    """How a sender asks for encryption: subject tags and headers, removed before delivery."""

    subject_tags: Names = ("[secure]", "[encrypt]")
    headers: Names = ("X-Phigate-Encrypt",)


class Groups:
    """Which configured groups an address belongs to (rostered patients are in `patients`)."""

    def __init__(
        self,
        groups: Mapping[str, GroupSettings],
        roster: Roster | None = None,
        allowed: Sequence[str] = ("internal", "business_associates"),
    ) -> None:
        self._groups = dict(groups)
        self.roster = roster
        self.allowed = tuple(allowed)

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self._groups))

    def configured(self, address: str) -> frozenset[str]:
        """The groups an address is in by the configuration alone (no roster lookup)."""
        addr = address.lower()
        domain = addr.rpartition("@")[2]
        out = set()
        for name, g in self._groups.items():
            if addr in (a.lower() for a in g.addresses) or any(
                domain == d.lower() or domain.endswith("." + d.lower()) for d in g.domains
            ):
                out.add(name)
        return frozenset(out)

    def of(self, address: str) -> frozenset[str]:
        """The groups an address is in, the roster asked when the configuration does not say."""
        return self.resolve(address)[0]

    def resolve(
        self, address: str, patients: Sequence[str] = (), *, lookup: bool = True
    ) -> tuple[frozenset[str], tuple[str, ...]]:
        """The address's groups and the roster ids that list it, with one roster lookup at most.

        The roster is asked only when it can change an answer: the address is not configured as
        a patient's, or the message is about rostered patients (to tell a misdirected copy).
        """
        groups = self.configured(address)
        if self.roster is None or (PATIENTS in groups and not patients) or not lookup:
            return groups, ()
        ids = tuple(self.roster.ids_by_email(address.lower()))
        if len(ids) == 1:  # an address several entries share names no one patient
            groups |= {PATIENTS}
        return groups, ids


def resolve_facts(
    message: ParsedMessage,
    envelope: Envelope,
    detection: Detection,
    triggers: Triggers,
    groups: Groups,
    *,
    sender_groups: bool = True,
    roster_groups: bool = True,
) -> Facts:
    """Work out everything the rules test, asking the roster once per address at most.

    Blocking (roster lookups, and a look into an encrypted body): run it off the event loop.
    `sender_groups=False` skips the sender's lookup when no rule tests the sender's groups;
    `roster_groups=False` skips the recipients' roster lookups when no rule that tests the
    `patients` group can match this message (roster matches in the content still look them up,
    for misdirection).
    """
    entity_counts: dict[str, int] = {}
    where: set[str] = set()
    for f in detection.findings:
        entity_counts[f.entity] = entity_counts.get(f.entity, 0) + 1
        part = str(f.part)
        where.add("attachment" if part.startswith("attachment:") else part.split(":")[0])
    patients = detection.patients
    recipients: dict[str, RecipientFacts] = {}
    for rcpt in envelope.rcpt_tos:
        if rcpt in recipients:
            continue
        in_groups, ids = groups.resolve(rcpt, patients, lookup=roster_groups or bool(patients))
        recipients[rcpt] = RecipientFacts(
            address=rcpt,
            groups=in_groups,
            misdirected=_misdirected(patients, in_groups, ids, groups),
        )
    edits, triggered = trigger_edits(message, triggers)
    return Facts(
        sender=envelope.mail_from,
        sender_groups=groups.of(envelope.mail_from) if sender_groups else frozenset(),
        phi=detection.phi,
        score=detection.score,
        band=detection.band or ("phi" if detection.phi else "clean"),
        entity_counts=entity_counts,
        where=frozenset(where),
        unscannable=bool(detection.unscannable),
        size=len(message.raw),
        patients=patients,
        already_encrypted=encrypted_kind(message) is not None,
        triggered=triggered,
        edits=edits,
        recipients=recipients,
    )


def _misdirected(
    patients: Sequence[str], in_groups: frozenset[str], ids: Sequence[str], groups: Groups
) -> bool:
    """Mail about a rostered patient to an outside address that is not that patient's own."""
    if not patients or groups.roster is None:
        return False
    if in_groups & set(groups.allowed):
        return False
    return not set(patients) & set(ids)


def encrypted_kind(message: ParsedMessage) -> str | None:
    """'smime' or 'pgp' when the sender already encrypted the message (a real envelope), else None."""
    ctype = (message.header("Content-Type") or "").lower()
    if not (
        "pkcs7-mime" in ctype or "encrypted" in ctype or b"-----BEGIN PGP MESSAGE" in message.raw
    ):
        return None  # the common case, decided without looking at the body
    return message_encrypted_kind(message.message)


def trigger_edits(
    message: ParsedMessage, triggers: Triggers
) -> tuple[tuple[HeaderEdit, ...], bool]:
    """Header edits that remove the sender's encryption triggers, and whether any was present."""
    edits: list[HeaderEdit] = []
    subject = message.header("Subject") or ""
    lowered = subject.lower()
    hit = False
    for tag in triggers.subject_tags:
        if tag.lower() in lowered:
            hit = True
            subject = re.sub(re.escape(tag), "", subject, flags=re.I)
            lowered = subject.lower()
    if hit:
        edits.append(HeaderEdit("Subject", " ".join(subject.split())))
    for name in triggers.headers:
        if message.header(name) is not None:
            hit = True
            edits.append(HeaderEdit(name, None))
    return tuple(edits), hit
