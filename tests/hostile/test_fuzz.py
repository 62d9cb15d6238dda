"""Fuzz targets for the parsers issue #18 found defects in, bounded for ``make test`` (hypothesis, fixed example
counts, no deadline; the whole module runs in well under a minute on two cores).

Each target states the property that failed once: a writer never raises anything but InputError and never leaves
a half-written file; a truncated file is never labeled; the HTML head reader is linear; spreadsheets round-trip
exactly and damaged ones are clear errors.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hegui.errors import InputError
from hegui.label import Record, read, write
from hegui.label.record import parse_value
from hegui.screen import lexicon as L
from tests.hostile import corpus
from tests.label.conftest import assert_writer_labels_or_fails_cleanly, mutated

PRODUCER = "001191440300708461136T1XGW3"
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
SMALL = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


def _seed(tmp_path: Path, name: str) -> bytes:
    """A small valid file of the named kind (generated, cached per test)."""
    from PIL import Image

    path = tmp_path / f"seed-{name}"
    if not path.exists():
        out = io.BytesIO()
        image = Image.new("RGBA" if name == "lossless.webp" else "RGB", (12, 9), (40, 80, 120))
        if name == "lossy.webp":
            image.save(out, "WEBP", quality=70)
        elif name == "lossless.webp":
            image.save(out, "WEBP", lossless=True)
        elif name == "png":
            image.save(out, "PNG")
        elif name == "gif":
            image.convert("P").save(out, "GIF")
        path.write_bytes(out.getvalue())
    return path.read_bytes()


# ---- WebP: the writer (the VP8 frame header was never fuzzed; width 0 crashed it) -------------------------------


vp8_frame = st.builds(
    lambda w, h, scale, rest: b"\x00\x00\x00\x9d\x01\x2a" + struct.pack("<HH", w | scale, h) + rest,
    st.integers(0, 0x3FFF),
    st.integers(0, 0x3FFF),
    st.sampled_from([0, 0x4000, 0xC000]),
    st.binary(max_size=24),
)
vp8l_frame = st.builds(
    lambda bits, rest: b"\x2f" + struct.pack("<I", bits) + rest,
    st.integers(0, 0xFFFFFFFF),
    st.binary(max_size=8),
)


@FUZZ
@given(frame=st.one_of(vp8_frame, vp8l_frame), extra=st.sampled_from([b"", b"EXIF", b"ICCP", b"ALPH"]))
def test_fuzz_webp_simple_file_header_fields(tmp_path: Path, frame: bytes, extra: bytes) -> None:
    fourcc = b"VP8 " if frame[3:6] == b"\x9d\x01\x2a" else b"VP8L"
    chunks = [corpus.riff_chunk(fourcc, frame)]
    if extra:
        chunks.append(corpus.riff_chunk(extra, b"\x00" * 6))
    assert_writer_labels_or_fails_cleanly(tmp_path / "f.webp", corpus.riff(b"WEBP", *chunks), "webp")


@FUZZ
@given(data=st.data(), kind=st.sampled_from(["lossy.webp", "lossless.webp", "png", "gif"]))
def test_fuzz_image_writers_label_or_refuse(tmp_path: Path, data: st.DataObject, kind: str) -> None:
    container = kind.rsplit(".", 1)[-1]
    damaged = data.draw(mutated(_seed(tmp_path, kind)))
    assert_writer_labels_or_fails_cleanly(tmp_path / f"f.{container}", damaged, container)


# ---- truncation: a strict prefix of a valid file is never labeled (RIFF sizes were rewritten to hide it) --------


@pytest.fixture(scope="module")
def riff_seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    from hegui.label.samples import riff as riff_samples

    folder = tmp_path_factory.mktemp("riff")
    seeds = {p.suffix[1:]: p.read_bytes() for p in riff_samples.make(folder)}
    seeds["webp"] = _seed(folder, "lossy.webp")
    seeds["png"] = _seed(folder, "png")
    return seeds


def chunk_boundaries(data: bytes) -> list[int]:
    """Offsets where a top-level chunk starts (RIFF: after the 12-byte header; PNG: after the signature): a cut
    there leaves every remaining chunk whole, the case a chunk walk alone does not catch."""
    if data.startswith(b"\x89PNG"):
        pos, step = 8, lambda p: 12 + struct.unpack(">I", data[p : p + 4])[0]
    else:
        pos, step = 12, lambda p: 8 + (lambda n: n + (n & 1))(struct.unpack("<I", data[p + 4 : p + 8])[0])
    out = []
    while pos + 8 <= len(data):
        out.append(pos)
        pos += step(pos)
    return out


@SMALL
@given(kind=st.sampled_from(["wav", "avi", "webp", "png"]), cut=st.floats(0.0, 0.999), at_chunk=st.booleans())
def test_fuzz_truncated_files_are_refused(
    tmp_path: Path, riff_seeds: dict[str, bytes], kind: str, cut: float, at_chunk: bool
) -> None:
    seed = riff_seeds[kind]
    size = int(len(seed) * cut)
    if at_chunk:
        boundaries = chunk_boundaries(seed)
        size = boundaries[int(cut * len(boundaries))]
    assume(size < len(seed) - 1)  # a last chunk's missing pad byte is tolerated
    path = tmp_path / f"cut.{kind}"
    path.write_bytes(seed[:size])
    with pytest.raises(InputError):
        write(path, Record.new(PRODUCER, produce_id="cut"), container=kind)
    assert path.read_bytes() == seed[:size]


# ---- HTML: the head tokenizer on hostile token soup, in linear time ----------------------------------------------

html_tokens = st.sampled_from(
    [b"<a", b"<a ", b"<body", b"<body>", b"</head>", b"<!--", b"-->", b'"', b"'", b"<script>", b"</script>",
     b"<!", b"<?", b"&#", b"&#x41;", b">", b"/>", b"<meta", b' name="AIGC"', b" content='{}'",
     b'<meta name="AIGC" content="{&quot;Label&quot;:&quot;1&quot;}">', b"\n", b"x", b"\x00"]
)  # fmt: skip


@FUZZ
@given(tokens=st.lists(html_tokens, max_size=60), repeat=st.integers(1, 400))
def test_fuzz_html_head_reader_and_writer(tmp_path: Path, tokens: list[bytes], repeat: int) -> None:
    page = b"<html><head>" + b"".join(tokens) * repeat
    path = tmp_path / "f.html"
    path.write_bytes(page)
    try:
        scan = read(path)
    except InputError:
        return
    assert len(scan.labels) <= 64
    assert_writer_labels_or_fails_cleanly(path, page, "html")


# ---- the label value parser and the XMP parser --------------------------------------------------------------------


@FUZZ
@given(text=st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_fuzz_parse_value_never_raises(text: str) -> None:
    parsed = parse_value(text)
    assert parsed.record is not None or parsed.findings


@FUZZ
@given(data=st.data())
def test_fuzz_xmp_packets_only_raise_input_errors(data: st.DataObject) -> None:
    from hegui.label import xmp

    seed = xmp.set_aigc(None, Record.new(PRODUCER, produce_id="x").to_json())
    packet = data.draw(mutated(seed))
    try:
        xmp.find_aigc(packet)
    except InputError as exc:
        assert "\n" not in str(exc)


# ---- lexicon import / export ----------------------------------------------------------------------------------

cell_text = st.builds(
    str.__add__,
    st.sampled_from(["", "=", "+", "-", "@", "'", "'=", "''+", "\t", "\r"]),
    st.text(
        st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(["=", "'", "|"]),
        min_size=1,
        max_size=30,
    ),
)


@SMALL
@given(
    keywords=st.lists(cell_text, min_size=1, max_size=6),
    notes=cell_text,
    suffix=st.sampled_from(["csv", "xlsx"]),
)
def test_fuzz_lexicon_round_trip_is_exact(
    tmp_path: Path, keywords: list[str], notes: str, suffix: str
) -> None:
    entries = []
    for keyword in keywords:
        try:
            entries.append(L.make_entry(keyword, ["A.1.a"], notes=notes))
        except InputError:
            continue
    assume(entries)
    lex = L.Lexicon(entries)
    # Surrounding blanks are not kept by any table cell (make_entry strips them); nor is "|" inside allow lists.
    path = tmp_path / f"lex.{suffix}"
    L.write(lex, path)
    assert L.load(path).entries == lex.entries


@SMALL
@given(data=st.data())
def test_fuzz_csv_import_only_raises_input_errors(tmp_path: Path, data: st.DataObject) -> None:
    rows = data.draw(st.lists(st.lists(st.text(max_size=12), max_size=6), max_size=8))
    text = "关键词,一级分类,二级分类\n" + "\n".join(",".join(r) for r in rows)
    raw = data.draw(st.sampled_from([text.encode("utf-8"), text.encode("gb18030", "replace")]))
    raw = data.draw(mutated(raw)) if data.draw(st.booleans()) else raw
    path = tmp_path / "f.csv"
    path.write_bytes(raw)
    try:
        L.load(path)
    except InputError as exc:
        assert str(exc)


@SMALL
@given(data=st.data())
def test_fuzz_xlsx_import_only_raises_input_errors(tmp_path: Path, data: st.DataObject) -> None:
    seed = tmp_path / "seed.xlsx"
    if not seed.exists():
        L.write(L.load_demo(), seed)
    path = tmp_path / "f.xlsx"
    path.write_bytes(data.draw(mutated(seed.read_bytes())))
    try:
        L.load(path)
    except InputError as exc:
        assert "\n" not in str(exc)
