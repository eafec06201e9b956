"""The chunks of a planned sweep: a :class:`SweepPlan` and the kernel run over one chunk.

Both the local loop (:func:`iter_chunks`) and the Dask tasks (:mod:`engine.sweep.distributed`)
run :func:`run_chunk`; :mod:`engine.sweep.run` plans, dispatches and labels. This module
imports neither of them, so the two do not import each other.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.sweep.nb import sweep_nb
from engine.sweep.prepare import CodeCache, SweepInputs, chunk_arrays, kernel_args
from strategies import Grid, Strategy


@dataclass(frozen=True)
class SweepPlan:
    """A validated sweep, ready to run: strategy, grid, shared inputs, chunk bounds."""

    strategy: Strategy
    grid: Grid
    inputs: SweepInputs
    chunks: tuple[tuple[int, int], ...]


def run_chunk(
    inputs: SweepInputs,
    strategy: Strategy,
    grid: Grid,
    start: int,
    stop: int,
    first: int = 0,
    last: int | None = None,
    cache: CodeCache | None = None,
) -> np.ndarray:
    """Metrics of combinations ``start:stop`` over days ``first..last`` of the window.

    Returns
    -------
    array of shape (stop - start, len(METRICS)).
    """
    last = inputs.n_days - 1 if last is None else last
    chunk = chunk_arrays(inputs, strategy, grid, start, stop, cache)
    return sweep_nb(*kernel_args(inputs, chunk, first, last))


def chunk_returns(
    inputs: SweepInputs,
    strategy: Strategy,
    grid: Grid,
    rows: np.ndarray,
    first: int = 0,
    last: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Metrics and daily returns of the combinations ``rows`` (grid positions).

    Returns
    -------
    metrics : array of shape (len(rows), len(METRICS)).
    returns : array of shape (n_days, len(rows)): the window's daily returns, NaN before each
        combination's first execution and outside ``first..last``.
    """
    last = inputs.n_days - 1 if last is None else last
    sub = Grid(grid.strategy, grid.keys, grid.values, value_indices(grid, rows))
    chunk = chunk_arrays(inputs, strategy, sub, 0, len(rows))
    rets = np.full((len(rows), inputs.n_days), np.nan)
    metrics = sweep_nb(*kernel_args(inputs, chunk, first, last, rets))
    return metrics, rets.T


def value_indices(grid: Grid, rows: np.ndarray) -> np.ndarray:
    """Value indices of the combinations at grid positions ``rows``: int64 array of shape
    (len(rows), n_keys), without enumerating the grid."""
    return grid.indices_at(rows)


def _progress(total: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(
        total=total, unit="combo", unit_scale=True, file=sys.stderr, leave=False, desc="sweep"
    )


def iter_chunks(
    plan: SweepPlan, first: int = 0, last: int | None = None, progress: bool = False
) -> Iterator[tuple[int, int, np.ndarray]]:
    """Run the chunks of a plan locally: yields (start, stop, metrics) in grid order."""
    bar = _progress(plan.grid.size, progress)
    cache = CodeCache()
    try:
        for a, b in plan.chunks:
            out = run_chunk(plan.inputs, plan.strategy, plan.grid, a, b, first, last, cache)
            if bar is not None:
                bar.update(b - a)
            yield a, b, out
    finally:
        if bar is not None:
            bar.close()
