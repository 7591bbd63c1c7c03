"""The demo capture folder: one .eml per message, written durably (temp file, fsync, rename)."""

from __future__ import annotations

import os
from pathlib import Path

from gateway.model import Delivery


class Outbox:
    """Stores copies as files when no next hop answers (the newcomer demo)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)

    def store(self, delivery: Delivery, ref_id: str) -> Path:
        """Write one copy with its envelope as X-Phigate-* trace headers; return its path."""
        head = (
            f"X-Phigate-Ref: {ref_id}\r\n"
            f"X-Phigate-Envelope-From: <{delivery.mail_from}>\r\n"
            + "".join(f"X-Phigate-Envelope-To: <{r}>\r\n" for r in delivery.recipients)
        ).encode("utf-8")
        final = self.path / f"{ref_id}.eml"
        n = 1
        while final.exists():
            n += 1
            final = self.path / f"{ref_id}-{n}.eml"
        tmp = final.with_suffix(".tmp")
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as fh:
            fh.write(head + delivery.content)
            fh.flush()
            os.fsync(fh.fileno())
        os.rename(tmp, final)
        dir_fd = os.open(self.path, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return final
