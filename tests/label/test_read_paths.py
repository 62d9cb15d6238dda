"""The fast paths of the read path agree with the full parsers they short-cut.

Every fast path here reads only input whose meaning it can prove (hegui's own forms and close variants) and hands
everything else to the full parser; these tests hold the two to the same answers, on hegui-written files and on
variants (attribute orders, quoting, entities, CRLF, BOM, comments, other producers' forms), and check that the
fast path is actually taken for what hegui writes.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import pickle
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hegui.errors import HeguiError, InputError
from hegui.label import Record, journal, read, spec, write, xmp
from hegui.label import record as record_module
from hegui.label.containers import html as html_module
from hegui.label.containers import markdown as md_module
from hegui.label.containers import pdfxref
from hegui.label.containers.base import (
    Found,
    Source,
    _journal_beside,
    found_from_value,
    found_with_raw_from,
    open_source,
    path_text,
)
from hegui.label.record import parse_value, record_from_mapping

from .conftest import PRODUCER, PROPAGATOR

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# ---- opening a file: path text, journal check -------------------------------------------------------------------


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(["a", "b.png", ".", "..", "", "/", "//", "./", "x/"]), max_size=6))
def test_path_text_is_what_path_gives(parts: list[str]) -> None:
    text = "".join(parts)
    assume(text)
    assert path_text(text) == str(Path(text))
    assert path_text(Path(text)) == str(Path(text))
    source = Source(None, text, 0)
    assert source.name == str(Path(text))
    assert source.basename == Path(text).name
    assert source.path == Path(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.sampled_from(["f.png", "sub/f.png", ".hidden", "sub/deeper/x.md"]), kind=st.integers(0, 3))
def test_journal_check_matches_has_journal(tmp_path: Path, name: str, kind: int) -> None:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    beside = journal.journal_path(path)
    for stale in (beside,):
        if stale.is_symlink() or stale.exists():
            stale.unlink()
    if kind == 1:
        beside.write_bytes(b"j")
    elif kind == 2:
        beside.symlink_to(tmp_path / "missing")  # a dangling link counts, as with lexists
    elif kind == 3:
        beside.mkdir()
    try:
        assert _journal_beside(str(path)) == journal.has_journal(path) == (kind != 0)
    finally:
        if beside.is_dir() and not beside.is_symlink():
            beside.rmdir()


def test_open_source_refuses_what_it_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    for path, message in ((fifo, "a FIFO, not a regular file"), (tmp_path, "is a directory")):
        for lock in (False, True):
            with pytest.raises(InputError, match=message) as caught, open_source(path, shared_lock=lock):
                pass
            assert caught.value.path == str(path)
    with pytest.raises(InputError, match="cannot open"):
        read(tmp_path / "missing.png")


def test_source_opened_by_descriptor_makes_its_file_object_on_demand(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(bytes(range(256)) * 200)
    with open_source(str(path), shared_lock=True) as src:
        assert src._handle is None
        assert src.read_at(100, 4) == bytes([100, 101, 102, 103])
        assert src.read_at(20_000, 30_000) == path.read_bytes()[20_000:50_000]  # a long read: the file object
        assert src._handle is not None and src.handle.fileno() == src.fd
        fd = src.fd
    with pytest.raises(OSError):
        os.fstat(fd)  # closed with the source


# ---- record: the JSON hegui writes, read with one match ----------------------------------------------------------

_values = st.one_of(
    st.sampled_from(
        ["", "1", "2", "4", PRODUCER, PROPAGATOR, "ACME Corp", 'a"b', "a\\b", "a\nb", "x" * 2049]
    ),
    st.text(max_size=30),
    st.text(st.characters(min_codepoint=0x00, max_codepoint=0x7F), max_size=20),
)


def _slow_parse(text: str, monkeypatch: pytest.MonkeyPatch) -> record_module.ParsedValue:
    with monkeypatch.context() as patched:
        patched.setattr(record_module, "_CANONICAL_JSON", re.compile("(?!)"))  # never matches: json decodes
        return parse_value(text)


@FAST
@given(values=st.lists(_values, min_size=7, max_size=7), wrap=st.integers(0, 4))
def test_canonical_json_matches_json_decoding(
    values: list[str], wrap: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = Record(*values)
    text = [
        record.to_json(),
        record.to_wrapped_json(),
        " " + record.to_json() + "\x00",
        record.to_json().replace(",", ", ", 1),  # white space: json decodes it
        "AIGC" + record.to_json(),
    ][wrap]
    fast = parse_value(text)
    assert fast == _slow_parse(text, monkeypatch)
    if fast.record is not None:
        assert vars(fast.record) == vars(_slow_parse(text, monkeypatch).record) | (
            {"_validation": fast.record.validate()} if "_validation" in vars(fast.record) else {}
        )


@FAST
@given(
    keys=st.permutations(spec.FIELDS),
    extra=st.sampled_from(["", ',"Extra":"x"', ',"Label":"2"']),
    escaped=st.booleans(),
)
def test_other_json_forms_decode_as_before(
    keys: list[str], extra: str, escaped: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = ",".join(f'"{k}":"{PRODUCER if k == "ContentProducer" else "1"}"' for k in keys) + extra
    text = "{" + body + "}"
    if escaped:
        text = text.replace('"', "&quot;")
    assert parse_value(text) == _slow_parse(text, monkeypatch)


def test_canonical_json_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    record = Record.new(PRODUCER, produce_id="id-1", propagator=PROPAGATOR, propagate_id="p-1")
    decoded: list[str] = []
    real = record_module._DECODER.decode

    def counting(text: str) -> Any:
        decoded.append(text)
        return real(text)

    monkeypatch.setattr(record_module._DECODER, "decode", counting)
    for text in (record.to_json(), record.to_wrapped_json()):
        parsed = parse_value(text)
        assert parsed.record == record and parsed.findings == record.validate().findings
    assert decoded == []
    parse_value(record.to_json().replace(":", ": "))
    assert len(decoded) == 1


def test_fast_record_and_result_constructors_make_the_same_objects() -> None:
    values = ("1", PRODUCER, "id", "", "", "", "")
    made = record_module._record(*values)
    assert (
        made == Record(*values)
        and vars(made) == vars(Record(*values))
        and hash(made) == hash(Record(*values))
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.Label = "2"  # type: ignore[misc]
    parsed = record_module._parsed(made, "bare-json", ())
    assert parsed == record_module.ParsedValue(made, "bare-json", ())
    found = found_from_value("png", "where", made.to_json(), offset=7, form="xmp-element")
    expected = Found("png", "where", "xmp-element", made.to_json(), made, made.validate().findings, 7)
    assert found == expected and vars(found) == vars(expected) and repr(found) == repr(expected)


@FAST
@given(values=st.lists(_values, min_size=7, max_size=7))
def test_record_from_mapping_fast_constructor_matches_slow_path(values: list[str]) -> None:
    data = dict(zip(spec.FIELDS, values, strict=True))
    assert record_from_mapping(data, form="m") == record_from_mapping(
        {**data, "\x00duplicates": []}, form="m"
    )


# ---- Found.raw computed on demand --------------------------------------------------------------------------------


def test_deferred_raw_behaves_as_a_string_field() -> None:
    calls: list[str] = []

    def make(value: str) -> str:
        calls.append(value)
        return value.upper()

    record = Record.new(PRODUCER, produce_id="x")
    lazy = found_with_raw_from("markdown", "loc", "yaml-mapping", make, ("raw",), record, (), 0)
    eager = Found("markdown", "loc", "yaml-mapping", "RAW", record, (), 0)
    assert calls == []
    assert lazy == eager and hash(lazy) == hash(eager) and repr(lazy) == repr(eager)
    assert calls == ["raw"]  # computed once, then kept
    assert lazy.raw == "RAW" and calls == ["raw"]
    fresh = found_with_raw_from("markdown", "loc", "yaml-mapping", str.upper, ("raw",), record, (), 0)
    assert pickle.loads(pickle.dumps(fresh)) == eager
    fresh = found_with_raw_from("markdown", "loc", "yaml-mapping", str.upper, ("raw",), record, (), 0)
    assert copy.copy(fresh) == eager and copy.deepcopy(fresh) == eager
    assert dataclasses.replace(fresh, mirror=True).raw == "RAW"
    assert dataclasses.asdict(fresh)["raw"] == "RAW" and fresh.to_dict()["raw"] == "RAW"
    with pytest.raises(dataclasses.FrozenInstanceError):
        fresh.raw = "x"  # type: ignore[misc]
    assert [f.name for f in dataclasses.fields(Found)][3] == "raw"


# ---- XMP: the packet hegui writes, its padding checked without a regular expression --------------------------------


def _lxml(packet: bytes | str) -> list[xmp.XmpHit] | str:
    try:
        root = xmp.parse_packet(packet)
    except InputError:
        return "refused"
    return xmp.find_aigc_in_tree(root, attributes=xmp.might_hold_aigc_attribute(packet))


@FAST
@given(
    padding=st.text(st.sampled_from(" \t\r\n\x0b\x0c\x00\x1c\x85\xa0x"), max_size=300),
    trailer=st.text(st.sampled_from(" \t\r\n\x00x"), max_size=5),
    end=st.sampled_from(['<?xpacket end="w"?>', '<?xpacket end="r"?>', '<?xpacket end="x"?>', ""]),
    lead=st.sampled_from(["", "\ufeff", "junk", "\x00\x00"]),
    as_bytes=st.booleans(),
)
def test_canonical_packet_padding_matches_lxml(
    padding: str, trailer: str, end: str, lead: str, as_bytes: bool
) -> None:
    value = Record.new(PRODUCER, produce_id="id").to_json()
    body = xmp.set_aigc(None, value).decode("utf-8")
    head = body[: body.index("</x:xmpmeta>") + len("</x:xmpmeta>")]
    text = lead + head + padding + end + trailer
    packet: bytes | str = text.encode("utf-8") if as_bytes else text
    fast = xmp._canonical_value(packet)
    expected = _lxml(packet)
    if fast is not None:
        assert expected == [xmp.XmpHit(fast, "xmp-element", xmp.TC260_NS)]
    if expected != "refused":
        assert xmp.find_aigc(packet) == expected
    hegui_form = end in ('<?xpacket end="w"?>', '<?xpacket end="r"?>') and "<" not in lead
    if hegui_form and set(padding) <= set(" \t\r\n") and set(trailer) <= set(" \t\r\n\x00"):
        assert fast == value  # hegui's form with any such padding: the fast path takes it


def test_padded_packets_hegui_writes_take_the_fast_path() -> None:
    value = Record.new(PRODUCER, produce_id="id").to_json()
    for padding in (0, 100, xmp.PADDING, 10_000):
        packet = xmp.set_aigc(None, value, padding=padding)
        fitted = xmp.fit(packet, len(packet) + 333)
        assert fitted is not None
        for form in (packet, packet.decode(), fitted, fitted.decode()):
            assert xmp._canonical_value(form) == value


# ---- HTML: a simple head read without html.parser ---------------------------------------------------------------

_LABEL_JSON = Record.new(PRODUCER, produce_id="h-1").to_json()
_ESCAPED = _LABEL_JSON.replace('"', "&quot;")
_HEAD_TOKENS = [
    f'<meta name="AIGC" content="{_ESCAPED}">',
    f'<meta content="{_ESCAPED}" name="AIGC" />',
    f"<META NAME=aigc CONTENT='{_LABEL_JSON}'>",
    f'<meta name="\xa0AIGC " content="{_ESCAPED}">',
    f'<meta name=AIGC content="{_LABEL_JSON.replace(chr(34), "&#34;")}">',
    f'<meta name="AIGC" content="{_ESCAPED}" name="other">',
    '<meta name="AIGC" content=plain>',
    '<meta name="AIGC" content>',
    '<meta name="AIGC">',
    '<meta name="AIGC" content="a > b">',
    '<meta name="AIGC" content="a/b"/>',
    "<meta name=AIGC content=x/>",
    '<meta charset="utf-8">',
    "<meta charset=utf-8>",
    '<meta name="description" content="AIGC">',
    '<meta\tname="AIGC"\r\ncontent="x">',
    '<meta name = "AIGC" content="x">',
    '<meta name="AIGC"content="x">',
    "<title>t &amp; u</title>",
    "<title>a <b></title>",
    "<TITLE>x</title >",
    "<script>var a = 1 & 2;</script>",
    "<script>if (a < b) {}</script>",
    "<script/>",
    "<style>p{}</style>",
    "<noscript><p>x</p></noscript>",
    "<textarea>y</textarea>",
    "<plaintext>",
    "<!-- comment -->",
    "<!-- a--b -->",
    "<!---->",
    "<!-->",
    "<!-- <meta name=AIGC content=c> -->",
    "<!--x--!>",
    "<!DOCTYPE html>",
    '<?xml version="1.0"?>',
    "<![CDATA[x]]>",
    "<link rel=stylesheet href=a.css>",
    '<link rel="x" href="y"/>',
    "<base href='/'>",
    "</head>",
    "</x >",
    "< p>",
    "<p>text</p>",
    "&amp;",
    "text",
    "\n",
    "\r\n",
    " ",
    "\xef\xbb\xbf",
    "<my-el>",
    "<a1 b=c>",
    "<x y='1'z='2'>",
]


def _head_page(tokens: list[str], body: str) -> bytes:
    return ("<html><head>" + "".join(tokens) + body + "<p>after</p></html>").encode("latin-1")


def _slow_head(path: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int, str]]:
    with monkeypatch.context() as patched, open_source(path) as src:
        patched.setattr(html_module, "_simple_head", lambda window: None)
        return html_module._find_in_head(src)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    tokens=st.lists(st.sampled_from(_HEAD_TOKENS), max_size=10),
    body=st.sampled_from(["<body>", "<BODY class=a>", "<body\n>", "<body/>", "<bodyx>", ""]),
    filler=st.integers(0, 1),
)
def test_simple_head_matches_html_parser(
    tmp_path: Path, tokens: list[str], body: str, filler: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "p.html"
    data = _head_page(tokens, body)
    if filler:  # a head past the detection window: read from the longer window
        data = data.replace(b"<head>", b"<head>" + b" " * 20_000, 1)
    path.write_bytes(data)
    with open_source(path) as src:
        fast = html_module._find_in_head(src)
    assert fast == _slow_head(path, monkeypatch)
    simple = html_module._simple_head(data[: html_module.HEAD_WINDOW])
    if simple is not None:
        assert simple == fast
        for start, end, _ in simple:
            assert data[start:end].lower().startswith(b"<meta") and data[end - 1 : end] == b">"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    tokens=st.lists(
        st.sampled_from(
            [
                '<meta charset="utf-8">',
                "<title>示例 &amp; demo</title>",
                '<link rel="icon" href="/x.png">',
                "<!-- build 7 -->",
                '<meta name="viewport" content="width=device-width">',
                "<style>body{margin:0}</style>",
                '<script src="a.js"></script>',
            ]
        ),
        max_size=6,
    ),
    newline=st.sampled_from(["\n", "\r\n", ""]),
    bom=st.booleans(),
    doctype=st.booleans(),
)
def test_pages_hegui_labels_take_the_fast_path(
    tmp_path: Path,
    tokens: list[str],
    newline: str,
    bom: bool,
    doctype: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = (
        ("\ufeff" if bom else "")
        + ("<!DOCTYPE html>" + newline if doctype else "")
        + "<html lang=zh>"
        + newline
        + "<head>"
        + newline
        + newline.join(tokens)
        + newline
        + "</head>"
        + newline
        + "<body><p>正文</p></body></html>"
        + newline
    )
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8", newline="")
    record = Record.new(PRODUCER, produce_id="page", propagator=PROPAGATOR, propagate_id="p")
    write(path, record)
    data = path.read_bytes()
    assert html_module._simple_head(data) is not None
    with open_source(path) as src:
        assert html_module._find_in_head(src) == _slow_head(path, monkeypatch)
    assert [item.record for item in read(path).labels] == [record]


def test_simple_head_declines_what_it_cannot_prove() -> None:
    for head in (
        b"<html><head><script>if (a < b) {}</script><body>",
        b"<html><head><title>a &amp; b</title>&amp;<body>",
        b"<html><head><!--x--!><body>",
        b"<html><head><meta name=x content=y/><body>",
        b"<html><head><![CDATA[x]]><body>",
        b"<html><head><meta name=AIGC>",  # no <body> in the window
    ):
        assert html_module._simple_head(head) is None, head


# ---- Markdown: simple front matter read without PyYAML -------------------------------------------------------------

_TOP_LINES = [
    'title: "Sample"',
    "title: It's mine, really",
    "title: 示例文档",
    "tags: [demo, hegui]",
    "tags: []",
    "tags: [a, b c]",
    "draft: yes",
    "empty:",
    "n: 42",
    "x: 1.5",
    "date: 2024-01-31",
    "date: 2024-02-30",
    "when: 2024-01-31 10:00",
    "key: 'it''s'",
    'key: "back\\\\slash"',
    "key: a: b",
    "key: a #comment",
    "key: 'a' # comment",
    "key: &anchor x",
    "other: *anchor",
    "key: |",
    "key: - x",
    "nested:",
    "  child: x",
    "- item",
    "# a comment",
    "",
    "   ",
    "\tkey: x",
    "yes: x",
    "--- x",
    "... y",
    "%YAML 1.1",
    "key: x\u2028y",
    f"AIGC: '{Record.new(PRODUCER, produce_id='s').to_json()}'",
    f'AIGC: "{Record.new(PRODUCER, produce_id="s").to_json()}"',
    "AIGC: 7",
    "AIGC: {Label: '1'}",
]
_AIGC_HEADS = ["AIGC:", "AIGC: ", "AIGC :", "aigc:"]
_NESTED_LINES = [
    "  Label: '1'",
    "  Label: '2'",
    f"  ContentProducer: '{PRODUCER}'",
    f'  ContentProducer: "{PRODUCER}"',
    "  ProduceID: 'md-1'",
    "  ProduceID: 'it''s ''q'''",
    '  ProduceID: "md-2"',
    "  ProduceID: md-3",
    "  ProduceID: '中文 id'",
    "  ReservedCode1: ''",
    "  ContentPropagator: 'x'",
    "   ContentPropagator: 'x'",
    "    PropagateID: 'y'",
    "  Extra: 'x'",
    "  Label: 1",
    "  Label: '1' # note",
    "  # note",
    "",
    "# note",
]
# Front matter as top-level lines and AIGC blocks (a head line, then nested lines), so that the generated text
# often holds a whole label, and often one with a single thing wrong.
_FRONT_LINES = st.lists(
    st.one_of(
        st.sampled_from(_TOP_LINES).map(lambda line: [line]),
        st.tuples(st.sampled_from(_AIGC_HEADS), st.lists(st.sampled_from(_NESTED_LINES), max_size=8)).map(
            lambda block: [block[0], *block[1]]
        ),
    ),
    max_size=6,
).map(lambda groups: [line for group in groups for line in group])


def _scan_both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    def scan() -> Any:
        try:
            with open_source(path) as src:
                return md_module.MarkdownContainer().scan(src)
        except HeguiError as exc:
            return (type(exc), exc.detail)

    fast = scan()
    with monkeypatch.context() as patched:
        patched.setattr(md_module, "_simple_label", lambda lines: None)
        slow = scan()
    return fast, slow


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=_FRONT_LINES,
    newline=st.sampled_from(["\n", "\r\n"]),
    bom=st.booleans(),
)
def test_simple_front_matter_matches_pyyaml(
    tmp_path: Path, lines: list[str], newline: str, bom: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = ("\ufeff" if bom else "") + "---" + newline + "".join(line + newline for line in lines)
    text += "---" + newline + "# Body" + newline
    path = tmp_path / "f.md"
    path.write_bytes(text.encode("utf-8"))
    fast, slow = _scan_both(path, monkeypatch)
    assert fast == slow
    simple = md_module._simple_label(md_module.FrontMatter(text).lines)
    if simple is not None:  # the lines are the YAML subset: PyYAML loads them to the same AIGC value
        loaded = yaml.safe_load("".join(line + newline for line in lines))
        value = loaded.get("AIGC") if isinstance(loaded, dict) else None
        kind, got = simple
        assert (kind, got) == (
            ("none", None) if value is None else ("mapping" if isinstance(value, dict) else "string", value)
        )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    own=st.lists(
        st.sampled_from(['title: "示例"', "tags: [a, b]", "date: 2025-09-01", "draft: false", "# note"]),
        max_size=4,
    ),
    newline=st.sampled_from(["\n", "\r\n"]),
    propagated=st.booleans(),
    produce_id=st.sampled_from(["doc-1", "it's-'1'", 'say-"x"']),
)
def test_front_matter_hegui_writes_takes_the_fast_path(
    tmp_path: Path,
    own: list[str],
    newline: str,
    propagated: bool,
    produce_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "doc.md"
    front = "---" + newline + "".join(line + newline for line in own) + "---" + newline if own else ""
    path.write_bytes((front + "# 标题" + newline + "正文" + newline).encode("utf-8"))
    record = Record.new(PRODUCER, produce_id=produce_id)
    if propagated:
        record = record.with_propagation(PROPAGATOR, "p-1")
    write(path, record)
    fm = md_module.FrontMatter(path.read_text(encoding="utf-8"))
    assert md_module._simple_label(fm.lines) == ("mapping", record.to_dict())
    fast, slow = _scan_both(path, monkeypatch)
    assert fast == slow and [item.record for item in fast] == [record]
    assert fast[0].raw == md_module.dump_label(record.to_dict())


@FAST
@given(
    text=st.text(st.sampled_from("-.\n\r\x0b\x0c\x1c\x85\u2028ab"), max_size=60),
    cut=st.integers(1, 40),
)
def test_front_matter_split_from_a_prefix_matches_whole_split(
    text: str, cut: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fields(fm: md_module.FrontMatter) -> tuple[Any, ...]:
        return (fm.present, fm.lines, fm.start, fm.end, fm.bom, fm.newline)

    for opening in ("---\n", "---\r\n", "\ufeff---\n"):
        whole = opening + text
        with monkeypatch.context() as patched:
            patched.setattr(md_module, "LINES_FIRST", cut)
            prefixed = fields(md_module.FrontMatter(whole))
        with monkeypatch.context() as patched:
            patched.setattr(md_module, "LINES_FIRST", 10**9)
            assert prefixed == fields(md_module.FrontMatter(whole))


def test_reading_simple_markdown_does_not_need_pyyaml(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "a.md"
    path.write_text("---\ntitle: x\n---\nbody\n")
    write(path, Record.new(PRODUCER, produce_id="y"))
    code = (
        "import sys; from hegui.label import read; r = read(sys.argv[1]); "
        "assert r.labels[0].record.ProduceID == 'y'; print('yaml' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---- PDF: a dictionary entry with a simple value as one match ---------------------------------------------------

_PDF_TOKENS = [
    "/Key",
    "/K#41",
    "/Type",
    "/Catalog",
    "/",
    "1 0 R",
    "12 3 R",
    "1 0 Rx",
    "42",
    "-1.5",
    ".5",
    "true",
    "null",
    "nul",
    "(plain)",
    "(a\\)b)",
    "(a(b)c)",
    "<41 42>",
    "[",
    "]",
    "<<",
    ">>",
    "%comment\n",
    "%c",
]


_NEVER = re.compile(b"(?!)")


def _parse_pdf_object(data: bytes, *, pairs: bool, flat: bool) -> Any:
    saved = pdfxref._PAIR, pdfxref._FLAT_DICT
    pdfxref._PAIR = saved[0] if pairs else _NEVER
    pdfxref._FLAT_DICT = saved[1] if flat else _NEVER
    try:
        parser = pdfxref.Parser(data)
        return parser.value(), parser.pos
    except pdfxref.Unsupported as exc:
        return ("unsupported", str(exc))
    finally:
        pdfxref._PAIR, pdfxref._FLAT_DICT = saved


@settings(max_examples=2000, deadline=None)
@given(
    tokens=st.lists(st.sampled_from(_PDF_TOKENS), max_size=16),
    separators=st.lists(
        st.sampled_from([" ", "", "\n", "\r\n", "\t", "\x00", " %x\n"]), min_size=17, max_size=17
    ),
)
def test_pdf_pairs_and_flat_dictionaries_parse_as_the_token_loop(
    tokens: list[str], separators: list[str]
) -> None:
    body = "".join(sep + token for sep, token in zip(separators, tokens, strict=False))
    data = ("<<" + body + separators[-1] + ">>").encode("latin-1")
    expected = _parse_pdf_object(data, pairs=False, flat=False)
    assert _parse_pdf_object(data, pairs=True, flat=False) == expected
    got = _parse_pdf_object(data, pairs=True, flat=True)
    if expected[0] == "unsupported":  # the same refusal (the message may name another first problem)
        assert got[0] == "unsupported"
    else:
        assert got == expected


@settings(max_examples=500, deadline=None)
@given(
    entries=st.lists(
        st.tuples(
            st.sampled_from(["/Type", "/K#41", "/", "/Size", "/ID", "/Info"]),
            st.sampled_from(
                [
                    "/Catalog",
                    "1 0 R",
                    "42",
                    "-1.5",
                    "true",
                    "(s)",
                    "/N#41",
                    "[<0a 1> 2 0 R /X (y) 3]",
                    "[]",
                    "x",
                ]
            ),
        ),
        max_size=6,
    ),
    space=st.sampled_from([" ", "", "\n", "\r\n  "]),
)
def test_pdf_flat_dictionaries_hegui_reads_take_one_match(entries: list[tuple[str, str]], space: str) -> None:
    data = ("<<" + "".join(space + key + " " + value for key, value in entries) + space + ">>").encode()
    assert pdfxref._FLAT_DICT.fullmatch(data) is not None
    expected = _parse_pdf_object(data, pairs=False, flat=False)
    got = _parse_pdf_object(data, pairs=True, flat=True)
    assert got == expected or (expected[0] == got[0] == "unsupported")


def test_pdf_labels_hegui_writes_read_the_same_by_every_parser_path(tmp_path: Path) -> None:
    from hegui.label.samples import pdf as pdf_sample

    (path,) = pdf_sample.make(tmp_path)
    record = Record.new(PRODUCER, produce_id="pdf-1")
    write(path, record)
    fast = read(path)
    saved = pdfxref._PAIR, pdfxref._FLAT_DICT
    pdfxref._PAIR = pdfxref._FLAT_DICT = _NEVER
    try:
        slow = read(path)
    finally:
        pdfxref._PAIR, pdfxref._FLAT_DICT = saved
    assert fast == slow
    assert [item.record for item in fast.labels if not item.mirror] == [record]


# ---- detection: modules skipped by the file's first byte ----------------------------------------------------------

_NAMES = ["a.md", "a.html", "a.svg", "a.flac", "a.wav", "a.aac", "a.docx", "a.png", "noext", "A.MARKDOWN"]


def _first_byte_violations(heads: list[bytes]) -> list[tuple[str, str, bytes, str]]:
    from hegui.label.containers import FIRST_BYTES, MODULES, _containers_of

    found: list[tuple[str, str, bytes, str]] = []
    for module in MODULES:
        allowed = FIRST_BYTES[module]
        if allowed is None:
            continue
        for container in _containers_of(module):
            for head in heads:
                for byte in range(256):
                    if byte in allowed:
                        continue
                    probe = bytes([byte]) + head[1:]
                    found.extend(
                        (module, container.name, probe, name)
                        for name in _NAMES
                        if container.sniff(probe, name)
                    )
    return found


def test_first_byte_table_covers_every_handler(tmp_path: Path) -> None:
    from hegui.label.containers import FIRST_BYTES, MODULES
    from hegui.label.samples import make_all

    assert set(FIRST_BYTES) == set(MODULES)
    heads = [path.read_bytes()[:64] for path in make_all(tmp_path)]
    heads += [
        b"\xef\xbb\xbf<svg>",
        b" \n<svg xmlns='x'>",
        b"<?xml version='1.0'?><svg>",
        b"<!DOCTYPE html><html>",
        b"ID3\x04\x00\x00\x00\x00\x00\x00",
        b"\xff\xfb\x90\x00",
        b"RF64\x00\x00\x00\x00WAVE",
        b"BW64\x00\x00\x00\x00WAVE",
        b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic",
        b"PK\x03\x04" + b"\x00" * 22 + b"\x13\x00" + b"\x00\x00" + b"[Content_Types].xml",
    ]
    assert _first_byte_violations(heads) == []


@settings(max_examples=300, deadline=None)
@given(head=st.binary(min_size=1, max_size=64), name=st.sampled_from(_NAMES))
def test_first_byte_table_on_random_heads(head: bytes, name: str) -> None:
    from hegui.label.containers import FIRST_BYTES, MODULES, _containers_of

    for module in MODULES:
        allowed = FIRST_BYTES[module]
        for container in _containers_of(module):
            if container.sniff(head, name):
                assert allowed is None or head[0] in allowed, (module, head)


def test_detection_with_the_table_matches_every_handler_in_order(tmp_path: Path) -> None:
    from hegui.label.containers import all_containers, detect
    from hegui.label.samples import make_all

    for path in make_all(tmp_path):
        head = path.read_bytes()[:64]
        expected = next(c for c in all_containers() if c.sniff(head, path.name))
        assert detect(path) is expected
