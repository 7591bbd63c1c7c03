"""key_lookup settings: network sources off by default, the root anchors usable, a malformed
trust anchor refused with its file and line, and a config file's lookups reach the encryptors."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import ROOT_TRUST_ANCHORS, DnsLookupSettings, Settings, load_settings
from gateway.keys.lookup.dnssec import TrustAnchors
from gateway.keys.lookup.sources import configured_sources
from gateway.model import ConfigError


def test_network_sources_are_off_by_default() -> None:
    """With the defaults no source is configured for either kind."""
    settings = Settings()
    assert configured_sources(settings, "pgp") == []
    assert configured_sources(settings, "smime") == []


def test_root_anchors_survive_validation_and_parse() -> None:
    """The shipped root KSK anchors pass the settings check and dnspython reads them."""
    dns = DnsLookupSettings(trust_anchors=ROOT_TRUST_ANCHORS)
    anchors = TrustAnchors.parse(dns.trust_anchors)
    assert sorted(int(d.key_tag) for d in next(iter(anchors.ds.values()))) == [20326, 38696]


def test_malformed_trust_anchor_is_refused_with_its_file(tmp_path: Path) -> None:
    """A trust anchor that is not a DS or DNSKEY record stops loading, naming the setting."""
    path = tmp_path / "phigate.yaml"
    path.write_text("key_lookup:\n  dns:\n    trust_anchors:\n      - 'example. A 192.0.2.1'\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert f"{path}:4:" in str(info.value)
    assert "key_lookup.dns.trust_anchors" in str(info.value)


def test_enabled_sources_by_kind() -> None:
    """WKD and OPENPGPKEY serve OpenPGP; SMIMEA and CERT serve S/MIME."""
    settings = load_settings(
        None,
        {
            "key_lookup": {
                "wkd": {"enabled": True},
                "dns": {"openpgpkey": True, "smimea": True, "cert": True},
            }
        },
    )
    assert [s.name for s in configured_sources(settings, "pgp")] == ["wkd", "dane-openpgpkey"]
    assert [s.name for s in configured_sources(settings, "smime")] == ["dane-smimea", "dns-cert"]
