"""The portal's consent page shows the scope and expiry it will record, lets the patient choose
within what the practice allows, shows what was recorded, and reflows the disclosure (issue 11)."""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from gateway.cli.portal import consent_choices
from gateway.config import load_settings
from gateway.model import ConfigError
from gateway.patients.disclosure import DEFAULT_DISCLOSURE_VERSION, load_disclosure
from gateway.portal import PortalItem, PortalStore, create_app
from gateway.portal.app import ConsentChoices, reflow
from tests.support.portal import (
    DOB,
    ROSTER_ID,
    SETTINGS,
    Clock,
    FakePractice,
    csrf,
    send_code,
    serving,
    start,
)
from tests.support.portal import put as portal_put

HTTP_OK = 200
SEE_OTHER = 303
BAD_REQUEST = 400
NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
CHOICES = ConsentChoices(scopes=("appointment_reminders", "billing"), days=(90, 365))
SHIPPED = load_disclosure(DEFAULT_DISCLOSURE_VERSION)


@pytest.fixture
def clock() -> Clock:
    """The portal's clock, at a fixed day so the expiry dates are known."""
    return Clock(NOW)


@pytest.fixture
def portal(app_store: PortalStore, practice: FakePractice, clock: Clock) -> Iterator[str]:
    """The portal with two scopes and two durations allowed, and the shipped disclosure text."""
    services = dataclasses.replace(
        practice.services(),
        consent_choices=CHOICES,
        disclosure=lambda: (SHIPPED.version, SHIPPED.text),
    )
    with serving(create_app(app_store, SETTINGS, services, clock=clock)) as url:
        yield url


@pytest.fixture
def item(app_store: PortalStore, clock: Clock) -> PortalItem:
    """A held message for the test patient."""
    return portal_put(app_store, roster_id=ROSTER_ID, now=clock.now)


def _consent_page(client: httpx.Client, item: PortalItem, practice: FakePractice) -> httpx.Response:
    page = send_code(client, start(client, item))
    resp = client.post(
        "/verify", data={"csrf": csrf(page), "code": practice.last_code(), "dob": DOB.isoformat()}
    )
    assert resp.status_code == SEE_OTHER, resp.text
    page = client.get("/consent")
    assert page.status_code == HTTP_OK
    return page


def _text(page: httpx.Response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.text)).split())


def _post(client: httpx.Client, page: httpx.Response, **fields: object) -> httpx.Response:
    data = {"csrf": csrf(page), "version": SHIPPED.version, "accept": "yes", **fields}
    return client.post("/consent", data=data)  # type: ignore[arg-type]


def test_the_page_shows_the_choices_and_their_expiry_dates(
    portal: str, practice: FakePractice, item: PortalItem
) -> None:
    """Each allowed scope in plain words, each duration with the date it ends, and what is kept."""
    with httpx.Client(base_url=portal) as client:
        text = _text(_consent_page(client, item, practice))
    assert "Appointment reminders: the time, your provider" in text
    assert "Bills and statements" in text
    assert "Test results" not in text  # not allowed by this practice
    # 4 December 2026 + 90 days and + 365 days
    assert "3 months, until 4 March 2027" in text
    assert "1 year, until 4 December 2027" in text
    assert "we will record" in text and SHIPPED.version in text


def test_the_disclosure_is_reflowed_without_the_files_line_breaks(
    portal: str, practice: FakePractice, item: PortalItem
) -> None:
    """A sentence the text file wraps over two lines is one line of the page's markup."""
    with httpx.Client(base_url=portal) as client:
        page = _consent_page(client, item, practice)
    assert "read or changed by people other than you while it travels" in page.text
    assert "<li>Email can be sent to the wrong address by mistake, and it can be forwarded" in (
        page.text
    )


def test_reflow_joins_paragraphs_and_numbered_items() -> None:
    """Paragraphs and items lose their hard wraps; the items stay a list of six."""
    blocks = reflow(SHIPPED.text)
    [items] = [b.items for b in blocks if b.items]
    assert len(items) == 6
    assert all("\n" not in b.text and all("\n" not in i for i in b.items) for b in blocks)
    assert items[5] == "This consent ends on the expiry date shown below unless you renew it."


def test_the_patients_choice_is_recorded_and_shown_back(
    portal: str, practice: FakePractice, item: PortalItem
) -> None:
    """Billing for 90 days: that is what the register gets, and what the thank-you page shows."""
    with httpx.Client(base_url=portal) as client:
        page = _consent_page(client, item, practice)
        done = _post(client, page, scope="billing", days="90")
        assert done.status_code == HTTP_OK
    [(_rid, _addr, _version, terms)] = practice.consents
    assert terms.scopes == ("billing",)
    assert terms.expires.isoformat() == "2027-03-04"
    shown = _text(done)
    assert "This is what we recorded" in shown
    assert "Bills and statements" in shown and "Appointment reminders" not in shown
    assert "Valid until 4 March 2027" in shown
    assert "Consent number C-0001" in shown
    _action, details, _ref = practice.events[-1]
    assert details["scopes"] == "billing" and details["expires"] == "2027-03-04"


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"scope": "lab_results", "days": "365"}, id="scope-not-allowed"),
        pytest.param({"scope": "billing", "days": "3650"}, id="duration-not-allowed"),
        pytest.param({"days": "365"}, id="no-scope"),
        pytest.param({"scope": "billing"}, id="no-duration"),
    ],
)
def test_a_choice_outside_what_the_practice_allows_records_nothing(
    portal: str, practice: FakePractice, item: PortalItem, fields: dict[str, str]
) -> None:
    """A forged or incomplete choice gets the page back with a message, and no consent."""
    with httpx.Client(base_url=portal) as client:
        page = _consent_page(client, item, practice)
        refused = _post(client, page, **fields)
    assert refused.status_code == BAD_REQUEST
    assert "Nothing was changed" in _text(refused)
    assert practice.consents == []


def test_the_practices_choices_come_from_the_config_and_a_bad_scope_is_refused() -> None:
    """portal.consent_scopes and consent_days become the page's choices; an unknown scope is a
    configuration error that names the setting and the known scopes."""
    settings = load_settings(
        None, {"portal": {"consent_scopes": ["billing", "lab_results"], "consent_days": [365, 30]}}
    )
    assert consent_choices(settings) == ConsentChoices(("billing", "lab_results"), (30, 365))
    bad = load_settings(None, {"portal": {"consent_scopes": ["everything"]}})
    with pytest.raises(ConfigError) as err:
        consent_choices(bad)
    assert "portal.consent_scopes" in str(err.value) and "lab_results" in str(err.value)
