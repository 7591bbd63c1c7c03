"""Sender notices: complete multipart messages that explain a block, and never carry PHI."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from html import unescape
from pathlib import Path

import pytest

import gateway.notices.render as render_module
from detectors.config import DetectorConfig
from detectors.engine import _NER_LABELS
from detectors.masking import mask_text
from detectors.recognizers import default_recognizers
from gateway.notices import (
    ENTITY_WORDS,
    NOTICE_KINDS,
    SUBJECT_WITHHELD,
    NoticeContext,
    NoticeTemplateError,
    entity_words,
    place_words,
    render_notice,
    tally,
)
from tests.support.tables import table

POSTMASTER = "Clinic Postmaster <postmaster@clinic.example>"
SENDER = "dr.who@clinic.example"
REF = "PG-20261128-ABCD2345"

# Values planted in the fake original; none of them may reach a notice, nor any part of them:
# not the surname, its initial as a preview keeps it, the birth year, or the diagnosis chapter.
SSN = "123-45-6789"
MRN = "MRN 44556677"
DOB = "1985-03-04"
PATIENT = "Janette Doughberry"
ICD = "F32.1"
ATTACHMENT = "Janette_Doughberry_labs.pdf"
RAW_PHI = (SSN, MRN, "44556677", DOB, "1985", PATIENT, "Janette", "Doughberry", ICD, ATTACHMENT)
# What the old notices showed: masked previews and entity codes.
PREVIEWS = ("***-**-6789", "****6677", "J****** D*******", "F**.*", "****-**-**", "F32")
CODES = ("US_SSN", "PATIENT_NAME", "ICD10", "DOB", "MRN")

ORIGINAL = (
    f"From: {SENDER}\r\n"
    f"To: lab@lab.example, billing@insurer.example\r\n"
    f"Subject: Labs for {PATIENT} DOB {DOB}\r\n"
    f"\r\n"
    f"Patient {PATIENT}, SSN {SSN}, {MRN}, dx {ICD}. Attached: {ATTACHMENT}\r\n"
).encode()

# (entity, log-safe part label) per finding, as gateway.detect.PartLabels labels them.
FINDINGS = (
    ("US_SSN", "body"),
    ("MRN", "body"),
    ("ICD10", "body"),
    ("PATIENT_NAME", "body"),
    ("PATIENT_NAME", "body"),
    ("PATIENT_NAME", "subject"),
    ("DOB", "subject"),
    ("PATIENT_NAME", "attachment:1.pdf"),
)


def context_from_original(raw: bytes) -> NoticeContext:
    """Build a context the way the gateway would: counts per type and part, never a preview."""
    original = message_from_bytes(raw, policy=default_policy)
    recipients = [a.strip() for a in str(original["To"]).split(",")]
    return NoticeContext(
        ref_id=REF,
        rule="phi-to-external",
        action="block",
        reason_text="Protected health information to a recipient outside the practice.",
        entity_types=tuple(sorted({e for e, _ in FINDINGS})),
        found=tally(FINDINGS),
        locations=tuple(dict.fromkeys(w for _, w in FINDINGS)),
        subject=str(original["Subject"]),
        subject_has_phi=True,
        recipient_count=len(recipients),
        recipient_domains=tuple(sorted(r.rpartition("@")[2] for r in recipients)),
        date=datetime(2026, 11, 28, 9, 0, tzinfo=UTC),
    )


def parse(notice: bytes) -> EmailMessage:
    """Parse a rendered notice with the modern policy."""
    msg = message_from_bytes(notice, policy=default_policy)
    assert isinstance(msg, EmailMessage)
    return msg


def parts(msg: EmailMessage) -> tuple[str, str]:
    """The decoded text and HTML alternatives."""
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


@pytest.fixture
def ctx() -> NoticeContext:
    """A context built from the fake original with planted PHI."""
    return context_from_original(ORIGINAL)


@pytest.mark.parametrize("kind", NOTICE_KINDS)
def test_notice_is_complete_multipart(kind: str, ctx: NoticeContext) -> None:
    """Each kind renders a parseable multipart/alternative auto-reply from the postmaster."""
    msg = parse(render_notice(kind, ctx, postmaster=POSTMASTER, to=SENDER))  # type: ignore[arg-type]
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["From"].addresses[0].addr_spec == "postmaster@clinic.example"
    assert msg["To"] == SENDER
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["Message-ID"].endswith("@clinic.example>")
    assert msg["Date"].datetime is not None
    assert msg["Subject"] == f"Your message was not sent: {SUBJECT_WITHHELD}"
    assert all("MIME-Version" not in p for p in msg.iter_parts())
    assert not msg.defects


@pytest.mark.parametrize("kind", NOTICE_KINDS)
def test_notice_explains_what_why_and_next(kind: str, ctx: NoticeContext) -> None:
    """Both parts carry the ref id, rule, plain-word kinds with counts and places, next steps."""
    text, html = parts(parse(render_notice(kind, ctx, postmaster=POSTMASTER, to=SENDER)))  # type: ignore[arg-type]
    for body in (text, html):
        body = " ".join(body.split())
        assert REF in body
        assert "phi-to-external" in body
        assert (
            "In the message text: a Social Security number, a medical record number, "
            "a diagnosis code and two patient names." in body
        )
        assert "In the subject line: a patient name and a date of birth." in body
        assert "In an attachment (a PDF file): a patient name." in body
        assert "[secure]" in body
        assert "portal" in body
        assert "consent" in body
        assert "lab.example" in body and "2 recipients" in body
        assert "Contact postmaster@clinic.example" in body


@pytest.mark.parametrize("kind", NOTICE_KINDS)
def test_notice_never_carries_raw_phi(kind: str, ctx: NoticeContext) -> None:
    """No planted value, no masked preview of one and no entity code reaches the notice."""
    notice = render_notice(kind, ctx, postmaster=POSTMASTER, to=SENDER)  # type: ignore[arg-type]
    msg = parse(notice)
    text, html = parts(msg)
    raw = notice.decode("ascii", "replace")
    # the MIME boundary and the Message-ID are random digits that can hold a planted year
    # ("===============1929511365828198575==" holds "1985"): they are not the notice's content
    for generated in (msg.get_boundary(), msg["Message-ID"]):
        if generated:
            raw = raw.replace(str(generated), "")
    haystacks = (raw, text, html, str(msg["Subject"]))
    for value in (*RAW_PHI, *PREVIEWS, *CODES):
        for hay in haystacks:
            assert value not in hay
    assert b"Attached:" not in notice  # nothing of the original body


def test_previews_from_an_older_caller_are_dropped(ctx: NoticeContext) -> None:
    """A caller that still passes masked previews gets a notice without them."""
    old = dataclasses.replace(ctx, previews=("PATIENT_NAME: J****** D*******", "ICD10: F**.*"))
    assert old.previews == ()
    text, html = parts(parse(render_notice("block", old, postmaster=POSTMASTER, to=SENDER)))
    for body in (text, html):
        assert "J****** D*******" not in body and "F**.*" not in body


def test_harmless_subject_is_shown_verbatim(ctx: NoticeContext) -> None:
    """With no finding in the subject, the sender sees it as written, in the body and header."""
    clean = dataclasses.replace(
        ctx,
        subject="Thursday's staff meeting",
        subject_has_phi=False,
        found=tally(f for f in FINDINGS if f[1] != "subject"),
        locations=("body", "attachment:1.pdf"),
    )
    msg = parse(render_notice("block", clean, postmaster=POSTMASTER, to=SENDER))
    assert msg["Subject"] == "Your message was not sent: Thursday's staff meeting"
    text, html = parts(msg)
    assert "Subject: Thursday's staff meeting" in text
    assert "Thursday&#39;s staff meeting" in html or "Thursday's staff meeting" in html
    assert SUBJECT_WITHHELD not in text


@pytest.mark.parametrize(
    ("subject_has_phi", "locations", "found"),
    [
        (True, (), ()),  # the caller says so
        (False, ("subject",), ()),  # a finding's place says so
        (False, (), (("DOB", "subject"),)),  # a count says so
    ],
)
def test_subject_with_a_finding_is_withheld_whole(
    ctx: NoticeContext,
    subject_has_phi: bool,
    locations: tuple[str, ...],
    found: tuple[tuple[str, str], ...],
) -> None:
    """Any sign of a finding in the subject withholds the whole subject, header included."""
    held = dataclasses.replace(
        ctx,
        subject=f"Labs for {PATIENT} DOB {DOB}",
        subject_has_phi=subject_has_phi,
        locations=locations,
        found=tally(found),
        entity_types=("DOB",),
    )
    msg = parse(render_notice("quarantine", held, postmaster=POSTMASTER, to=SENDER))
    assert msg["Subject"] == f"Your message was not sent: {SUBJECT_WITHHELD}"
    text, html = parts(msg)
    for body in (text, html, str(msg["Subject"])):
        assert "Labs" not in body and "Doughberry" not in body and "1985" not in body


def test_types_without_counts_are_named_in_plain_words(ctx: NoticeContext) -> None:
    """A context with entity types and places but no counts still names no code."""
    types_only = dataclasses.replace(
        ctx,
        found=(),
        entity_types=("ICD10", "MRN", "US_SSN", "SOMETHING_NEW"),
        locations=("body", "attachment:Janette_Doughberry_labs.pdf"),
    )
    text, html = parts(parse(render_notice("block", types_only, postmaster=POSTMASTER, to=SENDER)))
    for body in (text, html):
        body = " ".join(body.split())
        assert "diagnosis code, medical record number, Social Security number" in body
        assert "other item of patient information" in body
        assert "Where: the message text, an attachment" in body
        for code in ("ICD10", "MRN", "US_SSN", "SOMETHING_NEW", "Doughberry", "labs"):
            assert code not in body


def test_context_has_only_safe_fields() -> None:
    """NoticeContext has no field that could hold the message, its body or matched text."""
    names = {f.name for f in dataclasses.fields(NoticeContext)}
    assert names == {
        "ref_id",
        "rule",
        "action",
        "reason_text",
        "entity_types",
        "found",
        "previews",
        "locations",
        "subject",
        "subject_masked",
        "subject_has_phi",
        "recipient_count",
        "recipient_domains",
        "date",
        "timezone",
        "help_contact",
        "next_steps",
    }


def test_context_refuses_a_message_object(ctx: NoticeContext) -> None:
    """Passing a message object or a list where tuples of str belong is a TypeError."""
    with pytest.raises(TypeError, match="subject"):
        dataclasses.replace(ctx, subject=message_from_bytes(ORIGINAL))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="previews"):
        dataclasses.replace(ctx, previews=[SSN])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="found"):
        dataclasses.replace(ctx, found=(("US_SSN", "body", 1),))  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        ctx.rule = "x"  # type: ignore[misc]


def test_html_is_autoescaped(ctx: NoticeContext) -> None:
    """Markup in context values is escaped in the HTML part."""
    evil = dataclasses.replace(ctx, reason_text="<script>alert(1)</script>")
    _, html = parts(parse(render_notice("block", evil, postmaster=POSTMASTER, to=SENDER)))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_next_steps_are_configurable(ctx: NoticeContext) -> None:
    """The next steps come from the context, so a site's wording replaces the default."""
    custom = dataclasses.replace(ctx, next_steps=("Call compliance at extension 4711.",))
    text, html = parts(parse(render_notice("block", custom, postmaster=POSTMASTER, to=SENDER)))
    assert "extension 4711" in text and "extension 4711" in html
    assert "[secure]" not in text


def test_fresh_message_id_each_time(ctx: NoticeContext) -> None:
    """Two renders of the same notice get different Message-IDs."""
    a = parse(render_notice("block", ctx, postmaster=POSTMASTER, to=SENDER))
    b = parse(render_notice("block", ctx, postmaster=POSTMASTER, to=SENDER))
    assert a["Message-ID"] != b["Message-ID"]


def test_site_override_wins(tmp_path: Path, ctx: NoticeContext) -> None:
    """A site file with a shipped name replaces that file only; the others stay shipped."""
    (tmp_path / "block.txt.j2").write_text("Site notice {{ ref_id }} rule {{ rule }}\n")
    (tmp_path / "block.subject.j2").write_text("Blocked: {{ subject }}\n")
    msg = parse(
        render_notice("block", ctx, postmaster=POSTMASTER, to=SENDER, template_dirs=[tmp_path])
    )
    text, html = parts(msg)
    assert text.replace("\r\n", "\n") == f"Site notice {REF} rule phi-to-external\n"
    assert msg["Subject"] == f"Blocked: {SUBJECT_WITHHELD}"
    assert "What to do next" in html


def test_site_template_of_the_old_variables_shows_no_phi(
    tmp_path: Path, ctx: NoticeContext
) -> None:
    """A site template still naming subject_masked, entity_types and previews gets safe values."""
    (tmp_path / "block.txt.j2").write_text(
        "{{ subject_masked }}|{{ entity_types | join(',') }}|{{ locations | join(',') }}|"
        "{{ previews | join(',') }}\n"
    )
    msg = parse(
        render_notice("block", ctx, postmaster=POSTMASTER, to=SENDER, template_dirs=[tmp_path])
    )
    text, _html = parts(msg)
    subject, types, places, previews = text.strip().split("|")
    assert subject == SUBJECT_WITHHELD
    assert types.split(",") == [
        "date of birth",
        "diagnosis code",
        "medical record number",
        "patient name",
        "Social Security number",
    ]
    assert places.split(",") == [
        "the message text",
        "the subject line",
        "an attachment (a PDF file)",
    ]
    assert previews == ""


def test_site_partial_override_reaches_shipped_layout(tmp_path: Path, ctx: NoticeContext) -> None:
    """Overriding an included partial changes every notice that includes it."""
    (tmp_path / "_details.html.j2").write_text("<p>Site details {{ ref_id }}</p>\n")
    _, html = parts(
        parse(
            render_notice(
                "quarantine", ctx, postmaster=POSTMASTER, to=SENDER, template_dirs=[tmp_path]
            )
        )
    )
    assert f"Site details {REF}" in html
    assert "held in quarantine" in html


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ("line one\n{% if %}\n", 2),  # syntax error
        ("ok\nok\n{{ no_such_field }}\n", 3),  # undefined under StrictUndefined
        ("{{ ''.__class__.__mro__[1].__subclasses__() }}\n", 1),  # sandbox escape
        ("{{ next_steps.append('x') }}\n", 1),  # mutation in the immutable sandbox
    ],
)
def test_broken_site_template_falls_back(
    tmp_path: Path,
    ctx: NoticeContext,
    caplog: pytest.LogCaptureFixture,
    content: str,
    line: int,
) -> None:
    """A broken site template is logged with its file and line, and the shipped one is used."""
    (tmp_path / "block.txt.j2").write_text(content)
    with caplog.at_level(logging.ERROR, logger="phigate.notices"):
        msg = parse(
            render_notice("block", ctx, postmaster=POSTMASTER, to=SENDER, template_dirs=[tmp_path])
        )
    text, _ = parts(msg)
    assert "What to do next" in text and REF in text
    [record] = [r for r in caplog.records if r.name == "phigate.notices"]
    assert record.template.endswith("block.txt.j2")  # type: ignore[attr-defined]
    assert str(tmp_path) in record.template  # type: ignore[attr-defined]
    assert record.line == line  # type: ignore[attr-defined]


def test_broken_shipped_template_names_file_and_line(
    tmp_path: Path, ctx: NoticeContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When no working template is left, the error names the template file and line."""
    for kind in ("subject", "html"):
        (tmp_path / f"block.{kind}.j2").write_text("fine\n")
    (tmp_path / "block.txt.j2").write_text("a\nb\n{{ rule | nosuchfilter }}\n")
    monkeypatch.setattr(render_module, "SHIPPED_TEMPLATES", tmp_path)
    with pytest.raises(NoticeTemplateError) as info:
        render_notice("block", ctx, postmaster=POSTMASTER, to=SENDER)
    assert info.value.filename is not None and info.value.filename.endswith("block.txt.j2")
    assert info.value.lineno == 3
    assert f"{tmp_path / 'block.txt.j2'}:3" in str(info.value)


def test_unknown_kind_refused(ctx: NoticeContext) -> None:
    """An unknown notice kind is a clear error, not a missing-template crash."""
    with pytest.raises(NoticeTemplateError, match="unknown notice kind"):
        render_notice("bounce", ctx, postmaster=POSTMASTER, to=SENDER)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "masked"),
    table("notices.mask_text"),
)
def test_mask_text(text: str, masked: str) -> None:
    """mask_text keeps word shapes and punctuation, masks every digit and all but first letters."""
    assert mask_text(text) == masked


def _emitted_entities() -> set[str]:
    """Every entity type the detectors can put in a finding."""
    out = {e for r in default_recognizers(DetectorConfig()) for e in r.entities}
    out |= set(_NER_LABELS.values())
    out |= {"PATIENT_NAME", "PROVIDER_NAME"}  # names the engine refines PERSON into
    decision = DetectorConfig().decision
    for name in (
        "strong_identifiers",
        "linked_identifiers",
        "contact_identifiers",
        "health_entities",
    ):
        out |= set(getattr(decision, name, ()))
    return out


def test_every_detected_entity_type_has_plain_words() -> None:
    """Each entity type the detectors emit has its own phrase, and no phrase shows a code."""
    emitted = _emitted_entities()
    assert {"US_SSN", "MRN", "DOB", "ICD10", "PATIENT_NAME"} <= emitted
    missing = sorted(e for e in emitted if e not in ENTITY_WORDS)
    assert missing == []
    for entity in emitted:
        for count in (1, 2, 12):
            words = entity_words(entity, count)
            assert entity not in words and "_" not in words


@pytest.mark.parametrize(
    ("entity", "count", "words"),
    table("notices.entity_words"),
)
def test_entity_words(entity: str, count: int, words: str) -> None:
    """Entity types read as plain words with their counts; an unknown type gets a generic phrase."""
    assert entity_words(entity, count) == words


@pytest.mark.parametrize(
    ("label", "numbered", "words"),
    table("notices.place_words_never_show_a_file_name"),
)
def test_place_words_never_show_a_file_name(label: str, numbered: bool, words: str) -> None:
    """Places read as plain words; an attachment is named by position and known type at most."""
    assert place_words(label, numbered) == words


def test_several_attachments_are_numbered(ctx: NoticeContext) -> None:
    """With findings in two attachments, each is told apart by its position."""
    two = dataclasses.replace(
        ctx, found=tally([("DOB", "attachment:1.pdf"), ("MRN", "attachment:2"), ("DOB", "body")])
    )
    text, _html = parts(parse(render_notice("block", two, postmaster=POSTMASTER, to=SENDER)))
    text = " ".join(text.split())
    assert "In attachment 1 (a PDF file): a date of birth." in text
    assert "In attachment 2: a medical record number." in text
    assert "In the message text: a date of birth." in text


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Set the machine's local time zone (TZ) for the test, and restore it afterwards."""

    def set_zone(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield set_zone
    monkeypatch.undo()
    time.tzset()


def test_date_is_in_the_machines_zone_and_says_so(
    ctx: NoticeContext, zone: Callable[[str], None]
) -> None:
    """With no site zone, the time is the gateway machine's local time and the notice says so."""
    zone("America/Chicago")
    text, html = parts(parse(render_notice("block", ctx, postmaster=POSTMASTER, to=SENDER)))
    for body in (text, unescape(html)):
        # 09:00 UTC on 28 November is 03:00 in Chicago (CST, UTC-6).
        assert "2026-11-28 03:00 CST (UTC-06:00, the gateway server's time zone)" in body
        assert "09:00" not in body


def test_date_is_in_the_site_zone_when_one_is_set(
    ctx: NoticeContext, zone: Callable[[str], None]
) -> None:
    """A site zone wins over the machine's, and is named in the notice."""
    zone("America/Chicago")
    berlin = dataclasses.replace(ctx, timezone="Europe/Berlin")
    text, _html = parts(parse(render_notice("block", berlin, postmaster=POSTMASTER, to=SENDER)))
    assert "2026-11-28 10:00 CET (Europe/Berlin)" in text
    unknown = dataclasses.replace(ctx, timezone="Mars/Olympus_Mons")
    text, _html = parts(parse(render_notice("block", unknown, postmaster=POSTMASTER, to=SENDER)))
    assert "2026-11-28 03:00 CST (UTC-06:00, the gateway server's time zone)" in text


def test_help_contact(ctx: NoticeContext) -> None:
    """The notice names a help contact: the site's if given, else the postmaster's address."""
    text, _ = parts(parse(render_notice("block", ctx, postmaster=POSTMASTER, to=SENDER)))
    assert "Questions? Contact postmaster@clinic.example and quote this reference" in text
    site = dataclasses.replace(ctx, help_contact="the compliance office on extension 4711")
    text, html = parts(parse(render_notice("block", site, postmaster=POSTMASTER, to=SENDER)))
    for body in (text, html):
        assert "Contact the compliance office on extension 4711 and quote" in " ".join(body.split())
    # The unconfigured default postmaster is nobody to write to.
    text, _ = parts(
        parse(render_notice("block", ctx, postmaster="postmaster@localhost", to=SENDER))
    )
    assert "localhost" not in text.split("Reference:")[1]
    assert "contact your compliance officer" in text
