"""SVG: XMP (``rdf:RDF`` with ``TC260:AIGC``) inside the ``<metadata>`` element, the SVG way of carrying XMP
(Inkscape writes ``rdf:RDF`` there directly, and ExifTool reads that as ``XMP-TC260:AIGC``; an ``x:xmpmeta``
wrapper is read too).

Edited as text so the drawing's markup stays byte for byte: an existing ``x:xmpmeta`` or ``rdf:RDF`` element is cut
out, merged through :mod:`hegui.label.xmp` (other XMP properties kept) and put back in the same place; otherwise a
new ``rdf:RDF`` goes into ``<metadata>`` (created right after the root ``<svg>`` start tag when missing). Parsing uses lxml with entity
resolution, DTD loading and network access off; an internal DTD subset with entity declarations is refused.
Compressed ``.svgz`` files are gzip streams and are not recognised as SVG. Files over 256 KiB are read without
parsing all of them: parsing stops past the last ``AIGC`` in the file (see :func:`_stream_hits`), so damage after
it is not reported when reading (writing still parses the whole file).
"""

from __future__ import annotations

import codecs
import mmap
import re
from typing import TYPE_CHECKING, BinaryIO

from hegui.label import xmp
from hegui.label.containers.base import Container, Found, Source, found_from_value
from hegui.label.record import Finding, Record

# lxml is imported where a document is parsed or built: detection, which tries this handler on every text file
# before Markdown and HTML, needs none.
if TYPE_CHECKING:
    from lxml import etree

MAX_FILE = 64 * 1024 * 1024
SVG_NS = "http://www.w3.org/2000/svg"
_XMPMETA = re.compile(r"<(?P<prefix>[\w.-]+:)?xmpmeta\b.*?</(?P=prefix)?xmpmeta\s*>", re.DOTALL)
_RDF = re.compile(r"<(?P<prefix>[\w.-]+:)?RDF\b.*?</(?P=prefix)?RDF\s*>", re.DOTALL)
_METADATA_OPEN = re.compile(r"<(?P<prefix>[\w.-]+:)?metadata\b[^>]*?(?P<selfclose>/?)>")
_SVG_OPEN = re.compile(r"<(?P<prefix>[\w.-]+:)?svg\b[^>]*>")
_COMMENTS = re.compile(r"<!--.*?-->", re.DOTALL)


def _parser() -> etree.XMLParser:
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _load(src: Source) -> tuple[str, etree._Element]:
    from lxml import etree

    data = src.read_all(limit=MAX_FILE)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise src.error(f"SVG is not UTF-8: {exc.reason}", exc.start) from exc
    if _ENTITY.search(data):  # case-insensitive, without an upper-cased copy of the text
        raise src.error("SVG declares entities in its DTD; refused (possible entity-expansion attack)")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise src.error(f"SVG is not well-formed XML: {exc}") from exc
    if root is None or etree.QName(root).localname != "svg":
        raise src.error("the root element is not <svg>")
    return text, root


STREAM_OVER = 256 * 1024  # larger files are read by _stream_hits, from their head up to the last "AIGC"
FEED_CHUNK = 4 * 1024
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)


def _stream_hits(src: Source) -> list[xmp.XmpHit]:
    """The AIGC properties of a large SVG without parsing all of it: reading time follows the label's position.

    The last ``AIGC`` in the file (found at memory speed) bounds where a label can be. The document is parsed
    incrementally from its start until the parser has gone past that point (an element starting on a later line
    than it has been reported), so every AIGC element and attribute is complete in the partial tree; the rest of
    the file is not parsed. The same checks as for a whole file apply to the part parsed: UTF-8, no entity
    declarations (a DTD can only come before the root element), well-formed XML, an ``<svg>`` root.
    """
    from lxml import etree

    with mmap.mmap(src.fd, 0, access=mmap.ACCESS_READ) as view:
        last = view.rfind(b"AIGC")
        target_line: int | None = None
        parser = etree.XMLPullParser(
            events=("start",), resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
        )
        decoder = codecs.getincrementaldecoder("utf-8")()
        root: etree._Element | None = None
        lines = 1  # line number at ``fed``
        fed = 0
        done = False
        while fed < src.size and not done:
            end = min(src.size, max(fed + FEED_CHUNK, last + FEED_CHUNK if fed <= last else 0))
            chunk = view[fed:end]
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk, final=end == src.size)
            except UnicodeDecodeError as exc:
                raise src.error(f"SVG is not UTF-8: {exc.reason}", fed - pending + exc.start) from exc
            if _ENTITY.search(view, max(0, fed - 8), end):
                raise src.error(
                    "SVG declares entities in its DTD; refused (possible entity-expansion attack)"
                )
            if target_line is None and last >= 0 and fed <= last < end:
                target_line = lines + chunk.count(b"\n", 0, last - fed)
            lines += chunk.count(b"\n")
            fed = end
            try:
                parser.feed(chunk)
                for _, element in parser.read_events():
                    if root is None:
                        root = element
                        if etree.QName(root).localname != "svg":
                            raise src.error("the root element is not <svg>")
                    if fed > last + 4 and (target_line is None or (element.sourceline or 0) > target_line):
                        done = True  # past the last "AIGC": every label is complete in the tree
            except etree.XMLSyntaxError as exc:
                raise src.error(f"SVG is not well-formed XML: {exc}") from exc
        if not done:
            try:
                parser.close()
            except etree.XMLSyntaxError as exc:
                raise src.error(f"SVG is not well-formed XML: {exc}") from exc
        attributes = xmp.might_hold_aigc_attribute(view[:fed])
    if root is None:
        raise src.error("the root element is not <svg>")
    return xmp.find_aigc_in_tree(root, attributes=attributes)


def _masked(text: str) -> str:
    """The text with comments blanked out (same length), so regexes never match inside a comment."""
    return _COMMENTS.sub(lambda m: " " * len(m.group(0)), text)


class SvgContainer(Container):
    name = "svg"
    extensions = (".svg",)
    media_type = "image/svg+xml"

    def sniff(self, head: bytes, name: str) -> bool:
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        if start.startswith(b"<svg"):
            return True
        return name.lower().endswith(".svg") and start.startswith((b"<?xml", b"<!--", b"<!DOCTYPE", b"<svg"))

    def scan(self, src: Source) -> list[Found]:
        if src.size > STREAM_OVER:
            if src.size > MAX_FILE:
                src.read_all(limit=MAX_FILE)  # the same limit error as for a whole parse
            hits = _stream_hits(src)
        else:
            text, root = _load(src)
            hits = xmp.find_aigc_in_tree(root, attributes=xmp.might_hold_aigc_attribute(text))
        return [
            found_from_value(self.name, "metadata XMP TC260:AIGC", hit.value, form=hit.form) for hit in hits
        ]

    def render(self, src: Source, dst: BinaryIO, record: Record) -> list[Finding]:
        text, root = _load(src)
        masked = _masked(text)
        value = record.to_json()
        existing = _XMPMETA.search(masked) or _RDF.search(masked)
        if existing is not None:
            fragment = _merge_fragment(
                src, text[existing.start() : existing.end()], root, value, existing.start()
            )
            new_text = text[: existing.start()] + fragment + text[existing.end() :]
        else:
            element = _new_rdf(value)
            metadata = _METADATA_OPEN.search(masked)
            if metadata is not None and not metadata.group("selfclose"):
                new_text = text[: metadata.end()] + element + text[metadata.end() :]
            elif metadata is not None:  # <metadata/>
                prefix = metadata.group("prefix") or ""
                opening = masked[metadata.start() : metadata.end() - 2].rstrip() + ">"
                new_text = (
                    text[: metadata.start()]
                    + opening
                    + element
                    + f"</{prefix}metadata>"
                    + text[metadata.end() :]
                )
            else:
                svg = _SVG_OPEN.search(masked)
                if svg is None:
                    raise src.error("no <svg> start tag found")
                if svg.group(0).endswith("/>"):
                    raise src.error("the <svg> element is empty (<svg/>); nothing to label")
                prefix = svg.group("prefix") or ""
                block = f"<{prefix}metadata>{element}</{prefix}metadata>"
                new_text = text[: svg.end()] + block + text[svg.end() :]
        dst.write(new_text.encode("utf-8"))
        return []


def _new_rdf(value: str) -> str:
    from lxml import etree

    rdf = etree.Element(f"{{{xmp.RDF_NS}}}RDF", nsmap={"rdf": xmp.RDF_NS})
    xmp.merge_into(rdf, value)
    return str(etree.tostring(rdf, encoding="unicode"))


def _merge_fragment(src: Source, fragment: str, root: etree._Element, value: str, offset: int) -> str:
    """Merge the label into an x:xmpmeta or rdf:RDF fragment of the SVG text; namespaces the fragment inherits
    from the document (Inkscape declares ``xmlns:rdf`` on the root) are supplied by a wrapper element."""
    from lxml import etree

    declarations = "".join(
        f' xmlns:{prefix}="{uri}"' if prefix else f' xmlns="{uri}"' for prefix, uri in root.nsmap.items()
    )
    try:
        holder = etree.fromstring(f"<hegui-wrap{declarations}>{fragment}</hegui-wrap>".encode(), _parser())
    except etree.XMLSyntaxError as exc:
        raise src.error(f"the XMP in <metadata> does not parse: {exc}", offset) from exc
    element = holder[0]
    rdf = element if etree.QName(element).localname == "RDF" else element.find(f".//{{{xmp.RDF_NS}}}RDF")
    if rdf is None:
        raise src.error("the x:xmpmeta in <metadata> has no rdf:RDF", offset)
    xmp.merge_into(rdf, value)
    return str(etree.tostring(element, encoding="unicode"))


CONTAINERS: tuple[Container, ...] = (SvgContainer(),)
