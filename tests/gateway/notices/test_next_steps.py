"""'What to do next' in a sender notice fits what happened (issue 11): a rule's own `next_steps`,
else the site's, else the steps for a misdirected message, a never-by-email rule, a missing key,
a missing consent, an unreadable part or a held message; never 'resend with [secure]' for all."""

from __future__ import annotations

import email
import email.policy
import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest

from gateway.actions.notices import TemplateNotices
from gateway.config import NoticeSettings
from gateway.message import RfcParser
from gateway.model import ActContext, ConfigError, Detection, Envelope
from gateway.patients.roster import PatientRoster
from gateway.policy.facts import Groups
from gateway.policy.rules import RulePolicy, load_policy
from tests.support import POLICIES
from tests.support.gateway import make_settings, port_of, running_gateway
from tests.support.mail import text_mail

ACTIONS = ("deliver", "encrypt", "portal", "block", "quarantine", "consent_allow", "tag")
SENDER = "nurse@practice.example"
RAW = (
    b"From: Nurse <nurse@practice.example>\r\nTo: someone@outside.example\r\n"
    b"Subject: Lab order\r\nMessage-ID: <n1@practice.example>\r\n\r\nPlease see the order.\r\n"
)


def _policy(tmp_path: Path, rule: str) -> RulePolicy:
    path = tmp_path / "policy.yaml"
    path.write_text(f"version: 1\nrules:\n  - {rule}\n  - {{name: rest, action: deliver}}\n")
    return RulePolicy(load_policy(path, ACTIONS, ()), Groups({}))


def _notice_text(policy: RulePolicy, step_index: int, kind: str, settings: NoticeSettings) -> str:
    """The plain text of the notice the rule's step would send, as the action builds it."""
    route = policy._routes[policy.document.rules[0].name]
    steps = (route.step, *route.fallback)
    parsed = RfcParser().parse(RAW)
    ctx = ActContext(
        message=parsed,
        original=parsed,
        envelope=Envelope(SENDER, ("someone@outside.example",)),
        step=steps[step_index],
        rule=route.rule,
        reason=route.reason,
        detection=Detection(phi=True, score=0.9),
        ref_id="PG-TEST-1",
        attempted=tuple(s.action for s in steps[:step_index]),
    )
    delivery = TemplateNotices(settings)(kind, ctx)
    assert delivery is not None and delivery.recipients == (SENDER,)
    return _text_part(delivery.content)


def _text_part(content: bytes) -> str:
    msg = email.message_from_bytes(content, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    body = msg.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert isinstance(text, str)
    return " ".join(text.split())  # the template wraps long lines


def _next_steps(text: str) -> str:
    return text.split("What to do next", 1)[1].split("Reference:", 1)[0]


SITE = NoticeSettings(postmaster="postmaster@practice.example")


@pytest.mark.parametrize(
    ("rule", "step", "kind", "expected"),
    [
        pytest.param(
            "{name: m, when: {phi: true, misdirected: true}, action: quarantine}",
            0,
            "quarantine",
            "Check the recipient address",
            id="misdirected",
        ),
        pytest.param(
            "{name: n, when: {entities: {any_of: [US_SSN]}}, action: block}",
            0,
            "block",
            "- Do not send this information by email. - Share it through the patient portal, by "
            "fax, or by phone instead.",
            id="never-by-email",
        ),
        pytest.param(
            "{name: e, when: {phi: true}, action: encrypt, fallback: [block]}",
            1,
            "fallback",
            "The recipient has no certificate or encryption key on file",
            id="no-key",
        ),
        pytest.param(
            "{name: e, when: {phi: true}, action: encrypt, fallback: [portal, block]}",
            2,
            "fallback",
            "- Until then, share the information by fax or by phone.",
            id="no-key-no-portal",
        ),
        pytest.param(
            "{name: c, when: {phi: true}, action: consent_allow, fallback: [block]}",
            1,
            "fallback",
            "No consent on file from the patient covers unencrypted email",
            id="no-consent",
        ),
        pytest.param(
            "{name: q, when: {phi: true}, action: quarantine}",
            0,
            "quarantine",
            "You do not need to do anything now",
            id="held",
        ),
        pytest.param(
            "{name: u, when: {unscannable: true}, action: encrypt, fallback: [quarantine]}",
            1,
            "quarantine",
            "could not be read, so the gateway could not check it",
            id="unscannable",
        ),
        pytest.param(
            "{name: o, when: {phi: true}, action: block, next_steps: [Call the lab on 4711.]}",
            0,
            "block",
            "- Call the lab on 4711.",
            id="rule-own",
        ),
    ],
)
def test_next_steps_fit_what_happened(
    tmp_path: Path, rule: str, step: int, kind: str, expected: str
) -> None:
    """Each situation gets its own steps, and none tells the sender to resend with [secure]."""
    text = _notice_text(_policy(tmp_path, rule), step, kind, SITE)
    steps = _next_steps(text)
    assert expected in steps
    assert "[secure]" not in text
    if "portal" in rule.partition("fallback")[2]:
        # the portal was tried and could not take it: the sender is not sent there
        assert "portal" not in steps


def test_a_rules_own_steps_replace_the_defaults_entirely(tmp_path: Path) -> None:
    """A rule with next_steps shows only those, not the misdirection defaults too."""
    policy = _policy(
        tmp_path,
        "{name: m, when: {misdirected: true}, action: quarantine, next_steps: [Ring Ann.]}",
    )
    assert _next_steps(_notice_text(policy, 0, "quarantine", SITE)).strip() == "- Ring Ann."


def test_the_sites_steps_apply_to_rules_without_their_own(tmp_path: Path) -> None:
    """notices.next_steps replaces the defaults; a rule's own steps still come first."""
    site = NoticeSettings(postmaster="postmaster@practice.example", next_steps=("Ask Ann.",))
    plain = _policy(tmp_path, "{name: n, action: block}")
    assert _next_steps(_notice_text(plain, 0, "block", site)).strip() == "- Ask Ann."
    own = _policy(tmp_path, "{name: n, action: block, next_steps: Ring Bob.}")
    assert _next_steps(_notice_text(own, 0, "block", site)).strip() == "- Ring Bob."


def test_an_empty_next_step_is_refused_with_its_line(tmp_path: Path) -> None:
    """A blank step is a mistake in the policy file, reported with file and line."""
    path = tmp_path / "policy.yaml"
    path.write_text("version: 1\nrules:\n  - name: n\n    action: block\n    next_steps: ['']\n")
    with pytest.raises(ConfigError) as err:
        load_policy(path, ACTIONS, ())
    assert f"{path}:5:" in str(err.value) and "next_steps" in str(err.value)


def test_a_never_by_email_rule_notice_over_smtp(tmp_path: Path, sink) -> None:
    """Through a real gateway: the blocked sender's notice says to use the portal, fax or phone."""
    policy = tmp_path / "never.yaml"
    policy.write_text(
        "version: 1\nrules:\n"
        "  - {name: never-email, when: {recipient: {domain: [outside.example]}}, action: block}\n"
        "  - {name: rest, action: deliver}\n"
    )
    settings = make_settings(
        tmp_path, sink[1], policy_file=str(policy), detection={"detector": "null"}
    )
    with running_gateway(settings) as gw:
        with smtplib.SMTP("127.0.0.1", port_of(gw), timeout=60) as s:
            s.sendmail(SENDER, ["someone@outside.example"], RAW)
    [notice] = sink[0].messages
    assert notice.rcpt_tos == [SENDER]
    text = _text_part(notice.content)
    assert "Share it through the patient portal, by fax, or by phone instead." in text
    assert "Subject: Lab order" in text  # a harmless subject is shown, so staff recognise it
    assert "[secure]" not in text


def test_a_misdirected_message_notice_over_smtp(tmp_path: Path, sink) -> None:
    """Through a real gateway with a roster: mail about one patient to another patient's address
    is held, and the sender is told to check the address, not to resend with [secure]."""
    settings = make_settings(
        tmp_path,
        sink[1],
        policy_file=str(POLICIES / "default.yaml"),
        groups={"internal": {"domains": ["practice.example"]}},
    )
    roster_csv = tmp_path / "roster.csv"
    roster_csv.write_text(
        "roster_id,name,dob,mrn,email\n"
        "R-000001,Maribel Oyelaran,1979-05-02,7734102,maribel.oyelaran@gmail.com\n"
        "R-000002,Tobias Lindqvist,1958-09-30,5521870,tobias.l@yahoo.com\n"
    )
    roster = PatientRoster(settings.patients.url, settings.patients.key_file)
    assert not roster.import_csv(roster_csv).errors
    roster.close()
    raw = text_mail(
        f"Nurse <{SENDER}>",
        "maribel.oyelaran@gmail.com",
        "Records",
        "Hello,\n\nAttached are the notes for Tobias Lindqvist, MRN 5521870: atrial "
        "fibrillation, apixaban 5 mg.\n",
    ).as_bytes(policy=email.policy.SMTP)
    with running_gateway(settings) as gw:
        with smtplib.SMTP("127.0.0.1", port_of(gw), timeout=120) as s:
            s.sendmail(SENDER, ["maribel.oyelaran@gmail.com"], raw)
    [notice] = sink[0].messages
    assert notice.rcpt_tos == [SENDER]
    text = _text_part(notice.content)
    steps = _next_steps(text)
    assert "Check the recipient address" in steps
    assert "[secure]" not in text and "Rule: misdirected" in text
    assert "Subject: Records" in text  # nothing found in it: shown so the sender recognises it
