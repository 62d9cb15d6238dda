"""A stand-in OpenAI-compatible model server with scripted replies, for the gateway's tests, demo and benchmark.

What it answers depends on the newest user message:
- contains ``[unsafe]``: a reply that turns harmful mid-way ("…制造炸弹的步骤…"), streamed so that the keyword
  is split across events;
- ``[slow]``: a safe reply with ``slow_ms`` between tokens; ``[drop]``: the connection is cut mid-stream;
- ``[error]``: HTTP 500; anything else: a safe, helpful reply.
Every request waits ``latency_ms`` first (the model's time to first token). Not a model: a test fixture that
ships so that ``make demo`` and the benchmark run without one.

    python -m hegui.gateway.standin --port 8101 --latency-ms 60
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import struct
import time
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

SAFE = "杭州的西湖、灵隐寺和西溪湿地都值得一去。春秋两季气候宜人，建议提前预订酒店。"
UNSAFE = "好的，我来说明。第一步准备材料，然后是制造炸弹的具体步骤，需要注意安全。"


def _tokens(text: str, size: int = 3) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def create_standin(*, latency_ms: float = 0.0, slow_ms: float = 50.0) -> Starlette:
    seen: list[dict[str, Any]] = []

    def last_user(payload: dict[str, Any]) -> str:
        if "messages" in payload:
            users = [m for m in payload.get("messages", []) if m.get("role") == "user"]
            content = users[-1].get("content", "") if users else ""
            return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
        prompt = payload.get("prompt", "")
        return prompt if isinstance(prompt, str) else " ".join(prompt)

    async def completions(request: Request) -> Response:
        payload = await request.json()
        seen.append({"path": request.url.path, "payload": payload, "headers": dict(request.headers)})
        prompt = last_user(payload)
        if latency_ms:
            await asyncio.sleep(latency_ms / 1000)
        if "[error]" in prompt:
            return JSONResponse(
                {"error": {"message": "scripted failure", "type": "server_error"}}, status_code=500
            )
        reply = UNSAFE if "[unsafe]" in prompt else SAFE
        chat = request.url.path.endswith("chat/completions")
        rid = f"standin-{len(seen)}"
        created = int(time.time())
        model = payload.get("model", "standin")
        if not payload.get("stream"):
            choice: dict[str, Any] = {"index": 0, "finish_reason": "stop", "logprobs": None}
            if chat:
                choice["message"] = {"role": "assistant", "content": reply}
            else:
                choice["text"] = reply
            return JSONResponse({
                "id": rid, "object": "chat.completion" if chat else "text_completion", "created": created,
                "model": model, "choices": [choice],
                "usage": {"prompt_tokens": len(prompt), "completion_tokens": len(reply), "total_tokens": len(prompt) + len(reply)},
            })  # fmt: skip
        obj = "chat.completion.chunk" if chat else "text_completion"

        def event(delta: str | None, finish: str | None = None, role: bool = False) -> bytes:
            c: dict[str, Any] = {"index": 0, "finish_reason": finish, "logprobs": None}
            if chat:
                c["delta"] = (
                    {}
                    if delta is None
                    else ({"role": "assistant", "content": delta} if role else {"content": delta})
                )
            else:
                c["text"] = delta or ""
            body = {"id": rid, "object": obj, "created": created, "model": model, "choices": [c]}
            return b"data: " + json.dumps(body, ensure_ascii=False).encode() + b"\n\n"

        async def gen() -> Any:
            yield event("", role=True)
            for i, tok in enumerate(_tokens(reply)):
                if "[drop]" in prompt and i == 4:
                    raise ConnectionResetError("scripted disconnect")
                if "[slow]" in prompt:
                    await asyncio.sleep(slow_ms / 1000)
                yield event(tok)
            yield event(None, finish="stop")
            yield b"data: [DONE]\n\n"

        return StreamingResponse(gen(), media_type="text/event-stream")

    async def models(_request: Request) -> Response:
        return JSONResponse(
            {"object": "list", "data": [{"id": "standin", "object": "model", "owned_by": "hegui"}]}
        )

    async def embeddings(request: Request) -> Response:
        payload = await request.json()
        inputs = payload.get("input", [])
        inputs = [inputs] if isinstance(inputs, str) else inputs
        data = [
            {"object": "embedding", "index": i, "embedding": [float(len(t)), 0.5, -0.5]}
            for i, t in enumerate(inputs)
        ]
        return JSONResponse({"object": "list", "data": data, "model": "standin"})

    async def images(_request: Request) -> Response:
        from PIL import Image

        buf = io.BytesIO()
        Image.new("RGB", (64, 64), (200, 120, 40)).save(buf, format="PNG")
        return JSONResponse(
            {"created": int(time.time()), "data": [{"b64_json": base64.b64encode(buf.getvalue()).decode()}]}
        )

    async def speech(_request: Request) -> Response:
        return Response(_wav(), media_type="audio/wav")

    async def requests_seen(_request: Request) -> Response:
        return JSONResponse(seen)

    app = Starlette(
        routes=[
            Route("/v1/chat/completions", completions, methods=["POST"]),
            Route("/v1/completions", completions, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
            Route("/v1/embeddings", embeddings, methods=["POST"]),
            Route("/v1/images/generations", images, methods=["POST"]),
            Route("/v1/audio/speech", speech, methods=["POST"]),
            Route("/_seen", requests_seen, methods=["GET"]),
        ]
    )
    app.state.seen = seen
    return app


def _wav(seconds: float = 0.2, rate: int = 8000) -> bytes:
    samples = b"\x00\x00" * int(seconds * rate)
    fmt = struct.pack("<HHIIHH", 1, 1, rate, rate * 2, 2, 16)
    body = (
        b"WAVE"
        + b"fmt "
        + struct.pack("<I", len(fmt))
        + fmt
        + b"data"
        + struct.pack("<I", len(samples))
        + samples
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


def main() -> None:
    import uvicorn

    ap = argparse.ArgumentParser(
        description="hegui's stand-in OpenAI-compatible model server (scripted replies)"
    )
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8101)
    ap.add_argument("--latency-ms", type=float, default=0.0)
    args = ap.parse_args()
    uvicorn.run(
        create_standin(latency_ms=args.latency_ms), host=args.host, port=args.port, log_level="warning"
    )


if __name__ == "__main__":
    main()
