"""Persistent notices for chat and other interactive interfaces (GB 45438-2025 clause 5, interactive scenes; the
clause number of that rule is unverified, see reference §1.2): the ``<aigc-notice>`` web component and a plain
HTML/CSS snippet, both dependency-free, accessible (role="note", an aria-label holding the full text), themable
through CSS custom properties, with dark mode."""

from __future__ import annotations

import html
from importlib import resources

from hegui.label.explicit.text import DEFAULT_TEXT, require_compliant


def component_js() -> str:
    """Source of the ``<aigc-notice>`` custom element (serve it, or inline it in a ``<script>``: it never holds
    a closing script tag)."""
    source = resources.files(__package__).joinpath("aigc-notice.js").read_text(encoding="utf-8")
    return source.replace("</", "<\\/")


def snippet_css() -> str:
    """The stylesheet of the plain HTML snippet."""
    return resources.files(__package__).joinpath("aigc-notice.css").read_text(encoding="utf-8")


def snippet_html(text: str = DEFAULT_TEXT, *, position: str = "inline", theme: str = "auto") -> str:
    """The notice as plain HTML (pair it with :func:`snippet_css`); ``text`` must hold both elements."""
    require_compliant(text)
    classes = ["aigc-notice"]
    if position in ("top", "bottom"):
        classes.append(f"aigc-notice--{position}")
    if theme in ("dark", "light"):
        classes.append(f"aigc-notice--{theme}")
    escaped = html.escape(text)
    return (
        f'<p class="{" ".join(classes)}" role="note" aria-label="{escaped}" data-aigc-label="explicit">'
        f'<span class="aigc-notice__badge" aria-hidden="true">AI</span>{escaped}</p>'
    )


def component_html(text: str = DEFAULT_TEXT, *, position: str = "inline", theme: str = "auto") -> str:
    """An ``<aigc-notice>`` tag with escaped attributes."""
    require_compliant(text)
    attrs = f' text="{html.escape(text)}"'
    if position != "inline":
        attrs += f' position="{html.escape(position)}"'
    if theme != "auto":
        attrs += f' theme="{html.escape(theme)}"'
    return f"<aigc-notice{attrs}></aigc-notice>"


def demo_page(text: str = DEFAULT_TEXT, *, theme: str = "auto") -> str:
    """A self-contained chat page showing both forms (for the docs gallery and ``make demo``)."""
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>hegui: AI-generated notice</title>
<style>{snippet_css()}
body{{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:0;padding:0 1rem 1rem;max-width:36rem}}
body.dark{{background:#0f172a;color:#e2e8f0}} .msg{{margin:.75rem 0;padding:.6rem .8rem;border-radius:.6rem}}
.user{{background:#e2e8f0;color:#0f172a;margin-left:4rem}} .bot{{background:#f8fafc;color:#0f172a;border:1px solid #cbd5e1}}
body.dark .bot{{background:#1e293b;color:#e2e8f0;border-color:#334155}}</style>
<script>{component_js()}</script></head>
<body class="{"dark" if theme == "dark" else ""}">
{component_html(text, position="top", theme=theme)}
<div class="msg user">帮我写一首关于春天的短诗。</div>
<div class="msg bot">春风拂柳绿，细雨润花红。燕子归来早，人间处处同。</div>
{snippet_html(text, theme=theme)}
</body></html>
"""
