"""The benchmark of a sweep and the deflated Sharpe ratio of the best row in excess of it.

The benchmark is the backtest's (:func:`engine.backtest.benchmark_plan`): buy and hold of the
equity leg, or the strategy's ``[benchmark]`` mix rebalanced monthly, simulated by the same
vectorbt call (:func:`engine.backtest.simulate`) over the sweep window's legs and cash asset.
It is bought at the close of a chosen day: the best combination's first execution for the
deflated Sharpe ratio and the heatmaps' reference value (:func:`best_benchmark`), the close
before the first out-of-sample day for the walk-forward (:func:`oos_benchmark`), so each
comparison covers the same days.

The excess deflated Sharpe ratio (:func:`excess_deflated_sharpe`) takes the best combination
(by Sharpe ratio, the raw DSR's selection) and its daily returns minus the benchmark's over the
days both hold: the per-day Sharpe ratio of that difference (the information ratio / sqrt 252,
:func:`engine.relative.relative_metrics`), its skewness and kurtosis, the number of trials of
the raw DSR, and the variance of the per-day information ratios of a seeded random sample of
the combinations (the PBO sample, :func:`engine.sweep.guards.pbo_sample`): the streamed sweep
keeps no daily returns, so the trials' spread is estimated on that sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.errors import ParameterError
from engine.metrics import TRADING_DAYS, Metrics, compute_metrics
from engine.relative import relative_metrics
from engine.sweep.chunks import SweepPlan, chunk_returns
from engine.sweep.guards import DeflatedSharpe, deflated_sharpe, moments, pbo_sample
from engine.sweep.stream import SharpeStats


@dataclass(frozen=True)
class SweepBenchmark:
    """The benchmark over the sweep window from the close of day ``first``.

    Attributes
    ----------
    label : how tables name it (``buy & hold SP500TR``, or the mix).
    first : position (in the sweep window) of the close it is bought at.
    value : its value from ``days[first]`` (1.0 there) to the last day.
    returns : array of shape (n_days,): its daily returns, NaN up to and including ``first``.
    metrics : :class:`engine.metrics.Metrics` of ``value`` (as the backtest's benchmark row).
    """

    label: str
    first: int
    value: pd.Series
    returns: np.ndarray
    metrics: Metrics


def sweep_benchmark(plan: SweepPlan, first: int) -> SweepBenchmark:
    """The benchmark bought at the close of day ``first`` of the sweep window and held (or
    rebalanced to its mix) to the last day, simulated as the backtest simulates it."""
    from engine.backtest import benchmark_label, benchmark_plan, portfolio_path, simulate

    inputs = plan.inputs
    n = inputs.n_days
    if not 0 <= first < n - 1:
        raise ParameterError(
            f"benchmark: first day {first!r} outside the sweep window of {n} days "
            "(it needs at least one return after it)"
        )
    s = plan.strategy
    days = inputs.days
    labels = list(inputs.labels)
    weights = benchmark_plan(s, days, first)
    fees, slip = s.leg_fees(), s.leg_slippage()
    pf = simulate(days, inputs.closes, inputs.cash_price, weights, fees, slip, labels=labels)
    path = portfolio_path(pf, days, inputs.closes, inputs.cash_price, labels=labels)
    win = slice(first, None)
    v = path.value.to_numpy()
    rets = np.full(n, np.nan)
    rets[first + 1 :] = v[first + 1 :] / v[first:-1] - 1.0
    value = path.value.iloc[win] / v[first]
    metrics = compute_metrics(
        path.value.iloc[win],
        inputs.ret_c[win],
        path.index_weight.iloc[win],
        path.trade_fraction.iloc[win],
        int(np.isfinite(weights[win, 0]).sum()),
        path.leg_weights.iloc[win],
    )
    return SweepBenchmark(benchmark_label(s), first, value.rename("benchmark"), rets, metrics)


def first_execution(returns: np.ndarray) -> int:
    """The close a combination first executes at: the day before its first finite daily
    return (``returns`` of shape (n_days,), from :func:`engine.sweep.chunks.chunk_returns`)."""
    finite = np.flatnonzero(np.isfinite(returns))
    if len(finite) == 0:
        raise ParameterError("benchmark: the combination never executes in the sweep window")
    return int(finite[0]) - 1


def best_returns(plan: SweepPlan, stats: SharpeStats) -> np.ndarray:
    """Daily returns of the best-Sharpe combination over the sweep window: shape (n_days,)."""
    if stats.n_trials < 1:
        raise ParameterError("deflated Sharpe: no combination has a finite Sharpe ratio")
    _, rets = chunk_returns(plan.inputs, plan.strategy, plan.grid, np.array([stats.combo]))
    return rets[:, 0]


def best_benchmark(plan: SweepPlan, stats: SharpeStats) -> SweepBenchmark:
    """The benchmark over the best combination's days (bought at its first execution)."""
    return sweep_benchmark(plan, first_execution(best_returns(plan, stats)))


def oos_benchmark(plan: SweepPlan, equity: pd.Series) -> SweepBenchmark:
    """The benchmark over the walk-forward's out-of-sample days: bought at the close before
    the first test day (the first date of ``equity``, where the chained value is 1.0)."""
    first = int(plan.inputs.days.get_loc(equity.index[0]))
    return sweep_benchmark(plan, first)


def _per_day_ir(r: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    keep = np.isfinite(r) & np.isfinite(b)
    if keep.sum() < 2:
        return math.nan
    ir = relative_metrics(r[keep], b[keep], c[keep]).information_ratio
    return float(ir) / math.sqrt(TRADING_DAYS)


@dataclass(frozen=True)
class ExcessDeflatedSharpe:
    """The deflated Sharpe ratio of the best combination's returns in excess of the benchmark.

    Attributes
    ----------
    result : the :class:`engine.sweep.guards.DeflatedSharpe` (``sharpe``: per-day information
        ratio; ``variance``: of the sample's per-day information ratios; ``n_obs``, ``skew``,
        ``kurtosis``: of the excess returns).
    sample : combinations whose information ratios give the variance.
    first_day, last_day : the days of the excess returns (ISO dates).
    """

    result: DeflatedSharpe
    sample: int
    first_day: str
    last_day: str


def excess_deflated_sharpe(
    plan: SweepPlan,
    stats: SharpeStats,
    bench: SweepBenchmark,
    *,
    max_strategies: int = 256,
    seed: int = 0,
) -> ExcessDeflatedSharpe:
    """Deflated Sharpe ratio of the best-Sharpe combination's daily returns minus ``bench``'s
    over the same days (see the module docstring for the trials' variance)."""
    r = best_returns(plan, stats)
    b = bench.returns
    keep = np.isfinite(r) & np.isfinite(b)
    if keep.sum() < 3:
        raise ParameterError("excess deflated Sharpe: fewer than 3 days with both returns")
    c = plan.inputs.ret_c
    sr = _per_day_ir(r, b, c)
    rows = pbo_sample(plan, max_strategies, seed)
    _, sample = chunk_returns(plan.inputs, plan.strategy, plan.grid, rows)
    irs = np.array([_per_day_ir(sample[:, j], b, c) for j in range(sample.shape[1])])
    irs = irs[np.isfinite(irs)]
    variance = float(np.var(irs, ddof=1)) if len(irs) > 1 else 0.0
    skew, kurt = moments(r[keep] - b[keep])
    days = plan.inputs.days[keep]
    return ExcessDeflatedSharpe(
        deflated_sharpe(sr, stats.n_trials, variance, int(keep.sum()), skew, kurt),
        len(irs),
        str(days[0].date()),
        str(days[-1].date()),
    )
