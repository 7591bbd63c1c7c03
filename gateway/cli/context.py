"""The one context every `phigate` command receives, built once from `--config`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

from gateway.config import Settings, load_settings
from gateway.registry import Registry

#: Records an officer's access to a quarantined message: (entry id, action, who).
AuditAccess = Callable[[str, str, str], None]
DeliverResult = tuple[bool, str]
#: Hands a released message to the next hop: (raw, mail from, recipients) -> (ok, reply).
Deliver = Callable[[bytes, str, Sequence[str]], DeliverResult | Awaitable[DeliverResult]]
#: Records an event (consent granted or revoked) in the audit log: (action, details).
AuditEvent = Callable[[str, Mapping[str, Any]], None]
#: The gateway's OpenPGP keys as `keys list` rows, optionally only those expiring within a span.
PgpRows = Callable[[timedelta | None], list[dict[str, Any]]]
#: Rows of one kind of key or certificate for the report, by name.
KeyRowSource = Callable[[], Iterable[Mapping[str, object]]]


def utcnow() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Hooks:
    """Where commands reach beyond the store they manage; tests pass fakes.

    A hook left None is not configured: quarantine access is then refused rather than left
    unaudited, a release is refused, a consent change is recorded without an audit event.
    """

    audit_access: AuditAccess | None = None
    deliver: Deliver | None = None
    audit_event: AuditEvent | None = None
    pgp_rows: PgpRows | None = None
    key_sources: Sequence[tuple[str, KeyRowSource]] = ()
    clock: Callable[[], datetime] = utcnow


class Context:
    """One run of `phigate`, shared by every command.

    It holds the `--config` file, its settings (loaded once, when first needed), the registry,
    and the hooks (built from the settings unless the caller gave its own).
    """

    def __init__(
        self,
        config: Path | None,
        registry: Registry,
        make_hooks: Callable[[Settings], Hooks],
    ) -> None:
        self.config = config
        self.registry = registry
        self._make_hooks = make_hooks

    @cached_property
    def settings(self) -> Settings:
        """The settings of `--config` (the built-in defaults without one)."""
        return load_settings(self.config)

    def settings_with(self, overrides: Mapping[str, Any]) -> Settings:
        """The settings of `--config` with command-line overrides applied."""
        return load_settings(self.config, overrides)

    @cached_property
    def hooks(self) -> Hooks:
        """The hooks, built from the settings on first use."""
        return self._make_hooks(self.settings)
