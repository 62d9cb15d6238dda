"""Markdown sample: front matter of the author's own plus a Chinese body; ``size`` grows the body."""

from __future__ import annotations

from pathlib import Path

PARAGRAPH = "人工智能生成合成内容应当添加显式标识和隐式标识。This paragraph is filler for size tests.\n\n"


def make(folder: Path, *, size: int = 0) -> list[Path]:
    body = "# 示例文档 / Sample\n\n" + PARAGRAPH * max(1, size // len(PARAGRAPH.encode()))
    path = folder / "sample.md"
    path.write_text('---\ntitle: "Sample"\ntags: [demo, hegui]\n---\n' + body, encoding="utf-8")
    return [path]
