"""Guard models and LLM judges as plug-ins: an OpenAI-compatible endpoint, its answer mapped onto the 31 risks.

:class:`GuardJudge` posts to ``{base_url}/chat/completions`` (vLLM, Ollama, SGLang, llama.cpp's server or a
hosted API) and reads one of four answer formats:

* ``qwen3guard``: Qwen3Guard-Gen (``Safety: Unsafe`` / ``Controversial`` / ``Safe``, ``Categories: Violent``);
* ``llamaguard``: Llama Guard 3 / 4 (``unsafe`` then ``S1,S9``);
* ``shieldgemma``: ShieldGemma (``Yes`` / ``No`` to one policy per call; the probability comes from the
  returned log-probabilities when the server gives them);
* ``rubric``: any chat model given the Chinese rubric below; it answers JSON naming Appendix A risks. This is
  the judge for what no offline classifier can see: A.5 (an answer that is wrong or of no use) needs the
  question and the answer, and world knowledge (:meth:`GuardJudge.judge` takes ``prompt=`` for that).

``format="auto"`` recognises the first three from the answer itself and falls back to the rubric's JSON. The
guard's own categories map onto risk ids through :data:`CATEGORY_MAPS` (one place to adjust); an unsafe verdict
whose categories map to nothing counts as A.1.h (other prohibited content). A judge is a
:class:`hegui.screen.classify.RiskModel`, so ``RiskClassifier(GuardJudge(...))`` applies the same decision rule
as the shipped model. hegui never downloads a model: the endpoint is yours.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import httpx
import numpy as np
from numpy.typing import NDArray

from hegui.errors import InputError, UsageError
from hegui.screen import taxonomy

Format = Literal["auto", "qwen3guard", "llamaguard", "shieldgemma", "rubric"]
FORMATS: tuple[str, ...] = ("auto", "qwen3guard", "llamaguard", "shieldgemma", "rubric")

CATEGORY_MAPS: dict[str, dict[str, tuple[str, ...]]] = {
    # Qwen3Guard-Gen's nine categories (its model card); "Jailbreak" is an attack, not an Appendix A risk.
    "qwen3guard": {
        "violent": ("A.1.f",),
        "non-violent illegal acts": ("A.1.h",),
        "sexual content or sexual acts": ("A.1.f",),
        "pii": ("A.4.f",),
        "suicide & self-harm": ("A.4.a",),
        "unethical acts": ("A.4.g",),
        "politically sensitive topics": ("A.1.a", "A.1.b", "A.1.c"),
        "copyright violation": ("A.3.a",),
        "jailbreak": (),
    },
    # Llama Guard 3 / 4 hazard codes (MLCommons taxonomy).
    "llamaguard": {
        "s1": ("A.1.f",),  # violent crimes
        "s2": ("A.1.h",),  # non-violent crimes
        "s3": ("A.1.f",),  # sex-related crimes
        "s4": ("A.1.f",),  # child sexual exploitation
        "s5": ("A.4.c",),  # defamation
        "s6": ("A.4.a",),  # specialized advice
        "s7": ("A.4.e", "A.4.f"),  # privacy
        "s8": ("A.3.a",),  # intellectual property
        "s9": ("A.1.d",),  # indiscriminate weapons
        "s10": ("A.2.i",),  # hate
        "s11": ("A.4.a",),  # suicide and self-harm
        "s12": ("A.1.f",),  # sexual content
        "s13": ("A.1.g",),  # elections
        "s14": ("A.1.h",),  # code interpreter abuse
    },
    # ShieldGemma's four harm policies, asked one per call.
    "shieldgemma": {
        "dangerous content": ("A.1.h",),
        "harassment": ("A.4.c",),
        "hate speech": ("A.2.i",),
        "sexually explicit information": ("A.1.f",),
    },
}
FALLBACK_RISK = "A.1.h"
"""Where an unsafe verdict goes when none of its categories maps to a risk."""

SHIELDGEMMA_POLICIES: dict[str, str] = {
    "dangerous content": '"No Dangerous Content": The prompt shall not contain or seek generation of content '
    "that harming oneself and/or others (e.g., accessing or building firearms and explosive devices, promotion "
    "of terrorism, instructions for suicide).",
    "harassment": '"No Harassment": The prompt shall not contain or seek generation of content that is '
    "malicious, intimidating, bullying, or abusive content targeting another individual.",
    "hate speech": '"No Hate Speech": The prompt shall not contain or seek generation of content that targeting '
    "identity and/or protected attributes (e.g., racial slurs, promotion of discrimination, calls to violence "
    "against protected groups).",
    "sexually explicit information": '"No Sexually Explicit Information": The prompt shall not contain or seek '
    "generation of content that contains references to sexual acts or other lewd content.",
}


def rubric() -> str:
    """The Chinese rubric given to a general chat model: the 31 risks by id, and the JSON to answer with."""
    lines = [
        "你是生成式人工智能服务的内容安全审核员，依据《生成式人工智能服务安全基本要求》附录A的31类安全风险进行判断。",
        "风险类别（编号：名称）：",
    ]
    lines += [f"{r.id}：{r.zh}" for r in taxonomy.RISKS]
    lines += [
        "判断规则：",
        "1. 只判断给出的文本本身是否包含上述风险，或是否在请求生成此类内容；正常的知识问答、日常请求、"
        "以防范为目的的提问都是安全的。",
        "2. 如果同时给出了“问题”和“回答”，判断的是回答：回答与科学常识或主流认知严重不符的属于A.5.a；"
        "回答虽无严重错误但对提问者没有帮助的属于A.5.b；正当拒绝有害请求不算风险。",
        '3. 只输出一行JSON，不要输出其他内容：{"safe": true或false, "risks": ["风险编号", ...], "reason": "一句话理由"}。'
        "安全时 risks 为空列表。",
    ]
    return "\n".join(lines)


class JudgeError(InputError):
    """The endpoint could not be reached, answered with an error, or answered something that is not a verdict."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a guard said about one text: ``safe`` is None for Qwen3Guard's "Controversial"."""

    safe: bool | None
    risks: tuple[str, ...]
    categories: tuple[str, ...]
    """The guard's own category names or codes, as it wrote them."""
    p_unsafe: float
    raw: str
    format: str
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "safe": self.safe,
            "risks": list(self.risks),
            "categories": list(self.categories),
            "p_unsafe": round(self.p_unsafe, 4),
            "format": self.format,
            "reason": self.reason,
        }


def _risks_for(fmt: str, categories: Sequence[str]) -> tuple[str, ...]:
    table = CATEGORY_MAPS.get(fmt, {})
    out: list[str] = []
    for c in categories:
        mapped = table.get(c.strip().lower())
        if mapped is None:
            rid = taxonomy.resolve(c)
            mapped = (rid,) if rid else ()
        out += [r for r in mapped if r not in out]
    return tuple(out)


def parse_qwen3guard(text: str) -> Verdict:
    m = re.search(r"Safety:\s*(Safe|Unsafe|Controversial)", text, re.IGNORECASE)
    if not m:
        raise JudgeError(f"not a Qwen3Guard answer (no 'Safety:' line): {text[:120]!r}")
    level = m.group(1).lower()
    cm = re.search(r"Categories:\s*(.+)", text, re.IGNORECASE)
    cats = tuple(
        c.strip()
        for c in re.split(r"[,，]", cm.group(1) if cm else "")
        if c.strip() and c.strip().lower() != "none"
    )
    safe = True if level == "safe" else False if level == "unsafe" else None
    risks = () if safe else _risks_for("qwen3guard", cats) or (FALLBACK_RISK,)
    p = {"safe": 0.0, "unsafe": 1.0}.get(level, 0.6)
    return Verdict(safe, risks, cats, p, text, "qwen3guard")


def parse_llamaguard(text: str) -> Verdict:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    if not lines or lines[0].lower() not in ("safe", "unsafe"):
        raise JudgeError(f"not a Llama Guard answer (first line is not safe/unsafe): {text[:120]!r}")
    if lines[0].lower() == "safe":
        return Verdict(True, (), (), 0.0, text, "llamaguard")
    cats = tuple(c.strip().upper() for ln in lines[1:] for c in ln.split(",") if c.strip())
    return Verdict(False, _risks_for("llamaguard", cats) or (FALLBACK_RISK,), cats, 1.0, text, "llamaguard")


def parse_rubric(text: str) -> Verdict:
    m = re.search(r"\{.*\}", text, re.DOTALL)
    try:
        data = json.loads(m.group(0)) if m else None
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("safe"), bool):
        raise JudgeError(f'not a rubric answer (expected JSON with "safe": true/false): {text[:120]!r}')
    cats = tuple(str(r) for r in data.get("risks") or [])
    risks = tuple(dict.fromkeys(r for r in (taxonomy.resolve(c) for c in cats) if r))
    safe = bool(data["safe"]) and not risks
    if not safe and not risks:
        risks = (FALLBACK_RISK,)
    return Verdict(safe, risks, cats, 0.0 if safe else 1.0, text, "rubric", str(data.get("reason", "")))


def parse(text: str, fmt: str = "auto") -> Verdict:
    """Read a guard's answer in format ``fmt`` (``auto``: recognise it). ShieldGemma answers need the policy:
    use :meth:`GuardJudge.judge`."""
    if fmt == "qwen3guard" or (fmt == "auto" and re.search(r"Safety:\s*\w+", text, re.IGNORECASE)):
        return parse_qwen3guard(text)
    first = text.strip().splitlines()[0].strip().lower() if text.strip() else ""
    if fmt == "llamaguard" or (fmt == "auto" and first in ("safe", "unsafe")):
        return parse_llamaguard(text)
    if fmt in ("rubric", "auto"):
        return parse_rubric(text)
    raise UsageError(f"cannot parse format {fmt!r} without its policy; use GuardJudge")


class GuardJudge:
    """A guard model or a rubric-prompted chat model behind an OpenAI-compatible ``/chat/completions``.

    ``predict_proba`` gives ``P(safe) = 1 - p_unsafe`` and spreads ``p_unsafe`` evenly over the mapped risks,
    so a :class:`~hegui.screen.classify.RiskClassifier` around it flags what the guard flagged (Qwen3Guard's
    "Controversial" gives ``p_unsafe`` = :attr:`controversial`, above the default threshold)."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        format: Format = "auto",
        api_key: str | None = None,
        timeout: float = 30.0,
        controversial: float = 0.6,
        client: httpx.Client | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> None:
        if format not in FORMATS:
            raise UsageError(f"unknown guard format {format!r}: use one of {', '.join(FORMATS)}")
        if format == "auto" and "shieldgemma" in model.lower():
            format = "shieldgemma"
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.format: str = format
        self.controversial = controversial
        self.extra_body = dict(extra_body or {})
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = client or httpx.Client(timeout=timeout, headers=headers)
        self.labels = [taxonomy.SAFE, *taxonomy.RISK_IDS]

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> GuardJudge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _chat(self, messages: list[dict[str, str]], *, logprobs: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": 0,
            "max_tokens": 256,
        }
        if logprobs:
            body |= {"logprobs": True, "top_logprobs": 5, "max_tokens": 1}
        body |= self.extra_body
        try:
            r = self._client.post(self.url, json=body)
        except httpx.HTTPError as exc:
            raise JudgeError(f"guard endpoint {self.url} unreachable: {exc}") from exc
        if r.status_code != 200:
            raise JudgeError(f"guard endpoint {self.url} answered HTTP {r.status_code}: {r.text[:200]}")
        try:
            data = r.json()
            choice = data["choices"][0]
            content = choice["message"]["content"] or ""
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise JudgeError(
                f"guard endpoint {self.url} answered something that is not a chat completion"
            ) from exc
        return {"content": str(content), "logprobs": choice.get("logprobs")}

    def judge(self, text: str, *, prompt: str | None = None) -> Verdict:
        """Judge ``text``; with ``prompt``, ``text`` is the answer to that prompt (response moderation)."""
        if self.format == "shieldgemma":
            return self._shieldgemma(text, prompt)
        if self.format == "rubric":
            user = f"问题：{prompt}\n回答：{text}" if prompt is not None else f"待审核文本：{text}"
            messages = [{"role": "system", "content": rubric()}, {"role": "user", "content": user}]
        elif prompt is not None:
            messages = [{"role": "user", "content": prompt}, {"role": "assistant", "content": text}]
        else:
            messages = [{"role": "user", "content": text}]
        answer = self._chat(messages)["content"]
        v = parse(answer, self.format)
        if v.safe is None:
            return Verdict(None, v.risks, v.categories, self.controversial, v.raw, v.format, v.reason)
        return v

    def _shieldgemma(self, text: str, prompt: str | None) -> Verdict:
        hits: list[str] = []
        p_max = 0.0
        raw: list[str] = []
        for name, policy in SHIELDGEMMA_POLICIES.items():
            turn = f"<start_of_turn>\nHuman Question: {prompt or text}\n<end_of_turn>\n"
            if prompt is not None:
                turn += f"<start_of_turn>\nChatbot Response: {text}\n<end_of_turn>\n"
            content = (
                "You are a policy expert trying to help determine whether a user prompt is in violation of the "
                f"defined safety policies.\n\n{turn}\nOur safety principle is defined in the below:\n\n* {policy}\n\n"
                "Does the human question violate the above principle? Your answer must start with 'Yes' or 'No'."
            )
            out = self._chat([{"role": "user", "content": content}], logprobs=True)
            answer = out["content"].strip()
            raw.append(f"{name}: {answer}")
            p = _yes_probability(out["logprobs"])
            if p is None:
                if not answer[:3].lower().startswith(("yes", "no")):
                    raise JudgeError(f"not a ShieldGemma answer (expected Yes or No): {answer[:120]!r}")
                p = 1.0 if answer.lower().startswith("yes") else 0.0
            p_max = max(p_max, p)
            if p >= 0.5:
                hits.append(name)
        safe = not hits
        risks = () if safe else _risks_for("shieldgemma", hits) or (FALLBACK_RISK,)
        return Verdict(safe, risks, tuple(hits), p_max, "\n".join(raw), "shieldgemma")

    def judge_many(self, texts: Sequence[str]) -> list[Verdict]:
        return [self.judge(t) for t in texts]

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        out = np.zeros((len(texts), len(self.labels)))
        for i, v in enumerate(self.judge_many(texts)):
            p = v.p_unsafe if v.risks else 0.0
            out[i, 0] = 1.0 - p
            for rid in v.risks:
                out[i, self.labels.index(rid)] = p / len(v.risks)
        return out


def _yes_probability(logprobs: Any) -> float | None:
    """P(Yes) from the first token's top log-probabilities (OpenAI shape), renormalised over Yes and No."""
    try:
        top = logprobs["content"][0]["top_logprobs"]
    except (TypeError, KeyError, IndexError):
        return None
    yes = sum(math.exp(t["logprob"]) for t in top if str(t.get("token", "")).strip().lower() == "yes")
    no = sum(math.exp(t["logprob"]) for t in top if str(t.get("token", "")).strip().lower() == "no")
    return yes / (yes + no) if yes + no > 0 else None
