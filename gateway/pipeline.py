"""The message pipeline: parse -> detect -> decide -> act -> deliver, and the Verdict it builds.

Each stage is a small object with a `name` and one method, typed by a Protocol. Stages return
frozen result objects; the Pipeline assembles them into a Verdict. Deciding is read-only; only
the act stage produces the bytes that leave.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import structlog

from detectors.extract.model import Unscannable
from gateway.keys.harvest import carries_key_material
from gateway.mime.headers import apply_header_edits
from gateway.model import (
    ActContext,
    Action,
    Deliverer,
    Delivery,
    Detection,
    Detector,
    DetectorError,
    Envelope,
    Facts,
    Offload,
    Outcome,
    ParsedMessage,
    ParseError,
    Parser,
    PhigateError,
    Policy,
    PolicyError,
    Recorder,
    Reply,
    Route,
    StageResult,
    Step,
    Verdict,
    new_ref_id,
)

log = structlog.get_logger("phigate.pipeline")

# Messages up to this size are parsed on the event loop; bigger ones in the stage thread pool.
INLINE_PARSE_BYTES = 64 * 1024
# Messages from this size on are parsed and scanned on their own threads (`offload_large`),
# so a crowd of big PDFs never makes small mail wait behind them.
LARGE_MESSAGE_BYTES = 256 * 1024
# Reason code of the Unscannable a scan that ran out of time yields.
TIME_BUDGET_REASON = "time-budget"


# What a 250 says when the message itself did not go on as it came, so that the sending MTA's
# log ("status=sent (250 ...)") tells the truth: the notices that went out are not the message.
ACCEPTED_TEXT = {
    "block": "accepted; blocked by policy, sender notified",
    "portal": "accepted; held on the secure portal, recipient notified",
    "quarantine": "accepted; quarantined for review",
    "split": "accepted; handled per recipient by policy",
}


def accepted_reply(reply: Reply, acted: str, ref_id: str, *, notified: bool = True) -> Reply:
    """The 250 of a message that was blocked, held or split, saying so; other replies as they are.

    `notified` is False when nothing at all went out (a block without a notice to the sender).
    """
    text = ACCEPTED_TEXT.get(acted)
    if not reply.ok or text is None:
        return reply
    if not notified:
        text = text.replace(", sender notified", "")
    return Reply(reply.code, reply.status, f"Ok: {text} (ref {ref_id})")


async def _inline(fn: Callable[[], Any]) -> Any:
    return fn()


class Pipeline:
    """Runs one message through parse, detect, decide, act and deliver, and returns its Verdict."""

    def __init__(
        self,
        parser: Parser,
        detector: Detector,
        policy: Policy,
        actions: Mapping[str, Action],
        deliverer: Deliverer,
        *,
        offload: Offload = _inline,
        sign_changed: Callable[[bytes], bytes] | None = None,
        before_act: Recorder | None = None,
        offload_large: Offload | None = None,
        detect_budget: float | None = None,
        learn: Callable[[bytes, str], object] | None = None,
        offload_waiting: Offload | None = None,
    ) -> None:
        self.parser = parser
        self.detector = detector
        self.policy = policy
        self.actions = dict(actions)
        self.deliverer = deliverer
        self._offload = offload
        self._offload_large = offload_large or offload
        # For a detector whose scans run in processes of its own (`waits_on_processes`): its
        # thread only waits, so it takes no turn with the threads that compute.
        self._offload_waiting = offload_waiting or offload
        # Seconds a scan may run once it has started (settings.detection.time_budget).
        self._detect_budget = detect_budget
        # Learns from what passes through (S/MIME capabilities of signed mail); never decides.
        self._learn = learn
        # DKIM-signs what phigate wrote itself (encrypted copies, tagged copies, notices).
        self._sign_changed = sign_changed
        # Makes the message's pending audit record durable; raising stops the message (451).
        self._before_act = before_act

    async def run(
        self,
        envelope: Envelope,
        raw: bytes,
        ref_id: str | None = None,
        deliverer: Deliverer | None = None,
    ) -> Verdict:
        """Run every stage; any unexpected failure ends in a 451 and never lets the message out."""
        now = datetime.now(UTC)
        verdict = Verdict(
            ref_id=ref_id or new_ref_id(now), envelope=envelope, size=len(raw), received_at=now
        )
        try:
            return await self._run(verdict, raw, deliverer or self.deliverer)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the one place that turns surprises into 451
            log.error(
                "pipeline.failed",
                ref_id=verdict.ref_id,
                error_type=type(exc).__name__,
                error_code=getattr(exc, "code", "unexpected"),
                exc_info=not isinstance(exc, PhigateError),
            )
            stage = StageResult("error", "tempfail", getattr(exc, "code", "unexpected"), 0.0)
            reply = Reply(
                451, "4.3.0", f"Temporary failure, try again later (ref {verdict.ref_id})"
            )
            return verdict.with_stage(stage, outcome=Outcome(reply=reply))

    async def _detect(
        self, offload: Offload, parsed: ParsedMessage, envelope: Envelope
    ) -> Detection:
        """Run the detector in `offload`'s threads, bounded by the time budget once it starts.

        The budget counts from the moment a thread picks the scan up, not while it queues. A
        scan still running when it is spent is left to finish on its thread (threads cannot be
        stopped), and the message is reported unscannable, which policies never let out in
        clear.
        """

        def run(mark: Callable[[], None]) -> Awaitable[Detection]:
            def job() -> Detection:
                mark()
                return self.detector.detect(parsed, envelope)

            return offload(job)

        return await self._within_budget(run)

    async def _within_budget(
        self, run: Callable[[Callable[[], None]], Awaitable[Detection]]
    ) -> Detection:
        """Await ``run(mark)``, which calls ``mark`` when the scan starts (a thread picks it up,
        or a detection process takes it), for at most the time budget from then on."""
        started: list[float] = []
        task = asyncio.ensure_future(run(lambda: started.append(time.monotonic())))
        budget = self._detect_budget
        if budget is None:
            return await task
        while True:
            wait = budget if not started else started[0] + budget - time.monotonic()
            done, _ = await asyncio.wait({task}, timeout=max(wait, 0.0))
            if done:
                return task.result()
            if started and time.monotonic() >= started[0] + budget:
                break
        task.add_done_callback(_discard_result)
        gone = Unscannable(
            part="message",
            origin="message",
            reason=TIME_BUDGET_REASON,
            detail=f"the scan ran past detection.time_budget ({budget:g} s)",
        )
        return Detection(
            unscannable=(gone,),
            summary={"unscannable": [{"part": "message", "reason": TIME_BUDGET_REASON}]},
            reasons=("the scan ran out of time: unscannable",),
        )

    async def _run(self, verdict: Verdict, raw: bytes, deliverer: Deliverer) -> Verdict:
        envelope = verdict.envelope
        offload = self._offload_large if len(raw) >= LARGE_MESSAGE_BYTES else self._offload

        t0 = time.perf_counter()
        try:
            if len(raw) > INLINE_PARSE_BYTES:
                parsed: ParsedMessage = await offload(lambda: self.parser.parse(raw))
            else:
                # a small message parses faster than a hop to a thread and back
                parsed = self.parser.parse(raw)
        except ParseError as exc:
            ms = _ms(t0)
            reply = Reply(
                554, "5.6.0", f"Message could not be parsed: {exc} (ref {verdict.ref_id})"
            )
            return verdict.with_stage(
                StageResult("parse", "rejected", str(exc), ms), outcome=Outcome(reply=reply)
            )
        verdict = verdict.with_stage(
            StageResult(
                "parse",
                "ok",
                f"{len(parsed.defects)} defect(s)" if parsed.defects else "clean",
                _ms(t0),
                {"defects": list(parsed.defects)} if parsed.defects else {},
            ),
            message_id=parsed.message_id,
            defects=parsed.defects,
        )
        learn = self._learn
        head = raw[:16384].lower()
        signed = b"pkcs7-signature" in head or b"signed-data" in head
        if learn is not None and (signed or carries_key_material(raw)):
            # Off the loop: it verifies a signature or runs gpg, and writes the key stores.
            # Learning never changes what happens to the message: a failure is logged, not raised.
            try:
                await self._offload(lambda: learn(raw, envelope.mail_from))
            except Exception as exc:  # noqa: BLE001 - logged and counted; the message goes on
                log.warning(
                    "smime.learn_failed", ref_id=verdict.ref_id, error_type=type(exc).__name__
                )

        t0 = time.perf_counter()
        try:
            on_loop = getattr(self.detector, "detect_on_loop", None)
            if getattr(self.detector, "cheap", False):
                detection: Detection = self.detector.detect(parsed, envelope)
            elif on_loop is not None and on_loop(parsed):
                # Sent to a detection process and awaited on the loop: no thread in between.
                detection = await self._within_budget(
                    lambda mark: self.detector.detect_async(parsed, envelope, mark)  # type: ignore[attr-defined]
                )
            elif getattr(self.detector, "waits_on_processes", False):
                detection = await self._detect(self._offload_waiting, parsed, envelope)
            else:
                detection = await self._detect(offload, parsed, envelope)
        except PhigateError:
            raise
        except Exception as exc:
            raise DetectorError(f"{self.detector.name}: {type(exc).__name__}") from exc
        verdict = verdict.with_stage(
            StageResult(
                "detect",
                "phi" if detection.phi else "no-phi",
                "; ".join(detection.reasons) or "nothing found",
                _ms(t0),
                {"summary": dict(detection.summary), "score": detection.score},
            ),
            detection=detection,
        )

        t0 = time.perf_counter()
        policy = self.policy
        try:
            # The facts (roster lookups) off the loop, once per message; then a pure decision.
            # A small message whose facts need no roster is resolved here: the hop to a thread
            # and back cost more than the facts themselves.
            blocks = getattr(policy, "facts_block", None)
            if len(raw) <= INLINE_PARSE_BYTES and blocks is not None and not blocks(detection):
                facts: Facts = policy.facts(parsed, envelope, detection)
            else:
                facts = await offload(lambda: policy.facts(parsed, envelope, detection))
            decision = policy.decide(parsed, envelope, detection, facts)
        except PhigateError:
            raise
        except Exception as exc:
            raise PolicyError(f"{self.policy.name}: {type(exc).__name__}") from exc
        routes = decision.routes or (
            Route(
                envelope.rcpt_tos,
                Step(decision.action, decision.params),
                decision.rule,
                decision.reason,
            ),
        )
        for route in routes:
            for step in (route.step, *route.fallback):
                if step.action not in self.actions:
                    raise PolicyError(f"rule {route.rule!r} names unknown action {step.action!r}")
        verdict = verdict.with_stage(
            StageResult(
                "decide",
                ("monitor:" if decision.monitor else "") + decision.action,
                f"rule {decision.rule}: {decision.reason}",
                _ms(t0),
                {
                    "routes": [_route_record(r) for r in routes],
                    **({"misdirected": decision.misdirected} if decision.misdirected else {}),
                },
            ),
            decision=decision,
        )

        if self._before_act is not None:
            # Acting stores (quarantine, portal) and delivering hands on: neither may happen
            # before a durable record says the message was here (an error here is a 451).
            await self._before_act(verdict)

        t0 = time.perf_counter()
        prepared = parsed
        if decision.edits and not all(r.monitor for r in routes):
            # Parsed once: the edited copy shares the body's parsed parts (no second parse).
            edit = getattr(self.parser, "with_header_edits", None)
            if edit is not None:
                prepared = edit(parsed, decision.edits)
            else:
                prepared = await offload(
                    lambda: self.parser.parse(apply_header_edits(parsed.raw, decision.edits))
                )
        deliveries: list[Delivery] = []
        rejects: list[Reply] = []
        served_by: list[str] = []
        stored = False
        for route in routes:
            if route.monitor:
                # Shadow mode: decide and log, but deliver as before.
                log.info(
                    "policy.monitor",
                    ref_id=verdict.ref_id,
                    rule=route.rule,
                    would=route.step.action,
                    recipients=len(route.recipients),
                )
                steps: tuple[Step, ...] = (Step("deliver"),)
                message = parsed
            else:
                steps = (route.step, *route.fallback)
                message = prepared
            remaining = route.recipients
            attempted: list[str] = []
            for step in steps:
                ctx = ActContext(
                    message=message,
                    original=parsed,
                    # The envelope itself when the step serves all of it (the usual case).
                    envelope=envelope
                    if remaining == envelope.rcpt_tos
                    else replace(envelope, rcpt_tos=remaining),
                    step=step,
                    rule=route.rule,
                    reason=route.reason,
                    detection=detection,
                    ref_id=verdict.ref_id,
                    monitor=route.monitor,
                    attempted=tuple(attempted),
                )
                result = await self.actions[step.action].act(ctx)
                attempted.append(step.action)
                done = len(remaining) - len(result.unserved)
                if done:
                    label = step.action + (f"({result.method})" if result.method else "")
                    served_by.append(f"{label}:{done}")
                deliveries.extend(result.deliveries)
                stored = stored or result.stored
                if result.reply is not None:
                    rejects.append(result.reply)
                remaining = result.unserved
                if not remaining:
                    break
            if remaining:
                raise PolicyError(
                    f"rule {route.rule!r}: no action or fallback could serve {len(remaining)} recipient(s)"
                )
        served = {entry.rpartition(":")[0].split("(")[0] for entry in served_by}
        verdict = verdict.with_stage(
            StageResult("act", decision.action, ", ".join(served_by) or "nothing to do", _ms(t0)),
            acted=served.pop() if len(served) == 1 else ("split" if served else ""),
        )
        if rejects and len(rejects) == len(routes) and not stored:
            # Every recipient was refused: say so in the SMTP reply (before-queue mode).
            reply = rejects[0]
            return verdict.with_stage(
                StageResult("deliver", "skipped", "refused in the SMTP reply", 0.0),
                outcome=Outcome(reply=reply),
            )
        if not deliveries:
            text = "stored" if stored else "not delivered, by policy"
            reply = accepted_reply(
                Reply(250, "2.0.0", f"Ok: {text} (ref {verdict.ref_id})"),
                verdict.acted,
                verdict.ref_id,
                notified=False,
            )
            return verdict.with_stage(
                StageResult("deliver", "skipped", "nothing to hand to the next hop", 0.0),
                outcome=Outcome(reply=reply),
            )

        deliveries = _merge(deliveries)
        if self._sign_changed is not None:
            sign = self._sign_changed
            deliveries = [
                d if d.content == parsed.raw else replace(d, content=sign(d.content))
                for d in deliveries
            ]

        t0 = time.perf_counter()
        outcome = await deliverer.deliver(tuple(deliveries), verdict.ref_id)
        outcome = replace(
            outcome, reply=accepted_reply(outcome.reply, verdict.acted, verdict.ref_id)
        )
        return verdict.with_stage(
            StageResult(
                "deliver",
                "accepted" if outcome.reply.ok else "refused",
                outcome.next_hop_reply or str(outcome.reply),
                _ms(t0),
            ),
            outcome=outcome,
        )


def _discard_result(task: asyncio.Future[Any]) -> None:
    """Collect the outcome of a scan nobody waits for any more (so it is not reported unread)."""
    if not task.cancelled() and task.exception() is not None:
        log.warning("detect.late_failure", error_type=type(task.exception()).__name__)


def _merge(deliveries: list[Delivery]) -> list[Delivery]:
    """One copy for all recipients that get the same bytes from the same sender at the same TLS."""
    merged: dict[tuple[str, str, bytes], Delivery] = {}
    for d in deliveries:
        key = (d.mail_from, d.tls, d.content)
        seen = merged.get(key)
        if seen is None:
            merged[key] = d
        else:
            extra = tuple(r for r in d.recipients if r not in seen.recipients)
            merged[key] = replace(seen, recipients=seen.recipients + extra)
    return list(merged.values())


def _route_record(route: Route) -> dict[str, Any]:
    return {
        "rule": route.rule,
        "action": route.step.action,
        "recipients": len(route.recipients),
        "domains": sorted({r.rpartition("@")[2].lower() for r in route.recipients}),
        "monitor": route.monitor,
    }


def _ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000.0
