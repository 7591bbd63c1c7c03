"""Two portal instances behind one address share their state through PostgreSQL: a session
made on one is valid on the other, and wrong codes count toward one lockout across both."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from gateway.portal import PortalItem, PortalStore, create_app
from tests.support.db import database_url
from tests.support.portal import (
    DOB,
    SEE_OTHER,
    SETTINGS,
    FakePractice,
    csrf,
    put,
    send_code,
    serving,
    start,
)

pytestmark = pytest.mark.postgres

HTTP_OK, BAD_REQUEST, TOO_MANY = 200, 400, 429


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[str, str, PortalStore, FakePractice]]:
    """Two portal apps, each with its own store (own engine) on one PostgreSQL schema, sharing
    the key files as nodes share them; yields both base URLs, one store and the practice."""
    practice = FakePractice()
    key = tmp_path / "keys" / "portal.key"
    with database_url("postgresql", tmp_path, "portal_pair") as url, ExitStack() as stack:
        first = PortalStore(url, key)
        stack.callback(first.close)
        second = PortalStore(url, key)
        stack.callback(second.close)
        url_a = stack.enter_context(serving(create_app(first, SETTINGS, practice.services())))
        url_b = stack.enter_context(serving(create_app(second, SETTINGS, practice.services())))
        yield url_a, url_b, first, practice


def test_a_session_made_on_one_node_is_valid_on_the_other(
    pair: tuple[str, str, PortalStore, FakePractice],
) -> None:
    """Sign in on node A; node B shows the message to the same cookies, and logging out on B
    ends the session on A too."""
    url_a, url_b, store, practice = pair
    item: PortalItem = put(store, now=None)
    with httpx.Client(base_url=url_a) as on_a:
        page = send_code(on_a, start(on_a, item))
        done = on_a.post(
            "/verify",
            data={"csrf": csrf(page), "code": practice.last_code(), "dob": DOB.isoformat()},
        )
        assert (done.status_code, done.headers["location"]) == (SEE_OTHER, "/message")
        with httpx.Client(base_url=url_b, cookies=on_a.cookies) as on_b:
            message = on_b.get("/message")
            assert message.status_code == HTTP_OK
            assert "potassium 5.9" in message.text
            out = on_b.post("/logout", data={"csrf": csrf(message)})
            assert (out.status_code, "You are signed out" in out.text) == (HTTP_OK, True)
        # A still sends its cookie, but the session it names is gone from the database.
        assert on_a.get("/message").status_code != HTTP_OK


def test_wrong_codes_count_across_both_nodes(
    pair: tuple[str, str, PortalStore, FakePractice],
) -> None:
    """Three wrong codes on A and two on B lock the message; A then refuses it too."""
    url_a, url_b, store, practice = pair
    item = put(store, now=None)
    with httpx.Client(base_url=url_a) as on_a:
        page = send_code(on_a, start(on_a, item))
        wrong = f"{(int(practice.last_code()) + 1) % 1_000_000:06d}"
        form = {"csrf": csrf(page), "code": wrong, "dob": DOB.isoformat()}
        on_a_codes = [on_a.post("/verify", data=form).status_code for _ in range(3)]
        with httpx.Client(base_url=url_b, cookies=on_a.cookies) as on_b:
            on_b_codes = [on_b.post("/verify", data=form).status_code for _ in range(2)]
    assert (on_a_codes, on_b_codes) == ([BAD_REQUEST] * 3, [BAD_REQUEST, TOO_MANY])
    with httpx.Client(base_url=url_a) as fresh:
        assert start(fresh, item).status_code == TOO_MANY
