"""Sampling decided by hashing record ids: the same records are chosen whatever the engine, the number of workers
or the way the corpus is cut into shards, and a rerun with the same seed chooses them again.
"""

from __future__ import annotations

import hashlib
import heapq
from collections.abc import Iterable

_SCALE = float(1 << 64)


def unit(record_id: str, seed: str = "") -> float:
    """A uniform number in [0, 1) fixed by the record id and the seed (BLAKE2b, 64 bits)."""
    digest = hashlib.blake2b(
        record_id.encode("utf-8", "surrogatepass"), digest_size=8, key=seed.encode()[:64]
    )
    return int.from_bytes(digest.digest(), "big") / _SCALE


def selected(record_id: str, rate: float, seed: str = "") -> bool:
    """Bernoulli sampling at ``rate`` (1.0 keeps everything) that depends only on the id and the seed."""
    return rate >= 1.0 or unit(record_id, seed) < rate


class BottomK:
    """The ``k`` records with the smallest hash: a uniform sample of fixed size, mergeable across workers
    (merging two bottom-k sets and keeping the k smallest gives the bottom-k of the union)."""

    def __init__(self, k: int, seed: str = "") -> None:
        self.k = k
        self.seed = seed
        self._heap: list[tuple[float, str, str]] = []  # max-heap through negated keys

    def offer(self, record_id: str, payload: str) -> None:
        u = unit(record_id, self.seed)
        item = (-u, record_id, payload)
        if len(self._heap) < self.k:
            heapq.heappush(self._heap, item)
        elif -u > self._heap[0][0]:
            heapq.heapreplace(self._heap, item)

    def merge(self, items: Iterable[tuple[float, str, str]]) -> None:
        for u, rid, payload in items:
            neg = (-u, rid, payload)
            if len(self._heap) < self.k:
                heapq.heappush(self._heap, neg)
            elif neg > self._heap[0]:
                heapq.heapreplace(self._heap, neg)

    def items(self) -> list[tuple[float, str, str]]:
        """(hash, id, payload), smallest hash first: the sample in a stable order."""
        return sorted(((-u, rid, payload) for u, rid, payload in self._heap), key=lambda t: (t[0], t[1]))
