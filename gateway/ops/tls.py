"""Inbound TLS: TLS 1.2 or newer with AEAD ciphers only."""

from __future__ import annotations

import ssl
from pathlib import Path

from gateway.model import ConfigError

# TLS 1.3 suites are all AEAD; for TLS 1.2 allow only ECDHE/DHE with AES-GCM or ChaCha20.
AEAD_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:!aNULL:!eNULL:!MD5:!DSS:!SHA1"


def server_tls_context(cert_file: Path, key_file: Path) -> ssl.SSLContext:
    """A server context refusing SSLv3, TLS 1.0/1.1, RC4, 3DES and CBC suites."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(AEAD_CIPHERS)
    ctx.options |= ssl.OP_NO_COMPRESSION | ssl.OP_CIPHER_SERVER_PREFERENCE
    try:
        ctx.load_cert_chain(str(cert_file), str(key_file))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"{cert_file}: cannot load the TLS certificate and key: {exc}") from None
    return ctx
