"""`phigate audit verify|show|rotate-key`.

Reading (verify, show) never creates or migrates anything: a missing database, key or anchor
is an error naming it, not an empty log that verifies.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gateway.audit.errors import AuditKeyError
from gateway.audit.log import AuditLog
from gateway.audit.verify import NodeSummary, VerifyReport
from gateway.cli.command import Command, failing_as, group
from gateway.cli.context import Context
from gateway.cli.exits import EXIT_FAILED, EXIT_OK
from gateway.cli.options import JSON, store_options, switches
from gateway.config import AuditSettings

DEFAULTS = AuditSettings()


def _options(parser: argparse.ArgumentParser) -> None:
    store_options(parser, "audit", DEFAULTS.url, f"default {DEFAULTS.key_file}")
    parser.add_argument(
        "--anchor-file",
        dest="audit_anchor_file",
        type=Path,
        help=f"default: beside the key file ({DEFAULTS.key_file.with_suffix('.anchor')}); "
        "with {node} in it, each node's own anchor and witness (several nodes, one log)",
    )


def open_log(ctx: Context, args: argparse.Namespace, *, read_only: bool = True) -> AuditLog:
    """The configured audit log, or the one the flags name; it must exist."""
    a = ctx.settings.audit
    key_file, anchor_file = a.key_file, a.anchor_file
    if args.audit_key_file is not None:
        # An explicit key file brings its own anchor (beside it) unless one is named too.
        key_file, anchor_file = args.audit_key_file, None
    if args.audit_anchor_file is not None:
        anchor_file = args.audit_anchor_file
    if not key_file.exists():
        # Creating a fresh key here would make every existing record unverifiable.
        raise AuditKeyError(f"audit key file {key_file} does not exist")
    return AuditLog(args.audit_url or a.url, key_file, anchor_file, read_only=read_only)


def _opened(ctx: Context, args: argparse.Namespace, *, read_only: bool = True) -> AuditLog:
    with failing_as("phigate audit"):
        return open_log(ctx, args, read_only=read_only)


def verify(ctx: Context, args: argparse.Namespace) -> int:
    """Check the chain; one line per problem."""
    with _opened(ctx, args) as log:
        report = log.verify()
        per_node = log.per_node_files or len(report.nodes) > 1
    if per_node:
        for node in report.nodes:
            print(_node_line(node, report))
    for seq, ref_id in report.incomplete:
        print(
            f"seq {seq} (ref {ref_id}): pending, never completed: no final record says how "
            "the message was handled (see 'audit show --incomplete')"
        )
    if report.ok:
        pending = (
            f"; {len(report.incomplete)} pending, never completed" if report.incomplete else ""
        )
        print(f"audit log intact: {report.checked} records verified{pending}")
        return EXIT_OK
    for problem in report.problems:
        print(problem)
    print(
        f"audit log NOT intact: {len(report.problems)} problem(s) in {report.checked} records",
        file=sys.stderr,
    )
    return EXIT_FAILED


def _node_line(node: NodeSummary, report: VerifyReport) -> str:
    """One node's share of the log: its records, where they end, and whether its anchor,
    witness and row agree (a node that stopped just ends earlier)."""
    problems = report.node_problems(node.node)
    state = "intact" if not problems else f"{len(problems)} problem(s), listed below"
    if node.last_seq is None:
        return f"node {node.node}: no records: {state}"
    return (
        f"node {node.node}: {node.records} records, seq {node.first_seq}..{node.last_seq}, "
        f"ends at seq {node.last_seq} (ref {node.last_ref_id}): {state}"
    )


def show(ctx: Context, args: argparse.Namespace) -> int:
    """Print the newest records."""
    with _opened(ctx, args) as log:
        rows = log.records(
            limit=args.limit,
            ref_id=args.ref,
            message_id=args.message_id,
            incomplete=args.incomplete,
        )
    if args.ref and not rows:
        print(f"no audit record has reference ID {args.ref}", file=sys.stderr)
        return EXIT_FAILED
    if args.json:
        print(json.dumps(rows, indent=2, sort_keys=True))
        return EXIT_OK
    print(SHOW_ROW.format("SEQ", "TIME", "REFERENCE", "ACTION", "SIZE", "RECIPIENT DOMAINS", "KEY"))
    for r in rows:
        domains = ",".join(r["recipient_domains"]) or "-"
        print(
            SHOW_ROW.format(
                r["seq"], str(r["ts"]), r["ref_id"], r["action"], r["size"], domains, r["key_id"]
            )
        )
    return EXIT_OK


#: One line of `audit show`, its header row included.
SHOW_ROW = "{:>8}  {:<32}  {:<21}  {:<16}  {:>9}  {}  {}"


def rotate_key(ctx: Context, args: argparse.Namespace) -> int:
    """Add a new key, make it active and print its id."""
    with _opened(ctx, args, read_only=False) as log:
        key_id = log.rotate_key()
    print(key_id)
    return EXIT_OK


def _show_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--limit", type=int, default=20, help="how many records (default 20)")
    switches(parser, JSON)
    parser.add_argument("--ref", metavar="REF", help="only the record(s) of this reference ID")
    parser.add_argument(
        "--message-id",
        metavar="ID",
        help="only records of this Message-ID (the log keeps a keyed hash; give the ID in clear)",
    )
    switches(
        parser,
        (
            "--incomplete",
            "only pending records no final record completes (the message's fate is unknown)",
        ),
    )


COMMANDS = (
    group(
        "audit",
        "inspect and check the tamper-evident audit log",
        Command("verify", "check the chain; exit 1 with one line per problem", verify),
        Command("show", "print the newest records", show, _show_options),
        Command("rotate-key", "add a new key and make it active; print its id", rotate_key),
        shared=_options,
    ),
)
