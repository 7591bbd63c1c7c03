"""Text under a label that is no real text charset never reaches an outsider in clear: UTF-7 in
an encoded-word, a text attachment or an RTF body, a punycode file name, and ASCII under a UTF-16
label all read as clear text to some client while the label's own codec shows noise."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.support.leak import (
    BENIGN,
    HEADER_PHI,
    PHI,
    NotInClear,
    b64,
    by_name,
    head,
)


def _utf7(text: str) -> bytes:
    # Every character in its base64 form, as some UTF-7 encoders write it.
    return b"+" + b64(text.encode("utf-16-be")).replace("\r\n", "").rstrip("=").encode() + b"-"


def _mixed(attachment_headers: str, attachment_body: str) -> bytes:
    return (
        head() + 'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        f"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{BENIGN}\r\n"
        f"--b1\r\n{attachment_headers}\r\n{attachment_body}\r\n--b1--\r\n"
    ).encode()


def utf7_encoded_word_subject() -> bytes:
    word = "=?utf-7?B?" + b64(_utf7(HEADER_PHI)).replace("\r\n", "") + "?="
    return (
        head(subject=word) + f"Content-Type: text/plain; charset=utf-8\r\n\r\n{BENIGN}\r\n"
    ).encode()


def utf7_text_attachment() -> bytes:
    return _mixed(
        "Content-Type: text/plain; charset=utf-7\r\nContent-Transfer-Encoding: base64\r\n"
        'Content-Disposition: attachment; filename="note.txt"\r\n',
        b64(_utf7(PHI)),
    )


def utf7_rtf_body() -> bytes:
    rtf = b"{\\rtf1\\ansi " + _utf7(PHI) + b"}"
    return (
        head() + "Content-Type: text/rtf; charset=utf-7\r\nContent-Transfer-Encoding: base64\r\n"
        "\r\n" + b64(rtf)
    ).encode()


def punycode_file_name() -> bytes:
    name = quote(f"{HEADER_PHI}.txt")
    return _mixed(
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Disposition: attachment; filename*=punycode''{name}\r\n",
        BENIGN,
    )


def ascii_under_utf16_label() -> bytes:
    return (head() + f"Content-Type: text/plain; charset=utf-16\r\n\r\n{PHI}\r\n").encode()


CASES = by_name(
    utf7_encoded_word_subject,
    utf7_text_attachment,
    utf7_rtf_body,
    punycode_file_name,
    ascii_under_utf16_label,
)


@pytest.mark.parametrize("case", sorted(CASES))
def test_text_under_a_bad_charset_is_not_delivered_in_clear(
    case: str, not_in_clear: NotInClear
) -> None:
    """The outsider cannot read the patient's text, and the scanner flags the message."""
    not_in_clear(case, CASES[case]())
