"""`phigate quarantine rotate-key` with two quarantine stores open on one PostgreSQL and one
master key file (two gateway nodes): both seal new entries under the new key at once and both
still open what was sealed before; with --rewrap, old entries move to the new key and both
stores still open them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from gateway.cli.context import Hooks
from gateway.cli.exits import EXIT_ERROR, EXIT_OK
from gateway.cli.main import main
from gateway.quarantine import QuarantineStore
from tests.support.db import database_url
from tests.support.quarantine import RAW, put

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    """A fresh PostgreSQL schema both stores share."""
    with database_url("postgresql", tmp_path, "quarrot") as url:
        yield url


Events = list[tuple[str, dict[str, object]]]


def _rotate(url: str, key_file: Path, *flags: str, events: Events | None = None) -> int:
    argv = ["quarantine", "rotate-key", "--url", url, "--key-file", str(key_file), *flags]
    if events is None:
        return main(argv, Hooks())
    return main(argv, Hooks(audit_event=lambda action, details: events.append((action, details))))


@pytest.mark.parametrize("rewrap", [False, True], ids=["keep", "rewrap"])
def test_rotation_reaches_both_open_stores(
    tmp_path: Path, pg_url: str, rewrap: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """After the CLI rotates the shared key, both open stores seal under q2 and open every entry."""
    key_file = tmp_path / "keys" / "quarantine.key"
    with (
        closing(QuarantineStore(pg_url, key_file)) as node1,
        closing(QuarantineStore(pg_url, key_file)) as node2,
    ):
        before = [put(node1), put(node2)]
        assert {node1.meta(e)["key_id"] for e in before} == {"q1"}

        events: Events = []
        flags = ["--rewrap"] if rewrap else []
        assert _rotate(pg_url, key_file, *flags, "--as", "olga", events=events) == EXIT_OK
        assert capsys.readouterr().out.strip() == "q2"
        assert events == [
            ("quarantine-key-rotated", {"key_id": "q2", "rewrapped": rewrap, "by": "olga"})
        ]

        after = [put(node1), put(node2)]
        assert [node2.meta(e)["key_id"] for e in after] == ["q2", "q2"]
        assert {node1.meta(e)["key_id"] for e in before} == {"q2" if rewrap else "q1"}
        for store in (node1, node2):
            for entry_id in (*before, *after):
                assert store.get(entry_id).raw == RAW
        if rewrap:
            # Nothing is wrapped under q1 any more, so it can go; both stores still open all.
            node1.retire_master_key("q1")
            for entry_id in (*before, *after):
                assert node2.get(entry_id).raw == RAW


def test_rotation_without_an_audit_hook_is_refused_and_changes_nothing(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """With nothing to record it, rotate-key says so and the key file keeps its one key."""
    key_file = tmp_path / "keys" / "quarantine.key"
    with closing(QuarantineStore(pg_url, key_file)) as store:
        entry = put(store)
        before = key_file.read_bytes()
        assert _rotate(pg_url, key_file) == EXIT_ERROR
        assert "no audit hook" in capsys.readouterr().err
        assert key_file.read_bytes() == before
        assert store.meta(put(store))["key_id"] == store.meta(entry)["key_id"] == "q1"
