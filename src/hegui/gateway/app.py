"""The compliance gateway: an OpenAI-compatible proxy that screens input, refuses what must be refused, screens
the output while it streams (cutting a violating reply), labels generated content, counts strikes and keeps the
logs (Interim Measures Arts. 4, 7, 14, 15; Labeling Measures Art. 4).

A plain Starlette application (no request validation layer in the hot path): ``create_gateway(config)`` returns it;
``hegui serve`` mounts the same routes. Handlers call the service layer (hegui.screen's pipeline, hegui.store) and
never the CLI.
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import contextlib
import json
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from hegui import __version__
from hegui.gateway.audit import Decision, DecisionLog, file_complaint
from hegui.gateway.config import GatewayConfig
from hegui.gateway.metrics import Metrics
from hegui.gateway.policy import PASS, OutputGuard, Screening, Verdict
from hegui.gateway.sse import DONE, FrameTooLarge, SSEParser, frame
from hegui.gateway.strikes import StrikeBook
from hegui.gateway.upstream import UpStream, Upstream, UpstreamError, UpstreamUnavailable

log = logging.getLogger("hegui.gateway")

REFUSAL = {
    "zh": "很抱歉，您的请求可能涉及违法违规或不良信息，依据相关法律法规，无法提供相应回答。",
    "en": "Sorry, this request may involve illegal or harmful content and cannot be answered under the applicable rules.",
}
CUT = {
    "zh": "很抱歉，生成的内容可能涉及违法违规或不良信息，已停止输出。",
    "en": "Sorry, the generated content may involve illegal or harmful content; output has been stopped.",
}
STANDING = {
    "suspended": {"zh": "您的账号因多次违规已被暂停使用，可通过投诉渠道申诉。", "en": "Your account is suspended after repeated violations; you may appeal."},
    "limited": {"zh": "您的账号因多次违规已被限制使用，请稍后再试。", "en": "Your account is limited after repeated violations; try again later."},
}  # fmt: skip
WARNING = {
    "warned": {"zh": "（提示：请遵守法律法规；多次违规将被限制或暂停使用。）", "en": " (Repeated violations lead to limits or suspension.)"},
    "limited": {"zh": "（您的账号因多次违规已被限制使用。）", "en": " (Your account is limited after repeated violations.)"},
    "suspended": {"zh": "（您的账号因多次违规已被暂停使用，可通过投诉渠道申诉。）", "en": " (Your account is suspended after repeated violations; you may appeal.)"},
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Shape:
    """Where an endpoint keeps its text: chat (``messages`` / ``message.content`` / ``delta.content``) or legacy
    completions (``prompt`` / ``text``)."""

    endpoint: str
    chat: bool

    def inputs(self, payload: dict[str, Any], history: bool) -> list[str]:
        if self.chat:
            msgs = payload.get("messages")
            if not isinstance(msgs, list):
                raise ValueError("'messages' must be a list")
            users = [m for m in msgs if isinstance(m, dict) and m.get("role") == "user"]
            chosen = users if history else users[-1:]
            return [_content_text(m.get("content")) for m in chosen]
        prompt = payload.get("prompt", "")
        if isinstance(prompt, str):
            return [prompt]
        if isinstance(prompt, list) and all(isinstance(p, str) for p in prompt):
            return list(prompt)
        raise ValueError("'prompt' must be a string or a list of strings")

    def get(self, choice: dict[str, Any], streaming: bool) -> str:
        if self.chat:
            part = choice.get("delta" if streaming else "message") or {}
            value = part.get("content") if isinstance(part, dict) else None
        else:
            value = choice.get("text")
        return value if isinstance(value, str) else ""

    def put(self, choice: dict[str, Any], streaming: bool, text: str) -> None:
        if self.chat:
            key = "delta" if streaming else "message"
            part = choice.get(key)
            if not isinstance(part, dict):
                part = {}
                choice[key] = part
            part["content"] = text
        else:
            choice["text"] = text


CHAT = Shape("chat.completions", True)
COMPLETIONS = Shape("completions", False)


def _content_text(content: Any) -> str:
    """Text of a message: a string, or the text parts of a list of content parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            str(p.get("text", ""))
            for p in content
            if isinstance(p, dict) and p.get("type") in ("text", "input_text")
        )
    return ""


def _error(status: int, message: str, kind: str, code: str | None = None, **extra: Any) -> JSONResponse:
    body = {"error": {"message": message, "type": kind, "code": code or kind, "param": None}}
    return JSONResponse(body, status_code=status, headers=extra.get("headers"))


class Gateway:
    """One worker's gateway: configuration, screeners, upstream client, strike book, decision log, metrics."""

    def __init__(self, config: GatewayConfig, *, structured_logs: bool = False) -> None:
        self.config = config
        self.screening = Screening(config)
        self.upstream = Upstream(config)
        self.strikes = StrikeBook(config.strikes, config.database_url)
        self.decisions = DecisionLog(
            config.database_url, keep_texts=config.log_texts, structured=structured_logs
        )
        self.metrics = Metrics()
        self.label = self._label_text()
        atexit.register(self.decisions.close)

    def _label_text(self) -> str | None:
        if self.config.label.position == "none":
            return None
        from hegui.label.explicit.text import require_compliant

        return require_compliant(self.config.label.text)

    # ------------------------------------------------------------------------------------------- helpers

    def user_key(self, request: Request, payload: dict[str, Any]) -> str:
        """The request's ``user`` field, else the configured header, else a hash of the API key, else the client."""
        user = payload.get("user")
        if isinstance(user, str) and user:
            return user[:200]
        header = request.headers.get(self.config.user_header)
        if header:
            return header[:200]
        auth = request.headers.get("authorization", "")
        if auth:
            import hashlib

            return "key:" + hashlib.sha256(auth.encode()).hexdigest()[:16]
        return "ip:" + (request.client.host if request.client else "unknown")

    def refusal_text(self, state: str, cut: bool = False) -> str:
        lang = self.config.language
        base = self.config.refusal_message or (CUT if cut else REFUSAL)[lang]
        return base + WARNING.get(state, {}).get(lang, "")

    def labelled(self, text: str) -> str:
        if self.label is None or not text:
            return text
        sep = self.config.label.separator
        pos = self.config.label.position
        if pos in ("start", "both"):
            text = self.label + sep + text
        if pos in ("end", "both"):
            text = text + sep + self.label
        return text

    def label_header(self) -> dict[str, str]:
        if self.label is None:
            return {}
        return {"x-aigc-label": f"visible; position={self.config.label.position}"}

    async def strike(self, user: str, verdict: Verdict, direction: str, rid: str) -> str:
        risk = verdict.risks[0] if verdict.risks else "unknown"
        standing = await run_in_threadpool(
            self.strikes.strike, user, risk, direction=direction, request_id=rid
        )
        self.metrics.strike(standing.state)
        return standing.state

    def upstream_failed(self, ctx: dict[str, Any], exc: Exception) -> Response:
        """The upstream could not be reached: count it for the breaker, log the decision, answer 502."""
        self.upstream.breaker.failure()
        self.record(
            request_id=ctx["rid"],
            user_key=ctx["user"],
            endpoint=ctx["shape"].endpoint,
            action="error",
            upstream_status=502,
        )
        return _error(502, f"upstream error: {type(exc).__name__}", "upstream_error")

    def record(self, **kw: Any) -> None:
        self.decisions.record(Decision(**kw))
        self.metrics.decision(kw["endpoint"], kw["action"], kw.get("risks", ()), kw.get("direction", "-"))

    # ------------------------------------------------------------------------------------------- requests

    async def read_json(self, request: Request) -> dict[str, Any] | JSONResponse:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.config.max_body_bytes:
            return _error(413, f"request body over {self.config.max_body_bytes} bytes", "request_too_large")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > self.config.max_body_bytes:
                return _error(
                    413, f"request body over {self.config.max_body_bytes} bytes", "request_too_large"
                )
        try:
            payload = json.loads(body)
        except ValueError:
            return _error(400, "the request body is not valid JSON", "invalid_request_error")
        if not isinstance(payload, dict):
            return _error(400, "the request body must be a JSON object", "invalid_request_error")
        return payload

    async def completions(self, request: Request, shape: Shape) -> Response:
        t0 = time.perf_counter()
        rid = "hg-" + uuid.uuid4().hex[:24]
        payload = await self.read_json(request)
        if isinstance(payload, JSONResponse):
            return payload
        user = self.user_key(request, payload)
        streaming = bool(payload.get("stream"))
        try:
            state = self.strikes.cached_state(user) or await run_in_threadpool(self.strikes.state, user)
        except Exception:
            log.exception("strike store unavailable")
            state = "error"
            if self.config.fail_closed:
                self.record(request_id=rid, user_key=user, endpoint=shape.endpoint, action="error")
                return _error(503, "the compliance store is unavailable; try again", "service_unavailable")
        if state == "suspended":
            self.record(request_id=rid, user_key=user, endpoint=shape.endpoint, action="suspended")
            return _error(403, STANDING["suspended"][self.config.language], "account_suspended")
        if state == "limited" and not self.strikes.allow_limited(user):
            self.record(request_id=rid, user_key=user, endpoint=shape.endpoint, action="limited")
            return _error(
                429, STANDING["limited"][self.config.language], "rate_limited", headers={"retry-after": "60"}
            )
        try:
            inputs = shape.inputs(payload, self.config.screen_history)
        except ValueError as exc:
            return _error(400, str(exc), "invalid_request_error")
        prompt = "\n".join(inputs)
        try:
            verdict = self.screening.judge_input(inputs)
        except Exception:
            log.exception("input screening failed")
            self.metrics.screen_error()
            if self.config.fail_closed:
                self.record(
                    request_id=rid, user_key=user, endpoint=shape.endpoint, action="error", input_text=prompt
                )
                return _error(
                    503, "screening is unavailable; the request was not sent", "service_unavailable"
                )
            verdict = Verdict("unscreened")
        if verdict.refused:
            state = await self.strike(user, verdict, "input", rid)
            added = (time.perf_counter() - t0) * 1000
            self.record(
                request_id=rid, user_key=user, endpoint=shape.endpoint, action="refused", direction="input",
                risks=list(verdict.risks), input_text=prompt, added_ms=added,
            )  # fmt: skip
            return self.refusal(payload, shape, streaming, self.refusal_text(state), verdict, rid)
        pre_ms = (time.perf_counter() - t0) * 1000
        try:
            self.upstream.breaker.before()
        except UpstreamUnavailable as exc:
            self.record(
                request_id=rid, user_key=user, endpoint=shape.endpoint, action="error", upstream_status=503
            )
            return _error(503, str(exc), "upstream_unavailable")
        headers = self.upstream.headers(dict(request.headers))
        url = self.upstream.url("chat/completions" if shape.chat else "completions")
        context = {
            "rid": rid,
            "user": user,
            "shape": shape,
            "prompt": prompt,
            "input_verdict": verdict,
            "pre_ms": pre_ms,
        }
        if streaming:
            return await self.stream(url, payload, headers, context)
        return await self.whole(url, payload, headers, context)

    def refusal(
        self, payload: dict[str, Any], shape: Shape, streaming: bool, text: str, verdict: Verdict, rid: str
    ) -> Response:
        model = str(payload.get("model", ""))
        created = int(time.time())
        hegui = {"action": "refused", "risks": list(verdict.risks), "request_id": rid}
        if streaming:
            first: dict[str, Any] = {"index": 0, "finish_reason": None, "logprobs": None}
            last: dict[str, Any] = {"index": 0, "finish_reason": "content_filter", "logprobs": None}
            if shape.chat:
                first["delta"] = {"role": "assistant", "content": text}
                last["delta"] = {}
            else:
                first["text"] = text
                last["text"] = ""
            obj = "chat.completion.chunk" if shape.chat else "text_completion"
            frames = [
                frame(
                    {
                        "id": rid,
                        "object": obj,
                        "created": created,
                        "model": model,
                        "choices": [first],
                        "hegui": hegui,
                    }
                ),
                frame({"id": rid, "object": obj, "created": created, "model": model, "choices": [last]}),
                DONE,
            ]
            return Response(
                b"".join(frames), media_type="text/event-stream", headers={"x-hegui-action": "refused"}
            )
        choice: dict[str, Any] = {"index": 0, "finish_reason": "content_filter", "logprobs": None}
        if shape.chat:
            choice["message"] = {"role": "assistant", "content": text, "refusal": text}
        else:
            choice["text"] = text
        body = {
            "id": rid,
            "object": "chat.completion" if shape.chat else "text_completion",
            "created": created,
            "model": model,
            "choices": [choice],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "hegui": hegui,
        }
        return JSONResponse(body, headers={"x-hegui-action": "refused"})

    # ------------------------------------------------------------------------------------------- whole replies

    async def whole(
        self, url: str, payload: dict[str, Any], headers: dict[str, str], ctx: dict[str, Any]
    ) -> Response:
        shape: Shape = ctx["shape"]
        t_up = time.perf_counter()
        try:
            resp = await self.upstream.request("POST", url, json_body=payload, headers=headers)
        except UpstreamError as exc:
            return self.upstream_failed(ctx, exc)
        up_ms = (time.perf_counter() - t_up) * 1000
        if resp.status_code >= 500:
            self.upstream.breaker.failure()
        else:
            self.upstream.breaker.success()
        if resp.status_code >= 400:
            return Response(
                resp.content, status_code=resp.status_code, media_type=resp.headers.get("content-type")
            )
        t1 = time.perf_counter()
        try:
            body = resp.json()
            choices = body["choices"]
            assert isinstance(choices, list)
        except (ValueError, KeyError, AssertionError, TypeError):
            self.upstream.breaker.failure()
            return _error(502, "the upstream answer is not a completion object", "upstream_error")
        texts = [shape.get(c, False) if isinstance(c, dict) else "" for c in choices]
        try:
            verdicts = [self.screening.judge_output(t) for t in texts]
        except Exception:
            log.exception("output screening failed")
            self.metrics.screen_error()
            if self.config.fail_closed:
                self.record(
                    request_id=ctx["rid"], user_key=ctx["user"], endpoint=shape.endpoint, action="error"
                )
                return _error(503, "screening is unavailable; the answer was withheld", "service_unavailable")
            verdicts = [Verdict("unscreened") for _ in texts]
        bad = next((v for v in verdicts if v.refused), None)
        action = "pass"
        if bad is not None:
            state = await self.strike(ctx["user"], bad, "output", ctx["rid"])
            for c, v in zip(choices, verdicts, strict=True):
                if v.refused and isinstance(c, dict):
                    shape.put(c, False, self.refusal_text(state, cut=True))
                    c["finish_reason"] = "content_filter"
            body["hegui"] = {"action": "cut", "risks": list(bad.risks), "request_id": ctx["rid"]}
            action = "cut"
        else:
            for c, t in zip(choices, texts, strict=True):
                if isinstance(c, dict) and t:
                    shape.put(c, False, self.labelled(t))
            action = _softer(ctx["input_verdict"], verdicts)
        added = ctx["pre_ms"] + (time.perf_counter() - t1) * 1000
        self.metrics.added(shape.endpoint, added / 1000)
        self.record(
            request_id=ctx["rid"], user_key=ctx["user"], endpoint=shape.endpoint, action=action,
            direction="output" if bad is not None else "-", risks=list(bad.risks) if bad else _all_risks(ctx, verdicts),
            input_text=ctx["prompt"], output_text="\n".join(texts), upstream_status=resp.status_code, added_ms=added,
        )  # fmt: skip
        headers_out = {"x-hegui-action": action, "x-hegui-upstream-ms": f"{up_ms:.1f}", **self.label_header()}
        return JSONResponse(body, headers=headers_out)

    # ------------------------------------------------------------------------------------------- streams

    async def stream(
        self, url: str, payload: dict[str, Any], headers: dict[str, str], ctx: dict[str, Any]
    ) -> Response:
        try:
            resp = await self.upstream.open_stream(url, payload, headers)
        except UpstreamError as exc:
            return self.upstream_failed(ctx, exc)
        if resp.status_code >= 400:
            content = await resp.aread()
            await resp.aclose()
            if resp.status_code >= 500:
                self.upstream.breaker.failure()
            return Response(
                content, status_code=resp.status_code, media_type=resp.headers.get("content-type")
            )
        self.upstream.breaker.success()
        out_headers = {"cache-control": "no-cache", "x-hegui-request-id": ctx["rid"], **self.label_header()}
        return StreamingResponse(self._relay(resp, ctx), media_type="text/event-stream", headers=out_headers)

    async def _relay(self, resp: UpStream, ctx: dict[str, Any]) -> AsyncIterator[bytes]:
        shape: Shape = ctx["shape"]
        relay = _Relay(self, shape)
        outcome = "pass"
        try:
            async for chunk in resp.aiter_raw():
                t = time.perf_counter()
                out = relay.feed(chunk)
                relay.busy += time.perf_counter() - t
                if out:
                    yield out
                if relay.violation is not None:
                    break
            if relay.violation is None:
                tail = relay.close()
                if tail:
                    yield tail
            if relay.violation is not None:
                outcome = "cut"
                await resp.aclose()  # stop the upstream's generation
                state = await self.strike(ctx["user"], relay.violation, "output", ctx["rid"])
                yield relay.cut_frames(self.refusal_text(state, cut=True), ctx["rid"])
        except (UpstreamError, FrameTooLarge) as exc:
            outcome = "error"
            self.upstream.breaker.failure()
            yield frame(
                {
                    "error": {
                        "message": f"upstream stream failed: {type(exc).__name__}",
                        "type": "upstream_error",
                    }
                }
            )
        except Exception:
            outcome = "error"
            log.exception("output screening failed while streaming")
            self.metrics.screen_error()
            yield relay.cut_frames(self.refusal_text("ok", cut=True), ctx["rid"])
        finally:
            await resp.aclose()
            added = ctx["pre_ms"] + relay.busy * 1000
            self.metrics.added(shape.endpoint, added / 1000)
            verdict = relay.violation
            self.record(
                request_id=ctx["rid"], user_key=ctx["user"], endpoint=shape.endpoint,
                action=outcome if outcome != "pass" else _softer(ctx["input_verdict"], [relay.verdict()]),
                direction="output" if verdict else "-", risks=list(verdict.risks) if verdict else sorted(relay.risks()),
                input_text=ctx["prompt"], output_text=relay.all_text(), upstream_status=resp.status_code,
                added_ms=added,
            )  # fmt: skip

    # ------------------------------------------------------------------------------------------- pass-through

    async def passthrough(self, request: Request, path: str) -> Response:
        try:
            self.upstream.breaker.before()
        except UpstreamUnavailable as exc:
            return _error(503, str(exc), "upstream_unavailable")
        body = await request.body()
        if len(body) > self.config.max_body_bytes:
            return _error(413, f"request body over {self.config.max_body_bytes} bytes", "request_too_large")
        try:
            resp = await self.upstream.request(
                request.method, self.upstream.url(path), content=body or None,
                headers=self.upstream.headers(dict(request.headers)), params=dict(request.query_params),
            )  # fmt: skip
        except UpstreamError as exc:
            self.upstream.breaker.failure()
            return _error(502, f"upstream error: {type(exc).__name__}", "upstream_error")
        (self.upstream.breaker.failure if resp.status_code >= 500 else self.upstream.breaker.success)()
        keep = {k: v for k, v in resp.headers.items() if k.lower() in ("content-type", "x-request-id")}
        return Response(resp.content, status_code=resp.status_code, headers=keep)

    async def media(self, request: Request, path: str) -> Response:
        """Images and speech passed through with the implicit label (GB 45438 Annex E) written into the files."""
        resp = await self.passthrough(request, path)
        if resp.status_code >= 400:
            return resp
        producer = self.config.producer
        if not producer:
            resp.headers["x-aigc-label"] = "none; no producer code configured"
            return resp
        ctype = resp.headers.get("content-type", "")
        try:
            if ctype.startswith("application/json"):
                body = json.loads(bytes(resp.body))
                for item in body.get("data", []):
                    if isinstance(item, dict) and isinstance(item.get("b64_json"), str):
                        raw = base64.b64decode(item["b64_json"])
                        item["b64_json"] = base64.b64encode(
                            await run_in_threadpool(_label_bytes, raw, producer, ".png")
                        ).decode()
                out: Response = JSONResponse(body, status_code=resp.status_code)
            else:
                suffix = {"audio/mpeg": ".mp3", "audio/wav": ".wav", "audio/x-wav": ".wav", "audio/flac": ".flac",
                          "audio/ogg": ".ogg", "audio/opus": ".ogg", "audio/aac": ".m4a"}.get(ctype.split(";")[0], "")  # fmt: skip
                if not suffix:
                    resp.headers["x-aigc-label"] = f"none; cannot label {ctype or 'unknown type'}"
                    return resp
                labelled = await run_in_threadpool(_label_bytes, bytes(resp.body), producer, suffix)
                out = Response(labelled, status_code=resp.status_code, media_type=ctype)
        except Exception as exc:  # a file the label wing cannot write is passed on unlabelled, and says so
            log.warning("could not label %s output: %s", path, exc)
            resp.headers["x-aigc-label"] = "none; label could not be written"
            return resp
        out.headers["x-aigc-label"] = "implicit"
        return out


def _label_bytes(data: bytes, producer: str, suffix: str) -> bytes:
    """The implicit label written into the bytes in memory (the label wing's write contract for bytes)."""
    from hegui.label import Record, write

    result = write(data, Record.new(producer), name="output" + suffix)
    assert result.data is not None
    return result.data


def _softer(input_verdict: Verdict, outputs: list[Verdict]) -> str:
    actions = [input_verdict.action, *(v.action for v in outputs)]
    if "unscreened" in actions:
        return "unscreened"
    if "warn" in actions:
        return "warned"
    if "log" in actions:
        return "logged"
    return "pass"


def _all_risks(ctx: dict[str, Any], verdicts: list[Verdict]) -> list[str]:
    out = set(ctx["input_verdict"].risks)
    for v in verdicts:
        out.update(v.risks)
    return sorted(out)


class _Relay:
    """Rewrites one upstream SSE stream: each choice's text goes through its own :class:`OutputGuard` and is
    re-emitted as it is released; the visible label is added as its own chunk at the start and/or the end."""

    def __init__(self, gw: Gateway, shape: Shape) -> None:
        self.gw = gw
        self.shape = shape
        self.parser = SSEParser()
        self.guards: dict[int, OutputGuard] = {}
        self.template: dict[str, Any] | None = None
        self.started: set[int] = set()
        self.finished: set[int] = set()
        self.violation: Verdict | None = None
        self.busy = 0.0
        self.done_seen = False

    def guard(self, index: int) -> OutputGuard:
        g = self.guards.get(index)
        if g is None:
            g = self.guards[index] = self.gw.screening.guard()
        return g

    def _chunk(self, index: int, text: str, *, finish: str | None = None, role: bool = False) -> bytes:
        tpl = self.template or {}
        choice: dict[str, Any] = {"index": index, "logprobs": None, "finish_reason": finish}
        if self.shape.chat:
            choice["delta"] = (
                {"role": "assistant", "content": text}
                if role
                else ({"content": text} if text or not finish else {})
            )
        else:
            choice["text"] = text
        obj = {
            "id": tpl.get("id", "hegui"),
            "object": tpl.get("object", "chat.completion.chunk" if self.shape.chat else "text_completion"),
            "created": tpl.get("created", int(time.time())),
            "model": tpl.get("model", ""),
            "choices": [choice],
        }
        if "system_fingerprint" in tpl:
            obj["system_fingerprint"] = tpl["system_fingerprint"]
        return frame(obj)

    def _start_label(self, index: int) -> bytes:
        label = self.gw.label
        if label is None or self.gw.config.label.position not in ("start", "both"):
            return b""
        return self._chunk(index, label + self.gw.config.label.separator)

    def _end(self, index: int) -> bytes:
        """Flush a finished choice: the guard's held text, then the end label."""
        if index in self.finished:
            return b""
        self.finished.add(index)
        g = self.guard(index)
        tail = g.close()
        if g.violation is not None:
            self.violation = g.violation
            return b""
        out = bytearray(self._chunk(index, tail) if tail else b"")
        label = self.gw.label
        if label is not None and self.gw.config.label.position in ("end", "both") and g.text:
            out += self._chunk(index, self.gw.config.label.separator + label)
        return bytes(out)

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        for raw, body in self.parser.feed(data):
            out += self._frame(raw, body)
            if self.violation is not None:
                break
        return bytes(out)

    def _frame(self, raw: bytes, body: bytes | None) -> bytes:
        if body is None:
            return raw  # comments and keep-alives pass as they are
        if body.strip() == b"[DONE]":
            self.done_seen = True
            ends = b"".join(self._end(i) for i in sorted(self.started))
            return b"" if self.violation is not None else ends + DONE
        try:
            obj = json.loads(body)
        except ValueError:
            return raw
        choices = obj.get("choices") if isinstance(obj, dict) else None
        if not isinstance(choices, list) or not choices:
            return raw  # usage-only chunks, errors: passed on
        self.template = {
            k: obj[k] for k in ("id", "object", "created", "model", "system_fingerprint") if k in obj
        }
        out = bytearray()
        for choice in choices:
            if not isinstance(choice, dict):
                continue
            index = int(choice.get("index", 0) or 0)
            first = index not in self.started
            self.started.add(index)
            text = self.shape.get(choice, True)
            g = self.guard(index)
            released = g.feed(text) if text else ""
            if g.violation is not None:
                self.violation = g.violation
                return bytes(out)
            delta = choice.get("delta") if isinstance(choice.get("delta"), dict) else {}
            role = bool(self.shape.chat and delta and delta.get("role"))
            other = {k: v for k, v in (delta or {}).items() if k not in ("role", "content")}
            finish = choice.get("finish_reason")
            if first:
                if role:
                    out += self._chunk(index, "", role=True)
                out += self._start_label(index)
            if released or other:
                if other:  # tool calls and the like pass with this chunk's released text
                    c = dict(choice)
                    c["delta"] = {**other, "content": released} if released else other
                    c["finish_reason"] = None
                    out += frame({**self.template, "choices": [c]})
                else:
                    out += self._chunk(index, released)
            if finish:
                out += self._end(index)
                if self.violation is not None:
                    return bytes(out)
                out += self._chunk(index, "", finish=str(finish))
        return bytes(out)

    def close(self) -> bytes:
        out = bytearray()
        for raw, body in self.parser.close():
            out += self._frame(raw, body)
        if not self.done_seen and self.violation is None:
            out += b"".join(self._end(i) for i in sorted(self.started))
        return bytes(out)

    def cut_frames(self, message: str, rid: str) -> bytes:
        """The notice and the ``content_filter`` finish; the decision rides along in a ``hegui`` field, which
        OpenAI clients ignore."""
        index = 0
        note = self._chunk(index, "\n\n" + message)
        tpl = self.template or {}
        stop = {
            "id": tpl.get("id", rid),
            "object": tpl.get("object", "chat.completion.chunk" if self.shape.chat else "text_completion"),
            "created": tpl.get("created", int(time.time())),
            "model": tpl.get("model", ""),
            "choices": [{"index": index, "delta": {}, "logprobs": None, "finish_reason": "content_filter"}],
            "hegui": {
                "action": "cut",
                "risks": list(self.violation.risks) if self.violation else [],
                "request_id": rid,
            },
        }
        if not self.shape.chat:
            stop["choices"] = [
                {"index": index, "text": "", "logprobs": None, "finish_reason": "content_filter"}
            ]
        return note + frame(stop) + DONE

    def verdict(self) -> Verdict:
        risks = self.risks()
        return (
            PASS if not risks else Verdict(self.gw.config.action_for(sorted(risks)[0]), tuple(sorted(risks)))
        )

    def risks(self) -> set[str]:
        out: set[str] = set()
        for g in self.guards.values():
            out |= g.risks
        return out

    def all_text(self) -> str:
        return "\n".join(g.text for _, g in sorted(self.guards.items()))


# ----------------------------------------------------------------------------------------------- the app


def routes(gateway: Callable[[], Gateway]) -> list[Route]:
    """The gateway's routes; ``gateway`` returns the worker's :class:`Gateway` (built lazily)."""

    async def chat(request: Request) -> Response:
        return await gateway().completions(request, CHAT)

    async def completions(request: Request) -> Response:
        return await gateway().completions(request, COMPLETIONS)

    async def models(request: Request) -> Response:
        return await gateway().passthrough(request, "models")

    async def embeddings(request: Request) -> Response:
        return await gateway().passthrough(request, "embeddings")

    async def images(request: Request) -> Response:
        return await gateway().media(request, "images/generations")

    async def speech(request: Request) -> Response:
        return await gateway().media(request, "audio/speech")

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok", "hegui_version": __version__})

    async def readyz(_request: Request) -> Response:
        gw = gateway()
        problems = []
        if gw.upstream.breaker.state == "open":
            problems.append("upstream circuit open")
        try:
            await run_in_threadpool(gw.strikes.state, "__readiness__")
        except Exception as exc:
            problems.append(f"store: {type(exc).__name__}")
        body = {"ready": not problems, "problems": problems, "lexicon": gw.screening.lexicon_identity}
        return JSONResponse(body, status_code=200 if not problems else 503)

    async def metrics(_request: Request) -> Response:
        data, ctype = gateway().metrics.render()
        return Response(data, media_type=ctype)

    async def complaint(request: Request) -> Response:
        gw = gateway()
        payload = await gw.read_json(request)
        if isinstance(payload, JSONResponse):
            return payload
        from hegui.errors import HeguiError

        try:
            made = await run_in_threadpool(
                lambda: file_complaint(
                    str(payload.get("content", "")), user_key=str(payload.get("user", "")),
                    kind=str(payload.get("kind", "complaint")), request_id=str(payload.get("request_id", "")),
                    contact=str(payload.get("contact", "")), response_days=gw.config.complaint_days,
                    url=gw.config.database_url,
                )
            )  # fmt: skip
        except HeguiError as exc:
            return _error(400, exc.detail, "invalid_request_error")
        return JSONResponse(made, status_code=201)

    return [
        Route("/v1/chat/completions", chat, methods=["POST"]),
        Route("/v1/completions", completions, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
        Route("/v1/models/{model:path}", models, methods=["GET"]),
        Route("/v1/embeddings", embeddings, methods=["POST"]),
        Route("/v1/images/generations", images, methods=["POST"]),
        Route("/v1/audio/speech", speech, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        Route("/api/complaints", complaint, methods=["POST"]),
    ]


def create_gateway(config: GatewayConfig, *, structured_logs: bool = False) -> Starlette:
    """The gateway as its own ASGI app (what ``hegui gateway`` serves)."""
    holder: dict[str, Gateway] = {}

    def get() -> Gateway:
        gw = holder.get("gw")
        if gw is None:
            gw = holder["gw"] = Gateway(config, structured_logs=structured_logs)
        return gw

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        get()  # build the screeners before the first request, not during it
        try:
            yield
        finally:
            gw = holder.get("gw")
            if gw is not None:
                await gw.upstream.aclose()
                await asyncio.to_thread(gw.decisions.close)

    app = Starlette(routes=routes(get), lifespan=lifespan)
    app.state.gateway = get
    return app


ENV_CONFIG = "HEGUI_GATEWAY_CONFIG_JSON"


def app_from_env() -> Starlette:
    """Factory for several uvicorn workers: the configuration travels as JSON in the environment."""
    raw = os.environ.get(ENV_CONFIG)
    if not raw:
        raise RuntimeError(f"{ENV_CONFIG} is not set; start workers through 'hegui gateway'")
    data = json.loads(raw)
    structured = bool(data.pop("_structured_logs", False))
    return create_gateway(GatewayConfig(**data), structured_logs=structured)
