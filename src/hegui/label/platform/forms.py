"""Real-world upload forms built byte by byte (tests, the demo and the benchmark share them).

Each function writes one file and returns its path. The layouts follow what real files carry (reference
§2.3 / §2.8): C2PA JUMBF in a PNG ``caBX`` chunk and in JPEG APP11, IPTC ``DigitalSourceType`` in XMP, an
A1111 ``parameters`` chunk, EXIF ``Software`` naming a generator, a visible text label, a malformed label and a
file with two different labels.
"""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from PIL import Image

from hegui.errors import UsageError
from hegui.label import Record

IPTC_TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
C2PA_UUID = b"c2pa" + bytes.fromhex("0011001080000000AA00389B71")
CBOR_UUID = b"cbor" + bytes.fromhex("0011001080000000AA00389B71")


def _png_chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def png_bytes(extra_chunks: list[tuple[bytes, bytes]] = (), side: int = 32) -> bytes:  # type: ignore[assignment]
    """A small RGB PNG with ``extra_chunks`` (type, data) inserted right after IHDR."""
    buf = io.BytesIO()
    Image.linear_gradient("L").resize((side, side)).convert("RGB").save(buf, "PNG")
    raw = buf.getvalue()
    ihdr_end = 8 + 8 + 13 + 4
    inserted = b"".join(_png_chunk(t, d) for t, d in extra_chunks)
    return raw[:ihdr_end] + inserted + raw[ihdr_end:]


def _box(btype: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + btype + payload


def _jumbf(label: bytes, uuid: bytes, children: bytes) -> bytes:
    description = _box(b"jumd", uuid + b"\x03" + label + b"\x00")  # toggles: requestable + label present
    return _box(b"jumb", description + children)


def c2pa_store(source_type: str = IPTC_TRAINED) -> bytes:
    """A C2PA manifest store (JUMBF) with an actions assertion naming ``source_type``; unsigned, so a full
    validator reports it invalid, which is what a stripped or forged manifest looks like."""
    cbor_text = source_type.encode()
    # CBOR map {"actions": [{"action": "c2pa.created", "digitalSourceType": <text>}]}
    actions = (
        b"\xa1\x67actions\x81\xa2\x66action\x6cc2pa.created\x71digitalSourceType"
        + b"\x78"
        + bytes([len(cbor_text)])
        + cbor_text
    )
    assertion = _jumbf(b"c2pa.actions", CBOR_UUID, _box(b"cbor", actions))
    assertions = _jumbf(b"c2pa.assertions", b"c2as" + C2PA_UUID[4:], assertion)
    manifest = _jumbf(b"urn:uuid:00000000-0000-4000-8000-000000000000", b"c2ma" + C2PA_UUID[4:], assertions)
    return _jumbf(b"c2pa", C2PA_UUID, manifest)


def xmp_packet(inner: str) -> bytes:
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f'{inner}</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def _itxt_xmp(packet: bytes) -> tuple[bytes, bytes]:
    return b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + packet


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def png_plain(path: Path) -> Path:
    return write(path, png_bytes())


def png_c2pa(path: Path, source_type: str = IPTC_TRAINED) -> Path:
    return write(path, png_bytes([(b"caBX", c2pa_store(source_type))]))


def jpeg_c2pa(path: Path, source_type: str = IPTC_TRAINED) -> Path:
    """JPEG with the manifest store in APP11 (JPEG XT box: ``JP``, instance 1, sequence 1)."""
    buf = io.BytesIO()
    Image.linear_gradient("L").resize((32, 32)).convert("RGB").save(buf, "JPEG", quality=80)
    raw = buf.getvalue()
    store = c2pa_store(source_type)
    payload = b"JP" + struct.pack(">HI", 1, 1) + store
    app11 = b"\xff\xeb" + struct.pack(">H", len(payload) + 2) + payload
    return write(path, raw[:2] + app11 + raw[2:])


def png_iptc(path: Path, term: str = IPTC_TRAINED) -> Path:
    packet = xmp_packet(
        '<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        f'Iptc4xmpExt:DigitalSourceType="{term}"/>'
    )
    return write(path, png_bytes([_itxt_xmp(packet)]))


def png_parameters(path: Path) -> Path:
    text = b"parameters\x00a lighthouse at dusk\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42"
    return write(path, png_bytes([(b"tEXt", text)]))


def jpeg_software(path: Path, software: str = "Midjourney v6") -> Path:
    image = Image.linear_gradient("L").resize((32, 32)).convert("RGB")
    exif = Image.Exif()
    exif[0x0131] = software
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, "JPEG", exif=exif.tobytes())
    return path


def png_malformed_label(path: Path) -> Path:
    packet = xmp_packet(
        '<rdf:Description rdf:about="" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/">'
        "<TC260:AIGC>{&quot;Label&quot;:&quot;1&quot;,&quot;ContentProducer</TC260:AIGC></rdf:Description>"
    )
    return write(path, png_bytes([_itxt_xmp(packet)]))


def png_two_labels(path: Path, first: Record, second: Record) -> Path:
    """Two different records: one in XMP, one in a ``tEXt AIGC`` chunk (a §6.1 c violation seen in the wild)."""
    escaped = first.to_json().replace('"', "&quot;")
    packet = xmp_packet(
        '<rdf:Description rdf:about="" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/">'
        f"<TC260:AIGC>{escaped}</TC260:AIGC></rdf:Description>"
    )
    return write(path, png_bytes([_itxt_xmp(packet), (b"tEXt", b"AIGC\x00" + second.to_json().encode())]))


def png_label_tc260_text(path: Path, record: Record) -> Path:
    """The Doubao form: a ``tEXt`` chunk keyed ``AIGC`` holding the bare JSON."""
    return write(path, png_bytes([(b"tEXt", b"AIGC\x00" + record.to_json().encode())]))


def text_visible(path: Path, text: str = "本文由人工智能生成，仅供参考。\n\n今天天气晴朗。\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def png_c2pa_signed(path: Path, source_type: str = IPTC_TRAINED) -> Path:
    """A PNG with a real, signed C2PA manifest (c2pa-python, the ``[c2pa]`` extra) naming ``source_type``.

    The signer is a throwaway ES256 key with a test CA made on the spot, so validators report the manifest
    ``Valid`` (well-formed, signature and hard binding intact) but not ``Trusted``.
    """
    import datetime as dt
    import json

    try:
        import c2pa
    except ImportError as exc:
        raise UsageError("signed C2PA samples need the c2pa extra: pip install 'hegui[c2pa]'") from exc
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)

    def name(common: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, common),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "hegui"),
            ]
        )

    def usage(*, sign: bool) -> x509.KeyUsage:
        return x509.KeyUsage(
            digital_signature=not sign,
            content_commitment=False,
            key_encipherment=False,
            data_encipherment=False,
            key_agreement=False,
            key_cert_sign=sign,
            crl_sign=sign,
            encipher_only=False,
            decipher_only=False,
        )

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    window = (now - dt.timedelta(days=1), now + dt.timedelta(days=30))
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("hegui test CA"))
        .issuer_name(name("hegui test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(window[0])
        .not_valid_after(window[1])
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(usage(sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(name("hegui test signer"))
        .issuer_name(name("hegui test CA"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(window[0])
        .not_valid_after(window[1])
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage(sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    chain = leaf.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(alg=b"es256", sign_cert=chain, private_key=private, ta_url=None)
    )
    manifest = {
        "claim_generator_info": [{"name": "hegui-test-generator", "version": "1"}],
        "title": path.name,
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {"actions": [{"action": "c2pa.created", "digitalSourceType": source_type}]},
            }
        ],
    }
    source, signed = io.BytesIO(png_bytes()), io.BytesIO()
    with c2pa.Builder(json.dumps(manifest)) as builder:
        builder.sign(signer, "image/png", source, signed)
    return write(path, signed.getvalue())
