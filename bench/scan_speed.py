"""Scan speed: `phigate scan`'s path against stock Presidio, and start-up to the first message.

    .venv/bin/python bench/scan_speed.py                       # dev corpus + a generated one
    .venv/bin/python bench/scan_speed.py --per-family 2 --repeat 1 --skip-startup

Throughput: every message is extracted and analysed by `phigate scan`'s own Scanner (extract,
merge parts, PhiEngine.analyze_many over a batch of `BATCH_ITEMS` messages, NER reading all the
batch's windows in one pass), by the same Scanner one message at a time (`Scanner.scan`, the
path a gateway's detection process takes: "one_at_a_time"), and by stock Presidio on the same
spaCy model (the same extraction, then every part analysed), the three taking turns batch by
batch so that load on a shared machine hits all alike. Engine construction is timed apart and
never counted in the throughput. Start-up: seconds from spawning `phigate serve` (the shipped PHI detector) to the
250 of the first message it relays to a sink, with the phase the serve process spends before
its port answers. Reach: an untimed pass counts the share of analysed texts and characters each
recognizer gets past the prefilter (detectors/prefilter.py) and the share of messages and
characters NER reads. The time a message and the share reaching NER are also given by the
manifest's label (clean or PHI): clean mail should cost little. `--ungated` also times phigate
with every gate open, in the same alternation, to show what the prefilter saves. `--stages` adds
a timed pass of its own split by stage: extraction, the recognizers by the kind of text they read
(subject, header fields, body, attachment), NER, and the rest (roles and the decision).
`--batch-sizes 2,4,8` adds a pass of its own that scans the messages in batches of each size
(`Scanner.scan_many`, as a gateway's detection process does with the messages queued for it),
shuffled, the sizes taking turns, and prints the process CPU a message for each size with its
ratio against batches of one (always measured, as the baseline). Figures only: nothing here
asserts a time.
"""

from __future__ import annotations

import argparse
import json
import random
import smtplib
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import detectors.engine as engine_module  # noqa: E402
import gateway.cli.scan as scan_module  # noqa: E402
from bench.args import positive_int  # noqa: E402
from bench.corpus.generate import generate  # noqa: E402
from bench.detect_eval import MessageCase, load_messages, stock_flags  # noqa: E402
from bench.relay import (  # noqa: E402
    LOOPBACK,
    ManagedProcess,
    children_stopped_on_sigterm,
    default_phigate,
    free_port,
    phigate_serve_cmd,
    write_phigate_config,
)
from bench.stock_presidio import stock_presidio_engine  # noqa: E402
from detectors.config import DetectorConfig  # noqa: E402
from detectors.engine import PhiEngine  # noqa: E402
from detectors.extract import extract_message  # noqa: E402
from detectors.prefilter import GatedRecognizers, PrefilterStats  # noqa: E402
from detectors.recognizers import multiscan  # noqa: E402
from gateway.cli.scan import BATCH_ITEMS, Item, Scanner, settle_heap  # noqa: E402

DEV_CORPUS = Path("/work/shared/corpus/dev")
FIRST_MESSAGE = (
    b"From: frontdesk@practice.example\r\nTo: billing@partner.example\r\n"
    b"Subject: supplies\r\n\r\nPlease send two more boxes of printer paper.\r\n"
)


def corpus(dev: Path | None, per_family: int, seed: int, work: Path) -> list[MessageCase]:
    """The shared dev corpus (if there) and a freshly generated one."""
    cases = load_messages(dev) if dev is not None and (dev / "manifest.jsonl").exists() else []
    if per_family:
        out = work / "generated"
        generate(out, per_family, seed)
        cases += load_messages(out)
    return cases


def throughput(
    cases: list[MessageCase], repeat: int, stock: bool, ungated: bool = False
) -> dict[str, Any]:
    """Messages per second of phigate's scan path and of stock Presidio, alternating."""
    t0 = time.perf_counter()
    scanner = Scanner(DetectorConfig(), text_mode=False)
    ours_start = time.perf_counter() - t0
    # The Hyperscan databases load in the background (nothing is skipped until they are in);
    # timing starts once they are, and how long they took is printed apart.
    t0 = time.perf_counter()
    multiscan.start(wait=True)
    multiscan_ready = time.perf_counter() - t0
    open_gates = Scanner(DetectorConfig(), text_mode=False) if ungated else None
    if open_gates is not None:  # its own engine: Scanner's is shared per configuration
        open_gates.engine = PhiEngine(DetectorConfig())
        open_gates.engine.cheap = GatedRecognizers(open_gates.engine.recognizers, {})
    t0 = time.perf_counter()
    presidio = stock_presidio_engine() if stock else None
    stock_start = time.perf_counter() - t0
    settle_heap()  # as `phigate scan` does once its engine is in
    for case in cases[:5]:  # warm both (lazy tables, spaCy's first call)
        scanner.scan(Item(case.file, case.raw), False)
        if open_gates is not None:
            open_gates.scan(Item(case.file, case.raw), False)
        if presidio is not None:
            stock_flags(presidio, extract_message(case.raw).parts)
    spent = {"phigate": 0.0, "single": 0.0, "stock": 0.0, "ungated": 0.0}
    # phigate's and stock Presidio's time by the manifest's label: clean mail should cost little
    by_label: dict[tuple[str, str], float] = {}
    flagged = 0
    chunks = [cases[k : k + BATCH_ITEMS] for k in range(0, len(cases), BATCH_ITEMS)]
    for rep in range(repeat):
        for i, chunk in enumerate(chunks):
            order = ("phigate", "single", "stock", "ungated")
            order = order[(i + rep) % 4 :] + order[: (i + rep) % 4]
            for name in order:
                if name in ("phigate", "ungated"):
                    # `phigate scan`'s own path: a batch at a time (one NER pass for its windows)
                    who = scanner if name == "phigate" else open_gates
                    if who is None:
                        continue
                    items = [Item(c.file, c.raw) for c in chunk]
                    started = time.perf_counter()
                    records = who.scan_many(items, False)
                    took = time.perf_counter() - started
                    spent[name] += took
                    done = [r for r in records if isinstance(r, dict)]
                    assert len(done) == len(chunk), "a message failed to scan"
                    if name == "phigate":
                        flagged += rep == 0 and sum(r["band"] != "clean" for r in done)
                    whole = sum(r["elapsed_ms"] for r in done) or 1.0
                    for case, r in zip(chunk, done, strict=True):
                        key = (name, case.label)
                        by_label[key] = by_label.get(key, 0.0) + took * r["elapsed_ms"] / whole
                    continue
                for case in chunk:
                    started = time.perf_counter()
                    if name == "single":  # one message at a time: the gateway's path
                        scanner.scan(Item(case.file, case.raw), False)
                    elif presidio is not None:
                        stock_flags(presidio, extract_message(case.raw).parts)
                    else:
                        continue
                    took = time.perf_counter() - started
                    spent[name] += took
                    key = (name, case.label)
                    by_label[key] = by_label.get(key, 0.0) + took
    n = len(cases) * repeat
    out: dict[str, Any] = {
        "messages": len(cases),
        "bytes": sum(len(c.raw) for c in cases),
        "repeat": repeat,
        "phigate_msgs_per_s": round(n / spent["phigate"], 1),
        "phigate_one_at_a_time_msgs_per_s": round(n / spent["single"], 1),
        "batch_items": BATCH_ITEMS,
        "phigate_flagged": flagged,
        "phigate_engine_start_s": round(ours_start, 2),
        "multiscan_patterns": multiscan.held(),
        "multiscan_ready_s": round(multiscan_ready, 2),
    }
    for label, count in sorted(Counter(c.label for c in cases).items()):
        for name in ("phigate", "single", "stock"):
            if (name, label) in by_label:
                out[f"{name}_ms_per_{label}_message"] = round(
                    1000 * by_label[name, label] / (count * repeat), 2
                )
    if open_gates is not None:
        out["ungated_msgs_per_s"] = round(n / spent["ungated"], 1)
        out["prefilter_speedup"] = round(spent["ungated"] / spent["phigate"], 3)
    if presidio is not None:
        out["stock_msgs_per_s"] = round(n / spent["stock"], 1)
        out["ratio"] = round(spent["stock"] / spent["phigate"], 3)
        out["ratio_one_at_a_time"] = round(spent["stock"] / spent["single"], 3)
        out["stock_engine_start_s"] = round(stock_start, 2)
    return out


class CountingNlp:
    """Wraps the engine's spaCy pipeline to count the messages and characters NER reads."""

    def __init__(self, nlp: Any) -> None:
        self.nlp = nlp
        self.batches = 0
        self.chars = 0

    def pipe(self, texts: Any) -> Any:
        """Count one message's NER windows, then run them."""
        texts = list(texts)
        if texts:
            self.batches += 1
            self.chars += sum(len(t) for t in texts)
        return self.nlp.pipe(texts)

    def __call__(self, text: str) -> Any:
        """Count one whole text, then run it."""
        self.batches += 1
        self.chars += len(text)
        return self.nlp(text)


def reach(cases: list[MessageCase]) -> dict[str, Any]:
    """Untimed pass: the share of texts and characters each recognizer and NER gets to read."""
    scanner = Scanner(DetectorConfig(), text_mode=False)
    engine = scanner.engine
    stats = PrefilterStats()
    engine.cheap.stats = stats
    counting = CountingNlp(engine.nlp)
    engine.nlp = counting  # type: ignore[assignment]
    ner_by_label: dict[str, int] = {}
    try:
        for case in cases:
            before = counting.batches
            scanner.scan(Item(case.file, case.raw), False)
            if counting.batches > before:
                ner_by_label[case.label] = ner_by_label.get(case.label, 0) + 1
    finally:
        engine.cheap.stats = None
        engine.nlp = counting.nlp
    texts, chars = max(stats.texts, 1), max(stats.chars, 1)
    rows = {
        name: (round(100 * n / texts, 1), round(100 * c / chars, 1))
        for name, (n, c) in stats.reached.items()
    }
    for rec in engine.recognizers:
        rows.setdefault(rec.name, (0.0, 0.0))
    runs = sum(n for n, _ in stats.reached.values())
    return {
        "texts_analysed": stats.texts,
        "chars_analysed": stats.chars,
        "recognizer_runs_per_text": round(runs / texts, 1),
        "recognizer_runs_ungated_per_text": len(engine.recognizers),
        "ner_messages_pct": round(100 * counting.batches / max(len(cases), 1), 1),
        "ner_chars_pct": round(100 * counting.chars / chars, 1),
        **{
            f"ner_{label}_messages_pct": round(100 * ner_by_label.get(label, 0) / count, 1)
            for label, count in sorted(Counter(c.label for c in cases).items())
        },
        "reach_pct_texts_chars": rows,
    }


def _text_kind(part: Any) -> str:
    """What a text of a message is, for `stages`: subject, header, body or attachment."""
    if part.kind == "header":
        return "header"
    name = str(part.part)
    if name in ("subject", "body"):
        return name
    return "attachment" if name.startswith("attachment") else str(part.kind)


class StageClock:
    """Times one Scanner's stages by wrapping its engine's steps (nothing in the engine changes).

    The recognizers' time is kept by the kind of text they read: a message's subject and header
    fields are texts of their own, and each text pays the recognizers' fixed cost.
    """

    def __init__(self, scanner: Scanner) -> None:
        self.scanner = scanner
        self.spent: Counter[str] = Counter()
        self.texts: Counter[str] = Counter()
        self._kinds: list[str] = []
        self._inner: dict[str, Any] = {}
        # the Hyperscan pass the engine runs just before a text's recognizers (for its own
        # searches after them, engine._note_scanned): counted with that text's recognizers
        self._noted = 0.0

    def _analyze(self, parts: Any) -> Any:
        self._kinds = [_text_kind(p) for p in parts]
        started = time.perf_counter()
        try:
            return self._inner["analyze"](parts)
        finally:
            self.spent["analyze"] += time.perf_counter() - started

    def _cheap(self, text: str) -> Any:
        # analyze reads its parts' texts in order, one `_cheap` each
        kind = self._kinds.pop(0) if self._kinds else "other"
        started = time.perf_counter()
        try:
            return self._inner["cheap"](text)
        finally:
            self.spent[f"recognizers_{kind}"] += time.perf_counter() - started + self._noted
            self._noted = 0.0
            self.texts[kind] += 1

    def _note(self, text: str) -> None:
        started = time.perf_counter()
        try:
            self._inner["note"](text)
        finally:
            self._noted += time.perf_counter() - started

    def _ner(self, *args: Any) -> Any:
        started = time.perf_counter()
        try:
            return self._inner["ner"](*args)
        finally:
            self.spent["ner"] += time.perf_counter() - started

    def _extract(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return self._inner["extract"](*args, **kwargs)
        finally:
            self.spent["extract"] += time.perf_counter() - started

    def run(self, cases: list[MessageCase], repeat: int) -> dict[str, Any]:
        """Scan every case ``repeat`` times; ms a message per stage, texts a message per kind."""
        engine = self.scanner.engine
        self._inner = {
            "analyze": engine.analyze,
            "cheap": engine._cheap,
            "ner": engine._read,
            "extract": scan_module.extract_message,
            "note": engine_module._note_scanned,
        }
        engine.analyze = self._analyze  # type: ignore[method-assign]
        engine._cheap = self._cheap  # type: ignore[method-assign]
        engine._read = self._ner  # type: ignore[method-assign]
        scan_module.extract_message = self._extract  # type: ignore[assignment]
        engine_module._note_scanned = self._note  # type: ignore[assignment]
        total = 0.0
        try:
            for _ in range(repeat):
                for case in cases:
                    started = time.perf_counter()
                    self.scanner.scan(Item(case.file, case.raw), False)
                    total += time.perf_counter() - started
        finally:
            for name in ("analyze", "_cheap", "_read"):
                vars(engine).pop(name, None)
            scan_module.extract_message = self._inner["extract"]
            engine_module._note_scanned = self._inner["note"]
        n = max(len(cases) * repeat, 1)
        recognizers = sum(v for k, v in self.spent.items() if k.startswith("recognizers_"))
        stages = {
            "extract": self.spent["extract"],
            **{k: v for k, v in sorted(self.spent.items()) if k.startswith("recognizers_")},
            "ner": self.spent["ner"],
            # names' roles, staff, the findings and the decision (twice when NER ran)
            "roles_and_decision": self.spent["analyze"] - recognizers - self.spent["ner"],
            "record": total - self.spent["extract"] - self.spent["analyze"],
        }
        return {
            "stages_ms_per_message": {k: round(1000 * v / n, 3) for k, v in stages.items()},
            "stages_total_ms_per_message": round(1000 * total / n, 3),
            "texts_per_message": {k: round(v / n, 2) for k, v in sorted(self.texts.items())},
        }


def stages(cases: list[MessageCase], repeat: int) -> dict[str, Any]:
    """A timed pass of its own (after the throughput's), split by stage and by kind of text."""
    scanner = Scanner(DetectorConfig(), text_mode=False)
    multiscan.start(wait=True)
    for case in cases[:5]:
        scanner.scan(Item(case.file, case.raw), False)
    return StageClock(scanner).run(cases, repeat)


def batch_sizes(text: str) -> tuple[int, ...]:
    """Comma-separated batch sizes, each at least 1 (argparse type)."""
    try:
        sizes = tuple(positive_int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError("must be whole numbers, comma-separated") from None
    return sizes


def batch_curve(
    cases: list[MessageCase], sizes: tuple[int, ...], repeat: int, seed: int
) -> dict[str, Any]:
    """The process CPU a message when the messages are scanned in batches of each size, and its
    ratio against batches of one (the baseline, always measured).

    A gateway's detection process scans alone what reaches it alone and as one batch what
    queued for it while it was busy (gateway/detectpool.py); this shows what a batch of each
    size saves a message. Each round shuffles the messages anew and takes the sizes in a
    rotated order, so that drift in the machine's speed hits every size alike.
    """
    scanner = Scanner(DetectorConfig(), text_mode=False)
    multiscan.start(wait=True)
    settle_heap()
    for case in cases[:5]:
        scanner.scan(Item(case.file, case.raw), False)
    order = sorted({1, *sizes})
    rng = random.Random(seed)
    spent = dict.fromkeys(order, 0.0)
    for rep in range(repeat):
        turn = order[rep % len(order) :] + order[: rep % len(order)]
        for size in turn:
            shuffled = list(cases)
            rng.shuffle(shuffled)
            started = time.process_time()
            for k in range(0, len(shuffled), size):
                chunk = shuffled[k : k + size]
                records = scanner.scan_many([Item(c.file, c.raw) for c in chunk], False)
                if not all(isinstance(r, dict) for r in records):
                    raise SystemExit("a message failed to scan")
            spent[size] += time.process_time() - started
    n = max(len(cases) * repeat, 1)
    ms = {size: 1000 * spent[size] / n for size in order}
    return {
        "batch_cpu_ms_per_message": {str(size): round(ms[size], 3) for size in order},
        "batch_ratio_to_one": {
            str(size): round(ms[1] / ms[size], 3) if ms[size] else None for size in order
        },
    }


def startup(work: Path, phigate: list[str]) -> dict[str, Any]:
    """Seconds from spawning `phigate serve` (PHI detector) to the 250 of its first message."""
    sink_port, port = free_port(), free_port()
    sink = ManagedProcess(
        "sink",
        [sys.executable, str(REPO / "bench" / "relay.py"), "_sink", "--port", str(sink_port)],
        work / "sink.log",
    )
    config = write_phigate_config(work / "phigate", "phi")
    try:
        sink.wait_ready(sink_port, 1)
        started = time.perf_counter()
        serve = ManagedProcess(
            "phigate",
            phigate_serve_cmd(phigate, port, sink_port, config, 1),
            work / "phigate.log",
        )
        try:
            listening = None
            while time.perf_counter() - started < 120:
                if serve.proc.poll() is not None:
                    raise SystemExit(f"phigate stopped during start-up:\n{serve.log_tail()}")
                try:
                    with smtplib.SMTP(LOOPBACK, port, timeout=60) as s:
                        if listening is None:
                            listening = time.perf_counter() - started
                        s.sendmail(
                            "frontdesk@practice.example", ["billing@partner.example"], FIRST_MESSAGE
                        )
                    break
                except (OSError, smtplib.SMTPException):
                    time.sleep(0.05)
            first = time.perf_counter() - started
        finally:
            serve.stop()
    finally:
        sink.stop()
    return {
        "startup_to_port_s": round(listening or 0.0, 2),
        "startup_to_first_250_s": round(first, 2),
    }


def main(argv: list[str] | None = None) -> int:
    """Command line; prints a table and one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEV_CORPUS, help="labelled corpus folder")
    parser.add_argument("--per-family", type=int, default=3, help="generated messages per family")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--repeat", type=positive_int, default=1)
    parser.add_argument("--skip-stock", action="store_true")
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--ungated", action="store_true", help="also time every gate open")
    parser.add_argument(
        "--stages",
        action="store_true",
        help="also time phigate's stages (extraction, recognizers by kind of text, NER, the rest)",
    )
    parser.add_argument(
        "--batch-sizes",
        type=batch_sizes,
        default=(),
        metavar="N[,N...]",
        help="also time scans in batches of these sizes (CPU a message, against batches of one)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="phigate-scan-speed-") as tmp:
        work = Path(tmp)
        cases = corpus(args.corpus, args.per_family, args.seed, work)
        figures = throughput(cases, args.repeat, not args.skip_stock, args.ungated)
        figures.update(reach(cases))
        if args.stages:
            figures.update(stages(cases, args.repeat))
        if args.batch_sizes:
            figures.update(batch_curve(cases, args.batch_sizes, args.repeat, args.seed))
        if not args.skip_startup:
            figures.update(startup(work, default_phigate().split()))
    print(f"# {figures['messages']} messages ({figures['bytes']} bytes) x {figures['repeat']}")
    for key, value in figures.items():
        if key in (
            "stages_ms_per_message",
            "texts_per_message",
            "batch_cpu_ms_per_message",
            "batch_ratio_to_one",
        ):
            print(f"{key}:")
            for name, figure in value.items():
                print(f"  {name:28} {figure}")
            continue
        if key == "reach_pct_texts_chars":
            print("reach (% of texts, % of chars) per recognizer:")
            for name, (pt, pc) in sorted(value.items(), key=lambda kv: kv[1]):
                print(f"  {name:30} {pt:5.1f}% {pc:5.1f}%")
            continue
        print(f"{key:28} {value}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    with children_stopped_on_sigterm():
        raise SystemExit(main())
