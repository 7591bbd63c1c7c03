"""The built-in components in the one Registry: each provider registers its own, then plugins.

Detector factories take (engine config, extraction limits, roster); condition factories take
nothing; action and encryptor factories take the gateway's Services.
"""

from __future__ import annotations

from gateway import actions, detect
from gateway.crypto import methods
from gateway.policy import conditions
from gateway.registry import Registry

# Every built-in provider of components, each with a `register(reg)`.
PROVIDERS = (detect, conditions, actions, methods)


def default_registry() -> Registry:
    """The built-in components, plus any installed plugins (a duplicate name fails here)."""
    reg = Registry()
    for provider in PROVIDERS:
        provider.register(reg)
    reg.load_plugins()
    return reg
