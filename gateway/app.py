"""The composition root: builds every component from Settings, once per worker (or per reload)."""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import structlog

from gateway.audit import AuditEntry, AuditError, AuditLog, AuditWriter
from gateway.audit.entry import PENDING_ACTION
from gateway.components import default_registry
from gateway.config import Settings
from gateway.delivery.dkim import DkimSigner
from gateway.delivery.outbox import Outbox
from gateway.delivery.relay import CommitGate, NextHopPool, Relay
from gateway.message import RfcParser
from gateway.model import Delivery, Envelope, Outcome, Reply, Verdict
from gateway.ops.metrics import Metrics
from gateway.ops.tls import server_tls_context
from gateway.pipeline import Pipeline
from gateway.policy import shipped as shipped_policies
from gateway.policy.facts import Groups
from gateway.policy.rules import PolicyDocument, load_policy
from gateway.policy.trial import policy_stages
from gateway.registry import Registry
from gateway.services import Services
from gateway.smtp.auth import CredentialStore, client_ip, in_networks
from gateway.storage.stores import check_stores

log = structlog.get_logger("phigate.app")
# A pending audit record that failed is tried once more after this pause before a 451.
PENDING_RETRY_DELAY_S = 0.2
# Stage jobs (parse, scan, policy facts) are CPU-bound Python: two at once on one worker only
# fight over the GIL, which cost 40% more CPU per scanned message (docs/performance.md, "Stage
# jobs take turns"). A job therefore waits for the one before it to finish, but never longer than
# this: a slow scan still cannot hold up the mail queued behind it.
STAGE_TURN_WAIT_S = 0.25


def shipped_path(path: Path) -> Path:
    """A path as given if it exists, else a `policies/...` name as the packaged shipped file."""
    return shipped_policies.resolve(path)


def check_policy(
    settings: Settings, registry: Registry | None = None, groups: Groups | None = None
) -> PolicyDocument:
    """Load the configured policy as the gateway does; ConfigError names file:line if bad."""
    registry = registry or default_registry()
    groups = groups or Groups(settings.groups, None, settings.patients.allowed_groups)
    return load_policy(shipped_path(settings.policy_file), registry.names("action"), groups.names())


class AuditUnavailable(AuditError):
    """The audit store could not make a message's record durable, so the message waits (451)."""

    code = "audit-unavailable"


def _domains(addresses: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({d for a in addresses if (d := a.rpartition("@")[2].lower())}))


def _pending_written(verdict: Verdict) -> bool:
    """Whether the pipeline got past the pending record (the policy decided and it held)."""
    stages = verdict.stages
    decided = any(s.stage == "decide" for s in stages)
    return decided and not (stages and stages[-1].reason == AuditUnavailable.code)


class LazyRoster:
    """The patient roster, opened on first use (a relay that never asks opens no database)."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def __getattr__(self, name: str) -> Any:
        return getattr(self._services.roster, name)


class GatedRelay:
    """The relay as one SMTP message's Deliverer: its final dot asks the session's CommitGate."""

    def __init__(self, relay: Relay, gate: CommitGate) -> None:
        self.relay = relay
        self.gate = gate

    async def deliver(self, deliveries: tuple[Delivery, ...], ref_id: str) -> Outcome:
        """See Deliverer."""
        return await self.relay.deliver(deliveries, ref_id, self.gate)


_ADDRESS = re.compile(r"^[^\s<>()\[\]\\,;:\x00-\x1f\x7f]+@[^\s<>()\[\]\\,;:@\x00-\x1f\x7f]+$")


def address_problem(address: str, smtputf8: bool, status: str, role: str) -> Reply | None:
    """Why an address cannot go on to the next hop as given, as a reply; None if it can.

    Non-ASCII needs SMTPUTF8 (RFC 6531 3.5: 553 5.6.7); bytes that were not UTF-8 reach us as
    surrogates and are a syntax error, like any other address the next hop cannot be sent
    (local@domain, no spaces or controls, at most 320 characters).
    """
    try:
        address.encode("utf-8")
    except UnicodeEncodeError:
        return Reply(501, status, f"Bad {role} address syntax (not UTF-8)")
    if not address.isascii() and not smtputf8:
        return Reply(553, "5.6.7", f"A non-ASCII {role} address needs SMTPUTF8")
    if len(address) > 320 or _ADDRESS.match(address) is None:
        return Reply(501, status, f"Bad {role} address syntax")
    return None


def _size_option(options: Sequence[str]) -> int:
    for opt in options:
        if opt.upper().startswith("SIZE="):
            value = opt[5:]
            if value.isdigit():
                return int(value)
    return 0


class Turns:
    """Runs functions one at a time across threads, except that none waits longer than `wait` s.

    A function whose turn does not come within `wait` runs anyway (beside the slow one).
    """

    def __init__(self, wait: float) -> None:
        self.wait = wait
        self._lock = threading.Lock()

    def __call__(self, fn: Callable[[], Any]) -> Callable[[], Any]:
        """`fn` wrapped to run in its turn."""

        def in_turn() -> Any:
            mine = self._lock.acquire(timeout=self.wait)
            try:
                return fn()
            finally:
                if mine:
                    self._lock.release()

        return in_turn


class Gateway:
    """Everything one worker needs: settings, pipeline, relay, audit log and metrics."""

    def __init__(
        self,
        settings: Settings,
        *,
        registry: Registry | None = None,
        metrics: Metrics | None = None,
        audit: AuditLog | None = None,
    ) -> None:
        # A malformed key file or an unknown database scheme stops the start (or a reload)
        # with one line naming the setting, not at the first message that needs the store.
        check_stores(settings, connect=False)
        self.settings = settings
        self.registry = registry or default_registry()
        self.metrics = metrics or Metrics()
        self.networks = tuple(
            ipaddress.ip_network(n, strict=False) for n in settings.access.networks
        )
        self.authenticator = (
            CredentialStore.load(settings.access.credentials_file)
            if settings.access.credentials_file
            else None
        )
        smtp = settings.smtp
        self.tls_context = (
            server_tls_context(smtp.tls_cert_file, smtp.tls_key_file)
            if smtp.tls_cert_file and smtp.tls_key_file
            else None
        )
        self.audit = audit or AuditLog(
            settings.audit.url,
            settings.audit.key_file,
            settings.audit.anchor_file,
            node_id=settings.node.id,
        )
        # Group commit: messages in flight together share one transaction and one fsync; a
        # record waits a moment (audit.group_commit_wait_ms) for the records of the other
        # messages in flight.
        self.in_flight = 0
        self.audit_writer = AuditWriter(
            self.audit,
            in_flight=lambda: self.in_flight,
            max_wait_ms=settings.audit.group_commit_wait_ms,
            busy_batch=settings.audit.group_commit_records,
        )
        self.services = Services(settings, self.audit.keyed_hash, self.audit, metrics=self.metrics)
        self.roster = LazyRoster(self.services)
        # The one builder `phigate policy test` and the console use too, so they cannot drift.
        stages = policy_stages(settings, self.registry, self.roster, processes=True)
        self.groups = stages.groups
        document = stages.document
        self.pool = NextHopPool(
            settings.next_hop, settings.delivery, smtp.hostname, observe=self.metrics.observe
        )
        outbox = Outbox(settings.delivery.outbox) if settings.delivery.outbox else None
        self.relay = Relay(self.pool, outbox)
        # Small mail and big mail scan on separate threads: a crowd of big PDFs (each up to
        # detection.time_budget) then never holds up the small messages behind it.
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="phigate-stage")
        self._large_executor = ThreadPoolExecutor(
            max_workers=2, thread_name_prefix="phigate-stage-large"
        )
        self._turns = Turns(STAGE_TURN_WAIT_S)
        # Threads that only wait for a detection process: no turns, one for each scan the
        # processes can run at once, small and large (a small message is awaited on the loop
        # itself; these serve the large ones and a plugin detector that waits on processes).
        self._waiting = ThreadPoolExecutor(
            max_workers=2 * settings.detection.processes_per_worker(settings.workers) + 2,
            thread_name_prefix="phigate-detect-wait",
        )
        # Work that follows a message but need not precede its reply (the sender directory).
        self._after_reply: set[asyncio.Future[None]] = set()
        needed = {"deliver"} | {
            spec.type for rule in document.rules for spec in (rule.action, *rule.fallback)
        }
        actions = {name: self.registry.create("action", name, self.services) for name in needed}
        self.pipeline = Pipeline(
            RfcParser(),
            stages.detector,
            stages.policy,
            actions,
            self.relay,
            offload=self._offload,
            sign_changed=self._dkim(settings),
            before_act=self.record_pending,
            offload_large=self._offload_large,
            learn=self.services.harvest,
            offload_waiting=self._offload_waiting,
            detect_budget=None
            if settings.detection.detector == "null"
            else settings.detection.time_budget,
        )
        # The detection processes' batch sizes, for /metrics (phigate_detection_batches).
        observe_batches = getattr(stages.detector, "observe_batches", None)
        if observe_batches is not None:
            observe_batches(self.metrics.detection_batch)
        # Fail closed at start-up: a worker never listens before its detector can scan (the
        # engine loaded, or the detection processes started and proven on a message).
        warm = getattr(stages.detector, "warm", None)
        if warm is not None:
            try:
                warm()
            except BaseException:
                close = getattr(stages.detector, "close", None)
                if close is not None:
                    close()
                raise

    @staticmethod
    def _dkim(settings: Settings) -> Callable[[bytes], bytes] | None:
        d = settings.dkim
        if d.domain is None or d.selector is None or d.key_file is None:
            return None
        return DkimSigner(d.domain, d.selector, d.key_file).sign

    async def _offload(self, fn: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._turns(fn))

    async def _offload_waiting(self, fn: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._waiting, fn)

    async def _offload_large(self, fn: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(
            self._large_executor, self._turns(fn)
        )

    # -- what the SMTP adapter asks ------------------------------------------------------------
    def may_relay(self, peer: object, authenticated: bool) -> bool:
        """Whether a client may send through us: authenticated, or on a trusted network."""
        return authenticated or in_networks(client_ip(peer), self.networks)

    def access_refusal(self, peer: object, authenticated: bool) -> Reply | None:
        """The reply for a client that may not relay (530 where AUTH could help), or None."""
        if self.may_relay(peer, authenticated):
            return None
        if self.authenticator is not None:
            return Reply(530, "5.7.0", "Authentication required")
        return Reply(554, "5.7.1", "Relay access denied")

    def sender_problem(self, address: str, smtputf8: bool) -> Reply | None:
        """Why MAIL FROM cannot go on as given, or None (the null sender always can)."""
        return address_problem(address, smtputf8, "5.1.7", "sender") if address else None

    def recipient_reply_now(
        self, mail_from: str, address: str, *, accepted: int, mail_options: Sequence[str]
    ) -> Reply | None:
        """`check_recipient`'s answer when it needs no round trip (ours, or the next hop's
        from the probe cache), else None; the SMTP side then needs no task for the RCPT."""
        if address.lower() != "postmaster":
            problem = address_problem(address, "SMTPUTF8" in mail_options, "5.1.3", "recipient")
            if problem is not None:
                return problem
        if accepted >= self.settings.smtp.max_recipients:
            return Reply(452, "4.5.3", "Too many recipients; send the rest in another transaction")
        return self.relay.cached_probe(
            mail_from,
            address,
            smtputf8="SMTPUTF8" in mail_options,
            body_8bit="BODY=8BITMIME" in mail_options,
            tls=self.settings.delivery.tls,
        )

    async def check_recipient(
        self, mail_from: str, address: str, *, accepted: int, mail_options: Sequence[str]
    ) -> Reply:
        """The answer to one RCPT: ours if the address or the count is wrong, else the next hop's.

        The next hop is asked now (MAIL, RCPT, RSET on a pooled connection), so each recipient
        gets its own verdict while the client can still act on it.
        """
        now = self.recipient_reply_now(
            mail_from, address, accepted=accepted, mail_options=mail_options
        )
        if now is not None:
            return now
        return await self.relay.probe(
            mail_from,
            address,
            size=_size_option(mail_options),
            smtputf8="SMTPUTF8" in mail_options,
            body_8bit="BODY=8BITMIME" in mail_options,
            tls=self.settings.delivery.tls,
        )

    async def process(
        self, envelope: Envelope, raw: bytes, gate: CommitGate | None = None
    ) -> Verdict:
        """Run one message through the pipeline, record it, and return its Verdict.

        `gate` is the SMTP session's say on the final dot; without one the relay commits freely.
        """
        deliverer = GatedRelay(self.relay, gate) if gate is not None else None
        self.in_flight += 1
        try:
            verdict = await self.pipeline.run(envelope, raw, deliverer=deliverer)
            self.metrics.message(verdict.action, verdict.reply.code)
            seq = await self.record(verdict)
        finally:
            self.in_flight -= 1
        if self.settings.console.own_domains and verdict.reply.code == 250:
            # Not awaited: between the next hop's 250 and ours, a node that dies makes the
            # client send the message again (docs/multinode.md), so nothing optional runs there.
            task = asyncio.ensure_future(self._remember_sender(envelope.mail_from))
            self._after_reply.add(task)
            task.add_done_callback(self._after_reply.discard)
        log.info(
            "message",
            ref_id=verdict.ref_id,
            # A Message-ID can hold PHI (some clients build it from the subject): never in clear.
            message_id_hash=self._message_id_hash(verdict.message_id),
            size=verdict.size,
            recipients=len(envelope.rcpt_tos),
            action=verdict.action,
            reply=verdict.reply.code,
            status=verdict.reply.status,
            defects=len(verdict.defects),
            timings=verdict.timings,
            # The chain's length as this line saw it: shipped off the host, these lines witness
            # that the log once reached this seq (a restored older copy ends before it).
            audit_seq=seq,
        )
        return verdict

    async def _remember_sender(self, sender: str) -> None:
        """Feed the console's sender directory; its failure never touches the message."""
        try:
            await self._offload(functools.partial(self.services.remember_sender, sender))
        except Exception as exc:  # noqa: BLE001 - the message is done; the directory can wait
            log.warning("console.sender_directory_failed", error_type=type(exc).__name__)

    def _entry(
        self,
        verdict: Verdict,
        *,
        message_id: str | None,
        stages: tuple[Mapping[str, Any], ...],
        action: str,
        next_hop_reply: str | None,
        findings_summary: Mapping[str, Any],
    ) -> AuditEntry:
        """An audit entry for the verdict's message: what every record of it holds, plus these."""
        env = verdict.envelope
        return AuditEntry(
            ref_id=verdict.ref_id,
            ts=verdict.received_at,
            message_id=message_id,
            sender_hash=self.audit.keyed_hash(env.mail_from),
            recipient_domains=_domains(env.rcpt_tos),
            size=verdict.size,
            stages=stages,
            action=action,
            next_hop_reply=next_hop_reply,
            timings=verdict.timings,
            findings_summary=findings_summary,
        )

    def _message_id_hash(self, message_id: str | None) -> str | None:
        """The keyed hash the log and the audit record keep instead of the Message-ID."""
        return self.audit.keyed_hash(message_id.strip()) if message_id else None

    async def record_pending(self, verdict: Verdict) -> None:
        """Make the pending record durable before the message is stored or handed on.

        It holds what is known once the policy has decided (ref id, time, sender hash, size,
        recipient domains, the decision and the findings summary); the final record, appended
        once the next hop has answered, completes it. Raises AuditUnavailable when the audit
        store cannot take it, so the client gets a 451 and nothing has left.
        """
        env = verdict.envelope
        decision = verdict.decision
        detection = verdict.detection
        try:
            entry = self._entry(
                verdict,
                message_id=None,
                stages=(
                    {
                        "stage": "message",
                        "outcome": PENDING_ACTION,
                        "decided": decision.action if decision else "none",
                        "rule": decision.rule if decision else "",
                        "recipients": len(env.rcpt_tos),
                    },
                ),
                action=PENDING_ACTION,
                next_hop_reply=None,
                findings_summary=dict(detection.summary) if detection else {},
            )
            try:
                await self.audit_writer.append(entry)
            except Exception as first:  # noqa: BLE001 - tried once more, then it fails closed
                # Workers sharing one SQLite log can collide for a moment; a store that is
                # really unavailable fails the second time too, and the client gets 451.
                log.warning(
                    "audit.pending_retry", ref_id=verdict.ref_id, error_type=type(first).__name__
                )
                await asyncio.sleep(PENDING_RETRY_DELAY_S)
                await self.audit_writer.append(entry)
        except Exception as exc:
            self.metrics.error("audit")
            log.error("audit.pending_failed", ref_id=verdict.ref_id, error_type=type(exc).__name__)
            raise AuditUnavailable("the audit log cannot take the message's record") from exc

    async def record(self, verdict: Verdict) -> int | None:
        """Append the final audit record and return its seq; a failure is logged and counted.

        When it fails after delivery, the pending record still proves the message, and
        `phigate audit verify` lists it as pending, never completed.
        """
        detection = verdict.detection
        try:
            entry = self._entry(
                verdict,
                message_id=self._message_id_hash(verdict.message_id),
                stages=tuple(s.as_record() for s in verdict.stages),
                action=verdict.action,
                next_hop_reply=verdict.outcome.next_hop_reply if verdict.outcome else None,
                findings_summary={
                    **(dict(detection.summary) if detection else {}),
                    **(
                        {"misdirected": verdict.decision.misdirected}
                        if verdict.decision and verdict.decision.misdirected
                        else {}
                    ),
                },
            )
            return await self.audit_writer.append(entry)
        except Exception as exc:  # noqa: BLE001 - the message has already gone; say so loudly
            self.metrics.error("audit")
            log.error(
                "audit.append_failed",
                ref_id=verdict.ref_id,
                error_type=type(exc).__name__,
                pending_record=_pending_written(verdict),
            )
            return None

    async def close(self) -> None:
        """Release connections, threads and the database."""
        await self.pool.close()
        await self.audit_writer.close()
        if self._after_reply:
            await asyncio.gather(*self._after_reply)
        self._executor.shutdown(wait=True)
        # A scan past its time budget may still run; nobody waits for it any more.
        self._large_executor.shutdown(wait=False, cancel_futures=True)
        self._waiting.shutdown(wait=False, cancel_futures=True)
        close_detector = getattr(self.pipeline.detector, "close", None)
        if close_detector is not None:
            close_detector()
        self.services.close()

    def close_audit(self) -> None:
        """Close the audit log (separately, since a reload may keep it)."""
        self.audit.close()
