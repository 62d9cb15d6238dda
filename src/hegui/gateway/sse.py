"""Server-Sent Events as OpenAI-compatible servers send them: frames separated by a blank line, ``data:`` lines."""

from __future__ import annotations

import json
from typing import Any

MAX_FRAME = 4 << 20
"""A frame larger than this is a broken or hostile upstream, not a chat reply."""


class FrameTooLarge(Exception):
    pass


class SSEParser:
    """Feed bytes in any split; get back ``(raw frame, data)`` where data is the joined ``data:`` lines (or None)."""

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, data: bytes) -> list[tuple[bytes, bytes | None]]:
        self._buf += data.replace(b"\r\n", b"\n")
        out: list[tuple[bytes, bytes | None]] = []
        while True:
            cut = self._buf.find(b"\n\n")
            if cut < 0:
                if len(self._buf) > MAX_FRAME:
                    raise FrameTooLarge(f"an upstream event exceeds {MAX_FRAME} bytes")
                return out
            frame, self._buf = self._buf[: cut + 2], self._buf[cut + 2 :]
            out.append((frame, _data(frame)))

    def close(self) -> list[tuple[bytes, bytes | None]]:
        rest, self._buf = self._buf, b""
        return [(rest + b"\n\n", _data(rest))] if rest.strip() else []


def _data(frame: bytes) -> bytes | None:
    lines = [ln[5:].lstrip(b" ") for ln in frame.split(b"\n") if ln.startswith(b"data:")]
    return b"\n".join(lines) if lines else None


def frame(payload: dict[str, Any] | str) -> bytes:
    body = (
        payload
        if isinstance(payload, str)
        else json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    )
    return b"data: " + body.encode("utf-8") + b"\n\n"


DONE = b"data: [DONE]\n\n"
