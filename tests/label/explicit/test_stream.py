"""Streamed chat answers: the label as first or last chunk, and SSE frames in chat.completion.chunk shape."""

from __future__ import annotations

import asyncio
import json

import pytest

from hegui.label.explicit.stream import (
    alabel_chunks,
    alabel_sse,
    chunk_payload,
    label_chunks,
    label_completion,
    label_sse,
    sse_frame,
)
from hegui.label.explicit.text import DEFAULT_TEXT, check_text


def upstream(choices: int = 1, split: int = 7) -> list[bytes]:
    """An OpenAI-shaped stream: role frame, content frames, finish frame, usage frame, [DONE]; cut in odd places."""
    frames = []
    for i in range(choices):
        frames.append(sse_frame(chunk_payload("", id="c1", model="m", created=1, index=i, role="assistant")))
    for word in ["你好", "，", "世界"]:
        for i in range(choices):
            frames.append(sse_frame(chunk_payload(word, id="c1", model="m", created=1, index=i)))
    for i in range(choices):
        payload = chunk_payload("", id="c1", model="m", created=1, index=i, finish_reason="stop")
        payload["choices"][0]["delta"] = {}
        frames.append(sse_frame(payload))
    frames.append(
        sse_frame(
            {"id": "c1", "object": "chat.completion.chunk", "choices": [], "usage": {"total_tokens": 3}}
        )
    )
    frames.append(b"data: [DONE]\n\n")
    data = b"".join(frames)
    return [data[i : i + split] for i in range(0, len(data), split)]


def parse(stream: list[bytes]) -> tuple[dict[int, str], list[dict]]:
    text: dict[int, str] = {}
    payloads = []
    for frame in b"".join(stream).split(b"\n\n"):
        if not frame.startswith(b"data: ") or frame == b"data: [DONE]":
            continue
        payload = json.loads(frame[6:])
        payloads.append(payload)
        for choice in payload["choices"]:
            text[choice["index"]] = text.get(choice["index"], "") + (choice["delta"].get("content") or "")
    return text, payloads


@pytest.mark.parametrize("position", ["start", "end", "both"])
def test_text_chunks(position: str) -> None:
    out = list(label_chunks(["你好", "世界"], position=position))  # type: ignore[arg-type]
    joined = "".join(out)
    assert check_text(joined).compliant
    assert joined.startswith(DEFAULT_TEXT) is (position in ("start", "both"))
    assert joined.endswith(DEFAULT_TEXT) is (position in ("end", "both"))

    async def collect() -> list[str]:
        async def source():  # type: ignore[no-untyped-def]
            for c in ["你好", "世界"]:
                yield c

        return [c async for c in alabel_chunks(source(), position=position)]  # type: ignore[arg-type]

    assert asyncio.run(collect()) == out


@pytest.mark.parametrize("choices", [1, 2])
@pytest.mark.parametrize("position", ["start", "end", "both"])
def test_sse_labels_every_choice_and_keeps_upstream_frames(position: str, choices: int) -> None:
    source = upstream(choices)
    out = list(label_sse(source, position=position))  # type: ignore[arg-type]
    text, payloads = parse(out)
    for i in range(choices):
        assert text[i].replace("\n\n", "") in {
            f"{DEFAULT_TEXT}你好，世界",
            f"你好，世界{DEFAULT_TEXT}",
            f"{DEFAULT_TEXT}你好，世界{DEFAULT_TEXT}",
        }
        assert text[i].startswith(DEFAULT_TEXT) is (position in ("start", "both"))
        assert text[i].endswith(DEFAULT_TEXT) is (position in ("end", "both"))
    # every inserted frame has the chunk shape and the upstream identity
    for p in payloads:
        assert p["object"] == "chat.completion.chunk" and p["id"] == "c1"
    # upstream frames pass byte for byte, in order; [DONE] stays last
    original = b"".join(source)
    joined = b"".join(out)
    for frame in original.split(b"\n\n"):
        if frame:
            assert frame + b"\n\n" in joined
    assert joined.endswith(b"data: [DONE]\n\n")
    # the end label comes before the finish frame of its choice
    if position != "start":
        finish = joined.rindex(b'"finish_reason":"stop"')
        assert joined.rindex(DEFAULT_TEXT.encode()) < finish


def test_sse_end_label_when_upstream_stops_without_finish() -> None:
    frames = [sse_frame(chunk_payload("半句", id="x", model="m", created=1))]
    text, _ = parse(list(label_sse(frames, position="end")))
    assert text[0].endswith(DEFAULT_TEXT)


def test_async_sse() -> None:
    async def source():  # type: ignore[no-untyped-def]
        for piece in upstream():
            yield piece

    async def collect() -> list[bytes]:
        return [f async for f in alabel_sse(source(), position="start")]

    text, _ = parse(asyncio.run(collect()))
    assert text[0].startswith(DEFAULT_TEXT)


def test_non_streamed_completion() -> None:
    response = {
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "答"}}],
    }
    out = label_completion(response, position="end")
    assert out["choices"][0]["message"]["content"] == "答\n\n" + DEFAULT_TEXT
    assert response["choices"][0]["message"]["content"] == "答"  # input untouched
