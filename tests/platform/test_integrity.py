"""ReservedCode integrity: the GB/T 32918 SM2 vector, every mode, pinned keys, tamper tests (fields and media)."""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import pytest

from hegui import label
from hegui.errors import UsageError
from hegui.label import Record, integrity
from hegui.label.integrity import Keyring, SigningKey
from hegui.label.samples import png, riff

PRODUCER = "001191440300708461136T1XGW3"
PROPAGATOR = "001191110102MACQD9K64020001"

# GB/T 32918.5-2017 Annex A (also GM/T 0003.5): signature example on the recommended curve.
A_PRIVATE = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8"
A_PUBLIC = (
    "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
    "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
)
A_K = "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21"
A_R = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
A_S = "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
A_ZA = "B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3"


def test_sm3_abc() -> None:
    # GB/T 32905-2016 Appendix A.1
    assert integrity.sm3(b"abc").hex() == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


BACKENDS = ["snowland-smx", "openssl"]


def test_openssl_backend_is_there() -> None:
    # Debian's libssl3 is part of the base system; the fast path must load here (a missing one is a failure).
    assert integrity.sm2_backend() == "openssl"


@pytest.mark.parametrize("backend", BACKENDS)
def test_sm2_standard_example(backend: str) -> None:
    assert integrity.sm2_public_from_private(A_PRIVATE) == A_PUBLIC.lower()
    assert integrity._sm2_za(A_PUBLIC.lower(), b"1234567812345678").hex() == A_ZA.lower()
    signature = integrity.sm2_sign(b"message digest", A_PRIVATE, k_hex=A_K)
    assert signature.hex().upper() == A_R + A_S
    verify = functools.partial(integrity.sm2_verify, backend=backend)
    assert verify(b"message digest", signature, A_PUBLIC)
    assert verify(b"message digest", signature, "04" + A_PUBLIC)
    assert not verify(b"message digest!", signature, A_PUBLIC)
    assert not verify(b"message digest", signature, A_PUBLIC, uid=b"1234567812345679")
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert not verify(b"message digest", flipped, A_PUBLIC)
    assert not verify(b"message digest", signature[:63], A_PUBLIC)
    assert not verify(b"message digest", bytes(64), A_PUBLIC)


def test_sm2_backends_agree_on_random_keys() -> None:
    for i in range(5):
        key = integrity.generate_key("sm2")
        message = f"message {i}".encode()
        signature = integrity.sm2_sign(message, key.secret)
        public = key.public().value
        for tampered, expected in ((message, True), (message + b"x", False)):
            results = {b: integrity.sm2_verify(tampered, signature, public, backend=b) for b in BACKENDS}
            assert set(results.values()) == {expected}, results


def test_sm2_backend_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(integrity.ENV_SM2_BACKEND, "snowland-smx")
    assert integrity.sm2_backend() == "snowland-smx"
    monkeypatch.setenv(integrity.ENV_SM2_BACKEND, "rot13")
    with pytest.raises(UsageError):
        integrity.sm2_backend()


def test_signed_message_is_appendix_a1() -> None:
    rec = Record.new(PRODUCER, produce_id="abc-1")
    assert integrity.signed_message(rec, "ReservedCode1") == (
        b'"Label":"1","ContentProducer":"001191440300708461136T1XGW3","ProduceID":"abc-1"'
    )
    assert integrity.signed_message(rec, "ReservedCode1") == rec.tbs_message_a1()


ALGS = ["sm2", "ed25519", "ecdsa-p256"]


@pytest.mark.parametrize("alg", ALGS)
def test_signature_roundtrip_and_field_tamper(alg: str) -> None:
    producer_key = integrity.generate_key(alg, PRODUCER)  # type: ignore[arg-type]
    platform_key = integrity.generate_key(alg, PROPAGATOR)  # type: ignore[arg-type]
    rec = integrity.protect(Record.new(PRODUCER), "ReservedCode1", "sign", key=producer_key)
    rec = rec.with_propagation(PROPAGATOR, "p-42")
    rec = integrity.protect(rec, "ReservedCode2", "sign", key=platform_key)
    assert rec.validate().ok, rec.validate().findings  # the SecurityData JSON keeps Annex E j)
    ring = Keyring.of([producer_key, platform_key])
    checks = integrity.check_record(rec, ring)
    assert [c.status for c in checks] == ["valid", "valid"]
    assert integrity.overall(checks) == "valid"
    # Changing any field makes at least one of the two codes invalid.
    for name in ("Label", "ContentProducer", "ProduceID", "ContentPropagator", "PropagateID"):
        value = getattr(rec, name)
        tampered = dataclasses.replace(rec, **{name: "2" if name == "Label" else value[:-1] + "X"})
        statuses = [c.status for c in integrity.check_record(tampered, ring)]
        assert "invalid" in statuses or "unknown-key" in statuses, (name, statuses)
        if name in ("Label", "ProduceID", "PropagateID"):  # owner unchanged: the key is found, the sig fails
            assert "invalid" in statuses, (name, statuses)
    # ReservedCode1 itself is covered by the propagator's signature.
    rc1 = rec.ReservedCode1.replace('"Md"', '"MD"')
    assert integrity.check_record(dataclasses.replace(rec, ReservedCode1=rc1), ring)[1].status == "invalid"


@pytest.mark.parametrize("alg", ALGS)
def test_unknown_key_and_wrong_pin(alg: str) -> None:
    key = integrity.generate_key(alg, PRODUCER)  # type: ignore[arg-type]
    other = integrity.generate_key(alg, PRODUCER)  # type: ignore[arg-type]
    rec = integrity.protect(Record.new(PRODUCER), "ReservedCode1", "sign", key=key)
    assert integrity.check_slot(rec, "ReservedCode1").status == "unknown-key"
    check = integrity.check_slot(rec, "ReservedCode1", Keyring.of([other]))
    assert check.status == "unknown-key"
    # A forger who re-signs with their own key and embeds it is still not trusted.
    forged = integrity.protect(dataclasses.replace(rec, Label="1"), "ReservedCode1", "sign", key=other)
    assert integrity.check_slot(forged, "ReservedCode1", Keyring.of([key])).status == "unknown-key"


def test_hash_and_hmac_modes() -> None:
    rec = Record.new(PRODUCER)
    hashed = integrity.protect(rec, "ReservedCode1", "sha256")
    assert hashed.ReservedCode1.startswith("SHA256:") and hashed.validate().ok
    assert integrity.check_slot(hashed, "ReservedCode1").status == "valid"
    assert (
        integrity.check_slot(dataclasses.replace(hashed, ProduceID="x"), "ReservedCode1").status == "invalid"
    )
    # The producer's code does not cover the fields a platform fills in later.
    assert integrity.check_slot(hashed.with_propagation(PROPAGATOR, "p"), "ReservedCode1").status == "valid"
    secret = integrity.generate_key("hmac-sha256", PRODUCER)
    mac = integrity.protect(rec, "ReservedCode1", "hmac-sha256", key=secret)
    assert integrity.check_slot(mac, "ReservedCode1").status == "unknown-key"
    assert integrity.check_slot(mac, "ReservedCode1", Keyring.of([secret])).status == "valid"
    wrong = integrity.generate_key("hmac-sha256", PRODUCER)
    assert integrity.check_slot(mac, "ReservedCode1", Keyring.of([wrong])).status == "invalid"
    assert (
        integrity.check_slot(
            dataclasses.replace(mac, Label="3"), "ReservedCode1", Keyring.of([secret])
        ).status
        == "invalid"
    )
    with pytest.raises(UsageError):
        integrity.protect(rec, "ReservedCode1", "hmac-sha256", key=None)


def test_unsigned_and_unrecognised() -> None:
    rec = Record.new(PRODUCER)
    assert [c.status for c in integrity.check_record(rec)] == ["unsigned", "unsigned"]
    assert integrity.overall(integrity.check_record(rec)) == "unsigned"
    annex_f = dataclasses.replace(
        rec, ReservedCode1="e862483430d978cbf828b8b24296ef9328d843a0"
    )  # Annex F.4 form
    assert integrity.check_slot(annex_f, "ReservedCode1").status == "unrecognised"
    broken = dataclasses.replace(
        rec, ReservedCode1='{"SecurityData":{"SigAlg":"1.2.156.10197.1.501","Signature":"@@","KeyValue":""}}'
    )
    assert integrity.check_slot(broken, "ReservedCode1").status == "invalid"


def test_keys_from_files_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    private_dir, pinned_dir = tmp_path / "private", tmp_path / "pinned"
    keys = [integrity.generate_key(alg, PRODUCER) for alg in ("sm2", "ed25519", "ecdsa-p256")]  # type: ignore[arg-type]
    secret = integrity.generate_key("hmac-sha256", PRODUCER)
    for key in [*keys, secret]:
        path = integrity.save_key(key, private_dir)
        loaded = integrity.load_signing_key(path, owner=PRODUCER)
        assert loaded.public().encoded() == key.public().encoded()
        integrity.save_key(key, pinned_dir, public_only=True)
    ring = Keyring.load(pinned_dir)
    assert len(ring) == 4
    monkeypatch.setenv(integrity.ENV_SIGNING_KEY, str(private_dir / f"{PRODUCER}.sm2"))
    env_key = integrity.load_signing_key(owner=PRODUCER)
    rec = integrity.protect(Record.new(PRODUCER), "ReservedCode1", "sign", key=env_key)
    assert integrity.check_slot(rec, "ReservedCode1", ring).status == "valid"
    monkeypatch.setenv(integrity.ENV_KEYS_DIR, str(pinned_dir))
    assert integrity.check_slot(rec, "ReservedCode1", Keyring.load()).status == "valid"
    monkeypatch.delenv(integrity.ENV_SIGNING_KEY)
    with pytest.raises(UsageError):
        integrity.load_signing_key()


def _flip_last_media_byte(path: Path, marker: bytes) -> None:
    data = bytearray(path.read_bytes())
    at = data.index(marker) + len(marker) + 8
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(("maker", "marker"), [(png.make, b"IDAT"), (riff.make, b"data")])
def test_media_binding(tmp_path: Path, maker: object, marker: bytes) -> None:
    source = maker(tmp_path)[0]  # type: ignore[operator]
    key: SigningKey = integrity.generate_key("sm2", PRODUCER)
    signed = integrity.sign_file(source, Record.new(PRODUCER), key, bind_media=True)
    ring = Keyring.of([key])
    found = label.read(source).label
    assert found is not None and found.record == signed
    check = integrity.check_slot(signed, "ReservedCode1", ring, path=source)
    assert (check.status, check.media_bound) == ("valid", True)
    # Without the file, the label part still verifies, and says the media was not checked.
    assert "not checked" in integrity.check_slot(signed, "ReservedCode1", ring).reason
    # Stamping the propagator fields later changes the file, but not the bound media bytes.
    label.write(source, signed.with_propagation(PROPAGATOR, "p-1"))
    stamped = label.read(source).label
    assert stamped is not None and stamped.record is not None
    assert integrity.check_slot(stamped.record, "ReservedCode1", ring, path=source).status == "valid"
    _flip_last_media_byte(source, marker)
    check = integrity.check_slot(stamped.record, "ReservedCode1", ring, path=source)
    assert check.status == "invalid" and "media" in check.reason


def test_media_binding_every_bindable_format(tmp_path: Path) -> None:
    """Sign with binding, stamp the propagator fields, still valid; other formats are refused, not half-bound."""
    from hegui.label.samples import make_all

    key = integrity.generate_key("sm2", PRODUCER)
    ring = Keyring.of([key])
    seen = set()
    for path in make_all(tmp_path):
        container = label.containers.detect(path).name
        if container not in integrity.BINDABLE_CONTAINERS:
            before = path.read_bytes()
            with pytest.raises(UsageError, match="media binding is not available"):
                integrity.sign_file(path, Record.new(PRODUCER), key, bind_media=True)
            assert path.read_bytes() == before
            continue
        signed = integrity.sign_file(path, Record.new(PRODUCER), key, bind_media=True)
        label.write(path, signed.with_propagation(PROPAGATOR, "p-9"))
        found = label.read(path).label
        assert found is not None and found.record is not None
        assert integrity.check_slot(found.record, "ReservedCode1", ring, path=path).status == "valid", path
        seen.add(container)
    assert seen == integrity.BINDABLE_CONTAINERS


@pytest.mark.parametrize("maker", [png.make, riff.make])
def test_media_binding_any_byte(tmp_path: Path, maker: object) -> None:
    """Flip bytes at random offsets outside the label: the bound signature is invalid every time."""
    import random

    source = maker(tmp_path, size=100_000)[0]  # type: ignore[operator]
    key = integrity.generate_key("sm2", PRODUCER)
    signed = integrity.sign_file(source, Record.new(PRODUCER), key, bind_media=True)
    ring = Keyring.of([key])
    original = source.read_bytes()
    value = signed.ReservedCode1.replace('"', "&quot;").encode()
    start = original.find(value) if value in original else original.find(signed.ReservedCode1.encode())
    label_range = range(start - 3000, start + len(value) + 200)  # the carrier around the label value
    rng = random.Random(11)
    offsets = [o for o in rng.sample(range(len(original)), 60) if o not in label_range][:20]
    assert len(offsets) >= 10
    for offset in offsets:
        data = bytearray(original)
        data[offset] ^= 0x5A
        source.write_bytes(bytes(data))
        check = integrity.check_slot(signed, "ReservedCode1", ring, path=source)
        assert check.status == "invalid", (offset, check)
    source.write_bytes(original)
    assert integrity.check_slot(signed, "ReservedCode1", ring, path=source).status == "valid"
