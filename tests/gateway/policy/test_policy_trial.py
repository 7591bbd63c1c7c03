"""The policy trial the console calls (gateway.policy.trial.try_message): the configured groups
and detector with a draft policy's text, per-recipient results with every rule tried, and the
gateway's answer to a recipient no rule matches."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.components import default_registry
from gateway.config import load_settings
from gateway.model import ConfigError
from gateway.policy.trial import TEMPFAIL, KeyCheck, try_message

RAW = (
    b"From: desk@practice.example\r\nTo: a@partner.example, b@elsewhere.example\r\n"
    b"Subject: Hours\r\n\r\nWe are closed on Friday.\r\n"
)
DRAFT = """\
version: 1
rules:
  - {name: partners, when: {recipient: {group: business_associates}}, action: block}
  - {name: rest, action: deliver}
"""


@pytest.fixture
def settings(tmp_path: Path):
    """No scanning (the trial's policy side is under test); one partner domain; no stores."""
    return load_settings(
        None,
        {
            "detection": {"detector": "null"},
            "groups": {"business_associates": {"domains": ["partner.example"]}},
            "patients": {"key_file": str(tmp_path / "no-roster.key")},
        },
    )


def test_a_draft_policy_decides_per_recipient_with_every_rule_tried(settings) -> None:
    """The draft's first rule catches the partner (configured group), the second the other."""
    report = try_message(settings, default_registry(), RAW, policy_text=DRAFT)
    rows = {r.address: r for r in report.recipients}
    assert (rows["a@partner.example"].action, rows["a@partner.example"].rule) == (
        "block",
        "partners",
    )
    assert (rows["b@elsewhere.example"].action, rows["b@elsewhere.example"].rule) == (
        "deliver",
        "rest",
    )
    assert [(t.rule, t.matched) for t in rows["b@elsewhere.example"].tried] == [
        ("partners", False),
        ("rest", True),
    ]
    assert rows["b@elsewhere.example"].tried[0].reason == "recipient does not match"
    assert report.decision == "split"
    assert not (Path(settings.patients.key_file)).exists()  # a trial creates no roster key


def test_a_bad_draft_names_its_line(settings) -> None:
    """A mistake in the draft is a ConfigError at <draft>:line:column, as a file's would be."""
    bad = DRAFT.replace("action: block", "action: teleport")
    with pytest.raises(ConfigError) as err:
        try_message(settings, default_registry(), RAW, policy_text=bad)
    assert str(err.value).startswith("<draft>:3:") and "teleport" in str(err.value)


def test_a_recipient_no_rule_matches_makes_the_whole_message_wait(settings) -> None:
    """Without a catch-all the gateway answers 451 for the message: every recipient shows it."""
    partial = DRAFT.split("  - {name: rest")[0]
    report = try_message(
        settings, default_registry(), RAW, policy_text=partial, keys=KeyCheck(settings, {})
    )
    rows = {r.address: r for r in report.recipients}
    assert report.decision == TEMPFAIL
    assert rows["b@elsewhere.example"].rule == "(none)"
    assert "no rule matched" in rows["b@elsewhere.example"].reasons
    assert rows["a@partner.example"].action == TEMPFAIL
    assert any("451" in reason for reason in rows["a@partner.example"].reasons)
