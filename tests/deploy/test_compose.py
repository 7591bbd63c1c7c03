"""deploy/compose: Postfix + phigate + portal + PostgreSQL, wired to each other, with no secret inline."""

from __future__ import annotations

import ipaddress
import os
import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from gateway.config import load_settings
from tests.support.deploy import DEPLOY, REPO_ROOT, config_check
from tests.support.postfix import (
    POSTCONF,
    parse_main_cf,
    parse_master_cf,
    snippet_entry,
)

COMPOSE_DIR = DEPLOY / "compose"
COMPOSE = COMPOSE_DIR / "compose.yaml"
PHIGATE_CONFIG = COMPOSE_DIR / "phigate.yaml"
PHIGATE_SERVICES = ("phigate", "portal")
SECRET_WORDS = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE|(^|_)KEY($|_)", re.IGNORECASE)

TEST_POSTGRES = "postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The parsed compose file."""
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def service(compose: dict[str, Any], name: str) -> dict[str, Any]:
    """One service's definition."""
    found = compose["services"][name]
    assert isinstance(found, dict)
    return found


def environment(definition: dict[str, Any]) -> dict[str, str]:
    """A service's environment as a mapping, whichever form the file uses."""
    env = definition.get("environment", {})
    if isinstance(env, list):
        return dict(item.partition("=")[::2] for item in env)
    return {key: str(value) for key, value in env.items()}


def fixed_address(definition: dict[str, Any], network: str) -> str:
    """The ipv4_address a service has on one network."""
    address = definition["networks"][network]["ipv4_address"]
    assert isinstance(address, str)
    return address


def test_the_four_services_start_with_one_command(compose: dict[str, Any]) -> None:
    """postgres, phigate, portal and postfix are defined, each from a pinned image or a build."""
    assert set(compose["services"]) == {"postgres", "phigate", "portal", "postfix"}
    for name, definition in compose["services"].items():
        image = definition.get("image")
        assert image, f"{name} names no image (compose would invent one)"
        assert ":" in image and not image.endswith(":latest"), f"{name}: {image}"
    assert service(compose, "phigate")["build"]["dockerfile"] == "deploy/container/Containerfile"
    # The portal runs the image phigate builds, with the portal sub-command.
    assert service(compose, "portal")["image"] == service(compose, "phigate")["image"]
    assert service(compose, "portal")["command"][0] == "portal"


def test_every_referenced_file_exists(compose: dict[str, Any]) -> None:
    """Build contexts, Containerfiles and bind-mounted files are in the repository."""
    for name, definition in compose["services"].items():
        build = definition.get("build")
        if build is not None:
            context = (COMPOSE_DIR / build["context"]).resolve()
            assert context.is_dir(), name
            assert (context / build["dockerfile"]).is_file(), name
        for volume in definition.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (COMPOSE_DIR / source).exists(), f"{name}: {source}"


def test_named_volumes_and_secrets_are_declared(compose: dict[str, Any]) -> None:
    """Every named volume and secret a service uses is declared at the top level."""
    for name, definition in compose["services"].items():
        for volume in definition.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith(("/", ".")):
                assert source in compose["volumes"], f"{name}: volume {source}"
        for secret in definition.get("secrets", []):
            assert secret in compose["secrets"], f"{name}: secret {secret}"
    # State survives a re-creation of the containers.
    assert {"pgdata", "phigate-state", "postfix-spool"} <= set(compose["volumes"])


def test_init_secrets_makes_every_secret_file(compose: dict[str, Any], tmp_path: Path) -> None:
    """init-secrets.sh writes each file the secrets section names, with a private directory."""
    secrets_dir = tmp_path / "secrets"
    result = subprocess.run(
        ["sh", str(COMPOSE_DIR / "init-secrets.sh"), "portal.test.example"],
        env={**os.environ, "PHIGATE_SECRETS_DIR": str(secrets_dir)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert secrets_dir.stat().st_mode & 0o777 == 0o700
    for name, secret in compose["secrets"].items():
        relative = Path(secret["file"])
        assert relative.parts[:2] == (".", "secrets") or relative.parts[0] == "secrets", name
        made = secrets_dir / relative.name
        assert made.is_file() and made.stat().st_size > 0, name
    assert (secrets_dir / "portal.key").stat().st_mode & 0o077 == 0
    assert len((secrets_dir / "db_password").read_text().strip()) >= 32
    # Running it again keeps what is there (a changed password would lock phigate out).
    before = (secrets_dir / "db_password").read_bytes()
    subprocess.run(
        ["sh", str(COMPOSE_DIR / "init-secrets.sh")],
        env={**os.environ, "PHIGATE_SECRETS_DIR": str(secrets_dir)},
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert (secrets_dir / "db_password").read_bytes() == before
    ignored = (COMPOSE_DIR / ".gitignore").read_text().split()
    assert "secrets/" in ignored


def test_no_secret_is_written_inline(compose: dict[str, Any]) -> None:
    """Secret-looking variables are *_FILE paths to a secret the service mounts; URLs hold no password."""
    for name, definition in compose["services"].items():
        mounted = set(definition.get("secrets", []))
        for key, value in environment(definition).items():
            if not SECRET_WORDS.search(key):
                continue
            assert key.endswith("_FILE"), f"{name}: {key} is given inline"
            assert value.startswith("/run/secrets/"), f"{name}: {key}={value}"
            assert value.removeprefix("/run/secrets/") in mounted, f"{name}: {key}={value}"
    text = COMPOSE.read_text(encoding="utf-8") + PHIGATE_CONFIG.read_text(encoding="utf-8")
    for url in re.findall(r"[a-z+]+://\S+", text):
        assert urlsplit(url).password is None, url


def test_phigate_stores_point_at_the_postgres_service(compose: dict[str, Any]) -> None:
    """Every store of phigate's config is the compose PostgreSQL, as the user the server creates."""
    settings = load_settings(PHIGATE_CONFIG)
    urls = {
        "audit.url": settings.audit.url,
        "quarantine.url": settings.quarantine.url,
        "patients.url": settings.patients.url,
        "portal.store_url": settings.portal.store_url,
    }
    postgres_env = environment(service(compose, "postgres"))
    for setting, url in urls.items():
        parts = urlsplit(url)
        assert parts.scheme == "postgresql+psycopg", setting
        assert parts.hostname == "postgres", setting
        assert parts.username == postgres_env["POSTGRES_USER"], setting
        assert parts.path.lstrip("/") == postgres_env["POSTGRES_DB"], setting
    # phigate and the portal reach the database over the backend network, and wait for it.
    for name in PHIGATE_SERVICES:
        assert "backend" in service(compose, name)["networks"], name
        assert environment(service(compose, name))["PHIGATE_DB_PASSWORD_FILE"]
    assert "postgres" in service(compose, "phigate")["depends_on"]


def test_phigate_config_passes_config_check_against_a_real_postgresql(tmp_path: Path) -> None:
    """With the host swapped for the test server, `phigate config check` connects to every store."""
    text = PHIGATE_CONFIG.read_text(encoding="utf-8")
    swapped = text.replace("phigate@postgres:5432/phigate", TEST_POSTGRES)
    assert swapped.count(TEST_POSTGRES) == 4
    swapped = swapped.replace("/var/lib/phigate/", f"{tmp_path}/")
    result = config_check(swapped, tmp_path)
    assert result.returncode == 0, result.stderr


def test_mail_path_is_wired_both_ways(compose: dict[str, Any]) -> None:
    """Postfix filters through phigate's address, phigate relays to Postfix's reinjection listener."""
    phigate_ip = fixed_address(service(compose, "phigate"), "mail")
    postfix_ip = fixed_address(service(compose, "postfix"), "mail")
    subnet = ipaddress.ip_network(compose["networks"]["mail"]["ipam"]["config"][0]["subnet"])
    assert ipaddress.ip_address(phigate_ip) in subnet
    assert ipaddress.ip_address(postfix_ip) in subnet
    assert compose["networks"]["mail"]["internal"] is True
    assert compose["networks"]["backend"]["internal"] is True

    settings = load_settings(PHIGATE_CONFIG)
    listen_port = settings.listen.rpartition(":")[2]
    main_cf = parse_main_cf((COMPOSE_DIR / "postfix" / "main.cf").read_text())
    assert main_cf["content_filter"] == f"phigate:[{phigate_ip}]:{listen_port}"
    next_host, _, next_port = settings.next_hop.rpartition(":")
    assert next_host == postfix_ip
    assert any(
        ipaddress.ip_address(postfix_ip) in ipaddress.ip_network(net)
        for net in settings.access.networks
    ), "phigate would refuse Postfix"

    entries = {
        e.service: e for e in parse_master_cf((COMPOSE_DIR / "postfix" / "master.cf").read_text())
    }
    reinject = entries[next_port]
    assert reinject.option("content_filter") == ""
    assert reinject.option("mynetworks") == f"{phigate_ip}/32"
    assert reinject.option("smtpd_authorized_xforward_hosts") == f"{phigate_ip}/32"
    # Apart from who is trusted, the entries are the shipped snippets (they must not drift).
    shipped_reinject = snippet_entry("after-queue", "127.0.0.1:10026")
    trust = {"mynetworks", "smtpd_authorized_xforward_hosts"}
    assert [o for o in reinject.options if o[0] not in trust] == [
        o for o in shipped_reinject.options if o[0] not in trust
    ]
    assert entries["phigate"].options == snippet_entry("after-queue", "phigate").options
    shipped_main = parse_main_cf((DEPLOY / "postfix" / "after-queue" / "main.cf").read_text())
    for key, value in shipped_main.items():
        if key != "content_filter":
            assert main_cf[key] == value, key


def test_postfix_accepts_the_compose_configuration(tmp_path: Path) -> None:
    """Real postconf reads the compose main.cf and master.cf without a warning."""
    if not POSTCONF.exists():
        pytest.fail("postconf is missing: install the Debian 'postfix' package (make test does)")
    base = subprocess.run(
        [str(POSTCONF), "-d", "-h", "config_directory"], capture_output=True, text=True, check=True
    )
    debian_master = Path(base.stdout.strip()) / "master.cf"
    (tmp_path / "main.cf").write_text((COMPOSE_DIR / "postfix" / "main.cf").read_text())
    (tmp_path / "master.cf").write_text(
        debian_master.read_text() + (COMPOSE_DIR / "postfix" / "master.cf").read_text()
    )
    result = subprocess.run(
        [str(POSTCONF), "-c", str(tmp_path), "-n"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    result = subprocess.run(
        [str(POSTCONF), "-c", str(tmp_path), "-M"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    assert "phigate" in result.stdout and "10026" in result.stdout


def test_phigate_and_portal_run_locked_down(compose: dict[str, Any]) -> None:
    """Read-only root, /tmp in memory, no capabilities, no privilege gain; the database is not published."""
    for name in PHIGATE_SERVICES:
        definition = service(compose, name)
        assert definition["read_only"] is True, name
        assert any(t.startswith("/tmp") for t in definition["tmpfs"]), name
        assert definition["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in definition["security_opt"], name
    # The image's HEALTHCHECK asks the gateway's /healthz; the portal has no ops server and
    # brings its own.
    assert "healthcheck" in service(compose, "portal")
    assert "ports" not in service(compose, "postgres")
    assert "ports" not in service(compose, "phigate")


def test_readme_names_the_files_it_uses() -> None:
    """The README's commands name files that exist."""
    readme = (COMPOSE_DIR / "README.md").read_text(encoding="utf-8")
    for path in re.findall(r"deploy/compose/[\w./-]+", readme):
        target = REPO_ROOT / path.rstrip(".")
        if target.name in {".env", "secrets"}:
            continue
        assert target.exists(), path
