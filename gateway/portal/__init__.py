"""phigate's secure patient portal: messages held for pickup instead of sent in clear.

- `PortalStore` keeps each message encrypted at rest (AES-256-GCM, per-message data key
  wrapped by a master key kept apart), plus PHI-free metadata and verification state.
- `render_portal_notice` renders the PHI-free email that carries the pickup link.
- `create_app` is the Starlette pickup site (one-time code + date of birth, reading,
  downloads, secure reply, consent), served by `run_portal` over TLS.
- `WebhookPortal` hands messages to an external portal by signed HTTPS POST instead.
"""

from gateway.portal.app import (
    PortalRuntime,
    PortalServices,
    build_reply,
    create_app,
    portal_server,
    run_portal,
)
from gateway.portal.errors import (
    PortalError,
    PortalExpired,
    PortalIntegrityError,
    PortalNotFound,
    WebhookError,
)
from gateway.portal.notice import portal_link, render_portal_notice
from gateway.portal.store import (
    EXPIRED,
    READ,
    UNREAD,
    PortalItem,
    PortalMessage,
    PortalMeta,
    PortalStore,
)
from gateway.portal.webhook import WebhookPortal, WebhookResult, sign, verify_signature

__all__ = [
    "EXPIRED",
    "READ",
    "UNREAD",
    "PortalError",
    "PortalExpired",
    "PortalIntegrityError",
    "PortalItem",
    "PortalMessage",
    "PortalMeta",
    "PortalNotFound",
    "PortalRuntime",
    "PortalServices",
    "PortalStore",
    "WebhookError",
    "WebhookPortal",
    "WebhookResult",
    "build_reply",
    "create_app",
    "portal_link",
    "portal_server",
    "render_portal_notice",
    "run_portal",
    "sign",
    "verify_signature",
]
