"""Named random streams for one replication.

Every random draw in a replication comes from a stream named by its purpose (``portfolio``,
``calls``, ``conversations``, ``payments`` ...). A stream is a :class:`numpy.random.Generator`
seeded from ``SeedSequence(entropy=seed, spawn_key=(replication, stream_id))``, which is exactly
``SeedSequence(seed).spawn(R)[replication].spawn(...)`` addressed directly, so any replication
can be re-run on its own. Stream ids come from a fixed table (and a CRC of the name for streams
outside it), never from the order in which streams are first used, so adding a stream changes
no other stream's numbers. Scenarios that share a portfolio section therefore draw identical
portfolios for replication *r* (common random numbers).

:func:`counter_uniforms` gives draws keyed by (account, counter) for models that need each
account to keep its own sequence whatever happens to the others. :func:`uniform_draws` hands
out scalar uniforms from pre-drawn blocks: the per-call hot path
asks for one number at a time, and a numpy call per number would dominate its cost.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Callable

import numpy as np
from numba import njit

STREAM_IDS: dict[str, int] = {
    "portfolio": 1,
    "allocation": 2,
    "scores": 3,
    "calls": 4,
    "conversations": 5,
    "payments": 6,
    "selfcure": 7,
    "messages": 8,
    "inbound": 9,
    "compliance": 10,
    "durations": 11,
    "legal": 12,
    "queue": 13,
}


def stream_id(name: str) -> int:
    """The stable integer id of a stream name."""
    return STREAM_IDS.get(name, 1000 + zlib.crc32(name.encode()) % 1_000_000)


class Streams:
    """Factory of named generators for one (seed, replication)."""

    def __init__(self, seed: int, replication: int = 0) -> None:
        if seed < 0 or replication < 0:
            raise ValueError("seed and replication must be non-negative")
        self.seed = seed
        self.replication = replication
        self._cache: dict[str, np.random.Generator] = {}

    def sequence(self, name: str, *extra: int) -> np.random.SeedSequence:
        """The seed sequence behind stream ``name`` (optionally sub-keyed, e.g. by agency)."""
        return np.random.SeedSequence(
            entropy=self.seed, spawn_key=(self.replication, stream_id(name), *extra)
        )

    def key(self, name: str, *extra: int) -> int:
        """A 64-bit key for :func:`counter_uniforms`, derived from stream ``name``."""
        return int(self.sequence(name, *extra).generate_state(1, np.uint64)[0])

    def get(self, name: str, *extra: int) -> np.random.Generator:
        """The generator for ``name``; the same object on every call in this replication."""
        key = name if not extra else f"{name}/{'/'.join(map(str, extra))}"
        generator = self._cache.get(key)
        if generator is None:
            generator = np.random.Generator(np.random.PCG64(self.sequence(name, *extra)))
            self._cache[key] = generator
        return generator


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_SHIFTS = (np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11))


@njit(cache=True)
def _splitmix64(x: np.uint64) -> np.uint64:
    """The SplitMix64 finaliser: a strong 64-bit mix (wrapping arithmetic)."""
    z = x + _GOLDEN
    z = (z ^ (z >> _SHIFTS[0])) * _MIX1
    z = (z ^ (z >> _SHIFTS[1])) * _MIX2
    return z ^ (z >> _SHIFTS[2])


@njit(cache=True)
def _fill_counter_uniforms(key: np.uint64, index: np.ndarray, counter: np.ndarray,
                           out: np.ndarray) -> None:
    scale = 2.0**-53
    for j in range(out.size):
        x = _splitmix64(key ^ _splitmix64(index[j]))
        x = _splitmix64(x ^ _splitmix64(counter[j] + _MIX1))
        out[j] = (np.float64(x >> _SHIFTS[3]) + 0.5) * scale


def counter_uniforms(key: int, index: np.ndarray, counter: np.ndarray) -> np.ndarray:
    """U(0, 1) draws that depend only on (``key``, ``index``, ``counter``), elementwise
    (broadcast together).

    Counter-based: the k-th draw of account i is the same whatever else is drawn, and in
    whatever order, so models can give each account its own sequence of draws (common random
    numbers across scenarios) while still drawing for many accounts at once. ``key`` comes
    from a named stream (:meth:`Streams.key`). Each draw is SplitMix64 of the key, the index
    and the counter, its top 53 bits read as ``(m + 1/2) / 2**53``; compiled (numba), since
    the dialler draws for every dial.
    """
    index, counter = np.broadcast_arrays(np.asarray(index, dtype=np.uint64),
                                         np.asarray(counter, dtype=np.uint64))
    out = np.empty(index.shape)
    _fill_counter_uniforms(np.uint64(key), np.ascontiguousarray(index).ravel(),
                           np.ascontiguousarray(counter).ravel(), out.reshape(-1))
    return out if out.ndim else out[()]


DrawFunction = Callable[[], float]
"""A function returning the next scalar draw of a stream each time it is called."""

BLOCK_SIZE = 16384


def _draws(blocks: Callable[[], np.ndarray]) -> DrawFunction:
    """Serve scalars one at a time from blocks made by ``blocks()``, each drawn when needed.

    The function returned is the ``__next__`` of a chained iterator, so a draw costs a single
    C-level call; the blocks are drawn lazily, in order, so the sequence is exactly the
    concatenation of the blocks.
    """
    produced = map(lambda _: blocks().tolist(), itertools.repeat(None))
    return itertools.chain.from_iterable(produced).__next__


def uniform_draws(generator: np.random.Generator, size: int = BLOCK_SIZE) -> DrawFunction:
    """Scalar U(0, 1) draws served from blocks of ``size`` drawn in one numpy call."""
    return _draws(lambda: generator.random(size))


def exponential_draws(generator: np.random.Generator, size: int = BLOCK_SIZE) -> DrawFunction:
    """Scalar Exp(1) draws served from blocks; multiply by the mean you need."""
    return _draws(lambda: generator.standard_exponential(size))
