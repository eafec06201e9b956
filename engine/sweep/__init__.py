"""Parameter sweeps: a fused numba kernel over combinations, overfitting guards, Dask.

``run_sweep(strategy, grid)`` returns one row of metrics per combination (in memory);
``stream_sweep(strategy, grid, out="rows/")`` writes every row to a partitioned parquet
dataset and keeps only the best rows, the marginals and the heatmap cells
(:mod:`engine.sweep.stream`: any grid size, here or on Dask). The kernel
(:mod:`engine.sweep.nb`, fills in :mod:`engine.sweep.fills_nb`) reproduces the vectorbt
backtest of each combination (:mod:`engine.backtest`) in one pass over days with O(1) state
per combination. Guards: :func:`walk_forward`, :func:`deflated_sharpe`, :func:`pbo`.
"""

from engine.sweep.guards import (
    deflated_sharpe,
    pbo,
    sweep_deflated_sharpe,
    sweep_pbo,
    walk_forward,
)
from engine.sweep.nb import METRICS
from engine.sweep.run import SORT_METRICS, describe, plan_sweep, run_plan, run_sweep
from engine.sweep.stream import SweepSummary, stream_plan, stream_sweep

__all__ = [
    "METRICS",
    "SORT_METRICS",
    "SweepSummary",
    "deflated_sharpe",
    "describe",
    "pbo",
    "plan_sweep",
    "run_plan",
    "run_sweep",
    "stream_plan",
    "stream_sweep",
    "sweep_deflated_sharpe",
    "sweep_pbo",
    "walk_forward",
]
