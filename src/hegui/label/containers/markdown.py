"""Markdown: YAML front matter at the head of the file with an ``AIGC:`` mapping of the seven keys (TC260-PG-20258A,
reference §2.7). A string value holding the JSON (bare or wrapped) is read too.

The front matter is edited as text, not re-dumped through a YAML library: re-dumping would reorder keys, change
quoting and drop comments of the author's own front matter. Only the top-level ``AIGC:`` block is replaced (or
appended); the result is parsed again with PyYAML to prove every other key kept its value. The body is untouched.
Reading decodes only the head of the file when the front matter closes within its first 64 KiB, and parses the
YAML once, with libyaml when PyYAML has it.
"""

from __future__ import annotations

import re
from typing import Any, BinaryIO

import yaml

from hegui.label import spec
from hegui.label.containers.base import Container, Found, Source, found_from_value
from hegui.label.record import RECORD_KEYS, Finding, Record, record_from_mapping

MAX_FILE = 64 * 1024 * 1024  # Markdown files are parsed whole; larger ones are refused
MAX_FRONT_MATTER = 1024 * 1024
BOM = "\ufeff"
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
        lines = body.splitlines(keepends=True)
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

    @property
    def yaml_text(self) -> str:
        return "".join(self.lines)


MAX_NODES = 100_000  # front matter expanded through its aliases ("billion laughs" guard)


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """Node count of the document with every alias expanded, computed in linear time over the shared graph."""
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


# libyaml's parser when PyYAML was built with it (the same safe constructor and resolver, many times faster).
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_PLAIN_ASCII = re.compile(r"[\x20-\x7e]*")


def _load_yaml(text: str, src: Source) -> Any:
    """``yaml.safe_load`` after the alias-expansion guard, from one parse (the guard looks at the same nodes)."""
    try:
        loader = _LOADER(text)
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
        text: str = yaml.serialize(node, Dumper=_DUMPER, allow_unicode=True)
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
        data = _load_yaml(fm.yaml_text, src)
        if not isinstance(data, dict) or spec.FIELD_NAME not in data:
            return []
        value = data[spec.FIELD_NAME]
        location = "YAML front matter AIGC"
        if isinstance(value, dict):
            parsed = record_from_mapping({str(k): v for k, v in value.items()}, form="yaml-mapping")
            raw = dump_label(value)
            return [Found(self.name, location, parsed.form, raw, parsed.record, parsed.findings, 0)]
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
