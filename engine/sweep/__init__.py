"""Parameter sweeps: a fused numba kernel over combinations, overfitting guards, Dask.

``run_sweep(strategy, grid)`` returns one row of metrics per combination; the kernel
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

__all__ = [
    "METRICS",
    "SORT_METRICS",
    "deflated_sharpe",
    "describe",
    "pbo",
    "plan_sweep",
    "run_plan",
    "run_sweep",
    "sweep_deflated_sharpe",
    "sweep_pbo",
    "walk_forward",
]
