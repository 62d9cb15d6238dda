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
from typing import NamedTuple

from hegui.errors import InputError
from hegui.label.containers.base import Source

TAIL = 2048
MAX_TABLE = 256 * 1024  # a cross-reference section larger than this is left to pikepdf
MAX_OBJECT = 256 * 1024  # a dictionary object larger than this is left to pikepdf
MAX_SECTIONS = 32  # /Prev chain length followed
MAX_STREAM = 4 * 1024 * 1024
FIRST_READ = 4096  # bytes read first for a section or an object; more only when it is longer

_STARTXREF = re.compile(rb"startxref\s+(\d{1,15})\s*%%EOF\s*$")
_SUBSECTION = re.compile(rb"(\d{1,10})[ \t]+(\d{1,10})[ \t]*\r?\n")
_WS = b" \t\r\n\x0c\x00"
_DELIMS = b"()<>[]{}/%"
_SPACE = re.compile(rb"(?:[ \t\r\n\x0c\x00]+|%[^\r\n]*)*")
_REGULAR = re.compile(rb"[^ \t\r\n\x0c\x00()<>\[\]{}/%]+")
_PLAIN_RUN = re.compile(rb"[^()\\\r]*")
_INT = re.compile(rb"\d+")
_REAL = re.compile(rb"[+-]?(\d+\.?\d*|\.\d+)")
_W = rb"[ \t\r\n\x0c\x00]"
_R = rb"[^ \t\r\n\x0c\x00()<>\[\]{}/%]"
# One token after white space and comments; the group that matched says which (Parser.value). A reference
# "n g R" is one token here (its R must end there); a literal string without escapes, nested parentheses or
# carriage returns is taken whole, others are decoded by Parser._literal.
_TOKEN = re.compile(
    rb"(?:" + _W + rb"+|%[^\r\n]*)*(?:"
    rb"(<<)|(>>)|(\[)|(\])"  # 1-4
    rb"|/(" + _R + rb"*)"  # 5 name
    rb"|\(([^()\\\r]*)\)"  # 6 plain literal string
    rb"|(\()"  # 7 other literal string
    rb"|<([0-9A-Fa-f \t\r\n\x0c\x00]*)>"  # 8 hex string
    rb"|((\d{1,10})" + _W + rb"+(\d{1,10})" + _W + rb"+R(?!" + _R + rb"))"  # 9 reference (10, 11)
    rb"|(" + _R + rb"+)"  # 12 other: number, true, false, null
    rb")"
)
# A dictionary entry whose value is one simple token (a name, a plain literal string, a reference, a number or
# keyword), as one match: exactly the two tokens _TOKEN would give one after the other. Only white space may come
# before the key and between key and value (a comment there: _TOKEN reads the entry), the key is taken whole
# ((?!R): no shorter key that would leave a regular character for the value), and the value alternatives are
# _TOKEN's, in its order, each taken whole.
_PAIR = re.compile(
    _W + rb"*/(" + _R + rb"*)(?!" + _R + rb")" + _W + rb"*(?:"
    rb"(/" + _R + rb"*)"  # 2 name (with its slash, as in _FLAT_ENTRY: decoded by _flat_value)
    rb"|(\([^()\\\r]*\))"  # 3 plain literal string (with its parentheses)
    rb"|(\d{1,10})" + _W + rb"+(\d{1,10})" + _W + rb"+R(?!" + _R + rb")"  # 4, 5 reference
    rb"|(" + _R + rb"+)"  # 6 other: number, true, false, null
    rb")"
)
# A flat dictionary: entries whose values are simple tokens or arrays of simple tokens and hex strings, white space
# only between them (no comments, no nested dictionaries). The trailer, Catalog, Info and metadata stream
# dictionaries a label read needs are such dictionaries; one match checks the whole dictionary and _FLAT_ENTRY /
# _FLAT_ITEM take it apart, giving exactly what the token loop gives (every run of regular characters is taken
# whole, as _TOKEN takes it; references before numbers, as in _TOKEN). Anything else goes through the token loop.
_RUN = _R + rb"*+"  # possessive: a name or word is never cut short
_SIMPLE = (
    rb"(?:/" + _RUN + rb"|\([^()\\\r]*+\)"
    rb"|\d{1,10}" + _W + rb"+\d{1,10}" + _W + rb"+R(?!" + _R + rb")|" + _R + rb"++)"
)
_ITEM = rb"(?:<[0-9A-Fa-f \t\r\n\x0c\x00]*+>|" + _SIMPLE + rb")"
_FLAT_DICT = re.compile(
    _W
    + rb"*+<<(?:"
    + _W
    + rb"*+/"
    + _RUN
    + _W
    + rb"*+(?:"
    + _SIMPLE
    + rb"|\[(?:"
    + _W
    + rb"*+"
    + _ITEM
    + rb")*+"
    + _W
    + rb"*+\]))*+"
    + _W
    + rb"*+>>"
)
# _FLAT_ENTRY and _FLAT_ITEM are read with findall (a tuple per entry, no match object: about 20 % faster on the few
# dictionaries a read parses), so every value group keeps its delimiter and is never empty when it matched: a name
# keeps its slash, a literal string its parentheses, a hex string its angle brackets, an array its brackets.
_FLAT_ENTRY = re.compile(
    _W + rb"*/(" + _R + rb"*)(?!" + _R + rb")" + _W + rb"*(?:"
    rb"(/" + _R + rb"*)(?!" + _R + rb")"  # 2 name
    rb"|(\([^()\\\r]*\))"  # 3 plain literal string
    rb"|(\d{1,10})" + _W + rb"+(\d{1,10})" + _W + rb"+R(?!" + _R + rb")"  # 4, 5 reference
    rb"|(" + _R + rb"+)(?!" + _R + rb")"  # 6 other
    rb"|(\[(?:" + _W + rb"*" + _ITEM + rb")*" + _W + rb"*\])"  # 7 array
    rb")"
)
_FLAT_ITEM = re.compile(
    _W + rb"*(?:"
    rb"(<[0-9A-Fa-f \t\r\n\x0c\x00]*>)"  # 1 hex string
    rb"|(/" + _R + rb"*)(?!" + _R + rb")"  # 2 name
    rb"|(\([^()\\\r]*\))"  # 3 plain literal string
    rb"|(\d{1,10})" + _W + rb"+(\d{1,10})" + _W + rb"+R(?!" + _R + rb")"  # 4, 5 reference
    rb"|(" + _R + rb"+)(?!" + _R + rb")"  # 6 other
    rb")"
)
_OBJ = re.compile(rb"(?:" + _W + rb"+|%[^\r\n]*)*(\d+)" + _W + rb"+(\d+)" + _W + rb"+obj(?!" + _R + rb")")
_ENTRIES = re.compile(rb"(?:\d{10} \d{5} [nf][ \r\n]{2})*")
MAX_DEPTH = 32


class Unsupported(Exception):
    """Not the simple layout: let pikepdf read the file."""


# Parsed objects are small immutable tuples (made per token: a frozen dataclass costs several times more).
class Ref(NamedTuple):
    number: int
    generation: int


class Name(NamedTuple):
    name: str  # without the slash, #xx escapes decoded


class PdfString(NamedTuple):
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


def _unescape_name(raw: bytes) -> bytes:
    """A name's ``#xx`` escapes decoded."""
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda h: bytes([int(h.group(1), 16)]), raw)


def _word(word: bytes) -> object:
    """A number, ``true``, ``false`` or ``null``."""
    if word == b"true" or word == b"false":
        return word == b"true"
    if word == b"null":
        return None
    if _INT.fullmatch(word):
        return int(word)
    if _REAL.fullmatch(word):
        return float(word) if b"." in word else int(word)
    raise Unsupported(f"unexpected token {word[:20]!r}")


def _hex_string(digits: bytes) -> PdfString:
    digits = digits.translate(None, _WS)
    if len(digits) % 2:
        digits += b"0"
    return PdfString(bytes.fromhex(digits.decode("ascii")))


def _flat_value(name: bytes, literal: bytes, number: bytes, generation: bytes, other: bytes) -> object:
    """The value of a _FLAT_ENTRY or _FLAT_ITEM tuple or a _PAIR match (groups 2-6; empty or None where a group
    did not match), as the token loop makes it."""
    if name:
        name = name[1:]
        return Name((_unescape_name(name) if b"#" in name else name).decode("latin-1"))
    if literal:
        return PdfString(literal[1:-1])
    if generation:
        return Ref(int(number), int(generation))
    return _word(other)


def _flat_dictionary(data: bytes, start: int, end: int) -> dict[str, object]:
    """The entries between ``start`` and ``end`` (inside the << >> of a dictionary _FLAT_DICT matched, which
    checked that they follow one another up to ``end``: findall takes them apart in one pass)."""
    result: dict[str, object] = {}
    for key, name, literal, number, generation, other, array in _FLAT_ENTRY.findall(data, start, end):
        if b"#" in key:
            key = _unescape_name(key)
        if array:
            value: object = [
                _hex_string(hexa[1:-1]) if hexa else _flat_value(*rest)
                for hexa, *rest in _FLAT_ITEM.findall(array, 1, len(array) - 1)
            ]
        else:
            value = _flat_value(name, literal, number, generation, other)
        result[key.decode("latin-1")] = value
    return result


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

    def value(self) -> object:
        """The next object: a dict (names without the slash as keys), list, Name, PdfString, Ref, int, float,
        bool or None; the position moves past it. One regular-expression match per token, no recursion (a flat
        dictionary: one match for the whole, one per entry)."""
        data = self.data
        pos = self.pos
        flat = _FLAT_DICT.match(data, pos)
        if flat is not None:
            result = _flat_dictionary(data, data.index(b"<<", pos) + 2, flat.end() - 2)
            self.pos = flat.end()
            return result
        match = _TOKEN.match
        pair = _PAIR.match
        stack: list[dict[str, object] | list[object]] = []
        keys: list[str | None] = []  # per open dictionary: the key waiting for its value
        v: object
        while True:
            if stack and keys[-1] is None and type(stack[-1]) is dict:
                pm = pair(data, pos)  # a key and a simple value at once
                if pm is not None:
                    pos = pm.end()
                    key = pm.group(1)
                    if b"#" in key:
                        key = _unescape_name(key)
                    stack[-1][key.decode("latin-1")] = _flat_value(*pm.group(2, 3, 4, 5, 6))
                    continue
            m = match(data, pos)
            if m is None:
                raise Unsupported("end of buffer or unexpected byte")
            pos = m.end()
            kind = m.lastindex
            if kind == 5:
                raw = m.group(5)
                if b"#" in raw:
                    raw = _unescape_name(raw)
                text = raw.decode("latin-1")
                if stack and keys[-1] is None and type(stack[-1]) is dict:
                    keys[-1] = text  # a dictionary key: its text, no Name object
                    continue
                v = Name(text)
            elif kind == 9:
                v = Ref(int(m.group(10)), int(m.group(11)))
            elif kind == 1 or kind == 3:
                if len(stack) >= MAX_DEPTH:
                    raise Unsupported("nesting too deep")
                stack.append({} if kind == 1 else [])
                keys.append(None)
                continue
            elif kind == 2 or kind == 4:
                if not stack or (type(stack[-1]) is dict) != (kind == 2) or keys[-1] is not None:
                    raise Unsupported("unbalanced dictionary or array")
                v = stack.pop()
                keys.pop()
            elif kind == 6:
                v = PdfString(m.group(6))
            elif kind == 7:
                self.pos = pos - 1
                v = PdfString(self._literal())
                pos = self.pos
            elif kind == 8:
                v = _hex_string(m.group(8))
            else:
                v = _word(m.group(12))
            if not stack:
                self.pos = pos
                return v
            top = stack[-1]
            if type(top) is dict:
                key = keys[-1]
                if key is None:
                    raise Unsupported("dictionary key is not a name")  # names in key position are taken above
                top[key] = v
                keys[-1] = None
            else:
                top.append(v)  # type: ignore[union-attr]  # a list

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
        # Per section, newest first: its subsections as (first number, count, table bytes, where the entries start).
        # Entries are looked up when an object is asked for (a few per read), not decoded all at once.
        # Older sections are parsed only when an object is not listed in the newer ones: a file labelled in place
        # by an incremental update lists the catalog, Info and metadata in its newest section, so a read parses
        # one table, not the whole chain. The newest listing wins either way, as in qpdf.
        self.sections: list[list[tuple[int, int, bytes, int]]] = []
        self._seen: set[int] = set()
        self._next: int | None = int(match.group(1))
        self.trailer = self._next_section()

    def _next_section(self) -> dict[str, object]:
        """Parse the next older section of the chain (checked as each one is reached) and return its trailer."""
        offset = self._next
        assert offset is not None
        if offset in self._seen or len(self._seen) >= MAX_SECTIONS or offset >= self.src.size:
            raise Unsupported("xref chain loops or points outside the file")
        self._seen.add(offset)
        trailer = self._section(offset)
        if "XRefStm" in trailer or "Encrypt" in trailer:
            raise Unsupported("hybrid or encrypted file")
        prev = trailer.get("Prev")
        self._next = prev if isinstance(prev, int) else None
        return trailer

    def _section(self, offset: int) -> dict[str, object]:
        available = min(MAX_TABLE, self.src.size - offset)
        data = self.src.read_at(offset, min(FIRST_READ, available), what="cross-reference section")
        if not data.startswith(b"xref"):
            raise Unsupported("not a classic cross-reference table")
        subsections: list[tuple[int, int, bytes, int]] = []
        pos = 4
        while True:
            while pos < len(data) and data[pos] in _WS:
                pos += 1
            if data.startswith(b"trailer", pos):
                parser = Parser(data, pos + 7)
                try:
                    trailer = parser.value()
                except Unsupported:
                    if len(data) >= available:
                        raise
                    data = self.src.read_at(offset, available, what="cross-reference section")
                    continue  # the same position, in the longer read
                if not isinstance(trailer, dict):
                    raise Unsupported("trailer is not a dictionary")
                self.sections.append(subsections)
                return trailer
            match = _SUBSECTION.match(data, pos)
            if match is None:
                if len(data) < available:
                    data = self.src.read_at(offset, available, what="cross-reference section")
                    continue
                raise Unsupported("bad subsection header")
            first, count = int(match.group(1)), int(match.group(2))
            pos = match.end()
            end = pos + 20 * count
            if end > len(data):
                if len(data) < available:
                    data = self.src.read_at(offset, available, what="cross-reference section")
                    continue
                raise Unsupported("table larger than the window")
            if _ENTRIES.match(data, pos, end).end() != end:  # type: ignore[union-attr]  # always matches
                raise Unsupported("bad table entry")
            subsections.append((first, count, data, pos))
            pos = end

    def where(self, number: int) -> tuple[int, int] | None:
        """(offset, generation) of object ``number`` in the newest section that lists it; None when it is free or
        listed nowhere."""
        index = 0
        while True:
            while index < len(self.sections):
                for first, count, data, start in self.sections[index]:
                    if first <= number < first + count:
                        at = start + 20 * (number - first)
                        if data[at + 17] == 0x6E:  # n
                            return int(data[at : at + 10]), int(data[at + 11 : at + 16])
                        return None  # f: freed in this revision
                index += 1
            if self._next is None:
                return None
            self._next_section()

    def get(self, ref: object, *, after: int = 0) -> tuple[object, Parser]:
        """The object ``ref`` points at (a value, or a dictionary), and the parser positioned after it, with at
        least ``after`` more bytes in its buffer where the file has them."""
        if not isinstance(ref, Ref):
            raise Unsupported("not an indirect object in the tables")
        found = self.where(ref.number)
        if found is None:
            raise Unsupported("not an indirect object in the tables")
        offset, generation = found
        if generation != ref.generation or offset >= self.src.size:
            raise Unsupported("generation mismatch")
        available = min(MAX_OBJECT, self.src.size - offset)
        length = min(FIRST_READ, available)
        while True:
            data = self.src.read_at(offset, length, what="object")
            head = _OBJ.match(data)
            try:
                if head is None:
                    raise Unsupported("no object header")
                parser = Parser(data, head.end())
                value = parser.value()
                if parser.pos + after <= len(data) or length == available:
                    break
            except Unsupported:
                if length == available:
                    raise
            length = available  # an object longer than the first read: read it all
        if head.group(1) != b"%d" % ref.number or head.group(2) != b"%d" % ref.generation:
            raise Unsupported("the table points elsewhere (damaged file)")
        return value, parser

    def stream(self, ref: object, *, limit: int) -> tuple[dict[str, object], bytes]:
        """A stream stored without filters: its dictionary and bytes."""
        head, parser = self.get(ref, after=32)
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
        found = self.where(ref.number)
        assert found is not None
        return head, self.src.read_at(found[0] + start, length, what="metadata stream")


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
