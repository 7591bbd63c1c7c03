"""Long tables: the engine's time for big attachments of patient data, and how it grows.

    .venv/bin/python bench/long_tables.py                  # every shape, up to 190,000 characters
    .venv/bin/python bench/long_tables.py --chars 60000 --repeat 1 --no-stock

A practice's exports (a CSV patient list, an HL7 batch, a tab-separated recall list, a FHIR
bundle) and a long reply thread (bench/tables.py) are analysed as one attachment each, at about
a quarter of ``--chars`` and at ``--chars`` (the engine reads 200,000 characters of a part). For
each shape it prints the engine's seconds at both sizes (the median of ``--repeat``), the
growth (the time ratio over the size ratio: 1.0 is linear, 4.0 would be quadratic here), stock
Presidio's seconds on the large one (the same spaCy model, every stock recognizer), and stock's
time over phigate's. Figures only: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.args import positive_int  # noqa: E402
from bench.stock_presidio import stock_presidio_engine  # noqa: E402
from bench.tables import SHAPES  # noqa: E402
from detectors.engine import PhiEngine  # noqa: E402
from detectors.extract.model import TextPart  # noqa: E402
from detectors.recognizers import multiscan  # noqa: E402


def rows_for(shape: str, chars: int) -> int:
    """The most rows of ``shape`` whose text stays within ``chars`` characters."""
    make = SHAPES[shape]
    per_row = len(make(200)) / 200
    rows = max(1, int(chars / per_row))
    while rows > 1 and len(make(rows)) > chars:
        rows -= max(1, rows // 100)
    return rows


def seconds(run: Callable[[], object], repeat: int) -> float:
    """The median wall time of ``repeat`` calls of ``run``."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chars", type=positive_int, default=190_000)
    parser.add_argument("--repeat", type=positive_int, default=3)
    parser.add_argument("--shape", choices=sorted(SHAPES), action="append")
    parser.add_argument("--no-stock", action="store_true", help="skip stock Presidio")
    args = parser.parse_args(argv)

    engine = PhiEngine()
    multiscan.start(wait=True)
    stock = None if args.no_stock else stock_presidio_engine()
    results = []
    print(
        f"{'shape':<13} {'rows':>11} {'chars':>15} {'phigate_s':>15} {'growth':>6} "
        f"{'stock_s':>8} {'stock/phigate':>13} {'patient_names':>13}"
    )
    for shape in args.shape or SHAPES:
        make = SHAPES[shape]
        large = rows_for(shape, args.chars)
        small = max(1, large // 4)
        texts = {n: make(n) for n in (small, large)}

        parts = {
            n: [TextPart(part=f"attachment:{shape}", text=t, origin="bench", kind="plain")]
            for n, t in texts.items()
        }
        engine.analyze(parts[small])  # anything loaded once is loaded
        t_small = seconds(functools.partial(engine.analyze, parts[small]), args.repeat)
        t_large = seconds(functools.partial(engine.analyze, parts[large]), args.repeat)
        findings, decision = engine.analyze(parts[large])
        names = sum(1 for f in findings if f.entity == "PATIENT_NAME")
        growth = (t_large / t_small) / (len(texts[large]) / len(texts[small]))
        t_stock = None
        if stock is not None:
            t_stock = seconds(functools.partial(stock.analyze, texts[large], language="en"), 1)
        row = {
            "shape": shape,
            "rows": [small, large],
            "chars": [len(texts[small]), len(texts[large])],
            "phigate_s": [round(t_small, 3), round(t_large, 3)],
            "growth": round(growth, 2),
            "stock_s": None if t_stock is None else round(t_stock, 3),
            "stock_over_phigate": None if t_stock is None else round(t_stock / t_large, 2),
            "patient_names": names,
            "phi": decision.phi,
        }
        results.append(row)
        stock_s = "-" if t_stock is None else f"{t_stock:.2f}"
        ratio = "-" if t_stock is None else f"{t_stock / t_large:.2f}x"
        print(
            f"{shape:<13} {small:>5}/{large:<5} {len(texts[small]):>7}/{len(texts[large]):<7} "
            f"{t_small:>7.3f}/{t_large:<7.3f} {growth:>6.2f} {stock_s:>8} {ratio:>13} "
            f"{names:>13}",
            flush=True,
        )
    print(json.dumps({"shapes": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
