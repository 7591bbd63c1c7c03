"""`phigate keys lookup` against real sources on loopback (an HTTPS WKD and a DNSSEC-signed
DNS server): each source's answer and each candidate's verdict, dry run unless --store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest
import yaml

from gateway.crypto.pgp import PgpKeyring
from gateway.keys.lookup.dane import dane_name
from tests.support.cli import phigate
from tests.support.dns import SignedZones, running_dns
from tests.support.gateway import short_tempdir
from tests.support.pgp import gen_key, gpg
from tests.support.wkd import running_wkd

DOMAIN = "lab.example"
WKD_HOST = f"openpgpkey.{DOMAIN}"


@pytest.fixture(scope="module")
def keys() -> Iterator[tuple[Path, dict[str, str]]]:
    """Recipient keys: a usable one and an expired one."""
    home = Path(short_tempdir())
    fprs = {
        "kim": gen_key(home, f"kim@{DOMAIN}"),
        "lou": gen_key(home, f"lou@{DOMAIN}", expire="1d", at="20200101T000000"),
    }
    yield home, fprs
    with PgpKeyring(home):
        pass


def _config(tmp_path: Path, wkd_port: int, ca: Path, dns_port: int, anchor: str) -> Path:
    config = {
        "pgp": {"home": short_tempdir()},
        "smime": {"store_dir": str(tmp_path / "certs")},
        "key_lookup": {
            "cache_file": str(tmp_path / "lookup.json"),
            "wkd": {
                "enabled": True,
                "ca_file": str(ca),
                "port": wkd_port,
                "resolve": {WKD_HOST: "127.0.0.1"},
            },
            "dns": {
                "openpgpkey": True,
                "nameservers": [f"127.0.0.1:{dns_port}"],
                "trust_anchors": [anchor],
            },
        },
    }
    path = tmp_path / "phigate.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.fixture
def config(tmp_path: Path, keys: tuple[Path, dict[str, str]]) -> Iterator[Path]:
    """kim's key in WKD and (spoiled, so bogus) in DNS; lou's expired key in WKD."""
    home, fprs = keys
    zones = SignedZones(dns.name.from_text(f"{DOMAIN}."))
    kim = gpg(home, "--export", fprs["kim"])
    owner = dane_name(f"kim@{DOMAIN}", "_openpgpkey")
    zones.add_rdata(
        owner, dns.rdata.from_wire(dns.rdataclass.IN, dns.rdatatype.OPENPGPKEY, kim, 0, len(kim))
    )
    zones.sign()
    zones.spoil(str(owner), "OPENPGPKEY", how="change")
    with running_wkd(tmp_path, (WKD_HOST,)) as wkd, running_dns(zones) as dns_port:
        wkd.publish(f"kim@{DOMAIN}", kim)
        wkd.publish(f"lou@{DOMAIN}", gpg(home, "--export", fprs["lou"]))
        yield _config(tmp_path, wkd.port, wkd.ca_file, dns_port, zones.anchor())


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = phigate(["keys", "lookup", *argv])
    return code, capsys.readouterr().out


def test_each_source_and_candidate_is_explained_and_nothing_is_stored(
    config: Path, keys: tuple[Path, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    """WKD's key is usable, DNS's is DNSSEC bogus, S/MIME has no source; a dry run stores none."""
    fpr = keys[1]["kim"]
    code, out = _run(capsys, "--config", str(config), "--json", f"kim@{DOMAIN}")
    assert code == 0
    doc = json.loads(out)
    assert doc["disabled"] == ["smime"]
    [pgp] = doc["lookups"]
    by_source = {a["source"]: a for a in pgp["answers"]}
    assert by_source["wkd"]["status"] == "found"
    assert by_source["wkd"]["candidates"][0]["used"] is True
    assert by_source["wkd"]["candidates"][0]["fingerprint"] == fpr
    assert by_source["dane-openpgpkey"]["status"] == "failed"
    assert "DNSSEC bogus" in by_source["dane-openpgpkey"]["reason"]
    home = yaml.safe_load(config.read_text())["pgp"]["home"]
    with PgpKeyring(Path(home)) as ring:
        assert not ring.lookup(f"kim@{DOMAIN}").ok


def test_expired_key_is_refused_with_the_reason(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The human output names the refusal, and the exit status says nothing usable was found."""
    code, out = _run(capsys, "--config", str(config), "--kind", "pgp", f"lou@{DOMAIN}")
    assert code == 1
    assert "REFUSED" in out and "expired" in out
    assert "no usable certificate or key found" in out


def test_store_puts_the_key_in_use(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--store imports and trusts what validates, as the gateway does on a miss."""
    code, out = _run(capsys, "--config", str(config), "--store", "--kind", "pgp", f"kim@{DOMAIN}")
    assert code == 0, out
    home = yaml.safe_load(config.read_text())["pgp"]["home"]
    with PgpKeyring(Path(home)) as ring:
        assert ring.lookup(f"kim@{DOMAIN}").ok


def test_not_an_address_is_refused(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Something that is not an address ends with a clear error, exit status 2."""
    assert phigate(["keys", "lookup", "--config", str(config), "no-at-sign"]) == 2
    assert "not an e-mail address" in capsys.readouterr().err
