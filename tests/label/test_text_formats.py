"""Markdown front matter, HTML meta and SVG metadata: round trips, independent readers, byte-exact bodies."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from hegui.errors import InputError
from hegui.label import Record, read, write
from hegui.label.samples import html as html_sample
from hegui.label.samples import markdown as md_sample
from hegui.label.samples import svg as svg_sample

from .conftest import PRODUCER, assert_reader_fails_cleanly, exiftool_aigc, mutated


def front_matter(path: Path) -> dict[str, object]:
    text = path.read_text(encoding="utf-8")
    match = re.match(r"---\r?\n(.*?)\r?\n---\r?\n", text, re.DOTALL)
    assert match, "no front matter"
    data = yaml.safe_load(match.group(1))
    assert isinstance(data, dict)
    return data


def body_after_front_matter(path: Path) -> bytes:
    data = path.read_bytes()
    return re.split(rb"\n---\r?\n", data, maxsplit=1)[1] if data.startswith(b"---") else data


# ---- Markdown ------------------------------------------------------------------------------------------------


def test_markdown_roundtrip_and_yaml_reads_it(tmp_path: Path, record: Record) -> None:
    (path,) = md_sample.make(tmp_path)
    body = body_after_front_matter(path)
    write(path, record)
    data = front_matter(path)  # PyYAML, not hegui, reads the front matter
    assert data["AIGC"] == record.to_dict()
    assert data["title"] == "Sample" and data["tags"] == ["demo", "hegui"]
    assert body_after_front_matter(path) == body
    scan = read(path)
    assert scan.valid and scan.labels[0].form == "yaml-mapping" and scan.labels[0].record == record


def test_markdown_without_front_matter_gets_one(tmp_path: Path, record: Record) -> None:
    path = tmp_path / "plain.md"
    path.write_bytes(b"# Title\r\n\r\nbody\r\n")
    write(path, record)
    assert path.read_bytes().endswith(b"---\r\n# Title\r\n\r\nbody\r\n")  # CRLF kept, body byte-identical
    assert front_matter(path)["AIGC"] == record.to_dict()


def test_markdown_real_world_sample_is_read(tmp_path: Path) -> None:
    # The shape of a real front matter from reference §2.7 (keys in alphabetical order, single-quoted values).
    path = tmp_path / "r.md"
    path.write_text(
        "---\nAIGC:\n  ContentProducer: '001191110102MACQD9K64010000'\n  ContentPropagator: '001191110102MACQD9K64010000'\n"
        "  Label: '1'\n  ProduceID: 'a1b2'\n  PropagateID: 'a1b2'\n  ReservedCode1: '3045022100ab'\n  ReservedCode2: ''\n---\nbody\n",
        encoding="utf-8",
    )
    found = read(path).labels
    assert len(found) == 1 and found[0].record is not None
    assert found[0].record.ReservedCode1 == "3045022100ab" and found[0].valid


def test_markdown_replaces_old_block_keeping_comments_and_order(tmp_path: Path, record: Record) -> None:
    path = tmp_path / "x.md"
    path.write_text(
        "---\n# my comment\nz: 1\nAIGC:\n  Label: '2'\n  ContentProducer: 'old'\n\na: [1, 2]\n---\ntext\n",
        encoding="utf-8",
    )
    result = write(path, record, replace_foreign=True)
    assert result.replaced is not None and result.replaced.ContentProducer == "old"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n# my comment\nz: 1\nAIGC:\n") and "\na: [1, 2]\n---\ntext\n" in text
    assert text.count("AIGC:") == 1


def test_markdown_json_string_value_and_alias_bomb(tmp_path: Path, record: Record) -> None:
    path = tmp_path / "j.md"
    path.write_text(f"---\nAIGC: '{record.to_json()}'\n---\n", encoding="utf-8")
    assert read(path).labels[0].record == record
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    path.write_text("---\n" + bomb + "---\n", encoding="utf-8")
    with pytest.raises(InputError, match="aliases"):
        read(path)
    path.write_text("---\na: &a [*a]\n---\n", encoding="utf-8")
    with pytest.raises(InputError, match="refers to itself"):
        read(path)


def test_markdown_broken_yaml_is_a_clear_error_and_file_untouched(tmp_path: Path, record: Record) -> None:
    path = tmp_path / "b.md"
    path.write_text("---\ntitle: [unclosed\n---\nbody\n", encoding="utf-8")
    before = path.read_bytes()
    with pytest.raises(InputError, match="does not parse"):
        write(path, record)
    assert path.read_bytes() == before


# ---- HTML ----------------------------------------------------------------------------------------------------


class MetaReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta" and (values.get("name") or "").upper() == "AIGC":
            self.values.append(values.get("content") or "")


def test_html_roundtrip_and_independent_parsers_read_it(tmp_path: Path, record: Record) -> None:
    (path,) = html_sample.make(tmp_path)
    before = path.read_bytes()
    write(path, record)
    after = path.read_bytes()
    reader = MetaReader()
    reader.feed(after.decode("utf-8"))
    assert reader.values == [record.to_json()]
    tree = etree.HTML(after)  # lxml's HTML parser (libxml2)
    assert tree.xpath('//head/meta[@name="AIGC"]/@content') == [record.to_json()]
    # the page's own bytes are unchanged apart from the inserted element
    inserted = re.search(rb'<meta name="AIGC"[^>]*>', after)
    assert inserted is not None and after[: inserted.start()] + after[inserted.end() :] == before
    assert read(path).valid


def test_html_replaces_every_old_meta_and_keeps_gbk_bytes(tmp_path: Path, record: Record) -> None:
    path = tmp_path / "g.html"
    page = '<html><head><meta charset="gbk"><META NAME="aigc" CONTENT=\'{"Label":"1"}\'><title>标题</title></head><body>正文</body></html>'
    path.write_bytes(page.encode("gbk"))
    scan = read(path)
    assert len(scan.labels) == 1 and scan.labels[0].record is not None
    write(path, record, replace_foreign=True)
    data = path.read_bytes()
    assert data.lower().count(b'name="aigc"') == 1
    assert "标题".encode("gbk") in data and "正文".encode("gbk") in data
    assert [f.record for f in read(path).labels] == [record]


def test_html_without_head_and_xhtml(tmp_path: Path, record: Record) -> None:
    path = tmp_path / "n.html"
    path.write_text("<html><body>x</body></html>", encoding="utf-8")
    write(path, record)
    assert path.read_text(encoding="utf-8").startswith('<html><head><meta name="AIGC"')
    xhtml = tmp_path / "x.xhtml"
    xhtml.write_text(
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><meta charset="utf-8" /></head><body/></html>'
    )
    write(xhtml, record)
    etree.fromstring(xhtml.read_bytes())  # still well-formed XML
    assert read(xhtml).labels[0].record == record


def test_html_utf16_is_refused(tmp_path: Path, record: Record) -> None:
    path = tmp_path / "u.html"
    path.write_bytes("<html><head></head></html>".encode("utf-16"))
    with pytest.raises(InputError, match="UTF-16"):
        write(path, record)


# ---- SVG -----------------------------------------------------------------------------------------------------


def test_svg_roundtrip_exiftool_reads_and_drawing_unchanged(tmp_path: Path, record: Record) -> None:
    (path,) = svg_sample.make(tmp_path)
    shapes_before = path.read_text(encoding="utf-8").split("</metadata>", 1)[1]
    write(path, record)
    assert exiftool_aigc(path) == record.to_json()
    text = path.read_text(encoding="utf-8")
    assert text.split("</metadata>", 1)[1] == shapes_before
    assert "<dc:title>示例</dc:title>" in text
    assert read(path).valid


def test_svg_without_metadata_and_with_xmpmeta(tmp_path: Path, record: Record, other_record: Record) -> None:
    path = tmp_path / "a.svg"
    path.write_text('<svg xmlns="http://www.w3.org/2000/svg"><!-- <metadata> --><circle r="1"/></svg>')
    write(path, record, replace_foreign=True)
    assert exiftool_aigc(path) == record.to_json()
    write(path, other_record, replace_foreign=True)
    assert [f.record for f in read(path).labels] == [other_record]
    xmpmeta = tmp_path / "b.svg"
    xmpmeta.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg"><metadata><x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" '
        'xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/" TC260:AIGC="{&quot;Label&quot;:&quot;3&quot;}"/>'
        "</rdf:RDF></x:xmpmeta></metadata></svg>"
    )
    found = read(xmpmeta).labels
    assert found[0].form == "xmp-attribute" and found[0].record is not None and found[0].record.Label == "3"
    write(xmpmeta, record, replace_foreign=True)
    assert [f.record for f in read(xmpmeta).labels] == [record]


def test_svg_entity_declarations_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "e.svg"
    path.write_text('<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>')
    with pytest.raises(InputError, match="entities"):
        read(path)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), kind=st.sampled_from(["markdown", "html", "svg"]))
def test_fuzz_text_readers(tmp_path: Path, data: st.DataObject, kind: str) -> None:
    maker = {"markdown": md_sample, "html": html_sample, "svg": svg_sample}[kind]
    seed = tmp_path / "seed"
    seed.mkdir(exist_ok=True)
    (path,) = maker.make(seed)
    write(path, Record.new(PRODUCER, produce_id="fuzz"))
    damaged = data.draw(mutated(path.read_bytes()))
    assert_reader_fails_cleanly(tmp_path / path.name, damaged, kind)
