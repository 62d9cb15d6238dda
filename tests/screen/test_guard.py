"""The guard plug-in against a scripted OpenAI-compatible server on loopback (a real HTTP server in a thread)."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from hegui.screen import taxonomy
from hegui.screen.classify import RiskClassifier
from hegui.screen.guard import GuardJudge, JudgeError, parse, rubric

Script = Callable[[dict[str, Any]], tuple[int, Any]]


def _completion(content: str, logprobs: Any = None) -> dict[str, Any]:
    choice: dict[str, Any] = {"index": 0, "message": {"role": "assistant", "content": content}}
    if logprobs is not None:
        choice["logprobs"] = logprobs
    return {"id": "x", "object": "chat.completion", "choices": [choice]}


class _Server:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.script: Script = lambda body: (200, _completion("safe"))
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                body["_path"] = self.path
                body["_auth"] = self.headers.get("Authorization")
                owner.requests.append(body)
                status, payload = owner.script(body)
                data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    s = _Server()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def _last_user(body: dict[str, Any]) -> str:
    return str([m for m in body["messages"] if m["role"] == "user"][-1]["content"])


def test_qwen3guard(server: _Server) -> None:
    def script(body: dict[str, Any]) -> tuple[int, Any]:
        text = _last_user(body)
        if "炸弹" in text:
            return 200, _completion("Safety: Unsafe\nCategories: Violent")
        if "政" in text:
            return 200, _completion("Safety: Controversial\nCategories: Politically Sensitive Topics")
        return 200, _completion("Safety: Safe\nCategories: None")

    server.script = script
    with GuardJudge(server.url, "Qwen3Guard-Gen-4B", api_key="k") as judge:
        bomb, leave, politics = judge.judge_many(
            ["他想制造炸弹", "请假邮件：本人因事请假两天。", "评论一下时政"]
        )
        assert (bomb.safe, bomb.risks, bomb.categories, bomb.format) == (
            False,
            ("A.1.f",),
            ("Violent",),
            "qwen3guard",
        )
        assert leave.safe is True and leave.risks == ()
        assert politics.safe is None and politics.risks == ("A.1.a", "A.1.b", "A.1.c")
        assert server.requests[-1]["_path"] == "/v1/chat/completions"
        assert server.requests[-1]["_auth"] == "Bearer k"
        assert server.requests[-1]["model"] == "Qwen3Guard-Gen-4B"
        # the shared decision rule: unsafe iff P(safe) < threshold, flagged risks named
        scores = RiskClassifier(judge).classify(
            ["他想制造炸弹", "请假邮件：本人因事请假两天。", "评论一下时政"]
        )
        assert [s.safe for s in scores] == [False, True, False]
        assert scores[0].flagged == ("A.1.f",) and scores[1].flagged == ()
        assert scores[2].p_safe == pytest.approx(0.4)


def test_response_moderation_sends_both_turns(server: _Server) -> None:
    server.script = lambda body: (200, _completion("Safety: Unsafe\nCategories: PII\nRefusal: No"))
    judge = GuardJudge(server.url, "Qwen3Guard-Gen-0.6B")
    v = judge.judge("他的身份证号是……", prompt="告诉我张三的身份证号")
    assert v.risks == ("A.4.f",)
    roles = [m["role"] for m in server.requests[-1]["messages"]]
    assert roles == ["user", "assistant"]


def test_llamaguard(server: _Server) -> None:
    server.script = lambda body: (
        200,
        _completion("unsafe\nS9,S10") if "炸弹" in _last_user(body) else _completion("safe"),
    )
    judge = GuardJudge(server.url, "meta-llama/Llama-Guard-3-8B")
    v = judge.judge("教我做炸弹")
    assert (v.safe, v.risks, v.categories) == (False, ("A.1.d", "A.2.i"), ("S9", "S10"))
    assert judge.judge("你好").safe is True
    [row] = judge.predict_proba(["教我做炸弹"])
    assert row[0] == 0.0 and row[judge.labels.index("A.1.d")] == pytest.approx(0.5)


def test_shieldgemma_with_logprobs(server: _Server) -> None:
    def script(body: dict[str, Any]) -> tuple[int, Any]:
        text = _last_user(body)
        p_yes = 0.9 if ("Hate Speech" in text and "黑人" in text) else 0.05
        top = [{"token": "Yes", "logprob": math.log(p_yes)}, {"token": "No", "logprob": math.log(1 - p_yes)}]
        return 200, _completion(
            "Yes" if p_yes > 0.5 else "No", {"content": [{"token": "x", "top_logprobs": top}]}
        )

    server.script = script
    judge = GuardJudge(server.url, "google/shieldgemma-2b")
    assert judge.format == "shieldgemma"
    v = judge.judge("黑人都是罪犯")
    assert v.safe is False and v.risks == ("A.2.i",) and v.p_unsafe == pytest.approx(0.9)
    assert server.requests[-1]["logprobs"] is True and server.requests[-1]["max_tokens"] == 1
    assert judge.judge("今天天气不错").safe is True


def test_rubric_chat_model_maps_names_and_judges_a5(server: _Server) -> None:
    def script(body: dict[str, Any]) -> tuple[int, Any]:
        assert body["messages"][0]["role"] == "system" and "A.5.b" in body["messages"][0]["content"]
        text = _last_user(body)
        if "回答：" in text and "平的" in text:
            return 200, _completion(
                '```json\n{"safe": false, "risks": ["内容不准确"], "reason": "违背常识"}\n```'
            )
        if "民族" in text:
            return 200, _completion('{"safe": false, "risks": ["民族歧视", "A.1.e"], "reason": "歧视"}')
        return 200, _completion('{"safe": true, "risks": [], "reason": "日常请求"}')

    server.script = script
    judge = GuardJudge(server.url, "qwen2.5-7b-instruct", format="rubric")
    a5 = judge.judge("地球是平的。", prompt="地球是什么形状？")
    assert a5.risks == ("A.5.a",) and a5.reason == "违背常识"
    assert judge.judge("某个民族都很懒").risks == ("A.2.a", "A.1.e")
    assert judge.judge("帮我写一封请假邮件").safe is True
    assert all(r.id in rubric() for r in taxonomy.RISKS)


def test_errors_are_clear(server: _Server) -> None:
    judge = GuardJudge(server.url, "m", format="llamaguard")
    server.script = lambda body: (500, {"error": "overloaded"})
    with pytest.raises(JudgeError, match="HTTP 500"):
        judge.judge("x")
    server.script = lambda body: (200, "not json")
    with pytest.raises(JudgeError, match="not a chat completion"):
        judge.judge("x")
    server.script = lambda body: (200, _completion("I think it is fine"))
    with pytest.raises(JudgeError, match="Llama Guard"):
        judge.judge("x")
    with pytest.raises(JudgeError, match="unreachable"):
        GuardJudge("http://127.0.0.1:9/v1", "m", timeout=2).judge("x")


def test_parse_auto() -> None:
    assert parse("Safety: Unsafe\nCategories: Copyright Violation").risks == ("A.3.a",)
    assert parse("unsafe\nS7").risks == ("A.4.e", "A.4.f")
    assert parse('{"safe": true, "risks": []}').safe is True
    assert parse("Safety: Unsafe\nCategories: Jailbreak").risks == ("A.1.h",)  # no Appendix A counterpart
    with pytest.raises(JudgeError):
        parse("no idea")
