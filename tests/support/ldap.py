"""A throw-away OpenLDAP `slapd` on loopback (no root, no system service) for directory tests.

`running_slapd(folder)` writes a slapd.conf (core, cosine and inetOrgPerson schemas, one mdb
database under `dc=example,dc=org`), starts `slapd -h ldap://127.0.0.1:PORT/ -f slapd.conf` in
the foreground and stops it by its process id afterwards. Entries go in over LDAP as the
directory's root DN (`Slapd.add_person`).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import ldap3

from tests.support.gateway import free_port

SLAPD = "/usr/sbin/slapd"
SCHEMAS = Path("/etc/ldap/schema")
MODULES = Path("/usr/lib/ldap")
BASE_DN = "dc=example,dc=org"
ADMIN_DN = f"cn=admin,{BASE_DN}"
ADMIN_PASSWORD = "directory-test-only"


def slapd_available() -> bool:
    """Whether slapd and its schemas are installed (scripts/system-deps.sh installs them)."""
    return Path(SLAPD).exists() and (SCHEMAS / "inetorgperson.schema").exists()


@dataclass(frozen=True)
class SlapdTls:
    """The server certificate, its key, and the CA that issued it (PEM files)."""

    cert_file: Path
    key_file: Path
    ca_file: Path


@dataclass
class Slapd:
    """A running directory: where it listens and how to add entries."""

    port: int
    process: subprocess.Popen[bytes]
    #: The ldaps:// port when started with TLS.
    tls_port: int | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    def _admin(self) -> ldap3.Connection:
        server = ldap3.Server("127.0.0.1", port=self.port, get_info=ldap3.NONE)
        return ldap3.Connection(server, ADMIN_DN, ADMIN_PASSWORD, auto_bind=True)

    def add_person(
        self,
        uid: str,
        mail: str,
        *,
        certificates: list[bytes] = (),  # type: ignore[assignment]
        attribute: str = "userCertificate;binary",
        ou: str = "people",
    ) -> str:
        """Add an inetOrgPerson with `mail` and DER certificates in `attribute`; its DN."""
        dn = f"uid={uid},ou={ou},{BASE_DN}"
        attrs: dict[str, object] = {"cn": uid, "sn": uid, "uid": uid, "mail": mail}
        if certificates:
            attrs[attribute] = list(certificates)
        with self._admin() as conn:
            if not conn.add(dn, ["inetOrgPerson"], attrs):
                raise AssertionError(f"ldap add {dn}: {conn.result}")
        return dn


def _write_config(folder: Path, tls: SlapdTls | None = None) -> Path:
    db = folder / "db"
    db.mkdir(parents=True, exist_ok=True)
    conf = folder / "slapd.conf"
    conf.write_text(
        "\n".join(
            [
                f"include {SCHEMAS / 'core.schema'}",
                f"include {SCHEMAS / 'cosine.schema'}",
                f"include {SCHEMAS / 'inetorgperson.schema'}",
                f"modulepath {MODULES}",
                "moduleload back_mdb",
                f"pidfile {folder / 'slapd.pid'}",
                f"argsfile {folder / 'slapd.args'}",
                *(
                    [
                        f"TLSCACertificateFile {tls.ca_file}",
                        f"TLSCertificateFile {tls.cert_file}",
                        f"TLSCertificateKeyFile {tls.key_file}",
                    ]
                    if tls is not None
                    else []
                ),
                "database mdb",
                "maxsize 16777216",
                f'suffix "{BASE_DN}"',
                f'rootdn "{ADMIN_DN}"',
                f"rootpw {ADMIN_PASSWORD}",
                f"directory {db}",
                "access to * by * read",
                "",
            ]
        )
    )
    return conf


def _wait_listening(port: int, process: subprocess.Popen[bytes], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.stderr.read().decode(errors="replace") if process.stderr else ""
            raise AssertionError(f"slapd exited with {process.returncode}: {err[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"slapd did not listen on port {port}")


@contextmanager
def running_slapd(folder: Path, tls: SlapdTls | None = None) -> Iterator[Slapd]:
    """Start slapd on a free loopback port with the base and `ou=people` in place; stop it after.

    With `tls`, StartTLS is offered on that port and ldaps:// listens on a second one.
    """
    conf = _write_config(folder, tls)
    port = free_port()
    tls_port = free_port() if tls is not None else None
    urls = f"ldap://127.0.0.1:{port}/" + (f" ldaps://127.0.0.1:{tls_port}/" if tls_port else "")
    process = subprocess.Popen(  # noqa: S603 - fixed argv
        [SLAPD, "-h", urls, "-f", str(conf), "-d", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_listening(port, process)
        if tls_port is not None:
            _wait_listening(tls_port, process)
        slapd = Slapd(port, process, tls_port)
        with slapd._admin() as conn:
            conn.add(BASE_DN, ["dcObject", "organization"], {"dc": "example", "o": "Example"})
            conn.add(f"ou=people,{BASE_DN}", ["organizationalUnit"], {"ou": "people"})
        yield slapd
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        shutil.rmtree(folder / "db", ignore_errors=True)


@contextmanager
def silent_server() -> Iterator[int]:
    """A loopback port that accepts TCP connections and never answers (a hung directory)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()
