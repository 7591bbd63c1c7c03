#!/usr/bin/env python3
"""Container health check: exit 0 when phigate's ops server answers /healthz with 200.

The URL is PHIGATE_HEALTHCHECK_URL (default http://127.0.0.1:9325/healthz, the shipped
metrics.listen) or the first argument. Give .../readyz instead to call the container healthy
only when it can take mail (policy loaded, stores and next hop reachable); the image checks
liveness, because a next hop that waits for phigate to be healthy would otherwise never start.
A tcp://HOST:PORT target only has to accept a connection (the portal, whose HTTPS certificate
the check cannot verify); compose's healthcheck names it without any quoting, which
podman-compose 1.2 mangles. It is the standard library only, so it runs in any Python the image has.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import urllib.error
import urllib.request

HTTP_OK = 200
DEFAULT_URL = "http://127.0.0.1:9325/healthz"


def check(url: str, timeout: float = 5.0) -> str | None:
    """Return None when the endpoint at url answers 200, else why it does not."""
    if url.startswith("tcp://"):
        host, _, port = url.removeprefix("tcp://").rpartition(":")
        if not host or not port.isdigit():
            return f"expected tcp://HOST:PORT, got {url!r}"
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
        except OSError as exc:
            return f"{url}: {exc.__class__.__name__}: {exc}"
        return None
    if not url.startswith(("http://", "https://")):
        return f"expected an http:// URL, got {url!r}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as reply:  # noqa: S310 - http(s) only
            code, body = reply.status, reply.read(4096)
    except urllib.error.HTTPError as exc:
        # /readyz answers 503 with a JSON body naming what is not ready: pass that on.
        detail = exc.read(4096).decode("utf-8", "replace").strip()
        return f"{url}: {exc.code} {detail}"
    except (OSError, ValueError) as exc:
        return f"{url}: {exc.__class__.__name__}: {exc}"
    if code != HTTP_OK:
        return f"{url}: answered {code}"
    try:
        json.loads(body)
    except ValueError:
        return f"{url}: answered 200 but not with phigate's JSON"
    return None


def main(argv: list[str]) -> int:
    """Check the configured URL and report a failure on standard error."""
    url = argv[1] if len(argv) > 1 else os.environ.get("PHIGATE_HEALTHCHECK_URL", DEFAULT_URL)
    problem = check(url)
    if problem is not None:
        print(f"unhealthy: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
