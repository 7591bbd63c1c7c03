"""`phigate quarantine list|show|release|delete|purge|rotate-key`.

The lead's CLI calls `register(subparsers, load_quarantine)`, where
`load_quarantine(config_path)` returns a `QuarantineCliContext`: the store settings plus
two callbacks, `audit_access(entry_id, action, who)` (appends an audit record) and
`deliver(raw, mail_from, recipients) -> (ok, reply)` (the gateway's relay; it may be a
coroutine function). Every subcommand stores its handler as `args.func`, which takes the
parsed namespace and returns the exit code.

Every command that decrypts an entry (`show`, `show --reveal`, `release`) and `delete`
first calls `audit_access`; without that callback, or when it fails, nothing is shown,
sent or deleted. `show` prints metadata and masked headers only; the message itself is
printed only with `--reveal`.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import inspect
import json
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy
from email.utils import getaddresses
from functools import partial
from pathlib import Path
from typing import Any

from gateway.model import PhigateError
from gateway.notices.context import mask_text
from gateway.quarantine.errors import QuarantineError, QuarantineStateError
from gateway.quarantine.store import HELD, STATUSES, QuarantinedMessage, QuarantineStore

DEFAULT_URL = "sqlite:///var/quarantine.db"
DEFAULT_MASTER_KEY_FILE = Path("var/keys/quarantine.key")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_ERROR = 2

AuditAccess = Callable[[str, str, str], None]
DeliverResult = tuple[bool, str]
Deliver = Callable[[bytes, str, Sequence[str]], DeliverResult | Awaitable[DeliverResult]]


@dataclass(frozen=True)
class QuarantineCliContext:
    """What the quarantine commands need from the gateway's configuration."""

    url: str = DEFAULT_URL
    master_key_file: Path = DEFAULT_MASTER_KEY_FILE
    retention_days: int = 30
    audit_access: AuditAccess | None = None
    deliver: Deliver | None = None


ContextLoader = Callable[[str | None], QuarantineCliContext]


def _defaults(_config: str | None) -> QuarantineCliContext:
    return QuarantineCliContext()


def register(
    subparsers: argparse._SubParsersAction, load_quarantine: ContextLoader | None = None
) -> None:
    """Add the `quarantine` command; `load_quarantine(config_path)` supplies settings and hooks."""
    loader = load_quarantine or _defaults
    common = argparse.ArgumentParser(add_help=False)
    # Distinct dests so a top-level --config of the main parser is not clobbered.
    common.add_argument("--config", dest="q_config", metavar="FILE", help="gateway config file")
    common.add_argument("--url", dest="q_url", help=f"database URL (default {DEFAULT_URL})")
    common.add_argument(
        "--key-file",
        dest="q_key_file",
        type=Path,
        help=f"master key file (default {DEFAULT_MASTER_KEY_FILE})",
    )
    common.add_argument(
        "--as", dest="q_who", metavar="NAME", help="who is acting (default: the login name)"
    )
    top = subparsers.add_parser("quarantine", help="review, release and delete held messages")
    sub = top.add_subparsers(dest="quarantine_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("list", parents=[common], help="list entries (metadata only)")
    p.add_argument("--status", choices=STATUSES, help="only entries in this state")
    p.add_argument("--limit", type=int, default=50, help="how many (default 50)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=partial(_list, loader))

    p = sub.add_parser(
        "show", parents=[common], help="metadata and masked headers; --reveal prints the message"
    )
    p.add_argument("entry_id", metavar="ID")
    p.add_argument(
        "--reveal",
        action="store_true",
        help="print the original message (audited); it contains PHI",
    )
    p.add_argument(
        "--output", type=Path, help="with --reveal: write the message to this new 0600 file"
    )
    p.set_defaults(func=partial(_show, loader))

    p = sub.add_parser("release", parents=[common], help="deliver a held message to its recipients")
    p.add_argument("entry_id", metavar="ID")
    p.set_defaults(func=partial(_release, loader))

    p = sub.add_parser("delete", parents=[common], help="crypto-shred an entry")
    p.add_argument("entry_id", metavar="ID")
    p.set_defaults(func=partial(_delete, loader))

    p = sub.add_parser("purge", parents=[common], help="shred every entry past its retention")
    p.set_defaults(func=partial(_purge, loader))

    p = sub.add_parser("rotate-key", parents=[common], help="add a new active master key")
    p.add_argument("--rewrap", action="store_true", help="re-wrap live entries under the new key")
    p.set_defaults(func=partial(_rotate, loader))


def _context(loader: ContextLoader, args: argparse.Namespace) -> QuarantineCliContext:
    ctx = loader(args.q_config or getattr(args, "config", None))
    changes: dict[str, Any] = {}
    if args.q_url:
        changes["url"] = args.q_url
    if args.q_key_file is not None:
        changes["master_key_file"] = args.q_key_file
    if not changes:
        return ctx
    return QuarantineCliContext(**{**ctx.__dict__, **changes})


def _who(args: argparse.Namespace) -> str:
    if args.q_who:
        return str(args.q_who)
    return os.environ.get("SUDO_USER") or getpass.getuser()


def _open(ctx: QuarantineCliContext, *, need_key: bool = True) -> QuarantineStore:
    if need_key and not Path(ctx.master_key_file).exists():
        # A fresh key here would make every existing entry unreadable.
        raise QuarantineError(f"quarantine master key file {ctx.master_key_file} does not exist")
    return QuarantineStore(ctx.url, Path(ctx.master_key_file), ctx.retention_days)


def _fail(exc: PhigateError) -> int:
    print(f"phigate quarantine: {exc.code}: {exc}", file=sys.stderr)
    return EXIT_ERROR


def _audit(ctx: QuarantineCliContext, entry_id: str, action: str, who: str) -> None:
    if ctx.audit_access is None:
        raise QuarantineError(
            f"refusing to {action} {entry_id}: no audit hook is configured to record the access"
        )
    ctx.audit_access(entry_id, action, who)


def _fmt_ts(value: Any) -> str:
    return value.isoformat(timespec="seconds") if value is not None else "-"


def _print_meta(meta: dict[str, Any]) -> None:
    entities = ", ".join(f"{k}×{v}" for k, v in sorted(meta["entities"].items())) or "-"
    for label, value in (
        ("entry", meta["id"]),
        ("ref", meta["ref_id"]),
        ("status", meta["status"]),
        ("created", _fmt_ts(meta["created"])),
        ("expires", _fmt_ts(meta["expires"])),
        ("rule", meta["rule"]),
        ("reason", meta["reason"]),
        ("entities", entities),
        ("recipients", f"{meta['recipient_count']} at {', '.join(meta['recipient_domains'])}"),
        ("sender hash", meta["sender_hash"]),
        ("size", meta["size"]),
    ):
        print(f"{label:>12}: {value}")


def _mask_addresses(value: str) -> str:
    shown = []
    for name, addr in getaddresses([value]):
        local, _, domain = addr.rpartition("@")
        masked = f"{mask_text(local)}@{domain}" if local else mask_text(addr)
        shown.append(f"{mask_text(name)} <{masked}>" if name else masked)
    return ", ".join(shown)


def masked_view(raw: bytes) -> list[str]:
    """Header lines with addresses and subject masked, and the MIME outline; never a body."""
    msg = message_from_bytes(raw, policy=default_policy)
    lines = []
    for header in ("From", "To", "Cc", "Date", "Message-ID", "Subject"):
        value = msg.get(header)
        if value is None:
            continue
        text = str(value)
        if header in ("From", "To", "Cc"):
            text = _mask_addresses(text)
        elif header in ("Subject", "Message-ID"):
            # A Message-ID can be built from the subject, so it is masked like one.
            text = mask_text(text)
        lines.append(f"{header}: {text}")
    lines.append("Parts:")
    for part in msg.walk():
        lines.append(f"  {_describe_part(part)}")
    return lines


def _describe_part(part: Message) -> str:
    kind = part.get_content_type()
    filename = part.get_filename()
    if filename:
        # An attachment's name may itself be PHI (a patient's name).
        return f"{kind} attachment {mask_text(filename)!r}"
    return kind


def _list(loader: ContextLoader, args: argparse.Namespace) -> int:
    try:
        store = _open(_context(loader, args))
        try:
            rows = store.list(status=args.status, limit=args.limit)
        finally:
            store.close()
    except PhigateError as exc:
        return _fail(exc)
    if args.json:
        print(json.dumps(rows, indent=2, sort_keys=True, default=str))
        return EXIT_OK
    for r in rows:
        entities = ",".join(sorted(r["entities"])) or "-"
        print(
            f"{r['id']}  {_fmt_ts(r['created'])}  {r['status']:<8}  {r['ref_id']}  "
            f"{r['rule']}  {entities}  {','.join(r['recipient_domains'])}"
        )
    return EXIT_OK


def _show(loader: ContextLoader, args: argparse.Namespace) -> int:
    ctx = _context(loader, args)
    who = _who(args)
    try:
        store = _open(ctx)
        try:
            meta = store.meta(args.entry_id)
            _audit(ctx, args.entry_id, "reveal" if args.reveal else "show", who)
            held = store.get(args.entry_id)
        finally:
            store.close()
    except PhigateError as exc:
        return _fail(exc)
    if args.reveal:
        return _reveal(held, args.output)
    _print_meta(meta)
    print()
    for line in masked_view(held.raw):
        print(line)
    print()
    print("(body not shown; use --reveal to print the message, which is audited)")
    return EXIT_OK


def _reveal(held: QuarantinedMessage, output: Path | None) -> int:
    if output is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(held.raw)
        sys.stdout.buffer.flush()
        return EXIT_OK
    try:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        print(f"phigate quarantine: {output} exists; not overwriting", file=sys.stderr)
        return EXIT_ERROR
    with os.fdopen(fd, "wb") as fh:
        fh.write(held.raw)
    print(f"wrote {len(held.raw)} bytes to {output}")
    return EXIT_OK


def _call_deliver(deliver: Deliver, held: QuarantinedMessage) -> DeliverResult:
    result = deliver(held.raw, held.mail_from, held.recipients)
    if inspect.isawaitable(result):

        async def wait() -> DeliverResult:
            return await result

        return asyncio.run(wait())
    return result


def _release(loader: ContextLoader, args: argparse.Namespace) -> int:
    ctx = _context(loader, args)
    who = _who(args)
    if ctx.deliver is None:
        return _fail(QuarantineError("no delivery hook is configured; cannot release"))
    try:
        store = _open(ctx)
    except PhigateError as exc:
        return _fail(exc)
    try:
        meta = store.meta(args.entry_id)
        if meta["status"] != HELD:
            raise QuarantineStateError(f"quarantine entry {args.entry_id} is {meta['status']}")
        _audit(ctx, args.entry_id, "release", who)
        held = store.get(args.entry_id)
        try:
            ok, reply = _call_deliver(ctx.deliver, held)
        except (PhigateError, OSError) as exc:
            ok, reply = False, f"{type(exc).__name__}: {exc}"
        if not ok:
            _audit(ctx, args.entry_id, "release-failed", who)
            print(f"release of {args.entry_id} failed; still held: {reply}", file=sys.stderr)
            return EXIT_FAILED
        store.mark_released(args.entry_id)
    except PhigateError as exc:
        return _fail(exc)
    finally:
        store.close()
    print(f"released {args.entry_id} to {len(held.recipients)} recipient(s): {reply}")
    return EXIT_OK


def _delete(loader: ContextLoader, args: argparse.Namespace) -> int:
    ctx = _context(loader, args)
    try:
        store = _open(ctx)
        try:
            store.meta(args.entry_id)
            _audit(ctx, args.entry_id, "delete", _who(args))
            store.delete(args.entry_id)
        finally:
            store.close()
    except PhigateError as exc:
        return _fail(exc)
    print(f"deleted {args.entry_id} (data key and ciphertext shredded)")
    return EXIT_OK


def _purge(loader: ContextLoader, args: argparse.Namespace) -> int:
    try:
        store = _open(_context(loader, args))
        try:
            count = store.purge_expired()
        finally:
            store.close()
    except PhigateError as exc:
        return _fail(exc)
    print(f"purged {count} expired entr{'y' if count == 1 else 'ies'}")
    return EXIT_OK


def _rotate(loader: ContextLoader, args: argparse.Namespace) -> int:
    try:
        store = _open(_context(loader, args))
        try:
            key_id = store.rotate_master_key(rewrap=args.rewrap)
        finally:
            store.close()
    except PhigateError as exc:
        return _fail(exc)
    print(key_id)
    return EXIT_OK


def main(argv: Sequence[str] | None = None, load_quarantine: ContextLoader | None = None) -> int:
    """Run `quarantine ...` on its own (python -m gateway.quarantine.cli quarantine list)."""
    parser = argparse.ArgumentParser(prog="phigate")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    register(subparsers, load_quarantine)
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
