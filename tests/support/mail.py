"""Small test messages built with the stdlib email package."""

from __future__ import annotations

from email.message import EmailMessage


def text_mail(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    """A text/plain message from sender to `to`; callers add parts and pick the serialisation."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    return msg
