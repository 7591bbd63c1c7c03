"""Every command of deploy/postfix/README.md's step-by-step setup runs, in order, against a real Postfix."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.postfix import (
    _BASE_MASTER_CF,
    LOOPBACK,
    POSTFIX,
    CapturingSink,
    GatewayProcess,
    HarnessError,
    free_port,
    gateway_argv,
    port_accepts,
    require_postfix,
    wait_until,
    write_phigate_config,
)

pytestmark = pytest.mark.postfix

REPO_ROOT = Path(__file__).resolve().parents[2]
GUIDE = REPO_ROOT / "deploy" / "postfix" / "README.md"
SENDER = "frontdesk@practice.example"

_TLSMGR = "tlsmgr    unix  -       -       n       1000?   1       tlsmgr\n"
_SH_BLOCK = re.compile(r"^```sh\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def guide_blocks() -> list[str]:
    """Return the guide's sh blocks in document order."""
    return _SH_BLOCK.findall(GUIDE.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class GuidePorts:
    """The private ports that stand in for the guide's fixed ones."""

    submission: int
    gateway: int
    reinject: int
    sink: int

    def swap(self, text: str) -> str:
        """Replace the guide's ports (587, 10025, 10026) with the private ones."""
        text = text.replace("submission/inet", f"{LOOPBACK}:{self.submission}/inet")
        text = text.replace("submission inet", f"{LOOPBACK}:{self.submission} inet")
        text = text.replace(f"{LOOPBACK}:587", f"{LOOPBACK}:{self.submission}")
        text = re.sub(r":10025\b", f":{self.gateway}", text)
        return re.sub(r":10026\b", f":{self.reinject}", text)


class BarePostfix:
    """A private Postfix with only site plumbing (queue, log, relayhost): the guide adds the rest."""

    def __init__(self, root: Path, ports: GuidePorts) -> None:
        self.root = root
        self.config_dir = root / "etc"
        self.queue_dir = root / "spool"
        self.data_dir = root / "data"
        self.maillog = root / "maillog"
        self.ports = ports

    def postfix(self, *args: str) -> None:
        """Run a postfix command against this instance; raise with its output if it fails."""
        result = subprocess.run(
            [str(POSTFIX), "-c", str(self.config_dir), *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise HarnessError(f"postfix {' '.join(args)}: {result.stdout}{result.stderr}")

    def start(self) -> None:
        """Write the bare configuration and start the master."""
        for directory in (self.config_dir, self.queue_dir, self.data_dir):
            directory.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        shutil.chown(self.data_dir, user="postfix")
        # What a fresh Debian install has that matters here (mynetworks is loopback there too).
        (self.config_dir / "main.cf").write_text(
            "compatibility_level = 3.6\n"
            f"queue_directory = {self.queue_dir}\n"
            f"data_directory = {self.data_dir}\n"
            f"maillog_file = {self.maillog}\n"
            f"maillog_file_prefixes = {self.root}\n"
            f"inet_interfaces = {LOOPBACK}\n"
            "inet_protocols = ipv4\n"
            "myhostname = mail.practice.example\n"
            "mydestination =\n"
            "mynetworks = 127.0.0.0/8\n"
            f"relayhost = [{LOOPBACK}]:{self.ports.sink}\n"
            "alias_maps =\nalias_database =\n"
            "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, "
            "defer_unauth_destination\n"
            "smtp_tls_security_level = none\n"
            "smtp_dns_support_level = disabled\n"
            "queue_run_delay = 1s\nminimal_backoff_time = 1s\nmaximal_backoff_time = 2s\n"
            "biff = no\n",
            encoding="utf-8",
        )
        # Debian's master.cf runs tlsmgr too; the loop tests' base has no TLS and so none.
        (self.config_dir / "master.cf").write_text(_BASE_MASTER_CF + _TLSMGR, encoding="utf-8")
        self.postfix("check")
        self.postfix("start")

    def stop(self) -> None:
        """Stop the master (abort if needed) and remove the tree."""
        try:
            self.postfix("stop")
        except HarnessError:
            subprocess.run(
                [str(POSTFIX), "-c", str(self.config_dir), "abort"], check=False, timeout=30
            )
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def sink() -> Iterator[CapturingSink]:
    """The internet: Postfix's relayhost."""
    with CapturingSink() as server:
        yield server


@pytest.fixture
def ports(sink: CapturingSink) -> GuidePorts:
    """Free private ports for the guide's listeners."""
    return GuidePorts(free_port(), free_port(), free_port(), sink.port)


@pytest.fixture
def bare_postfix(ports: GuidePorts) -> Iterator[BarePostfix]:
    """A running private Postfix as a fresh install leaves it, before the guide."""
    require_postfix()
    instance = BarePostfix(Path(tempfile.mkdtemp(prefix="phigate-guide-")), ports)
    try:
        instance.start()
        yield instance
    finally:
        instance.stop()


@pytest.fixture
def phigate(ports: GuidePorts, tmp_path: Path) -> Iterator[GatewayProcess]:
    """phigate on the guide's filter port, relaying to its reinjection listener."""
    config = write_phigate_config(tmp_path / "phigate")
    process = GatewayProcess(
        gateway_argv(ports.gateway, ports.reinject, config),
        ports.gateway,
        tmp_path / "phigate.log",
    )
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def source_tree(ports: GuidePorts, tmp_path: Path) -> Path:
    """A copy of the guide's snippets with the private ports, where the guide says 'cd /opt/phigate/src'."""
    tree = tmp_path / "src"
    for mode in ("after-queue", "before-queue"):
        target = tree / "deploy" / "postfix" / mode
        target.mkdir(parents=True)
        for snippet in (REPO_ROOT / "deploy" / "postfix" / mode).iterdir():
            (target / snippet.name).write_text(ports.swap(snippet.read_text("utf-8")), "utf-8")
    return tree


def apt_get_shim(directory: Path) -> Path:
    """An apt-get that installs nothing but fails when a package it is asked for is missing."""
    directory.mkdir(parents=True, exist_ok=True)
    shim = directory / "apt-get"
    shim.write_text(
        "#!/bin/sh\n"
        '[ "$1" = install ] || { echo "apt-get shim: only install" >&2; exit 2; }\n'
        "shift\n"
        'for pkg in "$@"; do\n'
        '  case "$pkg" in -*) continue;; esac\n'
        "  dpkg-query -W -f='${Status}' \"$pkg\" 2>/dev/null | grep -q 'install ok installed' "
        '|| { echo "apt-get shim: $pkg is not installed" >&2; exit 100; }\n'
        "done\n",
        encoding="utf-8",
    )
    shim.chmod(0o755)
    return directory


def test_guide_sets_up_submission_with_sasl_and_mail_flows_through_phigate(
    bare_postfix: BarePostfix,
    phigate: GatewayProcess,
    sink: CapturingSink,
    ports: GuidePorts,
    source_tree: Path,
    tmp_path: Path,
) -> None:
    """The guide's commands, run as written, give a TLS+SASL port 587 whose mail passes phigate in both modes."""
    blocks = guide_blocks()
    assert len(blocks) >= 8, "the guide lost its step-by-step blocks"
    script = "\n".join(ports.swap(block) for block in blocks)
    script = script.replace("/opt/phigate/src", str(source_tree))
    script = script.replace("/var/log/mail.log", str(bare_postfix.maillog))
    (tmp_path / "guide.sh").write_text(script, encoding="utf-8")

    env = {
        **os.environ,
        "MAIL_CONFIG": str(bare_postfix.config_dir),
        "PATH": f"{apt_get_shim(tmp_path / 'shims')}:{os.environ.get('PATH', '/usr/bin:/bin')}",
    }
    result = subprocess.run(
        ["sh", "-eu", str(tmp_path / "guide.sh")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    transcript = (
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}\n"
        f"maillog:\n{bare_postfix.maillog.read_text(errors='replace')[-4000:]}\n"
        f"{phigate.log_tail()}"
    )
    assert result.returncode == 0, transcript
    # The reinjection listener must not filter again: the value after '=' is empty.
    assert f"{LOOPBACK}:{ports.reinject}/inet/content_filter =\n" in result.stdout, transcript
    assert port_accepts(ports.submission), transcript

    def both_arrived() -> bool:
        subjects = {m.content.split(b"Subject: ", 1)[-1][:40] for m in sink.messages()}
        return any(s.startswith(b"phigate test") for s in subjects) and any(
            s.startswith(b"phigate before-queue test") for s in subjects
        )

    wait_until(both_arrived, timeout=30, what="both test messages at the sink")
    for message in sink.messages():
        assert message.mail_from == SENDER
        assert message.rcpt_tos == ("someone@example.org",)
    # The after-queue message went Postfix -> phigate; the before-queue one was proxied to it.
    log = bare_postfix.maillog.read_text(errors="replace")
    assert f"relay=127.0.0.1[127.0.0.1]:{ports.gateway}," in log, transcript
    assert "phigate before-queue test" not in log  # Postfix logs no subjects
    assert len(sink.messages()) == 2, transcript


def test_the_guides_sasl_password_is_safe_to_pass_on_a_command_line() -> None:
    """The password the guide generates is handed to swaks and saslpasswd2 as an argument: a
    leading "+" or "-" (base64 output had both, and "/" too) made swaks read it as an option, so
    the guide's own test mail failed about one run in thirty."""
    line = next(
        ln
        for ln in GUIDE.read_text(encoding="utf-8").splitlines()
        if ln.startswith("SASL_PASSWORD=")
    )
    command = re.fullmatch(r"SASL_PASSWORD=\$\((.+?)\)(?:\s+#.*)?", line)
    assert command is not None, line
    made = [
        subprocess.run(
            command.group(1), shell=True, check=True, capture_output=True, text=True
        ).stdout.strip()
        for _ in range(40)
    ]
    assert all(re.fullmatch(r"[A-Za-z0-9]{24,}", p) for p in made), made
    assert len(set(made)) == len(made)
