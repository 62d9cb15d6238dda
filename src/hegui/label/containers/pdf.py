"""PDF: the label lives in the Document Information dictionary (``/AIGC``, a text string holding the bare JSON, per
TC260-PG-20258A) and, mirrored, in the XMP metadata stream of the Catalog (``TC260:AIGC``), so that XMP-only readers
(ExifTool, Acrobat's XMP panel) see it too. The two carriers hold one label: the XMP copy is marked as a mirror
(:attr:`Found.mirror`) when it agrees with the Info copy, and a disagreement is the usual "different labels" error.

Reading uses pikepdf (qpdf): it follows the whole ``/Prev`` chain, cross-reference streams and object streams, so a
label stored in a compressed object is found (the head/tail scans some verifiers do miss those). Only the trailer,
the Info dictionary, the Catalog and the metadata stream are loaded; page content is never decoded.

Writing is an *incremental update* written by hand: the original bytes are copied unchanged as a prefix, then a new
Info dictionary, a new metadata stream (and a new Catalog when the file had no metadata stream), and a new
cross-reference section in the style of the original (a classic table or an uncompressed cross-reference stream)
whose trailer points back with ``/Prev``. pikepdf cannot do this: qpdf always rewrites the whole file (new object
numbers, new xref, streams possibly recompressed), which would break signatures over the original byte range and
change bytes we promise to keep. Encrypted files are refused on write (the new strings would have to be encrypted
with the document key). Files whose cross-reference data is damaged (qpdf had to reconstruct it) are refused on
write too: an update chained to a broken ``/Prev`` would be broken as well. Each relabeling appends one more update
of about 1-2 KB; earlier revisions stay in the file (as with every incremental save), but readers, and hegui, see only
the latest one.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from hegui.errors import HeguiError, InputError, LimitExceededError
from hegui.label import spec, xmp
from hegui.label.containers.base import (
    Container,
    Found,
    InPlacePlan,
    Source,
    c2pa_warning,
    found_from_value,
)
from hegui.label.journal import Region
from hegui.label.record import Finding, Record

if TYPE_CHECKING:
    import pikepdf
else:

    class _LazyPikepdf:
        """pikepdf (qpdf) is imported on first use: most reads take the fast path (pdfxref) and never need it, and
        importing it costs tens of milliseconds at start-up of every command that only touches other formats."""

        def __getattr__(self, name: str) -> Any:
            import pikepdf as module

            globals()["pikepdf"] = module
            return getattr(module, name)

    pikepdf = _LazyPikepdf()

INFO_KEY = "/" + spec.FIELD_NAME
MAX_METADATA_RAW = 16 * 1024 * 1024  # a metadata stream larger than this (stored) is refused
MAX_METADATA_INFLATED = xmp.MAX_PACKET_BYTES
MAX_OTHER_FILTER_RAW = 4096  # LZW & co. can expand a lot; only tiny streams are decoded through qpdf
MAX_INFO_VALUE = 1024 * 1024
TAIL_WINDOW = 4096
# Trailer keys that belong to one cross-reference section and must not be copied into the next one.
SECTION_KEYS = frozenset(
    ["/Size", "/Prev", "/XRefStm", "/Type", "/W", "/Index", "/Filter", "/DecodeParms", "/Length", "/DL"]
)
STREAM_ONLY_KEYS = frozenset(["/Length", "/Filter", "/DecodeParms", "/DL", "/F", "/FFilter", "/FDecodeParms"])
_STARTXREF = re.compile(rb"startxref\s+(\d{1,15})")
_OBJ_HEAD = re.compile(rb"\s*(\d{1,10})\s+(\d{1,5})\s+obj\b")


@contextmanager
def opened(src: Source) -> Iterator[pikepdf.Pdf]:
    """Open ``src`` with pikepdf; every failure of qpdf (or of walking its objects) becomes an InputError."""
    try:
        # A file on disk is opened by name (qpdf reads it itself); bytes given in memory through their handle.
        with pikepdf.open(src.handle if src.memo.get("memory") else src.path) as pdf:
            yield pdf
    except HeguiError:
        raise
    except pikepdf.PasswordError as exc:
        raise InputError("the PDF is encrypted with a password; hegui cannot read it", path=src.path) from exc
    except MemoryError as exc:
        raise LimitExceededError(f"the PDF needs too much memory to parse: {exc}", path=src.path) from exc
    except RecursionError as exc:
        raise LimitExceededError("the PDF nests objects too deeply", path=src.path) from exc
    except Exception as exc:  # qpdf and pikepdf raise many types on hostile input; none may escape
        raise InputError(f"broken PDF: {type(exc).__name__}: {exc}", path=src.path) from exc


def _text(value: Any, src: Source) -> str:
    """The text of an Info value: strings decoded (PDFDocEncoding / UTF-16BE), names without the slash."""
    if isinstance(value, pikepdf.String):
        return str(value)
    if isinstance(value, pikepdf.Name):
        return str(value)[1:]
    if isinstance(value, pikepdf.Stream):
        return _stream_bytes(value, src, "Info value stream").decode("utf-8", errors="replace")
    unparsed: bytes = value.unparse() if isinstance(value, pikepdf.Object) else str(value).encode()
    return unparsed[:MAX_INFO_VALUE].decode("latin-1")


def _stream_bytes(stream: pikepdf.Stream, src: Source, what: str) -> bytes:
    """Decoded stream data with bomb guards: stored and Flate data are inflated here with a limit."""
    raw = stream.read_raw_bytes()
    if len(raw) > MAX_METADATA_RAW:
        raise LimitExceededError(f"{what} of {len(raw)} bytes is over the limit", path=src.path)
    filters = stream.get("/Filter")
    if filters is None or (isinstance(filters, pikepdf.Array) and len(filters) == 0):
        return bytes(raw)
    names = [str(f) for f in filters] if isinstance(filters, pikepdf.Array) else [str(filters)]
    if names == ["/FlateDecode"] and stream.get("/DecodeParms") is None:
        return _inflate(raw, src, what)
    if len(raw) > MAX_OTHER_FILTER_RAW:
        raise LimitExceededError(
            f"{what} uses filters {names} and is too large to decode safely ({len(raw)} bytes)", path=src.path
        )
    return bytes(stream.read_bytes())


def _inflate(raw: bytes, src: Source, what: str) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(raw, MAX_METADATA_INFLATED)
    except zlib.error as exc:
        raise InputError(f"{what}: corrupt Flate data: {exc}", path=src.path) from exc
    if inflater.unconsumed_tail:
        raise LimitExceededError(
            f"{what} inflates beyond {MAX_METADATA_INFLATED} bytes; refused", path=src.path
        )
    return out


@dataclass
class _State:
    """What the scan learned, reused by render."""

    labels: list[Found]
    info_keys: list[str]  # Info keys that hold a label
    packet: bytes | None  # the current XMP packet (decoded), if any
    packet_broken: bool


def _mirrored(found: Found) -> Found:
    """``dataclasses.replace(found, mirror=True)``, without its introspection."""
    return Found(
        found.container,
        found.location,
        found.form,
        found.raw,
        found.record,
        found.findings,
        found.offset,
        True,
    )


class PdfContainer(Container):
    name = "pdf"
    extensions = (".pdf",)
    media_type = "application/pdf"

    def sniff(self, head: bytes, name: str) -> bool:
        return b"%PDF-" in head

    # ---- reading --------------------------------------------------------------------------------------------
    def _state(self, src: Source, pdf: pikepdf.Pdf) -> _State:
        labels: list[Found] = []
        info_keys: list[str] = []
        info = pdf.trailer.get("/Info")
        info_found: Found | None = None
        if isinstance(info, pikepdf.Dictionary):
            for key in sorted(info.keys()):  # pikepdf gives a set: sorted, so the order does not vary by run
                value = info[key]
                if spec.FIELD_NAME in key.upper():
                    found = found_from_value(self.name, f"Info {key}", _text(value, src))
                elif isinstance(value, pikepdf.String) and '"AIGC"' in (text := str(value)):
                    found = found_from_value(self.name, f"Info {key}", text)  # wrapper in a general field
                else:
                    continue
                labels.append(found)
                info_keys.append(key)
                if key == INFO_KEY and info_found is None:
                    info_found = found
        packet: bytes | None = None
        broken = False
        metadata = pdf.Root.get("/Metadata")
        if isinstance(metadata, pikepdf.Stream):
            packet = _stream_bytes(metadata, src, "XMP metadata stream")
            try:
                hits = xmp.find_aigc(packet)
            except InputError:
                hits, broken = [], True
            for hit in hits:
                found = found_from_value(self.name, "XMP TC260:AIGC", hit.value, form=hit.form)
                if info_found is not None and found.record is not None and found.record == info_found.record:
                    found = _mirrored(found)
                labels.append(found)
        return _State(labels, info_keys, packet, broken)

    def scan(self, src: Source) -> list[Found]:
        return self._read(src)[0]

    def file_findings(self, src: Source, labels: list[Found]) -> list[Finding]:
        return self._read(src)[1]

    def _read(self, src: Source) -> tuple[list[Found], list[Finding]]:
        """Labels and file findings, from one look at the file (scan and file_findings share it)."""
        cached: tuple[list[Found], list[Finding]] | None = src.memo.get("pdf")
        if cached is None:
            cached = self._read_fast(src) or self._read_pikepdf(src)
            src.memo["pdf"] = cached
        return cached

    def _read_fast(self, src: Source) -> tuple[list[Found], list[Finding]] | None:
        """The same answer as :meth:`_read_pikepdf` from a few small reads, for files with classic
        cross-reference tables (see :mod:`hegui.label.containers.pdfxref`); None for every other file."""
        from hegui.label.containers.pdfxref import read_fast  # on first use: detection imports this module

        fast = read_fast(src)
        if fast is None:
            return None
        labels: list[Found] = []
        info_found: Found | None = None
        for key in sorted(fast.info):
            text = fast.info[key]
            if spec.FIELD_NAME in key.upper() or '"AIGC"' in text:
                found = found_from_value(self.name, f"Info {key}", text)
                labels.append(found)
                if key == INFO_KEY and info_found is None:
                    info_found = found
        broken = False
        if fast.packet is not None:
            try:
                hits = xmp.find_aigc(fast.packet)
            except InputError:
                hits, broken = [], True
            for hit in hits:
                found = found_from_value(self.name, "XMP TC260:AIGC", hit.value, form=hit.form)
                if info_found is not None and found.record is not None and found.record == info_found.record:
                    found = _mirrored(found)
                labels.append(found)
        state = _State(labels, [], fast.packet, broken)
        return labels, self._findings(state, False)

    def _findings(self, state: _State, c2pa: bool) -> list[Finding]:
        findings: list[Finding] = [c2pa_warning()] if c2pa else []
        if state.packet_broken and state.packet is not None:
            try:
                xmp.find_aigc(state.packet)
            except InputError as exc:
                findings.append(Finding("warning", "xmp", f"XMP metadata stream unreadable: {exc}"))
        return findings

    def _read_pikepdf(self, src: Source) -> tuple[list[Found], list[Finding]]:
        with opened(src) as pdf:
            try:
                state = self._state(src, pdf)
                return state.labels, self._findings(state, _has_c2pa(pdf))
            except HeguiError:
                raise
            except Exception as exc:
                raise InputError(f"broken PDF: {type(exc).__name__}: {exc}", path=src.path) from exc

    # ---- writing --------------------------------------------------------------------------------------------
    def render(self, src: Source, dst: BinaryIO, record: Record) -> list[Finding]:
        update, warnings = self._update(src, record)
        src.copy_to(dst, 0, src.size)
        dst.write(update)
        return warnings

    supports_in_place = True

    def plan_in_place(self, src: Source, record: Record) -> InPlacePlan | None:
        """An incremental update is an append: the file's bytes stay where they are, so every PDF hegui can write
        is labeled in place (the update appended under the journal, which truncates it away on rollback)."""
        update, warnings = self._update(src, record)
        return InPlacePlan([Region(src.size, b"", update)], src.size + len(update), warnings)

    def _update(self, src: Source, record: Record) -> tuple[bytes, list[Finding]]:
        """The incremental update to append, and the warnings."""
        with opened(src) as pdf:
            try:
                return self._render(src, record, pdf)
            except HeguiError:
                raise
            except Exception as exc:
                raise InputError(f"broken PDF: {type(exc).__name__}: {exc}", path=src.path) from exc

    def _render(self, src: Source, record: Record, pdf: pikepdf.Pdf) -> tuple[bytes, list[Finding]]:
        if pdf.is_encrypted:
            raise InputError(
                "the PDF is encrypted; hegui does not write labels into encrypted PDFs "
                "(decrypt it first, e.g. `qpdf --decrypt in.pdf out.pdf`)",
                path=src.path,
            )
        damaged = [w for w in pdf.get_warnings() if "reconstruct" in w or "damaged" in w]
        if damaged:
            raise InputError(
                f"the PDF's cross-reference data is damaged ({damaged[0]}); repair it first "
                "(e.g. `qpdf in.pdf out.pdf`)",
                path=src.path,
            )
        prev, style = _last_xref(src)
        state = self._state(src, pdf)
        warnings: list[Finding] = [c2pa_warning()] if _has_c2pa(pdf) else []
        value = record.to_json()
        trailer = pdf.trailer
        size = int(trailer.get("/Size", 0))
        if size <= 0:
            raise src.error("the PDF trailer has no valid /Size")
        next_number = size

        def allocate() -> tuple[int, int]:
            nonlocal next_number
            next_number += 1
            return next_number - 1, 0

        objects: list[tuple[int, int, bytes]] = []  # (number, generation, body between "obj" and "endobj")

        # The Info dictionary: every key kept, the label keys replaced by /AIGC.
        old_info = trailer.get("/Info")
        info = pikepdf.Dictionary()
        if isinstance(old_info, pikepdf.Dictionary):
            for key in list(old_info.keys()):
                if key not in state.info_keys:
                    info[key] = old_info[key]
        info[INFO_KEY] = pikepdf.String(value)
        info_id = (
            old_info.objgen
            if isinstance(old_info, pikepdf.Dictionary) and old_info.is_indirect
            else allocate()
        )
        objects.append((*info_id, info.unparse(resolved=True)))

        # The XMP metadata stream: merged with the existing packet, written uncompressed (XMP scanners find it).
        root = pdf.Root
        metadata = root.get("/Metadata")
        packet = state.packet if not state.packet_broken else None
        if state.packet_broken:
            warnings.append(
                Finding(
                    "warning", "xmp", "the existing XMP metadata stream was not well-formed and was replaced"
                )
            )
        new_packet = xmp.set_aigc(packet, value)
        stream_dict = pikepdf.Dictionary()
        if isinstance(metadata, pikepdf.Stream):
            for key in list(metadata.stream_dict.keys()):
                if key not in STREAM_ONLY_KEYS:
                    stream_dict[key] = metadata.stream_dict[key]
        stream_dict["/Type"] = pikepdf.Name("/Metadata")
        stream_dict["/Subtype"] = pikepdf.Name("/XML")
        stream_dict["/Length"] = len(new_packet)
        stream_body = stream_dict.unparse(resolved=True) + b"\nstream\n" + new_packet + b"\nendstream"
        if isinstance(metadata, pikepdf.Stream) and metadata.is_indirect:
            objects.append((*metadata.objgen, stream_body))
        else:
            meta_id = allocate()
            objects.append((*meta_id, stream_body))
            catalog = pikepdf.Dictionary()
            for key in list(root.keys()):
                if key != "/Metadata":
                    catalog[key] = root[key]
            body = catalog.unparse(resolved=True)
            body = b"<< /Metadata %d %d R " % meta_id + body[2:]
            if not root.is_indirect:
                raise src.error("the PDF's /Root is not an indirect object")
            objects.append((*root.objgen, body))

        # Trailer: every key of the last trailer kept, except the per-section ones.
        extra = pikepdf.Dictionary()
        for key in list(trailer.keys()):
            if key not in SECTION_KEYS and key not in ("/Info", "/Root"):
                extra[key] = trailer[key]
        ident = trailer.get("/ID")
        if isinstance(ident, pikepdf.Array) and len(ident) == 2 and isinstance(ident[0], pikepdf.String):
            # ISO 32000 14.4: the first identifier stays, the second changes with every update.
            digest = hashlib.md5(bytes(ident[0]) + value.encode() + b"%d" % src.size, usedforsecurity=False)
            extra["/ID"] = pikepdf.Array([ident[0], pikepdf.String(digest.digest())])
        refs = b"/Root %d %d R /Info %d %d R /Prev %d " % (*root.objgen, *info_id, prev)
        base_offset = src.size
        out = bytearray()
        if src.read_at(src.size - 1, 1, what="last byte") not in (b"\n", b"\r"):
            out += b"\n"
        offsets: dict[int, tuple[int, int]] = {}
        for number, generation, body in objects:
            offsets[number] = (base_offset + len(out), generation)
            out += b"%d %d obj\n" % (number, generation) + body + b"\nendobj\n"
        extra_body = extra.unparse(resolved=True)[2:-2].strip()
        if style == "table":
            xref_at = base_offset + len(out)
            out += b"xref\n"
            # Object 0 (head of the free list) opens the section, as Acrobat writes it; without it pypdf
            # thinks the table is wrongly indexed and renumbers objects.
            for start, run in _runs(sorted([0, *offsets])):
                out += b"%d %d\n" % (start, len(run))
                for number in run:
                    if number == 0:
                        out += b"0000000000 65535 f\r\n"
                        continue
                    offset, generation = offsets[number]
                    out += b"%010d %05d n\r\n" % (offset, generation)
            out += b"trailer\n<< /Size %d " % next_number + refs + extra_body + b" >>\n"
        else:
            xref_number, _ = allocate()
            xref_at = base_offset + len(out)
            offsets[xref_number] = (xref_at, 0)
            width = max(4, (xref_at.bit_length() + 7) // 8)
            rows = bytearray()
            index: list[int] = []
            for start, run in _runs(sorted([0, *offsets])):
                index += [start, len(run)]
                for number in run:
                    if number == 0:
                        rows += b"\x00" + bytes(width) + b"\xff\xff"
                        continue
                    offset, generation = offsets[number]
                    rows += b"\x01" + offset.to_bytes(width, "big") + generation.to_bytes(2, "big")
            head = b"<< /Type /XRef /Size %d /W [ 1 %d 2 ] /Index [ %s ] /Length %d " % (
                next_number,
                width,
                b" ".join(b"%d" % i for i in index),
                len(rows),
            )
            out += b"%d 0 obj\n" % xref_number + head + refs + extra_body + b" >>\nstream\n"
            out += bytes(rows) + b"\nendstream\nendobj\n"
        out += b"startxref\n%d\n%%%%EOF\n" % xref_at
        return bytes(out), warnings


def _runs(numbers: list[int]) -> list[tuple[int, list[int]]]:
    """Group sorted object numbers into contiguous subsections."""
    runs: list[tuple[int, list[int]]] = []
    for number in numbers:
        if runs and runs[-1][1][-1] + 1 == number:
            runs[-1][1].append(number)
        else:
            runs.append((number, [number]))
    return runs


def _last_xref(src: Source) -> tuple[int, str]:
    """Offset and style ("table" or "stream") of the last cross-reference section, from ``startxref``."""
    window = min(src.size, TAIL_WINDOW)
    tail = src.read_at(src.size - window, window, what="file tail")
    matches = list(_STARTXREF.finditer(tail))
    if not matches:
        raise src.error("no startxref at the end of the PDF (damaged file; repair it with qpdf first)")
    offset = int(matches[-1].group(1))
    if offset >= src.size:
        raise src.error(f"startxref points past the end of the file ({offset})", src.size - window)
    head = src.read_at(offset, min(64, src.size - offset), what="cross-reference section")
    if head.lstrip().startswith(b"xref"):
        return offset, "table"
    if _OBJ_HEAD.match(head):
        return offset, "stream"
    raise src.error("startxref does not point at a cross-reference section (damaged file)", offset)


def _has_c2pa(pdf: pikepdf.Pdf) -> bool:
    """A C2PA manifest store is an associated file with /AFRelationship /C2PA_Manifest (C2PA spec, PDF)."""
    files = pdf.Root.get("/AF")
    if not isinstance(files, pikepdf.Array):
        return False
    for spec_dict in list(files)[:1000]:
        if isinstance(spec_dict, pikepdf.Dictionary):
            relation = spec_dict.get("/AFRelationship")
            if relation is not None and "c2pa" in str(relation).lower():
                return True
            embedded = spec_dict.get("/EF")
            stream = embedded.get("/F") if isinstance(embedded, pikepdf.Dictionary) else None
            if isinstance(stream, pikepdf.Stream) and "c2pa" in str(stream.get("/Subtype", "")).lower():
                return True
    return False


CONTAINERS: tuple[Container, ...] = (PdfContainer(),)
