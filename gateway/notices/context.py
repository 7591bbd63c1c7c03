"""What a sender notice may know: a frozen set of PHI-free fields, and a masking helper."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

NoticeKind = Literal["block", "quarantine", "fallback"]
NOTICE_KINDS: tuple[NoticeKind, ...] = ("block", "quarantine", "fallback")

DEFAULT_NEXT_STEPS: tuple[str, ...] = (
    "Resend the message with [secure] in the subject line so that it is sent encrypted.",
    "Or share the information through the patient portal instead of email.",
    "If the patient has consented to unencrypted email, ask your compliance officer "
    "about a consent exception.",
)

_WORD = re.compile(r"[^\W\d_]+|\d", re.UNICODE)


def mask_text(text: str) -> str:
    """Mask free text while keeping its shape: digits become `*`, words keep their first letter.

    For example ``"Lab results for John Smith 1985-03-04"`` becomes
    ``"L** r****** f** J*** S**** ****-**-**"``. It knows nothing about what is PHI, so it
    masks everything; callers with findings can do better (see ``detectors.findings.mask``).
    """
    text = " ".join(text.split())

    def one(m: re.Match[str]) -> str:
        word = m.group(0)
        if word.isdigit():
            return "*"
        return word[0] + "*" * (len(word) - 1)

    return _WORD.sub(one, text)


def _tuple_of_str(name: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, tuple):
        raise TypeError(f"NoticeContext.{name} must be a tuple of str")
    if not all(isinstance(v, str) for v in value):
        raise TypeError(f"NoticeContext.{name} must be a tuple of str")
    return value


@dataclass(frozen=True)
class NoticeContext:
    """The only facts a sender notice can show: all masked or PHI-free by construction.

    There is deliberately no field for the message, its body, headers, or matched text;
    `subject_masked` and `previews` must already be masked by the caller.
    """

    ref_id: str
    rule: str
    action: str
    reason_text: str
    entity_types: tuple[str, ...]
    previews: tuple[str, ...]
    locations: tuple[str, ...]
    subject_masked: str
    subject_has_phi: bool
    recipient_count: int
    recipient_domains: tuple[str, ...]
    date: datetime
    next_steps: tuple[str, ...] = field(default=DEFAULT_NEXT_STEPS)

    def __post_init__(self) -> None:
        for name in ("ref_id", "rule", "action", "reason_text", "subject_masked"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"NoticeContext.{name} must be str")
        for name in ("entity_types", "previews", "locations", "recipient_domains", "next_steps"):
            _tuple_of_str(name, getattr(self, name))
        if not isinstance(self.recipient_count, int) or isinstance(self.recipient_count, bool):
            raise TypeError("NoticeContext.recipient_count must be int")
        if not isinstance(self.date, datetime):
            raise TypeError("NoticeContext.date must be a datetime")

    def as_template_vars(self) -> dict[str, Any]:
        """The variables templates see (plain values; nothing callable)."""
        return {
            "ref_id": self.ref_id,
            "rule": self.rule,
            "action": self.action,
            "reason_text": self.reason_text,
            "entity_types": list(self.entity_types),
            "previews": list(self.previews),
            "locations": list(self.locations),
            "subject_masked": self.subject_masked,
            "subject_has_phi": self.subject_has_phi,
            "recipient_count": self.recipient_count,
            "recipient_domains": list(self.recipient_domains),
            "date": self.date.strftime("%Y-%m-%d %H:%M %Z").strip(),
            "next_steps": list(self.next_steps),
        }
