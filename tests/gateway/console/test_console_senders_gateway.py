"""The sender directory fills itself as staff mail passes a real gateway on loopback: an officer
can answer "who sent this" from the keyed hash the audit record keeps, while an address outside
console.own_domains (a patient writing through the practice's server) never enters it."""

from __future__ import annotations

import smtplib
from contextlib import closing
from pathlib import Path

from gateway.audit import AuditLog
from gateway.console.store import ConsoleStore
from tests.support.gateway import make_settings, port_of, running_gateway, running_sink

MESSAGE = b"Subject: rota\r\n\r\nThe Tuesday rota is attached.\r\n"


def test_staff_senders_enter_the_directory_and_others_do_not(tmp_path: Path) -> None:
    with running_sink() as (sink, sink_port, _):
        settings = make_settings(
            tmp_path,
            sink_port,
            console={
                "url": f"sqlite:///{tmp_path}/console.db",
                "own_domains": ["Practice.example"],
            },
        )
        with running_gateway(settings) as gw:
            with smtplib.SMTP("127.0.0.1", port_of(gw), timeout=20) as client:
                for sender in ("Dr.Lee@practice.example", "jo.patient@mail.example"):
                    client.sendmail(sender, ["lab@lab.example"], MESSAGE)
        assert len(sink.messages) == 2
    a = settings.audit
    with closing(AuditLog(a.url, a.key_file, a.anchor_file, read_only=True)) as audit:
        staff = audit.keyed_hash("dr.lee@practice.example")
        patient = audit.keyed_hash("jo.patient@mail.example")
        recorded = {r["sender_hash"] for r in audit.records()}
    # The hashes looked up are the ones the audit records carry.
    assert {staff, patient} <= recorded
    with closing(ConsoleStore(settings.console.url)) as store:
        assert store.sender_address(staff) == "dr.lee@practice.example"
        assert store.sender_address(patient) is None


def test_without_own_domains_the_gateway_opens_no_console_database(tmp_path: Path) -> None:
    with running_sink() as (sink, sink_port, _):
        settings = make_settings(
            tmp_path, sink_port, console={"url": f"sqlite:///{tmp_path}/console.db"}
        )
        with running_gateway(settings) as gw:
            with smtplib.SMTP("127.0.0.1", port_of(gw), timeout=20) as client:
                client.sendmail("dr.lee@practice.example", ["lab@lab.example"], MESSAGE)
        assert len(sink.messages) == 1
    assert not (tmp_path / "console.db").exists()
