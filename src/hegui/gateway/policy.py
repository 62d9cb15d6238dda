"""From screening findings to an action: refuse, warn or log, per risk, as configured.

Input is screened whole (the newest user message, or all of them); output is screened as it streams by
:class:`OutputGuard`, which holds back only what might still turn out to be part of a violation: the tail the
keyword stream keeps between chunks, and the sentence the classifier has not judged yet.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from hegui.gateway.config import ACTION_RANK, GatewayConfig
from hegui.screen.pii import PiiScanner
from hegui.screen.service import ClassifierScreener, KeywordScreener, PiiScreener, Pipeline, TextResult


@dataclass(frozen=True, slots=True)
class Verdict:
    """``action`` is ``pass`` or the strongest configured action over the risks found."""

    action: str
    risks: tuple[str, ...] = ()
    pii: tuple[str, ...] = ()

    @property
    def refused(self) -> bool:
        return self.action == "refuse"


PASS = Verdict("pass")


def _risks(result: TextResult) -> tuple[list[str], list[str]]:
    risks: list[str] = []
    pii: list[str] = []
    for f in result.findings:
        if f.source == "matcher":
            risks.extend(f.data.get("risks", ()))
        elif f.source == "classifier":
            risks.extend(f.data.get("flagged", ()))
        elif f.source == "pii":
            pii.append(str(f.data.get("kind")))
    return sorted(set(risks)), sorted(set(pii))


def decide(risks: Sequence[str], pii: Sequence[str], config: GatewayConfig) -> Verdict:
    best = "pass"
    for r in risks:
        a = config.action_for(r)
        if best == "pass" or ACTION_RANK[a] > ACTION_RANK[best]:
            best = a
    if pii and (best == "pass" or ACTION_RANK[config.pii_action] > ACTION_RANK[best]):
        best = config.pii_action
    return Verdict(best, tuple(risks), tuple(pii))


WARM_UP = "联系人王秀英，手机13812345678，住在杭州市西湖区文三路90号。请介绍一下杭州。"


class Screening:
    """The gateway's screeners, built once per worker from the configuration."""

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        extra = [PiiScreener(PiiScanner(names=config.pii_names))] if config.pii else []
        self.pipeline = Pipeline.build(config.lexicon, pii=False, classify=config.classify, extra=extra)
        self.keywords = next(s for s in self.pipeline.screeners if isinstance(s, KeywordScreener))
        self.classifier = next(
            (s for s in self.pipeline.screeners if isinstance(s, ClassifierScreener)), None
        )

        # Load every lazy part (the classifier's model, jieba's dictionary) now, not in the first user's request.
        self.pipeline([WARM_UP])

    @property
    def lexicon_identity(self) -> dict[str, Any]:
        lex = self.pipeline.lexicon
        return {"name": lex.name, "entries": len(lex), "digest": lex.digest}

    def judge_input(self, texts: Sequence[str]) -> Verdict:
        texts = [t for t in texts if t]
        if not texts:
            return PASS
        risks: set[str] = set()
        pii: set[str] = set()
        for result in self.pipeline(list(texts)):
            r, p = _risks(result)
            risks.update(r)
            pii.update(p)
        return decide(sorted(risks), sorted(pii), self.config)

    def judge_output(self, text: str) -> Verdict:
        """A whole reply (non-streaming responses). Personal information in answers is logged, never refused."""
        if not text:
            return PASS
        result = self.pipeline([text])[0]
        risks, _pii = _risks(result)
        return decide(risks, (), self.config)

    def guard(self) -> OutputGuard:
        return OutputGuard(self)


_SENTENCE_END = re.compile(r"[。！？!?；;\n]|\.(?=\s)")


@dataclass
class OutputGuard:
    """Screens one streamed reply as it arrives; ``feed`` returns the text that may now be released.

    Text is released only up to the point where (1) no keyword can still complete (the matcher stream's kept
    tail begins there) and (2) the classifier has judged every sentence before it. On a violation with action
    ``refuse`` the guard stops releasing and reports the verdict; the caller cuts the stream.
    """

    screening: Screening
    text: str = ""
    released: int = 0
    judged: int = 0
    risks: set[str] = field(default_factory=set)
    violation: Verdict | None = None

    def __post_init__(self) -> None:
        self._stream = self.screening.keywords.matcher.stream()

    def _keyword_risks(self, hits: list[Any]) -> None:
        for h in hits:
            self.risks.update(h.risks)
        self._check()

    def _check(self) -> None:
        if self.risks and self.violation is None:
            v = decide(sorted(self.risks), (), self.screening.config)
            if v.refused:
                self.violation = v

    def _classify(self, upto: int) -> None:
        clf = self.screening.classifier
        if clf is None or upto <= self.judged:
            self.judged = max(self.judged, upto)
            return
        piece = self.text[self.judged : upto]
        if piece.strip():
            finding = clf([piece])[0][0]
            self.risks.update(finding.data.get("flagged", ()))
            self._check()
        self.judged = upto

    def _judge_sentences(self, final: bool) -> None:
        if self.screening.classifier is None:
            self.judged = len(self.text)
            return
        limit = self.screening.config.sentence_max_chars
        while self.violation is None:
            rest = self.text[self.judged :]
            m = _SENTENCE_END.search(rest)
            if m is not None and m.end() <= limit:
                self._classify(self.judged + m.end())
            elif len(rest) >= limit:
                self._classify(self.judged + limit)
            else:
                if final and rest:
                    self._classify(len(self.text))
                return

    def _release(self, final: bool) -> str:
        if self.violation is not None:
            return ""
        safe = len(self.text) if final else min(self._stream.safe_offset, self.judged)
        if safe <= self.released:
            return ""
        out = self.text[self.released : safe]
        self.released = safe
        return out

    def feed(self, delta: str) -> str:
        if self.violation is not None or not delta:
            return ""
        self.text += delta
        self._keyword_risks(self._stream.feed(delta))
        self._judge_sentences(final=False)
        return self._release(final=False)

    def close(self) -> str:
        if self.violation is None:
            self._keyword_risks(self._stream.close())
            self._judge_sentences(final=True)
        return self._release(final=True)

    @property
    def held(self) -> int:
        """Characters received but not yet released."""
        return len(self.text) - self.released
