"""Running the gateway: one worker in-process, or N workers on one port with SO_REUSEPORT.

SIGTERM drains (no new transactions; in-flight ones finish), SIGHUP reloads the config and keeps
the old one if the new one is invalid.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import ipaddress
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from gateway import detectfork
from gateway.app import Gateway, check_policy, shipped_path
from gateway.audit import AuditLog
from gateway.config import Settings, load_settings, split_hostport
from gateway.crypto.pgp import PgpKeyring
from gateway.keys import CertStore
from gateway.model import ConfigError, PhigateError
from gateway.ops.health import Health, NodeState, PolicyVersion, serve_ops
from gateway.ops.logs import configure
from gateway.ops.metrics import Metrics, renderer
from gateway.portal import PortalStore
from gateway.quarantine import QuarantineStore
from gateway.services import smime_warnings
from gateway.smtp.front import GatewayHandler, protocol_factory
from gateway.storage.stores import check_stores

log = structlog.get_logger("phigate.server")

SettingsLoader = Callable[[], Settings]


class ConfigLoader:
    """Reads the config file again and applies the same flag overrides; knows the file."""

    def __init__(self, config: Path | None, overrides: Mapping[str, Any]) -> None:
        self.config = config
        self.overrides = dict(overrides)

    def __call__(self) -> Settings:
        return load_settings(self.config, self.overrides)


def make_loader(config: Path | None, overrides: Mapping[str, Any]) -> SettingsLoader:
    """A function that reads the config file again and applies the same flag overrides."""
    return ConfigLoader(config, overrides)


def _mtime(path: Path | None) -> float | None:
    if path is None:
        return None
    try:
        return path.stat().st_mtime
    except OSError:
        return None


class StartupError(Exception):
    """The gateway cannot start; the message names the real cause (file, URL or address)."""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - an unparsable URL is shown without its credentials part
        return url.split("@", 1)[-1]


def check_audit(settings: Settings) -> None:
    """Open and close the audit log once, so a bad path or URL stops the start naming it."""

    a = settings.audit
    try:
        AuditLog(a.url, a.key_file, a.anchor_file, node_id=settings.node.id).close()
    except Exception as exc:  # noqa: BLE001 - any failure here is reported, by type and cause
        raise StartupError(
            f"cannot open the audit log {_safe_url(a.url)} (key file {a.key_file}): {_reason(exc)}"
        ) from None


def bind_listener(listen: str, reuse_port: bool) -> socket.socket:
    """`listening_socket`, with a failure that names the SMTP address."""
    try:
        return listening_socket(listen, reuse_port)
    except OSError as exc:
        raise StartupError(f"cannot listen on {listen}: {exc.strerror or exc}") from None


def serve_metrics(listen: str, health: Health, registry: Any | None = None) -> None:
    """Serve /metrics, /healthz and /readyz, with a failure that names the address."""

    try:
        serve_ops(listen, renderer(registry), health)
    except OSError as exc:
        raise StartupError(
            f"cannot serve metrics on {listen} (metrics.listen): {exc.strerror or exc}"
        ) from None


WATCH_SECONDS = 2.0
HOUSEKEEPING_SECONDS = 3600.0


def listening_socket(listen: str, reuse_port: bool) -> socket.socket:
    """Bind the listening socket; with reuse_port several workers share one port."""
    host, port = split_hostport(listen)
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, _type, _proto, _name, addr = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family == socket.AF_INET6 and ipaddress.ip_address(addr[0]).is_unspecified:
        # "[::]" means both stacks, whatever the host's bindv6only default; IPv4 clients then
        # arrive as ::ffff:a.b.c.d, which access control and the limits read as IPv4.
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(addr)
    sock.listen(512)
    sock.setblocking(False)
    return sock


class Worker:
    """One event loop serving SMTP with one Gateway."""

    def __init__(self, loader: SettingsLoader, settings: Settings, *, serve_metrics: bool) -> None:
        self.loader = loader
        self.settings = settings
        self.serve_metrics = serve_metrics
        self.stopping = asyncio.Event()
        self.state = NodeState(settings)

    async def run(self, sock: socket.socket | None = None) -> int:
        """Serve until SIGTERM/SIGINT, then drain."""

        loop = asyncio.get_running_loop()
        metrics = Metrics(node=self.settings.node.id)
        try:
            gateway = Gateway(self.settings, metrics=metrics)
            self.state.loaded(self.settings, PolicyVersion.of(self.settings))
        except OSError as exc:
            raise StartupError(f"cannot start: {_reason(exc)}") from None
        handler = GatewayHandler(gateway)
        if self.serve_metrics and self.settings.metrics.listen:
            serve_metrics(self.settings.metrics.listen, Health(self.state), metrics.registry)

        factory = protocol_factory(handler, loop)

        if sock is None:
            sock = bind_listener(self.settings.listen, reuse_port=self.settings.workers > 1)
        server = await loop.create_server(factory, sock=sock)
        settle_heap()
        log.info(
            "serving",
            listen=self.settings.listen,
            next_hop=self.settings.next_hop,
            pid=os.getpid(),
            outbox=str(self.settings.delivery.outbox) if self.settings.delivery.outbox else None,
        )

        def reload() -> None:
            try:
                fresh = self.loader()
                if fresh.listen != handler.gateway.settings.listen:
                    log.warning(
                        "reload.listen_unchanged", reason="the listen address needs a restart"
                    )
                keep_audit = fresh.audit == handler.gateway.settings.audit
                new = Gateway(
                    fresh, metrics=metrics, audit=handler.gateway.audit if keep_audit else None
                )
                self.state.loaded(fresh, PolicyVersion.of(fresh))
            except (PhigateError, OSError, ValueError) as exc:
                metrics.error("reload")
                log.error("reload.rejected", reason=str(exc), kept="the previous configuration")
                return
            old, handler.gateway = handler.gateway, new
            task = loop.create_task(_retire(old, close_audit=not keep_audit))
            handler.background.add(task)
            task.add_done_callback(handler.background.discard)
            # The old components were frozen with the rest at start-up: once they are closed
            # and dropped, their garbage cycles are collectable only after an unfreeze.
            task.add_done_callback(lambda _task: resettle_heap())
            log.info("reload.applied")

        loop.add_signal_handler(signal.SIGHUP, reload)
        watcher = loop.create_task(self._watch(handler, reload))
        housekeeping = loop.create_task(self._housekeeping(handler, metrics))
        heartbeat = loop.create_task(self._heartbeat(handler, metrics))
        loop.add_signal_handler(signal.SIGTERM, self.stopping.set)
        loop.add_signal_handler(signal.SIGINT, self.stopping.set)
        await self.stopping.wait()

        log.info("draining", sessions=len(handler.sessions))
        watcher.cancel()
        housekeeping.cancel()
        heartbeat.cancel()
        server.close()
        for session in list(handler.sessions):
            session.drain()
        deadline = time.monotonic() + handler.gateway.settings.drain_timeout
        while handler.sessions and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for session in list(handler.sessions):
            session._close("421 4.3.2 Service shutting down, try again later")
        if handler.background:
            await asyncio.wait(handler.background, timeout=5)
        await handler.gateway.close()
        handler.gateway.close_audit()
        handler.close()
        log.info("stopped")
        return 0

    async def _watch(self, handler: Any, reload: Callable[[], None]) -> None:
        """Reload when the config or the policy file changes on disk (as SIGHUP does)."""

        config = getattr(self.loader, "config", None)

        def stamp() -> tuple[float | None, float | None]:
            policy = shipped_path(handler.gateway.settings.policy_file)
            return _mtime(config), _mtime(policy)

        last = stamp()
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            now = stamp()
            if now != last:
                last = now
                log.info("reload.file_changed")
                reload()

    async def _heartbeat(self, handler: Any, metrics: Any) -> None:
        """Every node.heartbeat_seconds: write this node's row (policy version, pid, address)
        for `phigate status`; a failure is logged and counted, and mail goes on."""
        while True:
            gateway = handler.gateway
            policy = self.state.policy
            try:
                await asyncio.to_thread(
                    gateway.audit.heartbeat,
                    started_at=self.state.started_at,
                    policy_hash=policy.sha256 if policy else None,
                    policy_loaded_at=policy.loaded_at if policy else None,
                    pid=os.getpid(),
                    listen=gateway.settings.listen,
                )
            except (SQLAlchemyError, OSError) as exc:
                metrics.error("heartbeat")
                log.warning("heartbeat.failed", error_type=type(exc).__name__)
            await asyncio.sleep(gateway.settings.node.heartbeat_seconds)

    async def _housekeeping(self, handler: Any, metrics: Any) -> None:
        """Hourly: warn about keys and certificates that expire soon; purge expired quarantine."""
        while True:
            await asyncio.sleep(HOUSEKEEPING_SECONDS)
            try:
                await asyncio.to_thread(housekeeping, handler.gateway.settings, metrics)
            except (PhigateError, OSError) as exc:
                metrics.error("housekeeping")
                log.error("housekeeping.failed", error_type=type(exc).__name__)


def housekeeping(settings: Settings, metrics: Any, *, within_days: int = 30) -> dict[str, int]:
    """Count keys expiring within `within_days` (logged and exported); purge old quarantine
    entries and shred expired portal messages."""

    out: dict[str, int] = {}
    soon = datetime.now(UTC) + timedelta(days=within_days)
    if settings.smime.store_dir.exists():
        store = CertStore.from_settings(settings.smime)
        out["smime"] = sum(1 for e in store.entries() if e.not_after <= soon)
    if settings.pgp.home.exists():
        with PgpKeyring(settings.pgp.home) as ring:
            out["pgp"] = len(ring.expiring(timedelta(days=within_days)))
    for kind, n in out.items():
        metrics.keys_expiring(kind, n)
        if n:
            log.warning("keys.expiring", kind=kind, count=n, within_days=within_days)
    if settings.quarantine.master_key_file.exists():
        q = settings.quarantine
        store_q = QuarantineStore(q.url, q.master_key_file, retention_days=q.retention_days)
        out["quarantine_purged"] = store_q.purge_expired()
    if settings.portal.enabled and settings.portal.master_key_file.exists():
        portal = PortalStore(settings.portal.store_url, settings.portal.master_key_file)
        try:
            out["portal_expired"] = portal.expire_old(datetime.now(UTC))
        finally:
            portal.close()
    return out


async def _retire(gateway: Any, close_audit: bool) -> None:
    # Let in-flight messages finish on the old components before closing them.
    await asyncio.sleep(
        gateway.settings.drain_timeout if gateway.settings.drain_timeout < 60 else 60
    )
    await gateway.close()
    if close_audit:
        gateway.close_audit()


def settle_heap() -> None:
    """Collect what start-up left behind, then move every object still alive out of the cyclic
    collector's sight: they live as long as the worker, and each full collection walked all of
    them (about 150,000 objects, 80 ms with the event loop stopped, twice in 3,000 messages).
    Collections then walk what messages create. Collected first, so that no garbage cycle of
    start-up is frozen for good."""
    gc.collect()
    gc.freeze()


def resettle_heap() -> None:
    """`settle_heap` again after a reload retired the old components: frozen objects are never
    collected, so what the retired ones leave in cycles would stay for the worker's life (each
    reload's). Everything goes back in sight, is collected, and what lives is frozen anew."""
    gc.unfreeze()
    settle_heap()


def run_single(loader: SettingsLoader, settings: Settings) -> int:
    """Serve with one worker in this process."""
    return asyncio.run(Worker(loader, settings, serve_metrics=True).run())


def run_supervised(loader: SettingsLoader, settings: Settings) -> int:
    """Fork N workers sharing the port (SO_REUSEPORT); restart any that die; serve metrics."""
    metrics_dir = Path(tempfile.mkdtemp(prefix="phigate-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    # Bind once here to fail fast (address in use), and close it before forking: a listening
    # socket inherited by the children would join the SO_REUSEPORT group with nobody accepting.
    bind_listener(settings.listen, reuse_port=True).close()
    children: dict[int, int] = {}
    stopping = False
    # The supervisor answers the probes: it validates the policy the workers load (at start
    # and on SIGHUP) and knows whether any worker runs.
    state = NodeState(settings)
    check_policy(settings)
    state.loaded(settings, PolicyVersion.of(settings))

    # A fork server started early by `phigate serve` (gateway.cli.boot) serves no forked
    # worker: each starts its own.
    detectfork.stop()

    def workers_running() -> dict[str, str]:
        return {"workers": "ok" if children else "no worker process is running"}

    if settings.metrics.listen:
        # Before any worker exists, so none is orphaned if this fails.
        serve_metrics(settings.metrics.listen, Health(state, workers_running))

    def spawn(index: int) -> None:
        supervisor = os.getpid()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                _die_with_parent(supervisor)
                for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD):
                    signal.signal(sig, signal.SIG_DFL)
                if detectfork.wanted_for(settings):
                    # As `phigate serve` does for one worker (gateway.cli.boot): the fork
                    # server loads the engine beside this worker's own setup, not after it.
                    detectfork.start()
                sock = listening_socket(settings.listen, reuse_port=True)
                code = asyncio.run(Worker(loader, settings, serve_metrics=False).run(sock))
            except BaseException as exc:  # noqa: BLE001 - a worker must never return into the parent's code
                log.error("worker.crashed", index=index, error_type=type(exc).__name__)
            finally:
                os._exit(code)
        children[pid] = index
        log.info("worker.started", index=index, worker_pid=pid)

    def on_term(_sig: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            _kill(pid, signal.SIGTERM)

    def on_hup(_sig: int, _frame: Any) -> None:
        try:
            fresh = loader()
            check_policy(fresh)
            state.loaded(fresh, PolicyVersion.of(fresh))
        except (ConfigError, OSError, ValueError) as exc:
            log.error("reload.rejected", reason=str(exc), kept="the previous configuration")
            return
        for pid in list(children):
            _kill(pid, signal.SIGHUP)

    for i in range(settings.workers):
        spawn(i)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    signal.signal(signal.SIGHUP, on_hup)
    try:
        while children:
            try:
                pid, status = os.waitpid(-1, 0)
            except InterruptedError:
                continue
            except ChildProcessError:
                break
            index = children.pop(pid, None)
            if index is None:
                continue
            if not stopping:
                log.error("worker.died", index=index, worker_pid=pid, status=status)
                time.sleep(1)
                spawn(index)
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
    log.info("stopped")
    return 0


def _die_with_parent(supervisor: int) -> None:
    """Ask Linux to send this worker SIGTERM if the supervisor dies, so none is orphaned."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the supervisor's SIGTERM forwarding still applies
    if os.getppid() != supervisor:
        os._exit(1)  # the supervisor died before the request took effect


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass  # already gone


def run(config: Path | None, overrides: Mapping[str, Any]) -> int:
    """Load settings and serve; a bad config is an error message and exit code 2."""

    loader = make_loader(config, overrides)
    try:
        settings = loader()
    except ConfigError as exc:
        print(f"phigate: {exc}", file=sys.stderr)
        return 2
    configure(settings.logging.level, settings.logging.format, node=settings.node.id)
    try:
        # Before any worker starts: a worker that cannot open the audit log, or that holds a
        # signing certificate recipients would reject, would only die and respawn.
        check_audit(settings)
        check_stores(settings, connect=False)
        for warning in smime_warnings(settings):
            log.warning("smime.config", warning=warning)
        if settings.workers == 1:
            return run_single(loader, settings)
        return run_supervised(loader, settings)
    except (ConfigError, StartupError) as exc:
        print(f"phigate: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"phigate: cannot start: {_reason(exc)}", file=sys.stderr)
        return 2
