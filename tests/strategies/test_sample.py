"""Compact grid samples: chunk-addressable, sorted, distinct, uniform, small in memory."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from strategies import Strategy, expand_grid, load_strategy
from strategies import sample as sample_mod
from strategies.sample import BlockSample, FlatSample, block_sample, unravel

SHAPE = (6, 4, 5, 5, 7, 9, 9, 9, 4, 2, 2)  # 48,988,800 combinations
FULL = int(np.prod(SHAPE))


def test_unravel_equals_numpy_and_adds_digits_past_int64() -> None:
    rng = np.random.default_rng(0)
    flat = rng.integers(0, FULL, 1000)
    np.testing.assert_array_equal(
        unravel(0, flat, SHAPE), np.column_stack(np.unravel_index(flat, SHAPE))
    )
    np.testing.assert_array_equal(
        unravel(5000, flat[flat < FULL - 5000], SHAPE),
        np.column_stack(np.unravel_index(flat[flat < FULL - 5000] + 5000, SHAPE)),
    )
    big = (1001, 1001, 1001, 1000, 1000, 1000, 1000)  # about 1e21: past int64
    base = 10**20 + 12345
    offsets = np.array([0, 1, 999, 10**18, 2**62 - 1], dtype=np.int64)
    for row, off in zip(unravel(base, offsets, big), offsets, strict=True):
        rest, digits = base + int(off), []
        for s in reversed(big):
            rest, d = divmod(rest, s)
            digits.append(d)
        assert row.tolist() == digits[::-1]


@pytest.fixture(scope="module")
def blocks() -> BlockSample:
    return block_sample(FULL, 50_000, seed=3)


def test_block_sample_is_sorted_distinct_and_chunk_addressable(blocks: BlockSample) -> None:
    """Any chunk of positions gives the same combinations as the whole; random access
    agrees; positions are distinct, sorted and inside the grid."""
    flat = blocks.flat_at(np.arange(blocks.size))
    assert blocks.size == 50_000 and blocks.n_blocks > 10
    assert (np.diff(flat) > 0).all() and 0 <= flat[0] and flat[-1] < FULL
    whole = np.column_stack(np.unravel_index(flat, SHAPE))
    for chunk in (777, 8192, 50_000):
        got = np.concatenate(
            [blocks.indices(a, min(a + chunk, blocks.size), SHAPE) for a in range(0, 50_000, chunk)]
        )
        np.testing.assert_array_equal(got, whole)
    one = [blocks.indices(a, a + 1, SHAPE) for a in range(20_000, 20_300)]
    np.testing.assert_array_equal(np.concatenate(one), whole[20_000:20_300])
    rows = np.random.default_rng(1).integers(0, blocks.size, 300)
    np.testing.assert_array_equal(blocks.indices_at(rows, SHAPE), whole[rows])


def test_block_sample_is_reproducible_and_pickles_small(blocks: BlockSample) -> None:
    again = block_sample(FULL, 50_000, seed=3)
    other = block_sample(FULL, 50_000, seed=4)
    a = blocks.indices(0, 5000, SHAPE)
    np.testing.assert_array_equal(a, again.indices(0, 5000, SHAPE))
    assert not np.array_equal(a, other.indices(0, 5000, SHAPE))
    back = pickle.loads(pickle.dumps(blocks))
    np.testing.assert_array_equal(
        back.indices(49_000, 50_000, SHAPE), blocks.indices(49_000, 50_000, SHAPE)
    )
    # Per-block counts only: a few int64 per block of ~4,096 sampled combinations.
    stored = blocks.draws.nbytes + blocks.drop.nbytes + blocks.starts.nbytes
    assert stored <= 3 * 8 * (blocks.n_blocks + 1) and len(pickle.dumps(blocks)) < 10_000


def test_block_sample_is_uniform(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small blocks (3 sampled combinations each, so most subsets cross blocks): over 2,000
    seeds each of 60 positions is drawn 2000 * 12 / 60 times in expectation, and neighbours
    in different blocks are drawn together as often as neighbours in one block."""
    monkeypatch.setattr(sample_mod, "PER_BLOCK", 3)
    n_pos, n, seeds = 60, 12, 2000
    hits = np.zeros(n_pos)
    pairs = np.zeros(n_pos - 1)
    for seed in range(seeds):
        s = block_sample(n_pos, n, seed)
        assert s.n_blocks == 4
        flat = s.flat_at(np.arange(n))
        assert len(np.unique(flat)) == n
        hits[flat] += 1
        mask = np.zeros(n_pos, dtype=bool)
        mask[flat] = True
        pairs += mask[:-1] & mask[1:]
    expected = seeds * n / n_pos
    chi2 = float(((hits - expected) ** 2 / expected).sum())
    assert chi2 < 110  # 59 degrees of freedom: P(chi2 > 110) ~ 5e-5
    p_pair = seeds * (n / n_pos) * ((n - 1) / (n_pos - 1))
    assert np.abs(pairs - p_pair).max() < 5 * np.sqrt(p_pair)


def test_grid_sample_forms() -> None:
    """Grids up to 2e7 keep the draw they always had (Generator.choice over flat positions);
    larger ones draw blocks; a sample of a sample is positions of the first sample."""
    qt = load_strategy("qt_aware")
    small = expand_grid(qt, sample=50, seed=3)
    assert isinstance(small.drawn, FlatSample)
    rng = np.random.default_rng(3)
    flat = np.sort(rng.choice(small.full_size, size=50, replace=False))
    np.testing.assert_array_equal(small.drawn.flat, flat)
    s = Strategy(name="s")
    values = tuple(i / 1000 for i in range(1000))
    grid = {"costs.fees": values, "costs.slippage": values, "rebalance.band": values[:100]}
    drawn = expand_grid(s, grid, sample=20_000, seed=1)
    assert drawn.full_size == 10**8 and drawn.sampled
    assert isinstance(drawn.drawn, BlockSample) and drawn.size == 20_000
    sub = drawn.sample(100, seed=2)
    rows = np.sort(np.random.default_rng(2).choice(20_000, size=100, replace=False))
    np.testing.assert_array_equal(sub.indices(), drawn.indices_at(rows))
    assert isinstance(sub.drawn, FlatSample)
