"""The throw-away S/MIME PKI of tests/support/pki.py, checked against openssl."""

from __future__ import annotations

import subprocess

from tests.support.pki import Pki


def test_generated_chain_verifies_with_openssl(pki: Pki) -> None:
    """The fixture PKI is sound: openssl accepts a leaf issued by the intermediate."""
    leaf = pki.issue("alice@example.org", stem="alice-check")
    result = subprocess.run(
        [
            "openssl",
            "verify",
            "-purpose",
            "smimeencrypt",
            "-CAfile",
            str(pki.root.cert_path),
            "-untrusted",
            str(pki.intermediate.cert_path),
            str(leaf.cert_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("OK")
