"""Shared pieces of the leak regressions: one patient's PHI, and a message head around it."""

from __future__ import annotations

import base64

from tests.support.leak import OUTSIDER, SENDER

SURNAME = "Quintero-Abbott"
MRN = "4471203"
PHI = (
    f"Patient: Marisol {SURNAME}, DOB 03/14/1962, MRN {MRN}. "
    "Assessment: type 2 diabetes mellitus without complications (E11.9); metformin 500 mg."
)
HEADER_PHI = f"Lab results for Marisol {SURNAME} DOB 1962-03-14 MRN {MRN}"
BENIGN = "Please see the note below and let us know if Thursday still works."


def head(subject: str = "Follow-up", extra: str = "") -> str:
    """From/To/Subject/Date/Message-ID/MIME-Version, then `extra` header lines."""
    return (
        f"From: Dr. Helen Park <{SENDER}>\r\nTo: Front Desk <{OUTSIDER}>\r\n"
        f"Subject: {subject}\r\nDate: Mon, 16 Nov 2026 09:30:00 -0500\r\n"
        f"Message-ID: <case@practice.example>\r\nMIME-Version: 1.0\r\n{extra}"
    )


def b64(data: bytes) -> str:
    """Base64 with CRLF line ends, as it goes on the wire."""
    return base64.encodebytes(data).decode().replace("\n", "\r\n")
