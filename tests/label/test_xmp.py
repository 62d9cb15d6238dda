"""XMP: find the AIGC property in every RDF form, merge without losing other properties, refuse hostile XML."""

from __future__ import annotations

import pytest

from hegui.errors import InputError
from hegui.label import xmp

ADOBE = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="Photoshop">'
    '<dc:title><rdf:Alt><rdf:li xml:lang="x-default">标题</rdf:li></rdf:Alt></dc:title>'
    "</rdf:Description></rdf:RDF></x:xmpmeta>"
    '<?xpacket end="w"?>'
)
VALUE = '{"Label":"1","ContentProducer":"p","ProduceID":"i"}'


def test_doubao_entity_escaped_element_form() -> None:
    # Byte recipe of reference §2.7: what Doubao emits.
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/">'
        "<TC260:AIGC>{&quot;Label&quot;:&quot;1&quot;,&quot;ContentProducer&quot;:&quot;p&quot;}</TC260:AIGC>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    hits = xmp.find_aigc(packet)
    assert [(h.value, h.form) for h in hits] == [('{"Label":"1","ContentProducer":"p"}', "xmp-element")]


def test_picwish_attribute_form_and_double_escaping() -> None:
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/" '
        'TC260:AIGC="{&amp;quot;Label&amp;quot;:&amp;quot;2&amp;quot;}"/></rdf:RDF></x:xmpmeta>'
    )
    hits = xmp.find_aigc(packet)
    assert [(h.value, h.form) for h in hits] == [('{"Label":"2"}', "xmp-attribute")]


def test_alt_form() -> None:
    packet = ADOBE.replace(
        "</dc:title>",
        '</dc:title><TC260:AIGC xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/"><rdf:Alt>'
        '<rdf:li xml:lang="x-default">{"Label":"3"}</rdf:li></rdf:Alt></TC260:AIGC>',
    )
    assert [(h.value, h.form) for h in xmp.find_aigc(packet)] == [('{"Label":"3"}', "xmp-alt")]


def test_merge_keeps_other_properties_and_replaces_every_form() -> None:
    packet = ADOBE.replace(
        'xmp:CreatorTool="Photoshop"',
        'xmp:CreatorTool="Photoshop" xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/" TC260:AIGC="old" TC260:Other="keep"',
    )
    merged = xmp.set_aigc(packet, VALUE)
    assert [h.value for h in xmp.find_aigc(merged)] == [VALUE]
    text = merged.decode()
    assert "标题" in text and 'CreatorTool="Photoshop"' in text and 'TC260:Other="keep"' in text
    assert "old" not in text
    # Merging twice is stable: still one property.
    assert [h.value for h in xmp.find_aigc(xmp.set_aigc(merged, VALUE))] == [VALUE]


def test_new_packet_has_wrapper_and_padding() -> None:
    packet = xmp.packet_for(VALUE, padding=2048)
    assert packet.startswith(b"<?xpacket begin=") and packet.endswith(b'<?xpacket end="w"?>')
    assert len(packet) > 2048
    assert xmp.find_aigc(packet)[0].value == VALUE


def test_json_with_xml_special_characters_survives() -> None:
    value = '{"Label":"1","ContentProducer":"a<b>&c","ProduceID":"\'q\'"}'
    assert xmp.find_aigc(xmp.packet_for(value))[0].value == value


@pytest.mark.parametrize(
    "packet",
    [
        '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&b;</x:xmpmeta>',
        '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
        "<x:xmpmeta xmlns:x='adobe:ns:meta/'><unclosed></x:xmpmeta>",
        "no xml here",
    ],
)
def test_hostile_or_broken_packets_are_refused(packet: str) -> None:
    with pytest.raises(InputError):
        xmp.find_aigc(packet)


def test_merge_refuses_broken_packet_instead_of_clobbering_it() -> None:
    with pytest.raises(InputError):
        xmp.set_aigc("<x:xmpmeta xmlns:x='adobe:ns:meta/'><broken></x:xmpmeta>", VALUE)


def _parsed(packet: bytes | str) -> list[xmp.XmpHit] | str:
    """What the lxml path finds (or "refused")."""
    try:
        root = xmp.parse_packet(packet)
    except InputError:
        return "refused"
    return xmp.find_aigc_in_tree(root, attributes=xmp.might_hold_aigc_attribute(packet))


@pytest.mark.parametrize(
    "value",
    ["", VALUE, 'x"y', "é中文\U0001f600", "a\tb\nc", "a\x7fb", "a]]b", "a&amp;b", "a<b", "a>b", "a\rb"],
)
def test_packets_hegui_writes_read_without_the_parser_as_lxml_reads_them(value: str) -> None:
    packet = xmp.set_aigc(None, value, padding=xmp.PADDING)
    forms = [packet, packet.decode(), b"\x00" + packet + b"\x00\n ", packet.replace(b'end="w"', b'end="r"')]
    for form in forms:
        fast = xmp._canonical_value(form)
        expected = _parsed(form)
        if fast is not None:  # the regular expression took it: exactly what lxml finds
            assert expected == [xmp.XmpHit(fast, "xmp-element", xmp.TC260_NS)]
        assert xmp.find_aigc(form) == expected
    if any(c in value for c in "<>&\r"):
        assert xmp._canonical_value(packet) is None


@pytest.mark.parametrize(
    "value", [b"a\x01b", b"\xef\xbf\xbe", b"\xff\xfe", b"\xed\xa0\x80", b"a\x0bb"], ids=repr
)
def test_packets_lxml_refuses_are_not_read_by_the_regular_expression(value: bytes) -> None:
    packet = xmp.set_aigc(None, "PLACEHOLDER").replace(b"PLACEHOLDER", value)
    assert xmp._canonical_value(packet) is None
    assert _parsed(packet) == "refused"
    with pytest.raises(InputError):
        xmp.find_aigc(packet)


def test_other_packets_go_through_the_parser() -> None:
    packet = xmp.set_aigc(ADOBE, VALUE)  # merged into another tool's packet: not hegui's own form
    assert xmp._canonical_value(packet) is None
    assert xmp.find_aigc(packet) == [xmp.XmpHit(VALUE, "xmp-element", xmp.TC260_NS)]
