"""The one registry: detectors, policy conditions, actions, encryptors and CLI commands by name.

This module knows no component: gateway.components fills a Registry with the built-in ones.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

KINDS = ("detector", "condition", "action", "encryptor", "command")


class DuplicateName(Exception):
    """Two components claimed the same name; phigate refuses to start."""


class Registry:
    """Maps (kind, name) to a factory. A duplicate name fails at start-up."""

    def __init__(self) -> None:
        self._factories: dict[tuple[str, str], Callable[..., Any]] = {}

    def register(self, kind: str, name: str, factory: Callable[..., Any]) -> None:
        """Add a factory; refuse an unknown kind or a name already taken."""
        if kind not in KINDS:
            raise ValueError(f"unknown component kind {kind!r}")
        if (kind, name) in self._factories:
            raise DuplicateName(f"{kind} {name!r} is registered twice")
        self._factories[(kind, name)] = factory

    def names(self, kind: str) -> tuple[str, ...]:
        """The registered names of one kind, sorted."""
        return tuple(sorted(n for k, n in self._factories if k == kind))

    def create(self, kind: str, name: str, *args: Any, **kwargs: Any) -> Any:
        """Build the component registered under (kind, name)."""
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
