"""The container image built and run for real (issue 13), with podman and no registry.

scripts/build-image.sh makes the base from a debootstrap'ed Debian bookworm and builds
deploy/container/Containerfile on it; the container then runs as the image says it should be run:
non-root, read-only root file system, state in a volume, every capability dropped. A real SMTP
session goes into it through a published port and comes out at a sink on the host.

Slow (the first build makes a Debian root file system and pip-installs spaCy: minutes), so
`make test` starts scripts/build-image.sh in the background before lint, and the fixture here waits
for it (PHIGATE_IMAGE_BUILD names its folder: log, and rc once done); a failed build fails these
tests, never skips them. The Makefile runs this module in a pytest of its own, beside the main
(xdist) one: one image and one compose project per host, and no xdist worker kept waiting.
PHIGATE_CONTAINER_TESTS=0 opts out locally. Needs root, podman, runc, mmdebstrap (or debootstrap)
and podman-compose: `make test` installs them (scripts/system-deps.sh).
"""

from __future__ import annotations

import email.policy
import json
import os
import shutil
import smtplib
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml

from tests.support.deploy import REPO_ROOT
from tests.support.gateway import Received, SinkController, SinkHandler
from tests.support.postfix import wait_until

COMPOSE = REPO_ROOT / "deploy" / "compose"

pytestmark = [
    pytest.mark.skipif(
        os.environ.get("PHIGATE_CONTAINER_TESTS") == "0",
        reason="PHIGATE_CONTAINER_TESTS=0: the container image is not built or run",
    ),
    # The first test's setup waits for the image build (minutes on a cold host).
    pytest.mark.timeout(1800),
]

# The tag compose.yaml runs, so the compose test below uses the image built here.
IMAGE = "phigate:0.1"
UID = "10025"
CACHE = Path(os.environ.get("PHIGATE_IMAGE_CACHE", Path.home() / ".cache" / "phigate-image"))
# A PHI-bearing message: none of these may reach the next hop in the clear.
PHI_BODY = (
    "Patient John Smith, DOB 03/14/1962, MRN 00482913, SSN 123-45-6789: "
    "HbA1c 9.1%, diagnosis E11.9 type 2 diabetes.\n"
)
PHI_MARKERS = (b"123-45-6789", b"00482913", b"03/14/1962")


def podman(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run podman with the containers.conf build-image.sh wrote for this host."""
    env = {**os.environ, "CONTAINERS_CONF": str(CACHE / "containers.conf")}
    return subprocess.run(
        ["podman", *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def build_running(pid_file: Path) -> bool:
    """Whether the background build's shell (its pid in pid_file) is still running."""
    try:
        os.kill(int(pid_file.read_text(encoding="utf-8")), 0)
    except (OSError, ValueError):
        return False
    return True


def wait_for_background_build() -> None:
    """Wait for the build `make test` started (if it did) and fail if it failed."""
    folder = os.environ.get("PHIGATE_IMAGE_BUILD")
    if not folder or not (Path(folder) / "log").exists():
        return
    rc_file, log, pid_file = (Path(folder) / name for name in ("rc", "log", "pid"))
    deadline = time.monotonic() + 1500
    while not rc_file.exists() or not rc_file.read_text(encoding="utf-8").strip():
        if time.monotonic() > deadline:
            pytest.fail(f"the background image build did not finish: {log}")
        if not build_running(pid_file):
            # Gone without an exit status (killed), or an rc just being written: look once more.
            time.sleep(1)
            if not rc_file.exists():
                pytest.fail(f"the background image build stopped without a result: {log}")
        time.sleep(2)
    rc = rc_file.read_text(encoding="utf-8").strip()
    tail = log.read_text(encoding="utf-8", errors="replace")[-4000:]
    assert rc == "0", f"scripts/build-image.sh failed (exit {rc}):\n{tail}"


@pytest.fixture(scope="module")
def image() -> str:
    """The image, built by scripts/build-image.sh (cached base, layer cache).

    Run again after the background build: with everything cached it only confirms the image
    matches this tree."""
    if shutil.which("podman") is None:
        pytest.fail("podman is missing (sh scripts/system-deps.sh installs it)")
    wait_for_background_build()
    result = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "build-image.sh")],
        env={**os.environ, "PHIGATE_IMAGE": IMAGE},
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return IMAGE


@dataclass(frozen=True)
class Running:
    """A phigate container and the host side of its ports."""

    name: str
    volume: str
    smtp_port: int
    ops_port: int
    sink: SinkHandler

    def exec(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a command inside the container (as the image's user)."""
        return podman("exec", self.name, *args)

    def get(self, path: str) -> tuple[int, dict[str, object]]:
        """GET an ops endpoint through the published port: (status, JSON body)."""
        url = f"http://127.0.0.1:{self.ops_port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=10) as reply:  # noqa: S310 - loopback
                return reply.status, json.loads(reply.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def logs(self) -> str:
        """Return the container's output (for failure messages)."""
        result = podman("logs", self.name)
        return (result.stdout + result.stderr)[-4000:]


def bridge() -> tuple[str, str]:
    """Return podman's default network as (subnet, gateway address on the host)."""
    result = podman(
        "network",
        "inspect",
        "podman",
        "--format",
        "{{range .Subnets}}{{.Subnet}} {{.Gateway}}{{end}}",
    )
    assert result.returncode == 0, result.stderr
    subnet, gateway = result.stdout.split()
    return subnet, gateway


def free_port_on(address: str) -> int:
    """Return a TCP port free on address a moment ago."""
    with socket.socket() as probe:
        probe.bind((address, 0))
        port: int = probe.getsockname()[1]
        return port


def published(name: str, port: int) -> int:
    """Return the host port podman published the container's port on."""
    result = podman("port", name, str(port))
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip().splitlines()[0].rsplit(":", 1)[1])


def write_config(directory: Path, subnet: str, next_hop: str) -> None:
    """The config volume: the shipped container config with a next hop on the host."""
    text = (REPO_ROOT / "deploy" / "container" / "phigate.yaml").read_text(encoding="utf-8")
    text = text.replace("next_hop: mail.example.invalid:10026", f"next_hop: {next_hop}")
    text = text.replace(
        'networks: [127.0.0.0/8, "::1/128"]', f'networks: [127.0.0.0/8, "::1/128", {subnet}]'
    )
    assert next_hop in text and subnet in text, "deploy/container/phigate.yaml changed shape"
    directory.mkdir(mode=0o755)
    (directory / "phigate.yaml").write_text(text, encoding="utf-8")
    (directory / "phigate.yaml").chmod(0o644)


@pytest.fixture(scope="module")
def running(image: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """phigate serving in the container, relaying to a sink on the host's bridge address."""
    name = f"phigate-test-{uuid.uuid4().hex[:8]}"
    volume = f"{name}-state"
    subnet, gateway = bridge()
    config = tmp_path_factory.mktemp("container") / "etc-phigate"
    sink_port = free_port_on("127.0.0.1")
    write_config(config, subnet, f"{gateway}:{sink_port}")
    result = podman(
        "run", "--detach", "--name", name,
        "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL",
        "--security-opt", "no-new-privileges",
        "-v", f"{config}:/etc/phigate:ro", "-v", f"{volume}:/var/lib/phigate",
        "-p", "127.0.0.1::10025", "-p", "127.0.0.1::9325",
        image,
    )  # fmt: skip
    try:
        assert result.returncode == 0, result.stderr
        handler = SinkHandler()
        # The bridge (and so the gateway address) exists once a container is on it.
        sink = SinkController(handler, hostname=gateway, port=sink_port)
        sink.start()
        try:
            state = Running(name, volume, published(name, 10025), published(name, 9325), handler)
            wait_until(
                lambda: state.get("/readyz")[0] == 200 if _answers(state.ops_port) else False,
                timeout=180,
                what="the container's /readyz to answer 200",
                context=state.logs,
                interval=1.0,
            )
            yield state
        finally:
            sink.stop()
    finally:
        podman("rm", "--force", "--time", "10", name)
        podman("volume", "rm", "--force", volume)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def send(
    port: int, message_id: str, subject: str, body: str, to: str = "someone@example.org"
) -> None:
    """Send one message through the container's published SMTP port."""
    msg = EmailMessage()
    msg["From"] = "frontdesk@practice.example"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg.set_content(body)
    with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
        client.send_message(msg)


def test_image_runs_as_a_non_root_user_on_a_read_only_root(running: Running) -> None:
    """UID 10025, the root file system refuses writes, the state volume takes them."""
    assert running.exec("id", "-u").stdout.strip() == UID
    refused = running.exec("sh", "-c", "touch /opt/phigate/x")
    assert refused.returncode != 0
    assert "Read-only file system" in refused.stderr
    assert running.exec("touch", "/var/lib/phigate/written").returncode == 0


def test_the_image_holds_the_compiled_pattern_databases(running: Running) -> None:
    """The Hyperscan databases were compiled when the image was built, and the image's user
    loads them from the read-only cache: nothing compiles at start (detectors/recognizers/
    multiscan.py)."""
    script = (
        "import time; from detectors.recognizers import multiscan as m; "
        "m.MultiScan._compile_all = staticmethod(lambda p: 1 / 0); "
        "from detectors.engine import warm_multiscan; t = time.perf_counter(); "
        "print(warm_multiscan(), round(time.perf_counter() - t, 2))"
    )
    result = running.exec("/opt/phigate/.venv/bin/python", "-c", script)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "patterns, kept in /opt/phigate/cache/multiscan" in result.stdout
    assert "not built" not in result.stderr


def test_keys_are_created_private_in_the_state_volume(running: Running) -> None:
    """The audit key phigate made on first start is 0600 and owned by the image's user."""
    result = running.exec("stat", "-c", "%a %u", "/var/lib/phigate/keys/audit.key")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["600", UID]


def test_healthcheck_declared_and_passing(running: Running) -> None:
    """The image carries the HEALTHCHECK (docker format) and it passes; /healthz answers."""
    declared = podman("image", "inspect", IMAGE, "--format", "{{json .HealthCheck}}")
    assert "phigate-healthcheck" in declared.stdout, declared.stdout + declared.stderr
    check = podman("healthcheck", "run", running.name)
    assert check.returncode == 0, check.stdout + check.stderr
    status, body = running.get("/healthz")
    assert status == 200 and body["alive"] is True


def test_smtp_session_relays_to_the_host_and_is_audited(running: Running) -> None:
    """A plain message in through the published port reaches the host's sink; the chain verifies."""
    message_id = f"<{uuid.uuid4().hex}@practice.example>"
    send(running.smtp_port, message_id, "lunch", "See you at noon.\n")
    mine = [m for m in running.sink.messages if message_id.encode() in m.content]
    assert len(mine) == 1, running.logs()
    assert mine[0].rcpt_tos == ["someone@example.org"]
    assert b"See you at noon." in mine[0].content
    verify = running.exec(
        "phigate-entrypoint", "audit", "verify", "--config", "/etc/phigate/phigate.yaml"
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_phi_never_leaves_the_container_in_the_clear(running: Running) -> None:
    """A message full of PHI is accepted, but nothing the sink got carries its identifiers."""
    before = len(running.sink.messages)
    send(running.smtp_port, f"<{uuid.uuid4().hex}@practice.example>", "lab results", PHI_BODY)
    for received in running.sink.messages[before:]:
        for marker in PHI_MARKERS:
            assert marker not in received.content, running.logs()


def test_healthcheck_tcp_target_passes_only_when_the_port_accepts(running: Running) -> None:
    """compose's portal check (tcp://): open port passes, a closed one fails and says why."""
    open_port = running.exec("/usr/local/bin/phigate-healthcheck", "tcp://127.0.0.1:10025")
    assert open_port.returncode == 0, open_port.stderr
    closed = running.exec("/usr/local/bin/phigate-healthcheck", "tcp://127.0.0.1:8443")
    assert closed.returncode == 1
    assert "unhealthy: tcp://127.0.0.1:8443" in closed.stderr


# --------------------------------------------------------------------------
# deploy/compose/: postfix + phigate + portal + PostgreSQL, with podman-compose


def base_image_build(tag: str, *args: str) -> None:
    """Build a compose image on build-image.sh's local Debian base."""
    result = podman(
        "build", "--quiet", "--format", "docker",
        "--build-arg", "BASE_IMAGE=localhost/phigate-base:bookworm",
        "-t", tag, *args,
        timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-4000:]


def compose_command() -> list[str]:
    """podman-compose (>= 1.1: Debian's 1.0.3 cannot read compose.yaml's networks)."""
    found = (
        os.environ.get("PHIGATE_PODMAN_COMPOSE")
        or shutil.which("podman-compose", path=str(Path(sys.executable).parent))
        or shutil.which("podman-compose")
    )
    if found is None:
        pytest.fail(
            "podman-compose >= 1.1 is missing (sh scripts/system-deps.sh installs it in .venv)"
        )
    return [found, "-f", str(COMPOSE / "compose.yaml")]


def published_ports() -> list[int]:
    """The host ports deploy/compose/compose.yaml publishes ("host:container" under ports)."""
    spec = yaml.safe_load((COMPOSE / "compose.yaml").read_text(encoding="utf-8"))
    return sorted(
        int(str(entry).split(":")[-2])
        for service in spec["services"].values()
        for entry in service.get("ports", ())
    )


def taken_ports() -> list[int]:
    """The published ports something on the host already listens on."""
    taken = []
    for port in published_ports():
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("0.0.0.0", port))
            except OSError:
                taken.append(port)
    return taken


def not_running(filters: tuple[str, ...]) -> str:
    """What podman says of a service's containers that are not running: their state and the
    last lines each logged."""
    every = podman("ps", "-a", "--format", "{{.Names}}\t{{.Status}}", *filters)
    lines = [f"containers: {every.stdout.strip() or 'none'} {every.stderr.strip()}"]
    for row in every.stdout.splitlines():
        name = row.split("\t", 1)[0]
        error = podman("inspect", "--format", "{{.State.Error}}", name)
        logs = podman("logs", "--tail", "20", name)
        lines.append(f"{name}'s error: {error.stdout.strip() or 'none'} {error.stderr.strip()}")
        lines.append(f"last lines of {name}:\n{logs.stdout}{logs.stderr}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Stack:
    """The running compose project and a sink on its front network standing in for the internet."""

    sink: SinkHandler

    @staticmethod
    def container(service: str) -> str:
        """Return the container name of a compose service; if it is not running, fail with its
        state and last log lines."""
        filters = (
            "--filter", "label=com.docker.compose.project=phigate",
            "--filter", f"label=com.docker.compose.service={service}",
        )  # fmt: skip
        result = podman("ps", "--format", "{{.Names}}", *filters)
        names = result.stdout.split()
        assert len(names) == 1, f"{service}: {names} {result.stderr}\n{not_running(filters)}"
        return names[0]

    def exec(self, service: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a command in a service's container."""
        return podman("exec", self.container(service), *args)


def stack_volumes() -> list[str]:
    """Every volume the project's containers use (named and anonymous), for the teardown."""
    ids = podman("ps", "-a", "-q", "--filter", "label=com.docker.compose.project=phigate").stdout
    volumes = []
    for cid in ids.split():
        mounts = podman("inspect", cid, "--format", "{{range .Mounts}}{{.Name}} {{end}}").stdout
        volumes.extend(mounts.split())
    return volumes


@pytest.fixture(scope="module")
def stack(image: str) -> Iterator[Stack]:
    """`podman-compose up` of deploy/compose, Postfix relaying to a sink on the host."""
    base_image_build(
        "phigate-postfix:0.1", "-f", str(COMPOSE / "postfix" / "Containerfile"), str(REPO_ROOT)
    )
    base_image_build("localhost/postgres-standin:15", str(COMPOSE / "postgres-standin"))
    secrets = subprocess.run(
        ["sh", str(COMPOSE / "init-secrets.sh")], capture_output=True, text=True, check=False
    )
    assert secrets.returncode == 0, secrets.stderr
    env = {
        **os.environ,
        "CONTAINERS_CONF": str(CACHE / "containers.conf"),
        "PHIGATE_POSTGRES_IMAGE": "localhost/postgres-standin:15",
    }
    taken = taken_ports()
    assert not taken, (
        f"host ports {taken} that deploy/compose publishes are taken, so its containers could "
        "not start (is `make run`'s demo running? its portal listens on 8443)"
    )
    command = compose_command()
    up = subprocess.run(
        [*command, "up", "-d"], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    try:
        assert up.returncode == 0, up.stderr[-4000:]
        network = podman(
            "network", "inspect", "phigate_front",
            "--format", "{{range .Subnets}}{{.Subnet}} {{.Gateway}}{{end}}",
        )  # fmt: skip
        subnet, gateway = network.stdout.split()
        handler = SinkHandler()
        sink = SinkController(handler, hostname=gateway, port=free_port_on(gateway))
        sink.start()
        try:
            stack = Stack(handler)
            # After the entry point's own postconf (from the environment) and start.
            wait_until(
                lambda: stack.exec("postfix", "postfix", "status").returncode == 0,
                timeout=120,
                what="Postfix to run",
                interval=1.0,
            )
            # The practice network is the host's side of the published port 25; the smarthost
            # is the sink (compose's RELAYHOST and PRACTICE_NETWORKS, set after the fact).
            relay = stack.exec(
                "postfix", "sh", "-c",
                f"postconf -e 'relayhost = [{gateway}]:{sink.port}' "
                f"'mynetworks = 127.0.0.0/8 {subnet}' && postfix reload",
            )  # fmt: skip
            assert relay.returncode == 0, relay.stderr
            for service in ("postgres", "phigate", "portal"):
                name = Stack.container(service)
                wait_until(
                    lambda name=name: podman("healthcheck", "run", name).returncode == 0,  # type: ignore[misc]
                    timeout=180,
                    what=f"{service} to be healthy",
                    interval=2.0,
                )
            yield stack
        finally:
            sink.stop()
    finally:
        volumes = stack_volumes()
        subprocess.run(
            [*command, "down", "-v"], env=env, capture_output=True, timeout=300, check=False
        )
        if volumes:
            podman("volume", "rm", "--force", *volumes)


def test_compose_stack_is_healthy_and_ready_on_postgresql(stack: Stack) -> None:
    """Every health check passes and phigate is ready: policy loaded, PostgreSQL and Postfix reached."""
    ready = stack.exec(
        "phigate", "/opt/phigate/.venv/bin/python", "/usr/local/bin/phigate-healthcheck",
        "http://127.0.0.1:9325/readyz",
    )  # fmt: skip
    assert ready.returncode == 0, ready.stderr


def test_compose_mail_flows_through_postfix_and_phigate(stack: Stack) -> None:
    """Mail into Postfix's published port 25 comes out at the smarthost once, after phigate."""
    message_id = f"<{uuid.uuid4().hex}@practice.example>"
    send(25, message_id, "lunch", "See you at noon.\n")

    def arrived() -> list[Received]:
        return [m for m in stack.sink.messages if message_id.encode() in m.content]

    wait_until(
        lambda: bool(arrived()), timeout=120, what="the message at the smarthost", interval=0.5
    )
    assert len(arrived()) == 1
    verify = stack.exec(
        "phigate", "phigate-entrypoint", "audit", "verify", "--config", "/etc/phigate/phigate.yaml"
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "0 records" not in verify.stdout


def test_compose_phi_to_a_patient_goes_to_the_portal(stack: Stack) -> None:
    """PHI to an outside address with no key is held on the portal (PostgreSQL store) and only
    a notice with the pickup link leaves: the installed image must carry the portal's notice
    templates (a wheel without them answered 451 to every such message)."""
    message_id = f"<{uuid.uuid4().hex}@practice.example>"
    send(25, message_id, "your results", PHI_BODY, to="jane.doe@patients.example.org")

    def notices() -> list[Received]:
        return [m for m in stack.sink.messages if b"jane.doe@patients.example.org" in m.content]

    wait_until(lambda: bool(notices()), timeout=120, what="the portal notice", interval=0.5)
    texts = [
        part.get_content()
        for m in stack.sink.messages
        for part in message_from_bytes(m.content, policy=email.policy.default).walk()
        if part.get_content_maintype() == "text"
    ]
    for marker in PHI_MARKERS:
        assert all(marker not in m.content for m in stack.sink.messages)
        assert all(marker.decode() not in text for text in texts)
    notice = [
        part.get_content()
        for m in notices()
        for part in message_from_bytes(m.content, policy=email.policy.default).walk()
        if part.get_content_type() == "text/plain"
    ]
    assert any("https://portal.practice.example:8443/p/" in text for text in notice), notice
