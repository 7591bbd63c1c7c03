"""The pure report layer: figures from hand-made records, and the three renderers."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from detectors.masking import mask_address
from gateway.reports import (
    AuditRecord,
    Integrity,
    Report,
    ReportExtras,
    build_disclosures,
    build_report,
    render_csv,
    render_html,
    render_table,
)
from gateway.reports.build import protection_label
from gateway.reports.render import MAX_BARS, bar_chart
from tests.support.reports import (
    ALICE,
    BOB,
    NOW,
    SINCE,
    UNTIL,
    FixedKeyHasher,
    at,
    key_rows_pgp,
    key_rows_smime,
    month_records,
)
from tests.support.tables import table

HASHER = FixedKeyHasher()
OK = Integrity(ok=True, checked=29)
BROKEN = Integrity(
    ok=False, checked=29, problems=("seq 3 (ref M1): edited: x", "seq 9: deleted: y")
)
WARNING = "WARNING: audit chain failed verification (2 problems); figures may be wrong"


def extras(integrity: Integrity = OK) -> ReportExtras:
    """Extras with both key sources and the fixed report clock."""
    return ReportExtras(
        integrity=integrity,
        generated_at=NOW,
        key_rows=[*key_rows_smime(), *key_rows_pgp()],
        expiring_within=timedelta(days=30),
    )


@pytest.fixture(scope="module")
def report() -> Report:
    """The November report over the hand-made month."""
    return build_report(month_records(HASHER), SINCE, UNTIL, extras())


def test_counts_messages_and_events_inside_the_period_only(report: Report) -> None:
    """Ten messages and sixteen events fall in November; M0, M9 and the December view do not."""
    assert (report.messages, report.messages_with_phi, report.events) == (10, 8, 18)


@pytest.mark.parametrize(
    ("tally", "expected"),
    [
        # A monitor-mode decision is counted apart from the actions that really ran.
        pytest.param(
            "by_action",
            {
                "encrypt": 2,
                "monitor:encrypt": 1,
                "consent_allow": 2,
                "deliver": 1,
                "split": 1,
                "block": 1,
                "quarantine": 1,
                "none": 1,
            },
            id="messages-by-action-mark-monitor-mode",
        ),
        # The act stage's methods add up per recipient across messages.
        pytest.param(
            "by_method",
            {
                "encrypt(smime)": 2,
                "deliver": 2,
                "consent_allow": 2,
                "quarantine": 2,
                "encrypt(pgp)": 1,
                "portal": 1,
                "block": 1,
            },
            id="recipients-by-method-sum-the-act-stage",
        ),
        # A split message counts for each of its rules; a rejected message has no rule.
        pytest.param(
            "by_rule",
            {
                "phi-external": 4,
                "consent-family": 2,
                "no-phi": 1,
                "insurer-portal": 1,
                "misdirect-block": 1,
                "suspicious": 1,
                "(no rule)": 1,
            },
            id="messages-by-rule-count-each-route",
        ),
        # Each message counts once for every domain it went to.
        pytest.param(
            "by_domain",
            {
                "lab.example": 6,
                "family.example": 2,
                "other.example": 1,
                "insurer.example": 1,
                "gmail.example": 1,
            },
            id="messages-by-recipient-domain",
        ),
    ],
)
def test_tallies(report: Report, tally: str, expected: dict[str, int]) -> None:
    """Each tally counts what its row's comment says, over the hand-made month."""
    assert dict(getattr(report, tally)) == expected


def test_rules_most_used_first(report: Report) -> None:
    """The rule tally lists the most used rule first."""
    assert report.by_rule[0] == ("phi-external", 4)


def test_senders_are_keyed_hash_prefixes(report: Report) -> None:
    """Senders appear as 12-character keyed hash prefixes, never as addresses."""
    assert dict(report.by_sender) == {
        HASHER.keyed_hash(ALICE)[:12]: 5,
        HASHER.keyed_hash(BOB)[:12]: 5,
    }
    text = render_table(report) + render_csv(report) + render_html(report)
    assert "alice" not in text and "bob@" not in text


def test_consent_exceptions_with_their_ids(report: Report) -> None:
    """Each consent exception used is listed with its consent id, rule and message ref."""
    assert [(c.consent_id, c.ref, c.rule) for c in report.consent_uses] == [
        ("C-7", "M5", "consent-family"),
        ("C-9", "M11", "consent-family"),
    ]
    assert dict(report.consent_by_id) == {"C-7": 1, "C-9": 1}


def test_misdirection_catches(report: Report) -> None:
    """Messages flagged as misdirected are listed with what the gateway did."""
    assert [(m.ref_id, m.action, m.domains) for m in report.misdirected] == [
        ("M4", "block", ("gmail.example",)),
        ("M6", "quarantine", ("lab.example",)),
    ]


def test_quarantine_figures(report: Report) -> None:
    """Held comes from message records, released/deleted/revealed from officer events."""
    q = report.quarantine
    assert (q.held, q.released, q.deleted, q.release_failed, q.revealed) == (1, 1, 1, 1, 1)


def test_portal_pickups(report: Report) -> None:
    """Of four items stored, one was read, one expired unread, two are unread at the period's end."""
    p = report.portal
    assert (p.stored, p.read, p.unread, p.expired) == (4, 1, 2, 1)
    assert (p.views, p.downloads, p.code_failed, p.locked) == (3, 1, 1, 0)


def test_keys_expired_or_expiring_are_listed_masked(report: Report) -> None:
    """Expired and soon-expiring keys are listed soonest first; far, revoked and endless ones are not."""
    assert [(k.kind, k.address, k.days_left, k.status) for k in report.keys] == [
        ("smime", "o***@insurer.example", -2, "expired"),
        ("pgp", "l***@lab.example", 5, "ok"),
        ("smime", "d***@lab.example", 10, "valid"),
    ]
    assert report.keys[1].fingerprint == "EE" * 8


def test_period_bounds_are_inclusive_then_exclusive() -> None:
    """A record at `since` is in the period and one at `until` is not."""
    recs = [r for r in month_records(HASHER) if r.ref_id in ("M1", "M2")]
    rep = build_report(recs, at(10), at(10, 10), extras())
    assert dict(rep.by_action) == {"encrypt": 1}


def test_disclosures_list_the_patients_messages_in_time_order() -> None:
    """P-100's three November messages come oldest first, with how each was protected."""
    rep = build_disclosures(month_records(HASHER), "P-100", SINCE, UNTIL, extras())
    assert [(d.ref_id, d.domains, d.protection, d.consent_ids) for d in rep.disclosures] == [
        ("M1", ("lab.example",), ("encrypted (S/MIME) x1",), ()),
        ("M3", ("insurer.example", "lab.example"), ("encrypted (PGP) x1", "portal x1"), ()),
        ("M5", ("family.example",), ("consent exception x1",), ("C-7",)),
    ]
    assert rep.disclosures[0].entities == ("PERSON", "US_SSN")


def test_disclosures_without_a_period_cover_everything() -> None:
    """With no bounds the October and December messages join, still in time order."""
    rep = build_disclosures(month_records(HASHER), "P-100", None, None, extras())
    assert [d.ref_id for d in rep.disclosures] == ["M0", "M1", "M3", "M5", "M9"]
    assert rep.disclosures[-1].protection == ("delivered in clear x1",)


def test_disclosures_show_blocked_and_quarantined() -> None:
    """P-200's messages: one split, one blocked, one quarantined for two recipients."""
    rep = build_disclosures(month_records(HASHER), "P-200", SINCE, UNTIL, extras())
    assert [(d.ref_id, d.protection) for d in rep.disclosures] == [
        ("M3", ("encrypted (PGP) x1", "portal x1")),
        ("M4", ("blocked x1",)),
        ("M6", ("quarantined x2",)),
    ]


def test_a_roster_id_does_not_match_a_longer_one() -> None:
    """P-100 does not pick up P-1000's message (M10)."""
    rep = build_disclosures(month_records(HASHER), "P-1000", SINCE, UNTIL, extras())
    assert [d.ref_id for d in rep.disclosures] == ["M10"]


@pytest.mark.parametrize(
    ("method", "label"),
    table("reports.protection_labels"),
)
def test_protection_labels(method: str, label: str) -> None:
    """Each act-stage method has a plain-words label."""
    assert protection_label(method) == label


@pytest.mark.parametrize(
    ("address", "masked"),
    [("dr.jones@lab.example", "d***@lab.example"), ("", "(no address)"), ("odd", "***")],
)
def test_mask_address(address: str, masked: str) -> None:
    """Key addresses keep one letter and the domain."""
    assert mask_address(address) == masked


def _csv_figures(text: str) -> dict[tuple[str, str], str]:
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["section", "name", "value", "detail"]
    assert all(len(r) == 4 for r in rows)
    return {(r[0], r[1]): r[2] for r in rows[1:]}


def test_csv_parses_and_carries_the_figures(report: Report) -> None:
    """The CSV is one table of (section, name, value, detail) holding the same figures."""
    figures = _csv_figures(render_csv(report))
    assert figures[("summary", "messages")] == "10"
    assert figures[("action", "monitor:encrypt")] == "1"
    assert figures[("domain", "lab.example")] == "6"
    assert figures[("rule", "(no rule)")] == "1"
    assert figures[("consent_exception", "C-9")] == "M11"
    assert figures[("portal", "unread")] == "2"
    assert figures[("quarantine", "held")] == "1"
    assert figures[("key", "CC" * 8)] == "-2"


class _Checker(HTMLParser):
    """Collects tags and checks that non-void elements close in order."""

    VOID = {"meta", "br", "hr", "img", "input", "link"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += attrs
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def _parse_html(text: str) -> _Checker:
    checker = _Checker()
    checker.feed(text)
    checker.close()
    assert checker.stack == []
    return checker


def test_html_is_well_formed_self_contained_with_svg_charts(report: Report) -> None:
    """The HTML parses, closes every element, has SVG bar charts and loads nothing from outside."""
    page = _parse_html(render_html(report))
    assert page.tags.count("svg") == 4
    assert page.tags.count("rect") >= 5
    assert not {"script", "link", "img", "iframe", "object"} & set(page.tags)
    assert not [v for k, v in page.attrs if k in ("src", "href") or k.startswith("on")]
    assert "lab.example" in "".join(page.text)


def test_html_escapes_everything_from_the_log() -> None:
    """A hostile rule name shows as text in tables and charts, never as markup."""
    hostile = '<script>alert("x")</script>&'
    rec = AuditRecord(
        seq=1,
        ref_id="R1",
        ts=at(10),
        action="block",
        sender_hash="ab" * 32,
        recipient_domains=("lab.example",),
        stages=(
            {"stage": "decide", "outcome": "block", "reason": f"rule {hostile}: matched"},
            {"stage": "act", "outcome": "block", "reason": "block:1"},
        ),
    )
    rep = build_report([rec], SINCE, UNTIL, extras())
    assert dict(rep.by_rule) == {hostile: 1}
    html = render_html(rep)
    page = _parse_html(html)
    assert "script" not in page.tags
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert hostile in "".join(page.text)


def test_bar_chart_folds_the_long_tail() -> None:
    """Past MAX_BARS bars, the rest are summed into one 'others' bar."""
    counts = tuple((f"d{i}.example", 1) for i in range(MAX_BARS + 5))
    svg = bar_chart("domains", counts)
    assert svg.count("<rect") == MAX_BARS + 1
    assert "(5 others)" in svg


@pytest.mark.parametrize("render", [render_table, render_csv, render_html])
def test_forced_report_warns_on_its_first_line(render: object) -> None:
    """On a chain that failed verification, every format's first line is the warning."""
    rep = build_report(month_records(HASHER), SINCE, UNTIL, extras(BROKEN))
    assert callable(render)
    first = str(render(rep)).splitlines()[0]
    assert WARNING in first


def test_forced_disclosures_warn_on_the_first_line() -> None:
    """The disclosures report carries the same warning first."""
    rep = build_disclosures(month_records(HASHER), "P-100", SINCE, UNTIL, extras(BROKEN))
    for render in (render_table, render_csv, render_html):
        assert WARNING in render(rep).splitlines()[0]


def test_verified_report_has_no_warning(report: Report) -> None:
    """A verified chain's report starts with its title, not a warning."""
    for render in (render_table, render_csv, render_html):
        assert "WARNING" not in render(report)
