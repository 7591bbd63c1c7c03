"""A command loads only what it needs: the registry imports a provider when its kind is first
asked for, and the CLI builds only the command being run (issue 14: a `phigate` process that
reads the audit log should not spend seconds loading the PHI engine)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from gateway.cli.commands import BUILT_IN, load
from gateway.cli.main import build_parser, command_registry
from gateway.registry import DuplicateName, Registry
from tests.support.audit import made_log
from tests.support.process import REPO

# What the PHI engine and the gateway's detection bring in; a light command loads none of them.
HEAVY = ("spacy", "presidio_analyzer", "detectors.recognizers", "gateway.scanning", "gateway.app")


@pytest.mark.parametrize("built_in", BUILT_IN, ids=lambda b: b.name)
def test_each_built_in_command_is_defined_where_the_index_says_with_its_help(built_in) -> None:
    """The index's help (what `phigate --help` prints) is the command's own help."""
    command = load(built_in)
    assert (command.name, command.help) == (built_in.name, built_in.help)


def test_help_lists_every_command_with_the_help_the_full_parser_has() -> None:
    """The light parser of `phigate --help` names the same commands, with the same help, as
    the parser built from every command."""

    def listing(only: str | None) -> dict[str, str | None]:
        parser = build_parser(command_registry(), only=only)
        (sub,) = [a for a in parser._actions if a.choices and a.dest == "command"]
        return {c.dest: c.help for c in sub._choices_actions}

    full = listing(None)
    assert listing("") == full
    assert set(full) >= {"serve", "audit", "scan", "keys", "policy", "status"}


def _modules_after(argv: list[str], cwd: Path) -> tuple[int, list[str]]:
    """Run `phigate ARGV` in a fresh interpreter; its exit code and which HEAVY modules it
    imported."""
    script = textwrap.dedent(
        f"""
        import json, sys
        from gateway.cli.main import main
        code = main({argv!r})
        print(json.dumps([code, [m for m in {HEAVY!r} if m in sys.modules]]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    code, loaded = json.loads(done.stdout.splitlines()[-1])
    return code, loaded


def test_audit_verify_runs_without_loading_the_phi_engine(tmp_path: Path) -> None:
    """`phigate audit verify` checks a real log and never imports detection."""
    url, key = made_log(tmp_path)
    code, loaded = _modules_after(
        ["audit", "verify", "--url", url, "--key-file", str(key)], tmp_path
    )
    assert code == 0
    assert loaded == []


def test_the_probe_sees_a_heavy_import_when_there_is_one(tmp_path: Path) -> None:
    """The check can fail: `policy check` of the shipped policy does load the gateway."""
    code, loaded = _modules_after(["policy", "check", "policies/default.yaml"], tmp_path)
    assert code == 0
    assert "gateway.app" in loaded


def _provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, body: str) -> str:
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(body))
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def test_a_provider_is_imported_when_its_kind_is_first_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Naming a provider imports nothing; listing another kind imports nothing; listing its
    kind imports it once, and its components are then there."""
    module = _provider(
        tmp_path,
        monkeypatch,
        "phigate_test_provider_a",
        """
        LOADS = []
        LOADS.append(1)
        def register(reg):
            reg.register("action", "wave", lambda: "waved")
            reg.register("action", "nod", lambda: "nodded")
        """,
    )
    reg = Registry()
    reg.add_provider(module, ["action"])
    assert module not in sys.modules
    assert reg.names("encryptor") == ()
    assert module not in sys.modules
    assert reg.names("action") == ("nod", "wave")
    assert reg.create("action", "wave") == "waved"
    assert sys.modules[module].LOADS == [1]


def test_a_second_thread_waits_for_a_provider_still_loading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A thread that asks for a kind while another thread's provider is halfway through
    registering gets every name, not the half registered so far (the console's threads)."""
    module = _provider(
        tmp_path,
        monkeypatch,
        "phigate_test_provider_slow",
        """
        import threading
        HALFWAY = threading.Event()
        def register(reg):
            reg.register("action", "first", lambda: 1)
            HALFWAY.set()
            threading.Event().wait(0.5)
            reg.register("action", "second", lambda: 2)
        """,
    )
    reg = Registry()
    reg.add_provider(module, ["action"])
    seen: list[tuple[str, ...]] = []
    first = threading.Thread(target=lambda: seen.append(reg.names("action")))
    first.start()

    def halfway() -> bool:
        # The module is in sys.modules before its body has run, HALFWAY not yet defined.
        event = getattr(sys.modules.get(module), "HALFWAY", None)
        return event is not None and event.is_set()

    deadline = time.monotonic() + 10
    while not halfway():
        assert time.monotonic() < deadline, "the provider never started registering"
        time.sleep(0.01)
    assert reg.names("action") == ("first", "second")
    first.join(10)
    assert seen == [("first", "second")]


def test_a_provider_that_takes_a_name_already_taken_fails_when_it_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plugin registered first, then a built-in with its name: the clash is refused."""
    module = _provider(
        tmp_path,
        monkeypatch,
        "phigate_test_provider_b",
        """
        def register(reg):
            reg.register("detector", "phi", lambda: "built-in")
        """,
    )
    reg = Registry()
    reg.add_provider(module, ["detector"])
    reg.register("detector", "phi", lambda: "plugin")
    with pytest.raises(DuplicateName, match="detector 'phi' is registered twice"):
        reg.create("detector", "phi")


def test_an_unknown_kind_of_provider_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown component kind 'gizmo'"):
        Registry().add_provider("anything", ["gizmo"])
