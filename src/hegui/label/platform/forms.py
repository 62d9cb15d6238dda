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
