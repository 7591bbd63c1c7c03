"""Typed, frozen configuration: YAML file, then command-line flags on top."""

from __future__ import annotations

import ipaddress
import os
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

    # The name we greet with and use in Received headers.
    hostname: str = "phigate.localdomain"
    # Bytes, advertised as SIZE.
    max_message_size: int = Field(default=50 * 1024 * 1024, ge=1024)
    # Per message; past it RCPT gets 452 4.5.3.
    max_recipients: int = Field(default=100, ge=1, le=10000)
    # Octets per line (RFC 5322: 998).
    max_line_length: int = Field(default=998, ge=78, le=100_000)
    # Waiting for the client's next command; short, since an idle session holds a slot.
    idle_timeout: float = Field(default=60.0, gt=0)
    # Waiting for more of the message during DATA (RFC 5321 4.5.3.2.5 asks 5 minutes).
    command_timeout: float = Field(default=300.0, gt=0)
    # From the end of DATA until the verdict and the commit to the next hop. Clients wait
    # 10 minutes for the DATA reply (RFC 5321 4.5.3.2.6), and many give up sooner: past this,
    # the message is not delivered and the client gets 451, so its retry makes no duplicate.
    processing_timeout: float = Field(default=240.0, gt=0)
    # Seconds for a whole connection.
    session_timeout: float = Field(default=1800.0, gt=0)
    # Concurrent connections per worker.
    max_sessions: int = Field(default=500, ge=1)
    # reject, or normalize: a bare LF or CR never ends DATA either way.
    bare_newlines: Literal["reject", "normalize"] = "reject"
    # Refuse MAIL until the client has started TLS.
    require_starttls: bool = False
    # PEM chain; enables STARTTLS (TLS 1.2+, AEAD ciphers only).
    tls_cert_file: Path | None = None
    # The certificate's private key (PEM).
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

    # Concurrent sessions from one address; past it 421 4.7.0.
    sessions_per_client: int = Field(default=10, ge=1)
    # The same for addresses in access.networks.
    trusted_sessions_per_client: int = Field(default=200, ge=1)
    # New connections per address and minute (0: no limit).
    connections_per_minute: int = Field(default=60, ge=0)
    # The same for addresses in access.networks (0: no limit).
    trusted_connections_per_minute: int = Field(default=0, ge=0)
    # Sessions from outside access.networks together (authenticating users included), so
    # strangers can never take every slot from the practice's own mail server.
    stranger_sessions: int = Field(default=250, ge=1)
    # Refused commands (5xx) before a client that may not relay is disconnected with 421.
    max_errors: int = Field(default=3, ge=1)
    # Failed AUTH in one session, then 421 and disconnect.
    auth_failures_per_session: int = Field(default=3, ge=1)
    # Failed logins per client address within auth_window: past the first, replies slow down
    # (doubling up to auth_max_delay); past the second, AUTH is refused for auth_lockout.
    auth_failures_before_delay: int = Field(default=3, ge=1)
    # Failures per address within auth_window before AUTH is refused for auth_lockout seconds.
    auth_failures_before_lockout: int = Field(default=10, ge=1)
    # Seconds over which AUTH failures per address are counted.
    auth_window: float = Field(default=900.0, gt=0)
    # Seconds of delay after the first failures past auth_failures_before_delay (doubling).
    auth_base_delay: float = Field(default=1.0, ge=0)
    # The longest such delay, in seconds.
    auth_max_delay: float = Field(default=10.0, ge=0)
    # Seconds AUTH stays refused to an address after too many failures.
    auth_lockout: float = Field(default=900.0, ge=0)
    # Password checks (argon2/bcrypt) run in threads; more waiting than this get 454.
    auth_threads: int = Field(default=2, ge=1, le=64)
    # Password checks waiting past this many get 454 4.7.0.
    auth_queue: int = Field(default=16, ge=1)


class AccessSettings(Frozen):
    """Who may relay: client networks, or users who authenticate over TLS."""

    # Clients that may relay without AUTH.
    networks: tuple[Network, ...] = ("127.0.0.0/8", "::1/128")
    # user:argon2-or-bcrypt lines (phigate passwd USER); AUTH is offered over TLS only.
    credentials_file: Path | None = None


class DeliverySettings(Frozen):
    """The next hop: connection pool, timeouts, outbound TLS and the demo outbox."""

    # Connections to the next hop, reused.
    pool_size: int = Field(default=32, ge=1, le=1024)
    # Seconds to connect to the next hop.
    connect_timeout: float = Field(default=10.0, gt=0)
    # Seconds the next hop may take to answer a command.
    command_timeout: float = Field(default=120.0, gt=0)
    # Seconds an unused pooled connection is kept.
    idle_timeout: float = Field(default=30.0, gt=0)
    # Messages on one connection before it is renewed.
    max_messages_per_connection: int = Field(default=1000, ge=1)
    # Seconds a recipient the next hop accepted is not probed again (0: probe every RCPT).
    probe_cache_ttl: float = Field(default=30.0, ge=0, le=3600)
    # TLS to the next hop: none, opportunistic, require or verify.
    tls: TlsLevel = "opportunistic"
    # Per recipient domain, e.g. {lab.example: verify}.
    tls_policy: Mapping[str, TlsLevel] = Field(default_factory=dict)
    # CA bundle for verify (default: the system's).
    tls_ca_file: Path | None = None
    # Demo only: capture mail in this folder when the next hop is down.
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


# Detection processes a worker at most when `detection.processes` is auto.
AUTO_PROCESSES = 2


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity: a container's cpuset counts)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class DetectionSettings(Frozen):
    """PHI detection: which detector runs, its engine settings and the extraction limits."""

    # phi, or null to relay without scanning (benchmarks only).
    detector: Literal["phi", "null"] = "phi"
    # The PHI engine's own settings (detectors/config.py).
    engine: DetectorConfig = DetectorConfig()
    # Read images and scanned PDFs with tesseract.
    ocr: bool = True
    # Seconds per image.
    ocr_timeout: float = Field(default=20.0, gt=0)
    # Seconds of extraction per message; past it the message is unscannable.
    time_budget: float = Field(default=30.0, gt=0)
    # Bytes of one attachment that are scanned; a bigger one is unscannable.
    max_attachment_size: int = Field(default=25 * 1024 * 1024, ge=1024)
    # Detection processes beside each worker (and as many again for messages of 256 KB or
    # more, started with the first one): scans never share the GIL with the worker's SMTP
    # sessions, and with two, one slow scan holds up no other message. 0 scans on the worker's
    # own threads. auto: 2, or fewer when the workers would otherwise have more between them
    # than the machine has cores (one each for two workers on two cores), never below 1.
    processes: Annotated[int, Field(ge=0, le=64)] | Literal["auto"] = "auto"
    # How much nicer than their worker the detection processes run (0-19): the worker's event
    # loop answers every SMTP session and hands the processes their messages, so it gets a core
    # first and the processes take the rest. Other busy programs at normal priority also come
    # first: on a host shared with them, lower it, or 0 for the worker's own priority.
    niceness: int = Field(default=10, ge=0, le=19)

    def processes_per_worker(self, workers: int, cores: int | None = None) -> int:
        """`processes` for each of ``workers`` workers on ``cores`` cores (those this process
        may run on, unless given): a number as it is; auto as its comment says."""
        if self.processes != "auto":
            return self.processes
        if cores is None:
            cores = usable_cores()
        return max(1, min(AUTO_PROCESSES, cores // max(workers, 1)))


class GroupSettings(Frozen):
    """A named group of addresses and domains, for policy conditions."""

    # Mail domains in the group (subdomains included).
    domains: tuple[str, ...] = ()
    # Single addresses in the group.
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

    # Notices to senders come from this address.
    postmaster: str = "postmaster@localhost"
    # Site templates that replace the shipped notice templates file by file.
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

    # The quarantine database (sqlite:///... or postgresql+psycopg://...).
    url: str = "sqlite:///var/quarantine.db"
    # Key that encrypts held messages (created 0600).
    master_key_file: Path = Path("var/keys/quarantine.key")
    # Days a held message is kept before it is purged.
    retention_days: int = Field(default=30, ge=1, le=3650)


class LdapDirectorySettings(Frozen):
    """An LDAP directory publishing S/MIME certificates (looked up on a cache miss)."""

    # ldap://HOST[:PORT] or ldaps://HOST[:PORT]
    url: str
    # Where to search, e.g. ou=people,dc=hospital,dc=example
    base_dn: str
    # Search filter; {address} becomes the recipient address (escaped per RFC 4515).
    filter: str = "(mail={address})"
    # Attributes holding certificates (DER, or a PKCS#7 bundle for userSMIMECertificate).
    attributes: tuple[str, ...] = ("userCertificate;binary", "userSMIMECertificate")
    # Upgrade ldap:// with StartTLS (ldaps:// is TLS from the start).
    start_tls: bool = False
    # Seconds to connect and for each answer.
    timeout: float = Field(default=5.0, gt=0, le=60)
    # CA bundle to verify the directory's TLS certificate (default: the system's).
    ca_file: Path | None = None
    # Simple bind DN (none: anonymous).
    bind_dn: str | None = None
    # File holding the bind password.
    bind_password_file: Path | None = None

    @field_validator("url")
    @classmethod
    def _ldap_url(cls, value: str) -> str:
        if not re.match(r"^ldaps?://[^/\s]+/?$", value):
            raise ValueError(f"expected ldap://HOST[:PORT] or ldaps://HOST[:PORT], got {value!r}")
        return value

    @field_validator("filter")
    @classmethod
    def _has_address(cls, value: str) -> str:
        if "{address}" not in value:
            raise ValueError("the filter must contain {address}")
        return value


class SmimeSettings(Frozen):
    """S/MIME: the certificate store, trust anchors, CRLs and sending options."""

    # Recipient certificates (phigate keys import).
    store_dir: Path = Path("var/certs")
    # CA certificates (PEM) a recipient certificate must chain to.
    trust_anchors: tuple[Path, ...] = ()
    # CRL files or URLs to check recipient certificates against.
    crls: tuple[str, ...] = ()
    gcm_domains: tuple[str, ...] = ()  # recipients known to read AES-GCM (AuthEnvelopedData)
    # Wrap keys with RSA-OAEP instead of PKCS#1 v1.5.
    oaep: bool = False
    require_crl: bool = False  # refuse a certificate whose CRL cannot be read
    sign_file: Path | None = None  # PKCS#12 or PEM bundle (cert, key, intermediates) to sign with
    # Password of sign_file, if it has one.
    sign_password_file: Path | None = None
    # Replace the outer Subject of encrypted mail with neutral_subject.
    protect_subject: bool = True
    # The outer Subject of encrypted mail.
    neutral_subject: str = "Encrypted message"
    # Certificates from verified signed mail: off (learn nothing), approve (store them pending
    # until `phigate keys approve`), auto (use them at once). approve by default: nothing a
    # message brings changes whom mail is encrypted to until an officer has looked at it.
    harvest: HarvestMode = "approve"
    # LDAP directories searched for a recipient's certificate on a cache miss (none: off).
    ldap: tuple[LdapDirectorySettings, ...] = ()


class PgpSettings(Frozen):
    """OpenPGP: the gateway's keyring and options."""

    # The gateway's GnuPG home (recipient keys; keep the path short).
    home: Path = Path("var/gnupg")
    # Fingerprint of the key that signs outgoing OpenPGP mail (none: unsigned).
    sign_key: str | None = None
    inline_addresses: tuple[str, ...] = ()  # legacy recipients who want inline PGP
    # Keys from Autocrypt headers and attached public keys: off, approve or auto as for S/MIME.
    # Nobody vouches for such a key (anyone can write a From line), hence approve by default.
    harvest: HarvestMode = "approve"


class PatientSettings(Frozen):
    """The patient roster and consent registry (identifiers kept as keyed hashes)."""

    # The roster and consent database.
    url: str = "sqlite:///var/patients.db"
    # Key for the keyed hashes of names, dates of birth, MRNs and addresses (created 0600).
    key_file: Path = Path("var/keys/roster.key")
    disclosure_dir: Path | None = None  # site versions of the risk-disclosure text
    # Recipients in these groups are never "misdirected" (they may receive any patient's PHI).
    allowed_groups: tuple[str, ...] = ("internal", "business_associates")


class PortalSettings(Frozen):
    """Portal delivery: the built-in pickup portal, or a webhook to an external one."""

    url: str = "https://127.0.0.1:8443"  # the address patients open (the notice links here)
    # Where `phigate portal` serves HTTPS.
    listen: HostPort = "127.0.0.1:8443"
    # The portal's certificate chain (PEM).
    tls_cert_file: Path | None = None
    # Its private key (PEM).
    tls_key_file: Path | None = None
    # The portal database (messages stored encrypted).
    store_url: str = "sqlite:///var/portal.db"
    # Key that encrypts stored messages (created 0600).
    master_key_file: Path = Path("var/keys/portal.key")
    # Days a message waits for pickup before it is deleted.
    expiry_days: int = Field(default=30, ge=1, le=365)
    # The name patients see in notices and on the portal.
    practice_name: str = "Your medical practice"
    # From: of pickup notices and one-time codes.
    from_address: str = "secure-messages@localhost"
    practice_address: str = "frontdesk@localhost"  # where patient replies and consent notes go
    # Whom patients can ask, shown in notices and on every page.
    help_text: str = "Questions? Call the practice during office hours."
    # Site templates for the pickup notice.
    template_dir: Path | None = None
    enabled: bool = False  # on: the portal action stores messages and sends notices
    # What a patient may consent to on the portal's consent page: the scopes offered
    # (appointment_reminders, billing, lab_results, all_clinical; the first is pre-selected)
    # and the durations in days offered (the longest is pre-selected).
    consent_scopes: tuple[str, ...] = Field(default=("appointment_reminders",), min_length=1)
    # The consent durations offered, in days.
    consent_days: tuple[Annotated[int, Field(ge=1, le=3650)], ...] = Field(
        default=(365,), min_length=1
    )
    webhook_url: str | None = None  # instead of the built-in portal
    # HMAC key that signs webhook requests.
    webhook_secret_file: Path | None = None
    # Seconds the external portal may take to accept a message.
    webhook_timeout: float = Field(default=10.0, gt=0)
    # Retries before the message waits (451).
    webhook_retries: int = Field(default=2, ge=0, le=10)


class DkimSettings(Frozen):
    """DKIM-sign what phigate changed (encrypted copies, notices); off unless configured."""

    # The d= domain of the signature (all three or none).
    domain: str | None = None
    # The s= selector published in DNS.
    selector: str | None = None
    # The RSA or Ed25519 private key (PEM).
    key_file: Path | None = None

    @model_validator(mode="after")
    def _all_or_nothing(self) -> Self:
        given = [self.domain is not None, self.selector is not None, self.key_file is not None]
        if any(given) and not all(given):
            raise ValueError("dkim needs domain, selector and key_file together")
        return self


class AuditSettings(Frozen):
    """Where the audit log lives, and its HMAC key (kept apart from the log)."""

    # The audit log database (sqlite:///... or postgresql+psycopg://...).
    url: str = "sqlite:///var/audit.db"
    # HMAC key of the hash chain, kept apart from the log (created 0600).
    key_file: Path = Path("var/keys/audit.key")
    # The chain head, MACed, kept beside the key to catch deleted trailing records.
    # Unset means beside the key file (audit.key -> audit.anchor).
    anchor_file: Path | None = None
    # Group commit: while other messages are in flight, a record waits up to this many
    # milliseconds for theirs, so that they share one transaction and one fsync. A message
    # alone in the worker is committed at once. Longer saves CPU under load (a commit of one
    # record costs about five records' share of a batch of eight) and adds at most this much to
    # the wait for a reply; 0 commits every batch as soon as the writer takes it.
    group_commit_wait_ms: float = Field(default=8.0, ge=0, le=1000)
    # How many records a commit waits for (up to group_commit_wait_ms) while others are in
    # flight.
    group_commit_records: int = Field(default=8, ge=1, le=256)


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

    # This node's name (default: the host name).
    id: NodeId = Field(default_factory=default_node_id)
    # Seconds between heartbeat rows.
    heartbeat_seconds: float = Field(default=10.0, gt=0, le=3600)
    # `phigate status` shows a node as stale when its heartbeat is older than this.
    stale_after: float = Field(default=60.0, gt=0)


class MetricsSettings(Frozen):
    """The ops HTTP endpoint: /metrics, /healthz and /readyz; null turns it off. Bind
    0.0.0.0:9325 (or [::]:9325) for probes and scrapers from other hosts."""

    # Prometheus /metrics (host:port); null turns it off.
    listen: HostPort | None = "127.0.0.1:9325"


class LoggingSettings(Frozen):
    """Structured logs on standard error."""

    # debug, info, warning or error.
    level: Literal["debug", "info", "warning", "error"] = "info"
    # json, or console for people.
    format: Literal["json", "console"] = "json"


class WkdLookupSettings(Frozen):
    """OpenPGP Web Key Directory: recipients' keys over HTTPS from their own domain."""

    # Look keys up in the recipient domain's WKD (advanced method, then direct). Off: no HTTPS.
    enabled: bool = False
    # Seconds for each HTTPS request (connect, TLS and answer).
    timeout: float = Field(default=5.0, gt=0, le=60)
    # CA bundle to verify the WKD servers' certificates (default: the system's).
    ca_file: Path | None = None
    # HTTPS port (443; another only for test servers).
    port: int = Field(default=443, ge=1, le=65535)
    # Host names answered from here instead of DNS (HOST: IP), like curl --resolve.
    resolve: Mapping[str, str] = Field(default_factory=dict)


# The root zone's key-signing keys (KSK-2017 and KSK-2024) as DS records (IANA root-anchors.xml).
ROOT_TRUST_ANCHORS = (
    ". DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D",
    ". DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16",
)


_TRUST_ANCHOR = re.compile(
    r"^\S*\.\s+(DS\s+\d+\s+\d+\s+\d+\s+[0-9A-Fa-f]+|DNSKEY\s+\d+\s+3\s+\d+\s+\S.*)$"
)


class DnsLookupSettings(Frozen):
    """DANE and DNS CERT records, accepted only with a valid DNSSEC chain."""

    # DANE OPENPGPKEY records (RFC 7929) for OpenPGP keys.
    openpgpkey: bool = False
    # DANE SMIMEA records (RFC 8162) for S/MIME certificates.
    smimea: bool = False
    # DNS CERT records (RFC 4398, PKIX type), as Direct Secure Messaging publishes them.
    cert: bool = False
    # Resolvers to ask, HOST:PORT (empty: the first nameserver of /etc/resolv.conf).
    nameservers: tuple[HostPort, ...] = ()
    # Seconds for each DNS query.
    timeout: float = Field(default=3.0, gt=0, le=60)
    # DNSSEC trust anchors (DS or DNSKEY records, "zone. DS ..." presentation format); every
    # answer is validated by phigate from one of these down (default: the root's KSKs).
    trust_anchors: tuple[str, ...] = ROOT_TRUST_ANCHORS

    @field_validator("trust_anchors")
    @classmethod
    def _anchor_lines(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for line in value:
            if not _TRUST_ANCHOR.match(line):
                raise ValueError(
                    f"trust anchor {line!r}: expected 'zone. DS keytag alg digesttype digest' "
                    "or 'zone. DNSKEY flags 3 alg key'"
                )
        return value


class KeyLookupSettings(Frozen):
    """Looking up recipients' certificates and keys when none is stored (issue 15)."""

    # Most seconds the lookups for one message may take, all recipients and sources together;
    # then the message goes on as if nothing was found (portal or quarantine per policy).
    budget: float = Field(default=8.0, gt=0, le=120)
    # Seconds to remember that an address has no usable key (nothing found, or all refused).
    negative_ttl: float = Field(default=3600.0, ge=0)
    # Seconds a source that failed for a domain (timeout, TLS, DNSSEC bogus) is left alone for
    # that domain, so a dead server does not cost every message the budget (0: always ask).
    retry_after: float = Field(default=60.0, ge=0)
    # Where found keys and "nothing found" answers are remembered (JSON).
    cache_file: Path = Path("var/key-lookup.json")
    # OpenPGP Web Key Directory.
    wkd: WkdLookupSettings = WkdLookupSettings()
    # DANE OPENPGPKEY / SMIMEA and DNS CERT.
    dns: DnsLookupSettings = DnsLookupSettings()


class ConsoleSettings(Frozen):
    """The compliance officer's web console (`phigate console`): where it serves HTTPS, its
    database (users, sessions, sender directory) and its login rules."""

    # Where `phigate console` serves HTTPS.
    listen: HostPort = "127.0.0.1:8444"
    # The console's certificate chain (PEM); required to serve.
    tls_cert_file: Path | None = None
    # Its private key (PEM).
    tls_key_file: Path | None = None
    # The console database (users, sessions; several console nodes may share it).
    url: str = "sqlite:///var/console.db"
    # Minutes a signed-in session lasts.
    session_minutes: int = Field(default=30, ge=1, le=1440)
    # Failed logins in a row before the account is locked.
    max_failed_logins: int = Field(default=5, ge=1, le=100)
    # Minutes an account stays locked.
    lockout_minutes: int = Field(default=15, ge=1, le=1440)
    # The practice's own mail domains: only senders there enter the sender directory.
    own_domains: tuple[str, ...] = ()


class Settings(Frozen):
    """Everything the gateway needs to run."""

    # Where the practice's mail server hands us mail (host:port).
    listen: HostPort = "127.0.0.1:10025"
    # Where we hand it on (host:port; Postfix's reinjection listener).
    next_hop: HostPort = "127.0.0.1:10026"
    # Processes sharing the listening port (SO_REUSEPORT); about one per core.
    workers: int = Field(default=1, ge=1, le=64)
    # Seconds SIGTERM waits for sessions in flight.
    drain_timeout: float = Field(default=30.0, ge=0)
    # The policy YAML (a policies/... name means the shipped file).
    policy_file: Path = Path("policies/default.yaml")
    smtp: SmtpSettings = SmtpSettings()
    access: AccessSettings = AccessSettings()
    limits: LimitSettings = LimitSettings()
    delivery: DeliverySettings = DeliverySettings()
    detection: DetectionSettings = DetectionSettings()
    # Recipient and sender groups the policy names (recipient: {group: ...}), each by domains and
    # addresses; `patients` also holds every address on the patient roster.
    groups: Mapping[str, GroupSettings] = Field(default_factory=_default_groups)
    notices: NoticeSettings = NoticeSettings()
    quarantine: QuarantineSettings = QuarantineSettings()
    smime: SmimeSettings = SmimeSettings()
    pgp: PgpSettings = PgpSettings()
    key_lookup: KeyLookupSettings = KeyLookupSettings()
    dkim: DkimSettings = DkimSettings()
    patients: PatientSettings = PatientSettings()
    portal: PortalSettings = PortalSettings()
    console: ConsoleSettings = ConsoleSettings()
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
