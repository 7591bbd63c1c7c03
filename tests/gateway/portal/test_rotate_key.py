"""`phigate portal rotate-key` with two portal stores open on one PostgreSQL and one key file
(two nodes, or a gateway and a portal process): both seal new items under the new key at
once, and both still open what was sealed before; the rotation is audited."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from gateway.cli.context import Hooks
from gateway.cli.exits import EXIT_ERROR, EXIT_OK
from gateway.cli.main import main
from gateway.portal import PortalStore
from tests.support.db import database_url
from tests.support.portal import RAW, put

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    """A fresh PostgreSQL schema both stores share."""
    with database_url("postgresql", tmp_path, "portalrot") as url:
        yield url


def _rotate(key_file: Path, hooks: Hooks) -> int:
    return main(["portal", "rotate-key", "--key-file", str(key_file), "--as", "officer"], hooks)


def test_rotation_reaches_both_open_stores(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """After the CLI rotates the shared key, both open stores seal under q2 and open q1 and q2."""
    key_file = tmp_path / "keys" / "portal.key"
    events: list[tuple[str, Mapping[str, Any]]] = []
    hooks = Hooks(audit_event=lambda action, details: events.append((action, details)))
    with (
        closing(PortalStore(pg_url, key_file)) as node1,
        closing(PortalStore(pg_url, key_file)) as node2,
    ):
        before = put(node1)
        assert node1.meta(before.item_id).key_id == "q1"

        assert _rotate(key_file, hooks) == EXIT_OK
        assert capsys.readouterr().out.strip() == "q2"
        assert events == [("portal-key-rotated", {"key_id": "q2", "by": "officer"})]
        assert json.loads(key_file.read_text())["active"] == "q2"

        after = [put(node1), put(node2)]
        assert [node1.meta(i.item_id).key_id for i in after] == ["q2", "q2"]
        for store in (node1, node2):
            for item in (before, *after):
                assert store.get(item.item_id).raw == RAW


def test_rotation_refused_without_audit(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """With no audit hook to record it the key is not rotated, and the command says why."""
    key_file = tmp_path / "keys" / "portal.key"
    with closing(PortalStore(pg_url, key_file)):
        pass
    before = key_file.read_bytes()
    assert _rotate(key_file, Hooks()) == EXIT_ERROR
    assert "no audit hook" in capsys.readouterr().err
    assert key_file.read_bytes() == before


def test_rotation_refuses_a_missing_key_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A missing key file is an error, never a fresh key (which would orphan every item)."""
    key_file = tmp_path / "keys" / "portal.key"
    assert _rotate(key_file, Hooks(audit_event=lambda action, details: None)) == EXIT_ERROR
    assert "does not exist" in capsys.readouterr().err
    assert not key_file.exists()
