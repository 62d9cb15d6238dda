"""The crafted hostile corpus of issue #18, generated at test time (no binaries are committed).

Each maker returns the bytes of one file; :func:`write_corpus` writes them all into a folder. The files are small
(a few MB at most) but each one hit a defect once: a crash, a hang, quadratic time or memory, a silent mislabel.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

from PIL import Image

RECORD_JSON = (
    '{"Label":"1","ContentProducer":"001191440300708461136T1XGW3","ProduceID":"p1",'
    '"ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}'
)


SHORT_JSON = b'{"Label":"1"}'


def riff(form: bytes, *chunks: bytes, declared: int | None = None) -> bytes:
    body = form + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body) if declared is None else declared) + body


def riff_chunk(cid: bytes, data: bytes) -> bytes:
    return cid + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) & 1 else b"")


def webp_vp8_zero_size() -> bytes:
    """A simple lossy WebP whose VP8 key frame says width 0 (once a struct.error that sank the whole batch)."""
    frame = b"\x00\x00\x00" + b"\x9d\x01\x2a" + struct.pack("<HH", 0, 16) + b"\x00" * 20
    return riff(b"WEBP", riff_chunk(b"VP8 ", frame))


def webp_real() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 20, 30)).save(out, "WEBP", quality=80)
    return out.getvalue()


def webp_30_bytes() -> bytes:
    """30 bytes: a complete 10-byte VP8L chunk, but the RIFF size promises 1,000 bytes (the rest was cut off).
    Once labeled with exit 0 and a new RIFF size that hid the truncation."""
    vp8l = b"\x2f" + struct.pack("<I", (15 << 14) | 15) + b"\x00" * 5
    return b"RIFF" + struct.pack("<I", 1000) + b"WEBP" + riff_chunk(b"VP8L", vp8l)


def webp_cut() -> bytes:
    """The first 30 bytes of a real WebP (its first chunk cut short)."""
    return webp_real()[:30]


def avi_head_12() -> bytes:
    """``head -c 12 sample.avi``: a RIFF AVI header and nothing else."""
    return b"RIFF" + struct.pack("<I", 200_000) + b"AVI "


def wav_without_data() -> bytes:
    """A WAV with its fmt chunk and no data chunk (the samples were cut off)."""
    fmt = struct.pack("<HHIIHH", 1, 1, 44100, 88200, 2, 16)
    return riff(b"WAVE", riff_chunk(b"fmt ", fmt))


def wav_truncated() -> bytes:
    """A WAV whose RIFF size says 100 kB but the file ends after the fmt chunk and a data header."""
    fmt = struct.pack("<HHIIHH", 1, 1, 44100, 88200, 2, 16)
    return riff(b"WAVE", riff_chunk(b"fmt ", fmt), declared=100_000)


def wav_many_labels(count: int = 20_000) -> bytes:
    """A WAV with ``count`` top-level AIGC chunks (every one must go on write; once parsed one by one)."""
    fmt = struct.pack("<HHIIHH", 1, 1, 44100, 88200, 2, 16)
    labels = [riff_chunk(b"AIGC", SHORT_JSON)] * count
    return riff(b"WAVE", riff_chunk(b"fmt ", fmt), riff_chunk(b"data", b"\x00" * 100), *labels)


def html_unclosed_tags(count: int = 100_000) -> bytes:
    """``<html><head>`` and then ``count`` unfinished ``<a``: quadratic in html.parser's end-of-file handling."""
    return b"<html><head>" + b"<a" * count


def html_body_in_unfinished_tag(count: int = 50_000) -> bytes:
    """Many ``<body>`` candidates inside an attribute value that never closes (each one re-fed the tokenizer)."""
    return b'<html><head><a title="' + b"<body>" * count


def html_many_metas(count: int = 100_000) -> bytes:
    meta = b'<meta name="AIGC" content="' + SHORT_JSON.replace(b'"', b"&quot;") + b'">\n'
    return b"<html><head>\n" + meta * count + b"</head><body></body></html>\n"


def _png_chunk(ctype: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body) & 0xFFFFFFFF)
    )


def png_many_text_labels(count: int = 50_000) -> bytes:
    """A PNG of 1 pixel carrying ``count`` tEXt AIGC chunks (about 1.5 MB at 50,000)."""
    out = io.BytesIO()
    Image.new("RGB", (1, 1)).save(out, "PNG")
    data = out.getvalue()
    iend = data.rindex(b"IEND") - 4
    text = _png_chunk(b"tEXt", b"AIGC\x00" + SHORT_JSON)
    return data[:iend] + text * count + data[iend:]


def png_bad_xmp() -> bytes:
    """A PNG whose XMP packet is not well-formed XML (the error must name the file, on one line)."""
    out = io.BytesIO()
    Image.new("RGB", (1, 1)).save(out, "PNG")
    data = out.getvalue()
    iend = data.rindex(b"IEND") - 4
    packet = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>\n<rdf:RDF>\n<unclosed>\n"
    return data[:iend] + _png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + packet) + data[iend:]


def html_four_megabytes() -> bytes:
    """A 4 MB page of unfinished tags and comment openers (once more than 120 s)."""
    return b"<html><head>" + b"<a<!--<b " * (4 * 1024 * 1024 // 9)


def png_ztxt_bomb() -> bytes:
    """A zTXt AIGC chunk that inflates to 64 MB."""
    out = io.BytesIO()
    Image.new("RGB", (1, 1)).save(out, "PNG")
    data = out.getvalue()
    iend = data.rindex(b"IEND") - 4
    body = b"AIGC\x00\x00" + zlib.compress(b"A" * (64 * 1024 * 1024), 9)
    return data[:iend] + _png_chunk(b"zTXt", body) + data[iend:]


def markdown_alias_bomb() -> bytes:
    """YAML front matter of nine levels of nine aliases ("billion laughs")."""
    lines = ["---", 'a0: &a0 ["x"]']
    for level in range(1, 10):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    lines += ["AIGC: *a9", "---", "body", ""]
    return "\n".join(lines).encode()


def svg_entity_bomb() -> bytes:
    entities = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{i} "{"&a" + str(i - 1) + ";" * 1}' + f'{("&a" + str(i - 1) + ";") * 9}">'
        for i in range(1, 10)
    )
    return (
        f'<?xml version="1.0"?><!DOCTYPE svg [{entities}]>'
        '<svg xmlns="http://www.w3.org/2000/svg"><metadata>&a9;</metadata></svg>'
    ).encode()


def mp4_deep_boxes(depth: int = 5000) -> bytes:
    """``moov`` holding ``trak`` holding ``trak`` ... 5,000 levels deep (a recursion bomb)."""
    inner = b""
    for _ in range(depth):
        inner = struct.pack(">I", 8 + len(inner)) + b"trak" + inner
    moov = struct.pack(">I", 8 + len(inner)) + b"moov" + inner
    ftyp = struct.pack(">I", 20) + b"ftypisom" + b"\x00\x00\x02\x00" + b"isom"
    return ftyp + moov


MAKERS: dict[str, Callable[[], bytes]] = {
    "vp8-zero-width.webp": webp_vp8_zero_size,
    "thirty-bytes.webp": webp_30_bytes,
    "cut.webp": webp_cut,
    "head12.avi": avi_head_12,
    "no-data.wav": wav_without_data,
    "truncated.wav": wav_truncated,
    "unclosed-a.html": html_unclosed_tags,
    "body-in-attribute.html": html_body_in_unfinished_tag,
    "many-metas.html": html_many_metas,
    "many-text.png": png_many_text_labels,
    "many-labels.wav": wav_many_labels,
    "bad-xmp.png": png_bad_xmp,
    "four-megabytes.html": html_four_megabytes,
    "ztxt-bomb.png": png_ztxt_bomb,
    "alias-bomb.md": markdown_alias_bomb,
    "entity-bomb.svg": svg_entity_bomb,
    "deep-boxes.mp4": mp4_deep_boxes,
}


def write_corpus(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in MAKERS.items():
        path = folder / name
        path.write_bytes(make())
        paths.append(path)
    return paths
