"""Chain verification: finds edited, deleted, inserted, reordered and truncated records."""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from gateway.audit.anchor import Anchor
from gateway.audit.entry import GENESIS_MAC, record_mac
from gateway.audit.keys import KeyRing

ProblemKind = Literal[
    "edited", "deleted", "inserted", "reordered", "truncated", "unknown-key", "rolled-back"
]

# Above this many consecutive missing seqs, one problem names the whole range.
_RANGE_SPLIT = 20
# Bound on the pairwise timestamp-swap search among records whose MAC fails.
_SWAP_SEARCH_LIMIT = 200


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the log: which record (seq, ref id), what kind, and how we know."""

    seq: int
    ref_id: str | None
    kind: ProblemKind
    detail: str
    # The node whose anchor, witness or database row showed the problem (None: the log's one
    # anchor, or a problem in the records themselves).
    node: str | None = None

    def __str__(self) -> str:
        where = f" [node {self.node}]" if self.node is not None else ""
        return f"seq {self.seq} (ref {self.ref_id or '?'}){where}: {self.kind}: {self.detail}"


@dataclass(frozen=True)
class NodeSummary:
    """One node's share of the log: its records, where they end and where its anchors say
    they end (a node that stopped simply ends early; that is no problem)."""

    node: str
    records: int
    first_seq: int | None
    last_seq: int | None
    last_ref_id: str | None
    anchored_seq: int | None = None
    file_seq: int | None = None


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of `AuditLog.verify()`: ok only when no problem was found."""

    ok: bool
    checked: int
    problems: list[Problem] = field(default_factory=list)
    # (seq, ref_id) of "message-pending" records no final record of the same ref completes:
    # the message may or may not have left (not a chain problem, but an operator must look).
    incomplete: list[tuple[int, str]] = field(default_factory=list)
    nodes: list[NodeSummary] = field(default_factory=list)

    def node_problems(self, node: str) -> list[Problem]:
        """The problems found through this node's anchor, witness or row."""
        return [p for p in self.problems if p.node == node]


@dataclass(frozen=True)
class AnchorState:
    """What verify found in the anchor file: an anchor, nothing, or an error."""

    anchor: Anchor | None
    error: str | None = None


@dataclass(frozen=True)
class WitnessState:
    """What verify found in the witness file: every witnessed seq and MAC, nothing, or an error."""

    seen: Mapping[int, set[str]] | None
    error: str | None = None


@dataclass(frozen=True)
class NodeFiles:
    """One anchor file and its witness: the log's only pair (node None), or one node's pair."""

    node: str | None
    anchor: AnchorState
    witness: WitnessState | None = None


@dataclass(frozen=True)
class NodeRow:
    """Where the database says a node's appends ended; `authentic` when its MAC holds."""

    node: str
    seq: int
    mac: str
    ref_id: str
    authentic: bool


Status = Literal["ok", "unknown-key", "moved", "bad", "duplicate", "ts-swapped"]


@dataclass
class _Rec:
    """A record under examination; `row` is kept only when its MAC fails at its stored seq."""

    seq: int
    ref_id: str
    key_id: str
    prev_mac: str
    mac: str
    status: Status
    row: dict[str, Any] | None = None
    genuine: int | None = None
    resolved: bool = False
    note: str = ""


def _mac_ok(ring: KeyRing, row: Mapping[str, Any], seq: int) -> bool:
    key = ring.key(row["key_id"])
    if key is None:
        return False
    return hmac.compare_digest(record_mac(key, seq, row), row["mac"])


class _Analysis:
    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring
        self.recs: list[_Rec] = []
        self.by_seq: dict[int, int] = {}
        self.by_mac: dict[str, int] = {}
        self.referenced: dict[str, int] = {}  # prev_mac -> index of a record naming it
        self.problems: list[Problem] = []

    def add(self, row: Mapping[str, Any]) -> None:
        seq = int(row["seq"])
        if self.ring.key(row["key_id"]) is None:
            status: Status = "unknown-key"
        elif _mac_ok(self.ring, row, seq):
            status = "ok"
        else:
            status = "bad"
        rec = _Rec(
            seq=seq,
            ref_id=row["ref_id"],
            key_id=row["key_id"],
            prev_mac=row["prev_mac"],
            mac=row["mac"],
            status=status,
            row=dict(row) if status == "bad" else None,
            genuine=seq if status == "ok" else None,
            resolved=status != "bad",
        )
        i = len(self.recs)
        self.recs.append(rec)
        self.by_seq[seq] = i
        known = self.by_mac.get(rec.mac)
        if known is None or (status == "ok" and self.recs[known].status != "ok"):
            self.by_mac[rec.mac] = i
        self.referenced.setdefault(rec.prev_mac, i)

    # -- resolution -----------------------------------------------------------

    def _resolve(self, i: int) -> None:
        """Find the seq a MAC-failing record was made for by following prev-MAC links back."""
        path: list[int] = []
        seen: set[int] = set()
        j: int | None = i
        base: int | None = None
        while j is not None:
            rec = self.recs[j]
            if rec.resolved:
                base = rec.genuine
                break
            if j in seen:
                base = None
                break
            seen.add(j)
            path.append(j)
            if rec.prev_mac == GENESIS_MAC:
                base = 0
                break
            nxt = self.by_mac.get(rec.prev_mac)
            j = nxt if nxt != j else None
        for k in reversed(path):
            rec = self.recs[k]
            rec.resolved = True
            g = None if base is None else base + 1
            assert rec.row is not None
            if g is not None and g != rec.seq and _mac_ok(self.ring, rec.row, g):
                rec.status, rec.genuine = "moved", g
            base = rec.genuine

    def _other_key(self, rec: _Rec) -> str | None:
        assert rec.row is not None
        for key_id in self.ring.keys:
            if key_id != rec.key_id and _mac_ok(self.ring, {**rec.row, "key_id": key_id}, rec.seq):
                return key_id
        return None

    def _find_ts_swaps(self) -> None:
        bad = [r for r in self.recs if r.status == "bad"][:_SWAP_SEARCH_LIMIT]
        for a in bad:
            for b in bad:
                if a is b or a.row is None or b.row is None:
                    continue
                if _mac_ok(self.ring, {**a.row, "ts": b.row["ts"]}, a.seq):
                    a.status, a.genuine = "ts-swapped", a.seq
                    a.note = (
                        f"timestamp swapped with seq {b.seq}: its MAC fits seq {b.seq}'s timestamp"
                    )
                    break

    # -- classification -------------------------------------------------------

    def _links_back(self, rec: _Rec) -> bool:
        if rec.seq == 1:
            return rec.prev_mac == GENESIS_MAC
        p = self.by_seq.get(rec.seq - 1)
        return p is not None and self.recs[p].mac == rec.prev_mac

    def _problem(
        self, seq: int, ref: str | None, kind: ProblemKind, detail: str, node: str | None = None
    ) -> None:
        self.problems.append(Problem(seq=seq, ref_id=ref, kind=kind, detail=detail, node=node))

    def finish(
        self,
        files: Sequence[NodeFiles],
        head: tuple[int, str] | None,
        rows: Sequence[NodeRow] = (),
    ) -> VerifyReport:
        for i, rec in enumerate(self.recs):
            if rec.status == "bad" and not rec.resolved:
                self._resolve(i)
        self._find_ts_swaps()

        trusted = [
            f.anchor.anchor
            for f in files
            if f.anchor.anchor is not None and f.anchor.anchor.is_authentic(self.ring)
        ]
        # The furthest trusted anchor: a record beyond it cannot be genuine.
        anchor = max(trusted, key=lambda a: a.seq, default=None)
        genuine_home: dict[int, int] = {}
        for i, rec in enumerate(self.recs):
            if rec.status == "ok":
                genuine_home[rec.seq] = i
        for i, rec in enumerate(self.recs):
            if rec.status == "moved" and rec.genuine is not None:
                if rec.genuine in genuine_home:
                    rec.status = "duplicate"
                else:
                    genuine_home[rec.genuine] = i
            elif rec.status == "ts-swapped":
                genuine_home[rec.seq] = i
            elif rec.status == "unknown-key" and (
                self._links_back(rec) or self.referenced.get(rec.mac) is not None
            ):
                genuine_home[rec.seq] = i

        present: set[int] = set(genuine_home)
        moved: list[_Rec] = []
        for rec in self.recs:
            if rec.status == "ok":
                self._check_link(rec)
            elif rec.status == "unknown-key":
                self._problem(
                    rec.seq,
                    rec.ref_id,
                    "unknown-key",
                    f"key id {rec.key_id!r} is not in the key file, so its MAC cannot be checked",
                )
            elif rec.status == "moved":
                moved.append(rec)
            elif rec.status == "ts-swapped":
                self._problem(rec.seq, rec.ref_id, "reordered", rec.note)
            elif rec.status == "duplicate":
                self._problem(
                    rec.seq,
                    rec.ref_id,
                    "inserted",
                    f"a replayed copy of the record at seq {rec.genuine}",
                )
            elif self._classify_bad(rec, anchor, genuine_home):
                present.add(rec.seq)
        self._report_moved(moved)
        self._report_deleted(present, genuine_home)
        known = self._report_tail(present, files, head, rows, genuine_home)
        for f in files:
            if f.witness is not None:
                self._report_witness(f, present, genuine_home, known)
        self.problems.sort(key=lambda p: p.seq)
        return VerifyReport(ok=not self.problems, checked=len(self.recs), problems=self.problems)

    def _report_witness(
        self,
        files: NodeFiles,
        present: set[int],
        genuine_home: Mapping[int, int],
        known: int,
    ) -> None:
        """Compare the log with the append-only witness: a restored older copy ends too early
        (or, appended to again, holds other records at seqs the witness saw).

        What the anchor or the chain head already shows missing is not reported again.
        """
        top = max(present, default=0)
        witness, node = files.witness, files.node
        assert witness is not None
        anchor = files.anchor.anchor
        if anchor is None or not anchor.is_authentic(self.ring):
            return  # a missing or untrusted anchor is reported already, with the same meaning
        if witness.error is not None:
            self._problem(
                top,
                None,
                "rolled-back",
                f"the witness file cannot be read ({witness.error}), so a rollback "
                "cannot be ruled out",
                node,
            )
            return
        if witness.seen is None:
            if self.recs:
                self._problem(
                    top,
                    None,
                    "rolled-back",
                    "the witness file is missing, so a rollback cannot be ruled out",
                    node,
                )
            return
        seen = max(witness.seen, default=0)
        if seen > max(top, known):
            self._problem(
                top,
                None,
                "rolled-back",
                f"rolled back: the log ends at seq {top} but the witness saw seq {seen}",
                node,
            )
        reported = {p.seq for p in self.problems}
        for seq, macs in sorted(witness.seen.items()):
            home = genuine_home.get(seq)
            if seq in reported or (home is None and len(macs) < 2):
                continue
            if len(macs) > 1 or (home is not None and self.recs[home].mac not in macs):
                self._problem(
                    seq,
                    self.recs[home].ref_id if home is not None else None,
                    "rolled-back",
                    "rolled back and appended again: the record at this seq is not the one "
                    "the witness saw",
                    node,
                )
                return

    def _check_link(self, rec: _Rec) -> None:
        if rec.seq == 1:
            if rec.prev_mac != GENESIS_MAC:
                self._problem(
                    rec.seq, rec.ref_id, "inserted", "seq 1 does not start from the genesis MAC"
                )
            return
        p = self.by_seq.get(rec.seq - 1)
        if p is None:
            return  # a gap: reported as deleted
        pred = self.recs[p]
        if pred.status == "ok" and pred.mac != rec.prev_mac:
            self._problem(
                rec.seq,
                rec.ref_id,
                "inserted",
                f"chain link broken: its previous MAC is not seq {pred.seq}'s "
                "(spliced in from another chain)",
            )

    def _classify_bad(
        self, rec: _Rec, anchor: Anchor | None, genuine_home: Mapping[int, int]
    ) -> bool:
        """Report a record whose MAC fails; return True when it is an edited genuine record."""
        other = self._other_key(rec)
        referenced_by = self.referenced.get(rec.mac)
        if other is not None:
            self._problem(
                rec.seq,
                rec.ref_id,
                "edited",
                f"key id changed from {other!r} to {rec.key_id!r}; the MAC fits {other!r}",
            )
            return True
        if referenced_by is not None and self.recs[referenced_by] is not rec:
            nxt = self.recs[referenced_by]
            self._problem(
                rec.seq,
                rec.ref_id,
                "edited",
                f"MAC mismatch: fields changed after it was written (seq {nxt.seq} still "
                "links to its original MAC)",
            )
            return True
        if anchor is not None and rec.seq > anchor.seq:
            self._problem(
                rec.seq,
                rec.ref_id,
                "inserted",
                f"beyond the last anchored seq {anchor.seq}, and its MAC is valid under no key",
            )
            return False
        if anchor is not None and rec.seq == anchor.seq and rec.mac == anchor.mac:
            self._problem(
                rec.seq,
                rec.ref_id,
                "edited",
                "MAC mismatch: fields changed (the anchor file holds its original MAC)",
            )
            return True
        home = genuine_home.get(rec.seq)
        if home is not None:
            self._problem(
                rec.seq,
                rec.ref_id,
                "inserted",
                f"MAC valid under no key, and the genuine seq {rec.seq} is stored at seq "
                f"{self.recs[home].seq}",
            )
            return False
        if self._links_back(rec):
            self._problem(rec.seq, rec.ref_id, "edited", "MAC mismatch: fields or MAC changed")
            return True
        self._problem(
            rec.seq,
            rec.ref_id,
            "inserted",
            "MAC valid under no key, and its chain link fits no record",
        )
        return False

    def _report_moved(self, moved: list[_Rec]) -> None:
        runs: list[list[_Rec]] = []
        for rec in moved:
            assert rec.genuine is not None
            if runs:
                last = runs[-1][-1]
                assert last.genuine is not None
                if rec.seq == last.seq + 1 and rec.seq - rec.genuine == last.seq - last.genuine:
                    runs[-1].append(rec)
                    continue
            runs.append([rec])
        for run in runs:
            first, last = run[0], run[-1]
            assert first.genuine is not None
            if len(run) == 1:
                detail = f"stored as seq {first.seq}, but its MAC and chain link place it at seq {first.genuine}"
            else:
                detail = (
                    f"seqs {first.seq}..{last.seq} are renumbered by "
                    f"{first.seq - first.genuine:+d} from the seqs their MACs were made for"
                )
            self._problem(first.seq, first.ref_id, "reordered", detail)

    def _missing(
        self, lo: int, hi: int, kind: ProblemKind, detail: str, refs: Mapping[int, str]
    ) -> None:
        if hi - lo + 1 > _RANGE_SPLIT:
            self._problem(lo, refs.get(lo), kind, f"seqs {lo}..{hi} missing: {detail}")
            return
        for k in range(lo, hi + 1):
            self._problem(k, refs.get(k), kind, f"record missing: {detail}")

    def _report_deleted(self, present: set[int], genuine_home: Mapping[int, int]) -> None:
        top = max(present, default=0)
        k = 1
        while k <= top:
            if k in present or k in self.by_seq:
                k += 1
                continue
            lo = k
            while k <= top and k not in present and k not in self.by_seq:
                k += 1
            hi = k - 1
            nxt = genuine_home.get(hi + 1)
            after = (
                f"seq {hi + 1} (ref {self.recs[nxt].ref_id}) links to a MAC no stored record has"
                if nxt is not None
                else f"seq {hi + 1} follows a gap"
            )
            self._missing(lo, hi, "deleted", after, {})

    def _report_tail(
        self,
        present: set[int],
        files: Sequence[NodeFiles],
        head: tuple[int, str] | None,
        rows: Sequence[NodeRow],
        genuine_home: Mapping[int, int],
    ) -> int:
        """Check where the log ends against every anchor file, the chain head and every node
        row; return the furthest seq any trusted source says the log reached."""
        top = max(present, default=0)
        claims: list[tuple[int, str]] = []
        refs: dict[int, str] = {}
        anchored: list[tuple[str | None, int, str, str]] = []  # node, seq, mac, ref id
        for f in files:
            anchor, node = f.anchor.anchor, f.node
            ok = anchor is not None and anchor.is_authentic(self.ring)
            named = "the anchor file" if node is None else f"node {node}'s anchor file"
            if f.anchor.error is not None or (anchor is not None and not ok):
                why = f.anchor.error or "its MAC does not verify"
                self._problem(
                    anchor.seq if anchor is not None else top,
                    None,
                    "truncated",
                    f"{named} cannot be trusted ({why}), so trailing deletions cannot be ruled out",
                    node,
                )
            elif anchor is None and self.recs:
                self._problem(
                    top,
                    None,
                    "truncated",
                    f"{named} is missing, so trailing deletions cannot be ruled out",
                    node,
                )
            if anchor is not None and ok:
                claims.append((anchor.seq, f"{named} records seq {anchor.seq}"))
                refs[anchor.seq] = anchor.ref_id
                anchored.append((node, anchor.seq, anchor.mac, anchor.ref_id))
        for row in rows:
            if not row.authentic:
                self._problem(
                    row.seq,
                    row.ref_id,
                    "edited",
                    f"node {row.node}'s row in audit_nodes fails its MAC (changed in the database)",
                    row.node,
                )
                continue
            claims.append((row.seq, f"node {row.node}'s row records seq {row.seq}"))
            refs.setdefault(row.seq, row.ref_id)
            anchored.append((row.node, row.seq, row.mac, row.ref_id))
        if head is not None:
            claims.append((head[0], f"the chain head records seq {head[0]}"))
        claimed = max((c[0] for c in claims), default=0)
        if claimed > top:
            why = " and ".join(c[1] for c in claims if c[0] > top)
            self._missing(
                top + 1, claimed, "truncated", f"the log ends at seq {top}, but {why}", refs
            )
            return claimed
        for node, seq, mac, ref_id in anchored:
            home = genuine_home.get(seq)
            if home is not None and self.recs[home].mac != mac:
                self._problem(
                    seq,
                    ref_id,
                    "truncated",
                    "differs from the anchored record: the log was cut back and appended again",
                    node,
                )
                break
        return claimed


def analyse(
    rows: Iterable[Mapping[str, Any]],
    ring: KeyRing,
    files: Sequence[NodeFiles],
    head: tuple[int, str] | None,
    nodes: Sequence[NodeRow] = (),
) -> VerifyReport:
    """Check every row (in stored seq order) against the key ring, the anchor and witness
    files, the chain head and the nodes' rows."""
    analysis = _Analysis(ring)
    for row in rows:
        analysis.add(row)
    return analysis.finish(files, head, nodes)
