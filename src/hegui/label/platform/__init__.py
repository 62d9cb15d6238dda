"""Content platforms under Labeling Measures Art. 6: evidence -> verdict -> stamp; Art. 9 deliveries, Art. 7 checks.

>>> from hegui.label.platform import verify_file
>>> result = verify_file("upload.png", declared_ai=False, platform_code="001191110102MACQD9K64020001", stamp=True)
>>> result["verdict"], result["notice"]
('confirmed', '该内容属于人工智能生成合成内容')

This is the service layer the CLI (``hegui verify``) and the web API (``POST /api/verify``) call.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

from hegui.label import integrity
from hegui.label.platform.evidence import Evidence, collect
from hegui.label.platform.stamp import StampResult, stamp
from hegui.label.platform.verdict import NOTICES, VERDICTS, Decision, decide

__all__ = [
    "NOTICES",
    "VERDICTS",
    "Decision",
    "Evidence",
    "StampResult",
    "collect",
    "decide",
    "iter_files",
    "stamp",
    "verify_file",
    "verify_many",
]


def verify_file(
    path: str | os.PathLike[str],
    *,
    declared_ai: bool | None = None,
    keys: integrity.Keyring | None = None,
    platform_code: str | None = None,
    do_stamp: bool = False,
    output: str | os.PathLike[str] | None = None,
    propagate_id: str | None = None,
    reserved2: str = "empty",
    key: integrity.SigningKey | None = None,
    c2pa_validate: bool = True,
    audio_cue: bool = False,
) -> dict[str, Any]:
    """Collect evidence, decide, and (with ``do_stamp``) add the platform's propagation fields.

    Returns a JSON-ready dict: ``verdict``, ``notice``, ``reasons``, ``conflicts``, ``evidence`` and ``stamp``.
    """
    ev = collect(path, declared_ai=declared_ai, keys=keys, c2pa_validate=c2pa_validate, audio_cue=audio_cue)
    decision = decide(ev)
    out = decision.to_dict()
    out["path"] = str(path)
    out["stamp"] = None
    if do_stamp:
        out["stamp"] = stamp(
            path,
            decision,
            platform_code or "",
            propagate_id=propagate_id,
            output=output,
            reserved2=reserved2,  # type: ignore[arg-type]
            key=key,
        ).to_dict()
    return out


def iter_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Files under ``paths`` (folders recursively, in sorted order; hidden files and folders skipped)."""
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(root) / name
        else:
            yield p


@lru_cache(maxsize=8)
def _keyring(folder: str) -> integrity.Keyring:
    return integrity.Keyring.load(folder)


@lru_cache(maxsize=4)
def _signing_key(path: str, owner: str) -> integrity.SigningKey:
    return integrity.load_signing_key(path, owner=owner)


def _one(args: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    path, options = args
    if isinstance(options.get("keys"), str):  # a keys folder: loaded once per worker (keys do not pickle)
        options = {**options, "keys": _keyring(options["keys"])}
    if isinstance(options.get("key"), str):  # a signing key file, likewise
        options = {**options, "key": _signing_key(options["key"], options.get("platform_code") or "")}
    try:
        return verify_file(path, **options)
    except Exception as exc:  # one bad file must not stop a batch; it is reported with its error
        from hegui.errors import HeguiError

        kind = "error" if isinstance(exc, HeguiError) else "internal-error"
        return {"path": path, "verdict": None, "error": f"{kind}: {exc}", "stamp": None}


def verify_many(
    paths: Iterable[str | os.PathLike[str]], *, jobs: int = 1, **options: Any
) -> Iterator[dict[str, Any]]:
    """:func:`verify_file` over many files, in input order, with ``jobs`` worker processes.

    Pass ``keys`` as a folder path and ``key`` as a key file path (str) when ``jobs > 1``: key objects cannot be
    sent to worker processes.
    """
    items = ((str(p), options) for p in iter_files(paths))
    if jobs <= 1:
        yield from map(_one, items)
        return
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(_one, items, chunksize=32)
