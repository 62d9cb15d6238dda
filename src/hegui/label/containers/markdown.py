"""Markdown: YAML front matter at the head of the file with an ``AIGC:`` mapping of the seven keys (TC260-PG-20258A,
reference §2.7). A string value holding the JSON (bare or wrapped) is read too.

The front matter is edited as text, not re-dumped through a YAML library: re-dumping would reorder keys, change
quoting and drop comments of the author's own front matter. Only the top-level ``AIGC:`` block is replaced (or
appended); the result is parsed again with PyYAML to prove every other key kept its value. The body is untouched.
Reading decodes only the head of the file when the front matter closes within its first 64 KiB, and parses the
YAML once, with libyaml when PyYAML has it.
"""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING, Any, BinaryIO

from hegui.label import spec
from hegui.label.containers.base import Container, Found, Source, found_from_value, found_with_raw_from
from hegui.label.record import RECORD_KEYS, Finding, Record, record_from_mapping

if TYPE_CHECKING:
    import yaml

MAX_FILE = 64 * 1024 * 1024  # Markdown files are parsed whole; larger ones are refused
MAX_FRONT_MATTER = 1024 * 1024
BOM = "\ufeff"
LINES_FIRST = 8192  # characters split into lines first when looking for the end of the front matter
_AIGC_LINE = re.compile(r"^AIGC\s*:")


class FrontMatter:
    """Where the front matter sits in the text, and its lines (with their line endings)."""

    def __init__(self, text: str) -> None:
        self.bom = BOM if text.startswith(BOM) else ""
        body = text[len(self.bom) :]
        first_break = body.find("\n")
        self.newline = "\r\n" if first_break > 0 and body[first_break - 1] == "\r" else "\n"
        self.present = False
        self.lines: list[str] = []
        self.start = len(self.bom)  # offset (in characters) of the first line after the opening ---
        self.end = self.start  # offset of the closing --- line
        if not (body.startswith("---\n") or body.startswith("---\r\n")):
            return
        # The lines are split from a prefix of the text first (front matter is short; splitting a whole long
        # file line by line would cost time in proportion to it). Every line of the prefix but its last is a whole
        # line of the text (the last may be cut, even between the CR and LF of one line break), so a closing line
        # found among them is the one the whole text has; else the whole text is split, as before.
        cut = LINES_FIRST
        while True:
            whole = cut >= len(body)
            lines = body.splitlines(keepends=True) if whole else body[:cut].splitlines(keepends=True)[:-1]
            if not lines:  # the prefix does not hold the opening line whole
                cut = len(body)
                continue
            offset = len(self.bom) + len(lines[0])
            self.start = offset
            for index, line in enumerate(lines[1:], start=1):
                if line.rstrip("\r\n") in ("---", "..."):
                    self.present = True
                    self.lines = lines[1:index]
                    self.end = offset
                    return
                offset += len(line)
                if offset - self.start > MAX_FRONT_MATTER:
                    return
            if whole:
                return
            cut = len(body)

    @property
    def yaml_text(self) -> str:
        return "".join(self.lines)


MAX_NODES = 100_000  # front matter expanded through its aliases ("billion laughs" guard)


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """Node count of the document with every alias expanded, computed in linear time over the shared graph."""
    import yaml

    key = id(node)
    if key in memo:
        if memo[key] < 0:
            raise ValueError("the front matter refers to itself through an alias")
        return memo[key]
    memo[key] = -1
    size = 1
    if isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(child, memo) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size += sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    memo[key] = size
    return size


def _loader() -> type[yaml.SafeLoader]:
    """libyaml's parser when PyYAML was built with it (the same safe constructor and resolver, many times faster).
    PyYAML is imported on first use: front matter the fast path reads (see :func:`_simple_label`) needs none."""
    import yaml

    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


def _dumper() -> type[yaml.SafeDumper]:
    import yaml

    dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    return dumper


_PLAIN_ASCII = re.compile(r"[\x20-\x7e]*")


def _load_yaml(text: str, src: Source) -> Any:
    """``yaml.safe_load`` after the alias-expansion guard, from one parse (the guard looks at the same nodes)."""
    import yaml

    try:
        loader = _loader()(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            if _expanded_size(node, {}) > MAX_NODES:
                raise src.error(
                    f"YAML front matter expands through aliases to over {MAX_NODES} nodes; refused"
                )
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except ValueError as exc:
        raise src.error(f"YAML front matter: {exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (front matter line {mark.line + 2})" if mark is not None else ""
        raise src.error(
            f"YAML front matter does not parse{where}: {' '.join(str(getattr(exc, 'problem', exc)).split())}"
        ) from exc
    except RecursionError as exc:
        raise src.error("YAML front matter nests too deeply") from exc


def dump_label(value: dict[Any, Any]) -> str:
    """``yaml.safe_dump({"AIGC": value})``, the raw text of a mapping label.

    libyaml's emitter writes the same text as PyYAML's for Annex E keys with printable-ASCII string values (the
    tests check this) and is much faster; anything else goes through PyYAML's emitter.
    """
    import yaml

    if all(
        type(k) is str and k in RECORD_KEYS and type(v) is str and _PLAIN_ASCII.fullmatch(v)
        for k, v in value.items()
    ):
        # The node graph the safe representer builds for a mapping of strings (block style, no anchors),
        # built directly, then serialised by libyaml: the same text without the representer's Python walk.
        inner = yaml.MappingNode(
            _MAP_TAG,
            [(yaml.ScalarNode(_STR_TAG, k), yaml.ScalarNode(_STR_TAG, v)) for k, v in value.items()],
            flow_style=False,
        )
        node = yaml.MappingNode(
            _MAP_TAG, [(yaml.ScalarNode(_STR_TAG, spec.FIELD_NAME), inner)], flow_style=False
        )
        text: str = yaml.serialize(node, Dumper=_dumper(), allow_unicode=True)
        return text
    return yaml.dump({spec.FIELD_NAME: value}, Dumper=yaml.SafeDumper, allow_unicode=True, sort_keys=False)


_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"


HEAD_WINDOW = 64 * 1024  # bytes read first when looking for the front matter; most front matter fits


def _front_matter(src: Source) -> FrontMatter:
    """The front matter, from the head of the file only when it holds it (reading time independent of size).

    The window is cut after its last line break, so its lines are the file's first lines. A file that does not
    start with ``---`` has no front matter; one whose front matter does not close within the window is decoded
    whole, as before. Only the bytes read must be UTF-8.
    """
    if src.size <= HEAD_WINDOW or src.size > MAX_FILE:  # small, or refused by the size limit as before
        return FrontMatter(_decode(src))
    window = src.read_at(0, HEAD_WINDOW, what="front matter")
    cut = window.rfind(b"\n")
    if cut >= 0:
        head = window[: cut + 1]
        try:
            text = head.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise src.error(f"Markdown file is not UTF-8: {exc.reason}", exc.start) from exc
        fm = FrontMatter(text)
        if fm.present or not text[len(fm.bom) :].startswith("---"):
            return fm
    return FrontMatter(_decode(src))


def _decode(src: Source) -> str:
    data = src.read_all(limit=MAX_FILE)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise src.error(f"Markdown file is not UTF-8: {exc.reason}", exc.start) from exc


# ---- the fast path: front matter made only of simple lines ------------------------------------------------------
#
# Most front matter (and every label hegui writes) is a few lines of a small YAML subset whose meaning is fixed by
# the text: top-level ``key: value`` lines (a quoted or plain one-line scalar, a flow list of plain words, a number
# or a date), comments, blank lines, and ``AIGC:`` followed by a block of ``Key: 'value'`` lines (single- or
# double-quoted, no escapes) or ``AIGC: '<json>'``. For such text the mapping PyYAML would build is read from the
# lines directly; anything else (other characters, tabs, anchors, tags, block scalars, multi-line values, other
# nesting, a second AIGC key, an invalid date, more nodes than the alias guard allows) goes through PyYAML as
# before, which also raises the same errors on text that does not parse. tests/label/test_fast_paths.py holds the
# two paths to the same answers.
_SIMPLE_TEXT = re.compile(
    "[\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]*"
)  # printable for YAML, no tab, BOM or line break other than CR / LF (str.splitlines agrees on the lines)
_OTHER = "\xa0-\ud7ff\ue000-\U0010ffff"  # characters that are letters to a plain scalar (not indicators)
_TOP_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: +(.*?))? *")
_NESTED_LINE = re.compile(r"( +)([A-Za-z][A-Za-z0-9]*): +('(?:[^'\n\r]|'')*'|\"[^\"\\\n\r]*\") *")
_SKIP_LINE = re.compile(r" *(?:#.*)?")
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"[^\"\\]*\"")
# A plain scalar that starts with a letter resolves to a string, a boolean or null, never to something that fails.
_PLAIN = re.compile(f"[A-Za-z_{_OTHER}][^:#\\[\\]{{}}]*")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_WORD = f"[A-Za-z_{_OTHER}][-A-Za-z0-9_.{_OTHER}]*"
_FLOW_LIST = re.compile(f"\\[ *(?:{_WORD}(?: *, *{_WORD})*)? *\\]")
_NO_LABEL: tuple[str, Any] = ("none", None)


def _unquote(text: str) -> str:
    return text[1:-1].replace("''", "'") if text[0] == "'" else text[1:-1]


def _simple_value(text: str) -> int | None:
    """The number of YAML nodes a top-level value of another key makes, or None when it is not simple (or would
    not load: an impossible date)."""
    if _QUOTED.fullmatch(text) or _PLAIN.fullmatch(text) or _NUMBER.fullmatch(text):
        return 1
    date = _DATE.fullmatch(text)
    if date is not None:
        try:
            datetime.date(int(date[1]), int(date[2]), int(date[3]))
        except ValueError:
            return None  # PyYAML raises on it: the full path reports it
        return 1
    if _FLOW_LIST.fullmatch(text):
        return 1 + text.count(",") + (text[1:-1].strip() != "")
    return None


def _simple_label(lines: list[str]) -> tuple[str, Any] | None:
    """What PyYAML makes of the front matter's AIGC key, for front matter in the simple form (see above):
    ``("mapping", {key: str})``, ``("string", text)`` or ``("none", None)`` (no AIGC key, or no mapping at all);
    None for any other front matter."""
    if not _SIMPLE_TEXT.fullmatch("".join(lines)):
        return None
    label: tuple[str, Any] = _NO_LABEL
    nodes = 0
    block: dict[str, str] | None = None  # the AIGC mapping being read
    indent = ""
    for raw in lines:
        line = raw.rstrip("\r\n")
        if _SKIP_LINE.fullmatch(line):
            continue
        if line[0] == " ":
            if block is None:
                return None  # indentation outside the AIGC block (nesting, a continued scalar)
            nested = _NESTED_LINE.fullmatch(line)
            if nested is None or nested[2] not in RECORD_KEYS or (indent and nested[1] != indent):
                return None
            indent = nested[1]
            block[nested[2]] = _unquote(nested[3])
            nodes += 2
            continue
        if block is not None and not block:
            return None  # "AIGC:" without an indented block after it: null, left to the full path
        block = None
        top = _TOP_LINE.fullmatch(line)
        if top is None:
            return None
        key, value = top[1], top[2]
        if key == spec.FIELD_NAME:
            if label is not _NO_LABEL:
                return None  # a second AIGC key: the full path applies YAML's rule
            if value is None:
                block, indent = {}, ""
                label = ("mapping", block)
                nodes += 2
                continue
            if not _QUOTED.fullmatch(value):
                return None
            label = ("string", _unquote(value))
            nodes += 2
            continue
        if value is None:
            nodes += 2
            continue
        size = _simple_value(value)
        if size is None:
            return None
        nodes += 1 + size
    if block is not None and not block:
        return None
    if nodes == 0 or nodes + 1 > MAX_NODES:
        return _NO_LABEL if nodes == 0 else None
    return label


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def aigc_block(record: Record, newline: str) -> str:
    """The ``AIGC:`` mapping as the guide's example writes it: seven keys, single-quoted strings."""
    lines = ["AIGC:"] + [f"  {key}: {_quote(value)}" for key, value in record.to_dict().items()]
    return newline.join(lines) + newline


def _aigc_line_span(lines: list[str]) -> tuple[int, int] | None:
    """Index range of the top-level AIGC key and its indented (or blank) continuation lines."""
    for i, line in enumerate(lines):
        if _AIGC_LINE.match(line):
            j = i + 1
            while j < len(lines) and (lines[j][:1] in (" ", "\t") or lines[j].strip() == ""):
                j += 1
            while j > i + 1 and lines[j - 1].strip() == "":  # keep trailing blank lines outside the block
                j -= 1
            return i, j
    return None


class MarkdownContainer(Container):
    name = "markdown"
    extensions = (".md", ".markdown", ".mdown", ".mkd")
    media_type = "text/markdown"

    def sniff(self, head: bytes, name: str) -> bool:
        return name.lower().endswith(self.extensions)

    def scan(self, src: Source) -> list[Found]:
        fm = _front_matter(src)
        if not fm.present:
            return []
        simple = _simple_label(fm.lines)
        if simple is not None:
            kind, value = simple
            if kind == "none":
                return []
        else:
            data = _load_yaml(fm.yaml_text, src)
            if not isinstance(data, dict) or spec.FIELD_NAME not in data:
                return []
            value = data[spec.FIELD_NAME]
        location = "YAML front matter AIGC"
        if isinstance(value, dict):
            parsed = record_from_mapping({str(k): v for k, v in value.items()}, form="yaml-mapping")
            return [
                found_with_raw_from(
                    self.name, location, parsed.form, dump_label, (value,), parsed.record, parsed.findings, 0
                )
            ]
        if isinstance(value, str):
            return [found_from_value(self.name, location, value, offset=0)]
        problem = Finding(
            "error", "json", f"AIGC front matter value is a {type(value).__name__}, not a mapping"
        )
        return [Found(self.name, location, "invalid", repr(value), None, (problem,), 0)]

    def render(self, src: Source, dst: BinaryIO, record: Record) -> list[Finding]:
        text = _decode(src)
        fm = FrontMatter(text)
        block = aigc_block(record, fm.newline)
        if not fm.present:
            head = fm.bom + "---" + fm.newline + block + "---" + fm.newline
            new_text = head + text[len(fm.bom) :]
            before: Any = {}
        else:
            before = _load_yaml(fm.yaml_text, src)
            if before is not None and not isinstance(before, dict):
                raise src.error("YAML front matter is not a mapping; cannot add the AIGC key to it")
            lines = list(fm.lines)
            if lines and not lines[-1].endswith(("\n", "\r")):
                lines[-1] += fm.newline
            span = _aigc_line_span(lines)
            if span is None:
                lines.append(block)
            else:
                lines[span[0] : span[1]] = [block]
            new_text = text[: fm.start] + "".join(lines) + text[fm.end :]
        after = FrontMatter(new_text)
        parsed_after = _load_yaml(after.yaml_text, src)
        expected = dict(before or {})
        expected[spec.FIELD_NAME] = record.to_dict()
        if parsed_after != expected:
            raise src.error(
                "editing the front matter would change other keys; refusing (please report this file)"
            )
        dst.write(new_text.encode("utf-8"))
        return []


CONTAINERS: tuple[Container, ...] = (MarkdownContainer(),)
