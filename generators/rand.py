"""Deterministic randomness: named NumPy streams and counter-based hashes.

Two tools, both pure functions of the seed:
- `stream(seed, *keys)`: a fresh `numpy.random.Generator` for one named job (one chunk of
  sales, the catalog, ...). Each job has its own stream, so chunks never depend on each other.
- `uniform(seed, key, ids)`: a uniform [0, 1) value per id from a SplitMix64 hash. Customer
  attributes come from it, so any customer can be rebuilt from its id alone (follow-on batches
  rebuild old customers without replaying the first batch).
"""

from __future__ import annotations

import zlib

import numpy as np

_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)


def _key_int(key: str | int) -> int:
    return key if isinstance(key, int) else zlib.crc32(key.encode())


def stream(seed: int, *keys: str | int) -> np.random.Generator:
    """A generator for one named job; the same (seed, keys) always gives the same numbers."""
    return np.random.default_rng([seed, *(_key_int(k) for k in keys)])


def _splitmix64(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


def uniform(seed: int, key: str, ids: np.ndarray) -> np.ndarray:
    """One uniform [0, 1) float per id, a pure function of (seed, key, id)."""
    salt = _splitmix64(np.array([seed * 1_000_003 + _key_int(key)], dtype=np.uint64) & _MASK)
    hashed = _splitmix64(ids.astype(np.uint64) ^ salt)
    return (hashed >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def choose(u: np.ndarray, weights: np.ndarray | list[float]) -> np.ndarray:
    """Index into `weights` for each uniform value `u` (inverse CDF sampling)."""
    cdf = np.cumsum(np.asarray(weights, dtype=np.float64))
    cdf /= cdf[-1]
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(cdf) - 1)
