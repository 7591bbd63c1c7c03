"""What a recipient can read in clear from the mail it got: the leak tests' yardstick.

Raw bytes are not enough: PHI under base64 or quoted-printable, in an encoded-word, under an
odd charset, behind HTML entities, in a look-alike envelope or a signed PGP block is just as
readable. So every message is also parsed, its headers and parameters decoded, every leaf's
transfer encoding undone and decoded with its declared charset (any Python codec: a lenient
client's view), every base64 run decoded, and every PGP block opened with gpg (no key needed
for what is not encrypted). The needles are looked for in all of it.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import html
import os
import re
import shutil
import subprocess
import tempfile
import urllib.parse
from email.header import decode_header
from email.message import Message

from tests.support.leak import OUTSIDER, Outcome, flagged

_MAX_DEPTH = 8
_BASE64_RUN = re.compile(rb"(?:[A-Za-z0-9+/]{16,}={0,2}[ \t]*\r?\n?){2,}")
_PGP_BLOCK = re.compile(rb"-----BEGIN PGP MESSAGE-----.*?-----END PGP MESSAGE-----", re.DOTALL)


def readable(outcome: Outcome, address: str) -> str:
    """Everything `address` can read in clear, as one text (raw and decoded forms)."""
    out: list[bytes] = []
    for content in outcome.to(address):
        out.append(content)
        _collect(email.message_from_bytes(content, policy=email.policy.compat32), out, 0)
    blob = b"\n".join(out)
    out.extend(_base64_runs(blob))
    out.extend(_pgp_blocks(b"\n".join(out)))
    texts = []
    for chunk in out:
        text = chunk.decode("utf-8", "replace")
        texts.append(text)
        texts.append(html.unescape(text))
    return "\n".join(texts)


def leaked(outcome: Outcome, address: str, *needles: str) -> list[str]:
    """The needles that `address` can read in clear."""
    text = readable(outcome, address)
    return [n for n in needles if n in text]


def assert_not_delivered_in_clear(
    outcome: Outcome, scan_record: dict, *needles: str, address: str = OUTSIDER
) -> None:
    """The message was accepted, `address` can read none of the needles, and the scanner
    flagged the same message (as PHI or as unscannable)."""
    assert outcome.code == 250, outcome.reply
    assert leaked(outcome, address, *needles) == []
    assert flagged(scan_record), scan_record


def _decoded(data: bytes, charset: str | None) -> bytes:
    try:
        return data.decode(charset or "utf-8", "replace").encode()
    except (LookupError, UnicodeError, TypeError, ValueError):
        return data


def _collect(message: Message, out: list[bytes], depth: int) -> None:
    if depth > _MAX_DEPTH:
        return
    for part in message.walk():
        for _name, value in part.items():
            try:
                chunks = decode_header(str(value))
            except (ValueError, LookupError, UnicodeError):
                continue
            for chunk, charset in chunks:
                if isinstance(chunk, bytes):
                    out.append(chunk)
                    out.append(_decoded(chunk, charset))
                else:
                    out.append(chunk.encode("utf-8", "replace"))
        for header in ("content-type", "content-disposition"):
            for _key, param in part.get_params(header=header, failobj=[]):
                if isinstance(param, tuple):
                    out.append(urllib.parse.unquote_to_bytes(param[2].encode("latin-1", "replace")))
        if part.get_content_maintype() == "message" and part.is_multipart():
            encoding = str(part.get("Content-Transfer-Encoding", "")).lower()
            inner = part.get_payload(0)
            if encoding in ("base64", "quoted-printable") and isinstance(inner, Message):
                text = inner.as_bytes(policy=email.policy.compat32)
                out.append(text)
            continue
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            continue
        out.append(payload)
        out.append(_decoded(payload, part.get_content_charset()))


def _base64_runs(blob: bytes) -> list[bytes]:
    found = []
    for match in _BASE64_RUN.finditer(blob):
        compact = re.sub(rb"\s+", b"", match.group(0))
        try:
            data = base64.b64decode(compact + b"=" * (-len(compact) % 4))
        except (binascii.Error, ValueError):
            continue
        found.append(data)
        if data.startswith((b"Subject:", b"From:", b"Content-Type:", b"To:")):
            nested: list[bytes] = []
            _collect(email.message_from_bytes(data, policy=email.policy.compat32), nested, 1)
            found.extend(nested)
    return found


def _pgp_blocks(blob: bytes) -> list[bytes]:
    blocks = _PGP_BLOCK.findall(blob)
    if not blocks:
        return []
    home = tempfile.mkdtemp(prefix="rd", dir="/tmp")
    try:
        found = []
        for block in blocks:
            proc = subprocess.run(
                ["gpg", "--homedir", home, "--batch", "--no-tty", "--decrypt"],
                input=block,
                capture_output=True,
                timeout=60,
                env={**os.environ, "LC_ALL": "C"},
                check=False,
            )
            found.append(proc.stdout)
        return found
    finally:
        subprocess.run(["gpgconf", "--homedir", home, "--kill", "all"], check=False)
        shutil.rmtree(home, ignore_errors=True)
