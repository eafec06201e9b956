"""Overfitting guards for sweeps: the deflated Sharpe ratio, PBO by CSCV, and walk-forward.

* :func:`deflated_sharpe` (Bailey & Lopez de Prado, "The Deflated Sharpe Ratio", 2014): the
  probability that the best of ``n_trials`` Sharpe ratios beats the best one expected from
  luck alone, given the trials' dispersion and the returns' skewness and kurtosis.
* :func:`pbo` (Bailey, Borwein, Lopez de Prado & Zhu, "The Probability of Backtest
  Overfitting", 2015): combinatorially symmetric cross-validation on a (days x combinations)
  return matrix: how often the in-sample winner ranks in the bottom half out of sample. This
  is the one place the sweep builds a days x combinations matrix, for a bounded subset.
* :func:`walk_forward`: pick the best combination on each training window (expanding or
  rolling, with an embargo before the test window), report it on the test window, and chain
  the test windows into one out-of-sample equity curve.

Sharpe ratios here are per period (daily) unless a name says annualised.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from data.errors import ParameterError
from data.store import Store
from engine.metric_registry import check_metric
from engine.sweep.nb import ANNUAL, METRICS
from engine.sweep.reduce import sort_keys
from engine.sweep.run import (
    SORT_METRICS,
    SweepPlan,
    chunk_returns,
    iter_chunks,
    plan_sweep,
    value_indices,
)
from engine.sweep.stream import SharpeStats
from strategies import Grid, Strategy

EULER_GAMMA = 0.5772156649015329
_N = NormalDist()


# ---------------------------------------------------------------- deflated Sharpe ratio


def expected_max_sharpe(n_trials: int, variance: float) -> float:
    """Expected maximum of ``n_trials`` Sharpe ratios with zero mean and ``variance``.

    ``sqrt(V) * ((1 - g) * Z^-1(1 - 1/N) + g * Z^-1(1 - 1/(N e)))`` with ``g`` the
    Euler-Mascheroni constant (Bailey & Lopez de Prado 2014, eq. 6 / "False Strategy
    Theorem"); 0 for a single trial.
    """
    if n_trials < 1:
        raise ParameterError(f"n_trials {n_trials!r}: expected >= 1")
    if not variance >= 0:
        raise ParameterError(f"variance {variance!r}: expected >= 0")
    if n_trials == 1:
        return 0.0
    z1 = _N.inv_cdf(1.0 - 1.0 / n_trials)
    z2 = _N.inv_cdf(1.0 - 1.0 / (n_trials * math.e))
    return math.sqrt(variance) * ((1.0 - EULER_GAMMA) * z1 + EULER_GAMMA * z2)


def probabilistic_sharpe(
    sharpe: float, benchmark: float, n_obs: int, skew: float, kurtosis: float
) -> float:
    """P[true Sharpe > benchmark] (per-period ratios; ``kurtosis`` is not excess: 3 = normal).

    ``Z((SR - SR*) sqrt(T - 1) / sqrt(1 - skew SR + (kurtosis - 1) / 4 SR^2))``.
    """
    if n_obs < 2:
        return math.nan
    denom = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe * sharpe
    if not denom > 0:
        return math.nan
    return _N.cdf((sharpe - benchmark) * math.sqrt(n_obs - 1) / math.sqrt(denom))


@dataclass(frozen=True)
class DeflatedSharpe:
    """The deflated Sharpe ratio of a selected combination (per-period Sharpe ratios).

    Attributes
    ----------
    dsr : P[true Sharpe > ``sr0``]: the probability that the selection is not luck.
    sharpe : the selected combination's Sharpe ratio.
    sr0 : the Sharpe ratio expected from the best of ``n_trials`` unskilled trials.
    n_trials, variance : number of trials and the variance of their Sharpe ratios.
    n_obs, skew, kurtosis : length, skewness and kurtosis of the selection's returns.
    """

    dsr: float
    sharpe: float
    sr0: float
    n_trials: int
    variance: float
    n_obs: int
    skew: float
    kurtosis: float


def deflated_sharpe(
    sharpe: float,
    n_trials: int,
    variance: float,
    n_obs: int,
    skew: float = 0.0,
    kurtosis: float = 3.0,
) -> DeflatedSharpe:
    """Deflated Sharpe ratio (Bailey & Lopez de Prado 2014) of the best of ``n_trials``.

    Parameters
    ----------
    sharpe : per-period Sharpe ratio of the selected trial.
    n_trials : number of independent trials the selection was made from.
    variance : variance of the trials' per-period Sharpe ratios.
    n_obs : number of returns behind ``sharpe``.
    skew, kurtosis : of the selected trial's returns (kurtosis not excess: 3 = normal).
    """
    sr0 = expected_max_sharpe(n_trials, variance)
    return DeflatedSharpe(
        probabilistic_sharpe(sharpe, sr0, n_obs, skew, kurtosis),
        sharpe,
        sr0,
        n_trials,
        variance,
        n_obs,
        skew,
        kurtosis,
    )


def moments(returns: np.ndarray) -> tuple[float, float]:
    """Skewness and (non-excess) kurtosis of returns, population moments."""
    r = np.asarray(returns, dtype=np.float64)
    r = r[np.isfinite(r)]
    d = r - r.mean()
    m2 = float(np.mean(d * d))
    if m2 == 0:
        return math.nan, math.nan
    return float(np.mean(d**3)) / m2**1.5, float(np.mean(d**4)) / m2**2


# ---------------------------------------------------------------- PBO by CSCV


@dataclass(frozen=True)
class PBOResult:
    """Probability of backtest overfitting by combinatorially symmetric cross-validation.

    Attributes
    ----------
    pbo : share of splits whose in-sample best ranks at or below the median out of sample.
    logits : array of shape (n_splits,): ``log(w / (1 - w))`` of the in-sample best's
        relative out-of-sample rank ``w`` in (0, 1).
    n_blocks : S, the number of row blocks (C(S, S/2) splits).
    n_strategies : N, the columns compared.
    n_obs : rows used.
    """

    pbo: float
    logits: np.ndarray
    n_blocks: int
    n_strategies: int
    n_obs: int


def _block_sharpe(s1: np.ndarray, s2: np.ndarray, n: np.ndarray) -> np.ndarray:
    mean = s1 / n[:, None]
    var = (s2 - s1 * mean) / (n[:, None] - 1)
    sd = np.sqrt(np.maximum(var, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = mean / sd
    out[(sd == 0) & (mean > 0)] = np.inf
    out[(sd == 0) & (mean < 0)] = -np.inf
    out[(sd == 0) & (mean == 0)] = 0.0
    return out


def pbo(returns: np.ndarray, n_blocks: int = 16) -> PBOResult:
    """PBO of choosing the column with the best Sharpe ratio (Bailey et al. 2015, CSCV).

    Rows are split into ``n_blocks`` contiguous blocks (S even); for each of the C(S, S/2)
    ways to pick half the blocks as the training set (the rest is the test set), the column
    with the best training Sharpe ratio gets its test rank ``r`` among N columns (1 = worst,
    ties share the average rank), ``w = r / (N + 1)`` and the logit ``log(w / (1 - w))``.
    PBO is the share of logits <= 0.

    Parameters
    ----------
    returns : array of shape (n_obs, n_strategies), finite.
    n_blocks : S, even, 2 <= S <= n_obs (default 16: 12,870 splits).
    """
    m = np.asarray(returns, dtype=np.float64)
    if m.ndim != 2 or m.shape[1] < 2:
        raise ParameterError(
            f"pbo: expected returns of shape (n_obs, n_strategies >= 2), got {m.shape}"
        )
    if not np.isfinite(m).all():
        raise ParameterError("pbo: returns must be finite (drop days before every column starts)")
    if n_blocks < 2 or n_blocks % 2 or n_blocks * 2 > m.shape[0]:
        raise ParameterError(
            f"pbo: n_blocks {n_blocks!r}: expected an even number >= 2 with at "
            f"least 2 rows per block ({m.shape[0]} rows)"
        )
    t, n_cols = m.shape
    edges = np.linspace(0, t, n_blocks + 1).astype(np.int64)
    s1 = np.add.reduceat(m, edges[:-1], axis=0)
    s2 = np.add.reduceat(m * m, edges[:-1], axis=0)
    cnt = np.diff(edges).astype(np.float64)
    splits = np.array(list(itertools.combinations(range(n_blocks), n_blocks // 2)))
    train = np.zeros((len(splits), n_blocks))
    np.put_along_axis(train, splits, 1.0, axis=1)
    test = 1.0 - train
    is_sr = _block_sharpe(train @ s1, train @ s2, train @ cnt)
    oos_sr = _block_sharpe(test @ s1, test @ s2, test @ cnt)
    best = np.argmax(is_sr, axis=1)
    chosen = oos_sr[np.arange(len(splits)), best][:, None]
    below = np.sum(oos_sr < chosen, axis=1)
    ties = np.sum(oos_sr == chosen, axis=1) - 1
    rank = 1.0 + below + 0.5 * ties
    w = rank / (n_cols + 1.0)
    logits = np.log(w / (1.0 - w))
    return PBOResult(float(np.mean(logits <= 0.0)), logits, n_blocks, n_cols, t)


def pbo_sample(plan: SweepPlan, max_strategies: int = 256, seed: int = 0) -> np.ndarray:
    """Grid positions of the combinations PBO compares: all of them, or ``max_strategies``
    drawn at random (seeded; a random draw, not the best ones, so the test is not biased)."""
    if max_strategies < 2:
        raise ParameterError(f"max_strategies {max_strategies!r}: expected >= 2")
    size = plan.grid.size
    if size <= max_strategies:
        return np.arange(size, dtype=np.int64)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(size, size=max_strategies, replace=False)).astype(np.int64)


def sweep_pbo(
    plan: SweepPlan, n_blocks: int = 16, max_strategies: int = 256, seed: int = 0
) -> PBOResult:
    """PBO over a sweep: the daily returns of up to ``max_strategies`` combinations (memory
    n_days x max_strategies x 8 bytes), on the days every one of them is invested."""
    rows = pbo_sample(plan, max_strategies, seed)
    _, rets = chunk_returns(plan.inputs, plan.strategy, plan.grid, rows)
    keep = np.isfinite(rets).all(axis=1)
    return pbo(rets[keep], n_blocks)


def sweep_deflated_sharpe(plan: SweepPlan, results: pd.DataFrame | SharpeStats) -> DeflatedSharpe:
    """Deflated Sharpe ratio of the best-Sharpe combination of a sweep.

    ``results`` is a full result table (:func:`engine.sweep.run_sweep`) or the streamed
    :class:`engine.sweep.stream.SharpeStats`. Trials are the combinations with a finite Sharpe
    ratio; their variance is that of the per-period (daily) Sharpe ratios; skewness and
    kurtosis are those of the winner's excess returns over the window.
    """
    if isinstance(results, pd.DataFrame):
        sr = results["sharpe"].to_numpy(dtype=np.float64) / math.sqrt(ANNUAL)
        ok = np.isfinite(sr)
        n = int(ok.sum())
        best = int(np.flatnonzero(ok)[np.argmax(sr[ok])]) if n else -1
        stats = SharpeStats(
            n,
            float(np.var(sr[ok], ddof=1)) if n > 1 else 0.0,
            float(sr[best]) if n else math.nan,
            int(results["combo"].iloc[best]) if n else -1,
        )
    else:
        stats = results
    if stats.n_trials < 1:
        raise ParameterError("deflated Sharpe: no combination has a finite Sharpe ratio")
    _, rets = chunk_returns(plan.inputs, plan.strategy, plan.grid, np.array([stats.combo]))
    r = rets[:, 0]
    keep = np.isfinite(r)
    skew, kurt = moments(r[keep] - plan.inputs.ret_c[keep])
    return deflated_sharpe(
        stats.sharpe, stats.n_trials, stats.variance, int(keep.sum()), skew, kurt
    )


# ---------------------------------------------------------------- walk-forward


@dataclass(frozen=True)
class Fold:
    """Day ranges of one walk-forward fold (positions in the sweep window, inclusive)."""

    train_start: int
    train_end: int
    test_start: int
    test_end: int


def walk_forward_folds(
    n_days: int,
    n_folds: int,
    *,
    mode: str = "expanding",
    train_days: int | None = None,
    embargo_days: int = 5,
) -> list[Fold]:
    """Split ``n_days`` into ``n_folds`` consecutive test windows after a first training window.

    The first ``train_days`` days (default ``n_days // (n_folds + 1)``) only train; the rest is
    cut into ``n_folds`` equal test windows (the last takes the remainder). Each fold trains on
    the days before its test window minus an ``embargo_days`` gap: from day 0 (``expanding``)
    or on the last ``train_days`` days (``rolling``).
    """
    if mode not in ("expanding", "rolling"):
        raise ParameterError(f"walk-forward mode {mode!r}: expected 'expanding' or 'rolling'")
    if n_folds < 1:
        raise ParameterError(f"walk-forward folds {n_folds!r}: expected >= 1")
    if embargo_days < 0:
        raise ParameterError(f"embargo {embargo_days!r}: expected >= 0 days")
    train = n_days // (n_folds + 1) if train_days is None else int(train_days)
    test_len = (n_days - train) // n_folds
    if train < 20 or test_len < 20 or train - embargo_days < 20:
        raise ParameterError(
            f"walk-forward: {n_days} days do not make {n_folds} folds with {train} training days "
            f"and an embargo of {embargo_days}; use fewer folds or a longer window"
        )
    folds = []
    for i in range(n_folds):
        t0 = train + i * test_len
        t1 = n_days - 1 if i == n_folds - 1 else t0 + test_len - 1
        tr_end = t0 - embargo_days - 1
        tr_start = 0 if mode == "expanding" else max(0, tr_end - train + 1)
        folds.append(Fold(tr_start, tr_end, t0, t1))
    return folds


@dataclass(frozen=True)
class WalkForwardResult:
    """Walk-forward of a sweep.

    Attributes
    ----------
    folds : one row per fold: dates of the train and test windows, the chosen ``combo`` and
        its parameters, ``is_<metric>`` (in-sample), the out-of-sample metrics, and
        ``oos_rank`` (the chosen combination's out-of-sample percentile among all, 1 = best).
    equity : chained out-of-sample value (1.0 before the first test day), indexed by date.
    summary : metrics of the chained out-of-sample returns.
    metric : the selection metric.
    """

    folds: pd.DataFrame
    equity: pd.Series
    summary: dict[str, float]
    metric: str


def _best(plan: SweepPlan, first: int, last: int, metric: str) -> tuple[int, float]:
    """The best combination on days ``first..last`` (as :func:`results_frame` ranks: NaN
    last, ties to the first in grid order) and its metric, chunk by chunk."""
    col = METRICS.index(metric)
    best: tuple[float, int, float] | None = None  # (sort key, combination, metric)
    for a, _, m in iter_chunks(plan, first, last):
        key = sort_keys(m[:, col], SORT_METRICS[metric])
        i = int(np.argmin(key))
        if best is None or key[i] < best[0]:
            best = (float(key[i]), a + i, float(m[i, col]))
    assert best is not None
    return best[1], best[2]


def _rank(plan: SweepPlan, first: int, last: int, metric: str, mine: float) -> tuple[int, int]:
    """Combinations with a finite metric on days ``first..last``, and how many of them beat
    ``mine``, chunk by chunk."""
    col = METRICS.index(metric)
    finite = better = 0
    for _, _, m in iter_chunks(plan, first, last):
        c = m[:, col]
        c = c[np.isfinite(c)]
        finite += len(c)
        better += int(np.sum(c < mine) if SORT_METRICS[metric] else np.sum(c > mine))
    return finite, better


def walk_forward(
    strategy: Strategy | str,
    grid: Grid | Mapping[str, Sequence] | None = None,
    *,
    folds: int = 4,
    mode: str = "expanding",
    train_days: int | None = None,
    embargo_days: int = 5,
    metric: str = "sharpe",
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    sample: int | None = None,
    seed: int = 0,
    store: Store | None = None,
    plan: SweepPlan | None = None,
) -> WalkForwardResult:
    """Walk-forward selection over a sweep (see :func:`walk_forward_folds` for the windows).

    Each test window is simulated from its own first day, starting in cash (the first order
    is placed on the test window's first decision day), so no in-sample position leaks in.
    """
    check_metric(metric)
    if plan is None:
        plan = plan_sweep(
            strategy, grid, start=start, end=end, sample=sample, seed=seed, store=store
        )
    inputs = plan.inputs
    cuts = walk_forward_folds(
        inputs.n_days, folds, mode=mode, train_days=train_days, embargo_days=embargo_days
    )
    days = inputs.days
    rows = []
    chained = np.zeros(inputs.n_days)
    n_reb = 0
    for i, f in enumerate(cuts):
        best, is_value = _best(plan, f.train_start, f.train_end, metric)
        m, rets = chunk_returns(
            inputs, plan.strategy, plan.grid, np.array([best]), f.test_start, f.test_end
        )
        r = rets[f.test_start : f.test_end + 1, 0]
        chained[f.test_start : f.test_end + 1] = np.where(np.isfinite(r), r, 0.0)
        n_reb += int(m[0, METRICS.index("n_rebalances")])
        finite, better = _rank(plan, f.test_start, f.test_end, metric, m[0, METRICS.index(metric)])
        row: dict[str, object] = {
            "fold": i,
            "train_start": days[f.train_start].date(),
            "train_end": days[f.train_end].date(),
            "test_start": days[f.test_start].date(),
            "test_end": days[f.test_end].date(),
            "combo": best,
        }
        idx = value_indices(plan.grid, np.array([best]))[0]
        for j, k in enumerate(plan.grid.keys):
            row[k] = plan.grid.values[j][idx[j]]
        row[f"is_{metric}"] = is_value
        for j, name in enumerate(METRICS):
            row[f"oos_{name}"] = float(m[0, j])
        row["oos_rank"] = float((better + 1) / max(finite, 1))
        rows.append(row)
    first_test = cuts[0].test_start
    value = np.cumprod(1.0 + chained[first_test:])
    eq_days = days[first_test:]
    equity = pd.Series(
        np.r_[1.0, value], index=days[first_test - 1 : first_test + len(value)], name="oos_equity"
    )
    from engine.metrics import compute_metrics

    rc = np.r_[np.nan, inputs.ret_c[first_test:]]
    summary_m = compute_metrics(equity, rc, None, None, n_reb)
    summary = {
        k: float(getattr(summary_m, k))
        for k in (
            "total_return",
            "cagr",
            "volatility",
            "sharpe",
            "sortino",
            "max_drawdown",
            "calmar",
        )
    }
    summary["n_rebalances"] = float(n_reb)
    summary["days"] = float(len(eq_days))
    return WalkForwardResult(pd.DataFrame(rows), equity, summary, metric)
