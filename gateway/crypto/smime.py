"""S/MIME (RFC 8551): encrypt (AES-256-GCM AuthEnvelopedData or AES-256-CBC EnvelopedData), sign.

Recipients with RSA keys get KeyTransRecipientInfo (RSAES-PKCS1-v1_5, or RSAES-OAEP with SHA-256);
EC recipients get KeyAgreeRecipientInfo (RFC 5753: ephemeral-static ECDH, X9.63 KDF with SHA-256,
AES-256 key wrap). The CMS structures are built with asn1crypto and the primitives come from `cryptography`, because
`cryptography`'s own envelope builder offers neither AuthEnvelopedData nor RSAES-OAEP, and its
signature builder cannot advertise AES-GCM in SMIMECapabilities.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser

from asn1crypto import algos, cms, core
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.x963kdf import X963KDF
from cryptography.hazmat.primitives.keywrap import aes_key_wrap
from cryptography.hazmat.primitives.padding import PKCS7

from detectors.extract.envelope import EncryptedKind, message_encrypted_kind
from gateway.mime.headers import CRLF, split_message
from gateway.mime.wrap import inner_entity, original_entity, outer_message
from gateway.mime.writer import Entity, base64_lines, multipart
from gateway.model import PhigateError

#: Capability names (asn1crypto's) this gateway advertises when signing, strongest first.
ADVERTISED_CAPABILITIES: tuple[str, ...] = ("aes256_gcm", "aes128_gcm", "aes256_cbc", "aes128_cbc")
GCM_CAPABILITY = "aes256_gcm"

_GCM_NONCE_BYTES = 12
_GCM_TAG_BYTES = 16


class SmimeError(PhigateError):
    """A message cannot be encrypted or signed as asked."""

    code = "smime-failed"


class AlreadyEncrypted(SmimeError):
    """The message is already encrypted; wrapping it again would hide nothing and break it."""

    code = "smime-already-encrypted"


class UnsupportedRecipientKey(SmimeError):
    """A recipient certificate holds a key this gateway cannot encrypt to."""

    code = "smime-recipient-key-unsupported"


class BadSignature(SmimeError):
    """A signed message whose signature does not verify (or uses algorithms not accepted)."""

    code = "smime-signature-invalid"


class WeakKey(SmimeError):
    """A certificate or signing key is too weak to protect PHI (RSA < 2048, curve below P-256)."""

    code = "smime-key-too-weak"


#: RSA moduli below this many bits are refused for encryption and signing (NIST SP 800-131A).
MIN_RSA_BITS = 2048
#: The only curves accepted: NIST P-256 and up. Others are weaker (P-192, P-224) or not read by
#: mail clients (brainpool, secp256k1).
ALLOWED_CURVES: frozenset[str] = frozenset({"secp256r1", "secp384r1", "secp521r1"})


def key_strength_problem(key: object) -> str | None:
    """Why a public or private key is too weak or of an unsupported kind, or None when it is fine."""
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        if key.key_size < MIN_RSA_BITS:
            return f"RSA key of {key.key_size} bits (at least {MIN_RSA_BITS} required)"
        return None
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        if key.curve.name not in ALLOWED_CURVES:
            return (
                f"EC key on curve {key.curve.name} (only "
                + ", ".join(sorted(ALLOWED_CURVES))
                + " accepted)"
            )
        return None
    return f"unsupported key type {type(key).__name__}"


class _GcmParameters(core.Sequence):
    """GCMParameters (RFC 5084): the nonce and the tag length."""

    _fields = [
        ("aes_nonce", core.OctetString),
        ("aes_icvlen", core.Integer, {"default": 12}),
    ]


SignerKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class Signer:
    """The practice's signing identity: certificate, private key and intermediates to include."""

    certificate: x509.Certificate
    key: SignerKey
    chain: tuple[x509.Certificate, ...] = field(default=())


# --------------------------------------------------------------------------- detection


def is_encrypted(raw: bytes) -> EncryptedKind | None:
    """Say whether a message is already encrypted: "smime", "pgp", or None.

    Only a real envelope counts (see detectors.extract.envelope): clear text behind an S/MIME
    label or PGP armor is not encrypted, so it is encrypted like any other message.
    """
    return message_encrypted_kind(BytesParser(policy=policy.compat32).parsebytes(raw))


# --------------------------------------------------------------------------- encryption


def encrypt_message(
    raw: bytes,
    recipient_certs: Sequence[x509.Certificate],
    *,
    prefer_gcm: bool,
    oaep: bool,
    signer: Signer | None = None,
    protect_subject: bool = False,
    neutral_subject: str = "Encrypted message",
) -> bytes:
    """Encrypt a whole RFC 5322 message for `recipient_certs` and return the new message.

    The inner content is the original MIME entity, its bytes unchanged (line ends made CRLF);
    with `protect_subject` it also carries the protected header fields (see
    `gateway.mime.wrap.PROTECTED_FIELDS`) and
    `protected-headers="v1"`, and the outer Subject becomes `neutral_subject`. With `signer`
    the inner entity is signed first (multipart/signed, detached SHA-256).
    """
    if not recipient_certs:
        raise SmimeError("no recipient certificates to encrypt to")
    if "\r" in neutral_subject or "\n" in neutral_subject:
        raise SmimeError("the neutral subject must be a single line")
    kind = is_encrypted(raw)
    if kind is not None:
        raise AlreadyEncrypted(f"message is already {kind}-encrypted")
    split = split_message(raw)
    entity = inner_entity(split, protect=protect_subject)
    if signer is not None:
        entity = sign_entity(entity, signer).to_bytes()
    der = envelope(entity, recipient_certs, gcm=prefer_gcm, oaep=oaep)
    smime_type = "authEnveloped-data" if prefer_gcm else "enveloped-data"
    p7m = Entity(
        (
            ("Content-Type", f'application/pkcs7-mime; smime-type={smime_type}; name="smime.p7m"'),
            ("Content-Transfer-Encoding", "base64"),
            ("Content-Disposition", 'attachment; filename="smime.p7m"'),
        ),
        base64_lines(der),
    )
    return outer_message(
        split, p7m, subject=neutral_subject if protect_subject else None, encrypted=True
    )


def envelope(
    content: bytes, recipient_certs: Sequence[x509.Certificate], *, gcm: bool, oaep: bool
) -> bytes:
    """CMS ContentInfo (DER): AuthEnvelopedData with AES-256-GCM, or EnvelopedData with AES-256-CBC."""
    cek = os.urandom(32)
    recipient_infos = [_key_transport(cert, cek, oaep=oaep) for cert in recipient_certs]
    if gcm:
        nonce = os.urandom(_GCM_NONCE_BYTES)
        sealed = AESGCM(cek).encrypt(nonce, content, None)
        ciphertext, tag = sealed[:-_GCM_TAG_BYTES], sealed[-_GCM_TAG_BYTES:]
        params = _GcmParameters({"aes_nonce": nonce, "aes_icvlen": _GCM_TAG_BYTES})
        auth = cms.AuthEnvelopedData(
            {
                "version": "v0",
                "recipient_infos": recipient_infos,
                "auth_encrypted_content_info": {
                    "content_type": "data",
                    "content_encryption_algorithm": {
                        "algorithm": "aes256_gcm",
                        "parameters": core.Any.load(params.dump()),
                    },
                    "encrypted_content": ciphertext,
                },
                "mac": tag,
            }
        )
        info = cms.ContentInfo({"content_type": "authenticated_enveloped_data", "content": auth})
        return bytes(info.dump())
    iv = os.urandom(16)
    padder = PKCS7(128).padder()
    padded = padder.update(content) + padder.finalize()
    encryptor = Cipher(algorithms.AES(cek), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    enveloped = cms.EnvelopedData(
        {
            "version": _enveloped_data_version(recipient_infos),
            "recipient_infos": recipient_infos,
            "encrypted_content_info": {
                "content_type": "data",
                "content_encryption_algorithm": {"algorithm": "aes256_cbc", "parameters": iv},
                "encrypted_content": ciphertext,
            },
        }
    )
    info = cms.ContentInfo({"content_type": "enveloped_data", "content": enveloped})
    return bytes(info.dump())


def _enveloped_data_version(recipient_infos: Sequence[cms.RecipientInfo]) -> str:
    """RFC 5652 6.1: version 0 only when every RecipientInfo is version 0 (no originatorInfo,
    no unprotectedAttrs here); a KeyAgreeRecipientInfo (version 3) makes it version 2."""
    if all(ri.chosen["version"].native == "v0" for ri in recipient_infos):
        return "v0"
    return "v2"


def _key_transport(cert: x509.Certificate, cek: bytes, *, oaep: bool) -> cms.RecipientInfo:
    public_key = cert.public_key()
    if isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        weak = key_strength_problem(public_key)
        if weak is not None:
            raise WeakKey(f"recipient certificate {_fingerprint(cert)[:16]}: {weak}")
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return _key_agreement(cert, public_key, cek)
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise UnsupportedRecipientKey(
            f"recipient certificate {_fingerprint(cert)[:16]} has a "
            f"{type(public_key).__name__}; only RSA key transport is supported"
        )
    algorithm: dict[str, object]
    if oaep:
        encrypted_key = public_key.encrypt(
            cek,
            padding.OAEP(
                mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None
            ),
        )
        algorithm = {
            "algorithm": "rsaes_oaep",
            "parameters": algos.RSAESOAEPParams(
                {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "mask_gen_algorithm": {
                        "algorithm": "mgf1",
                        "parameters": {"algorithm": "sha256"},
                    },
                }
            ),
        }
    else:
        encrypted_key = public_key.encrypt(cek, padding.PKCS1v15())
        algorithm = {"algorithm": "rsaes_pkcs1v15", "parameters": core.Null()}
    return cms.RecipientInfo(
        name="ktri",
        value={
            "version": "v0",
            "rid": cms.RecipientIdentifier(
                name="issuer_and_serial_number", value=_issuer_and_serial(cert)
            ),
            "key_encryption_algorithm": algorithm,
            "encrypted_key": encrypted_key,
        },
    )


_ECDH_SHA256_KDF = "1.3.132.1.11.1"  # dhSinglePass-stdDH-sha256kdf-scheme (RFC 5753)


class _EccCmsSharedInfo(core.Sequence):
    """ECC-CMS-SharedInfo (RFC 5753 7.2): the input to the X9.63 KDF besides the shared secret."""

    _fields = [
        ("key_info", algos.EncryptionAlgorithm),
        ("entity_u_info", core.OctetString, {"explicit": 0, "optional": True}),
        ("supp_pub_info", core.OctetString, {"explicit": 2}),
    ]


def _key_agreement(
    cert: x509.Certificate, public_key: ec.EllipticCurvePublicKey, cek: bytes
) -> cms.RecipientInfo:
    """KeyAgreeRecipientInfo: ephemeral-static ECDH, X9.63 KDF with SHA-256, AES-256 key wrap."""
    ephemeral = ec.generate_private_key(public_key.curve)
    shared = ephemeral.exchange(ec.ECDH(), public_key)
    shared_info = _EccCmsSharedInfo(
        {"key_info": {"algorithm": "aes256_wrap"}, "supp_pub_info": (256).to_bytes(4, "big")}
    )
    kek = X963KDF(algorithm=hashes.SHA256(), length=32, sharedinfo=shared_info.dump()).derive(
        shared
    )
    point = ephemeral.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    originator = asn1_keys.PublicKeyInfo({"algorithm": {"algorithm": "ec"}, "public_key": point})
    return cms.RecipientInfo(
        name="kari",
        value={
            "version": "v3",
            "originator": cms.OriginatorIdentifierOrKey(name="originator_key", value=originator),
            "key_encryption_algorithm": {
                "algorithm": _ECDH_SHA256_KDF,
                "parameters": algos.EncryptionAlgorithm({"algorithm": "aes256_wrap"}),
            },
            "recipient_encrypted_keys": [
                {
                    "rid": cms.KeyAgreementRecipientIdentifier(
                        name="issuer_and_serial_number", value=_issuer_and_serial(cert)
                    ),
                    "encrypted_key": aes_key_wrap(kek, cek),
                }
            ],
        },
    )


# --------------------------------------------------------------------------- signing


def sign_entity(entity: bytes, signer: Signer) -> Entity:
    """Wrap a MIME entity, byte for byte, in multipart/signed with a detached SHA-256 signature."""
    signature = Entity(
        (
            ("Content-Type", 'application/pkcs7-signature; name="smime.p7s"'),
            ("Content-Transfer-Encoding", "base64"),
            ("Content-Disposition", 'attachment; filename="smime.p7s"'),
        ),
        base64_lines(detached_signature(entity, signer)),
    )
    return multipart(
        "signed",
        [entity, signature.to_bytes()],
        params='protocol="application/pkcs7-signature"; micalg=sha-256',
        preamble=b"This is a cryptographically signed message in MIME format.\r\n\r\n",
    )


def sign_message(raw: bytes, signer: Signer) -> bytes:
    """Sign a whole message (multipart/signed) without encrypting it."""
    split = split_message(raw)
    signed = sign_entity(original_entity(split), signer)
    return outer_message(split, signed, subject=None, encrypted=False)


def detached_signature(content: bytes, signer: Signer) -> bytes:
    """CMS SignedData (DER), detached, SHA-256, with SMIMECapabilities advertising AES-GCM."""
    weak = key_strength_problem(signer.key)
    if weak is not None:
        raise WeakKey(f"signing key: {weak}")
    digest = hashlib.sha256(content).digest()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    signed_attrs = cms.CMSAttributes(
        [
            {"type": "content_type", "values": ["data"]},
            {"type": "signing_time", "values": [cms.Time(name="utc_time", value=now)]},
            {"type": "message_digest", "values": [digest]},
            {
                "type": "smime_capabilities",
                "values": [
                    cms.SMIMECapabilites(
                        [{"capability_id": cap} for cap in ADVERTISED_CAPABILITIES]
                    )
                ],
            },
        ]
    )
    to_sign = signed_attrs.dump()
    key = signer.key
    signature_algorithm: str
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(to_sign, padding.PKCS1v15(), hashes.SHA256())
        signature_algorithm = "rsassa_pkcs1v15"
    else:
        signature = key.sign(to_sign, ec.ECDSA(hashes.SHA256()))
        signature_algorithm = "sha256_ecdsa"
    certificates = [
        asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
        for c in (signer.certificate, *signer.chain)
    ]
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                name="issuer_and_serial_number", value=_issuer_and_serial(signer.certificate)
            ),
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": signed_attrs,
            "signature_algorithm": {"algorithm": signature_algorithm},
            "signature": signature,
        }
    )
    signed_data = cms.SignedData(
        {
            "version": "v1",
            "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {"content_type": "data"},
            "certificates": certificates,
            "signer_infos": [signer_info],
        }
    )
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump())


# --------------------------------------------------------------------------- capabilities


def parse_capabilities(der: bytes) -> frozenset[str]:
    """Algorithm names from a DER SMIMECapabilities value (RFC 8551 2.5.2 / RFC 4262)."""
    caps = cms.SMIMECapabilites.load(der)
    return frozenset(_capability_name(item) for item in caps)


def capabilities_from_signature(der: bytes) -> frozenset[str]:
    """Algorithm names a signer advertised in the SMIMECapabilities of a CMS SignedData."""
    info = cms.ContentInfo.load(der)
    if info["content_type"].native != "signed_data":
        raise SmimeError("not a CMS SignedData structure")
    names: set[str] = set()
    for signer_info in info["content"]["signer_infos"]:
        attrs = signer_info["signed_attrs"]
        if not isinstance(attrs, cms.CMSAttributes):
            continue
        for attr in attrs:
            if attr["type"].native != "smime_capabilities":
                continue
            for value in attr["values"]:
                names.update(_capability_name(item) for item in value)
    return frozenset(names)


def capabilities_from_message(raw: bytes) -> frozenset[str]:
    """Algorithm names advertised by a signed message (multipart/signed or opaque signed-data)."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    for part in message.walk():
        ctype = part.get_content_type()
        if ctype in ("application/pkcs7-signature", "application/x-pkcs7-signature") or (
            ctype in ("application/pkcs7-mime", "application/x-pkcs7-mime")
            and str(part.get_param("smime-type") or "").lower() == "signed-data"
        ):
            data = part.get_payload(decode=True)
            if isinstance(data, bytes) and data:
                return capabilities_from_signature(data)
    return frozenset()


def _capability_name(item: cms.SMIMECapabilityIdentifier) -> str:
    return str(item["capability_id"].native)


# --------------------------------------------------------------------------- harvesting

_SIGNATURE_TYPES = ("application/pkcs7-signature", "application/x-pkcs7-signature")
_OPAQUE_TYPES = ("application/pkcs7-mime", "application/x-pkcs7-mime")
_DIGESTS: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


@dataclass(frozen=True)
class SignedCapabilities:
    """What a verified S/MIME signature tells about its signer.

    The signature was checked against the certificate it names; whether that certificate may be
    trusted (chain, revocation, address) is for the certificate store to decide.
    """

    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    capabilities: frozenset[str]
    signing_time: dt.datetime | None


def harvest_capabilities(raw: bytes) -> SignedCapabilities | None:
    """The signer's certificate and SMIMECapabilities from a signed message, signature verified.

    Handles a top-level multipart/signed (detached) or application/pkcs7-mime signed-data.
    Returns None for a message that is not S/MIME signed; raises BadSignature when the signature
    does not verify, so nothing is learnt from a forged or altered message.
    """
    data = split_message(raw)
    ctype, params = data.content_type()
    if ctype == "multipart/signed":
        boundary = params.get("boundary")
        if not boundary:
            raise BadSignature("multipart/signed without a boundary")
        content = _first_part(data.body, boundary.encode("ascii", "replace"))
        signature = _signature_part(raw)
        if signature is None:
            return None
        return _verified(signature, content)
    if ctype in _OPAQUE_TYPES and params.get("smime-type", "").lower() == "signed-data":
        message = BytesParser(policy=policy.compat32).parsebytes(raw)
        payload = message.get_payload(decode=True)
        if not isinstance(payload, bytes) or not payload:
            raise BadSignature("empty signed-data body")
        return _verified(payload, None)
    return None


def _first_part(body: bytes, boundary: bytes) -> bytes:
    """The first body part of a multipart body, byte for byte (RFC 2046 5.1.1)."""
    delimiter = b"--" + boundary
    start = 0 if body.startswith(delimiter) else body.find(CRLF + delimiter)
    if start < 0:
        raise BadSignature("multipart/signed without its first part")
    line_end = body.find(CRLF, start + (0 if start == 0 else 2))
    if line_end < 0:
        raise BadSignature("multipart/signed without its first part")
    end = body.find(CRLF + delimiter, line_end + 2)
    if end < 0:
        raise BadSignature("multipart/signed without a closing delimiter")
    return body[line_end + 2 : end]


def _signature_part(raw: bytes) -> bytes | None:
    message = BytesParser(policy=policy.compat32).parsebytes(raw)
    parts = message.get_payload()
    if not isinstance(parts, list) or len(parts) != 2:
        raise BadSignature("multipart/signed must hold exactly two parts")
    part = parts[1]
    if not isinstance(part, Message) or part.get_content_type() not in _SIGNATURE_TYPES:
        return None
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes) or not payload:
        raise BadSignature("empty signature part")
    return payload


def _verified(der: bytes, detached: bytes | None) -> SignedCapabilities:
    try:
        info = cms.ContentInfo.load(der)
        if info["content_type"].native != "signed_data":
            raise BadSignature("the signature is not a CMS SignedData")
        signed = info["content"]
        content = detached
        if content is None:
            content = signed["encap_content_info"]["content"].native
            if not isinstance(content, bytes):
                raise BadSignature("signed-data without content")
        certs = [
            x509.load_der_x509_certificate(c.chosen.dump())
            for c in signed["certificates"] or []
            if c.name == "certificate"
        ]
        signer_infos = list(signed["signer_infos"])
        if len(signer_infos) != 1:
            raise BadSignature("only messages with exactly one signer are learnt from")
        signer_info = signer_infos[0]
        cert = _signer_certificate(signer_info, certs)
        signing_time = _check_signer_info(signer_info, cert, content)
        caps = capabilities_from_signature(der)
    except (ValueError, TypeError, KeyError) as exc:
        raise BadSignature(f"unreadable signature ({type(exc).__name__})") from None
    chain = tuple(c for c in certs if c != cert)
    return SignedCapabilities(cert, chain, caps, signing_time)


def _signer_certificate(
    signer_info: cms.SignerInfo, certs: Sequence[x509.Certificate]
) -> x509.Certificate:
    sid = signer_info["sid"]
    for cert in certs:
        parsed = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
        if sid.name == "issuer_and_serial_number":
            if (
                sid.chosen["issuer"] == parsed.issuer
                and sid.chosen["serial_number"].native == parsed.serial_number
            ):
                return cert
        elif parsed.key_identifier is not None and sid.chosen.native == parsed.key_identifier:
            return cert
    raise BadSignature("the signer's certificate is not in the message")


def _check_signer_info(
    signer_info: cms.SignerInfo, cert: x509.Certificate, content: bytes
) -> dt.datetime | None:
    """Verify message digest and signature over the signed attributes; return the signing time."""
    digest_name = signer_info["digest_algorithm"]["algorithm"].native
    algorithm = _DIGESTS.get(digest_name)
    if algorithm is None:
        raise BadSignature(f"digest {digest_name} is not accepted")
    attrs = signer_info["signed_attrs"]
    if not isinstance(attrs, cms.CMSAttributes) or not len(attrs):
        raise BadSignature("no signed attributes")
    values = {a["type"].native: a["values"] for a in attrs}
    if "message_digest" not in values:
        raise BadSignature("no message digest attribute")
    digest = hashes.Hash(algorithm())
    digest.update(content)
    if values["message_digest"][0].native != digest.finalize():
        raise BadSignature("the content does not match the signed digest")
    # The signature covers the attributes DER-encoded as a SET OF, not as the [0] field.
    to_verify = b"\x31" + attrs.dump()[1:]
    signature = signer_info["signature"].native
    key = cert.public_key()
    weak = key_strength_problem(key)
    if weak is not None:
        raise BadSignature(f"signer key: {weak}")
    sig_algo = signer_info["signature_algorithm"].signature_algo
    try:
        if isinstance(key, rsa.RSAPublicKey) and sig_algo == "rsassa_pkcs1v15":
            key.verify(signature, to_verify, padding.PKCS1v15(), algorithm())
        elif isinstance(key, ec.EllipticCurvePublicKey) and sig_algo == "ecdsa":
            key.verify(signature, to_verify, ec.ECDSA(algorithm()))
        else:
            raise BadSignature(f"signature algorithm {sig_algo} is not accepted")
    except InvalidSignature:
        raise BadSignature("the signature does not verify") from None
    signing_time = values.get("signing_time")
    if signing_time is None:
        return None
    when = signing_time[0].native
    return when if isinstance(when, dt.datetime) else None


# --------------------------------------------------------------------------- helpers


def _issuer_and_serial(cert: x509.Certificate) -> cms.IssuerAndSerialNumber:
    parsed = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    return cms.IssuerAndSerialNumber(
        {"issuer": parsed.issuer, "serial_number": parsed.serial_number}
    )


def _fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex()


__all__ = [
    "ADVERTISED_CAPABILITIES",
    "GCM_CAPABILITY",
    "AlreadyEncrypted",
    "BadSignature",
    "SignedCapabilities",
    "Signer",
    "SmimeError",
    "UnsupportedRecipientKey",
    "WeakKey",
    "capabilities_from_message",
    "capabilities_from_signature",
    "detached_signature",
    "encrypt_message",
    "envelope",
    "harvest_capabilities",
    "is_encrypted",
    "key_strength_problem",
    "parse_capabilities",
    "sign_entity",
    "sign_message",
]
