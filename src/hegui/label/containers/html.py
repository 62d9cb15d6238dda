"""HTML: ``<meta name="AIGC" content="{json}">`` in the head (reference §2.7, text and documents: the practice of a
Kotlin exporter; HTML has no file-metadata container in the TC260 guides).

Edited as bytes, not re-serialised through an HTML library, so the page's own markup stays byte for byte: existing
AIGC meta elements are cut out at the spans the tokenizer reports, and one new element goes right after ``<head>``.
The inserted element is pure ASCII (the JSON's quotes are written as ``&quot;``), so the edit is safe in every
ASCII-compatible encoding (UTF-8, GB 18030, GBK, Big5, Latin-1); UTF-16 pages are refused with a clear error.
Reading looks at the head only (everything before the ``<body>`` start tag, where ``<meta name>`` belongs), so its
time does not depend on the page's size; see :func:`_find_in_head`.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import BinaryIO

from hegui.label import spec
from hegui.label.containers.base import READ_AHEAD, Container, Found, Source, found_from_value
from hegui.label.record import Finding, Record

MAX_FILE = 64 * 1024 * 1024
_SNIFF = re.compile(
    rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|meta|title|body)\b", re.IGNORECASE | re.DOTALL
)
_HEAD_OPEN = re.compile(rb"<head(\s[^>]*)?>", re.IGNORECASE)
_HTML_OPEN = re.compile(rb"<html(\s[^>]*)?>", re.IGNORECASE)
_CHARSET_META = re.compile(rb"<meta\s[^>]*charset[^>]*>", re.IGNORECASE)


class _MetaFinder(HTMLParser):
    """Collect AIGC meta elements with their (line, column) start positions."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hits: list[tuple[tuple[int, int], str, str]] = []  # (position, raw tag text, content)
        self.xhtml = False
        self.body: tuple[int, int] | None = None  # (line, column) of the first <body> start tag

    def _body(self, tag: str) -> None:
        if tag == "body" and self.body is None:
            self.body = self.getpos()

    def _meta(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta":
            return
        values = {k.lower(): (v or "") for k, v in attrs}
        if values.get("name", "").strip().lower() == spec.FIELD_NAME.lower():
            raw = self.get_starttag_text() or ""
            self.hits.append((self.getpos(), raw, values.get("content", "")))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._body(tag)
        self._meta(tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.xhtml = True
        self._body(tag)
        self._meta(tag, attrs)

    def close(self) -> None:
        """End of input. What is left unparsed here is one construct the page never finished (a tag without its
        ``>``, an open comment, script or character reference). html.parser's own end-of-file handling (Python <
        3.13.4) re-scans that rest once per ``<`` in it, which is quadratic (``<a`` 100,000 times took over a
        minute); a browser drops an unfinished tag and closes an open comment at end of file, and neither can
        hold a meta element, so the rest is dropped in linear time."""
        self.rawdata = ""
        super().close()


def _text(src: Source) -> tuple[bytes, str]:
    data = src.read_all(limit=MAX_FILE)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise src.error("UTF-16 HTML is not supported; convert it to UTF-8")
    # latin-1 maps every byte to one character, so character offsets equal byte offsets.
    return data, data.decode("latin-1")


def _find(src: Source) -> tuple[bytes, list[tuple[int, int, str]], bool]:
    """The file bytes, the byte spans and contents of AIGC meta elements, and whether the page is XHTML-style."""
    data, text = _text(src)
    finder = _MetaFinder()
    try:
        finder.feed(text)
        finder.close()
    except (AssertionError, ValueError) as exc:  # html.parser's own failure modes on garbage
        raise src.error(f"HTML does not tokenize: {exc}") from exc
    return data, _spans(finder, text), finder.xhtml


def _find_for_write(src: Source) -> tuple[bytes, list[tuple[int, int, str]], bool]:
    """:func:`_find`, skipping the tokenizer when the page cannot hold an AIGC meta element anywhere: neither
    "aigc" (any case) nor a character reference (which could spell it) occurs in its bytes."""
    data = src.read_all(limit=MAX_FILE)
    lowered = data.lower()
    if b"aigc" in lowered or b"&#" in lowered or data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _find(src)
    return data, [], _SELF_CLOSING.search(data) is not None


# A start tag closed with "/>" (what html.parser reports as a start-end tag, i.e. XHTML-style markup).
_SELF_CLOSING = re.compile(rb"<[A-Za-z][^<>]*/>")

# Each "<body" met inside an unfinished construct feeds the tokenizer again, and it re-scans that construct from its
# start: after this many, the rest is fed at once (linear time; a page written to defeat the head cut-off).
MAX_REFEEDS = 32
HEAD_WINDOW = 64 * 1024  # bytes read first when looking for the head's end; most heads fit
# "<body" ended the way html.parser ends a tag name (so "<bodyx" and "<body\v" are not matched).
_BODY_OPEN = re.compile(rb"<body[\t\n\r\f />\x00]", re.IGNORECASE)


def _spans(finder: _MetaFinder, text: str) -> list[tuple[int, int, str]]:
    """Byte spans and contents of the AIGC meta elements ``finder`` saw in ``text`` (one byte per character)."""
    if not finder.hits:
        return []
    line_starts = [0]
    for match in re.finditer("\n", text):
        line_starts.append(match.end())
    spans: list[tuple[int, int, str]] = []
    for (line, col), raw, content in finder.hits:
        start = line_starts[line - 1] + col
        spans.append((start, start + len(raw), content))
    return spans


# ---- the fast path: a head made only of simple markup -----------------------------------------------------------
#
# Most heads (and every head hegui writes) are a few plain tokens: text without markup, start and end tags with
# ASCII names and attributes whose values hold no "<" or ">", simple comments, a doctype. For such a head the tokens
# html.parser reports are fixed by the bytes: every "<" starts a token, every token ends at the first ">" after it,
# and the first "<body" is where the body starts, at a clean tokenizer state. _SIMPLE_HEAD accepts exactly such a
# head (one regular-expression match, possessive so it never backtracks across tokens); the AIGC meta elements are
# then read from it directly. A head with anything else (a "<" or "&" in text, an unusual tag or attribute form,
# script or style content holding "<", a CDATA section, a long or self-closed raw-text element, no "<body" in the
# first window) goes through html.parser as before. Elements whose content any html.parser version treats as raw
# text (script, style, and the RCDATA / raw-text elements of newer versions) are accepted only with content free of
# "<", which every version reads as plain text up to the end tag. tests/label/test_fast_paths.py holds the two
# paths to the same answers.
_WS = rb"[ \t\n\r\f]"
_ATTR_NAME = rb"[a-zA-Z_:][-a-zA-Z0-9_:.]*"
_ATTR_VALUE = rb"""(?:"[^"<>]*+"|'[^'<>]*+'|[-a-zA-Z0-9_.:]++(?=[ \t\n\r\f>]))"""
_ATTRS = rb"(?:" + _WS + rb"++" + _ATTR_NAME + rb"(?:=" + _ATTR_VALUE + rb")?)*+" + _WS + rb"*+"
_RAW_TEXT = (
    b"script",
    b"style",
    b"title",
    b"textarea",
    b"xmp",
    b"iframe",
    b"noembed",
    b"noframes",
    b"noscript",
)
_START_TAG = (
    rb"<(?!(?:" + b"|".join(_RAW_TEXT) + rb"|plaintext)(?![a-z0-9]))[a-z][a-z0-9]*+" + _ATTRS + rb"/?>"
)
# A raw-text element whole, its content free of "<" (one alternative per name: possessive repeats and groups clash).
_RAW_TEXT_ELEMENTS = b"".join(
    rb"|<" + name + _ATTRS + rb">[^<]*+</" + name + _WS + rb"*+>" for name in _RAW_TEXT
)
_END_TAG = rb"</[a-z][a-z0-9]*+" + _WS + rb"*+>"
_SIMPLE_HEAD = re.compile(
    rb"(?i)(?:"
    rb"[^<&]++"  # text
    rb"|(?=<[a-z])(?:"
    + _START_TAG
    + _RAW_TEXT_ELEMENTS
    + rb")"  # tags by their second byte: one branch tried
    rb"|(?=</)" + _END_TAG + rb"|(?=<!)(?:<!--(?:[^-<>!]|-(?!-))*+-->"  # comment
    rb"|<!doctype[^<>]*+>)"
    rb"|<\?[^<>]*+>"  # processing instruction (<?xml ...?>)
    rb")*+"
)
_META_START = re.compile(rb"(?i)<meta(?=[ \t\n\r\f/>])")
# One attribute of a start tag _SIMPLE_HEAD has accepted (so its quoted values hold no "<" or ">"): the quoted
# forms are matched with single-character negated classes, which the regular-expression engine scans many times
# faster than _ATTR_VALUE's three-character ones, to the same end.
_ATTR = re.compile(
    _WS + rb"++(" + _ATTR_NAME + rb""")(?:=("[^"]*+"|'[^']*+'|[-a-zA-Z0-9_.:]++(?=[ \t\n\r\f>])))?"""
)


def _unescape_value(value: str) -> str:
    """``html.unescape`` (what html.parser applies to attribute values); a value whose only references are
    ``&quot;`` (the JSON hegui writes) is unescaped by one replace."""
    if "&" not in value:
        return value
    replaced = value.replace("&quot;", '"')
    return replaced if "&" not in replaced else html.unescape(value)


def _simple_head(window: bytes) -> list[tuple[int, int, str]] | None:
    """The byte spans and contents of the AIGC meta elements of a simple head (see above), in order; None when
    the head is not simple (html.parser then reads it)."""
    body = _BODY_OPEN.search(window)
    if body is None:
        return None
    cut = body.start()
    if _SIMPLE_HEAD.fullmatch(window, 0, cut) is None:
        return None
    hits: list[tuple[int, int, str]] = []
    for tag in _META_START.finditer(window, 0, cut):
        pos = tag.end()
        end = window.index(b">", pos) + 1  # no attribute value of a simple head holds a ">"
        attributes = window[pos:end]
        if b"&" not in attributes and b"aigc" not in attributes.lower():
            continue  # its name cannot read "AIGC" (no reference could spell it either)
        values: dict[str, str] = {}
        while (attr := _ATTR.match(window, pos, cut)) is not None:
            pos = attr.end()
            name, raw = attr.group(1, 2)
            value = ""
            if raw:
                value = raw.decode("latin-1")
                if value[0] in "\"'":
                    value = value[1:-1]
                if value:
                    value = _unescape_value(value)
            values[name.decode("ascii").lower()] = value
        if values.get("name", "").strip().lower() == spec.FIELD_NAME.lower():
            hits.append((tag.start(), end, values.get("content", "")))
    return hits


def _find_in_head(src: Source) -> list[tuple[int, int, str]]:
    """The AIGC meta elements before the ``<body>`` start tag: reading time does not depend on the page's size.

    A ``<meta name>`` belongs in the head (HTML §4.2.5), which ends where the body starts. The page is tokenized
    up to the first ``<body`` that the tokenizer reaches in a clean state (not inside a comment, script, style or
    an unfinished tag, so a ``<body`` written in a comment or an attribute value does not end the head early).
    A page without such a ``<body`` is tokenized whole, and then only the elements before a ``<body>`` start tag
    the tokenizer saw count. Writing still removes stray AIGC meta elements anywhere in the page.
    """
    if src.size > MAX_FILE:
        src.read_all(limit=MAX_FILE)  # raises the same limit error as before
    # The first READ_AHEAD bytes were read by detection: a head that ends within them costs no further read (the
    # first "<body" in them is the first in any longer window).
    head = src.read_at(0, min(src.size, READ_AHEAD), what="HTML head")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise src.error("UTF-16 HTML is not supported; convert it to UTF-8")
    simple = _simple_head(head)
    if simple is not None:
        return simple
    window = src.read_at(0, min(src.size, HEAD_WINDOW), what="HTML head") if src.size > len(head) else head
    if len(window) > len(head):
        simple = _simple_head(window)
        if simple is not None:
            return simple
    data = window
    finder = _MetaFinder()
    fed = 0
    search_from = 0
    refeeds = 0
    try:
        while True:
            body = _BODY_OPEN.search(data, search_from)
            if body is not None and refeeds >= MAX_REFEEDS:
                body = None  # many "<body" inside one unfinished construct: tokenize the rest in one go
                if len(data) < src.size:
                    data = src.read_all(limit=MAX_FILE)
            if body is None and len(data) < src.size:
                data = src.read_all(limit=MAX_FILE)  # the head is longer than the window: read on
                continue
            cut = body.start() if body is not None else len(data)
            finder.feed(data[fed:cut].decode("latin-1"))
            fed = cut
            if body is None:
                finder.close()
                break
            if not finder.rawdata and finder.cdata_elem is None:  # a clean tag boundary: the body starts here
                break
            search_from = body.end()
            refeeds += 1
    except (AssertionError, ValueError) as exc:  # html.parser's own failure modes on garbage
        raise src.error(f"HTML does not tokenize: {exc}") from exc
    if finder.body is not None:  # tokenized past the body's start (no clean cut before it): drop what follows
        body_at = finder.body
        finder.hits = [hit for hit in finder.hits if hit[0] < body_at]
    return _spans(finder, data[:fed].decode("latin-1"))


def _decode_content(raw_content: str) -> str:
    # The tokenizer saw latin-1 characters; the page itself is UTF-8 or another ASCII-compatible encoding.
    try:
        return raw_content.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return raw_content


class HtmlContainer(Container):
    name = "html"
    extensions = (".html", ".htm", ".xhtml")
    media_type = "text/html"

    def sniff(self, head: bytes, name: str) -> bool:
        if name.lower().endswith(self.extensions):
            return True
        return bool(_SNIFF.match(head.lstrip(b"\xef\xbb\xbf")))

    def scan(self, src: Source) -> list[Found]:
        spans = _find_in_head(src)
        return [
            found_from_value(self.name, 'meta name="AIGC"', _decode_content(content), offset=start)
            for start, _, content in spans
        ]

    def render(self, src: Source, dst: BinaryIO, record: Record) -> list[Finding]:
        data, spans, xhtml = _find_for_write(src)
        close = " />" if xhtml else ">"
        tag = f'<meta name="{spec.FIELD_NAME}" content="{html.escape(record.to_json(), quote=True)}"{close}'
        element = tag.encode("ascii")
        # Cut out every old AIGC meta element (one label per file), in one pass (linear in the page and the count).
        pieces: list[bytes] = []
        pos = 0
        for start, end, _ in sorted(spans):
            if start >= pos:
                pieces.append(data[pos:start])
                pos = end
        pieces.append(data[pos:])
        data = b"".join(pieces)
        insert_at, prefix, suffix = self._insertion_point(data)
        dst.write(data[:insert_at] + prefix + element + suffix + data[insert_at:])
        return []

    @staticmethod
    def _insertion_point(data: bytes) -> tuple[int, bytes, bytes]:
        """After <meta charset> if the head has one (it must stay within the first 1024 bytes), else after <head>."""
        head = _HEAD_OPEN.search(data)
        if head is not None:
            charset = _CHARSET_META.search(data, head.end())
            close = data.lower().find(b"</head", head.end())
            if charset is not None and (close < 0 or charset.start() < close):
                return charset.end(), b"", b""
            return head.end(), b"", b""
        opening = _HTML_OPEN.search(data)
        if opening is not None:
            return opening.end(), b"<head>", b"</head>"
        doctype = re.match(rb"\s*<!doctype[^>]*>", data, re.IGNORECASE)
        return (doctype.end() if doctype else 0), b"", b"\n"


CONTAINERS: tuple[Container, ...] = (HtmlContainer(),)
