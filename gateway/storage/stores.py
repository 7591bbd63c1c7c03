"""Every store the gateway keeps: its database setting, its key files, and one check of them all.

`check_stores` runs before the gateway starts (and in `phigate config check`): a bad URL,
a malformed key file or (with `connect`) a PostgreSQL server that does not answer is one
ConfigError naming the setting, not a traceback or a respawn loop.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from gateway.audit.errors import AuditKeyError
from gateway.audit.keys import AUDIT_KEY
from gateway.model import ConfigError, PhigateError
from gateway.patients.keys import ROSTER_KEY
from gateway.quarantine.errors import QuarantineKeyError
from gateway.quarantine.keys import QUARANTINE_MASTER_KEY
from gateway.storage.database import checked_url, first_line, make_engine, safe_url
from gateway.storage.keyfiles import KeyKind

# The portal's master key file follows the quarantine's rules (its items are sealed the
# same way), its hash key file the audit key's; the errors keep those stores' types but
# say "portal". They live here, not in the portal package, so that checking them does not
# load the web application.
PORTAL_MASTER_KEY = KeyKind(
    name="portal master key", id_prefix="q", error=QuarantineKeyError, exact_length=True
)
PORTAL_HASH_KEY = KeyKind(name="portal hash key", id_prefix="k", error=AuditKeyError)


def portal_hash_key_path(master_key_file: Path) -> Path:
    """The portal hash key file's default place: beside the master key, `-hash` after its stem."""
    return master_key_file.with_name(f"{master_key_file.stem}-hash{master_key_file.suffix}")


def store_urls(settings: Any) -> list[tuple[str, str]]:
    """(setting, URL) of every database the gateway may open."""
    return [
        ("audit.url", settings.audit.url),
        ("quarantine.url", settings.quarantine.url),
        ("portal.store_url", settings.portal.store_url),
        ("patients.url", settings.patients.url),
    ]


def check_key_files(settings: Any) -> None:
    """Parse every configured key file that exists; ConfigError naming the setting if bad.

    Missing files are fine: the stores create them on first use.
    """
    portal_key = Path(settings.portal.master_key_file)
    kinds: list[tuple[str, Path, KeyKind]] = [
        ("audit.key_file", Path(settings.audit.key_file), AUDIT_KEY),
        ("quarantine.master_key_file", Path(settings.quarantine.master_key_file),
         QUARANTINE_MASTER_KEY),
        ("portal.master_key_file", portal_key, PORTAL_MASTER_KEY),
        ("portal.master_key_file", portal_hash_key_path(portal_key), PORTAL_HASH_KEY),
    ]  # fmt: skip
    for setting, path, kind in kinds:
        if not path.exists():
            continue
        try:
            kind.parse(path.read_bytes(), path)
        except OSError as exc:
            raise ConfigError(f"{setting}: cannot read {path}: {exc.strerror}") from None
        except PhigateError as exc:
            raise ConfigError(f"{setting}: {exc}") from None
    roster = Path(settings.patients.key_file)
    if roster.exists():
        # A key ring since keys rotate (gateway.patients.keys); one hex line is a ring of one.
        try:
            ROSTER_KEY.parse(roster.read_bytes(), roster)
        except OSError as exc:
            raise ConfigError(
                f"patients.key_file: roster key file {roster} is unreadable: {exc.strerror}"
            ) from None
        except PhigateError as exc:
            raise ConfigError(f"patients.key_file: {exc}") from None


def check_stores(settings: Any, *, connect: bool) -> None:
    """Check every store setting: URL schemes, key files and (with `connect`) that each
    PostgreSQL server answers. The first problem raises ConfigError naming the setting."""
    for setting, url in store_urls(settings):
        parsed = checked_url(url, setting)
        if not connect or parsed.get_backend_name() == "sqlite":
            continue
        engine = make_engine(url, setting=setting)
        try:
            with engine.connect():
                pass
        except sa.exc.SQLAlchemyError as exc:
            raise ConfigError(
                f"{setting} {safe_url(url)}: cannot connect: {first_line(exc)}"
            ) from None
        finally:
            engine.dispose()
    check_key_files(settings)
