"""Expected portal error conditions, each with a stable code."""

from __future__ import annotations

from gateway.model import PhigateError


class PortalError(PhigateError):
    """The portal cannot be used as asked."""

    code = "portal-error"


class PortalNotFound(PortalError):
    """No portal item matches this token or id."""

    code = "portal-not-found"


class PortalExpired(PortalError):
    """The portal item has expired (and was or will be shredded)."""

    code = "portal-expired"

    def __init__(self, message: str, *, item_id: str = "", ref_id: str = "") -> None:
        super().__init__(message)
        self.item_id = item_id
        self.ref_id = ref_id


class PortalIntegrityError(PortalError):
    """An item's ciphertext or key does not open: it will not be shown."""

    code = "portal-integrity"


class WebhookError(PortalError):
    """The external patient portal refused or could not take the message."""

    code = "portal-webhook-failed"
