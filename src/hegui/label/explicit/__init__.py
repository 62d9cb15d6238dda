"""Visible (explicit) labels of GB 45438-2025 clause 5 and Labeling Measures Art. 4: text, images, audio, video
and chat interfaces, each with an independent checker. Media modules are imported lazily (they pull in Pillow,
numpy and ffmpeg helpers)."""

from __future__ import annotations

from hegui.label.explicit.stream import (
    SSELabeler,
    alabel_chunks,
    alabel_sse,
    label_chunks,
    label_completion,
    label_sse,
)
from hegui.label.explicit.text import (
    AI_ELEMENTS,
    DEFAULT_TEXT,
    GENERATION_ELEMENTS,
    TEMPLATES,
    Elements,
    TextCheck,
    check_text,
    elements,
    label_text,
    require_compliant,
)

__all__ = [
    "AI_ELEMENTS",
    "DEFAULT_TEXT",
    "GENERATION_ELEMENTS",
    "TEMPLATES",
    "Elements",
    "SSELabeler",
    "TextCheck",
    "alabel_chunks",
    "alabel_sse",
    "check_text",
    "elements",
    "label_chunks",
    "label_completion",
    "label_sse",
    "label_text",
    "require_compliant",
]
