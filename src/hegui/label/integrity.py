"""ReservedCode1 / ReservedCode2: integrity codes that protect a label (GB 45438-2025 Annex F.4, TC260-PG-202511A).

A label anyone can forge is worth little. The producer may store an integrity code in ``ReservedCode1``, the
propagating platform one in ``ReservedCode2``. hegui writes and checks these modes:

* empty: no code (``unsigned``);
* ``SHA256:<hex>``: SHA-256 over the slot's canonical scope (detects accidents, not forgery: anyone can recompute);
* ``HMAC-SHA256:<hex>``: HMAC-SHA256 over the same bytes with a secret shared with the verifier;
* a ``SecurityData`` JSON object signed with SM3withSM2 (TC260-PG-202511A), Ed25519 or ECDSA P-256, optionally
  binding the media bytes.

What each slot covers (``scope``):

* ``ReservedCode1`` (producer): ``Label``, ``ContentProducer``, ``ProduceID``. For signatures the signed message is
  exactly TC260-PG-202511A Appendix A.1's: the first three key/value pairs without braces. [guide, as summarised in
  reference/labeling.md §2.6; the guide itself is not public verbatim]
* ``ReservedCode2`` (propagator): the first six fields, ``ReservedCode1`` included, so the platform's code also
  attests the producer's. [inferred: the guide describes only the producer's message]

Hash and HMAC modes hash the canonical record (compact JSON, Annex E key order) with every field outside the scope
set to "". The SecurityData layout below follows the guide's element names (``TBSData``, ``Type``, ``Bnd``,
``BType``, ``KeyValue``); exact spellings beyond those are hegui's [inferred] and live in this module only.

Verification gives one of ``valid`` / ``invalid`` / ``unknown-key`` / ``unsigned`` (plus ``unrecognised`` for a
vendor's proprietary code hegui cannot interpret). A signature is only ``valid`` against a key pinned for the
producer (or propagator) code: the key embedded in the file proves nothing by itself (reference §2.6 caveat).

SM2 signing and the fallback verifier come from ``snowland-smx`` (``pysmx``, BSD-3; the ``[signing]`` extra), chosen
over ``gmssl`` by measurement (benchmarks/verify.py: about 3-4x more verifications per second here, and it
reproduces the GB/T 32918 example). Verification takes the system's OpenSSL 3 through :mod:`hegui.label.sm2_openssl`
when it loads (about 10x faster again); SM3 and everything else come from ``cryptography``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from hegui.errors import HeguiError, InputError, UsageError
from hegui.extras import require
from hegui.label.record import Record

Slot = Literal["ReservedCode1", "ReservedCode2"]
Status = Literal["valid", "invalid", "unknown-key", "unsigned", "unrecognised"]
Algorithm = Literal["sm2", "ed25519", "ecdsa-p256", "hmac-sha256"]

SLOTS: tuple[Slot, ...] = ("ReservedCode1", "ReservedCode2")
#: the fields each slot's code covers (see the module docstring)
SCOPE: dict[str, tuple[str, ...]] = {
    "ReservedCode1": ("Label", "ContentProducer", "ProduceID"),
    "ReservedCode2": (
        "Label",
        "ContentProducer",
        "ProduceID",
        "ReservedCode1",
        "ContentPropagator",
        "PropagateID",
    ),
}
#: whose key verifies each slot: the producer's or the propagator's code
OWNER_FIELD: dict[str, str] = {"ReservedCode1": "ContentProducer", "ReservedCode2": "ContentPropagator"}

# TC260-PG-202511A names SM3withSM2 by OID. The default SM2 user ID of GB/T 35276 / GM/T 0009. [guide]
OID_SM3_WITH_SM2 = "1.2.156.10197.1.501"
OID_ED25519 = "1.3.101.112"
OID_ECDSA_SHA256 = "1.2.840.10045.4.3.2"
DEFAULT_SM2_UID = b"1234567812345678"
SECURITY_DATA = "SecurityData"
TYPE_METADATA = "Md"  # TBSData.Type for label metadata [guide]
BTYPE_CONTENT = (
    "Content"  # a binding to the media bytes [guide names "Content"; the field layout is inferred]
)
PREFIX_SHA256 = "SHA256:"
PREFIX_HMAC = "HMAC-SHA256:"

#: formats whose bytes outside the label do not depend on the label's length, so ``media_digest`` is stable
#: across stamping. TIFF, HEIF, PDF, MP4/MOV, Matroska and MP3 rewrite offsets or padding (measured: the
#: digest changed after a propagator stamp), so binding is refused for them.
BINDABLE_CONTAINERS: frozenset[str] = frozenset(
    {"jpeg", "png", "gif", "webp", "wav", "avi", "flv", "flac", "ogg", "ooxml", "svg", "markdown", "html"}
)

ENV_SM2_BACKEND = "HEGUI_SM2_BACKEND"  # auto | openssl | snowland-smx
ENV_SIGNING_KEY = "HEGUI_SIGNING_KEY"  # path of a private key file (PEM, or .sm2 hex, or .hmac hex)
ENV_KEYS_DIR = "HEGUI_KEYS_DIR"  # folder of pinned public keys


# --------------------------------------------------------------------------------------------------------------
# SM2 (snowland-smx) and SM3 (cryptography)


def _pysmx() -> Any:
    (sm2,) = require("signing", "pysmx.SM2")
    return sm2


def _require_cryptography() -> None:
    require("signing", "cryptography")


def sm3(data: bytes) -> bytes:
    """SM3 digest (GB/T 32905-2016) through OpenSSL, via ``cryptography``."""
    _require_cryptography()
    from cryptography.hazmat.primitives import hashes

    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


def _norm_sm2_public(value: str | bytes) -> str:
    """Public key as 128 hex digits (x || y); accepts 04-prefixed uncompressed form and bytes."""
    text = value.hex() if isinstance(value, bytes) else value.strip()
    text = text.lower()
    if len(text) == 130 and text.startswith("04"):
        text = text[2:]
    if len(text) != 128 or not _is_hex(text):
        raise UsageError("an SM2 public key is 64 bytes (x || y) as hex, optionally prefixed with 04")
    return text


@lru_cache(maxsize=256)
def _sm2_za(public_hex: str, uid: bytes) -> bytes:
    """Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA); cached per key (it is the same for every message)."""
    sm2 = _pysmx()
    return bytes.fromhex(sm2.get_za(uid, public_hex))


def sm2_public_from_private(private_hex: str) -> str:
    sm2 = _pysmx()
    d = int(private_hex, 16)
    if not 0 < d < sm2.sm2_N - 1:
        raise UsageError("SM2 private key out of range")
    return str(sm2.kG(d, sm2.sm2_G, 64)).lower()


def sm2_sign(
    message: bytes, private_hex: str, *, uid: bytes = DEFAULT_SM2_UID, k_hex: str | None = None
) -> bytes:
    """SM3withSM2 signature r || s (64 bytes) over ``message`` (GB/T 32918.2). ``k_hex`` only for test vectors."""
    sm2 = _pysmx()
    public = sm2_public_from_private(private_hex)
    e = sm3(_sm2_za(public, uid) + message).hex()
    while True:
        k = k_hex or os.urandom(32).hex()
        signature = sm2.Sign(e, private_hex, k, 64, Hexstr=1)
        if signature is not None:
            return bytes(signature)
        if k_hex is not None:
            raise UsageError("the fixed k gives no signature; choose another")


def sm2_backend() -> str:
    """Which library verifies SM2: ``openssl`` (system libcrypto 3, fast) or ``snowland-smx`` (pure Python).

    ``HEGUI_SM2_BACKEND`` forces one; the default takes OpenSSL when it loads.
    """
    wanted = os.environ.get(ENV_SM2_BACKEND, "auto")
    if wanted not in ("auto", "openssl", "snowland-smx"):
        raise UsageError(f"{ENV_SM2_BACKEND} must be auto, openssl or snowland-smx, not {wanted!r}")
    if wanted in ("auto", "openssl"):
        from hegui.label import sm2_openssl

        if sm2_openssl.available():
            return "openssl"
        if wanted == "openssl":
            raise UsageError("OpenSSL 3 libcrypto is not available for SM2; unset " + ENV_SM2_BACKEND)
    return "snowland-smx"


def sm2_verify(
    message: bytes,
    signature: bytes,
    public: str | bytes,
    *,
    uid: bytes = DEFAULT_SM2_UID,
    backend: str | None = None,
) -> bool:
    """SM3withSM2 verification (GB/T 32918.2) of ``signature`` (r || s) with ``public`` (x || y, hex or bytes)."""
    if len(signature) != 64:
        return False
    public_hex = _norm_sm2_public(public)
    if (backend or sm2_backend()) == "openssl":
        from hegui.label import sm2_openssl

        return sm2_openssl.verify(message, signature, bytes.fromhex(public_hex), uid)
    sm2 = _pysmx()
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    if not (0 < r < sm2.sm2_N and 0 < s < sm2.sm2_N):
        return False
    e = sm3(_sm2_za(public_hex, uid) + message).hex()
    return bool(sm2.Verify(signature.hex(), e, public_hex, 64, Hexstr=1))


# --------------------------------------------------------------------------------------------------------------
# Keys


@dataclass(frozen=True)
class SigningKey:
    """A private key (or HMAC secret) and the owner code it signs for."""

    algorithm: Algorithm
    secret: Any  # hex str (sm2), bytes (hmac), or a cryptography private key object
    owner: str = ""

    def public(self) -> PublicKey:
        if self.algorithm == "sm2":
            return PublicKey("sm2", sm2_public_from_private(self.secret), self.owner)
        if self.algorithm == "hmac-sha256":
            return PublicKey("hmac-sha256", self.secret, self.owner)
        return PublicKey(self.algorithm, self.secret.public_key(), self.owner)


@dataclass(frozen=True)
class PublicKey:
    """A key pinned for an owner (producer or propagator code): what a verifier trusts."""

    algorithm: Algorithm
    value: Any  # hex str (sm2), bytes (hmac secret), or a cryptography public key object
    owner: str = ""

    def fingerprint(self) -> str:
        return hashlib.sha256(self.encoded()).hexdigest()[:16]

    def encoded(self) -> bytes:
        if self.algorithm == "sm2":
            return bytes.fromhex("04" + _norm_sm2_public(self.value))
        if self.algorithm == "hmac-sha256":
            return bytes(self.value)
        from cryptography.hazmat.primitives import serialization

        return bytes(
            self.value.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )


def generate_key(algorithm: Algorithm, owner: str = "") -> SigningKey:
    """A fresh key (tests, the demo, and ``hegui`` users who want one)."""
    _require_cryptography()
    if algorithm == "sm2":
        sm2 = _pysmx()
        while True:
            d = int.from_bytes(os.urandom(32), "big")
            if 0 < d < sm2.sm2_N - 1:
                return SigningKey("sm2", f"{d:064x}", owner)
    if algorithm == "hmac-sha256":
        return SigningKey("hmac-sha256", os.urandom(32), owner)
    if algorithm == "ed25519":
        from cryptography.hazmat.primitives.asymmetric import ed25519

        return SigningKey("ed25519", ed25519.Ed25519PrivateKey.generate(), owner)
    if algorithm == "ecdsa-p256":
        from cryptography.hazmat.primitives.asymmetric import ec

        return SigningKey("ecdsa-p256", ec.generate_private_key(ec.SECP256R1()), owner)
    raise UsageError(f"unknown algorithm {algorithm!r}; use sm2, ed25519, ecdsa-p256 or hmac-sha256")


def _is_hex(text: str) -> bool:
    try:
        bytes.fromhex(text)
    except ValueError:
        return False
    return True


def _read_hex(path: Path) -> str:
    text = path.read_text("ascii", errors="replace").strip()
    if not _is_hex(text):
        raise InputError("expected hex digits", path=path)
    return text.lower()


def load_signing_key(path: str | os.PathLike[str] | None = None, *, owner: str = "") -> SigningKey:
    """A private key from a file, or from the file named by ``HEGUI_SIGNING_KEY``.

    ``*.sm2`` / ``*.sm2.key``: 64 hex digits (SM2 private key); ``*.hmac``: hex secret; otherwise PEM (PKCS#8)
    Ed25519 or ECDSA P-256 through ``cryptography``.
    """
    _require_cryptography()
    chosen = path if path is not None else os.environ.get(ENV_SIGNING_KEY)
    if not chosen:
        raise UsageError(f"no signing key: pass a key file or set {ENV_SIGNING_KEY}")
    p = Path(chosen)
    if not p.is_file():
        raise InputError("signing key file not found", path=p)
    name = p.name.lower()
    if name.endswith((".sm2", ".sm2.key")):
        secret = _read_hex(p)
        if len(secret) != 64:
            raise InputError("an SM2 private key is 32 bytes (64 hex digits)", path=p)
        return SigningKey("sm2", secret, owner)
    if name.endswith(".hmac"):
        return SigningKey("hmac-sha256", bytes.fromhex(_read_hex(p)), owner)
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    try:
        key = serialization.load_pem_private_key(p.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise InputError(f"not a PEM private key: {exc}", path=p) from None
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return SigningKey("ed25519", key, owner)
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return SigningKey("ecdsa-p256", key, owner)
    raise InputError("unsupported key type; use Ed25519, ECDSA P-256, SM2 (.sm2 hex) or HMAC (.hmac)", path=p)


def save_key(key: SigningKey, folder: Path, *, public_only: bool = False) -> Path:
    """Write the private (or pinned public) key file in the layout :class:`Keyring` reads; returns its path."""
    from hegui.atomic import atomic_output

    folder.mkdir(parents=True, exist_ok=True)
    stem = key.owner or "key"
    if key.algorithm == "sm2":
        if public_only:
            path, data = folder / f"{stem}.sm2.pub", key.public().value.encode()
        else:
            path, data = folder / f"{stem}.sm2", key.secret.encode()
    elif key.algorithm == "hmac-sha256":
        path, data = folder / f"{stem}.hmac", key.secret.hex().encode()
    else:
        from cryptography.hazmat.primitives import serialization

        if public_only:
            path = folder / f"{stem}.{key.algorithm}.pub.pem"
            data = key.secret.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        else:
            path = folder / f"{stem}.{key.algorithm}.key.pem"
            data = key.secret.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
    with atomic_output(path) as pending:
        pending.file.write(data)
    if not public_only:
        os.chmod(path, 0o600)
    return path


@dataclass
class Keyring:
    """Public keys (and HMAC secrets) pinned per owner code: the only keys a signature is ``valid`` against.

    A folder of files named after the owner: ``<code>.sm2.pub`` (hex x||y), ``<code>.pub.pem`` (Ed25519 / ECDSA
    SubjectPublicKeyInfo; ``<code>.ed25519.pub.pem`` and ``<code>.ecdsa-p256.pub.pem`` also), ``<code>.hmac`` (hex
    secret). Several keys per owner are allowed (key rotation).
    """

    keys: dict[str, list[PublicKey]] = field(default_factory=dict)

    def add(self, key: PublicKey) -> None:
        self.keys.setdefault(key.owner, []).append(key)

    def for_owner(self, owner: str) -> list[PublicKey]:
        return self.keys.get(owner, [])

    def __len__(self) -> int:
        return sum(len(v) for v in self.keys.values())

    @classmethod
    def load(cls, folder: str | os.PathLike[str] | None = None) -> Keyring:
        """Read a keys folder (``folder`` or ``HEGUI_KEYS_DIR``); no folder means an empty keyring."""
        chosen = folder if folder is not None else os.environ.get(ENV_KEYS_DIR)
        ring = cls()
        if not chosen:
            return ring
        root = Path(chosen)
        if not root.is_dir():
            raise InputError("keys folder not found", path=root)
        for path in sorted(root.iterdir()):
            name = path.name
            if name.endswith(".sm2.pub"):
                ring.add(PublicKey("sm2", _norm_sm2_public(_read_hex(path)), name[: -len(".sm2.pub")]))
            elif name.endswith(".hmac"):
                ring.add(PublicKey("hmac-sha256", bytes.fromhex(_read_hex(path)), name[: -len(".hmac")]))
            elif name.endswith(".pub.pem"):
                owner = name[: -len(".pub.pem")]
                for alg in (".ed25519", ".ecdsa-p256"):
                    owner = owner.removesuffix(alg)
                ring.add(_load_public_pem(path, owner))
        return ring

    @classmethod
    def of(cls, keys: Iterable[PublicKey | SigningKey]) -> Keyring:
        ring = cls()
        for key in keys:
            ring.add(key.public() if isinstance(key, SigningKey) else key)
        return ring


def _load_public_pem(path: Path, owner: str) -> PublicKey:
    _require_cryptography()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (ValueError, TypeError) as exc:
        raise InputError(f"not a PEM public key: {exc}", path=path) from None
    if isinstance(key, ed25519.Ed25519PublicKey):
        return PublicKey("ed25519", key, owner)
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return PublicKey("ecdsa-p256", key, owner)
    raise InputError("unsupported public key type", path=path)


# --------------------------------------------------------------------------------------------------------------
# What is covered


def scope_bytes(record: Record, slot: Slot) -> bytes:
    """Bytes hashed by the SHA256 / HMAC modes: the canonical record with every field outside the scope emptied."""
    keep = SCOPE[slot]
    body = {key: (value if key in keep else "") for key, value in record.to_dict().items()}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signed_message(record: Record, slot: Slot, content_digest: str | None = None) -> bytes:
    """The signed message: the scope's key/value pairs without braces (Appendix A.1 for ReservedCode1), plus the
    media binding as one more pair when there is one. [guide for the pairs; the binding pair is inferred]"""
    pairs = [
        json.dumps(key) + ":" + json.dumps(getattr(record, key), ensure_ascii=False) for key in SCOPE[slot]
    ]
    if content_digest is not None:
        pairs.append(json.dumps("ContentDigest") + ":" + json.dumps(content_digest))
    return ",".join(pairs).encode("utf-8")


def media_digest(path: str | os.PathLike[str], record: Record, slot: Slot) -> str:
    """SM3 over the file as the label writer renders it with only the slot's scope filled in.

    The file's bytes change when the code is stored, so the binding cannot cover the file as it lies on disk.
    Rendering the file with the fields outside the scope blank gives the same bytes at signing and at verifying time (the label
    writers are deterministic and keep every other byte), so any changed media byte changes the digest.
    """
    import tempfile

    from hegui import label

    blank = _scope_record(record, slot)
    source = Path(path)
    with tempfile.TemporaryDirectory(prefix="hegui-bind-") as tmp:
        out = Path(tmp) / source.name
        label.write(source, blank, output=out)
        return _sm3_file(out)


def _scope_record(record: Record, slot: Slot) -> Record:
    return Record(**{key: (value if key in SCOPE[slot] else "") for key, value in record.to_dict().items()})


def _sm3_file(path: Path) -> str:
    from cryptography.hazmat.primitives import hashes

    digest = hashes.Hash(hashes.SM3())
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.finalize().hex()


# --------------------------------------------------------------------------------------------------------------
# Making codes


def hash_code(record: Record, slot: Slot) -> str:
    return PREFIX_SHA256 + hashlib.sha256(scope_bytes(record, slot)).hexdigest()


def hmac_code(record: Record, slot: Slot, secret: bytes) -> str:
    return PREFIX_HMAC + hmac.new(secret, scope_bytes(record, slot), hashlib.sha256).hexdigest()


def _sign_raw(key: SigningKey, message: bytes) -> bytes:
    _require_cryptography()
    if key.algorithm == "sm2":
        return sm2_sign(message, key.secret)
    if key.algorithm == "ed25519":
        return bytes(key.secret.sign(message))
    if key.algorithm == "ecdsa-p256":
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        return bytes(key.secret.sign(message, ec.ECDSA(hashes.SHA256())))
    raise UsageError(f"{key.algorithm} keys do not make signatures; use the HMAC mode")


_OIDS: dict[str, str] = {"sm2": OID_SM3_WITH_SM2, "ed25519": OID_ED25519, "ecdsa-p256": OID_ECDSA_SHA256}
_ALGS_BY_OID: dict[str, Algorithm] = {oid: alg for alg, oid in _OIDS.items()}  # type: ignore[misc]


def security_data(record: Record, slot: Slot, key: SigningKey, *, content_digest: str | None = None) -> str:
    """A compact ``SecurityData`` JSON string for the slot (no spaces, no backslashes: Annex E j) holds)."""
    signature = _sign_raw(key, signed_message(record, slot, content_digest))
    tbs: dict[str, Any] = {"Type": TYPE_METADATA, "Fields": ",".join(SCOPE[slot])}
    if content_digest is not None:
        tbs["Bnd"] = [{"BType": BTYPE_CONTENT, "HashAlg": "SM3", "Hash": content_digest}]
    body = {
        "TBSData": tbs,
        "SigAlg": _OIDS[key.algorithm],
        "KeyValue": base64.b64encode(key.public().encoded()).decode("ascii"),
        "Signature": base64.b64encode(signature).decode("ascii"),
    }
    return json.dumps({SECURITY_DATA: body}, separators=(",", ":"))


def protect(
    record: Record,
    slot: Slot,
    mode: Literal["empty", "sha256", "hmac-sha256", "sign"],
    *,
    key: SigningKey | None = None,
    content_digest: str | None = None,
) -> Record:
    """``record`` with the slot's code made in ``mode`` (``sign`` takes an SM2 / Ed25519 / ECDSA key)."""
    if mode == "empty":
        code = ""
    elif mode == "sha256":
        code = hash_code(record, slot)
    elif mode == "hmac-sha256":
        if key is None or key.algorithm != "hmac-sha256":
            raise UsageError("the HMAC mode needs an HMAC secret (a .hmac key file)")
        code = hmac_code(record, slot, key.secret)
    elif mode == "sign":
        if key is None or key.algorithm == "hmac-sha256":
            raise UsageError("signing needs an SM2, Ed25519 or ECDSA P-256 private key")
        code = security_data(record, slot, key, content_digest=content_digest)
    else:
        raise UsageError(f"unknown integrity mode {mode!r}")
    return replace(record, **{slot: code})


def sign_file(
    path: str | os.PathLike[str],
    record: Record,
    key: SigningKey,
    *,
    slot: Slot = "ReservedCode1",
    bind_media: bool = False,
    output: str | os.PathLike[str] | None = None,
) -> Record:
    """Write ``record`` into the file with a signed code in ``slot``; with ``bind_media`` the signature also
    covers the media bytes. Returns the record as written."""
    from hegui import label

    digest = None
    if bind_media:
        container = label.containers.detect(path).name
        if container not in BINDABLE_CONTAINERS:
            raise UsageError(
                f"media binding is not available for {container} files: their layout (offset tables, padding) "
                "changes with the label's length, so the bound bytes would not be stable; sign without binding",
                path=path,
            )
        # Digest the file as it will be re-rendered at verification time: from a copy that already holds a
        # label, so that formats whose writers lay out a replaced label differently from a new one agree.
        import tempfile

        with tempfile.TemporaryDirectory(prefix="hegui-bind-") as tmp:
            staged = Path(tmp) / Path(path).name
            label.write(path, _scope_record(record, slot), output=staged)
            digest = media_digest(staged, record, slot)
    signed = protect(record, slot, "sign", key=key, content_digest=digest)
    label.write(path, signed, output=output)
    return signed


# --------------------------------------------------------------------------------------------------------------
# Checking codes


@dataclass(frozen=True)
class Check:
    """The verdict on one slot's code."""

    slot: str
    status: Status
    mode: str  # "empty" | "sha256" | "hmac-sha256" | "sm2" | "ed25519" | "ecdsa-p256" | "unknown"
    reason: str = ""
    owner: str = ""
    key_fingerprint: str | None = None
    media_bound: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "slot": self.slot,
            "status": self.status,
            "mode": self.mode,
            "reason": self.reason,
            "owner": self.owner,
            "key_fingerprint": self.key_fingerprint,
            "media_bound": self.media_bound,
        }


def _parse_security_data(code: str) -> Mapping[str, Any] | None:
    if not code.startswith("{"):
        return None
    try:
        data = json.loads(code)
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get(SECURITY_DATA), dict):
        return data[SECURITY_DATA]
    return None


def _verify_raw(key: PublicKey, message: bytes, signature: bytes) -> bool:
    _require_cryptography()
    from cryptography.exceptions import InvalidSignature

    if key.algorithm == "sm2":
        return sm2_verify(message, signature, key.value)
    try:
        if key.algorithm == "ed25519":
            key.value.verify(signature, message)
        elif key.algorithm == "ecdsa-p256":
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.asymmetric import ec

            key.value.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def check_slot(
    record: Record,
    slot: Slot,
    keys: Keyring | None = None,
    *,
    path: str | os.PathLike[str] | None = None,
) -> Check:
    """Check one slot's code against the pinned keys (and the media bytes at ``path`` when it binds them)."""
    code = getattr(record, slot)
    owner = getattr(record, OWNER_FIELD[slot])
    keys = keys if keys is not None else Keyring()
    if not code:
        return Check(slot, "unsigned", "empty", "no integrity code", owner)
    if code.startswith(PREFIX_SHA256):
        ok = hmac.compare_digest(code, hash_code(record, slot))
        reason = (
            "SHA-256 matches (integrity only: anyone can recompute it)" if ok else "SHA-256 does not match"
        )
        return Check(slot, "valid" if ok else "invalid", "sha256", reason, owner)
    if code.startswith(PREFIX_HMAC):
        secrets = [k for k in keys.for_owner(owner) if k.algorithm == "hmac-sha256"]
        if not secrets:
            return Check(slot, "unknown-key", "hmac-sha256", f"no HMAC secret pinned for {owner!r}", owner)
        for secret in secrets:
            if hmac.compare_digest(code, hmac_code(record, slot, secret.value)):
                return Check(slot, "valid", "hmac-sha256", "HMAC matches", owner, secret.fingerprint())
        return Check(slot, "invalid", "hmac-sha256", "HMAC does not match any pinned secret", owner)
    data = _parse_security_data(code)
    if data is None:
        return Check(
            slot, "unrecognised", "unknown", "a code in a form hegui cannot check (vendor-specific)", owner
        )
    return _check_security_data(record, slot, data, keys, owner, path)


def _check_security_data(
    record: Record,
    slot: Slot,
    data: Mapping[str, Any],
    keys: Keyring,
    owner: str,
    path: str | os.PathLike[str] | None,
) -> Check:
    algorithm = _ALGS_BY_OID.get(str(data.get("SigAlg", "")))
    if algorithm is None:
        return Check(
            slot, "unrecognised", "unknown", f"signature algorithm {data.get('SigAlg')!r} not supported"
        )
    try:
        signature = base64.b64decode(str(data.get("Signature", "")), validate=True)
        embedded = base64.b64decode(str(data.get("KeyValue", "")), validate=True)
    except (binascii.Error, ValueError):
        return Check(slot, "invalid", algorithm, "SecurityData signature or key is not Base64", owner)
    tbs = data.get("TBSData") if isinstance(data.get("TBSData"), dict) else {}
    bindings = tbs.get("Bnd") if isinstance(tbs, dict) else None
    digest: str | None = None
    if isinstance(bindings, list):
        for bnd in bindings:
            if isinstance(bnd, dict) and bnd.get("BType") == BTYPE_CONTENT:
                digest = str(bnd.get("Hash", ""))
    message = signed_message(record, slot, digest)
    candidates = [k for k in keys.for_owner(owner) if k.algorithm == algorithm]
    pinned = next((k for k in candidates if k.encoded() == embedded), None)
    if pinned is None:
        pinned = next((k for k in candidates if _verify_raw(k, message, signature)), None)
    if pinned is None:
        reason = (
            f"no {algorithm} key pinned for {owner!r}"
            if not candidates
            else f"the signing key is not one of the {len(candidates)} key(s) pinned for {owner!r}"
        )
        return Check(slot, "unknown-key", algorithm, reason, owner, hashlib.sha256(embedded).hexdigest()[:16])
    fp = pinned.fingerprint()
    if not _verify_raw(pinned, message, signature):
        return Check(
            slot, "invalid", algorithm, "signature does not match the label", owner, fp, digest is not None
        )
    if digest is not None:
        if path is None:
            return Check(
                slot,
                "valid",
                algorithm,
                "label signature valid; media binding not checked (no file)",
                owner,
                fp,
                True,
            )
        try:
            current = media_digest(path, record, slot)
        except HeguiError as exc:  # the change broke the container itself
            return Check(
                slot, "invalid", algorithm, f"media could not be re-read: {exc.detail}", owner, fp, True
            )
        if current != digest:
            return Check(slot, "invalid", algorithm, "media bytes changed since signing", owner, fp, True)
        return Check(slot, "valid", algorithm, "signature valid; media bytes unchanged", owner, fp, True)
    return Check(slot, "valid", algorithm, "signature valid", owner, fp)


def check_record(
    record: Record, keys: Keyring | None = None, *, path: str | os.PathLike[str] | None = None
) -> list[Check]:
    """Both slots' checks."""
    return [check_slot(record, slot, keys, path=path) for slot in SLOTS]


def overall(checks: Iterable[Check]) -> Status:
    """One status for a record: invalid beats everything, then unknown-key, then valid, else unsigned."""
    statuses = {c.status for c in checks}
    for status in ("invalid", "unknown-key", "valid", "unrecognised"):
        if status in statuses:
            return status
    return "unsigned"
