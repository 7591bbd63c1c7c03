"""`phigate audit verify|show|rotate-key`.

The lead's CLI calls `register(subparsers, load_audit_settings)`; every subcommand stores
its handler as `args.func`, which takes the parsed namespace and returns the exit code.
For tests and by hand, `python -m gateway.audit.cli audit verify --url ... --key-file ...`
runs the same commands through `main()`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TypeVar

from gateway.audit.errors import AuditKeyError
from gateway.audit.log import AuditLog
from gateway.model import PhigateError

DEFAULT_URL = "sqlite:///var/audit.db"
DEFAULT_KEY_FILE = Path("var/keys/audit.key")
DEFAULT_ANCHOR_FILE = Path("var/keys/audit.anchor")

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_ERROR = 2

T = TypeVar("T")
SettingsLoader = Callable[[str | None], tuple[str, Path, Path | None]]


def _defaults(_config: str | None) -> tuple[str, Path, Path | None]:
    # None: the anchor sits beside the key file (var/keys/audit.anchor by default).
    return DEFAULT_URL, DEFAULT_KEY_FILE, None


def register(
    subparsers: argparse._SubParsersAction,
    load_audit_settings: SettingsLoader | None = None,
) -> None:
    """Add the `audit` command; `load_audit_settings(config_path)` supplies url, key and anchor."""
    loader = load_audit_settings or _defaults
    common = argparse.ArgumentParser(add_help=False)
    # Distinct dests so a top-level --config of the main parser is not clobbered.
    common.add_argument("--config", dest="audit_config", metavar="FILE", help="gateway config file")
    common.add_argument("--url", dest="audit_url", help=f"database URL (default {DEFAULT_URL})")
    common.add_argument(
        "--key-file", dest="audit_key_file", type=Path, help=f"default {DEFAULT_KEY_FILE}"
    )
    common.add_argument(
        "--anchor-file",
        dest="audit_anchor_file",
        type=Path,
        help=f"default: beside the key file ({DEFAULT_ANCHOR_FILE})",
    )
    audit = subparsers.add_parser("audit", help="inspect and check the tamper-evident audit log")
    sub = audit.add_subparsers(dest="audit_command", metavar="SUBCOMMAND", required=True)

    verify = sub.add_parser(
        "verify", parents=[common], help="check the chain; exit 1 with one line per problem"
    )
    verify.set_defaults(func=partial(_verify, loader))

    show = sub.add_parser("show", parents=[common], help="print the newest records")
    show.add_argument("--limit", type=int, default=20, help="how many records (default 20)")
    show.add_argument("--json", action="store_true", help="print JSON instead of a table")
    show.add_argument("--ref", metavar="REF", help="only the record(s) of this reference ID")
    show.add_argument(
        "--message-id",
        metavar="ID",
        help="only records of this Message-ID (the log keeps a keyed hash; give the ID in clear)",
    )
    show.add_argument(
        "--incomplete",
        action="store_true",
        help="only pending records no final record completes (the message's fate is unknown)",
    )
    show.set_defaults(func=partial(_show, loader))

    rotate = sub.add_parser(
        "rotate-key", parents=[common], help="add a new key and make it active; print its id"
    )
    rotate.set_defaults(func=partial(_rotate, loader))


def _settings(loader: SettingsLoader, args: argparse.Namespace) -> tuple[str, Path, Path | None]:
    config = args.audit_config or getattr(args, "config", None)
    url, key_file, anchor_file = loader(config)
    if args.audit_key_file is not None:
        # An explicit key file brings its own anchor (beside it) unless one is named too.
        key_file, anchor_file = args.audit_key_file, None
    if args.audit_anchor_file is not None:
        anchor_file = args.audit_anchor_file
    return args.audit_url or url, key_file, anchor_file


def _open(loader: SettingsLoader, args: argparse.Namespace, *, read_only: bool) -> AuditLog:
    url, key_file, anchor_file = _settings(loader, args)
    if not key_file.exists():
        # Creating a fresh key here would make every existing record unverifiable.
        raise AuditKeyError(f"audit key file {key_file} does not exist")
    return AuditLog(url, key_file, anchor_file, read_only=read_only)


def _using_log(
    loader: SettingsLoader,
    args: argparse.Namespace,
    use: Callable[[AuditLog], T],
    *,
    read_only: bool = True,
) -> T | None:
    """Open the log (which must exist), run `use`, close it; None after printing an error.

    Reading (verify, show) never creates or migrates anything: a missing database, key or
    anchor is an error naming it, not an empty log that verifies.
    """
    try:
        log = _open(loader, args, read_only=read_only)
    except PhigateError as exc:
        print(f"phigate audit: {exc.code}: {exc}", file=sys.stderr)
        return None
    try:
        return use(log)
    finally:
        log.close()


def _verify(loader: SettingsLoader, args: argparse.Namespace) -> int:
    report = _using_log(loader, args, lambda log: log.verify())
    if report is None:
        return EXIT_ERROR
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
    return EXIT_PROBLEMS


def _show(loader: SettingsLoader, args: argparse.Namespace) -> int:
    rows = _using_log(
        loader,
        args,
        lambda log: log.records(
            limit=args.limit,
            ref_id=args.ref,
            message_id=args.message_id,
            incomplete=args.incomplete,
        ),
    )
    if rows is None:
        return EXIT_ERROR
    if args.json:
        print(json.dumps(rows, indent=2, sort_keys=True))
        return EXIT_OK
    for r in rows:
        domains = ",".join(r["recipient_domains"]) or "-"
        print(
            f"{r['seq']:>8}  {r['ts']}  {r['ref_id']}  {r['action']:<10}  "
            f"{r['size']:>9}  {domains}  {r['key_id']}"
        )
    return EXIT_OK


def _rotate(loader: SettingsLoader, args: argparse.Namespace) -> int:
    key_id = _using_log(loader, args, lambda log: log.rotate_key(), read_only=False)
    if key_id is None:
        return EXIT_ERROR
    print(key_id)
    return EXIT_OK


def main(
    argv: Sequence[str] | None = None, load_audit_settings: SettingsLoader | None = None
) -> int:
    """Run `audit ...` on its own (python -m gateway.audit.cli audit verify ...)."""
    parser = argparse.ArgumentParser(prog="phigate")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    register(subparsers, load_audit_settings)
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
