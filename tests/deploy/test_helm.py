"""deploy/helm/phigate: the real helm lints and renders the chart; the rendered objects are checked."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support import POLICIES
from tests.support.deploy import DEPLOY, config_check, run_phigate

CHART = DEPLOY / "helm" / "phigate"
SHIPPED_POLICY = POLICIES / "default.yaml"
TEST_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
GATEWAY, PORTAL = "practice-phigate", "practice-phigate-portal"


def helm_binary() -> Path:
    """The helm that scripts/system-deps.sh installs beside the venv's python (or one on PATH)."""
    venv_first = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which("helm", path=venv_first)
    if found is None:
        pytest.fail("helm is missing: run 'sh scripts/system-deps.sh' (make test does)")
    return Path(found)


def helm(*args: str) -> subprocess.CompletedProcess[str]:
    """Run helm and return its result."""
    return subprocess.run(
        [str(helm_binary()), *args], capture_output=True, text=True, timeout=120, check=False
    )


def render(*extra: str) -> list[dict[str, Any]]:
    """`helm template` the chart with extra flags and return the rendered objects."""
    result = helm("template", "practice", str(CHART), *extra)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def only(objects: Sequence[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    """The one rendered object of this kind (and name)."""
    found = [
        o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)
    ]
    assert len(found) == 1, f"{kind} {name}: {len(found)} rendered"
    return found[0]


@pytest.fixture(scope="module")
def objects() -> list[dict[str, Any]]:
    """The chart rendered with its default values."""
    return render()


@pytest.fixture(scope="module")
def pod(objects: list[dict[str, Any]]) -> dict[str, Any]:
    """The Deployment's pod spec."""
    spec = only(objects, "Deployment", GATEWAY)["spec"]["template"]["spec"]
    assert isinstance(spec, dict)
    return spec


def test_helm_lint_is_clean() -> None:
    """`helm lint --strict` passes (a warning would fail it)."""
    result = helm("lint", "--strict", str(CHART))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


def test_renders_the_objects_a_deployment_needs(objects: list[dict[str, Any]]) -> None:
    """For the gateway and for the portal: Deployment, PodDisruptionBudget, Service and
    NetworkPolicy; one config ConfigMap; nothing else."""
    kinds = sorted((o["kind"], o["metadata"]["name"]) for o in objects)
    assert kinds == [
        ("ConfigMap", "practice-phigate-config"),
        ("Deployment", GATEWAY),
        ("Deployment", PORTAL),
        ("NetworkPolicy", GATEWAY),
        ("NetworkPolicy", PORTAL),
        ("PodDisruptionBudget", GATEWAY),
        ("PodDisruptionBudget", PORTAL),
        ("Service", GATEWAY),
        ("Service", PORTAL),
    ]
    # Keys and passwords come from Secrets the site makes; the chart never renders one.
    assert all(o["kind"] != "Secret" for o in objects)


def test_replicas_follow_the_values() -> None:
    """replicaCount sets the Deployment's replicas."""
    assert only(render(), "Deployment", GATEWAY)["spec"]["replicas"] == 2
    assert only(render("--set", "replicaCount=3"), "Deployment", GATEWAY)["spec"]["replicas"] == 3


def test_pod_runs_non_root_read_only_without_capabilities(pod: dict[str, Any]) -> None:
    """Every container: runAsNonRoot, read-only root file system, no privilege gain, ALL dropped."""
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 10025
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert pod["automountServiceAccountToken"] is False
    for container in pod["containers"] + pod["initContainers"]:
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True, container["name"]
        assert context["allowPrivilegeEscalation"] is False, container["name"]
        assert context["capabilities"]["drop"] == ["ALL"], container["name"]
        assert not container["image"].endswith(":latest"), container["name"]
        assert ":" in container["image"], container["name"]
    # With a read-only root, /tmp must be a volume.
    mounts = {m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    assert {"/tmp", "/var/lib/phigate/keys", "/etc/phigate/phigate.yaml"} <= mounts


def test_probes_use_healthz_and_readyz(pod: dict[str, Any], objects: list[dict[str, Any]]) -> None:
    """Startup and liveness ask /healthz, readiness /readyz, on the ops port the config binds
    to all interfaces."""
    container = pod["containers"][0]
    probes = {
        p: container[p]["httpGet"] for p in ("startupProbe", "readinessProbe", "livenessProbe")
    }
    assert {p: (g["path"], g["port"]) for p, g in probes.items()} == {
        "startupProbe": ("/healthz", "metrics"),
        "readinessProbe": ("/readyz", "metrics"),
        "livenessProbe": ("/healthz", "metrics"),
    }
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    text = only(objects, "ConfigMap", "practice-phigate-config")["data"]["phigate.yaml"]
    assert yaml.safe_load(text)["metrics"]["listen"] == f"0.0.0.0:{ports['metrics']}"


def test_keys_and_database_password_come_from_secrets(pod: dict[str, Any]) -> None:
    """The keys Secret and the database password Secret are mounted as files, never as values."""
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["keys-secret"]["secret"]["secretName"] == "phigate-keys"
    assert volumes["db-password"]["secret"]["secretName"] == "phigate-db"
    container = pod["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    assert env["PHIGATE_DB_PASSWORD_FILE"]["value"] == "/run/secrets/phigate-db/password"
    assert all("valueFrom" not in e for e in env.values())
    # The init container copies the keys 0600 into a memory volume phigate owns.
    init = pod["initContainers"][0]
    assert "install -m 0600" in " ".join(init["command"])
    assert volumes["keys"]["emptyDir"]["medium"] == "Memory"


def test_config_map_holds_a_config_phigate_accepts(
    objects: list[dict[str, Any]], tmp_path: Path
) -> None:
    """phigate.yaml stores everything in the configured PostgreSQL and passes `phigate config check`."""
    text = only(objects, "ConfigMap", "practice-phigate-config")["data"]["phigate.yaml"]
    config = yaml.safe_load(text)
    url = config["audit"]["url"]
    assert url.startswith("postgresql+psycopg://phigate@")
    for store in (
        config["quarantine"]["url"],
        config["patients"]["url"],
        config["portal"]["store_url"],
    ):
        assert store == url
    assert config["listen"] == "0.0.0.0:10025"
    assert config["metrics"]["listen"] == "0.0.0.0:9325"
    assert config["smtp"]["hostname"] == "phigate.practice.example"  # from values.config

    site = render("--set", f"database.url={TEST_POSTGRES_URL}")
    text = only(site, "ConfigMap", "practice-phigate-config")["data"]["phigate.yaml"]
    result = config_check(text.replace("/var/lib/phigate/", f"{tmp_path}/"), tmp_path)
    assert result.returncode == 0, result.stderr


def test_policy_config_map_is_mounted_and_used(tmp_path: Path) -> None:
    """With policy.content set, the policy is a ConfigMap, mounted, and named by policy_file."""
    site = render("--set-file", f"policy.content={SHIPPED_POLICY}")
    policy = only(site, "ConfigMap", "practice-phigate-policy")["data"]["policy.yaml"]
    assert yaml.safe_load(policy) == yaml.safe_load(SHIPPED_POLICY.read_text(encoding="utf-8"))
    config = yaml.safe_load(
        only(site, "ConfigMap", "practice-phigate-config")["data"]["phigate.yaml"]
    )
    assert config["policy_file"] == "/etc/phigate/policy/policy.yaml"
    pod = only(site, "Deployment", GATEWAY)["spec"]["template"]["spec"]
    mounts = {m["name"]: m["mountPath"] for m in pod["containers"][0]["volumeMounts"]}
    assert mounts["policy"] == "/etc/phigate/policy"
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["policy"]["configMap"]["name"] == "practice-phigate-policy"
    # A changed policy changes the pod template, so the pods roll.
    default_pod = only(render(), "Deployment", GATEWAY)["spec"]["template"]["metadata"][
        "annotations"
    ]
    site_pod = only(site, "Deployment", GATEWAY)["spec"]["template"]["metadata"]["annotations"]
    assert default_pod["checksum/policy"] != site_pod["checksum/policy"]
    (tmp_path / "policy.yaml").write_text(policy, encoding="utf-8")
    result = run_phigate("policy", "check", str(tmp_path / "policy.yaml"))
    assert result.returncode == 0, result.stderr


def test_service_and_budget_select_the_pods(objects: list[dict[str, Any]]) -> None:
    """The Service and the PodDisruptionBudget select exactly the Deployment's pods."""
    labels = only(objects, "Deployment", GATEWAY)["spec"]["template"]["metadata"]["labels"]
    selector = only(objects, "Deployment", GATEWAY)["spec"]["selector"]["matchLabels"]
    assert selector.items() <= labels.items()
    assert only(objects, "Service", GATEWAY)["spec"]["selector"] == selector
    budget = only(objects, "PodDisruptionBudget", GATEWAY)["spec"]
    assert budget["selector"]["matchLabels"] == selector
    assert budget["minAvailable"] == 1
    ports = {p["name"]: p for p in only(objects, "Service", GATEWAY)["spec"]["ports"]}
    container_ports = {
        p["name"]: p["containerPort"]
        for p in only(objects, "Deployment", GATEWAY)["spec"]["template"]["spec"]["containers"][0][
            "ports"
        ]
    }
    assert ports["smtp"]["port"] == container_ports["smtp"] == 10025
    assert ports["metrics"]["targetPort"] in container_ports


def test_network_policy_limits_both_directions(objects: list[dict[str, Any]]) -> None:
    """Ingress only to SMTP and metrics from named peers; egress only DNS, next hop and database."""
    spec = only(objects, "NetworkPolicy", GATEWAY)["spec"]
    assert sorted(spec["policyTypes"]) == ["Egress", "Ingress"]
    ingress_ports = {p["port"] for rule in spec["ingress"] for p in rule["ports"]}
    assert ingress_ports == {"smtp", "metrics"}
    assert all(rule["from"] for rule in spec["ingress"])
    egress_ports = {p["port"] for rule in spec["egress"] for p in rule["ports"]}
    assert egress_ports == {53, 10026, 5432}


@pytest.mark.parametrize(
    ("flag", "where"),
    [
        ("database.url=postgresql+psycopg://phigate:hunter2@db/phigate", "/database/url"),
        ("image.tag=latest", "/image/tag"),
        ("replicaCount=0", "/replicaCount"),
        ("ports.smtp=25", "/ports/smtp"),
        ("portal.port=443", "/portal/port"),
    ],
)
def test_values_schema_refuses_unsafe_values(flag: str, where: str) -> None:
    """values.schema.json stops a password in the URL, a 'latest' tag, no replicas or a root port."""
    result = helm("template", "practice", str(CHART), "--set", flag)
    assert result.returncode != 0
    assert where in result.stderr, result.stderr


def test_portal_runs_beside_the_gateway_on_the_same_database(objects: list[dict[str, Any]]) -> None:
    """The portal Deployment serves `phigate portal` with the TLS Secret, the same config and
    keys, non-root and read-only; its Service and budget select only portal pods, and the
    gateway's select none of them."""
    portal = only(objects, "Deployment", PORTAL)
    spec = portal["spec"]["template"]["spec"]
    labels = portal["spec"]["template"]["metadata"]["labels"]
    assert portal["spec"]["replicas"] == 2
    container = spec["containers"][0]
    assert container["args"][:3] == ["portal", "--config", "/etc/phigate/phigate.yaml"]
    assert "/run/secrets/portal-tls/tls.crt" in container["args"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["portal-tls"]["secret"]["secretName"] == "phigate-portal-tls"
    assert volumes["keys-secret"]["secret"]["secretName"] == "phigate-keys"
    assert volumes["config"]["configMap"]["name"] == "practice-phigate-config"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert container["readinessProbe"]["httpGet"]["scheme"] == "HTTPS"
    portal_selector = only(objects, "Service", PORTAL)["spec"]["selector"]
    assert portal_selector.items() <= labels.items()
    budget = only(objects, "PodDisruptionBudget", PORTAL)["spec"]["selector"]["matchLabels"]
    assert budget == portal["spec"]["selector"]["matchLabels"]
    gateway_selector = only(objects, "Service", GATEWAY)["spec"]["selector"]
    assert not gateway_selector.items() <= labels.items()
    config = yaml.safe_load(
        only(objects, "ConfigMap", "practice-phigate-config")["data"]["phigate.yaml"]
    )
    port = container["ports"][0]["containerPort"]
    assert config["portal"]["listen"] == f"0.0.0.0:{port}"
    assert only(render("--set", "portal.enabled=false"), "Deployment", GATEWAY)
    assert all(o["metadata"]["name"] != PORTAL for o in render("--set", "portal.enabled=false"))


def test_anchor_claim_gives_every_node_its_own_anchor(tmp_path: Path) -> None:
    """With audit.anchors.existingClaim each pod writes {node}.anchor on the shared claim;
    without, one anchor in the pod's own state."""
    default = yaml.safe_load(
        only(render(), "ConfigMap", "practice-phigate-config")["data"]["phigate.yaml"]
    )
    assert default["audit"]["anchor_file"] == "/var/lib/phigate/state/audit.anchor"
    site = render("--set", "audit.anchors.existingClaim=phigate-anchors")
    config_text = only(site, "ConfigMap", "practice-phigate-config")["data"]["phigate.yaml"]
    assert yaml.safe_load(config_text)["audit"]["anchor_file"] == (
        "/var/lib/phigate/anchors/{node}.anchor"
    )
    spec = only(site, "Deployment", GATEWAY)["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["anchors"]["persistentVolumeClaim"]["claimName"] == "phigate-anchors"
    mounts = {m["name"]: m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
    assert mounts["anchors"] == "/var/lib/phigate/anchors"
