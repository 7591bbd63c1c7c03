"""The ops HTTP server: /metrics, /healthz (the process answers) and /readyz (it can take mail).

Ready means: the policy is loaded, every store the gateway writes answers, and the next hop
greets with 220. /readyz answers 503 with a JSON body naming each check that failed, so a
load balancer or Kubernetes takes the node out of rotation and an operator sees why. Liveness
is deliberately only "the process answers": a database or next hop that is down must not get
every node restarted at once.

Served on `metrics.listen` (bind 0.0.0.0 or [::] for probes from other hosts).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from gateway.app import shipped_path
from gateway.config import Settings, split_hostport
from gateway.storage.database import first_line, safe_url, sqlite_path

# Each check gives up after this long, so a probe (typically 5-10 s) always gets an answer.
CHECK_TIMEOUT_S = 2.0
OK = "ok"


@dataclass(frozen=True)
class PolicyVersion:
    """Which policy a node runs: the SHA-256 of the policy file's bytes, and when it loaded."""

    sha256: str
    loaded_at: datetime

    @classmethod
    def of(cls, settings: Settings) -> PolicyVersion:
        """Hash the configured policy file as it is now (call right after loading it)."""
        data = Path(shipped_path(settings.policy_file)).read_bytes()
        return cls(hashlib.sha256(data).hexdigest(), datetime.now(UTC))


class NodeState:
    """What this process knows about itself, shared between the serving code and the probes:
    its settings and the policy version it loaded (None until it has one)."""

    def __init__(self, settings: Settings) -> None:
        self._lock = threading.Lock()
        self._settings = settings
        self._policy: PolicyVersion | None = None
        self.started_at = datetime.now(UTC)

    @property
    def settings(self) -> Settings:
        """The settings now in force."""
        with self._lock:
            return self._settings

    @property
    def policy(self) -> PolicyVersion | None:
        """The loaded policy's version, or None."""
        with self._lock:
            return self._policy

    def loaded(self, settings: Settings, policy: PolicyVersion) -> None:
        """Record a (re)load that succeeded."""
        with self._lock:
            self._settings, self._policy = settings, policy


def store_targets(settings: Settings) -> list[tuple[str, str]]:
    """(setting, URL) of each store the gateway uses with these settings."""
    out = [
        ("audit.url", settings.audit.url),
        ("quarantine.url", settings.quarantine.url),
        ("patients.url", settings.patients.url),
    ]
    if settings.portal.enabled:
        out.append(("portal.store_url", settings.portal.store_url))
    return out


def check_store(url: str) -> str:
    """OK, or why the database at `url` cannot be used now."""
    path = sqlite_path(url)
    if path is not None:
        # A store's file appears on its first write; until then its folder must take it.
        where = path if path.exists() else path.parent
        return OK if os.access(where, os.W_OK) else f"{where} is not writable or does not exist"
    engine = sa.create_engine(url, connect_args={"connect_timeout": int(CHECK_TIMEOUT_S)})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        return f"{safe_url(url)}: {first_line(exc)}"
    finally:
        engine.dispose()
    return OK


def check_next_hop(hostport: str) -> str:
    """OK when the next hop accepts a connection and greets with 220 (then QUIT)."""
    host, port = split_hostport(hostport)
    try:
        with socket.create_connection((host, port), timeout=CHECK_TIMEOUT_S) as sock:
            banner = sock.makefile("rb").readline(512).decode("ascii", "replace").strip()
            sock.sendall(b"QUIT\r\n")
    except OSError as exc:
        return f"{hostport}: {exc.strerror or type(exc).__name__}"
    if not banner.startswith("220"):
        return f"{hostport}: greeted with {banner[:80]!r}, not 220"
    return OK


class Health:
    """The readiness checks of one node."""

    def __init__(self, state: NodeState, extra: Callable[[], dict[str, str]] | None = None) -> None:
        self.state = state
        self._extra = extra

    def readiness(self) -> dict[str, str]:
        """Each check's name and "ok" or the reason it failed."""
        settings = self.state.settings
        policy = self.state.policy
        checks = {"policy": OK if policy is not None else "no policy loaded"}
        for setting, url in store_targets(settings):
            checks[setting] = check_store(url)
        checks["next_hop"] = check_next_hop(settings.next_hop)
        if self._extra is not None:
            checks.update(self._extra())
        return checks

    def ready_document(self) -> tuple[bool, dict[str, Any]]:
        """Whether the node is ready, and the JSON body /readyz answers with."""
        checks = self.readiness()
        failed = sorted(name for name, result in checks.items() if result != OK)
        policy = self.state.policy
        doc: dict[str, Any] = {
            "ready": not failed,
            "node": self.state.settings.node.id,
            "not_ready": failed,
            "checks": checks,
            "policy_sha256": policy.sha256 if policy else None,
        }
        return not failed, doc


MetricsRenderer = Callable[[], tuple[bytes, str]]


class _Handler(BaseHTTPRequestHandler):
    server: OpsHTTPServer

    def do_GET(self) -> None:  # noqa: N802 - the http.server hook's name
        """See BaseHTTPRequestHandler."""
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            body, kind = self.server.render_metrics()
            self._reply(200, body, kind)
        elif path == "/healthz":
            node = self.server.health.state.settings.node.id
            self._json(200, {"alive": True, "node": node, "pid": os.getpid()})
        elif path == "/readyz":
            ready, doc = self.server.health.ready_document()
            self._json(200 if ready else 503, doc)
        else:
            self._json(404, {"error": "not found", "paths": ["/metrics", "/healthz", "/readyz"]})

    def _json(self, code: int, doc: dict[str, Any]) -> None:
        self._reply(code, (json.dumps(doc, sort_keys=True) + "\n").encode(), "application/json")

    def _reply(self, code: int, body: bytes, kind: str) -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        """Probes every few seconds would flood the log; say nothing."""


class OpsHTTPServer(ThreadingHTTPServer):
    """The ops server: a thread per request, so a slow readiness check never blocks /metrics."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], render_metrics: MetricsRenderer, health: Health
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.render_metrics = render_metrics
        self.health = health
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind; "[::]" serves both IPv6 and IPv4 clients."""
        if self.address_family == socket.AF_INET6:
            self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


def serve_ops(listen: str, render_metrics: MetricsRenderer, health: Health) -> OpsHTTPServer:
    """Serve /metrics, /healthz and /readyz on `listen` in a daemon thread."""
    host, port = split_hostport(listen)
    server = OpsHTTPServer((host, port), render_metrics, health)
    threading.Thread(target=server.serve_forever, name="phigate-ops-http", daemon=True).start()
    return server
