"""Screening: keyword libraries, personal information, the 31-risk classifier and refusals.

``hegui.screen.screen(texts)`` runs the whole pipeline (see :mod:`hegui.screen.service`); ``Screener`` is the call
shape every checker shares. Names load on first use, so ``import hegui.screen.lexicon`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hegui.screen.service import (
        FileResult,
        LexiconIdentity,
        Pipeline,
        Screener,
        ScreenResult,
        TextResult,
        screen,
        screen_file,
    )

__all__ = [
    "FileResult",
    "LexiconIdentity",
    "Pipeline",
    "ScreenResult",
    "Screener",
    "TextResult",
    "screen",
    "screen_file",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from hegui.screen import service

        return getattr(service, name)
    raise AttributeError(f"module 'hegui.screen' has no attribute {name!r}")
