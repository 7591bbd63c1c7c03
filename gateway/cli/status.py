"""`phigate status`: every gateway node sharing the audit database, as their heartbeats say.

Each node writes its row in `audit_nodes` every node.heartbeat_seconds: its policy version
(the policy file's SHA-256 and when it was loaded), pid and address; its appends keep the
seq and ref id of its newest audit record there. A node whose heartbeat is older than
node.stale_after is shown as stale (stopped, hung or cut off from the database).
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime

from gateway.audit.log import NodeStatus, node_status
from gateway.cli.command import Command, failing_as
from gateway.cli.context import Context, utcnow
from gateway.cli.exits import EXIT_OK
from gateway.cli.options import JSON, config_option, switches

UP, STALE, NEVER = "up", "STALE", "no heartbeat"


def _state(node: NodeStatus, now: datetime, stale_after: float) -> str:
    if node.heartbeat_at is None:
        return NEVER
    return UP if (now - node.heartbeat_at).total_seconds() <= stale_after else STALE


def _ago(then: datetime | None, now: datetime) -> str:
    if then is None:
        return "-"
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 120:
        return f"{seconds}s ago"
    if seconds < 7200:
        return f"{seconds // 60}m ago"
    return f"{seconds // 3600}h ago"


def _iso(ts: datetime | None) -> str | None:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ") if ts is not None else None


def status(ctx: Context, args: argparse.Namespace) -> int:
    """Print each node's state, policy version, heartbeat and newest audit record."""
    settings = ctx.settings
    url = args.url or settings.audit.url
    stale_after = args.stale_after if args.stale_after is not None else settings.node.stale_after
    with failing_as("phigate status"):
        head, nodes = node_status(url)
    now = utcnow()
    policies = {n.policy_hash for n in nodes if n.policy_hash and _state(n, now, stale_after) == UP}
    if args.json:
        doc = {
            "audit_head": head,
            "stale_after": stale_after,
            "policies_agree": len(policies) <= 1,
            "nodes": [
                {
                    "node": n.node,
                    "state": _state(n, now, stale_after),
                    "heartbeat_at": _iso(n.heartbeat_at),
                    "started_at": _iso(n.started_at),
                    "policy_sha256": n.policy_hash,
                    "policy_loaded_at": _iso(n.policy_loaded_at),
                    "pid": n.pid,
                    "listen": n.listen,
                    "last_seq": n.last_seq,
                    "last_ref_id": n.last_ref_id,
                }
                for n in nodes
            ],
        }
        print(json.dumps(doc, indent=2, sort_keys=True))
        return EXIT_OK
    print(f"audit head: seq {head}; {len(nodes)} node(s); stale after {stale_after:g} s")
    for n in nodes:
        policy = (
            f"policy {n.policy_hash[:12]} loaded {_iso(n.policy_loaded_at)}"
            if n.policy_hash
            else "policy -"
        )
        last = f"last record seq {n.last_seq} ({n.last_ref_id})" if n.last_seq else "no records"
        print(
            f"{n.node:<20} {_state(n, now, stale_after):<12} heartbeat {_ago(n.heartbeat_at, now):<9}"
            f" {policy}  pid {n.pid or '-'}  {n.listen or '-'}  {last}"
        )
    if len(policies) > 1:
        print("warning: the running nodes do not all run the same policy (a reload pending?)")
    return EXIT_OK


def _options(parser: argparse.ArgumentParser) -> None:
    config_option(parser)
    parser.add_argument("--url", help="audit database URL (default: audit.url of the config)")
    parser.add_argument(
        "--stale-after",
        type=float,
        metavar="SECONDS",
        help="a heartbeat older than this is stale (default: node.stale_after)",
    )
    switches(parser, JSON)


COMMANDS = (
    Command(
        "status",
        "each gateway node's heartbeat, policy version and newest audit record",
        status,
        _options,
    ),
)
