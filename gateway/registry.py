"""The one registry: detectors, policy conditions, actions, encryptors and CLI commands by name.

This module knows no component: gateway.components names the built-in providers, and
gateway.cli.commands the built-in commands. Both are named by module, not imported: a provider
is imported when a component of its kind is first asked for, and a command's module when that
command is built. So `phigate audit verify` never loads the PHI engine, and the gateway loads
everything at start-up, as it asks for every kind there.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from typing import Any

KINDS = ("detector", "condition", "action", "encryptor", "command")


class DuplicateName(Exception):
    """Two components claimed the same name; phigate refuses to start."""


def resolve(ref: str) -> Any:
    """The object a reference `package.module:attribute` names (the module itself without
    `:attribute`), importing the module; the form entry points use."""
    module_name, _, attribute = ref.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


class Registry:
    """Maps (kind, name) to a factory. A duplicate name fails when the second one registers."""

    def __init__(self) -> None:
        self._factories: dict[tuple[str, str], Callable[..., Any]] = {}
        self._pending: dict[str, list[str]] = {}  # kind -> provider modules not yet imported
        # Held while providers load: a second thread asking for the same kind (the console
        # serves requests on threads) waits for them all instead of seeing half of them.
        self._loading = threading.RLock()

    def register(self, kind: str, name: str, factory: Callable[..., Any]) -> None:
        """Add a factory; refuse an unknown kind or a name already taken."""
        if kind not in KINDS:
            raise ValueError(f"unknown component kind {kind!r}")
        if (kind, name) in self._factories:
            raise DuplicateName(f"{kind} {name!r} is registered twice")
        self._factories[(kind, name)] = factory

    def add_provider(self, module: str, kinds: Iterable[str]) -> None:
        """Name a module whose `register(reg)` adds components of `kinds`. It is imported, and
        registers, when one of those kinds is first listed or created."""
        for kind in kinds:
            if kind not in KINDS:
                raise ValueError(f"unknown component kind {kind!r}")
            self._pending.setdefault(kind, []).append(module)

    def _load(self, kind: str) -> None:
        if not self._pending.get(kind):
            return
        with self._loading:
            while self._pending.get(kind):
                module = self._pending[kind][0]
                resolve(module).register(self)
                # Struck off only now, so that a thread that found it pending waits above until
                # it has registered; a provider of several kinds loads once.
                for waiting in self._pending.values():
                    if module in waiting:
                        waiting.remove(module)

    def names(self, kind: str) -> tuple[str, ...]:
        """The registered names of one kind, sorted."""
        self._load(kind)
        return tuple(sorted(n for k, n in self._factories if k == kind))

    def create(self, kind: str, name: str, *args: Any, **kwargs: Any) -> Any:
        """Build the component registered under (kind, name)."""
        self._load(kind)
        try:
            factory = self._factories[(kind, name)]
        except KeyError:
            raise KeyError(
                f"no {kind} named {name!r}; known: {', '.join(self.names(kind))}"
            ) from None
        return factory(*args, **kwargs)

    def load_plugins(self, group: str = "phigate.plugins") -> None:
        """Let installed plugins register themselves through entry points."""
        for ep in entry_points(group=group):
            hook = ep.load()
            hook(self)
