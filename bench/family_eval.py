"""Message-level detection by family: recall, false-positive rate and the worst family.

Reads one or more labelled corpora (a folder with manifest.jsonl: file, label, category), by
default the shared dev corpus and a corpus generated afresh by bench/corpus/generate.py, and
runs phigate's extraction and engine on every message. The shared dev corpus is what the rules
were tuned on; every other corpus is held out, and the figures that matter are the held-out
ones. A message counts as flagged when the engine calls it PHI or a part could not be read
(the gateway never lets either out in clear).

The generated families are split once more, by a fixed rule written down here and never changed
after the figures were seen: a family belongs to the *tuning half* when the first byte of the
SHA-256 of its name is even, else to the *held-out half* (`split_of`). The rule does not depend on
which other families exist, so adding families never moves one from half to half. Rules may be
tuned while looking at the tuning half's messages and figures (`--split tune`); the held-out half
is only run to report the final figure and its worst family (`--split holdout`).

    .venv/bin/python bench/family_eval.py [--corpus DIR ...] [--per-family 40]
        [--split tune|holdout|all] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.corpus.generate import generate  # noqa: E402
from detectors.engine import PhiEngine  # noqa: E402
from detectors.extract import extract_message  # noqa: E402

SHARED_DEV = REPO.parent / "shared" / "corpus" / "dev"
TARGET_RECALL = 0.99
TARGET_FPR = 0.02
TARGET_WORST_FAMILY = 0.95
SPLITS = ("tune", "holdout", "all")
GROUPS = ("tuned", "tuning half", "held-out")


def split_of(family: str) -> str:
    """The fixed half a generated family belongs to: "tune" or "holdout" (see the module doc)."""
    return "tune" if hashlib.sha256(family.encode()).digest()[0] % 2 == 0 else "holdout"


@dataclass(frozen=True)
class Case:
    """One labelled message."""

    corpus: str
    family: str
    label: str
    raw: bytes


@dataclass
class FamilyScore:
    """How many messages of a family were flagged as PHI (or could not be read)."""

    corpus: str
    family: str
    label: str
    messages: int = 0
    flagged: int = 0

    @property
    def rate(self) -> float:
        """Recall for a PHI family, false-positive rate for a clean one."""
        return self.flagged / self.messages if self.messages else 0.0


def load(folder: Path) -> list[Case]:
    """The messages of a corpus folder with its manifest."""
    out = []
    for line in (folder / "manifest.jsonl").read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            out.append(
                Case(
                    folder.name, row["category"], row["label"], (folder / row["file"]).read_bytes()
                )
            )
    return out


def evaluate(cases: Sequence[Case], tuned: set[str], *, halves: bool = False) -> dict[str, object]:
    """Flag every message and sum up by family; corpora named in `tuned` apart from the rest.

    With `halves`, families of the other corpora that `split_of` puts in the tuning half form a
    group of their own ("tuning half"), and only the rest count as held out.
    """
    engine = PhiEngine()
    scores: dict[tuple[str, str], FamilyScore] = {}
    started = time.perf_counter()
    for case in cases:
        extraction = extract_message(case.raw)
        _findings, decision = engine.analyze(extraction.parts)
        # The gateway never lets unreadable mail out in clear either: it counts as flagged.
        # Nor uncertain mail to outsiders: the shipped policy protects the uncertain band.
        flagged = decision.band != "clean" or bool(extraction.unscannable)
        key = (case.corpus, case.family)
        score = scores.setdefault(key, FamilyScore(case.corpus, case.family, case.label))
        score.messages += 1
        score.flagged += int(flagged)
    elapsed = time.perf_counter() - started
    groups: dict[str, list[FamilyScore]] = defaultdict(list)
    for s in scores.values():
        if s.corpus in tuned:
            groups["tuned"].append(s)
        elif halves and split_of(s.family) == "tune":
            groups["tuning half"].append(s)
        else:
            groups["held-out"].append(s)
    summary: dict[str, object] = {"messages": len(cases), "seconds": round(elapsed, 1)}
    for name, fams in groups.items():
        phi = [f for f in fams if f.label == "phi"]
        clean = [f for f in fams if f.label == "clean"]
        n_phi = sum(f.messages for f in phi)
        n_clean = sum(f.messages for f in clean)
        worst = min(phi, key=lambda f: f.rate) if phi else None
        summary[name] = {
            "families": len(fams),
            "recall": round(sum(f.flagged for f in phi) / n_phi, 4) if n_phi else None,
            "false_positive_rate": (
                round(sum(f.flagged for f in clean) / n_clean, 4) if n_clean else None
            ),
            "worst_family": (
                {"family": worst.family, "recall": round(worst.rate, 4)} if worst else None
            ),
        }
    summary["families"] = [
        {"corpus": s.corpus, "family": s.family, "label": s.label, "messages": s.messages,
         "rate": round(s.rate, 4)}
        for s in sorted(scores.values(), key=lambda s: (s.label, s.rate, s.family))
    ]  # fmt: skip
    return summary


def render(summary: dict[str, object]) -> str:
    """A table per family, then the tuned and held-out figures against the issue's targets."""
    lines = [f"{'corpus':<12} {'family':<32} {'label':<6} {'msgs':>5} {'rate':>7}"]
    for f in summary["families"]:  # type: ignore[attr-defined]
        lines.append(
            f"{f['corpus']:<12} {f['family']:<32} {f['label']:<6} {f['messages']:>5} {f['rate']:>7.3f}"
        )
    for name in GROUPS:
        g = summary.get(name)
        if not isinstance(g, dict):
            continue
        worst = g["worst_family"] or {}
        lines.append(
            f"{name}: {g['families']} families, recall {g['recall']}, "
            f"false-positive rate {g['false_positive_rate']}, worst PHI family "
            f"{worst.get('family')} at {worst.get('recall')}"
        )
    held = summary.get("held-out")
    if isinstance(held, dict):
        ok = (
            (held["recall"] or 0) >= TARGET_RECALL
            and (held["false_positive_rate"] or 0) <= TARGET_FPR
            and (held["worst_family"] or {}).get("recall", 0) >= TARGET_WORST_FAMILY
        )
        lines.append(
            f"targets (held-out): recall >= {TARGET_RECALL}, FPR <= {TARGET_FPR}, no family "
            f"below {TARGET_WORST_FAMILY}: {'MET' if ok else 'NOT MET'}"
        )
    lines.append(f"{summary['messages']} messages in {summary['seconds']} s")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, action="append", help="labelled corpus folder")
    parser.add_argument("--per-family", type=int, default=40, help="generated messages per family")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--split",
        choices=SPLITS,
        default="all",
        help="which half of the generated families to run (tune while looking at 'tune' only)",
    )
    parser.add_argument(
        "--no-dev", action="store_true", help="leave the shared dev corpus out of the run"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    folders = list(args.corpus or [])
    # The shared dev corpus is what the rules were tuned on; everything else is held out.
    tuned = {SHARED_DEV.name} if SHARED_DEV.is_dir() else set()
    if SHARED_DEV.is_dir() and not args.corpus and not args.no_dev:
        folders.append(SHARED_DEV)
    with tempfile.TemporaryDirectory() as tmp:
        if not args.corpus:
            generated = Path(tmp) / "generated"
            generate(generated, args.per_family, args.seed)
            folders.append(generated)
        cases = [
            c
            for folder in folders
            for c in load(folder)
            if c.corpus in tuned or args.split == "all" or split_of(c.family) == args.split
        ]
        summary = evaluate(cases, tuned, halves=True)
    print(json.dumps(summary) if args.json else render(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
