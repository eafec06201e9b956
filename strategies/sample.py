"""Compact samples of a sweep grid, addressed by position (pure Python + NumPy).

A sampled :class:`strategies.grid.Grid` runs ``n`` distinct combinations of its full product,
in grid order (sorted by flat position: the C-order position in the full product). It never
stores them as an (n, n_keys) matrix (10^7 samples of 11 keys would be 880 MB); a sample is
one of:

* :class:`FlatSample`: the sorted flat positions, int64 (8 bytes per sampled combination).
  Grids up to :data:`DENSE` combinations are sampled by ``Generator.choice(full_size, n,
  replace=False)`` as they always were (the same seed gives the same combinations).
* :class:`BlockSample`: nothing per combination. The full product is cut into ``B`` blocks of
  consecutive flat positions (about :data:`PER_BLOCK` sampled combinations each) and block
  ``b``'s combinations are drawn again from its own random stream
  (``SeedSequence(seed, spawn_key=(attempt, b))``) whenever a chunk asks for it: memory
  O(B) (three int64 arrays of B values: 0.2 MB for 10^7 samples), time O(chunk).

How a block sample is drawn (uniform over the subsets of size ``n``): draw ``m`` positions
independently and uniformly over the full product (per block: a multinomial count of draws,
then the draws themselves), keep the distinct ones (``D >= n``; otherwise draw again with more
draws, ``attempt + 1``), then drop ``D - n`` of them chosen uniformly (per block: a
multivariate hypergeometric count, then which ones). Given their number, the distinct
positions of independent uniform draws are a uniform subset, and a uniform subset of a
uniform subset is uniform; the only approximation is the multinomial's float64 block weights
(relative error about 1e-16). Positions of the full product may exceed int64 (value indices
are added digit by digit), up to :data:`MAX_BLOCKS` blocks of at most 2^62 positions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from strategies.errors import GridError

DENSE = 2 * 10**7
"""Grids up to this size are sampled by ``Generator.choice`` over flat positions."""
PER_BLOCK = 4096
"""Expected sampled combinations per block of a :class:`BlockSample`."""
MAX_SPAN = 2**62
"""Largest block (flat positions), so offsets inside a block fit in int64."""
_INT64_MAX = int(np.iinfo(np.int64).max)
MAX_BLOCKS = 2**22
"""Most blocks of a :class:`BlockSample` (so grids up to about 1.9e25 combinations)."""


def unravel(base: int, offsets: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Value indices of flat positions ``base + offsets`` over ``shape`` (C order): int64
    array of shape (len(offsets), len(shape)). ``base`` is a Python int of any size; each
    offset is a non-negative int64. Equals ``np.unravel_index`` where that applies."""
    offsets = np.asarray(offsets, dtype=np.int64)
    if not shape:
        return np.zeros((len(offsets), 0), dtype=np.int64)
    if math.prod(shape) <= _INT64_MAX and (
        len(offsets) == 0 or base + int(offsets.max()) <= _INT64_MAX
    ):
        flat = offsets + np.int64(base) if base else offsets
        return np.column_stack(np.unravel_index(flat, shape)).astype(np.int64, copy=False)
    out = np.empty((len(offsets), len(shape)), dtype=np.int64)
    rem = offsets
    carry = np.zeros(len(offsets), dtype=np.int64)
    b = int(base)
    for j in range(len(shape) - 1, -1, -1):
        s = shape[j]
        b, bd = divmod(b, s)
        rem, od = np.divmod(rem, s)
        d = od + bd + carry
        carry = (d >= s).astype(np.int64)
        out[:, j] = d - carry * s
    return out


def _distinct_sorted(a: np.ndarray) -> np.ndarray:
    a = np.sort(a)
    if len(a) < 2:
        return a
    keep = np.empty(len(a), dtype=np.bool_)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]


@dataclass(frozen=True, eq=False)
class FlatSample:
    """Sorted distinct flat positions (int64, read-only) of a grid whose size fits int64."""

    flat: np.ndarray

    def __post_init__(self) -> None:
        self.flat.setflags(write=False)

    @property
    def size(self) -> int:
        return len(self.flat)

    def indices(self, start: int, stop: int, shape: tuple[int, ...]) -> np.ndarray:
        """Value indices of sample positions ``start:stop``: shape (stop - start, n_keys)."""
        return unravel(0, self.flat[start:stop], shape)

    def indices_at(self, rows: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """Value indices of the sample positions ``rows`` (any order)."""
        return unravel(0, self.flat[np.asarray(rows, dtype=np.int64)], shape)

    def flat_at(self, rows: np.ndarray) -> np.ndarray:
        """Flat positions (int64) of the sample positions ``rows``."""
        return self.flat[np.asarray(rows, dtype=np.int64)]


@dataclass(frozen=True, eq=False)
class BlockSample:
    """``n`` combinations of a product of ``full_size``, drawn block by block (module
    docstring); only per-block counts are stored.

    Attributes
    ----------
    full_size : combinations of the full product (a Python int, may exceed int64).
    seed, attempt : the sample's seed and the draw that gave enough distinct positions.
    span : flat positions per block (the last block may be shorter).
    draws : int64 array of shape (n_blocks,): independent draws in each block.
    drop : int64 array of shape (n_blocks,): distinct draws removed from each block.
    starts : int64 array of shape (n_blocks + 1,): first sample position of each block.
    """

    full_size: int
    seed: int
    attempt: int
    span: int
    draws: np.ndarray
    drop: np.ndarray
    starts: np.ndarray
    _last: dict[int, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_last"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    @property
    def size(self) -> int:
        return int(self.starts[-1])

    @property
    def n_blocks(self) -> int:
        return len(self.draws)

    def offsets(self, b: int) -> np.ndarray:
        """Sorted offsets (from ``b * span``) of block ``b``'s sampled combinations."""
        got = self._last.get(b)
        if got is not None:
            return got
        rng = _block_rng(self.seed, self.attempt, b)
        size = _block_size(self.full_size, self.span, b)
        off = _distinct_sorted(rng.integers(0, size, size=int(self.draws[b])))
        k = int(self.drop[b])
        if k:
            off = np.delete(off, rng.choice(len(off), size=k, replace=False))
        off.setflags(write=False)
        self._last.clear()
        self._last[b] = off
        return off

    def indices(self, start: int, stop: int, shape: tuple[int, ...]) -> np.ndarray:
        """Value indices of sample positions ``start:stop`` (regenerates the blocks they
        fall in)."""
        if stop <= start:
            return np.zeros((0, len(shape)), dtype=np.int64)
        b0 = int(np.searchsorted(self.starts, start, side="right")) - 1
        b1 = int(np.searchsorted(self.starts, stop - 1, side="right")) - 1
        parts = []
        for b in range(b0, b1 + 1):
            lo = max(start, int(self.starts[b])) - int(self.starts[b])
            hi = min(stop, int(self.starts[b + 1])) - int(self.starts[b])
            parts.append(unravel(b * self.span, self.offsets(b)[lo:hi], shape))
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def indices_at(self, rows: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """Value indices of the sample positions ``rows`` (any order)."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty((len(rows), len(shape)), dtype=np.int64)
        blocks = np.searchsorted(self.starts, rows, side="right") - 1
        for b in np.unique(blocks):
            sel = np.flatnonzero(blocks == b)
            off = self.offsets(int(b))[rows[sel] - self.starts[b]]
            out[sel] = unravel(int(b) * self.span, off, shape)
        return out

    def flat_at(self, rows: np.ndarray) -> np.ndarray:
        """Flat positions (int64; the full product must fit int64) of sample positions."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty(len(rows), dtype=np.int64)
        blocks = np.searchsorted(self.starts, rows, side="right") - 1
        for b in np.unique(blocks):
            sel = np.flatnonzero(blocks == b)
            out[sel] = int(b) * self.span + self.offsets(int(b))[rows[sel] - self.starts[b]]
        return out


def _block_rng(seed: int, attempt: int, b: int) -> np.random.Generator:
    """Block ``b``'s own random stream."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(attempt, b)))
    )


def _block_size(full_size: int, span: int, b: int) -> int:
    return min(span, full_size - b * span)


def _draw_count(n: int, full: int, attempt: int) -> int:
    """Independent draws expected to give ``n`` distinct positions out of ``full``, with a
    margin (about 10 standard deviations), grown on each further attempt."""
    expected = -full * math.log1p(-n / full)
    margin = 10.0 * math.sqrt(expected) + 64.0
    return math.ceil((expected + margin) * (1.0 + 0.1 * attempt))


MAX_BLOCK_SAMPLE = 5 * 10**8
"""Largest block sample (the hypergeometric draw of the dropped positions needs fewer than
10^9 distinct draws)."""


def block_sample(full_size: int, n: int, seed: int) -> BlockSample:
    """A uniform sample of ``n`` distinct positions of ``range(full_size)`` (``n`` at most
    half of it), drawn block by block (see the module docstring)."""
    if not 1 <= n <= min(full_size // 2, MAX_BLOCK_SAMPLE):
        raise GridError(
            f"sample size {n:,}: expected 1 to half of {full_size:,} combinations "
            f"(at most {MAX_BLOCK_SAMPLE:,})"
        )
    blocks = max(-(-n // PER_BLOCK), -(-full_size // MAX_SPAN))
    span = -(-full_size // blocks)
    blocks = -(-full_size // span)
    if blocks > MAX_BLOCKS:
        raise GridError(
            f"a grid of {full_size:,} combinations is too large to sample; narrow the ranges"
        )
    sizes = np.full(blocks, float(span))
    sizes[-1] = float(full_size - (blocks - 1) * span)
    pvals = sizes / sizes.sum()
    attempt = 0
    while True:
        top = np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(attempt,)))
        )
        draws = top.multinomial(_draw_count(n, full_size, attempt), pvals).astype(np.int64)
        distinct = np.array(
            [
                len(
                    _distinct_sorted(
                        _block_rng(seed, attempt, b).integers(
                            0, _block_size(full_size, span, b), size=int(d)
                        )
                    )
                )
                for b, d in enumerate(draws)
            ],
            dtype=np.int64,
        )
        total = int(distinct.sum())
        if total >= n:
            break
        attempt += 1  # about 10 standard deviations short: practically never
    drop = top.multivariate_hypergeometric(distinct, total - n, method="marginals")
    starts = np.zeros(blocks + 1, dtype=np.int64)
    np.cumsum(distinct - drop, out=starts[1:])
    return BlockSample(full_size, seed, attempt, span, draws, drop.astype(np.int64), starts)


def flat_sample(full_size: int, n: int, seed: int) -> FlatSample:
    """``n`` distinct flat positions of ``range(full_size)`` by ``Generator.choice``, sorted
    (the draw of every grid up to :data:`DENSE` combinations)."""
    rng = np.random.default_rng(seed)
    return FlatSample(np.sort(rng.choice(full_size, size=n, replace=False)).astype(np.int64))
