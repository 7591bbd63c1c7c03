"""A real Postfix hands mail to phigate and takes it back, in after-queue and before-queue mode."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence

import pytest

from detectors.extract import ExtractLimits, extract_message
from detectors.extract.message import unfold_smtp_lines
from tests.support.postfix import (
    SMTP_OK,
    CapturedMessage,
    CapturingSink,
    GatewayProcess,
    PostfixInstance,
    PostfixPorts,
    gateway_argv,
    running_postfix,
    snippet_entry,
    submit,
    wait_until,
    write_phigate_config,
)

pytestmark = pytest.mark.postfix

SENDER = "frontdesk@practice.example"
DELIVERY_TIMEOUT = 20.0

# Plain office chatter (nothing a DLP rule should act on) with the awkward bits
# a relay can damage: leading dots, trailing blanks, a tab, 8-bit text, a long line.
BODY = (
    "Hello team,\r\n"
    "\r\n"
    ".this line starts with a dot\r\n"
    "..and this one with two\r\n"
    "trailing blanks stay   \r\n"
    "\ta tab leads this line\r\n"
    "café crème for the break room, s'il vous plaît\r\n" + "word " * 150 + "\r\n"
    "\r\n"
    "-- \r\n"
    "the front desk\r\n"
).encode("utf-8")


def make_message(tag: str) -> tuple[str, bytes]:
    """Return a unique Message-ID and a complete message with BODY."""
    message_id = f"<{tag}.{uuid.uuid4().hex}@practice.example>"
    header = (
        f"From: Front Desk <{SENDER}>\r\n"
        "To: office@partner.example\r\n"
        f"Subject: toner order {tag}\r\n"
        f"Message-ID: {message_id}\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
    ).encode("ascii")
    return message_id, header + b"\r\n" + BODY


def unique_recipient(local: str) -> str:
    """Return a recipient address no other test uses."""
    return f"{local}-{uuid.uuid4().hex[:12]}@partner.example"


@pytest.fixture(scope="module")
def internet() -> Iterator[CapturingSink]:
    """A capturing SMTP server that plays the internet (Postfix's relayhost)."""
    with CapturingSink() as server:
        yield server


@pytest.fixture(scope="module")
def postfix(internet: CapturingSink) -> Iterator[PostfixInstance]:
    """A private real Postfix built from deploy/postfix/, relaying to the internet."""
    with running_postfix(PostfixPorts.allocate(sink=internet.port)) as instance:
        yield instance


@pytest.fixture(scope="module")
def phigate_process(
    postfix: PostfixInstance, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[GatewayProcess]:
    """phigate serve between the gateway port and Postfix's reinjection listener (not yet started)."""
    workdir = tmp_path_factory.mktemp("phigate")
    config = write_phigate_config(workdir)
    process = GatewayProcess(
        gateway_argv(postfix.ports.gateway, postfix.ports.reinject, config),
        postfix.ports.gateway,
        workdir / "phigate.log",
    )
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def phigate(phigate_process: GatewayProcess) -> GatewayProcess:
    """The phigate process, running when the test starts (tests may stop it)."""
    phigate_process.start()
    return phigate_process


def wait_for_deliveries(
    postfix: PostfixInstance, internet: CapturingSink, message_ids: Sequence[str]
) -> None:
    """Wait until every message reached the sink and Postfix's queue is empty."""

    def done() -> bool:
        return all(internet.with_message_id(mid) for mid in message_ids) and not postfix.queue()

    wait_until(
        done, timeout=DELIVERY_TIMEOUT, what="delivery to the sink", context=postfix.describe
    )


def assert_delivered_once(
    internet: CapturingSink, expected: Mapping[str, Sequence[str]]
) -> list[CapturedMessage]:
    """Assert each Message-ID reached each of its recipients exactly once with BODY intact."""
    deliveries: list[CapturedMessage] = []
    for message_id, recipients in expected.items():
        copies = internet.with_message_id(message_id)
        delivered_to = sorted(rcpt for copy in copies for rcpt in copy.rcpt_tos)
        assert delivered_to == sorted(recipients), message_id
        for copy in copies:
            assert copy.mail_from == SENDER
            assert copy.body == BODY
        deliveries.extend(copies)
    return deliveries


def test_after_queue_loop_delivers_each_message_once_with_its_body_intact(
    postfix: PostfixInstance, phigate: GatewayProcess, internet: CapturingSink
) -> None:
    """Queued mail goes Postfix -> phigate -> reinjection -> sink once per recipient, body byte-for-byte."""
    expected: dict[str, list[str]] = {}
    queue_ids = []
    for tag, recipients in (
        ("aq-two", [unique_recipient("lab"), unique_recipient("insurer")]),
        ("aq-one", [unique_recipient("referral")]),
    ):
        message_id, content = make_message(tag)
        result = submit(postfix.ports.after_queue, SENDER, recipients, content, eight_bit=True)
        assert (result.stage, result.code) == ("data", SMTP_OK), result
        assert result.queue_id is not None, result
        expected[message_id] = recipients
        queue_ids.append(result.queue_id)

    wait_for_deliveries(postfix, internet, list(expected))

    assert_delivered_once(internet, expected)
    via_gateway = f"relay=127.0.0.1[127.0.0.1]:{postfix.ports.gateway},"
    for queue_id in queue_ids:
        sent_lines = [line for line in postfix.log_lines(queue_id) if "status=sent" in line]
        assert sent_lines, postfix.describe()
        assert all(via_gateway in line for line in sent_lines), sent_lines


def test_after_queue_defers_while_phigate_is_down_and_delivers_once_when_it_is_back(
    postfix: PostfixInstance, phigate: GatewayProcess, internet: CapturingSink
) -> None:
    """With phigate stopped Postfix keeps mail deferred; after restart and a flush each arrives exactly once."""
    assert phigate.stop() == 0, phigate.log_tail()

    expected: dict[str, list[str]] = {}
    queue_ids: set[str] = set()
    for number in range(5):
        message_id, content = make_message(f"deferred-{number}")
        recipient = unique_recipient(f"deferred{number}")
        result = submit(postfix.ports.after_queue, SENDER, [recipient], content, eight_bit=True)
        assert (result.stage, result.code) == ("data", SMTP_OK), result
        assert result.queue_id is not None, result
        expected[message_id] = [recipient]
        queue_ids.add(result.queue_id)

    def all_deferred() -> bool:
        return all(
            any("status=deferred" in line for line in postfix.log_lines(queue_id))
            for queue_id in queue_ids
        )

    wait_until(all_deferred, timeout=DELIVERY_TIMEOUT, what="deferral", context=postfix.describe)
    # Retries may move a message to the active queue for a moment; it stays queued either way.
    assert queue_ids <= {entry.queue_id for entry in postfix.queue()}, postfix.describe()
    assert not [mid for mid in expected if internet.with_message_id(mid)]

    phigate.start()
    postfix.flush()
    wait_for_deliveries(postfix, internet, list(expected))

    assert len(assert_delivered_once(internet, expected)) == len(expected)


def test_postfix_breaks_a_long_line_as_phigate_joins_it_back(
    postfix: PostfixInstance, phigate: GatewayProcess, internet: CapturingSink
) -> None:
    """Postfix hands phigate a line over 998 bytes broken with a line end and a space (its
    smtp_line_length_limit), so what straddles byte 998 arrives in two pieces; the extraction's
    `unfold_smtp_lines` gives back the line as it was sent, byte for byte."""
    line = b"".join(b"room %04d booked for the audit; " % n for n in range(100))
    assert len(line) > 3000
    message_id, content = make_message("long-line")
    content = content.replace(BODY, b"Hello,\r\n\r\n" + line + b"\r\n")
    recipient = unique_recipient("facilities")
    result = submit(postfix.ports.after_queue, SENDER, [recipient], content, eight_bit=True)
    assert (result.stage, result.code) == ("data", SMTP_OK), result
    wait_for_deliveries(postfix, internet, [message_id])
    (copy,) = internet.with_message_id(message_id)
    body = copy.body
    assert line not in body  # Postfix did break it
    assert max(len(part) for part in body.split(b"\r\n")) == 998
    assert unfold_smtp_lines(body) == b"Hello,\r\n\r\n" + line + b"\r\n"


def test_postfix_breaks_a_long_subject_as_phigate_joins_it_back(
    postfix: PostfixInstance, phigate: GatewayProcess, internet: CapturingSink
) -> None:
    """Postfix breaks a header line over 998 bytes as it breaks a body line ("Subject: "
    counted); read as RFC 5322 folding the break leaves a space inside what straddles it.
    The extraction joins the header's broken lines first, so it reads the Subject as sent."""
    subject = "".join(f"room {n:04d} booked for the audit; " for n in range(100))
    assert len(subject) > 3000
    message_id, content = make_message("long-subject")
    content = content.replace(b"Subject: toner order long-subject", f"Subject: {subject}".encode())
    recipient = unique_recipient("facilities")
    result = submit(postfix.ports.after_queue, SENDER, [recipient], content, eight_bit=True)
    assert (result.stage, result.code) == ("data", SMTP_OK), result
    wait_for_deliveries(postfix, internet, [message_id])
    (copy,) = internet.with_message_id(message_id)
    head = copy.content.partition(b"\r\n\r\n")[0]
    assert f"Subject: {subject}".encode() not in head  # Postfix did break it
    assert max(len(line) for line in head.split(b"\r\n")) == 998
    parts = extract_message(copy.content, ExtractLimits()).parts
    assert [p.text for p in parts if p.part == "subject"] == [subject]


def test_before_queue_proxy_passes_mail_through_phigate(
    postfix: PostfixInstance, phigate: GatewayProcess, internet: CapturingSink
) -> None:
    """smtpd_proxy_filter hands the message to phigate, whose 250 the client gets once it is queued."""
    message_id, content = make_message("bq-pass")
    recipients = [unique_recipient("lab"), unique_recipient("referral")]

    result = submit(postfix.ports.before_queue, SENDER, recipients, content, eight_bit=True)

    assert (result.stage, result.code) == ("data", SMTP_OK), result
    wait_for_deliveries(postfix, internet, [message_id])
    assert len(assert_delivered_once(internet, {message_id: recipients})) == 1


def test_before_queue_proxy_tempfails_at_end_of_data_while_phigate_is_down(
    postfix: PostfixInstance, phigate: GatewayProcess, internet: CapturingSink
) -> None:
    """With phigate stopped the client gets a 4xx at end of DATA and nothing is queued or delivered."""
    assert phigate.stop() == 0, phigate.log_tail()
    message_id, content = make_message("bq-down")
    recipient = unique_recipient("lab")

    result = submit(postfix.ports.before_queue, SENDER, [recipient], content, eight_bit=True)

    assert result.stage == "data", result
    assert 400 <= result.code < 500, result
    assert not [entry for entry in postfix.queue() if recipient in entry.recipients]
    assert internet.with_message_id(message_id) == []


def test_both_snippets_ship_the_same_reinjection_listener() -> None:
    """The before-queue guide's reinjection listener is the after-queue one, so sites can add it once."""
    service = "127.0.0.1:10026"
    after = snippet_entry("after-queue", service)
    before = snippet_entry("before-queue", service)
    assert after == before
    assert after.option("content_filter") == ""
    submission = snippet_entry("before-queue", "submission")
    assert submission.option("smtpd_proxy_filter") == "127.0.0.1:10025"
    assert submission.option("content_filter") is None
