"""Text labels (GB 45438-2025 §5.1): both elements always, Markdown/HTML structure respected, checker finds them."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from hegui.errors import UsageError
from hegui.label.explicit.text import TEMPLATES, check_text, elements, label_text, require_compliant

MARKDOWN = """---
title: 春天
AIGC: {"Label": "1"}
---
# 标题

```python
x = 1

y = 2
```

| a | b |
|---|---|
| 1 | 2 |

最后一段。
"""


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_every_template_holds_both_elements(name: str) -> None:
    found = elements(TEMPLATES[name])
    assert found.ai and found.generation


@pytest.mark.parametrize(
    ("text", "ai", "gen"),
    [
        ("AI生成", True, True),
        ("人工智能合成", True, True),
        ("ＡＩ生成", True, True),  # full-width counts
        ("MAIL生成", False, True),  # "AI" inside a word does not
        ("AI助手", True, False),
        ("本内容由模型生成", False, True),
    ],
)
def test_elements(text: str, ai: bool, gen: bool) -> None:
    found = elements(text)
    assert bool(found.ai) is ai and bool(found.generation) is gen


def test_label_without_an_element_is_refused() -> None:
    with pytest.raises(UsageError, match="generation element"):
        require_compliant("AI助手")
    with pytest.raises(UsageError, match="AI element"):
        label_text("x", label="本内容由模型生成")


@pytest.mark.parametrize("position", ["start", "end", "both"])
def test_plain_positions(position: str) -> None:
    out = label_text("正文第一句。正文第二句。", position=position)  # type: ignore[arg-type]
    check = check_text(out)
    assert check.compliant
    wheres = {h.where for h in check.labels}
    assert wheres == ({"start", "end"} if position == "both" else {position}) or len(out) < 400


def test_plain_offset_snaps_to_sentence_end() -> None:
    body = "第一句话。" * 60 + "第二部分。" * 60
    out = label_text(body, position=302)
    at = out.index("本内容由人工智能生成")
    assert out[at - 1] == "\n" and out[at - 2] == "。"
    assert check_text(out).labels[0].where == "middle"


def test_markdown_keeps_front_matter_first_and_code_intact() -> None:
    out = label_text(MARKDOWN, fmt="markdown", position="both")
    assert out.startswith("---\ntitle: 春天\n")
    fm_end = out.index("---\n", 4) + 4
    assert out[fm_end:].startswith("> 本内容由人工智能生成\n\n# 标题")
    assert "```python\nx = 1\n\ny = 2\n```" in out
    assert out.rstrip().endswith("> 本内容由人工智能生成")


def test_markdown_offset_never_lands_in_a_fence_or_table() -> None:
    inside_fence = MARKDOWN.index("y = 2")
    out = label_text(MARKDOWN, fmt="markdown", position=inside_fence)
    fence = out[out.index("```python") : out.index("```", out.index("```python") + 3)]
    assert "本内容" not in fence
    inside_table = MARKDOWN.index("| 1 | 2 |")
    out = label_text(MARKDOWN, fmt="markdown", position=inside_table)
    lines = out.splitlines()
    label_line = next(i for i, ln in enumerate(lines) if "本内容" in ln)
    assert not lines[label_line - 1].startswith("|") or lines[label_line - 1] == ""
    assert "| a | b |\n|---|---|\n| 1 | 2 |" in out


def test_markdown_end_closes_a_truncated_fence() -> None:
    out = label_text("答案：\n\n```js\nlet a = 1;\n", fmt="markdown", position="end")
    assert out.endswith("```\n\n> 本内容由人工智能生成\n")


def test_markdown_escapes_the_label() -> None:
    out = label_text("x", fmt="markdown", label="AI生成 *强调* [链接]", position="start")
    assert out.startswith(r"> AI生成 \*强调\* \[链接\]")


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.found: list[tuple[list[str], str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if "人工智能" in data or "AI" in data:
            self.found.append((list(self.stack), data))


def test_html_label_is_a_real_escaped_element_inside_body() -> None:
    page = (
        "<!doctype html><html><head><title>t</title></head><body><p>正文</p><pre>a</p>b</pre></body></html>"
    )
    out = label_text(page, fmt="html", position="both", label="AI生成 <b>&</b>")
    parser = _Collect()
    parser.feed(out)
    labels = [f for f in parser.found if "AI生成" in f[1]]
    assert len(labels) == 2
    for stack, data in labels:
        assert stack[-2:] == ["body", "p"]
        assert data == "AI生成 <b>&</b>"  # shown as text, not markup
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in out
    assert check_text(out, fmt="html").compliant


def test_html_offset_skips_pre_and_table() -> None:
    page = "<p>一</p><pre>代码</p>还在pre</pre><table><tr><td>x</td></tr></table><p>二</p>"
    out = label_text(page, fmt="html", position=page.index("代码"))
    at = out.index('class="aigc-label"')
    assert at > out.index("</pre>")
    assert not out.index("<table>") < at < out.index("</table>")


def test_checker_reports_place_and_flags_missing_elements() -> None:
    check = check_text("本内容由模型生成。\n今天的天气很好。")
    assert not check.compliant
    assert check.incomplete and check.incomplete[0].missing == ["AI element (人工智能 or AI)"]
    check = check_text("这是 AI 辅助创作的内容\n" + "正文。" * 200)
    assert not check.compliant and check.incomplete[0].where == "start"
    good = check_text("正文。" * 200 + "\n以上内容由AI生成")
    assert good.compliant and good.labels[0].where == "end"
    assert good.labels[0].text == "以上内容由AI生成"


def test_aigc_counts_as_the_ai_element_but_mail_does_not() -> None:
    from hegui.label.explicit.text import elements

    assert elements("AIGC生成内容").complete
    assert not elements("MAIL生成").complete
