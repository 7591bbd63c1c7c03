"""Hand a message to an external patient portal instead of storing it here.

`WebhookPortal.deliver` POSTs JSON over HTTPS::

    {"ref_id": ..., "mail_from": ..., "recipient": ..., "roster_id": ... | null,
     "expires": "<ISO 8601 UTC>", "raw": "<base64 of the original message>"}

with the header ``X-Phigate-Signature: t=<unix seconds>,v1=<hex>``, where ``v1`` is
HMAC-SHA256 under the shared secret of ``f"{t}.".encode() + body`` (the exact body bytes).
The receiving portal verifies it like this (and rejects a `t` more than 5 minutes old)::

    t, v1 = (kv.split("=", 1)[1] for kv in header.split(","))
    want = hmac.new(secret, f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    ok = hmac.compare_digest(want, v1) and abs(time.time() - int(t)) <= 300

A 2xx answer is success; its JSON `link` (or `reply`) comes back as the second value.
Timeouts, connection errors and 5xx/429 answers are retried with exponential backoff;
other 4xx answers are final. Anything but success returns ``ok=False`` and the caller
answers 451, so the message stays with the sender's server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import NamedTuple

from gateway.portal.errors import WebhookError

_log = logging.getLogger("phigate.portal.webhook")

SIGNATURE_HEADER = "X-Phigate-Signature"
_RETRYABLE = frozenset({408, 425, 429, 500, 502, 503, 504})


class WebhookResult(NamedTuple):
    """`(ok, link_or_reply)`: the portal's link on success, a short reason otherwise."""

    ok: bool
    link_or_reply: str


def sign(secret: bytes, body: bytes, timestamp: int) -> str:
    """The signature header value for `body` at `timestamp`."""
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify_signature(
    secret: bytes, body: bytes, header: str, *, now: float | None = None, tolerance: int = 300
) -> bool:
    """Check a signature header as the receiving portal should (constant-time, fresh)."""
    try:
        fields = dict(kv.split("=", 1) for kv in header.split(","))
        timestamp = int(fields["t"])
        given = fields["v1"]
    except (KeyError, ValueError):
        return False
    want = sign(secret, body, timestamp).rpartition("v1=")[2]
    fresh = abs((time.time() if now is None else now) - timestamp) <= tolerance
    return hmac.compare_digest(want, given) and fresh


class WebhookPortal:
    """Delivers messages to an external portal by signed HTTPS POST with bounded retries."""

    def __init__(
        self,
        url: str,
        secret: bytes | str,
        timeout: float = 10.0,
        retries: int = 2,
        *,
        backoff: float = 0.5,
        ssl_context: ssl.SSLContext | None = None,
        allow_http: bool = False,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not url.startswith("https://") and not allow_http:
            raise WebhookError(f"webhook URL must use https://, not {url.split(':', 1)[0]}")
        if retries < 0 or timeout <= 0:
            raise WebhookError("webhook retries must be >= 0 and timeout > 0")
        self.url = url
        self._secret = secret.encode() if isinstance(secret, str) else secret
        if len(self._secret) < 16:
            raise WebhookError("webhook secret must be at least 16 bytes")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._ssl = ssl_context or ssl.create_default_context()
        self._sleep = sleep

    def deliver(
        self,
        raw: bytes,
        *,
        ref_id: str,
        mail_from: str,
        recipient: str,
        roster_id: str | None,
        expires: datetime,
    ) -> WebhookResult:
        """POST one message; `(True, link)` once the portal took it, else `(False, reason)`."""
        doc = {
            "ref_id": ref_id,
            "mail_from": mail_from,
            "recipient": recipient,
            "roster_id": roster_id,
            "expires": expires.astimezone(UTC).isoformat(),
            "raw": base64.b64encode(raw).decode("ascii"),
        }
        body = json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()
        reason = "not attempted"
        for attempt in range(self.retries + 1):
            if attempt:
                self._sleep(self.backoff * (2 ** (attempt - 1)))
            request = urllib.request.Request(
                self.url,
                data=body,
                method="POST",
                headers={
                    "Content-Type": "application/json",
                    "User-Agent": "phigate-portal-webhook/1",
                    SIGNATURE_HEADER: sign(self._secret, body, int(time.time())),
                    "X-Phigate-Ref": ref_id,
                },
            )
            try:
                with urllib.request.urlopen(
                    request,
                    timeout=self.timeout,
                    context=self._ssl if self.url.startswith("https://") else None,
                ) as resp:
                    answer = resp.read(65536)
                    return WebhookResult(True, _link(answer))
            except urllib.error.HTTPError as exc:
                reason = f"HTTP {exc.code}"
                if exc.code not in _RETRYABLE:
                    break
            except urllib.error.URLError as exc:
                reason = (
                    type(exc.reason).__name__
                    if isinstance(exc.reason, BaseException)
                    else "URLError"
                )
            except OSError as exc:  # includes TimeoutError while reading the answer
                reason = type(exc).__name__
            _log.warning(
                "webhook attempt failed",
                extra={"ref_id": ref_id, "attempt": attempt + 1, "reason": reason},
            )
        return WebhookResult(False, reason)


def _link(answer: bytes) -> str:
    try:
        doc = json.loads(answer or b"{}")
    except ValueError:
        return ""
    if not isinstance(doc, dict):
        return ""
    return str(doc.get("link") or doc.get("reply") or "")
