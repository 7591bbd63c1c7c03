"""`phigate scan`: run PHI detection over files, folders, mboxes or standard input.

Output is masked by default: entity types, offsets, scores and masked previews. The matched text
itself is shown only with --show-matches, and only on a terminal. `--config` scans with the
detection settings of a gateway config (the practice's domains, MRN patterns, thresholds).

An item whose scan fails (a pattern over its time budget, a file a parser cannot read) is
reported as not scanned, with the error's type, and the others are scanned; the exit status is
then 1. A message that could not be scanned is not known to be clean: its record's "phi" is
null and its band "unscannable".
"""

from __future__ import annotations

import argparse
import gc
import json
import mailbox
import multiprocessing
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO, Any

from detectors.config import DetectorConfig
from detectors.engine import recognizer_patterns
from detectors.extract import (
    AttachmentCache,
    Extraction,
    TextPart,
    extract_message,
    extract_text_file,
)
from detectors.findings import TYPE_MAP, Decision, Finding
from detectors.recognizers import RegexTimeout, multiscan, pcretwin
from gateway.cli.command import Command, CommandFailed
from gateway.cli.context import Context
from gateway.cli.exits import EXIT_FAILED, EXIT_OK
from gateway.cli.options import config_option
from gateway.detect import merge_parts
from gateway.model import PhigateError
from gateway.scanning import shared_engine

# Items scanned together (`Scanner.scan_many`): each recognizer reads all of a batch's texts in
# turn and NER all of its windows in one pass, which keeps their code and data in the caches and
# pays the model's fixed cost once (docs/performance.md). A batch's records are written when the
# whole batch is done, and its items and texts are held until then.
BATCH_ITEMS = 64
BATCH_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Item:
    """One thing to scan: its display path and bytes."""

    path: str
    data: bytes


class ScanProcessDied(PhigateError):
    """A scan process died while scanning the item (killed, out of memory, a parser's crash)."""


class ScanError(Exception):
    """A path cannot be read; the message names it."""


def _is_mbox(path: Path) -> bool:
    if path.suffix.lower() in (".mbox", ".mbx"):
        return True
    try:
        with path.open("rb") as fh:
            return fh.read(5) == b"From "
    except OSError:
        return False


def iter_items(paths: list[str], stdin: IO[bytes]) -> Iterator[Item]:
    """Expand paths: `-` is stdin, folders are walked for .eml files, mboxes are split."""
    for raw in paths:
        if raw == "-":
            yield Item("-", stdin.read())
            continue
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".eml")
            for f in files:
                yield Item(str(f), f.read_bytes())
            continue
        if not path.exists():
            raise ScanError(f"{raw}: no such file or folder")
        if _is_mbox(path):
            box = mailbox.mbox(str(path), create=False)
            try:
                for i, key in enumerate(box.iterkeys()):
                    yield Item(f"{raw}#{i + 1}", box.get_bytes(key))
            finally:
                box.close()
            continue
        try:
            yield Item(str(path), path.read_bytes())
        except OSError as exc:
            raise ScanError(f"{raw}: cannot read: {exc.strerror or exc}") from None


def count_items(paths: list[str]) -> int | None:
    """How many messages there will be, for the progress bar (None when unknown)."""
    total = 0
    for raw in paths:
        path = Path(raw)
        if raw == "-" or not path.exists():
            return None
        if path.is_dir():
            total += sum(1 for p in path.rglob("*.eml") if p.is_file())
        elif _is_mbox(path):
            return None
        else:
            total += 1
    return total


def _header_field(text: str, start: int) -> str:
    line_start = text.rfind("\n", 0, start) + 1
    name = text[line_start : text.find(":", line_start)].strip()
    return f"header:{name}" if name and name.replace("-", "").isalnum() else "header"


def finding_record(f: Finding, texts: dict[str, str], show: bool) -> dict[str, Any]:
    """One finding as JSON: canonical entity type, part, offsets, score, recognizer, preview."""
    part = _header_field(texts.get(f.part, ""), f.start) if f.part == "header" else f.part
    record: dict[str, Any] = {
        "entity": TYPE_MAP.get(f.entity, f.entity),
        "part": part,
        "start": f.start,
        "end": f.end,
        "score": round(f.score, 3),
        "recognizer": f.recognizer,
        "preview": f.preview,
    }
    if record["entity"] != f.entity:
        record["detail"] = f.entity
    record["category"] = f.category
    if show:
        record["match"] = texts.get(f.part, "")[f.start : f.end]
    return record


class Scanner:
    """Extracts and analyses items with one engine, one at a time or a batch at once."""

    def __init__(self, engine: DetectorConfig, text_mode: bool) -> None:
        self.engine = shared_engine(engine)
        self.text_mode = text_mode
        self.cache = AttachmentCache()

    def scan(self, item: Item, show: bool) -> dict[str, Any]:
        """Scan one item and return its JSON record (raises what its scan raised)."""
        t0 = time.perf_counter()
        extraction, parts = self._extract(item)
        findings, decision = self.engine.analyze(parts)
        return self._record(item, extraction, parts, findings, decision, show, t0)

    def scan_many(self, items: Sequence[Item], show: bool) -> list[dict[str, Any] | Exception]:
        """`scan` of each of ``items``, with NER over all their windows in one pass
        (`PhiEngine.analyze_many`): each record is the one `scan` gives, or the exception its
        scan raised. A record's elapsed_ms is its own extraction and its share of the batch's
        analysis by its length in characters.
        """
        out: dict[int, dict[str, Any] | Exception] = {}
        ready: list[tuple[int, Extraction, tuple[TextPart, ...], float]] = []
        for k, item in enumerate(items):
            t0 = time.perf_counter()
            try:
                extraction, parts = self._extract(item)
            except Exception as exc:  # noqa: BLE001 - this item's answer; the rest go on
                out[k] = exc
                continue
            ready.append((k, extraction, parts, time.perf_counter() - t0))
        t0 = time.perf_counter()
        answers = self.engine.analyze_many([parts for _, _, parts, _ in ready])
        spent = time.perf_counter() - t0
        chars = sum(len(p.text) for _, _, parts, _ in ready for p in parts) or 1
        for (k, extraction, parts, took), answer in zip(ready, answers, strict=True):
            if isinstance(answer, Exception):
                out[k] = answer
                continue
            share = spent * sum(len(p.text) for p in parts) / chars
            started = time.perf_counter() - took - share
            try:
                out[k] = self._record(items[k], extraction, parts, *answer, show, started)
            except Exception as exc:  # noqa: BLE001 - this item's answer
                out[k] = exc
        return [out[k] for k in range(len(items))]

    def _extract(self, item: Item) -> tuple[Extraction, tuple[TextPart, ...]]:
        extraction: Extraction = (
            extract_text_file(item.data)
            if self.text_mode
            else extract_message(item.data, cache=self.cache)
        )
        return extraction, merge_parts(extraction.parts)

    def _record(
        self,
        item: Item,
        extraction: Extraction,
        parts: tuple[TextPart, ...],
        findings: list[Finding],
        decision: Decision,
        show: bool,
        t0: float,
    ) -> dict[str, Any]:
        if self.text_mode:
            # Offsets index the file's text as given; list every span the full pass finds too.
            seen = {(f.entity, f.start, f.end) for f in findings}
            for part in parts:
                for f in self.engine.analyze_text(part.text, part.part, full=True):
                    if (f.entity, f.start, f.end) not in seen:
                        findings.append(f)
                        seen.add((f.entity, f.start, f.end))
        texts = {p.part: p.text for p in parts}
        findings.sort(key=lambda f: (f.part, f.start, f.end))
        return {
            "path": item.path,
            "phi": decision.phi,
            "score": round(decision.score, 3),
            "band": decision.band,
            "probability": decision.probability,
            "contributions": [list(c) for c in decision.contributions],
            "findings": [finding_record(f, texts, show) for f in findings],
            "unscannable": [
                {"part": u.part, "origin": u.origin, "reason": u.reason, "detail": u.detail}
                for u in extraction.unscannable
            ],
            "reasons": list(decision.reasons),
            "elapsed_ms": round((time.perf_counter() - t0) * 1000, 2),
        }


def settle_heap() -> None:
    """Move what the engine loaded (the spaCy model, the recognizers: about 180,000 objects) out
    of the cyclic collector's sight, as a gateway's worker does (gateway.ops.server.settle_heap):
    every full collection walked all of them, 5% of a scan's time over the mix."""
    gc.collect()
    gc.freeze()


def _here(scanner: Scanner, show: bool, batch: list[Item]) -> list[tuple[dict[str, Any], bool]]:
    """One batch's records, scanned in this process, each with whether it was scanned. Should
    the batch itself raise, each item is scanned again alone, so that an error costs only the
    record of the item it belongs to."""
    started = time.perf_counter()
    try:
        answers: list[dict[str, Any] | Exception] = scanner.scan_many(batch, show)
    except Exception:  # noqa: BLE001 - each item alone below
        answers = []
        for item in batch:
            try:
                answers.append(scanner.scan(item, show))
            except Exception as exc:  # noqa: BLE001 - this item's answer
                answers.append(exc)
    return [
        (failed_record(item.path, answer, started), False)
        if isinstance(answer, Exception)
        else (answer, True)
        for item, answer in zip(batch, answers, strict=True)
    ]


# What a scan process runs with: set in the parent just before it forks them, so that they start
# with its engine loaded (and share its pages until they write to them).
_FORKED: list[tuple[Scanner, bool] | None] = [None]


def _scan_forked(batch: list[Item]) -> list[tuple[dict[str, Any], bool]]:
    held = _FORKED[0]
    if held is None:  # not forked from a parent that set it up
        raise RuntimeError("phigate scan: a scan process started without its engine")
    return _here(held[0], held[1], batch)


def _in_processes(
    scanner: Scanner, show: bool, jobs: int, batches: Iterable[list[Item]]
) -> Iterator[list[tuple[dict[str, Any], bool]]]:
    """Each batch's records, scanned in ``jobs`` processes forked from this one, in order.

    At most two batches a process are in flight. A process that dies (killed, out of memory,
    a crash in a parser) takes the batches in flight with it: each is tried again alone in a
    process of its own, then item by item, and an item whose scan kills its process even alone
    is reported as not scanned. Nothing is lost and nothing is reported clean unscanned.
    """
    # The engine's background builds hold locks: forked mid-build, a child could wait forever.
    multiscan.start(recognizer_patterns, wait=True)
    pcretwin.start(recognizer_patterns, wait=True)
    context = multiprocessing.get_context("fork")
    _FORKED[0] = (scanner, show)
    pool = ProcessPoolExecutor(jobs, mp_context=context)
    pending: deque[tuple[list[Item], Future[list[tuple[dict[str, Any], bool]]]]] = deque()
    todo = iter(batches)
    stopped: Exception | None = None  # a bad path further on: raised once what came before is in
    try:
        while True:
            try:
                for batch in islice(todo, 2 * jobs - len(pending)) if stopped is None else ():
                    pending.append((batch, pool.submit(_scan_forked, batch)))
            except Exception as exc:  # noqa: BLE001 - raised below, after the batches before it
                stopped = exc
            if not pending:
                if stopped is not None:
                    raise stopped
                return
            batch, future = pending.popleft()
            try:
                yield future.result()
                continue
            except BrokenProcessPool:
                pass
            # every batch in flight went down with the pool: each is tried again on its own
            lost = [batch, *(b for b, _ in pending)]
            pending.clear()
            pool.shutdown(wait=False, cancel_futures=True)
            for b in lost:
                yield _alone(context, b)
            pool = ProcessPoolExecutor(jobs, mp_context=context)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _FORKED[0] = None


def _alone(
    context: multiprocessing.context.BaseContext, batch: list[Item]
) -> list[tuple[dict[str, Any], bool]]:
    """``batch`` in a process of its own; if that dies too, each item in one of its own."""
    try:
        return _in_one_process(context, batch)
    except BrokenProcessPool:
        if len(batch) == 1:
            return [(_died(batch[0]), False)]
    out: list[tuple[dict[str, Any], bool]] = []
    for item in batch:
        try:
            out.extend(_in_one_process(context, [item]))
        except BrokenProcessPool:
            out.append((_died(item), False))
    return out


def _in_one_process(
    context: multiprocessing.context.BaseContext, batch: list[Item]
) -> list[tuple[dict[str, Any], bool]]:
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(_scan_forked, batch).result()


def _died(item: Item) -> dict[str, Any]:
    return failed_record(item.path, ScanProcessDied("its scan process died"), time.perf_counter())


def batches(items: Iterable[Item]) -> Iterator[list[Item]]:
    """``items`` in batches for `Scanner.scan_many`: up to BATCH_ITEMS items, or fewer when
    they reach BATCH_BYTES (a batch's items and their texts are held until it is done)."""
    batch: list[Item] = []
    size = 0
    it = iter(items)
    while True:
        try:
            item = next(it)
        except StopIteration:
            break
        except Exception:
            # a bad path further on: the items before it are scanned first, as one by one
            if batch:
                yield batch
            raise
        batch.append(item)
        size += len(item.data)
        if len(batch) >= BATCH_ITEMS or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def failed_record(path: str, exc: Exception, started: float) -> dict[str, Any]:
    """The record of an item whose scan raised: not scanned, so not known to be clean.

    Only the error's type is given for another library's error, whose message may quote the
    text it read; phigate's own errors (a regex over its budget among them) say what happened
    without any of it.
    """
    ours = isinstance(exc, PhigateError | RegexTimeout)
    detail = f"{type(exc).__name__}: {exc}" if ours and str(exc) else type(exc).__name__
    return {
        "path": path,
        "phi": None,
        "score": None,
        "band": "unscannable",
        "probability": None,
        "contributions": [],
        "findings": [],
        "unscannable": [
            {"part": "message", "origin": "scan", "reason": "scan-failed", "detail": detail}
        ],
        "reasons": [f"the scan failed ({detail}): not known to be clean"],
        "elapsed_ms": round((time.perf_counter() - started) * 1000, 2),
    }


def render_human(record: dict[str, Any], out: IO[str]) -> None:
    """A table of findings with masked previews, then the decision and its reasons."""
    if record["phi"] is None:
        out.write(f"{record['path']}: not scanned ({record['elapsed_ms']:.1f} ms)\n")
        for reason in record["reasons"]:
            out.write(f"  because: {reason}\n")
        return
    verdict = "PHI" if record["phi"] else "no PHI"
    if record.get("band") == "uncertain":
        verdict = "uncertain (treated as PHI for outsiders)"
    out.write(
        f"{record['path']}: {verdict} (score {record['score']:.2f}, {record['elapsed_ms']:.1f} ms)\n"
    )
    rows = record["findings"]
    if rows:
        out.write(f"  {'ENTITY':<18} {'PART':<28} {'SPAN':<13} {'SCORE':<5}  PREVIEW\n")
        for r in rows:
            entity = r["entity"] + (f" ({r['detail']})" if "detail" in r else "")
            span = f"{r['start']}-{r['end']}"
            shown = r["match"] if "match" in r else r["preview"]
            out.write(
                f"  {entity[:18]:<18} {r['part'][:28]:<28} {span:<13} {r['score']:<5.2f}  {shown}\n"
            )
    for u in record["unscannable"]:
        out.write(f"  unscannable: {u['part']} ({u['origin']}): {u['reason']} - {u['detail']}\n")
    for reason in record["reasons"]:
        out.write(f"  because: {reason}\n")


def _options(parser: argparse.ArgumentParser) -> None:
    config_option(parser, help="scan with this gateway config's detection settings")
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help=".eml file, folder, mbox, or - for stdin"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per message")
    parser.add_argument("--text", action="store_true", help="treat each file as a plain-text body")
    parser.add_argument(
        "--show-matches",
        action="store_true",
        help="print the matched text itself (terminal only; otherwise refused)",
    )
    parser.add_argument(
        "--jobs",
        type=_jobs,
        default=1,
        metavar="N",
        help="scan in N processes, each with the engine loaded once (default 1; records keep "
        "their order)",
    )


def _jobs(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if not 1 <= n <= 256:
        raise argparse.ArgumentTypeError(
            f"--jobs takes a whole number from 1 to 256, not {value!r}"
        )
    return n


def scan(ctx: Context, args: argparse.Namespace) -> int:
    """Scan every item; exit 0 when all were scanned, 1 when one or more could not be (each
    reported), 2 on a bad path or refused option."""
    out = sys.stdout
    if args.show_matches and not out.isatty():
        raise CommandFailed(
            "phigate scan: --show-matches prints raw PHI and only works on a terminal"
        )
    total = count_items(args.paths)
    progress = sys.stderr.isatty() and (total is None or total > 1)
    scanner = Scanner(ctx.settings.detection.engine, text_mode=args.text)
    items = iter_items(args.paths, sys.stdin.buffer)
    settle_heap()
    done = failed = 0
    try:
        answers = (
            _in_processes(scanner, args.show_matches, args.jobs, batches(items))
            if args.jobs > 1
            else (_here(scanner, args.show_matches, batch) for batch in batches(items))
        )
        for answered in answers:
            for record, ok in answered:
                failed += not ok
                if args.json:
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                else:
                    render_human(record, out)
                done += 1
            if progress:
                of = f"/{total}" if total else ""
                sys.stderr.write(f"\rscanned {done}{of}")
                sys.stderr.flush()
    except ScanError as exc:
        raise CommandFailed(f"phigate scan: {exc}") from None
    finally:
        gc.unfreeze()  # back in sight for whoever runs on in this process (the test suite)
        if progress:
            sys.stderr.write("\n")
    if failed:
        print(f"phigate scan: {failed} of {done} not scanned (see their records)", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


COMMANDS = (Command("scan", "scan messages for PHI (masked output)", scan, _options),)
