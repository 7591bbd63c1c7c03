"""Instructions a scan costs: this tree against another commit, counted by valgrind, same run.

    .venv/bin/python bench/scan_instructions.py                  # against HEAD (the tree's edits)
    .venv/bin/python bench/scan_instructions.py --against fac4a57 --per-family 3

Wall-clock A/B runs on a shared 2-core machine vary by 2-8% from run to run, more than most
single changes to the scan save, so a 1% change cannot be seen by timing. This script counts
instructions instead: each tree scans the same messages (extraction and `PhiEngine.analyze`, as
`phigate scan` does) in a process of its own under `valgrind --tool=callgrind`, with counting
switched on only around the scan loop, the engine built and warmed beforehand. The count is
deterministic (the hash seed is fixed): one tree gives the same count run after run, and the
same code checked out in two places differs by about a part in a thousand. Instructions are not
time: cache misses and the machine's speed are not counted.
Each tree also prints a digest of every message's findings and decision, so the same figure says
whether a change kept the records.

Needs valgrind (`apt-get install valgrind`); a run of both trees over 331 messages takes about
five minutes (the two run side by side). Figures only: nothing here asserts a count.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.args import positive_int  # noqa: E402
from bench.corpus.generate import generate  # noqa: E402

DEV_CORPUS = Path("/work/shared/corpus/dev")
COLLECTED = re.compile(r"Collected : (\d+)")

# Run in the tree under test (its path first on sys.path). Counting is toggled on by entering
# functools.reduce, which nothing in the engine's load or warm-up calls, and off on leaving it.
CHILD = r"""
import functools, hashlib, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from detectors.config import DetectorConfig
from detectors.engine import PhiEngine, recognizer_patterns
from detectors.extract import extract_message
from detectors.recognizers import multiscan

engine = PhiEngine(DetectorConfig())
multiscan.start(recognizer_patterns, wait=True)
try:  # a tree with PCRE2 twins builds them in the background too: wait, or they would be
    # counted (and not used) in the loop
    from detectors.recognizers import pcretwin
except ImportError:
    pcretwin = None
if pcretwin is not None:
    pcretwin.start(recognizer_patterns, wait=True)
raws = [Path(p).read_bytes() for p in Path(sys.argv[2]).read_text().splitlines()]
for raw in raws[:20]:
    engine.analyze(extract_message(raw).parts)
out = []
def scan(acc, raw):
    findings, decision = engine.analyze(extract_message(raw).parts)
    out.append((sorted(map(repr, findings)), decision.phi, decision.score, decision.reasons))
functools.reduce(scan, raws, None)
print("digest", hashlib.sha256(repr(out).encode()).hexdigest()[:16], flush=True)
"""


def messages(per_family: int, seed: int, work: Path) -> list[Path]:
    """The shared dev corpus and a generated one (as bench/scan_speed.py reads them)."""
    paths = sorted(DEV_CORPUS.glob("*.eml")) if DEV_CORPUS.is_dir() else []
    if per_family:
        generate(work / "generated", per_family, seed)
        paths += sorted((work / "generated").rglob("*.eml"))
    return paths


def checkout(rev: str, work: Path) -> Path:
    """A detached worktree of ``rev`` (removed by `drop`)."""
    tree = work / "against"
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", "--quiet", str(tree), rev],
        check=True,
    )
    return tree


def drop(tree: Path) -> None:
    """Remove the worktree `checkout` made."""
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)],
        check=False,
        capture_output=True,
    )


def start(tree: Path, listing: Path, work: Path, name: str) -> subprocess.Popen[str]:
    """Start the scan of ``tree`` under callgrind; its report goes to work/<name>.*"""
    env = dict(os.environ, PYTHONHASHSEED="0")
    return subprocess.Popen(
        [
            "valgrind",
            "--tool=callgrind",
            "--collect-atstart=no",
            "--toggle-collect=functools_reduce",
            f"--callgrind-out-file={work / (name + '.callgrind')}",
            sys.executable,
            "-c",
            CHILD,
            str(tree),
            str(listing),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=str(work),
    )


def finish(proc: subprocess.Popen[str], name: str) -> tuple[int, str]:
    out, err = proc.communicate()
    counted = COLLECTED.search(err)
    digest = next((ln.split()[1] for ln in out.splitlines() if ln.startswith("digest ")), "")
    if proc.returncode != 0 or counted is None or not digest:
        tail = "\n".join(err.strip().splitlines()[-15:])
        raise SystemExit(
            f"{name}: the scan under valgrind failed (exit {proc.returncode}):\n{tail}"
        )
    return int(counted.group(1)), digest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--against", default="HEAD", help="commit to compare with (default HEAD)")
    ap.add_argument("--per-family", type=int, default=3, help="generated messages a family")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--limit", type=positive_int, default=None, help="scan only the first N")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed: apt-get install valgrind")
    with tempfile.TemporaryDirectory(prefix="phigate-ir-") as tmp:
        work = Path(tmp)
        paths = messages(args.per_family, args.seed, work)[: args.limit]
        if not paths:
            raise SystemExit("no messages: neither the dev corpus nor a generated one")
        listing = work / "messages.txt"
        listing.write_text("\n".join(str(p) for p in paths))
        tree = checkout(args.against, work)
        try:
            procs = {
                "against": start(tree, listing, work, "against"),
                "tree": start(REPO, listing, work, "tree"),
            }
            (base, base_digest), (mine, digest) = (finish(p, n) for n, p in procs.items())
        finally:
            drop(tree)
    rev = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", args.against],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    n = len(paths)
    print(f"messages scanned: {n} (dev corpus and {args.per_family} generated a family)")
    print(f"{rev or args.against:>12}: {base / n / 1e6:9.3f} M instructions a message")
    print(f"{'this tree':>12}: {mine / n / 1e6:9.3f} M instructions a message")
    print(f"ratio (this tree / {rev or args.against}): {mine / base:.4f}")
    same = "identical" if digest == base_digest else "DIFFERENT"
    print(f"findings and decisions: {same} (digests {base_digest} and {digest})")


if __name__ == "__main__":
    main()
