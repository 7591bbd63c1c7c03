"""The built-in components in the one Registry: each provider registers its own, then plugins.

Detector factories take (engine config, extraction limits, roster); condition factories take
nothing; action and encryptor factories take the gateway's Services.

The providers are named, not imported: one is imported when a component of its kind is first
asked for (gateway.registry), so a command that needs none of them does not load them.
"""

from __future__ import annotations

from gateway.registry import Registry

# Every built-in provider of components: its module (with a `register(reg)`) and its kinds.
PROVIDERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("gateway.detect", ("detector",)),
    ("gateway.policy.conditions", ("condition",)),
    ("gateway.actions", ("action",)),
    ("gateway.crypto.methods", ("encryptor",)),
)


def default_registry() -> Registry:
    """The built-in components, plus any installed plugins.

    A plugin that takes a built-in's name fails when that kind is first used: at start-up for
    the gateway, which asks for every kind there.
    """
    reg = Registry()
    for module, kinds in PROVIDERS:
        reg.add_provider(module, kinds)
    reg.load_plugins()
    return reg
