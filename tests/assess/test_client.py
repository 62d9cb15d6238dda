"""The client against the stand-in server on loopback: faults, retries, streaming, limits."""

from __future__ import annotations

import asyncio
import email.utils
import time

import pytest

from hegui.assess import standin
from hegui.assess.client import ChatClient, ChatParams, Limits, cache_key, estimate_tokens, retry_after
from hegui.errors import InputError


def _ask(url: str, messages: list[list[dict[str, str]]], **kw: object) -> list:  # type: ignore[type-arg]
    params = kw.pop("params", ChatParams())
    limits = kw.pop("limits", Limits(concurrency=8, timeout=5, backoff_base=0.01))

    async def go() -> list:  # type: ignore[type-arg]
        async with ChatClient(url, "m", params, limits, **kw) as c:  # type: ignore[arg-type]
            return await asyncio.gather(*(c.complete(m) for m in messages))

    return asyncio.run(go())


def _conv(n: int) -> list[list[dict[str, str]]]:
    return [[{"role": "user", "content": f"问题 {i}"}] for i in range(n)]


def test_answers_match_the_script_streaming_or_not() -> None:
    script = standin.Script(refuse_rate=0.3, unsafe_rate=0.2)
    with standin.serve_in_thread(script) as s:
        convs = _conv(40)
        plain = _ask(s.url, convs)
        streamed = _ask(s.url, convs, params=ChatParams(stream=True))
    for m, a, b in zip(convs, plain, streamed, strict=True):
        assert a.text == b.text == standin.answer_text(script, m)
        assert a.error == "" and a.attempts == 1 and a.prompt_tokens > 0 and not b.tokens_estimated


@pytest.mark.parametrize("fault", ["every_429", "every_500", "every_malformed", "every_hang"])
def test_faults_are_retried_and_each_question_answered_once(fault: str) -> None:
    # the timeout must be long enough that a healthy answer never hits it, even on a busy 2-core machine
    script = standin.Script(**{fault: 3}, hang_seconds=10.0, retry_after="0")  # type: ignore[arg-type]
    limits = Limits(concurrency=16, timeout=3.0, backoff_base=0.01)
    with standin.serve_in_thread(script) as s:
        convs = _conv(30)
        replies = _ask(s.url, convs, limits=limits)
        st = s.server.stats
    faulty = [m for m in convs if standin.fault_for(script, standin.conversation_key(m), 1) != "none"]
    assert faulty  # the script did inject faults
    for m, r in zip(convs, replies, strict=True):
        key = standin.conversation_key(m)
        assert r.error == "" and r.text == standin.answer_text(script, m)
        assert r.attempts == (2 if m in faulty else 1)
        assert st.completions[key] == 1


def test_retry_after_is_honoured() -> None:
    script = standin.Script(every_429=1, retry_after="0.4")  # every first attempt: 429, Retry-After 0.4 s
    with standin.serve_in_thread(script) as s:
        t = time.monotonic()
        (r,) = _ask(s.url, _conv(1), limits=Limits(timeout=5, backoff_base=0.0))
        waited = time.monotonic() - t
    assert r.attempts == 2 and r.error == ""
    assert waited >= 0.4  # behaviour, not speed: the client did not come back before it was told to


def test_retry_after_header_forms() -> None:
    assert retry_after("2.5") == 2.5
    assert retry_after(None) is None and retry_after("soon") is None
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    got = retry_after(later)
    assert got is not None and 25 < got <= 30


def test_gives_up_after_max_attempts_with_the_error() -> None:
    script = standin.Script(every_500=1)
    with standin.serve_in_thread(script) as s:
        (r,) = _ask(s.url, _conv(1), limits=Limits(timeout=5, backoff_base=0.0, max_attempts=1))
    assert r.error.startswith("HTTP 500") and r.text == ""


def test_bad_key_or_url_is_an_input_error() -> None:
    with standin.serve_in_thread() as s, pytest.raises(InputError, match="404"):
        _ask(s.url.replace("/v1", "/nothing-here"), _conv(1))


def test_multi_turn_and_system_prompt_reach_the_server() -> None:
    script = standin.Script(refuse_rate=0.0, unsafe_rate=0.0)
    conv = [
        {"role": "user", "content": "我在写小说"},
        {"role": "assistant", "content": "好的"},
        {"role": "user", "content": "继续"},
    ]
    with standin.serve_in_thread(script) as s:
        (r,) = _ask(s.url, [conv], params=ChatParams(system="你是助手"))
        assert s.server.stats.completions[standin.conversation_key(conv)] == 1
    assert r.prompt_tokens == len("你是助手我在写小说好的继续")


def test_cache_key_depends_on_model_parameters_and_conversation() -> None:
    m = [{"role": "user", "content": "q"}]
    base = cache_key("a", ChatParams(), m)
    assert base == cache_key("a", ChatParams(stream=True), m)  # streaming does not change the answer
    assert base != cache_key("b", ChatParams(), m)
    assert base != cache_key("a", ChatParams(temperature=0.7), m)
    assert base != cache_key("a", ChatParams(system="s"), m)
    assert base != cache_key("a", ChatParams(), [{"role": "user", "content": "q2"}])


def test_requests_per_minute_limit_spaces_requests() -> None:
    with standin.serve_in_thread(standin.Script()) as s:
        t = time.monotonic()
        _ask(s.url, _conv(4), limits=Limits(concurrency=4, rpm=600, timeout=5))  # one request per 0.1 s
        took = time.monotonic() - t
    assert took >= 0.3


def test_estimate_tokens() -> None:
    assert estimate_tokens("你好世界") == 4
    assert estimate_tokens("abcdefgh") == 2


def test_tokens_per_window_limit_waits_for_the_window_to_slide() -> None:
    from hegui.assess.client import RateLimiter

    async def go() -> list[float]:
        lim = RateLimiter(None, tpm=100, window=0.3)  # 100 tokens per 0.3 s
        t = time.monotonic()
        stamps = []
        for _ in range(3):
            await lim.acquire(60)
            stamps.append(time.monotonic() - t)
        return stamps

    _first, second, third = asyncio.run(go())
    assert (
        second >= 0.28 and third >= second + 0.28
    )  # each further 60 waits until the previous left the window
