"""Visible labels in streamed chat answers: the label as the first or last chunk (GB 45438-2025 §5.1, Art. 4(一)).

Two layers, both free of any web framework so the gateway can call them from its own loop:

* :func:`label_chunks` / :func:`alabel_chunks` wrap a stream of text deltas;
* :class:`SSELabeler` rewrites an OpenAI-style Server-Sent-Events stream (``data: {chat.completion.chunk}``
  frames, then ``data: [DONE]``): it inserts one extra ``chat.completion.chunk`` per choice carrying the label,
  after that choice's first frame (position "start") or before its finishing frame (position "end"), copying
  ``id``, ``model``, ``created`` and ``system_fingerprint`` from the upstream frame. Every upstream frame is passed
  on byte for byte. :func:`label_sse` and :func:`alabel_sse` drive it over sync / async byte streams.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import Any

from hegui.errors import UsageError
from hegui.label.explicit.text import DEFAULT_TEXT, Position, require_compliant

SEPARATOR = "\n\n"


def _where(position: Position) -> tuple[bool, bool]:
    if position not in ("start", "end", "both"):
        raise UsageError(f"unknown stream label position {position!r}; use start, end or both")
    return position in ("start", "both"), position in ("end", "both")


def label_chunks(
    chunks: Iterable[str],
    *,
    label: str = DEFAULT_TEXT,
    position: Position = "start",
    separator: str = SEPARATOR,
) -> Iterator[str]:
    """Yield ``chunks`` with the label as an extra first and/or last chunk."""
    start, end = _where(position)
    require_compliant(label)
    if start:
        yield label + separator
    yield from chunks
    if end:
        yield separator + label


async def alabel_chunks(
    chunks: AsyncIterable[str],
    *,
    label: str = DEFAULT_TEXT,
    position: Position = "start",
    separator: str = SEPARATOR,
) -> AsyncIterator[str]:
    """Async twin of :func:`label_chunks`."""
    start, end = _where(position)
    require_compliant(label)
    if start:
        yield label + separator
    async for chunk in chunks:
        yield chunk
    if end:
        yield separator + label


def sse_frame(payload: dict[str, Any] | str) -> bytes:
    """One Server-Sent-Events frame: ``data: <json>`` and a blank line (``[DONE]`` passes as a string)."""
    body = (
        payload
        if isinstance(payload, str)
        else json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    )
    return f"data: {body}\n\n".encode()


def chunk_payload(
    content: str,
    *,
    id: str = "chatcmpl-hegui-label",
    model: str = "",
    created: int | None = None,
    index: int = 0,
    role: str | None = None,
    finish_reason: str | None = None,
    system_fingerprint: str | None = None,
) -> dict[str, Any]:
    """A ``chat.completion.chunk`` object carrying ``content`` as the delta of choice ``index``."""
    delta: dict[str, Any] = {"content": content}
    if role:
        delta = {"role": role, **delta}
    out: dict[str, Any] = {
        "id": id,
        "object": "chat.completion.chunk",
        "created": int(time.time()) if created is None else created,
        "model": model,
        "choices": [{"index": index, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }
    if system_fingerprint is not None:
        out["system_fingerprint"] = system_fingerprint
    return out


class SSELabeler:
    """Incremental rewriter of an OpenAI chat-completions SSE byte stream (feed bytes, get bytes back)."""

    def __init__(
        self, *, label: str = DEFAULT_TEXT, position: Position = "start", separator: str = SEPARATOR
    ) -> None:
        self.start, self.end = _where(position)
        self.label = require_compliant(label)
        self.separator = separator
        self._buffer = b""
        self._started: set[int] = set()
        self._ended: set[int] = set()
        self._template: dict[str, Any] | None = None

    def _label_frame(self, template: dict[str, Any], index: int, text: str) -> bytes:
        return sse_frame(
            chunk_payload(
                text,
                id=str(template.get("id", "chatcmpl-hegui-label")),
                model=str(template.get("model", "")),
                created=template.get("created") if isinstance(template.get("created"), int) else None,
                index=index,
                system_fingerprint=template.get("system_fingerprint"),
            )
        )

    def _end_frames(self, indices: Iterable[int]) -> list[bytes]:
        out = []
        for index in sorted(indices):
            if index in self._ended or self._template is None:
                continue
            self._ended.add(index)
            out.append(self._label_frame(self._template, index, self.separator + self.label))
        return out

    def _handle(self, frame: bytes) -> list[bytes]:
        data_lines = [ln[5:].lstrip() for ln in frame.split(b"\n") if ln.startswith(b"data:")]
        if not data_lines:
            return [frame]
        data = b"\n".join(data_lines)
        if data.strip() == b"[DONE]":
            pending = self._end_frames(self._started) if self.end else []
            return [*pending, frame]
        try:
            payload = json.loads(data)
        except ValueError:
            return [frame]
        if not isinstance(payload, dict) or payload.get("object") != "chat.completion.chunk":
            return [frame]
        self._template = payload
        before: list[bytes] = []
        after: list[bytes] = []
        for choice in payload.get("choices") or []:
            index = int(choice.get("index", 0))
            first = index not in self._started
            self._started.add(index)
            if self.end and choice.get("finish_reason"):
                before.extend(self._end_frames([index]))
            if self.start and first:
                label_frame = self._label_frame(payload, index, self.label + self.separator)
                delta = choice.get("delta") or {}
                # a role-only opening frame goes first; a frame that already carries content comes after the label
                (after if delta.get("role") and not delta.get("content") else before).append(label_frame)
        return [*before, frame, *after]

    def feed(self, data: bytes) -> list[bytes]:
        """Bytes in (any split), whole frames out, with label frames inserted."""
        self._buffer += data.replace(b"\r\n", b"\n")
        out: list[bytes] = []
        while True:
            cut = self._buffer.find(b"\n\n")
            if cut < 0:
                break
            frame, self._buffer = self._buffer[: cut + 2], self._buffer[cut + 2 :]
            out.extend(self._handle(frame))
        return out

    def close(self) -> list[bytes]:
        """Flush: a trailing partial frame, and the end label if the stream stopped without a finish frame."""
        out: list[bytes] = []
        if self._buffer.strip():
            out.extend(self._handle(self._buffer))
        elif self._buffer:
            out.append(self._buffer)
        self._buffer = b""
        if self.end:
            out.extend(self._end_frames(self._started))
        return out


def label_sse(
    stream: Iterable[bytes], *, label: str = DEFAULT_TEXT, position: Position = "start"
) -> Iterator[bytes]:
    """Relabel a synchronous SSE byte stream (see :class:`SSELabeler`)."""
    labeler = SSELabeler(label=label, position=position)
    for data in stream:
        yield from labeler.feed(data)
    yield from labeler.close()


async def alabel_sse(
    stream: AsyncIterable[bytes], *, label: str = DEFAULT_TEXT, position: Position = "start"
) -> AsyncIterator[bytes]:
    """Relabel an asynchronous SSE byte stream (see :class:`SSELabeler`)."""
    labeler = SSELabeler(label=label, position=position)
    async for data in stream:
        for frame in labeler.feed(data):
            yield frame
    for frame in labeler.close():
        yield frame


def label_completion(
    response: dict[str, Any], *, label: str = DEFAULT_TEXT, position: Position = "start"
) -> dict[str, Any]:
    """A non-streamed ``chat.completion`` object with the label added to every choice's message content."""
    start, end = _where(position)
    require_compliant(label)
    out = json.loads(json.dumps(response))
    for choice in out.get("choices") or []:
        message = choice.get("message") or {}
        content = message.get("content")
        if isinstance(content, str):
            if start:
                content = label + SEPARATOR + content
            if end:
                content = content + SEPARATOR + label
            message["content"] = content
    return out
