"""Typed, frozen configuration: YAML file, then command-line flags on top."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, Field, field_validator, model_validator

from detectors.config import DetectorConfig, Frozen
from gateway.yamlconf import load_file, validate

TlsLevel = Literal["none", "opportunistic", "require", "verify"]
HarvestMode = Literal["off", "approve", "auto"]
TLS_ORDER: dict[str, int] = {"none": 0, "opportunistic": 1, "require": 2, "verify": 3}


def split_hostport(value: str) -> tuple[str, int]:
    """Split "host:port" or "[v6]:port" into its parts."""
    if value.startswith("["):
        host, sep, rest = value[1:].partition("]")
        if not sep or not rest.startswith(":"):
            raise ValueError(f"expected [ADDRESS]:PORT, got {value!r}")
        port_text = rest[1:]
    else:
        host, sep, port_text = value.rpartition(":")
        if not sep or not host:
            raise ValueError(f"expected HOST:PORT, got {value!r}")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"port must be 1-65535 in {value!r}")
    return host, int(port_text)


def _check_hostport(value: str) -> str:
    split_hostport(value)
    return value


HostPort = Annotated[str, AfterValidator(_check_hostport)]


def _check_network(value: str) -> str:
    ipaddress.ip_network(value, strict=False)
    return value


Network = Annotated[str, AfterValidator(_check_network)]


class SmtpSettings(Frozen):
    """The SMTP front: limits, timeouts and inbound TLS."""

    hostname: str = "phigate.localdomain"
    max_message_size: int = Field(default=50 * 1024 * 1024, ge=1024)
    max_recipients: int = Field(default=100, ge=1, le=10000)
    max_line_length: int = Field(default=998, ge=78, le=100_000)
    # Waiting for the client's next command; short, since an idle session holds a slot.
    idle_timeout: float = Field(default=60.0, gt=0)
    # Waiting for more of the message during DATA (RFC 5321 4.5.3.2.5 asks 5 minutes).
    command_timeout: float = Field(default=300.0, gt=0)
    # From the end of DATA until the verdict and the commit to the next hop. Clients wait
    # 10 minutes for the DATA reply (RFC 5321 4.5.3.2.6), and many give up sooner: past this,
    # the message is not delivered and the client gets 451, so its retry makes no duplicate.
    processing_timeout: float = Field(default=240.0, gt=0)
    session_timeout: float = Field(default=1800.0, gt=0)
    max_sessions: int = Field(default=500, ge=1)
    bare_newlines: Literal["reject", "normalize"] = "reject"
    require_starttls: bool = False
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None

    @model_validator(mode="after")
    def _tls_pair(self) -> Self:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("tls_cert_file and tls_key_file go together")
        if self.require_starttls and self.tls_cert_file is None:
            raise ValueError("require_starttls needs tls_cert_file and tls_key_file")
        return self


class LimitSettings(Frozen):
    """Per-client limits that keep one address from starving everyone (Postfix's anvil).

    Counted per worker process and per client address (an IPv6 client by its /64). Clients in
    `access.networks` get the `trusted_` limits. Zero turns a rate limit off.
    """

    sessions_per_client: int = Field(default=10, ge=1)
    trusted_sessions_per_client: int = Field(default=200, ge=1)
    connections_per_minute: int = Field(default=60, ge=0)
    trusted_connections_per_minute: int = Field(default=0, ge=0)
    # Sessions from outside access.networks together (authenticating users included), so
    # strangers can never take every slot from the practice's own mail server.
    stranger_sessions: int = Field(default=250, ge=1)
    # Refused commands (5xx) before a client that may not relay is disconnected with 421.
    max_errors: int = Field(default=3, ge=1)
    auth_failures_per_session: int = Field(default=3, ge=1)
    # Failed logins per client address within auth_window: past the first, replies slow down
    # (doubling up to auth_max_delay); past the second, AUTH is refused for auth_lockout.
    auth_failures_before_delay: int = Field(default=3, ge=1)
    auth_failures_before_lockout: int = Field(default=10, ge=1)
    auth_window: float = Field(default=900.0, gt=0)
    auth_base_delay: float = Field(default=1.0, ge=0)
    auth_max_delay: float = Field(default=10.0, ge=0)
    auth_lockout: float = Field(default=900.0, ge=0)
    # Password checks (argon2/bcrypt) run in threads; more waiting than this get 454.
    auth_threads: int = Field(default=2, ge=1, le=64)
    auth_queue: int = Field(default=16, ge=1)


class AccessSettings(Frozen):
    """Who may relay: client networks, or users who authenticate over TLS."""

    networks: tuple[Network, ...] = ("127.0.0.0/8", "::1/128")
    credentials_file: Path | None = None


class DeliverySettings(Frozen):
    """The next hop: connection pool, timeouts, outbound TLS and the demo outbox."""

    pool_size: int = Field(default=32, ge=1, le=1024)
    connect_timeout: float = Field(default=10.0, gt=0)
    command_timeout: float = Field(default=120.0, gt=0)
    idle_timeout: float = Field(default=30.0, gt=0)
    max_messages_per_connection: int = Field(default=1000, ge=1)
    tls: TlsLevel = "opportunistic"
    tls_policy: Mapping[str, TlsLevel] = Field(default_factory=dict)
    tls_ca_file: Path | None = None
    outbox: Path | None = None

    def tls_for(self, recipients: tuple[str, ...]) -> TlsLevel:
        """The strictest TLS level any recipient's domain asks for."""
        level: TlsLevel = self.tls
        for rcpt in recipients:
            domain = rcpt.rpartition("@")[2].lower()
            wanted = self.tls_policy.get(domain)
            if wanted is not None and TLS_ORDER[wanted] > TLS_ORDER[level]:
                level = wanted
        return level


class DetectionSettings(Frozen):
    """PHI detection: which detector runs, its engine settings and the extraction limits."""

    detector: Literal["phi", "null"] = "phi"
    engine: DetectorConfig = DetectorConfig()
    ocr: bool = True
    ocr_timeout: float = Field(default=20.0, gt=0)
    time_budget: float = Field(default=30.0, gt=0)
    max_attachment_size: int = Field(default=25 * 1024 * 1024, ge=1024)


class GroupSettings(Frozen):
    """A named group of addresses and domains, for policy conditions."""

    domains: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()


# Consumer mailbox providers: mail to them is presumed to go to a patient (a roster refines it).
CONSUMER_DOMAINS = (
    "gmail.com",
    "googlemail.com",
    "yahoo.com",
    "ymail.com",
    "hotmail.com",
    "outlook.com",
    "live.com",
    "msn.com",
    "aol.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "comcast.net",
    "att.net",
    "verizon.net",
    "sbcglobal.net",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "mail.com",
    "zoho.com",
    "yandex.com",
)


def _default_groups() -> dict[str, GroupSettings]:
    return {
        "internal": GroupSettings(),
        "business_associates": GroupSettings(),
        "patients": GroupSettings(domains=CONSUMER_DOMAINS),
    }


class NoticeSettings(Frozen):
    """Notices to senders: who sends them, how a block is answered, and site templates."""

    postmaster: str = "postmaster@localhost"
    template_dir: Path | None = None
    # after_queue: accept and send the sender a notice; before_queue: refuse in the SMTP reply.
    block_reply: Literal["notice", "reject"] = "notice"
    # The site's time zone for dates in notices (an IANA name such as America/Chicago); empty:
    # the gateway machine's zone, and the notice says so.
    timezone: str = ""
    # Whom staff should ask (a name, phone or address); empty: the postmaster's address.
    help_contact: str = ""
    # "What to do next" for every rule without `next_steps` of its own in the policy; empty: the
    # steps that fit what happened (misdirected, never by email, no key to encrypt with, held).
    next_steps: tuple[str, ...] = ()
    # Tell the sender when a message went to the secure portal instead of by email (a short
    # notice, template `portal` in template_dir); off: the sender hears nothing.
    portal_sender_notice: bool = True


class QuarantineSettings(Frozen):
    """The encrypted quarantine: its database, master key and retention."""

    url: str = "sqlite:///var/quarantine.db"
    master_key_file: Path = Path("var/keys/quarantine.key")
    retention_days: int = Field(default=30, ge=1, le=3650)


class SmimeSettings(Frozen):
    """S/MIME: the certificate store, trust anchors, CRLs and sending options."""

    store_dir: Path = Path("var/certs")
    trust_anchors: tuple[Path, ...] = ()
    crls: tuple[str, ...] = ()
    gcm_domains: tuple[str, ...] = ()  # recipients known to read AES-GCM (AuthEnvelopedData)
    oaep: bool = False
    require_crl: bool = False  # refuse a certificate whose CRL cannot be read
    sign_file: Path | None = None  # PKCS#12 or PEM bundle (cert, key, intermediates) to sign with
    sign_password_file: Path | None = None
    protect_subject: bool = True
    neutral_subject: str = "Encrypted message"
    # Certificates from verified signed mail: off (learn nothing), approve (store them pending
    # until `phigate keys approve`), auto (use them at once). approve by default: nothing a
    # message brings changes whom mail is encrypted to until an officer has looked at it.
    harvest: HarvestMode = "approve"


class PgpSettings(Frozen):
    """OpenPGP: the gateway's keyring and options."""

    home: Path = Path("var/gnupg")
    sign_key: str | None = None
    inline_addresses: tuple[str, ...] = ()  # legacy recipients who want inline PGP
    # Keys from Autocrypt headers and attached public keys: off, approve or auto as for S/MIME.
    # Nobody vouches for such a key (anyone can write a From line), hence approve by default.
    harvest: HarvestMode = "approve"


class PatientSettings(Frozen):
    """The patient roster and consent registry (identifiers kept as keyed hashes)."""

    url: str = "sqlite:///var/patients.db"
    key_file: Path = Path("var/keys/roster.key")
    disclosure_dir: Path | None = None  # site versions of the risk-disclosure text
    # Recipients in these groups are never "misdirected" (they may receive any patient's PHI).
    allowed_groups: tuple[str, ...] = ("internal", "business_associates")


class PortalSettings(Frozen):
    """Portal delivery: the built-in pickup portal, or a webhook to an external one."""

    url: str = "https://127.0.0.1:8443"  # the address patients open (the notice links here)
    listen: HostPort = "127.0.0.1:8443"
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    store_url: str = "sqlite:///var/portal.db"
    master_key_file: Path = Path("var/keys/portal.key")
    expiry_days: int = Field(default=30, ge=1, le=365)
    practice_name: str = "Your medical practice"
    from_address: str = "secure-messages@localhost"
    practice_address: str = "frontdesk@localhost"  # where patient replies and consent notes go
    help_text: str = "Questions? Call the practice during office hours."
    template_dir: Path | None = None
    enabled: bool = False  # on: the portal action stores messages and sends notices
    # What a patient may consent to on the portal's consent page: the scopes offered
    # (appointment_reminders, billing, lab_results, all_clinical; the first is pre-selected)
    # and the durations in days offered (the longest is pre-selected).
    consent_scopes: tuple[str, ...] = Field(default=("appointment_reminders",), min_length=1)
    consent_days: tuple[Annotated[int, Field(ge=1, le=3650)], ...] = Field(
        default=(365,), min_length=1
    )
    webhook_url: str | None = None  # instead of the built-in portal
    webhook_secret_file: Path | None = None
    webhook_timeout: float = Field(default=10.0, gt=0)
    webhook_retries: int = Field(default=2, ge=0, le=10)


class DkimSettings(Frozen):
    """DKIM-sign what phigate changed (encrypted copies, notices); off unless configured."""

    domain: str | None = None
    selector: str | None = None
    key_file: Path | None = None

    @model_validator(mode="after")
    def _all_or_nothing(self) -> Self:
        given = [self.domain is not None, self.selector is not None, self.key_file is not None]
        if any(given) and not all(given):
            raise ValueError("dkim needs domain, selector and key_file together")
        return self


class AuditSettings(Frozen):
    """Where the audit log lives, and its HMAC key (kept apart from the log)."""

    url: str = "sqlite:///var/audit.db"
    key_file: Path = Path("var/keys/audit.key")
    # The chain head, MACed, kept beside the key to catch deleted trailing records.
    # Unset means beside the key file (audit.key -> audit.anchor).
    anchor_file: Path | None = None


_NODE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def default_node_id() -> str:
    """This host's name, cut to what a node id may hold (letters, digits, '.', '_', '-')."""
    name = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname()).strip(".-_")[:64]
    return name or "node"


def _check_node_id(value: str) -> str:
    if not _NODE_ID.fullmatch(value):
        raise ValueError(
            "node.id must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return value


NodeId = Annotated[str, AfterValidator(_check_node_id)]


class NodeSettings(Frozen):
    """This gateway among several sharing the databases: its name (in logs, metrics and every
    audit record) and how often it writes its heartbeat row."""

    id: NodeId = Field(default_factory=default_node_id)
    heartbeat_seconds: float = Field(default=10.0, gt=0, le=3600)
    # `phigate status` shows a node as stale when its heartbeat is older than this.
    stale_after: float = Field(default=60.0, gt=0)


class MetricsSettings(Frozen):
    """The ops HTTP endpoint: /metrics, /healthz and /readyz; null turns it off. Bind
    0.0.0.0:9325 (or [::]:9325) for probes and scrapers from other hosts."""

    listen: HostPort | None = "127.0.0.1:9325"


class LoggingSettings(Frozen):
    """Structured logs on standard error."""

    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["json", "console"] = "json"


class Settings(Frozen):
    """Everything the gateway needs to run."""

    listen: HostPort = "127.0.0.1:10025"
    next_hop: HostPort = "127.0.0.1:10026"
    workers: int = Field(default=1, ge=1, le=64)
    drain_timeout: float = Field(default=30.0, ge=0)
    policy_file: Path = Path("policies/default.yaml")
    smtp: SmtpSettings = SmtpSettings()
    access: AccessSettings = AccessSettings()
    limits: LimitSettings = LimitSettings()
    delivery: DeliverySettings = DeliverySettings()
    detection: DetectionSettings = DetectionSettings()
    groups: Mapping[str, GroupSettings] = Field(default_factory=_default_groups)
    notices: NoticeSettings = NoticeSettings()
    quarantine: QuarantineSettings = QuarantineSettings()
    smime: SmimeSettings = SmimeSettings()
    pgp: PgpSettings = PgpSettings()
    dkim: DkimSettings = DkimSettings()
    patients: PatientSettings = PatientSettings()
    portal: PortalSettings = PortalSettings()
    audit: AuditSettings = AuditSettings()
    metrics: MetricsSettings = MetricsSettings()
    node: NodeSettings = NodeSettings()
    logging: LoggingSettings = LoggingSettings()

    @model_validator(mode="after")
    def _client_waits_for_the_reply(self) -> Self:
        # After processing, the next hop has delivery.command_timeout to answer the final dot;
        # both must fit in the 10 minutes a client waits for the DATA reply (RFC 5321).
        total = self.smtp.processing_timeout + self.delivery.command_timeout
        if total >= 600:
            raise ValueError(
                "smtp.processing_timeout + delivery.command_timeout must stay below 600 seconds"
                f" (the time a client waits for the DATA reply), not {total:g}"
            )
        if self.detection.time_budget >= self.smtp.processing_timeout:
            raise ValueError(
                "detection.time_budget must be shorter than smtp.processing_timeout, or no scan"
                " that uses its budget could ever be delivered"
            )
        return self

    @field_validator("groups", mode="before")
    @classmethod
    def _keep_default_groups(cls, value: Any) -> Any:
        # A site that defines `internal` still has `patients` and `business_associates`.
        if isinstance(value, Mapping):
            return {**_default_groups(), **value}
        return value


def load_settings(path: Path | None, overrides: Mapping[str, Any] | None = None) -> Settings:
    """Load settings from a YAML file (or the embedded defaults), then apply flag overrides."""
    if path is None:
        return validate(Settings, dict(overrides or {}), {}, "<command line>")
    return load_file(Settings, path, overrides)
