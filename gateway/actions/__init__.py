"""The policy actions, one module per family, and their registration (kind "action").

Each action is a small class with a `name` and one `act(ctx)` method (see Action). An action
that cannot serve a recipient returns it in `unserved`, and the pipeline tries the rule's next
fallback for it. Nothing here ever lets a message out in the clear that a rule meant to protect.
Action factories take the gateway's Services.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.actions.block import BlockAction
from gateway.actions.consent import ConsentAllowAction
from gateway.actions.deliver import DeliverAction
from gateway.actions.encrypt import EncryptAction
from gateway.actions.portal import PortalAction, PortalUnavailable
from gateway.actions.quarantine import QuarantineAction
from gateway.actions.tag import TagAction
from gateway.registry import Registry

if TYPE_CHECKING:  # the services import the actions' notices: a type, not a load-time need
    from gateway.services import Services

__all__ = [
    "BlockAction",
    "ConsentAllowAction",
    "DeliverAction",
    "EncryptAction",
    "PortalAction",
    "PortalUnavailable",
    "QuarantineAction",
    "TagAction",
    "register",
]


def register(reg: Registry) -> None:
    """Register the built-in actions. The encrypt action uses every registered encryptor."""

    def deliver(svc: Services) -> DeliverAction:
        return DeliverAction(svc.settings.delivery)

    def encrypt(svc: Services) -> EncryptAction:
        encryptors = [reg.create("encryptor", name, svc) for name in reg.names("encryptor")]
        return EncryptAction(encryptors, svc.settings.delivery.tls_for)

    reg.register("action", "deliver", deliver)
    reg.register("action", "tag", lambda svc: TagAction(deliver(svc)))
    reg.register("action", "block", lambda svc: BlockAction(svc.settings.notices, svc.notices))
    reg.register("action", "quarantine", QuarantineAction)
    reg.register("action", "encrypt", encrypt)
    reg.register("action", "portal", PortalAction)
    reg.register("action", "consent_allow", ConsentAllowAction)
