"""Visible labels in text (GB 45438-2025 §5.1; Labeling Measures Art. 4(一)).

A text label must hold an AI element ("人工智能" or "AI") and a generation element ("生成" and/or "合成"); the
standard fixes no wording, so :func:`elements` tests for the two elements and every template is checked against it.
The label goes at the start, the end, both, or a chosen place in the middle; Markdown and HTML documents get it as a
block of their own (after YAML/TOML front matter, never inside a code fence or a table; in HTML as a real, escaped
element).
"""

from __future__ import annotations

import html
import re
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from typing import Any, Literal

from hegui.errors import UsageError

AI_ELEMENTS = ("人工智能", "AI")
GENERATION_ELEMENTS = ("生成", "合成")

#: Ready-made label texts; each holds both elements (checked at import time below).
TEMPLATES: dict[str, str] = {
    "default": "本内容由人工智能生成",
    "short": "AI生成",
    "synthesis": "本内容由人工智能生成合成",
    "ai-synthesis": "AI合成",
    "bilingual": "本内容由人工智能生成 (AI-generated)",
}
DEFAULT_TEXT = TEMPLATES["default"]

Position = Literal["start", "end", "both"]
TextFormat = Literal["plain", "markdown", "html"]

# "AI" as a word of its own: not inside "MAIL" or "AID"; CJK neighbours are fine ("AI生成").
_AI_WORD = re.compile(
    r"(?<![A-Za-z])AI(?:GC)?(?![A-Za-z])"
)  # "AIGC" (as in AIGC生成内容) holds the AI element
_FULLWIDTH = str.maketrans({chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)})


@dataclass(frozen=True)
class Elements:
    """Which of the two required elements a piece of text holds (§5.1)."""

    ai: tuple[str, ...]
    generation: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return bool(self.ai) and bool(self.generation)

    @property
    def missing(self) -> list[str]:
        out = []
        if not self.ai:
            out.append("AI element (人工智能 or AI)")
        if not self.generation:
            out.append("generation element (生成 and/or 合成)")
        return out


def _fold(text: str) -> str:
    """Full-width ASCII to ASCII, one character for one, so offsets stay valid."""
    return text.translate(_FULLWIDTH)


def elements(text: str) -> Elements:
    """The AI and generation elements found in ``text`` (full-width "ＡＩ" counts as "AI")."""
    folded = _fold(text)
    ai = tuple(e for e in AI_ELEMENTS if (_AI_WORD.search(folded) if e == "AI" else e in folded))
    gen = tuple(e for e in GENERATION_ELEMENTS if e in folded)
    return Elements(ai, gen)


def require_compliant(label: str) -> str:
    """Return ``label`` if it holds both elements, else raise :class:`UsageError` naming what is missing."""
    found = elements(label)
    if not found.complete:
        raise UsageError(
            f"label text {label!r} lacks the {' and the '.join(found.missing)} that GB 45438-2025 §5.1 requires"
        )
    return label


for _name, _text in TEMPLATES.items():  # a template without both elements is a bug, caught at import
    require_compliant(_text)


# --------------------------------------------------------------------------------------------------------------
# Adding a label
# --------------------------------------------------------------------------------------------------------------


def label_text(
    text: str,
    *,
    label: str = DEFAULT_TEXT,
    position: Position | int = "start",
    fmt: TextFormat = "plain",
) -> str:
    """``text`` with the visible label added at ``position`` ("start", "end", "both" or a character offset).

    An offset is moved forward to the next place where a block may begin (a line break or sentence end in plain
    text; a blank line outside code fences, tables and front matter in Markdown; after a closing block tag outside
    ``pre``/``script``/``style``/``table`` in HTML).
    """
    require_compliant(label)
    if fmt == "markdown":
        return _label_markdown(text, label, position)
    if fmt == "html":
        return _label_html(text, label, position)
    if fmt != "plain":
        raise UsageError(f"unknown text format {fmt!r}; use plain, markdown or html")
    return _label_plain(text, label, position)


def _positions(position: Position | int) -> tuple[bool, bool, int | None]:
    if isinstance(position, int) and not isinstance(position, bool):
        if position < 0:
            raise UsageError(f"label position {position} is negative")
        return False, False, position
    if position not in ("start", "end", "both"):
        raise UsageError(f"unknown label position {position!r}; use start, end, both or a character offset")
    return position in ("start", "both"), position in ("end", "both"), None


_SENTENCE_END = re.compile(r"[。！？!?]|\.(?=\s)|\n")


def _label_plain(text: str, label: str, position: Position | int) -> str:
    start, end, offset = _positions(position)
    if offset is not None:
        if offset >= len(text):
            return _label_plain(text, label, "end")
        hit = _SENTENCE_END.search(text, offset)
        at = hit.end() if hit else len(text)
        if at >= len(text):
            return _label_plain(text, label, "end")
        return text[:at] + ("" if text[at - 1] == "\n" else "\n") + label + "\n" + text[at:]
    out = text
    if start:
        out = f"{label}\n\n{out}" if out else label
    if end:
        out = f"{out.rstrip()}\n\n{label}" if out.strip() else f"{out}{label}"
    return out


# Markdown --------------------------------------------------------------------------------------------------------

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_TABLE_ROW = re.compile(r"^\s*\|")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!~])")


def _md_escape(label: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", label)


def _front_matter_end(lines: list[str]) -> int:
    """Index of the first line after YAML (---) or TOML (+++) front matter, or 0."""
    if lines and lines[0].rstrip("\r\n") in ("---", "+++"):
        fence = lines[0].rstrip("\r\n")
        closers = {fence, "..."} if fence == "---" else {fence}
        for i in range(1, len(lines)):
            if lines[i].rstrip("\r\n") in closers:
                return i + 1
    return 0


def _markdown_safe_lines(lines: list[str], body_start: int) -> tuple[list[bool], bool]:
    """For each line index, whether a new block may start before it; and whether a fence is left open."""
    safe = [False] * (len(lines) + 1)
    fence: str | None = None
    prev_blank = True
    in_table = False
    for i in range(body_start, len(lines)):
        line = lines[i]
        stripped = line.strip()
        if fence is None and not in_table and (not stripped or prev_blank):
            safe[i] = True
        m = _FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)[0] * len(m.group(1))
        elif (
            fence is not None
            and m
            and m.group(1)[0] == fence[0]
            and len(m.group(1)) >= len(fence)
            and not line.strip().lstrip(fence[0])
        ):
            fence = None
        if fence is None:
            in_table = bool(_TABLE_ROW.match(line)) or (in_table and "|" in line and bool(stripped))
            prev_blank = not stripped
        else:
            prev_blank = False
    safe[len(lines)] = fence is None
    return safe, fence is not None


def _label_markdown(text: str, label: str, position: Position | int) -> str:
    start, end, offset = _positions(position)
    block = "> " + _md_escape(label)
    lines = text.splitlines(keepends=True)
    body = _front_matter_end(lines)
    if offset is not None:
        safe, _ = _markdown_safe_lines(lines, body)
        consumed = 0
        for i, line in enumerate(lines):
            if consumed >= offset and i >= body and safe[i] and lines[i].strip() == "":
                # insert after this blank line so the label is its own paragraph
                return "".join(lines[: i + 1]) + block + "\n\n" + "".join(lines[i + 1 :])
            consumed += len(line)
        return _label_markdown(text, label, "end")
    head, rest = "".join(lines[:body]), "".join(lines[body:])
    if start:
        rest = block + "\n\n" + rest.lstrip("\n") if rest.strip() else block + "\n"
        if head and not head.endswith("\n"):
            head += "\n"
    out = head + rest
    if end:
        _, open_fence = _markdown_safe_lines(out.splitlines(keepends=True), body)
        tail = out.rstrip("\n")
        if open_fence:  # a truncated answer: close the fence so the label is not shown as code
            fence_line = next(
                (m.group(1) for ln in reversed(out.splitlines()) if (m := _FENCE.match(ln))), "```"
            )
            tail += "\n" + fence_line[0] * len(fence_line)
        out = (tail + "\n\n" if tail.strip() else tail) + block + "\n"
    return out


# HTML ------------------------------------------------------------------------------------------------------------

_BLOCK_CLOSERS = {"p", "div", "section", "article", "blockquote", "pre", "table", "ul", "ol", "h1", "h2"}
_BLOCK_CLOSERS |= {"h3", "h4", "h5", "h6", "header", "footer", "figure", "main", "dl", "hr"}
_OPAQUE = {"pre", "script", "style", "table", "textarea", "code", "template", "ul", "ol", "dl"}


def html_element(label: str) -> str:
    """The label as a real HTML element, escaped, announced to assistive technology."""
    return f'<p class="aigc-label" role="note" data-aigc-label="explicit">{html.escape(require_compliant(label))}</p>'


class _Scanner(HTMLParser):
    """Records where ``<body>`` opens, where ``</body>`` closes, and safe block boundaries."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=False)
        self.line_starts = [0]
        for m in re.finditer("\n", text):
            self.line_starts.append(m.end())
        self.text = text
        self.body_open: int | None = None
        self.body_close: int | None = None
        self.boundaries: list[int] = []
        self.depth: dict[str, int] = {}

    def _offset(self) -> int:
        line, col = self.getpos()
        return self.line_starts[line - 1] + col

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body" and self.body_open is None:
            self.body_open = self._offset() + len(self.get_starttag_text() or "")
        if tag in _OPAQUE:
            self.depth[tag] = self.depth.get(tag, 0) + 1
        if tag == "hr" and not any(self.depth.values()):
            self.boundaries.append(self._offset() + len(self.get_starttag_text() or ""))

    def handle_endtag(self, tag: str) -> None:
        at = self._offset()
        if tag == "body":
            self.body_close = at
        if tag in _OPAQUE and self.depth.get(tag):
            self.depth[tag] -= 1
        if tag in _BLOCK_CLOSERS and not any(self.depth.values()):
            end = self.text.find(">", at)
            self.boundaries.append(end + 1 if end >= 0 else at)


def _label_html(text: str, label: str, position: Position | int) -> str:
    start, end, offset = _positions(position)
    element = html_element(label)
    scan = _Scanner(text)
    scan.feed(text)
    scan.close()
    if offset is not None:
        after = [b for b in scan.boundaries if b >= offset]
        if not after or (scan.body_close is not None and after[0] > scan.body_close):
            return _label_html(text, label, "end")
        at = after[0]
        return text[:at] + element + text[at:]
    out = text
    if end:
        at = scan.body_close if scan.body_close is not None else len(out)
        out = out[:at] + element + "\n" + out[at:]
    if start:
        at = scan.body_open if scan.body_open is not None else _after_doctype(out)
        out = out[:at] + ("\n" if scan.body_open is not None else "") + element + "\n" + out[at:]
    return out


def _after_doctype(text: str) -> int:
    m = re.match(r"\s*<!doctype[^>]*>\s*", text, re.IGNORECASE)
    return m.end() if m else 0


# --------------------------------------------------------------------------------------------------------------
# Checking
# --------------------------------------------------------------------------------------------------------------

_SEGMENT = re.compile(r"[^\n。！？!?]+[。！？!?]?")
_TAG = re.compile(r"<[^>]*>")
_LABELISH_GEN = re.compile(r"由.{0,15}(生成|合成)|(生成|合成)的?内容|内容.{0,6}(生成|合成)")
_LABELISH_AI = re.compile(
    r"(AI|人工智能).{0,8}(创作|制作|辅助|产出|撰写|generated|created|written)", re.IGNORECASE
)
EDGE_WINDOW = 200  # characters from either end of the text that count as its start / end


@dataclass
class TextHit:
    """One label found in text: where (character offsets), in which part, and which elements it holds."""

    start: int
    end: int
    text: str
    where: str  # "start" | "end" | "middle"
    ai: list[str]
    generation: list[str]
    missing: list[str] = field(default_factory=list)


@dataclass
class TextCheck:
    compliant: bool
    labels: list[TextHit]
    incomplete: list[TextHit]

    @property
    def problems(self) -> list[str]:
        out = (
            []
            if self.compliant
            else ["no sentence or line holds both the AI and the generation element (§5.1)"]
        )
        out += [
            f"label-like text {h.text!r} lacks the {' and the '.join(h.missing)}" for h in self.incomplete
        ]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "compliant": self.compliant,
            "labels": [asdict(h) for h in self.labels],
            "incomplete": [asdict(h) for h in self.incomplete],
            "problems": self.problems,
        }


def check_text(text: str, *, fmt: TextFormat = "plain") -> TextCheck:
    """Find visible labels in ``text``: complete ones (both elements in one sentence or line) and label-like
    sentences that miss an element. HTML tags are blanked out (offsets stay those of the original)."""
    scan = _TAG.sub(lambda m: " " * len(m.group()), text) if fmt == "html" else text
    if fmt == "html":
        scan = re.sub(r"&[a-zA-Z]+;|&#\d+;", lambda m: " " * len(m.group()), scan)
    content = scan.strip()
    first = len(scan) - len(scan.lstrip())
    last = first + len(content)
    labels: list[TextHit] = []
    incomplete: list[TextHit] = []
    for m in _SEGMENT.finditer(scan):
        segment = m.group().strip()
        if not segment:
            continue
        s = m.start() + (len(m.group()) - len(m.group().lstrip()))
        e = s + len(segment)
        found = elements(segment)
        where = "start" if s - first < EDGE_WINDOW else "end" if last - e < EDGE_WINDOW else "middle"
        hit = TextHit(s, e, text[s:e], where, list(found.ai), list(found.generation), found.missing)
        if found.complete:
            labels.append(hit)
        elif len(segment) <= 60 and (
            (found.generation and _LABELISH_GEN.search(_fold(segment)))
            or (found.ai and _LABELISH_AI.search(_fold(segment)))
        ):
            incomplete.append(hit)
    return TextCheck(bool(labels), labels, incomplete)
