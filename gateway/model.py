"""The model: the value types a message's Verdict is built from, the stage Protocols, and errors.

Every module may import this one; it imports nothing of phigate's. Stages return these frozen
objects, and the Pipeline (gateway.pipeline) assembles them into a Verdict.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:  # types only: the model loads nothing of phigate's
    from detectors.extract.model import Unscannable
    from detectors.findings import Finding

_REF_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_ref_id(now: datetime | None = None) -> str:
    """A short reference ID that staff can quote and the audit log can find (40 random bits)."""
    day = (now or datetime.now(UTC)).strftime("%Y%m%d")
    bits = int.from_bytes(secrets.token_bytes(5), "big")
    tail = "".join(_REF_ALPHABET[(bits >> (5 * i)) & 31] for i in range(8))
    return f"PG-{day}-{tail}"


@dataclass(frozen=True)
class Reply:
    """An SMTP reply: code, enhanced status code and text."""

    code: int
    status: str
    text: str

    def __str__(self) -> str:
        return f"{self.code} {self.status} {self.text}"

    @property
    def ok(self) -> bool:
        return 200 <= self.code < 300

    @property
    def temporary(self) -> bool:
        return 400 <= self.code < 500


@dataclass(frozen=True)
class Envelope:
    """What the SMTP session said about the message (never its content)."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    peer: str = ""
    helo: str | None = None
    authenticated_as: str | None = None
    tls: bool = False
    smtputf8: bool = False
    body_8bit: bool = False


@dataclass(frozen=True)
class ParsedMessage:
    """The original bytes, kept untouched, and a parsed view of them."""

    raw: bytes
    message: EmailMessage
    defects: tuple[str, ...]
    message_id: str | None
    headers: Mapping[str, str] = field(default_factory=dict)  # first value of each, decoded

    def header(self, name: str) -> str | None:
        """A top-level header field's value, RFC 2047-decoded (cheap: no header objects)."""
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Detection:
    """What the detectors found: a PHI-free summary plus the findings for later stages.

    `summary` is what the audit log keeps; later stages read the typed fields, never the summary.
    `patients` are the roster ids of the patients the message is about.
    """

    phi: bool = False
    score: float = 0.0
    findings: tuple[Finding, ...] = ()
    summary: Mapping[str, Any] = field(default_factory=dict)
    unscannable: tuple[Unscannable, ...] = ()
    reasons: tuple[str, ...] = ()
    patients: tuple[str, ...] = ()
    # The learned decision's band: "phi", "uncertain" (close to PHI: the shipped policy protects
    # it for outsiders) or "clean"; "" when the detector gives none (phi alone then decides).
    band: str = ""


@dataclass(frozen=True)
class Step:
    """One action with its options, as a rule or a fallback names it."""

    action: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    """Recipients that share a rule, the action for them, and what to try if it cannot serve."""

    recipients: tuple[str, ...]
    step: Step
    rule: str
    reason: str
    fallback: tuple[Step, ...] = ()
    monitor: bool = False


@dataclass(frozen=True)
class HeaderEdit:
    """A change to one header field: set (replace), add, or remove (value None)."""

    name: str
    value: str | None
    mode: str = "set"  # "set" | "add" | "remove"


@dataclass(frozen=True)
class RecipientFacts:
    """What the policy knows about one recipient, resolved before deciding."""

    address: str
    groups: frozenset[str] = frozenset()
    misdirected: bool = False  # mail about a rostered patient to an outside address of another


@dataclass(frozen=True)
class Facts:
    """Everything a policy decision reads, resolved once per message (off the event loop).

    Deciding is then a pure function of the message, envelope, detection and these facts: the
    roster and the other stores are asked here, never while rules are being matched.
    """

    sender: str
    sender_groups: frozenset[str] = frozenset()
    phi: bool = False
    score: float = 0.0
    band: str = ""
    entity_counts: Mapping[str, int] = field(default_factory=dict)
    where: frozenset[str] = frozenset()
    unscannable: bool = False
    size: int = 0
    patients: tuple[str, ...] = ()
    already_encrypted: bool = False
    triggered: bool = False
    edits: tuple[HeaderEdit, ...] = ()
    recipients: Mapping[str, RecipientFacts] = field(default_factory=dict)

    def recipient(self, address: str) -> RecipientFacts:
        """The facts about one recipient (one not resolved is in no group and not misdirected)."""
        return self.recipients.get(address) or RecipientFacts(address)


@dataclass(frozen=True)
class PolicyDecision:
    """What the policy decided, by which rule, and why; one Route per group of recipients."""

    action: str
    rule: str
    reason: str
    params: Mapping[str, Any] = field(default_factory=dict)
    hits: tuple[str, ...] = ()
    routes: tuple[Route, ...] = ()
    edits: tuple[HeaderEdit, ...] = ()
    monitor: bool = False
    misdirected: int = 0  # recipients flagged as misdirected (mail about a patient to others)


@dataclass(frozen=True)
class Delivery:
    """One copy of the message for some recipients, as it will leave."""

    mail_from: str
    recipients: tuple[str, ...]
    content: bytes
    tls: str = "opportunistic"


@dataclass(frozen=True)
class ActResult:
    """What one action produced for its recipients.

    `deliveries` are copies to hand to the next hop (including notices); `reply` is a final SMTP
    answer the action wants (a before-queue reject); `unserved` are recipients it could not serve,
    for the next fallback; `stored` says the message was durably stored (quarantine, portal).
    """

    deliveries: tuple[Delivery, ...] = ()
    reply: Reply | None = None
    note: str = ""
    unserved: tuple[str, ...] = ()
    stored: bool = False
    method: str = ""


@dataclass(frozen=True)
class ActContext:
    """Everything an action may read. The message is the prepared one (trigger tags removed)."""

    message: ParsedMessage
    original: ParsedMessage
    envelope: Envelope
    step: Step
    rule: str
    reason: str
    detection: Detection
    ref_id: str
    monitor: bool = False
    attempted: tuple[str, ...] = ()  # actions tried before this one (it is a fallback)


@dataclass(frozen=True)
class Outcome:
    """How delivery went: the reply for the client and the next hop's replies."""

    reply: Reply
    next_hop_reply: str | None = None
    per_recipient: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StageResult:
    """One stage's conclusion. `details` must never hold message text or matched values."""

    stage: str
    outcome: str
    reason: str
    elapsed_ms: float
    details: Mapping[str, Any] = field(default_factory=dict)

    def as_record(self) -> dict[str, Any]:
        return {"stage": self.stage, "outcome": self.outcome, "reason": self.reason, **self.details}


@dataclass(frozen=True)
class Verdict:
    """Everything the pipeline concluded about one message, stage by stage."""

    ref_id: str
    envelope: Envelope
    size: int
    received_at: datetime
    message_id: str | None = None
    defects: tuple[str, ...] = ()
    stages: tuple[StageResult, ...] = ()
    detection: Detection | None = None
    decision: PolicyDecision | None = None
    outcome: Outcome | None = None
    acted: str = ""  # the action that finally served the recipients (after fallbacks)

    def with_stage(self, result: StageResult, **changes: Any) -> Verdict:
        """Return a copy with one more stage result (and any other fields changed).

        The same copy as `dataclasses.replace` (no field has an init-only or post-init step),
        made by copying the instance's fields directly: five times per message, replace's
        keyword call through the generated __init__ cost a tenth of the pipeline's own work.
        """
        for name in changes:
            if name not in _VERDICT_FIELDS or name == "stages":
                raise TypeError(f"Verdict has no field {name!r} to change")
        new = object.__new__(Verdict)
        fields = new.__dict__
        fields.update(self.__dict__)
        fields.update(changes)
        fields["stages"] = (*self.stages, result)
        return new

    @property
    def action(self) -> str:
        """What was done: the action that served every recipient, "split", or the decision's."""
        if self.acted:
            return self.acted
        return self.decision.action if self.decision else "none"

    @property
    def reply(self) -> Reply:
        if self.outcome is None:
            return Reply(451, "4.3.0", f"Temporary failure, try again later (ref {self.ref_id})")
        return self.outcome.reply

    @property
    def timings(self) -> dict[str, float]:
        return {s.stage: round(s.elapsed_ms, 3) for s in self.stages}


_VERDICT_FIELDS = frozenset(f.name for f in dataclass_fields(Verdict))


@runtime_checkable
class Parser(Protocol):
    """Turns raw bytes into a ParsedMessage, or raises ParseError."""

    name: str

    def parse(self, raw: bytes) -> ParsedMessage: ...


@runtime_checkable
class Detector(Protocol):
    """Looks for PHI in a parsed message."""

    name: str

    def detect(self, message: ParsedMessage, envelope: Envelope) -> Detection: ...


@runtime_checkable
class Policy(Protocol):
    """Decides what happens to a message. Read-only: it never changes the message.

    `facts` may block (it asks the roster): the pipeline runs it off the event loop, once per
    message. `decide` is pure: it reads only its arguments.
    """

    name: str

    def facts(self, message: ParsedMessage, envelope: Envelope, detection: Detection) -> Facts: ...

    def decide(
        self, message: ParsedMessage, envelope: Envelope, detection: Detection, facts: Facts
    ) -> PolicyDecision: ...


@runtime_checkable
class Action(Protocol):
    """Carries out one step for some recipients: copies to deliver, a stored copy, or a reply."""

    name: str

    async def act(self, ctx: ActContext) -> ActResult: ...


@runtime_checkable
class Encryptor(Protocol):
    """One encryption method (S/MIME or OpenPGP) for one recipient."""

    method: str

    def usable(self, recipient: str) -> tuple[bool, str]: ...

    def encrypt(self, raw: bytes, recipient: str) -> bytes: ...


@runtime_checkable
class Deliverer(Protocol):
    """Hands copies to the next hop and reports how that went."""

    async def deliver(self, deliveries: tuple[Delivery, ...], ref_id: str) -> Outcome: ...


Recorder = Callable[[Verdict], Awaitable[None]]
Offload = Callable[[Callable[[], Any]], Awaitable[Any]]


# Errors: expected conditions, each with a stable code.


class PhigateError(Exception):
    """Base class for expected phigate errors; `code` is stable and safe to log."""

    code = "phigate-error"


class ConfigError(PhigateError):
    """A configuration or policy file is invalid; the message names the file and line."""

    code = "config-invalid"


class ParseError(PhigateError):
    """A message cannot be parsed as RFC 5322 at all."""

    code = "message-unparseable"


class DetectorError(PhigateError):
    """A detector failed; the message must not leave unscanned."""

    code = "detector-failed"


class PolicyError(PhigateError):
    """The policy could not reach a decision."""

    code = "policy-failed"


class NextHopError(PhigateError):
    """The next hop could not be reached or answered out of protocol."""

    code = "next-hop-failed"
