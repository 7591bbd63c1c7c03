"""docs/install.md: every command it names exists, its config passes, every file it copies is shipped."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from tests.support.deploy import REPO_ROOT, config_check, options, subcommands

GUIDE = REPO_ROOT / "docs" / "install.md"
SOURCE = "/opt/phigate/src/"
_SH_BLOCK = re.compile(r"^```sh\n(.*?)^```$", re.DOTALL | re.MULTILINE)
_HEREDOC = re.compile(r"^cat > (\S+) <<'EOF'\n(.*?)^EOF$", re.DOTALL | re.MULTILINE)


def guide_text() -> str:
    """The guide."""
    return GUIDE.read_text(encoding="utf-8")


def sh_blocks() -> list[str]:
    """The guide's sh blocks, in order."""
    return _SH_BLOCK.findall(guide_text())


def command_lines() -> list[str]:
    """Every command line of the sh blocks, continuations joined, heredoc bodies left out."""
    lines: list[str] = []
    for block in sh_blocks():
        block = _HEREDOC.sub(lambda m: f"cat > {m.group(1)}", block)
        block = block.replace("\\\n", " ")
        lines.extend(line.strip() for line in block.splitlines() if line.strip())
    return lines


def phigate_invocations() -> list[list[str]]:
    """Each `phigate ...` command in the guide (sh blocks and inline code): the words after it."""
    found = []
    inline = re.findall(r"`(phigate [^`]+)`", guide_text())
    for line in command_lines() + inline:
        for part in re.split(r"&&|\|\||;|\|", line):
            words = shlex.split(part.split(" #", 1)[0])
            if words[:2] in (["sudo", "-u"], ["runuser", "-u"]):
                words = words[3:]
            if words[:1] == ["--"]:
                words = words[1:]
            if words and (words[0] == "phigate" or words[0].endswith("/bin/phigate")):
                found.append(words[1:])
    return found


def test_guide_has_every_step() -> None:
    """Packages, user, venv, config, services, Postfix, a first message and the audit record."""
    text = guide_text()
    for needle in (
        "apt-get install",
        "useradd --system",
        "python3 -m venv /opt/phigate/.venv",
        "--require-hashes -r /opt/phigate/src/requirements/model.txt",
        "cat > /etc/phigate/phigate.yaml",
        "systemctl enable --now phigate.service",
        "deploy/postfix/README.md",
        "swaks --server 127.0.0.1:587",
        "phigate audit show",
        "phigate audit verify",
    ):
        assert needle in text, needle


def test_every_phigate_subcommand_and_option_exists() -> None:
    """`phigate X [Y]` and each --option the guide uses appear in phigate's own --help."""
    invocations = [words for words in phigate_invocations() if words and words[0] != "--help"]
    assert len(invocations) >= 10
    top = subcommands()
    for words in invocations:
        assert words[0] in top, f"phigate {words[0]} does not exist"
        path = [words[0]]
        nested = subcommands(words[0]) - {"-h"}
        if nested and len(words) > 1 and not words[1].startswith("-"):
            assert words[1] in nested, f"phigate {' '.join(words[:2])} does not exist"
            path.append(words[1])
        accepted = options(*path)
        for word in words[len(path) :]:
            if word.startswith("--"):
                flag = word.split("=", 1)[0]
                assert flag in accepted, f"phigate {' '.join(path)} has no {flag}"


def test_files_the_guide_copies_are_in_the_repository() -> None:
    """Every /opt/phigate/src/... path and every deploy/... file the guide names exists."""
    text = guide_text()
    paths = set(re.findall(r"/opt/phigate/src/([\w./-]+)", text))
    paths |= set(re.findall(r"(?<![\w/])(deploy/[\w./-]+)", text))
    assert "deploy/systemd/phigate.service" in paths
    for path in paths:
        assert (REPO_ROOT / path.rstrip(".")).exists(), path


def test_systemd_units_run_what_the_guide_installs() -> None:
    """The units start /opt/phigate/.venv/bin/phigate with /etc/phigate/phigate.yaml, as the guide sets up."""
    unit = (REPO_ROOT / "deploy" / "systemd" / "phigate.service").read_text(encoding="utf-8")
    assert (
        "ExecStart=/opt/phigate/.venv/bin/phigate serve --config /etc/phigate/phigate.yaml" in unit
    )
    assert "User=phigate" in unit


def test_the_guide_config_passes_config_check(tmp_path: Path) -> None:
    """The phigate.yaml the guide writes is accepted by `phigate config check`."""
    configs = dict(_HEREDOC.findall("\n".join(sh_blocks())))
    text = configs["/etc/phigate/phigate.yaml"]
    # Its state paths move into a scratch folder; everything else is checked as written.
    result = config_check(text.replace("/var/lib/phigate/", f"{tmp_path}/"), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "listen: 127.0.0.1:10025" in text and "next_hop: 127.0.0.1:10026" in text
