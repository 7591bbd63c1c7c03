"""Who may connect, relay and log in: client addresses, per-client limits and SMTP AUTH.

The credential file has one `user:hash` per line; hashes are argon2 ($argon2id$...) or
bcrypt ($2b$...). `phigate passwd USER` prints such a line. Password checks are slow on
purpose, so the SMTP side runs them in threads and throttles guessing (`AuthThrottle`);
`ClientLimiter` bounds sessions and connection rates per client address.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bcrypt
import structlog
from aiosmtpd.smtp import AuthResult, LoginPassword
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gateway.config import LimitSettings
from gateway.model import ConfigError

log = structlog.get_logger("phigate.auth")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Clock = Callable[[], float]
# Past this many tracked addresses, stale ones are swept (bounds memory under a spray).
_SWEEP_AT = 10_000
_hasher = PasswordHasher()
# Verifying against this keeps the time of a failed login the same for unknown users.
_DUMMY_HASH = _hasher.hash("phigate-dummy-password")


def hash_password(password: str) -> str:
    """An argon2id hash for the credential file."""
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Check a password against an argon2 or bcrypt hash."""
    if stored.startswith("$argon2"):
        try:
            return _hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
    if stored.startswith(("$2a$", "$2b$", "$2y$")):
        try:
            return bcrypt.checkpw(password.encode("utf-8"), stored.encode("ascii"))
        except ValueError:
            return False
    return False


class CredentialStore:
    """Users and their password hashes, read from a file."""

    def __init__(self, users: dict[str, str]) -> None:
        self._users = users

    @classmethod
    def load(cls, path: Path) -> CredentialStore:
        """Read `user:hash` lines; a bad line is an error naming the file and line."""
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read credentials: {exc}") from None
        users: dict[str, str] = {}
        for n, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            user, sep, stored = line.partition(":")
            if not sep or not user or not stored.startswith(("$argon2", "$2a$", "$2b$", "$2y$")):
                raise ConfigError(f"{path}:{n}: expected user:argon2-or-bcrypt-hash")
            if user in users:
                raise ConfigError(f"{path}:{n}: user {user!r} appears twice")
            users[user] = stored
        return cls(users)

    def check(self, user: str, password: str) -> bool:
        """True when the user exists and the password matches."""
        stored = self._users.get(user)
        if stored is None:
            verify_password(_DUMMY_HASH, password)
            return False
        return verify_password(stored, password)

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        """aiosmtpd authenticator: PLAIN and LOGIN only."""
        if mechanism not in ("PLAIN", "LOGIN") or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user = auth_data.login.decode("utf-8", "replace")
        ok = self.check(user, auth_data.password.decode("utf-8", "replace"))
        if not ok:
            log.warning("auth.failed", mechanism=mechanism)
        return AuthResult(success=ok, handled=False, auth_data=auth_data)


def client_ip(peer: object) -> IPAddress | None:
    """The client's address from a peername; an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`,
    what a dual-stack `[::]` listener sees for IPv4 clients) comes back as plain IPv4."""
    host = peer[0] if isinstance(peer, tuple) and peer else peer
    if not isinstance(host, str):
        return None
    return _host_ip(host)


@functools.lru_cache(maxsize=4096)
def _host_ip(host: str) -> IPAddress | None:
    # Asked for the same few client addresses at connect, MAIL, each RCPT and DATA; address
    # objects are immutable, so a parse is kept rather than done again (about 3 us each).
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def in_networks(ip: IPAddress | None, networks: Iterable[IPNetwork]) -> bool:
    """Whether a client address lies in any of the networks (IPv4-mapped counts as IPv4)."""
    if ip is None:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == net.version and ip in net for net in networks)


def client_key(ip: IPAddress | None) -> str:
    """What per-client limits count by: an IPv4 address, or an IPv6 client's /64."""
    if ip is None:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address) and not ip.is_loopback:
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class ClientLimiter:
    """Concurrent sessions and connection rate per client, as Postfix's anvil counts them."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._sessions: dict[str, int] = {}
        self._recent: dict[str, deque[float]] = {}

    def admit(self, key: str, *, max_sessions: int, per_minute: int) -> str | None:
        """Count a connection attempt; None if it may go on (then `release` it), else why not."""
        now = self._clock()
        recent = self._recent.setdefault(key, deque())
        while recent and now - recent[0] >= 60.0:
            recent.popleft()
        recent.append(now)
        if len(self._recent) > _SWEEP_AT:
            self._sweep(now)
        if per_minute and len(recent) > per_minute:
            return "connection rate"
        if self._sessions.get(key, 0) >= max_sessions:
            return "concurrent sessions"
        self._sessions[key] = self._sessions.get(key, 0) + 1
        return None

    def release(self, key: str) -> None:
        """A session admitted by `admit` has ended."""
        left = self._sessions.get(key, 0) - 1
        if left > 0:
            self._sessions[key] = left
        else:
            self._sessions.pop(key, None)

    def sessions(self, key: str) -> int:
        """Sessions open now from one client."""
        return self._sessions.get(key, 0)

    def _sweep(self, now: float) -> None:
        for key in [k for k, q in self._recent.items() if not q or now - q[-1] >= 60.0]:
            del self._recent[key]


@dataclass(frozen=True)
class Admitted:
    """A session the doorman let in: what to give back when it ends."""

    key: str
    stranger: bool


class Doorman:
    """Admits SMTP sessions: per-client sessions and connection rate, and the strangers' share.

    Strangers (clients outside the trusted networks) together can never take every slot from
    the practice's own mail server.
    """

    def __init__(self) -> None:
        self.limiter = ClientLimiter()
        self.strangers = 0

    def admit(self, ip: IPAddress | None, trusted: bool, limits: LimitSettings) -> Admitted | str:
        """Let a new session in (give it back with `leave`), or say which limit refuses it."""
        key = client_key(ip)
        refusal = self.limiter.admit(
            key,
            max_sessions=(
                limits.trusted_sessions_per_client if trusted else limits.sessions_per_client
            ),
            per_minute=(
                limits.trusted_connections_per_minute if trusted else limits.connections_per_minute
            ),
        )
        if refusal is not None:
            return refusal
        if not trusted:
            if self.strangers >= limits.stranger_sessions:
                self.limiter.release(key)
                return "stranger sessions"
            self.strangers += 1
        return Admitted(key, stranger=not trusted)

    def leave(self, admitted: Admitted) -> None:
        """An admitted session has ended."""
        self.limiter.release(admitted.key)
        if admitted.stranger:
            self.strangers -= 1


class AuthThrottle:
    """Failed logins per client address: slower replies, then a temporary lock-out."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._locked: dict[str, float] = {}

    def failed(self, key: str, *, window: float, lockout_after: int, lockout: float) -> int:
        """Record a failure; return the failures within the window (locking out past the limit)."""
        now = self._clock()
        seen = self._failures.setdefault(key, deque())
        while seen and now - seen[0] >= window:
            seen.popleft()
        seen.append(now)
        if len(seen) >= lockout_after and lockout > 0:
            self._locked[key] = now + lockout
        if len(self._failures) > _SWEEP_AT:
            for k in [k for k, q in self._failures.items() if not q or now - q[-1] >= window]:
                del self._failures[k]
        return len(seen)

    def delay(self, failures: int, *, after: int, base: float, cap: float) -> float:
        """How long to hold the reply to a failed login, given the address's recent failures."""
        if failures < after or base <= 0:
            return 0.0
        return float(min(cap, base * 2 ** (failures - after)))

    def locked(self, key: str) -> bool:
        """Whether logins from this address are refused for now."""
        until = self._locked.get(key)
        if until is None:
            return False
        if self._clock() >= until:
            del self._locked[key]
            self._failures.pop(key, None)
            return False
        return True


class AuthBusy(Exception):
    """Too many password checks are waiting already."""


class LoginGuard:
    """Password checks in threads, and guessing slowed, capped and locked out per address.

    It outlives reloads (the SMTP handler keeps it), so the limits are passed in on each call.
    """

    def __init__(self, threads: int) -> None:
        self.throttle = AuthThrottle()
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="phigate-auth")
        self._waiting = 0

    def locked(self, key: str) -> bool:
        """Whether logins from this address are refused for now."""
        return self.throttle.locked(key)

    async def check(
        self, store: CredentialStore, user: str, password: str, limits: LimitSettings
    ) -> bool:
        """Check a password in a thread; raise AuthBusy when too many checks wait already."""
        if self._waiting >= limits.auth_queue:
            raise AuthBusy()
        self._waiting += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._pool, store.check, user, password)
        finally:
            self._waiting -= 1

    def failed(self, key: str, limits: LimitSettings) -> int:
        """Count a failed login from this address; return its failures within the window."""
        return self.throttle.failed(
            key,
            window=limits.auth_window,
            lockout_after=limits.auth_failures_before_lockout,
            lockout=limits.auth_lockout,
        )

    async def hold(self, failures: int, limits: LimitSettings) -> None:
        """Hold the reply to a failed login as long as the address's failures have earned."""
        delay = self.throttle.delay(
            failures,
            after=limits.auth_failures_before_delay,
            base=limits.auth_base_delay,
            cap=limits.auth_max_delay,
        )
        if delay:
            await asyncio.sleep(delay)

    def enough(self, key: str, session_failures: int, limits: LimitSettings) -> bool:
        """Whether the session should be closed after this many failed logins."""
        return session_failures >= limits.auth_failures_per_session or self.locked(key)

    def close(self) -> None:
        """Stop the password-check threads."""
        self._pool.shutdown(wait=False, cancel_futures=True)


def loggable_user(user: str) -> str:
    """A login name as a log line may carry it: printable, bounded (a workforce login is not PHI,
    but what a guesser types need not be a login)."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in user)
    return cleaned[:64]
