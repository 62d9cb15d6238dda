"""Small, valid sample files of every supported format, made at run time (for the demo, benchmarks and tests).

One module per container module (same name), each exposing
``make(folder: Path, *, size: int = 0) -> list[Path]``: write one or more unlabeled sample files into ``folder``
and return their paths. ``size`` asks for files of roughly that many bytes of media data (0: as small as possible),
so benchmarks can show how cost grows with file size. Images come from Pillow, documents are built by hand or with
pikepdf, audio and video from ffmpeg (``testsrc`` / ``sine``); no binaries live in the repository.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from hegui.label.containers import MODULES

Maker = Callable[..., list[Path]]


def modules() -> list[ModuleType]:
    """The sample modules that exist, in container order."""
    found: list[ModuleType] = []
    for name in MODULES:
        qualified = f"{__name__}.{name}"
        try:
            found.append(importlib.import_module(qualified))
        except ModuleNotFoundError as exc:
            if exc.name != qualified:
                raise
    return found


def make_all(folder: Path, *, size: int = 0) -> list[Path]:
    """One or more samples of every format that has a sample module."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for module in modules():
        paths.extend(module.make(folder, size=size))
    return paths
