"""Risk-disclosure texts a patient accepts when consenting to unencrypted email.

The shipped texts live in `gateway/patients/disclosures/<version>.txt`; a site may add its
own in a directory given to `ConsentRegistry`. A consent stores the version id and the
SHA-256 of the exact bytes, so later edits to a text cannot silently change what a patient
is recorded as having accepted.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from gateway.patients.errors import ConsentError

DEFAULT_DISCLOSURE_VERSION = "unencrypted-email-v1"
_VERSION = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


@dataclass(frozen=True)
class Disclosure:
    """One version of the disclosure text with its SHA-256."""

    version: str
    sha256: str
    text: str


def load_disclosure(version: str, extra_dir: Path | None = None) -> Disclosure:
    """The disclosure `version`, from `extra_dir` first, then the shipped files."""
    if not _VERSION.fullmatch(version):
        raise ConsentError(f"disclosure version {version!r} is not a valid version id")
    data: bytes | None = None
    if extra_dir is not None and (Path(extra_dir) / f"{version}.txt").is_file():
        data = (Path(extra_dir) / f"{version}.txt").read_bytes()
    else:
        shipped = resources.files("gateway.patients").joinpath("disclosures", f"{version}.txt")
        if shipped.is_file():
            data = shipped.read_bytes()
    if data is None:
        raise ConsentError(f"unknown disclosure version {version!r}")
    return Disclosure(version, hashlib.sha256(data).hexdigest(), data.decode("utf-8"))
