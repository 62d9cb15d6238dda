"""The fast path of PDF label reading: the few objects a label lives in, found through classic cross-reference
tables without opening the document with qpdf.

Reading a label needs the trailer, the Info dictionary, the Catalog and the XMP metadata stream. For the common
layout (classic ``xref`` tables, as hegui's incremental updates and most writers make them; objects not compressed
into object streams; no encryption; metadata stored without filters) those are found here from ``startxref``, with
a handful of small reads whatever the file size. Anything else (cross-reference streams, hybrid files, an object
that is not where its table says, indirect lengths, filters, encryption, associated files that may hold a C2PA
manifest, strings outside ASCII in PDFDocEncoding) returns None, and the reader falls back to pikepdf, which handles
every case. ``tests/label/test_fast_paths.py`` holds both paths to the same answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hegui.errors import InputError
from hegui.label.containers.base import Source

TAIL = 2048
MAX_TABLE = 256 * 1024  # a cross-reference section larger than this is left to pikepdf
MAX_OBJECT = 256 * 1024  # a dictionary object larger than this is left to pikepdf
MAX_SECTIONS = 32  # /Prev chain length followed
MAX_STREAM = 4 * 1024 * 1024

_STARTXREF = re.compile(rb"startxref\s+(\d{1,15})\s*%%EOF\s*$")
_SUBSECTION = re.compile(rb"(\d{1,10})[ \t]+(\d{1,10})[ \t]*\r?\n")
_WS = b" \t\r\n\x0c\x00"
_DELIMS = b"()<>[]{}/%"
_SPACE = re.compile(rb"(?:[ \t\r\n\x0c\x00]+|%[^\r\n]*)*")
_REGULAR = re.compile(rb"[^ \t\r\n\x0c\x00()<>\[\]{}/%]+")
_PLAIN_RUN = re.compile(rb"[^()\\\r]*")
_INT = re.compile(rb"\d+")
_REAL = re.compile(rb"[+-]?(\d+\.?\d*|\.\d+)")


class Unsupported(Exception):
    """Not the simple layout: let pikepdf read the file."""


@dataclass(frozen=True)
class Ref:
    number: int
    generation: int


@dataclass(frozen=True)
class Name:
    name: str  # without the slash, #xx escapes decoded


@dataclass(frozen=True)
class PdfString:
    data: bytes

    def text(self) -> str:
        """A PDF text string: UTF-16BE or UTF-8 with a byte-order mark, else PDFDocEncoding (ASCII only here)."""
        if self.data.startswith(b"\xfe\xff"):
            return self.data[2:].decode("utf-16-be", errors="replace")
        if self.data.startswith(b"\xef\xbb\xbf"):
            return self.data[3:].decode("utf-8", errors="replace")
        if not self.data.isascii():
            raise Unsupported("PDFDocEncoding beyond ASCII")
        return self.data.decode("ascii")


class Parser:
    """A tokenizer over one buffer for the object syntax of ISO 32000-1 §7.3 (enough for dictionaries)."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def skip(self) -> None:
        """Past white space and comments."""
        match = _SPACE.match(self.data, self.pos)
        if match is not None:
            self.pos = match.end()

    def token(self) -> bytes:
        self.skip()
        match = _REGULAR.match(self.data, self.pos)
        if match is None:
            raise Unsupported("delimiter or end where a token was expected")
        self.pos = match.end()
        return match.group()

    def value(self, depth: int = 0) -> object:
        if depth > 32:
            raise Unsupported("nesting too deep")
        self.skip()
        data = self.data
        if self.pos >= len(data):
            raise Unsupported("end of buffer")
        c = data[self.pos]
        if data.startswith(b"<<", self.pos):
            self.pos += 2
            out: dict[str, object] = {}
            while True:
                self.skip()
                if data.startswith(b">>", self.pos):
                    self.pos += 2
                    return out
                key = self.value(depth + 1)
                if not isinstance(key, Name):
                    raise Unsupported("dictionary key is not a name")
                out[key.name] = self.value(depth + 1)
        if c == 0x2F:  # /Name
            match = _REGULAR.match(data, self.pos + 1)
            raw = match.group() if match is not None else b""
            self.pos = match.end() if match is not None else self.pos + 1
            if b"#" in raw:
                raw = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)
            return Name(raw.decode("latin-1"))
        if c == 0x28:  # (literal string)
            return PdfString(self._literal())
        if c == 0x3C:  # <hex string>
            end = data.find(b">", self.pos)
            if end < 0:
                raise Unsupported("unterminated hex string")
            digits = data[self.pos + 1 : end].translate(None, _WS)
            self.pos = end + 1
            if len(digits) % 2:
                digits += b"0"
            try:
                return PdfString(bytes.fromhex(digits.decode("ascii")))
            except ValueError as exc:
                raise Unsupported("bad hex string") from exc
        if c == 0x5B:  # [array]
            self.pos += 1
            items: list[object] = []
            while True:
                self.skip()
                if data.startswith(b"]", self.pos):
                    self.pos += 1
                    return items
                items.append(self.value(depth + 1))
        word = self.token()
        if word in (b"true", b"false"):
            return word == b"true"
        if word == b"null":
            return None
        if _INT.fullmatch(word):  # an integer, or the start of "n g R"
            save = self.pos
            try:
                second = self.token()
                third = self.token()
            except Unsupported:
                self.pos = save
                return int(word)
            if _INT.fullmatch(second) and third == b"R":
                return Ref(int(word), int(second))
            self.pos = save
            return int(word)
        if _REAL.fullmatch(word):
            return float(word) if b"." in word else int(word)
        raise Unsupported(f"unexpected token {word[:20]!r}")

    def _literal(self) -> bytes:
        data = self.data
        self.pos += 1
        depth = 1
        out = bytearray()
        escapes = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}
        while self.pos < len(data):
            run = _PLAIN_RUN.match(data, self.pos)
            if run is not None and run.end() > self.pos:  # bytes that need no decoding, taken at once
                out += run.group()
                self.pos = run.end()
                continue
            c = data[self.pos]
            self.pos += 1
            if c == 0x5C:  # backslash
                if self.pos >= len(data):
                    break
                e = data[self.pos]
                self.pos += 1
                if e in escapes:
                    out.append(escapes[e])
                elif 0x30 <= e <= 0x37:
                    digits = bytes([e])
                    while len(digits) < 3 and self.pos < len(data) and 0x30 <= data[self.pos] <= 0x37:
                        digits += data[self.pos : self.pos + 1]
                        self.pos += 1
                    out.append(int(digits, 8) & 0xFF)
                elif e == 0x0D:  # line continuation
                    if self.pos < len(data) and data[self.pos] == 0x0A:
                        self.pos += 1
                elif e == 0x0A:
                    pass
                else:
                    out.append(e)
            elif c == 0x28:
                depth += 1
                out.append(c)
            elif c == 0x29:
                depth -= 1
                if depth == 0:
                    return bytes(out)
                out.append(c)
            elif c == 0x0D:  # an end of line in a string is read as \n
                if self.pos < len(data) and data[self.pos] == 0x0A:
                    self.pos += 1
                out.append(0x0A)
            else:
                out.append(c)
        raise Unsupported("unterminated string")


class Document:
    """The latest revision's objects of a file with classic cross-reference tables."""

    def __init__(self, src: Source) -> None:
        self.src = src
        tail_len = min(src.size, TAIL)
        tail = src.read_at(src.size - tail_len, tail_len, what="file tail")
        match = _STARTXREF.search(tail)
        if match is None:
            raise Unsupported("no startxref at the very end")
        self.offsets: dict[int, tuple[int, int]] = {}  # number -> (offset, generation); first seen wins
        self.freed: set[int] = set()
        self.trailer: dict[str, object] = {}
        offset: int | None = int(match.group(1))
        seen: set[int] = set()
        while offset is not None:
            if offset in seen or len(seen) >= MAX_SECTIONS or offset >= src.size:
                raise Unsupported("xref chain loops or points outside the file")
            seen.add(offset)
            trailer = self._section(offset)
            if not self.trailer:
                self.trailer = trailer
            if "XRefStm" in trailer or "Encrypt" in trailer:
                raise Unsupported("hybrid or encrypted file")
            prev = trailer.get("Prev")
            offset = prev if isinstance(prev, int) else None

    def _section(self, offset: int) -> dict[str, object]:
        length = min(MAX_TABLE, self.src.size - offset)
        data = self.src.read_at(offset, length, what="cross-reference section")
        if not data.startswith(b"xref"):
            raise Unsupported("not a classic cross-reference table")
        pos = 4
        while True:
            while pos < len(data) and data[pos] in _WS:
                pos += 1
            if data.startswith(b"trailer", pos):
                parser = Parser(data, pos + 7)
                trailer = parser.value()
                if not isinstance(trailer, dict):
                    raise Unsupported("trailer is not a dictionary")
                return trailer
            match = _SUBSECTION.match(data, pos)
            if match is None:
                raise Unsupported("bad subsection header")
            first, count = int(match.group(1)), int(match.group(2))
            pos = match.end()
            end = pos + 20 * count
            if end > len(data):
                raise Unsupported("table larger than the window")
            for i in range(count):
                entry = data[pos + 20 * i : pos + 20 * i + 20]
                number = first + i
                if number in self.offsets or number in self.freed:
                    continue  # a later section (read first) already said where this object is
                kind = entry[17:18]
                if kind == b"n":
                    self.offsets[number] = (int(entry[0:10]), int(entry[11:16]))
                elif kind == b"f":
                    self.freed.add(number)
                else:
                    raise Unsupported("bad table entry")
            pos = end

    def get(self, ref: object) -> tuple[object, Parser]:
        """The object ``ref`` points at (a value, or a dictionary), and the parser positioned after it."""
        if not isinstance(ref, Ref) or ref.number not in self.offsets:
            raise Unsupported("not an indirect object in the tables")
        offset, generation = self.offsets[ref.number]
        if generation != ref.generation or offset >= self.src.size:
            raise Unsupported("generation mismatch")
        data = self.src.read_at(offset, min(MAX_OBJECT, self.src.size - offset), what="object")
        parser = Parser(data)
        head = (parser.token(), parser.token(), parser.token())
        if head != (b"%d" % ref.number, b"%d" % ref.generation, b"obj"):
            raise Unsupported("the table points elsewhere (damaged file)")
        return parser.value(), parser

    def stream(self, ref: object, *, limit: int) -> tuple[dict[str, object], bytes]:
        """A stream stored without filters: its dictionary and bytes."""
        head, parser = self.get(ref)
        if not isinstance(head, dict):
            raise Unsupported("not a stream")
        length = head.get("Length")
        if not isinstance(length, int) or length < 0 or length > limit:
            raise Unsupported("indirect or large stream length")
        if head.get("Filter") not in (None, []) or "F" in head:
            raise Unsupported("filtered or external stream")
        parser.skip()
        data = parser.data
        if not data.startswith(b"stream", parser.pos):
            raise Unsupported("no stream keyword")
        start = parser.pos + 6
        if data.startswith(b"\r\n", start):
            start += 2
        elif data.startswith(b"\n", start):
            start += 1
        else:
            raise Unsupported("stream keyword not followed by an end of line")
        assert isinstance(ref, Ref)
        base = self.offsets[ref.number][0]
        return head, self.src.read_at(base + start, length, what="metadata stream")


@dataclass
class Fast:
    """What the reader needs: the Info dictionary's string entries (key with its slash -> text) and the XMP packet
    (or None). Only files whose Catalog has no associated files (where a C2PA manifest would be) get here."""

    info: dict[str, str]
    packet: bytes | None


def read_fast(src: Source) -> Fast | None:
    """The Info dictionary's string entries and the XMP packet, or None when pikepdf must read the file."""
    try:
        doc = Document(src)
        root_ref = doc.trailer.get("Root")
        root, _ = doc.get(root_ref)
        if not isinstance(root, dict) or "AF" in root:
            return None
        info: dict[str, str] = {}
        info_ref = doc.trailer.get("Info")
        if info_ref is not None:
            info_obj, _ = doc.get(info_ref) if isinstance(info_ref, Ref) else (info_ref, None)
            if not isinstance(info_obj, dict):
                return None
            for key, value in info_obj.items():
                if isinstance(value, PdfString):
                    info["/" + key] = value.text()
                elif "AIGC" in key.upper():
                    return None  # a label value that is not a string: pikepdf renders it
        packet = None
        metadata = root.get("Metadata")
        if metadata is not None:
            if not isinstance(metadata, Ref):
                return None
            _, packet = doc.stream(metadata, limit=MAX_STREAM)
        return Fast(info, packet)
    except (Unsupported, InputError, ValueError, OverflowError, RecursionError):
        return None  # pikepdf reads it (and names what is wrong, if anything is)
