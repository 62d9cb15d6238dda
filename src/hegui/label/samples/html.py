"""HTML sample: a small UTF-8 page with a charset declaration; ``size`` grows the body."""

from __future__ import annotations

from pathlib import Path

PARAGRAPH = "<p>人工智能生成合成内容 / AI-generated content.</p>\n"


def make(folder: Path, *, size: int = 0) -> list[Path]:
    body = PARAGRAPH * max(1, size // len(PARAGRAPH.encode()))
    page = (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n<title>示例</title>\n</head>\n'
        f"<body>\n{body}</body>\n</html>\n"
    )
    path = folder / "sample.html"
    path.write_text(page, encoding="utf-8")
    return [path]
