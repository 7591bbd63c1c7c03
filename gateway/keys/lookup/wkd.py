"""OpenPGP Web Key Directory (draft-koch-openpgp-webkey-service): the recipient's domain
publishes its users' keys over HTTPS.

Advanced method first: https://openpgpkey.DOMAIN/.well-known/openpgpkey/DOMAIN/hu/HASH?l=LOCAL;
when that host does not exist (no address, refused connection) the direct method:
https://DOMAIN/.well-known/openpgpkey/hu/HASH?l=LOCAL. HASH is the z-base-32 encoded SHA-1 of
the lower-cased local part. Certificates are always verified (the configured CA bundle or the
system's); a TLS failure, a server error or a timeout is LookupFailed, never "no key". Only a
404 from the method in use means "not published here". Redirects are not followed.
"""

from __future__ import annotations

import hashlib
import http.client
import socket
import ssl
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import quote

from gateway.keys.lookup.base import Candidate, LookupFailed, LookupTimeout

_ZBASE32 = "ybndrfg8ejkmcpqxot1uwisza345h769"
#: A published key larger than this is refused (a key with a few subkeys is a few KiB).
MAX_KEY_BYTES = 512 * 1024


def zbase32(data: bytes) -> str:
    """z-base-32 (RFC 6189 5.1.6) of `data`, as WKD hashes local parts."""
    bits = int.from_bytes(data, "big")
    count = len(data) * 8
    pad = (5 - count % 5) % 5
    bits <<= pad
    count += pad
    return "".join(_ZBASE32[(bits >> (count - 5 * (i + 1))) & 31] for i in range(count // 5))


def wkd_urls(address: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """(host, path) of the advanced and the direct method for `address`."""
    local, _, domain = address.strip().rpartition("@")
    if not local or not domain:
        raise ValueError(f"not an e-mail address: {address!r}")
    domain = domain.lower()
    digest = zbase32(hashlib.sha1(local.lower().encode("utf-8")).digest())
    query = "?l=" + quote(local, safe="")
    return (
        (f"openpgpkey.{domain}", f"/.well-known/openpgpkey/{domain}/hu/{digest}{query}"),
        (domain, f"/.well-known/openpgpkey/hu/{digest}{query}"),
    )


class _Connection(http.client.HTTPSConnection):
    """HTTPS to `host` (SNI and certificate checked for it), connecting to `connect_to` if set."""

    def __init__(
        self, host: str, port: int, *, context: ssl.SSLContext, timeout: float, connect_to: str
    ) -> None:
        super().__init__(host, port, context=context, timeout=timeout)
        self._connect_to = connect_to
        self._tls = context

    def connect(self) -> None:
        sock = socket.create_connection((self._connect_to or self.host, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


class _HostMissing(Exception):
    """The host of the advanced method does not exist or takes no connections."""


class WkdSource:
    """OpenPGP keys from the recipient domain's Web Key Directory. See KeySource."""

    name = "wkd"
    kinds = frozenset({"pgp"})

    def __init__(
        self,
        *,
        ca_file: Path | None = None,
        port: int = 443,
        resolve: Mapping[str, str] | None = None,
    ) -> None:
        self.port = port
        self.resolve = {k.lower(): v for k, v in (resolve or {}).items()}
        self._context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)

    def find(self, address: str, *, timeout: float) -> Sequence[Candidate]:
        """See KeySource."""
        advanced, direct = wkd_urls(address)
        try:
            found = self._get(*advanced, timeout=timeout)
        except _HostMissing:
            found = None
            try:
                found = self._get(*direct, timeout=timeout)
            except _HostMissing as exc:
                raise LookupFailed(self.name, f"no WKD server for the domain ({exc})") from exc
            where = direct
        else:
            where = advanced
        if found is None:
            return []
        url = f"https://{where[0]}{where[1].split('?', 1)[0]}"
        return [Candidate("pgp", found, self.name, url)]

    def _get(self, host: str, path: str, *, timeout: float) -> bytes | None:
        """The body of a 200 answer, None for 404; LookupFailed for anything else."""
        conn = _Connection(
            host,
            self.port,
            context=self._context,
            timeout=timeout,
            connect_to=self.resolve.get(host.lower(), ""),
        )
        try:
            try:
                conn.connect()
            except socket.gaierror as exc:
                raise _HostMissing(f"{host}: no address") from exc
            except ConnectionRefusedError as exc:
                raise _HostMissing(f"{host}: connection refused") from exc
            conn.request("GET", path, headers={"User-Agent": "phigate", "Accept": "*/*"})
            resp = conn.getresponse()
            if resp.status == 404:
                return None
            if resp.status != 200:
                raise LookupFailed(self.name, f"{host} answered HTTP {resp.status}")
            body = resp.read(MAX_KEY_BYTES + 1)
            if len(body) > MAX_KEY_BYTES:
                raise LookupFailed(self.name, f"{host} sent more than {MAX_KEY_BYTES} bytes")
            if not body:
                raise LookupFailed(self.name, f"{host} sent an empty key")
            return body
        except TimeoutError as exc:
            raise LookupTimeout(self.name, f"{host} did not answer within {timeout:g}s") from exc
        except ssl.SSLError as exc:
            raise LookupFailed(self.name, f"{host}: TLS failed ({exc.reason or exc})") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise LookupFailed(self.name, f"{host}: {type(exc).__name__}: {exc}") from exc
        finally:
            conn.close()
