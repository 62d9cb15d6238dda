"""Corpus inputs as shards of records: JSONL, CSV, Parquet and plain-text files, plain or gzip / zstd compressed.

A shard is the unit of work a runner hands to a worker and the unit of resumption. Record ids are derived from where
a record lies in its file (``path:byte-offset`` for lines, ``path#row`` for table rows) or taken from a field, so
they are the same however the corpus is cut into shards: sampling by hashed id therefore gives the same records
under every engine and every partitioning.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any, Literal, cast

from hegui.errors import InputError, UsageError

Format = Literal["jsonl", "csv", "parquet", "txt"]
TextUnit = Literal["line", "file"]

SPLIT_BYTES = 64 * 1024 * 1024
"""Uncompressed line files larger than this are cut into byte ranges (one shard each), at line starts."""
MAX_LINE = 64 * 1024 * 1024
"""A longer line is an error, not a memory blow-up."""

_SUFFIXES: dict[str, Format] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".txt": "txt",
    ".text": "txt",
}
_COMPRESSIONS = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd"}


@dataclass(frozen=True, slots=True)
class Shard:
    """A piece of one input file: a byte range of a line file, a row group of a Parquet file, or a whole file."""

    path: str
    rel: str
    format: Format
    compression: str | None
    start: int = 0
    end: int = -1  # byte range end (exclusive), or -1 for the whole file
    row_group: int = -1
    row_offset: int = 0  # rows before this row group (Parquet ids are global row numbers)
    size: int = 0

    @property
    def key(self) -> str:
        """A stable name for the shard: the same shard of the same file always has the same key."""
        return f"{self.rel}|{self.start}|{self.end}|{self.row_group}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Shard:
        return cls(**data)


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """How to find the text and the id of a record."""

    text_field: str = "text"
    id_field: str | None = None
    text_unit: TextUnit = "line"


def _detect(path: Path) -> tuple[Format, str | None]:
    suffixes = [s.lower() for s in path.suffixes]
    compression = None
    if suffixes and suffixes[-1] in _COMPRESSIONS:
        compression = _COMPRESSIONS[suffixes[-1]]
        suffixes = suffixes[:-1]
    if not suffixes or suffixes[-1] not in _SUFFIXES:
        raise UsageError(
            f"{path}: unknown corpus format; use .jsonl, .csv, .parquet or .txt (optionally .gz or .zst)"
        )
    fmt = _SUFFIXES[suffixes[-1]]
    if fmt == "parquet" and compression:
        raise UsageError(f"{path}: Parquet compresses internally; do not wrap it in {compression}")
    return fmt, compression


def _walk(paths: Iterable[str | os.PathLike[str]]) -> Iterator[tuple[Path, str]]:
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for sub in sorted(p.rglob("*")):
                if sub.is_file() and not sub.name.startswith("."):
                    try:
                        _detect(sub)
                    except UsageError:
                        continue  # folders hold other files (licences, READMEs); only corpus files count
                    yield sub, f"{p.name}/{sub.relative_to(p).as_posix()}"
        elif p.is_file():
            yield p, p.name
        elif p.exists():
            raise InputError("not a regular file; corpus inputs are files or folders", path=p)
        else:
            raise InputError("no such file or folder", path=p)


def discover(paths: Iterable[str | os.PathLike[str]], *, split_bytes: int = SPLIT_BYTES) -> list[Shard]:
    """The shards of every corpus file under ``paths`` (folders are walked recursively, in sorted order)."""
    shards: list[Shard] = []
    for path, rel in _walk(paths):
        fmt, compression = _detect(path)
        size = path.stat().st_size
        if fmt == "parquet":
            shards += _parquet_shards(path, rel, size)
        elif compression is None and fmt in ("jsonl", "txt") and size > split_bytes:
            for start in range(0, size, split_bytes):
                end = min(size, start + split_bytes)
                shards.append(Shard(str(path), rel, fmt, None, start, end, size=end - start))
        else:
            shards.append(Shard(str(path), rel, fmt, compression, size=size))
    if not shards:
        raise InputError("no corpus files (.jsonl, .csv, .parquet, .txt, optionally .gz / .zst) found")
    return shards


def _parquet_shards(path: Path, rel: str, size: int) -> list[Shard]:
    pq = _pyarrow_parquet()
    try:
        meta = pq.ParquetFile(path).metadata
    except Exception as exc:  # pyarrow raises its own ArrowInvalid / OSError for damaged files
        raise InputError(f"not a readable Parquet file: {_one_line(exc)}", path=path) from None
    out: list[Shard] = []
    offset = 0
    for i in range(meta.num_row_groups):
        rows = meta.row_group(i).num_rows
        out.append(Shard(str(path), rel, "parquet", None, row_group=i, row_offset=offset, size=size))
        offset += rows
    return out


def _pyarrow_parquet() -> Any:
    try:
        import pyarrow.parquet as pq
    except ModuleNotFoundError:
        raise UsageError("reading Parquet needs pyarrow: pip install 'hegui[corpus]'") from None
    return pq


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


def _open_binary(shard: Shard) -> IO[bytes]:
    raw: IO[bytes] = open(shard.path, "rb")  # noqa: SIM115 - returned to the caller, closed there
    if shard.compression == "gzip":
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw))
    if shard.compression == "zstd":
        try:
            import zstandard
        except ModuleNotFoundError:
            raw.close()
            raise UsageError("reading .zst needs zstandard: pip install 'hegui[corpus]'") from None
        return cast(
            IO[bytes], io.BufferedReader(_ZstdReader(raw, zstandard.ZstdDecompressor().decompressobj()))
        )
    return raw


class _ZstdReader(io.RawIOBase):
    """Decompresses a zstd stream and, unlike zstandard's stream reader, fails on a truncated one (a frame that
    never ends), so a cut-off corpus file is an error rather than silently fewer records."""

    def __init__(self, raw: IO[bytes], dobj: Any) -> None:
        self._raw = raw
        self._dobj = dobj
        self._buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not self._buf:
            chunk = self._raw.read(1 << 20)
            if not chunk:
                if not self._dobj.eof:
                    raise EOFError("the zstd stream ends inside a frame (truncated file)")
                return 0
            if self._dobj.eof:  # a further frame follows
                import zstandard

                self._dobj = zstandard.ZstdDecompressor().decompressobj()
            self._buf = self._dobj.decompress(chunk)
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


def _lines(shard: Shard) -> Iterator[tuple[int, bytes]]:
    """(byte offset of the line start, line) for the lines that START inside the shard's byte range."""
    with _open_binary(shard) as fh:
        pos = 0
        if shard.end >= 0 and shard.start > 0:
            fh.seek(shard.start - 1)
            pos = shard.start - 1
            skipped = fh.readline(
                MAX_LINE + 1
            )  # the line running into the range belongs to the previous shard
            pos += len(skipped)
        stream: Any = io.BufferedReader(cast(Any, fh), 1 << 20) if shard.compression == "gzip" else fh
        while shard.end < 0 or pos < shard.end:
            line = stream.readline(MAX_LINE + 1)
            if not line:
                break
            if len(line) > MAX_LINE:
                raise InputError(f"line longer than {MAX_LINE} bytes", path=shard.path, offset=pos)
            yield pos, line
            pos += len(line)


def _decode(raw: bytes, shard: Shard, offset: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 ({exc.reason} at byte {exc.start} of the record); convert the corpus to UTF-8 first",
            path=shard.path,
            offset=offset,
        ) from None


def _field(obj: dict[str, Any], name: str) -> Any:
    """``a.b.c`` reaches into nested objects."""
    cur: Any = obj
    for part in name.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def records(shard: Shard, options: ReadOptions = ReadOptions()) -> Iterator[tuple[str, str]]:
    """``(record id, text)`` for every record of the shard, streamed. Records without the text field are skipped
    (their count is not an error: corpora mix record kinds); a malformed line is an error naming its offset, and a
    damaged compressed stream an error naming the file."""
    try:
        yield from _records(shard, options)
    except (OSError, EOFError) as exc:
        raise InputError(
            f"damaged or truncated {shard.compression or 'file'}: {_one_line(exc)}", path=shard.path
        ) from None
    except Exception as exc:
        if type(exc).__module__.startswith("zstd"):
            raise InputError(f"damaged zstd stream: {_one_line(exc)}", path=shard.path) from None
        raise


def _records(shard: Shard, options: ReadOptions) -> Iterator[tuple[str, str]]:
    if shard.format == "jsonl":
        yield from _jsonl(shard, options)
    elif shard.format == "txt":
        if options.text_unit == "file":
            with _open_binary(shard) as fh:
                data = fh.read()
            yield shard.rel, _decode(data, shard, 0)
        else:
            for pos, raw in _lines(shard):
                text = _decode(raw, shard, pos).rstrip("\r\n")
                if text.strip():
                    yield f"{shard.rel}:{pos}", text
    elif shard.format == "csv":
        yield from _csv(shard, options)
    else:
        yield from _parquet(shard, options)


def _jsonl(shard: Shard, options: ReadOptions) -> Iterator[tuple[str, str]]:
    for pos, raw in _lines(shard):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON line: {exc.msg}", path=shard.path, offset=pos) from None
        if not isinstance(obj, dict):
            raise InputError("JSONL line is not an object", path=shard.path, offset=pos)
        text = _field(obj, options.text_field)
        if not isinstance(text, str):
            continue
        rid = _field(obj, options.id_field) if options.id_field else None
        yield (str(rid) if rid is not None else f"{shard.rel}:{pos}"), text


def _csv(shard: Shard, options: ReadOptions) -> Iterator[tuple[str, str]]:
    csv.field_size_limit(min(sys.maxsize, MAX_LINE))
    with _open_binary(shard) as fh:
        text_io = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
        reader = csv.DictReader(text_io)
        if reader.fieldnames is None or options.text_field not in reader.fieldnames:
            raise UsageError(
                f"{shard.path}: no column {options.text_field!r}; columns are {reader.fieldnames}; use --field"
            )
        try:
            for row_no, row in enumerate(reader, start=1):
                text = row.get(options.text_field)
                if not text:
                    continue
                rid = row.get(options.id_field) if options.id_field else None
                yield (rid if rid else f"{shard.rel}#{row_no}"), text
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InputError(
                f"bad CSV near row {reader.line_num}: {_one_line(exc)}", path=shard.path
            ) from None


def _parquet(shard: Shard, options: ReadOptions) -> Iterator[tuple[str, str]]:
    pq = _pyarrow_parquet()
    columns = [options.text_field] + ([options.id_field] if options.id_field else [])
    try:
        table = pq.ParquetFile(shard.path).read_row_group(shard.row_group, columns=columns)
    except Exception as exc:
        raise InputError(
            f"cannot read row group {shard.row_group}: {_one_line(exc)}", path=shard.path
        ) from None
    texts = table.column(options.text_field).to_pylist()
    ids = table.column(options.id_field).to_pylist() if options.id_field else None
    for i, text in enumerate(texts):
        if not isinstance(text, str) or not text:
            continue
        rid = ids[i] if ids is not None else None
        yield (str(rid) if rid is not None else f"{shard.rel}#{shard.row_offset + i + 1}"), text
