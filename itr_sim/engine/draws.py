"""Random streams of a replication, and draws from them in blocks.

Every random source of a replication has its own stream, a child of the replication's
``SeedSequence`` keyed by source and name (``stream``). One NumPy call fills a block that the
engine then empties one value at a time, so that a draw costs a list pop instead of a NumPy
call. Each buffer reads its own stream, so the k-th value of a stream does not depend on how
many values other streams gave: common random numbers hold per stream, and the same seed
gives the same values on any machine.
"""

from __future__ import annotations

import zlib

import numpy as np

from itr_sim.model.distributions import Distribution

__all__ = ["Draws", "Source", "Uniforms", "stream"]


class Source:
    """Random sources; each gets its own stream (per unit or customer where it matters)."""

    ARRIVALS = 0
    HANDLING = 1
    ROUTING = 2
    WAITING = 3
    PARTS = 4
    COMPLAINTS = 5
    CLOSURE = 6
    KNOWLEDGE = 7      # problem classes, article writing and lifetimes
    FIX = 8            # permanent-fix delays per severity
    KCP_DISPATCH = 10     # KCP2 mis-dispatch
    KCP_REVIEW = 11       # KCP3/KCP4 reviews
    KCP_CHANGES = 12      # KCP5 confirmations and severity changes
    SURVEY = 13             # survey response and callback handling (engine)
    SCORE = 14              # noise of the survey scores (analysis)
    UPDATES = 16      # progress updates: time per update, per level and severity
    ONSITE = 17       # site visits: need, travel


def stream(root: np.random.SeedSequence, source: int, name: str) -> np.random.Generator:
    """A child stream of the replication's seed, keyed by source and name."""
    key = (*root.spawn_key, source, zlib.crc32(name.encode("utf-8")))
    return np.random.default_rng(np.random.SeedSequence(root.entropy, spawn_key=key))

BLOCK = 1024


class Draws:
    """Values of one distribution (minutes) from one generator."""

    __slots__ = ("_buffer", "_dist", "_rng")

    def __init__(self, dist: Distribution, rng: np.random.Generator) -> None:
        self._dist, self._rng = dist, rng
        self._buffer: list[float] = []

    def __call__(self) -> float:
        buffer = self._buffer
        if not buffer:
            buffer.extend(np.asarray(self._dist.sample(self._rng, BLOCK), float)[::-1].tolist())
        return buffer.pop()


class Uniforms:
    """Uniform values on [0, 1) from one generator."""

    __slots__ = ("_buffer", "_rng")

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._buffer: list[float] = []

    def __call__(self) -> float:
        buffer = self._buffer
        if not buffer:
            buffer.extend(self._rng.random(BLOCK)[::-1].tolist())
        return buffer.pop()
