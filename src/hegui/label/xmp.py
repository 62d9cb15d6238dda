"""XMP packets for the TC260 namespace: find the AIGC property, and merge a new one into an existing packet.

Shared by every container that carries XMP (JPEG, PNG, WebP, GIF, TIFF, HEIF, PDF, SVG). Merging keeps every other
property and namespace of the packet; only ``TC260:AIGC`` is replaced, in whichever RDF form it was found
(element, attribute, or rdf:Alt). Parsing refuses DTDs and entity declarations (no billion-laughs, no XXE).
"""

from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hegui.errors import InputError
from hegui.label import spec

# lxml is imported where a packet is parsed or built: reading the packets hegui writes needs no XML parser.
if TYPE_CHECKING:
    from lxml import etree

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
X_NS = "adobe:ns:meta/"
XML_NS = "http://www.w3.org/XML/1998/namespace"
TC260_NS = spec.XMP_NAMESPACE
_AIGC_TAG = f"{{{TC260_NS}}}{spec.XMP_PROPERTY}"

XPACKET_BEGIN = '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
XPACKET_END_W = '<?xpacket end="w"?>'

# A packet larger than this is refused (hostile input guard); real packets are a few KB to a few hundred KB.
MAX_PACKET_BYTES = 16 * 1024 * 1024


def _parser() -> etree.XMLParser:
    from lxml import etree

    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_blank_text=False
    )


_local = threading.local()


def _shared_parser() -> etree.XMLParser:
    """One reading parser per thread (lxml parsers are reusable, but not shared between threads)."""
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = _local.parser = _parser()
    return parser


@dataclass(frozen=True)
class XmpHit:
    """One AIGC property found in a packet."""

    value: str  # the JSON text, XML-unescaped
    form: str  # "xmp-element" | "xmp-attribute" | "xmp-alt"
    namespace: str  # the namespace URI it was found in (normally TC260_NS)


_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def _decode(packet: bytes | str) -> bytes:
    data = packet.encode("utf-8") if isinstance(packet, str) else packet
    if len(data) > MAX_PACKET_BYTES:
        raise InputError(f"XMP packet of {len(data)} bytes is larger than the {MAX_PACKET_BYTES}-byte limit")
    if _DTD.search(data):
        raise InputError("XMP packet declares a DTD or entities; refused (possible entity-expansion attack)")
    return data


def parse_packet(packet: bytes | str) -> etree._Element:
    """Parse an XMP packet (with or without the xpacket wrapper) and return the root element.

    Raises :class:`InputError` when the packet is not well-formed XML.
    """
    data = _decode(packet)
    # Strip anything before the first '<' (BOMs, NULs, padding seen in the wild) and trailing NUL padding.
    start = data.find(b"<")
    if start < 0:
        raise InputError("XMP packet holds no XML")
    data = data[start:].rstrip(b"\x00 \t\r\n")
    from lxml import etree

    try:
        root = etree.fromstring(data, _shared_parser())
    except etree.XMLSyntaxError as exc:
        raise InputError(f"XMP packet is not well-formed XML: {' '.join(str(exc).split())}") from exc
    if root is None:
        raise InputError("XMP packet is empty")
    return root


def _is_aigc_name(tag: str) -> tuple[bool, str]:
    """True for {TC260 ns}AIGC, and leniently for AIGC in a namespace that only differs in a trailing slash."""
    if not tag.startswith("{"):
        return False, ""
    ns, _, local = tag[1:].partition("}")
    if local != spec.XMP_PROPERTY:
        return False, ns
    return ns.rstrip("/") == TC260_NS.rstrip("/") or "tc260" in ns.lower(), ns


def _text_of(element: etree._Element) -> tuple[str, str]:
    """The literal value of a property element, with its form (simple text, or the first rdf:li of an Alt/Seq/Bag)."""
    for container in element:
        if isinstance(container.tag, str) and container.tag in (
            f"{{{RDF_NS}}}Alt",
            f"{{{RDF_NS}}}Seq",
            f"{{{RDF_NS}}}Bag",
        ):
            for li in container:
                if li.tag == f"{{{RDF_NS}}}li":
                    return li.text or "", "xmp-alt"
    value = element.get(f"{{{RDF_NS}}}resource")
    if value is not None:
        return value, "xmp-element"
    return element.text or "", "xmp-element"


def _unescape(value: str) -> str:
    # Doubly escaped packets (&amp;quot;) arrive here as &quot; after XML parsing.
    return html.unescape(value) if "&quot;" in value or "&#" in value else value


# An AIGC attribute is always prefixed (unprefixed attributes have no namespace) and entities are refused, so
# its name appears literally as ":AIGC" before "=". Without such text, no attribute needs to be looked at.
_ATTRIBUTE_TEXT = re.compile(r":AIGC\s*=")
_ATTRIBUTE_BYTES = re.compile(rb":AIGC\s*=")


def might_hold_aigc_attribute(text: bytes | str) -> bool:
    """False when ``text`` (the XML the tree was parsed from) cannot hold an AIGC attribute."""
    if isinstance(text, str):
        return _ATTRIBUTE_TEXT.search(text) is not None
    # NUL bytes: possibly UTF-16 or UTF-32 text, where the name is not spelled in ASCII; look everywhere.
    return b"\x00" in text or _ATTRIBUTE_BYTES.search(text) is not None


# The packet hegui writes (set_aigc without an earlier packet; see packet_for), matched whole: the xpacket wrapper,
# x:xmpmeta > rdf:RDF > rdf:Description holding one TC260:AIGC element, padding. Its value may hold no markup, no
# entity or character reference, no carriage return (XML would turn it into a line feed) and no character XML
# forbids, so the text is exactly what lxml would return and the packet is well-formed. What comes before the first
# "<" and NULs and whitespace after the end are ignored, as parse_packet ignores them. As a regular expression:
#
#   [^<]* _CANONICAL_HEAD (?P<value>[^<>&\r\x00-\x08\x0b\x0c\x0e-\x1f]*) _CANONICAL_TAIL
#   [ \t\r\n]* <\?xpacket end="[rw]"\?> [\x00 \t\r\n]*
#
# matched here with string operations (the fixed parts compared whole, the 2 KiB of padding hegui leaves checked in
# one pass), which cost a fraction of what the regular expression does character by character.
_CANONICAL_HEAD = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
    '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="hegui">'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/" rdf:about="">'
    "<TC260:AIGC>"
)
_CANONICAL_TAIL = "</TC260:AIGC></rdf:Description></rdf:RDF></x:xmpmeta>"
_CANONICAL_ENDS = ('<?xpacket end="w"?>', '<?xpacket end="r"?>')
_CANONICAL_HEAD_BYTES = _CANONICAL_HEAD.encode("utf-8")
_CANONICAL_TAIL_BYTES = _CANONICAL_TAIL.encode("ascii")
_CANONICAL_ENDS_BYTES = tuple(end.encode("ascii") for end in _CANONICAL_ENDS)
_NOT_IN_VALUE = re.compile("[>&\r\x00-\x08\x0b\x0c\x0e-\x1f]")  # "<" ends the value
_NOT_IN_VALUE_BYTES = re.compile(b"[>&\r\x00-\x08\x0b\x0c\x0e-\x1f]")
# Characters XML 1.0 forbids beyond the C0 controls excluded above (surrogates, U+FFFE, U+FFFF).
_NOT_XML_CHAR = re.compile("[\ud800-\udfff\ufffe\uffff]")
_CANONICAL_MAX = 1024 * 1024  # larger packets go through lxml (and its limits)


def _blank_text(text: str) -> bool:
    """``text`` holds only spaces, tabs, CRs and LFs."""
    if text.replace("\n", " ") == " " * len(text):  # the padding hegui writes: one vectorised pass
        return True
    # ASCII (O(1) for a str) and white space to str.strip leaves only the other ASCII white space to rule out
    return (
        text.isascii()
        and not text.strip()
        and "\x0b" not in text
        and "\x0c" not in text
        and "\x1c" not in text
        and "\x1d" not in text
        and "\x1e" not in text
        and "\x1f" not in text
    )


def _blank_bytes(data: bytes) -> bool:
    """``data`` holds only spaces, tabs, CRs and LFs."""
    if data.replace(b"\n", b" ") == b" " * len(data):
        return True
    return not data.strip() and b"\x0b" not in data and b"\x0c" not in data  # strip(): also VT and FF


def _canonical_value(packet: bytes | str) -> str | None:
    """The AIGC value of a packet in exactly the form hegui writes, without an XML parser; None for any other
    packet (which lxml then parses). The result equals what :func:`find_aigc_in_tree` finds in it."""
    if len(packet) > _CANONICAL_MAX:
        return None
    if isinstance(packet, str):
        start = packet.find("<")
        if start < 0 or not packet.startswith(_CANONICAL_HEAD, start):
            return None
        begin = start + len(_CANONICAL_HEAD)
        end = packet.find("<", begin)
        if end < 0 or not packet.startswith(_CANONICAL_TAIL, end):
            return None
        value = packet[begin:end]
        if _NOT_IN_VALUE.search(value):
            return None
        tail = packet[end + len(_CANONICAL_TAIL) :].rstrip("\x00 \t\r\n")
        if not tail.endswith(_CANONICAL_ENDS) or not _blank_text(tail[:-19]):
            return None
    else:
        start = packet.find(b"<")
        if start < 0 or not packet.startswith(_CANONICAL_HEAD_BYTES, start):
            return None
        begin = start + len(_CANONICAL_HEAD_BYTES)
        end = packet.find(b"<", begin)
        if end < 0 or not packet.startswith(_CANONICAL_TAIL_BYTES, end):
            return None
        raw = packet[begin:end]
        if _NOT_IN_VALUE_BYTES.search(raw):
            return None
        btail = packet[end + len(_CANONICAL_TAIL_BYTES) :].rstrip(b"\x00 \t\r\n")
        if not btail.endswith(_CANONICAL_ENDS_BYTES) or not _blank_bytes(btail[:-19]):
            return None
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            return None  # lxml refuses the packet; let it say so
    if not value.isascii() and _NOT_XML_CHAR.search(value):
        return None
    return value


def find_aigc(packet: bytes | str) -> list[XmpHit]:
    """Every AIGC property in the packet, in document order: elements, attributes and rdf:Alt forms.

    A packet in the form hegui writes is read with one regular expression (the same result, without building a
    tree); every other packet is parsed."""
    value = _canonical_value(packet)
    if value is not None:
        return [XmpHit(value, "xmp-element", TC260_NS)]
    return find_aigc_in_tree(parse_packet(packet), attributes=might_hold_aigc_attribute(packet))


def find_aigc_in_tree(root: etree._Element, *, attributes: bool = True) -> list[XmpHit]:
    """Every AIGC property under ``root`` (a packet, or a document that embeds XMP such as SVG).

    ``attributes=False`` (the source text has no ``:AIGC=``, see :func:`might_hold_aigc_attribute`) looks at
    AIGC elements only, without walking every element and attribute; the result is the same.
    """
    hits: list[XmpHit] = []
    if not attributes:
        for element in root.iter("{*}" + spec.XMP_PROPERTY):
            matched, ns = _is_aigc_name(element.tag)
            if matched:
                text, form = _text_of(element)
                hits.append(XmpHit(_unescape(text), form, ns))
        return hits
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        matched, ns = _is_aigc_name(element.tag)
        if matched:
            text, form = _text_of(element)
            hits.append(XmpHit(_unescape(text), form, ns))
        for name, value in element.attrib.items():
            matched, ns = _is_aigc_name(name)
            if matched:
                hits.append(XmpHit(_unescape(value), "xmp-attribute", ns))
    return hits


def _remove_aigc(root: etree._Element) -> etree._Element | None:
    """Remove every AIGC property; return the rdf:Description that held the first one (to put the new one back)."""
    holder: etree._Element | None = None
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        for name in list(element.attrib):
            if _is_aigc_name(name)[0]:
                del element.attrib[name]
                if holder is None:
                    holder = element
        if _is_aigc_name(element.tag)[0]:
            parent = element.getparent()
            if parent is not None:
                if holder is None:
                    holder = parent
                _remove_keeping_tail(element)
    return holder


def _remove_keeping_tail(element: etree._Element) -> None:
    parent = element.getparent()
    assert parent is not None
    tail = element.tail
    previous = element.getprevious()
    if tail and tail.strip() == "":
        tail = None
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def _find_rdf(root: etree._Element) -> etree._Element:
    if root.tag == f"{{{RDF_NS}}}RDF":
        return root
    found = root.find(f".//{{{RDF_NS}}}RDF")
    if found is None:
        raise InputError("XMP packet has no rdf:RDF element")
    return found


def new_packet_root() -> etree._Element:
    from lxml import etree

    root = etree.Element(f"{{{X_NS}}}xmpmeta", nsmap={"x": X_NS})
    root.set(f"{{{X_NS}}}xmptk", "hegui")
    etree.SubElement(root, f"{{{RDF_NS}}}RDF", nsmap={"rdf": RDF_NS})
    return root


def set_aigc(packet: bytes | str | None, value: str, *, padding: int = 0, wrapper: bool = True) -> bytes:
    """Return a packet that holds exactly one ``TC260:AIGC`` with ``value`` and everything else of ``packet``.

    ``packet=None`` builds a new packet. ``padding`` adds whitespace before the closing xpacket (for formats that
    edit in place). The result is UTF-8 with the xpacket wrapper, or the bare x:xmpmeta element (``wrapper=False``).
    """
    from lxml import etree

    root = new_packet_root() if packet is None else parse_packet(packet)
    if root.tag == f"{{{RDF_NS}}}RDF":  # a bare rdf:RDF packet: wrap it in x:xmpmeta
        meta = etree.Element(f"{{{X_NS}}}xmpmeta", nsmap={"x": X_NS})
        meta.append(root)
        root = meta
    merge_into(_find_rdf(root), value)
    body = etree.tostring(root, encoding="unicode")
    if not wrapper:  # for documents that embed the x:xmpmeta element itself
        return body.encode("utf-8")
    pad = ("\n" + " " * 99) * (padding // 100) if padding else ""
    text = XPACKET_BEGIN + "\n" + body + "\n" + pad + XPACKET_END_W
    return text.encode("utf-8")


def merge_into(rdf: etree._Element, value: str) -> None:
    """Replace every AIGC property under the ``rdf:RDF`` element ``rdf`` by one holding ``value``, in place."""
    from lxml import etree

    holder = _remove_aigc(rdf)
    if holder is not None and holder.tag == f"{{{RDF_NS}}}Description":
        description = holder
    else:
        description = None
        for candidate in rdf.findall(f"{{{RDF_NS}}}Description"):
            if TC260_NS in (candidate.nsmap or {}).values():
                description = candidate
                break
    if description is None:
        description = etree.SubElement(rdf, f"{{{RDF_NS}}}Description", nsmap={spec.XMP_PREFIX: TC260_NS})
        description.set(f"{{{RDF_NS}}}about", "")
    prop = etree.SubElement(description, _AIGC_TAG, nsmap={spec.XMP_PREFIX: TC260_NS})
    prop.text = value


#: whitespace left before the closing xpacket by writers whose containers can then be relabeled in place (the
#: 2 KiB the XMP specification suggests; a label with propagation fields is about 400 bytes)
PADDING = 2048
_END = XPACKET_END_W.encode("ascii")[:14]  # b'<?xpacket end='


def fit(packet: bytes, size: int) -> bytes | None:
    """``packet`` grown to exactly ``size`` bytes with padding whitespace before its closing xpacket (so it can
    replace a packet of that size where it lies), or None when it does not fit or has no closing xpacket."""
    missing = size - len(packet)
    at = packet.rfind(_END)
    if missing < 0 or at < 0:
        return None
    pad = (b"\n" + b" " * 99) * (missing // 100) + b" " * (missing % 100)
    return packet[:at] + pad + packet[at:]


def packet_for(value: str, *, padding: int = 0) -> bytes:
    """A fresh XMP packet holding only ``TC260:AIGC``."""
    return set_aigc(None, value, padding=padding)
