"""OpenPGP keys taken from passing mail: `Autocrypt:` headers and attached public keys.

What a message offers is judged like a key an officer imports, and more strictly:

* the message has exactly one From address, and the key is offered for it (an Autocrypt
  header's `addr=` must be that address; an attached key must carry a user ID naming it);
* the key holds no secret material, is neither expired nor revoked, has a usable
  encryption-capable (sub)key, its user ID for the address is not revoked, and its keys are
  strong enough (`gateway.crypto.pgp.strength_problem`);
* it never displaces an officer's decision: nothing is taken for an address an officer has
  bound another key to, or for which an officer imported a key, an officer-imported key is
  never touched, and a key an officer rejected is not taken again.

A key taken is imported into the gateway keyring and recorded in its harvest ledger (source
"harvested", the keyed hash of the Message-ID, the time). With `pgp.harvest: approve` it stays
pending, without a trust binding, so the trust model never lets it encrypt until `phigate keys
approve`; with `auto` it is bound to the address at once (replacing the binding of an earlier
harvested key, as Autocrypt's newest-key-wins rule wants).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from typing import Literal

from gateway.crypto.pgp import (
    HarvestedKey,
    KeyInfo,
    PgpError,
    PgpKeyring,
    normalize_address,
    normalize_fingerprint,
    strength_problem,
)
from gateway.mime.headers import split_message

HarvestMode = Literal["off", "approve", "auto"]
Origin = Literal["autocrypt", "attachment"]

#: More than any real public key needs; a bigger offer is not looked at.
MAX_KEY_BYTES = 64 * 1024
#: Attached keys looked at per message.
MAX_ATTACHED = 4

_AUTOCRYPT = re.compile(rb"^autocrypt:", re.IGNORECASE | re.MULTILINE)
_KEYS_TYPE = re.compile(rb"application/pgp-keys", re.IGNORECASE)
#: The spellings a plain substring test catches; a case-insensitive regex over a large message
#: costs tens of milliseconds, and this test runs on every message.
_KEYS_SPELLINGS = (b"pgp-keys", b"PGP-KEYS", b"Pgp-Keys", b"PGP-Keys")


def carries_key_material(raw: bytes) -> bool:
    """Whether the message may offer an OpenPGP key (a cheap test before the real work):
    an Autocrypt field in the header block, or an application/pgp-keys part."""
    end = raw.find(b"\r\n\r\n")
    header = raw if end < 0 else raw[:end]
    if _AUTOCRYPT.search(header) is not None:
        return True
    return any(s in raw for s in _KEYS_SPELLINGS) and _KEYS_TYPE.search(raw) is not None


@dataclass(frozen=True)
class Offer:
    """One key a message offers for its From address."""

    origin: Origin
    address: str
    data: bytes
    prefer_encrypt: str = ""


@dataclass(frozen=True)
class Harvest:
    """What became of one offer: taken (pending or approved), or why not."""

    taken: bool
    reason: str
    fingerprint: str = ""
    origin: str = ""


def from_address(raw: bytes) -> str | None:
    """The message's one From address (lower case), or None when there is not exactly one."""
    values = [f.value for f in split_message(raw).fields("from")]
    found = {addr.strip().lower() for _, addr in getaddresses(values) if "@" in addr}
    return found.pop() if len(values) == 1 and len(found) == 1 else None


def message_id(raw: bytes) -> str:
    """The Message-ID field's value ("" when there is none)."""
    found = split_message(raw).fields("message-id")
    return found[0].value if found else ""


def autocrypt_offers(raw: bytes, sender: str) -> tuple[list[Offer], list[str]]:
    """Offers from Autocrypt headers for `sender` (the From address) and why others were ignored.

    Autocrypt Level 1, 2.3: a header naming another address, with an unknown critical
    attribute or without keydata is ignored; two or more headers for the address cancel out.
    """
    offers: list[Offer] = []
    ignored: list[str] = []
    for field_ in split_message(raw).fields("autocrypt"):
        attrs: dict[str, str] = {}
        critical_unknown = False
        for part in field_.value.split(";"):
            name, sep, value = part.strip().partition("=")
            name = name.strip().lower()
            if not sep or not name:
                continue
            if name in ("addr", "keydata", "prefer-encrypt"):
                attrs[name] = value.strip()
            elif not name.startswith("_"):
                critical_unknown = True
        if critical_unknown:
            ignored.append("autocrypt header with an unknown critical attribute")
            continue
        if normalize_address(attrs.get("addr", "")) != sender:
            ignored.append("autocrypt addr is not the From address")
            continue
        try:
            data = base64.b64decode("".join(attrs.get("keydata", "").split()), validate=True)
        except (binascii.Error, ValueError):
            ignored.append("autocrypt keydata is not base64")
            continue
        if not data or len(data) > MAX_KEY_BYTES:
            ignored.append("autocrypt keydata empty or too large")
            continue
        prefer = attrs.get("prefer-encrypt", "").lower()
        offers.append(Offer("autocrypt", sender, data, prefer if prefer == "mutual" else ""))
    if len(offers) > 1:
        return [], [*ignored, "several autocrypt headers for the From address"]
    return offers, ignored


def attached_offers(raw: bytes, sender: str) -> list[Offer]:
    """Offers from application/pgp-keys parts (at most MAX_ATTACHED, each within MAX_KEY_BYTES)."""
    if _KEYS_TYPE.search(raw) is None:
        return []
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    offers: list[Offer] = []
    for part in msg.walk():
        if part.get_content_type() != "application/pgp-keys":
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes) and 0 < len(payload) <= MAX_KEY_BYTES:
            offers.append(Offer("attachment", sender, payload))
        if len(offers) >= MAX_ATTACHED:
            break
    return offers


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class PgpHarvester:
    """Takes OpenPGP keys from passing mail into the gateway keyring (pending or trusted)."""

    def __init__(
        self,
        keyring: PgpKeyring,
        mode: HarvestMode = "approve",
        *,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self.keyring = keyring
        self.mode = mode
        self._clock = clock

    def harvest(self, raw: bytes, *, message: str = "") -> list[Harvest]:
        """Judge every key the message offers and take those that pass; one Harvest each.

        `message` is the keyed hash of the Message-ID, kept in the ledger instead of the ID.
        """
        if self.mode == "off" or not carries_key_material(raw):
            return []
        sender = from_address(raw)
        if sender is None:
            return [Harvest(False, "the message has not exactly one From address")]
        offers, ignored = autocrypt_offers(raw, sender)
        results = [Harvest(False, reason, origin="autocrypt") for reason in ignored]
        for offer in [*offers, *attached_offers(raw, sender)]:
            results.append(self.take(offer, message=message))
        return results

    def take(self, offer: Offer, *, message: str = "") -> Harvest:
        """Judge one offer and, when it passes, import and record it."""
        try:
            found = self.keyring.inspect(offer.data)
        except PgpError:
            return Harvest(False, "not an OpenPGP key", origin=offer.origin)
        if any(k.secret for k in found):
            return Harvest(False, "holds secret key material", origin=offer.origin)
        if not found:
            return Harvest(False, "not an OpenPGP key", origin=offer.origin)
        if len(found) != 1:
            return Harvest(False, f"{len(found)} keys where one is expected", origin=offer.origin)
        key = found[0]
        problem = self._problem(key, offer.address)
        if problem is not None:
            return Harvest(False, problem, key.fingerprint, offer.origin)
        try:
            self.keyring.import_keys(offer.data)
        except PgpError as exc:
            return Harvest(False, f"import failed [{exc.code}]", key.fingerprint, offer.origin)
        known = self.keyring.harvested().get(key.fingerprint)
        if known is not None:
            return Harvest(
                True, f"already harvested ({known.state})", key.fingerprint, offer.origin
            )
        entry = HarvestedKey(
            fingerprint=key.fingerprint,
            addresses=(offer.address,),
            state="approved" if self.mode == "auto" else "pending",
            origin=offer.origin,
            message=message,
            at=self._clock().isoformat(timespec="seconds"),
            prefer_encrypt=offer.prefer_encrypt,
        )
        self.keyring.record_harvest(entry)
        if self.mode == "auto":
            _bind(self.keyring, entry)
        return Harvest(True, entry.state, key.fingerprint, offer.origin)

    def _problem(self, key: KeyInfo, address: str) -> str | None:
        if address not in key.addresses:
            return "no user ID names the From address"
        if key.uid_revoked(address):
            return "the user ID for the address is revoked"
        state = key.state("e")
        if state != "ok":
            return f"key {state}"
        weak = strength_problem(key)
        if weak is not None:
            return f"weak key: {weak}"
        ledger = self.keyring.harvested()
        record = ledger.get(key.fingerprint)
        if record is not None and record.state == "rejected":
            return "rejected by an officer earlier"
        in_ring = self.keyring.keys()
        if record is None and any(k.fingerprint == key.fingerprint for k in in_ring):
            return "an officer imported this key; it is left as it is"
        if _officer_key_for(self.keyring, address, ledger, in_ring):
            return "an officer imported or trusted a key for the address"
        return None


def _officer_key_for(
    keyring: PgpKeyring,
    address: str,
    ledger: dict[str, HarvestedKey],
    in_ring: list[KeyInfo] | None = None,
) -> list[str]:
    """Fingerprints an officer imported or trusted for `address` (not taken from mail)."""
    keys = keyring.keys() if in_ring is None else in_ring
    trusted = [f for f in keyring.trusted_for(address) if f not in ledger]
    imported = [
        k.fingerprint for k in keys if address in k.addresses and k.fingerprint not in ledger
    ]
    return sorted(set(trusted + imported))


def _bind(keyring: PgpKeyring, entry: HarvestedKey) -> None:
    """Trust a harvested key for its address, instead of an older harvested key."""
    ledger = keyring.harvested()
    for address in entry.addresses:
        for fpr in keyring.trusted_for(address):
            if fpr != entry.fingerprint and fpr in ledger:
                keyring.untrust(fpr, address)
        keyring.trust(entry.fingerprint, address)


class HarvestDecisionError(PgpError):
    """An approve or reject names no pending key, or would override an officer's key."""

    code = "pgp-harvest-decision"


def pending_keys(keyring: PgpKeyring) -> list[HarvestedKey]:
    """Harvested keys awaiting an officer's approval."""
    return [e for e in keyring.harvested().values() if e.state == "pending"]


def decide(keyring: PgpKeyring, fingerprint: str, *, approve: bool) -> HarvestedKey:
    """Approve (trust for its address) or reject (delete from the keyring) a pending key."""
    fpr = normalize_fingerprint(fingerprint)
    entry = keyring.harvested().get(fpr)
    if entry is None or entry.state != "pending":
        raise HarvestDecisionError(f"no pending OpenPGP key {fpr}")
    if not approve:
        changed = replace(entry, state="rejected")
        keyring.record_harvest(changed)
        keyring.delete_key(fpr)
        return changed
    ledger = keyring.harvested()
    for address in entry.addresses:
        officers = _officer_key_for(keyring, address, ledger)
        if officers:
            raise HarvestDecisionError(
                f"key {fpr}: an officer imported or trusted key {officers[0]} for the address; "
                "reject this one, or untrust that one first"
            )
    changed = replace(entry, state="approved")
    keyring.record_harvest(changed)
    _bind(keyring, changed)
    return changed


__all__ = [
    "Harvest",
    "HarvestDecisionError",
    "HarvestMode",
    "Offer",
    "PgpHarvester",
    "attached_offers",
    "autocrypt_offers",
    "carries_key_material",
    "decide",
    "from_address",
    "message_id",
    "pending_keys",
]
