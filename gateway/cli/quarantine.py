"""`phigate quarantine list|show|release|delete|purge|rotate-key`.

Every command that decrypts an entry (`show`, `show --reveal`, `release`) and `delete` first
records the access through the context's `audit_access` hook; without that hook, or when it
fails, nothing is shown, sent or deleted. `rotate-key` is refused without the `audit_event` hook
and records the new key id. `show` prints metadata and masked headers only; the
message itself is printed only with `--reveal`. A release goes through the `deliver` hook (the
gateway's next hop; it may be a coroutine function).
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from detectors.masking import mask_address, mask_text
from gateway.cli.command import (
    Command,
    CommandFailed,
    failing_as,
    group,
    operator,
    print_fields,
    record_change,
    required_audit,
)
from gateway.cli.context import Context, Deliver, DeliverResult
from gateway.cli.exits import EXIT_FAILED, EXIT_OK
from gateway.cli.options import JSON, given, store_options, switches
from gateway.config import QuarantineSettings
from gateway.model import PhigateError
from gateway.quarantine.errors import QuarantineError, QuarantineStateError
from gateway.quarantine.store import HELD, STATUSES, QuarantinedMessage, QuarantineStore

DEFAULTS = QuarantineSettings()
PREFIX = "phigate quarantine"


def _options(parser: argparse.ArgumentParser) -> None:
    store_options(
        parser, "q", DEFAULTS.url, f"master key file (default {DEFAULTS.master_key_file})"
    )
    parser.add_argument(
        "--as", dest="q_who", metavar="NAME", help="who is acting (default: the login name)"
    )


@contextmanager
def _opened(ctx: Context, args: argparse.Namespace) -> Iterator[QuarantineStore]:
    """The store, closed after the block; an expected error inside it is one line."""
    with failing_as(PREFIX):
        q = ctx.settings.quarantine.clone(**given(url=args.q_url, master_key_file=args.q_key_file))
        if not q.master_key_file.exists():
            # A fresh key here would make every existing entry unreadable.
            raise QuarantineError(f"quarantine master key file {q.master_key_file} does not exist")
        with closing(QuarantineStore(q.url, q.master_key_file, q.retention_days)) as store:
            yield store


def _audit(ctx: Context, entry_id: str, action: str, who: str) -> None:
    audit_access = ctx.hooks.audit_access
    if audit_access is None:
        raise QuarantineError(
            f"refusing to {action} {entry_id}: no audit hook is configured to record the access"
        )
    audit_access(entry_id, action, who)


def _fmt_ts(value: Any) -> str:
    return value.isoformat(timespec="seconds") if value is not None else "-"


def _print_meta(meta: dict[str, Any]) -> None:
    entities = ", ".join(f"{k}×{v}" for k, v in sorted(meta["entities"].items())) or "-"
    print_fields(
        (
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
        ),
        12,
    )


def _mask_addresses(value: str) -> str:
    shown = []
    for name, addr in getaddresses([value]):
        masked = mask_address(addr)
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


def list_entries(ctx: Context, args: argparse.Namespace) -> int:
    """List entries (metadata only)."""
    with _opened(ctx, args) as store:
        rows = store.list(status=args.status, limit=args.limit)
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


def show(ctx: Context, args: argparse.Namespace) -> int:
    """Metadata and masked headers; with --reveal, the message itself (audited)."""
    with _opened(ctx, args) as store:
        meta = store.meta(args.entry_id)
        _audit(ctx, args.entry_id, "reveal" if args.reveal else "show", operator(args.q_who))
        held = store.get(args.entry_id)
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
        raise CommandFailed(f"{PREFIX}: {output} exists; not overwriting") from None
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


def release(ctx: Context, args: argparse.Namespace) -> int:
    """Deliver a held message to its recipients; it stays held unless the next hop takes it."""
    who = operator(args.q_who)
    with failing_as(PREFIX):
        deliver = ctx.hooks.deliver
        if deliver is None:
            raise QuarantineError("no delivery hook is configured; cannot release")
    with _opened(ctx, args) as store:
        meta = store.meta(args.entry_id)
        if meta["status"] != HELD:
            raise QuarantineStateError(f"quarantine entry {args.entry_id} is {meta['status']}")
        _audit(ctx, args.entry_id, "release", who)
        held = store.get(args.entry_id)
        try:
            ok, reply = _call_deliver(deliver, held)
        except (PhigateError, OSError) as exc:
            ok, reply = False, f"{type(exc).__name__}: {exc}"
        if not ok:
            _audit(ctx, args.entry_id, "release-failed", who)
            print(f"release of {args.entry_id} failed; still held: {reply}", file=sys.stderr)
            return EXIT_FAILED
        store.mark_released(args.entry_id)
    print(f"released {args.entry_id} to {len(held.recipients)} recipient(s): {reply}")
    return EXIT_OK


def delete(ctx: Context, args: argparse.Namespace) -> int:
    """Crypto-shred an entry."""
    with _opened(ctx, args) as store:
        store.meta(args.entry_id)
        _audit(ctx, args.entry_id, "delete", operator(args.q_who))
        store.delete(args.entry_id)
    print(f"deleted {args.entry_id} (data key and ciphertext shredded)")
    return EXIT_OK


def purge(ctx: Context, args: argparse.Namespace) -> int:
    """Shred every entry past its retention."""
    with _opened(ctx, args) as store:
        count = store.purge_expired()
    print(f"purged {count} expired entr{'y' if count == 1 else 'ies'}")
    return EXIT_OK


def rotate_key(ctx: Context, args: argparse.Namespace) -> int:
    """Add a new active master key (audited), optionally re-wrapping live entries."""
    audit = required_audit(ctx, PREFIX, "rotate the key")
    with _opened(ctx, args) as store:
        key_id = store.rotate_master_key(rewrap=args.rewrap)
    details = {"key_id": key_id, "rewrapped": bool(args.rewrap), "by": operator(args.q_who)}
    record_change(
        audit, PREFIX, "quarantine-key-rotated", details, f"the key was rotated to {key_id}"
    )
    print(key_id)
    return EXIT_OK


def _entry(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "entry_id", metavar="ID", help="the quarantine entry's id (see quarantine list)"
    )


def _list_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--status", choices=STATUSES, help="only entries in this state")
    parser.add_argument("--limit", type=int, default=50, help="how many (default 50)")
    switches(parser, JSON)


def _show_options(parser: argparse.ArgumentParser) -> None:
    _entry(parser)
    switches(parser, ("--reveal", "print the original message (audited); it contains PHI"))
    parser.add_argument(
        "--output", type=Path, help="with --reveal: write the message to this new 0600 file"
    )


def _rotate_options(parser: argparse.ArgumentParser) -> None:
    switches(parser, ("--rewrap", "re-wrap live entries under the new key"))


COMMANDS = (
    group(
        "quarantine",
        "review, release and delete held messages",
        Command("list", "list entries (metadata only)", list_entries, _list_options),
        Command(
            "show",
            "metadata and masked headers; --reveal prints the message",
            show,
            _show_options,
        ),
        Command("release", "deliver a held message to its recipients", release, _entry),
        Command("delete", "crypto-shred an entry", delete, _entry),
        Command("purge", "shred every entry past its retention", purge),
        Command("rotate-key", "add a new active master key", rotate_key, _rotate_options),
        shared=_options,
    ),
)
