"""Policy conditions: what a rule's `when:` can test, one small class per key.

Each condition has a `name` (its key under `when:`), the model its YAML value is parsed into
(`schema`, a field of `Conditions`, so a bad value is reported with the file and line), a check
of the names it refers to (`problems`), and `matches`, a pure function of the resolved Facts. They
are registered under the kind "condition" (see gateway.components).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Protocol, runtime_checkable

from pydantic import BeforeValidator, Field, model_validator

from gateway.config import Frozen
from gateway.model import Facts, RecipientFacts
from gateway.registry import Registry


def as_tuple(value: Any) -> Any:
    """Let a YAML scalar stand for a one-item list."""
    if value is None:
        return ()
    if isinstance(value, str | int | float | bool):
        return (value,)
    return value


Names = Annotated[tuple[str, ...], BeforeValidator(as_tuple)]


class PartyMatch(Frozen):
    """Matches an address by exact address, domain (and its subdomains) or group."""

    address: Names = ()
    domain: Names = ()
    group: Names = ()

    @model_validator(mode="after")
    def _not_empty(self) -> PartyMatch:
        if not (self.address or self.domain or self.group):
            raise ValueError("give at least one of address, domain, group")
        return self

    def matches(self, address: str, groups: frozenset[str]) -> bool:
        """True when the address fits any of the listed addresses, domains or groups."""
        addr = address.lower()
        domain = addr.rpartition("@")[2]
        if any(addr == a.lower() for a in self.address):
            return True
        if any(domain == d.lower() or domain.endswith("." + d.lower()) for d in self.domain):
            return True
        return any(g in groups for g in self.group)


class PhiScore(Frozen):
    """PHI with at least this score."""

    min_score: float = Field(ge=0.0, le=1.0)


class EntityMatch(Frozen):
    """Entity types found: any of, all of, and a minimum count of the matching findings."""

    any_of: Names = ()
    all_of: Names = ()
    min_count: int = Field(default=1, ge=1)

    @model_validator(mode="after")
    def _not_empty(self) -> EntityMatch:
        if not (self.any_of or self.all_of):
            raise ValueError("give any_of or all_of")
        return self


class SizeMatch(Frozen):
    """Message size bounds in bytes."""

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)


Where = Literal["subject", "body", "attachment", "header"]
# The learned decision's bands (detectors.findings.BANDS): "uncertain" is mail close to PHI.
PhiBand = Literal["phi", "uncertain", "clean"]


class Conditions(Frozen):
    """Everything a rule can test; all given conditions must hold. Empty matches everything.

    One field per condition, named as the condition is registered.
    """

    sender: PartyMatch | None = None
    recipient: PartyMatch | None = None
    phi: bool | PhiScore | None = None
    phi_band: Annotated[tuple[PhiBand, ...], BeforeValidator(as_tuple)] = ()
    entities: EntityMatch | None = None
    where: Annotated[tuple[Where, ...], BeforeValidator(as_tuple)] = ()
    trigger: bool | None = None
    already_encrypted: bool | None = None
    unscannable: bool | None = None
    size: SizeMatch | None = None
    misdirected: bool | None = None


@dataclass(frozen=True)
class KnownNames:
    """The names a policy may refer to: configured groups and detectable entity types."""

    groups: frozenset[str]
    entities: frozenset[str]


# A problem a condition finds in its value: the path below `when.<name>`, and what is wrong.
Problem = tuple[tuple[str, ...], str]


@runtime_checkable
class Condition(Protocol):
    """One test a rule can make, a pure function of the resolved facts."""

    name: str

    def problems(self, value: Any, known: KnownNames) -> Iterator[Problem]:
        """Names in the value that do not exist (unknown groups, entity types)."""
        ...

    def matches(self, value: Any, facts: Facts, recipient: RecipientFacts) -> tuple[bool, str]:
        """Whether the condition holds for one recipient, and why (or why not)."""
        ...


class _NoNames:
    """A condition whose value names nothing to check."""

    def problems(self, value: Any, known: KnownNames) -> Iterator[Problem]:
        """See Condition."""
        return iter(())


class _Party:
    """A condition on one party of the message: its address and groups fit a PartyMatch."""

    name: str
    schema = PartyMatch

    def problems(self, value: PartyMatch, known: KnownNames) -> Iterator[Problem]:
        """See Condition."""
        for g in value.group:
            if g not in known.groups:
                yield (
                    ("group",),
                    f"unknown group {g!r} (known: {', '.join(sorted(known.groups)) or 'none'})",
                )

    def party(self, facts: Facts, recipient: RecipientFacts) -> tuple[str, frozenset[str]]:
        """The party's address and groups."""
        raise NotImplementedError

    def matches(
        self, value: PartyMatch, facts: Facts, recipient: RecipientFacts
    ) -> tuple[bool, str]:
        """See Condition."""
        if value.matches(*self.party(facts, recipient)):
            return True, "matched"
        return False, f"{self.name} does not match"


class SenderCondition(_Party):
    """The envelope sender fits an address, domain or group. See Condition."""

    name = "sender"

    def party(self, facts: Facts, recipient: RecipientFacts) -> tuple[str, frozenset[str]]:
        """See _Party."""
        return facts.sender, facts.sender_groups


class RecipientCondition(_Party):
    """The recipient fits an address, domain or group. See Condition."""

    name = "recipient"

    def party(self, facts: Facts, recipient: RecipientFacts) -> tuple[str, frozenset[str]]:
        """See _Party."""
        return recipient.address, recipient.groups


class PhiCondition(_NoNames):
    """PHI found (true/false), or found with at least a score. See Condition."""

    name = "phi"
    schema = bool | PhiScore

    def matches(
        self, value: bool | PhiScore, facts: Facts, recipient: RecipientFacts
    ) -> tuple[bool, str]:
        """See Condition."""
        if isinstance(value, bool):
            return (True, "matched") if value == facts.phi else (False, f"phi is {facts.phi}")
        if facts.phi and facts.score >= value.min_score:
            return True, "matched"
        return False, f"phi score {facts.score:.2f} < {value.min_score}"


class PhiBandCondition(_NoNames):
    """The learned decision's band is one of those listed (phi, uncertain, clean). See Condition."""

    name = "phi_band"
    schema = tuple[PhiBand, ...]

    def matches(
        self, value: tuple[str, ...], facts: Facts, recipient: RecipientFacts
    ) -> tuple[bool, str]:
        """See Condition."""
        band = facts.band or ("phi" if facts.phi else "clean")
        if not value or band in value:
            return True, "matched"
        return False, f"phi band is {band}"


class EntitiesCondition:
    """Entity types found: any of, all of, at least so many. See Condition."""

    name = "entities"
    schema = EntityMatch

    def problems(self, value: EntityMatch, known: KnownNames) -> Iterator[Problem]:
        """See Condition."""
        for e in (*value.any_of, *value.all_of):
            if e not in known.entities:
                yield (), f"unknown entity type {e!r}"

    def matches(
        self, value: EntityMatch, facts: Facts, recipient: RecipientFacts
    ) -> tuple[bool, str]:
        """See Condition."""
        counts = facts.entity_counts
        matching = [n for n in (*value.any_of, *value.all_of) if counts.get(n)]
        if value.all_of and not all(counts.get(n) for n in value.all_of):
            return False, "not all of the entity types were found"
        if value.any_of and not any(counts.get(n) for n in value.any_of):
            return False, "none of the entity types were found"
        if sum(counts.get(n, 0) for n in set(matching)) < value.min_count:
            return False, f"fewer than {value.min_count} matching findings"
        return True, "matched"


class WhereCondition(_NoNames):
    """Something was found in the subject, body, an attachment or a header. See Condition."""

    name = "where"
    schema = tuple[Where, ...]

    def matches(
        self, value: tuple[str, ...], facts: Facts, recipient: RecipientFacts
    ) -> tuple[bool, str]:
        """See Condition."""
        if set(value) & facts.where:
            return True, "matched"
        return False, f"nothing found in {', '.join(value)}"


class _Flag(_NoNames):
    """A yes/no fact of the message compared with the rule's true/false."""

    name: str
    fact: str

    def matches(self, value: bool, facts: Facts, recipient: RecipientFacts) -> tuple[bool, str]:
        """See Condition."""
        actual = getattr(facts, self.fact)
        if actual == value:
            return True, "matched"
        return False, f"{self.label} is {actual}"

    @property
    def label(self) -> str:
        return self.name


class TriggerCondition(_Flag):
    """The sender asked for encryption (a subject tag or header). See Condition."""

    name = "trigger"
    fact = "triggered"
    schema = bool

    @property
    def label(self) -> str:
        return "sender trigger"


class AlreadyEncryptedCondition(_Flag):
    """The sender already encrypted the message. See Condition."""

    name = "already_encrypted"
    fact = "already_encrypted"
    schema = bool


class UnscannableCondition(_Flag):
    """Some part could not be scanned. See Condition."""

    name = "unscannable"
    fact = "unscannable"
    schema = bool


class MisdirectedCondition(_NoNames):
    """Mail about a rostered patient to an outside address not that patient's. See Condition."""

    name = "misdirected"
    schema = bool

    def matches(self, value: bool, facts: Facts, recipient: RecipientFacts) -> tuple[bool, str]:
        """See Condition."""
        if recipient.misdirected == value:
            return True, "matched"
        return False, f"misdirected is {recipient.misdirected}"


class SizeCondition(_NoNames):
    """The message size lies within bounds. See Condition."""

    name = "size"
    schema = SizeMatch

    def matches(
        self, value: SizeMatch, facts: Facts, recipient: RecipientFacts
    ) -> tuple[bool, str]:
        """See Condition."""
        if value.min is not None and facts.size < value.min:
            return False, f"size {facts.size} < {value.min}"
        if value.max is not None and facts.size > value.max:
            return False, f"size {facts.size} > {value.max}"
        return True, "matched"


# The order rules test their conditions in, which fixes the first reason a rule gives for not
# matching (shown by `phigate policy test --explain`).
BUILTIN: tuple[type[Condition], ...] = (
    SenderCondition,
    RecipientCondition,
    PhiCondition,
    PhiBandCondition,
    EntitiesCondition,
    WhereCondition,
    TriggerCondition,
    AlreadyEncryptedCondition,
    UnscannableCondition,
    MisdirectedCondition,
    SizeCondition,
)


def builtin_conditions() -> dict[str, Condition]:
    """The built-in conditions by name, in the order rules test them."""
    return {c.name: c() for c in BUILTIN}


def conditions_from(registry: Registry) -> dict[str, Condition]:
    """The registered conditions by name, built-ins first in their order, then any others."""
    order = [c.name for c in BUILTIN]
    names = registry.names("condition")
    ordered = [n for n in order if n in names] + [n for n in names if n not in order]
    return {n: registry.create("condition", n) for n in ordered}


def check_conditions(conditions: Mapping[str, Condition]) -> None:
    """Every key `when:` accepts must have a condition to test it (else a rule would pass it by)."""
    missing = [f for f in Conditions.model_fields if f not in conditions]
    if missing:
        raise ValueError(f"no condition registered for {', '.join(missing)}")


def register(reg: Registry) -> None:
    """Register the built-in policy conditions."""
    for condition in BUILTIN:
        reg.register("condition", condition.name, condition)
