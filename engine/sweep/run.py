"""The sweep's Python API: a strategy and a grid in, one row of metrics per combination out.

Example::

    from engine.sweep import run_sweep
    df = run_sweep("qt_aware", {"balance_sheet.window_weeks": [8, 13, 26]}, top=10)

Every combination is simulated over the same window (see :mod:`engine.sweep.prepare`) by the
fused kernel :func:`engine.sweep.nb.sweep_nb`, in chunks (a progress bar advances per chunk;
chunks can also run on a Dask cluster, :mod:`engine.sweep.distributed`; both run
:func:`engine.sweep.chunks.run_chunk`).

The names of :mod:`engine.sweep.chunks` (``SweepPlan``, ``run_chunk``, ``chunk_returns``,
``iter_chunks``, ``value_indices``) are re-exported here.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from data.errors import ParameterError
from data.store import Store
from engine.metric_registry import INT_COLUMNS, SORTABLE, SPECS, check_metric

__all__ = [
    "CHUNK",
    "SORT_METRICS",
    "SweepPlan",
    "check_metric",
    "check_top",
    "chunk_returns",
    "describe",
    "iter_chunks",
    "make_grid",
    "plan_sweep",
    "results_frame",
    "run_chunk",
    "run_plan",
    "run_sweep",
    "value_indices",
]
from engine.sweep.chunks import (
    SweepPlan,
    chunk_returns,
    iter_chunks,
    run_chunk,
    value_indices,
)
from engine.sweep.distributed import parse_address, run_distributed
from engine.sweep.nb import METRICS
from engine.sweep.prepare import prepare_sweep
from strategies import Grid, Strategy, expand_grid, load_strategy
from strategies.errors import GridError

SORT_METRICS: dict[str, bool] = {name: SPECS[name].ascending for name in SORTABLE}
"""Metrics results can be sorted by -> ascending? (from the metric registry: best first)."""

CHUNK = 8192
"""Combinations per kernel call (one progress-bar step, one Dask task)."""


def make_grid(
    strategy: Strategy | str,
    grid: Grid | Mapping[str, Sequence] | None = None,
    *,
    sample: int | None = None,
    seed: int = 0,
) -> tuple[Strategy, Grid]:
    """The strategy and its validated grid (GridError / StrategyError before any work)."""
    s = load_strategy(strategy) if isinstance(strategy, str) else strategy
    if isinstance(grid, Grid):
        if grid.strategy != s:
            raise GridError("grid: built for another strategy; pass a grid of this strategy")
        g = grid.sample(sample, seed) if sample is not None else grid
        return s, g
    return s, expand_grid(s, grid, sample=sample, seed=seed)


def plan_sweep(
    strategy: Strategy | str,
    grid: Grid | Mapping[str, Sequence] | None = None,
    *,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    sample: int | None = None,
    seed: int = 0,
    store: Store | None = None,
    chunk_size: int = CHUNK,
) -> SweepPlan:
    """Validate the grid, then load data and compute the shared inputs."""
    s, g = make_grid(strategy, grid, sample=sample, seed=seed)
    if chunk_size < 1:
        raise ParameterError(f"chunk_size {chunk_size!r}: expected >= 1")
    inputs = prepare_sweep(s, g, start, end, store=store)
    bounds = tuple((a, min(a + chunk_size, g.size)) for a in range(0, g.size, chunk_size))
    return SweepPlan(s, g, inputs, bounds)


def results_frame(grid: Grid, metrics: np.ndarray, metric: str, top: int | None) -> pd.DataFrame:
    """One row per combination: ``combo`` (grid position), the parameters, the metrics;
    sorted best first by ``metric`` (NaN last, ties in grid order), cut to ``top`` rows."""
    check_metric(metric)
    col = metrics[:, METRICS.index(metric)]
    key = col if SORT_METRICS[metric] else -col
    key = np.where(np.isnan(key), np.inf, key)
    order = np.argsort(key, kind="stable")
    if top is not None:
        order = order[:top]
    data: dict[str, Any] = {"combo": order.astype(np.int64)}
    if grid.size:
        idx = value_indices(grid, order)
        for j, (k, v) in enumerate(zip(grid.keys, grid.values, strict=True)):
            data[k] = np.asarray(v)[idx[:, j]]
    for j, name in enumerate(METRICS):
        vals = metrics[order, j]
        data[name] = vals.astype(np.int64) if name in INT_COLUMNS else vals
    return pd.DataFrame(data)


def run_sweep(
    strategy: Strategy | str,
    grid: Grid | Mapping[str, Sequence] | None = None,
    *,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    sample: int | None = None,
    seed: int = 0,
    metric: str = "sharpe",
    top: int | None = None,
    store: Store | None = None,
    dask: str | None = None,
    progress: bool = False,
    chunk_size: int = CHUNK,
) -> pd.DataFrame:
    """Sweep a strategy over a grid with the fused kernel.

    Parameters
    ----------
    strategy : a :class:`strategies.Strategy`, a built-in name or a TOML path.
    grid : dotted key -> values (replacing / adding to the strategy's ``[sweep]`` table), a
        :class:`strategies.Grid`, or None for the ``[sweep]`` table alone.
    start, end : the window (the start moves later until every input is known).
    sample, seed : run ``sample`` combinations drawn at random (reproducible from ``seed``).
    metric : sort key, best first (see :data:`SORT_METRICS`); top : keep the best ``top`` rows.
    store : the point-in-time store.
    dask : a scheduler address (``tcp://host:8786``) or ``local:N`` (a local cluster of N
        worker processes); None runs here.
    progress : show a progress bar on stderr (one step per chunk).
    chunk_size : combinations per kernel call / Dask task.

    Returns
    -------
    DataFrame with ``combo`` (the combination's position in the grid), one column per swept
    key and the columns of :data:`engine.sweep.nb.METRICS`; ``attrs`` holds the window
    (``start``, ``end``, ``n_days``), ``start_note``, ``end_note`` (an input went stale or a
    leg's prices end before the trading days, or None), ``stale_warning`` (an explicit end past
    the last day every input was fresh, or None), the swept ``keys``, the grid sizes,
    ``seconds`` and
    ``ns_per_combo_day`` (wall time of the kernel passes).

    Raises GridError / StrategyError for a bad grid, metric or top before loading any data.
    """
    check_metric(metric)
    check_top(top)
    if dask is not None:
        parse_address(dask)
    plan = plan_sweep(
        strategy,
        grid,
        start=start,
        end=end,
        sample=sample,
        seed=seed,
        store=store,
        chunk_size=chunk_size,
    )
    return run_plan(plan, metric=metric, top=top, dask=dask, progress=progress)


def check_top(top: int | None) -> None:
    """GridError unless ``top`` is None or a positive integer."""
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
        raise GridError(f"--top {top!r}: expected a positive integer")


def run_plan(
    plan: SweepPlan,
    *,
    metric: str = "sharpe",
    top: int | None = None,
    dask: str | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Run a planned sweep (locally or on Dask) and label the results (see :func:`run_sweep`)."""
    check_metric(metric)
    check_top(top)
    t0 = time.perf_counter()
    if dask is not None:
        metrics = run_distributed(plan, dask, progress=progress)
    else:
        metrics = np.empty((plan.grid.size, len(METRICS)))
        for a, b, out in iter_chunks(plan, progress=progress):
            metrics[a:b] = out
    seconds = time.perf_counter() - t0
    df = results_frame(plan.grid, metrics, metric, top)
    n = plan.inputs.n_days
    df.attrs.update(
        strategy=plan.strategy.name,
        metric=metric,
        start=str(plan.inputs.days[0].date()),
        end=str(plan.inputs.days[-1].date()),
        n_days=n,
        start_note=plan.inputs.start_note,
        end_note=plan.inputs.end_note,
        stale_warning=plan.inputs.stale_warning,
        keys=list(plan.grid.keys),
        combinations=plan.grid.size,
        grid_size=plan.grid.full_size,
        seconds=seconds,
        ns_per_combo_day=seconds * 1e9 / max(plan.grid.size * n, 1),
    )
    return df


def describe(df: pd.DataFrame | Mapping[str, Any]) -> str:
    """One line on a sweep result (a frame with ``attrs``, or the attributes of a streamed
    sweep): window, combinations, speed."""
    a = df.attrs if isinstance(df, pd.DataFrame) else df
    rate = a.get("ns_per_combo_day", math.nan)
    return (
        f"{a.get('strategy')}: {a.get('combinations', len(df)):,} combinations x "
        f"{a.get('n_days', 0):,} days ({a.get('start')} to {a.get('end')}) in "
        f"{a.get('seconds', math.nan):.2f} s ({rate:.2f} ns per combination-day)"
    )
