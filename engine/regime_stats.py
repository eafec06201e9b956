"""Regime statistics: a regime's mean excess return, its uncertainty, and whether it differs.

For each regime value (each column of the regime frame, each value seen in the window) and
each portfolio (strategy, benchmark):

* **mean excess return**: the mean of the daily excess returns over the cash leg,
  ``e_t = r_t - rc_t``, over the days whose return is attributed to the regime value (the
  return of day t belongs to the regime known at the close of t-1, as in
  :func:`engine.metrics.returns_by_regime`), annualised arithmetically: ``252 * mean(e)``.
* **90% confidence interval**: the percentile interval of that mean under
  ``arch.bootstrap.StationaryBootstrap`` (Politis and Romano 1994) with
  :data:`BOOTSTRAP_REPS` resamples of the regime's days in time order (a block may join the
  end of one spell of the regime to the start of the next). The expected block length is
  chosen from the data by ``arch.bootstrap.optimal_block_length`` (Politis and White 2004 with
  the correction of Patton, Politis and White 2009), the larger of the strategy's and the
  benchmark's, at least 1 day; strategy and benchmark share the resampled days (a paired
  bootstrap). Each (regime, value) has its own generator seeded from :data:`SEED` and the
  label, so a result never depends on the order of the regimes.
* **HAC t-statistic** for "this regime differs from the rest": ordinary least squares of the
  daily excess return on a constant and a dummy (1 on the regime's days) over the whole
  window, ``e_t = c + d * D_t + u_t``; ``d`` is the regime's mean minus the other days' mean
  (reported annualised, ``diff``), its standard error is the Newey-West (1987)
  heteroskedasticity and autocorrelation consistent one from statsmodels
  (``cov_type="HAC"``, Bartlett kernel, small-sample factor n / (n - 2), i.e. statsmodels'
  ``use_correction=True``) with ``maxlags = floor(4 * (n / 100) ** (2 / 9))`` (the
  Newey-West 1994 rule of thumb; 9 lags for the 5,896 days of qt_aware); the p-value is
  two-sided from the normal distribution.

Fewer than :data:`MIN_DAYS` days in the regime give a NaN interval and t-statistic, fewer than
:data:`MIN_DAYS` days outside it a NaN t-statistic (a regime that fills the window has an
interval but nothing to differ from): a percentile interval or a HAC variance from a handful of
days means nothing.
"""

from __future__ import annotations

import math
import zlib

import numpy as np
import pandas as pd

from data.errors import ParameterError
from engine.metrics import TRADING_DAYS
from strategies.families import REGIME_ENUMS

CONFIDENCE = 0.90
"""Coverage of the bootstrap interval."""

BOOTSTRAP_REPS = 1000
"""Bootstrap resamples per regime value (about 0.13 s for 4,000 days)."""

SEED = 20240119
"""Base seed of the bootstrap generators (the date of the brokerage note)."""

MIN_DAYS = 20
"""Fewest days in a regime value for an interval, and on both sides for a t-statistic."""


def hac_maxlags(n: int) -> int:
    """Newey-West (1994) rule of thumb for the Bartlett kernel: ``floor(4 (n / 100) ** (2/9))``."""
    if n < 1:
        raise ParameterError(f"hac_maxlags: n = {n}: expected at least 1 observation")
    return int(math.floor(4.0 * (n / 100.0) ** (2.0 / 9.0)))


def block_length(x: np.ndarray) -> float:
    """Expected block length of the stationary bootstrap for the columns of ``x``.

    ``arch.bootstrap.optimal_block_length`` (Politis-White, stationary column) per column, the
    largest of them, at least 1.

    Parameters
    ----------
    x : array of shape (n_days,) or (n_days, k).
    """
    from arch.bootstrap import optimal_block_length

    a = np.asarray(x, dtype=np.float64)
    a = a.reshape(len(a), -1)
    # A constant column has no autocorrelation to speak of (and breaks the estimator).
    live = [j for j in range(a.shape[1]) if np.ptp(a[:, j]) > 0.0]
    if not live:
        return 1.0
    lengths = optimal_block_length(a[:, live])["stationary"].to_numpy(dtype=np.float64)
    lengths = lengths[np.isfinite(lengths)]
    return float(max(1.0, lengths.max())) if len(lengths) else 1.0


def bootstrap_mean_ci(
    x: np.ndarray,
    *,
    reps: int = BOOTSTRAP_REPS,
    confidence: float = CONFIDENCE,
    seed: int | np.random.Generator = SEED,
    block: float | None = None,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Percentile interval of the column means under the stationary block bootstrap.

    Parameters
    ----------
    x : array of shape (n_days,) or (n_days, k); the columns share the resampled days.
    reps : number of resamples.
    confidence : coverage of the two-sided interval (0.90: the 5th and 95th percentiles).
    seed : an int or a ``numpy.random.Generator``.
    block : expected block length in days; None chooses it with :func:`block_length`.

    Returns
    -------
    ``(low, high, block)``: arrays of shape (k,) and the block length used.
    """
    from arch.bootstrap import StationaryBootstrap

    if not 0.0 < confidence < 1.0:
        raise ParameterError(f"confidence = {confidence}: expected a value in (0, 1)")
    if reps < 10:
        raise ParameterError(f"reps = {reps}: expected at least 10 resamples")
    a = np.asarray(x, dtype=np.float64)
    a = a.reshape(len(a), -1)
    if len(a) < 2:
        raise ParameterError(f"bootstrap_mean_ci: {len(a)} observations; expected at least 2")
    b = block_length(a) if block is None else float(block)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    # The stationary bootstrap's block size is an expected length (geometric with p = 1 / b):
    # any real b >= 1 is valid although arch annotates it as int.
    bs = StationaryBootstrap(b, a, seed=rng)  # type: ignore[arg-type]
    weights = np.full(len(a), 1.0 / len(a))  # the column means as one BLAS product (faster)
    ci = bs.conf_int(
        lambda y: weights @ y, reps=reps, method="percentile", size=confidence, tail="two"
    )
    return ci[0], ci[1], b


def hac_difference(
    excess: np.ndarray, in_regime: np.ndarray, maxlags: int | None = None
) -> tuple[float, float, float]:
    """Mean difference between the regime's days and the rest, with its HAC t-statistic.

    Parameters
    ----------
    excess : daily excess returns, array of shape (n_days,).
    in_regime : bool array of shape (n_days,), True on the regime's days.
    maxlags : Newey-West lags (default :func:`hac_maxlags` of n_days).

    Returns
    -------
    ``(diff, t, p)``: the daily mean difference (OLS slope on the dummy), its t-statistic with
    statsmodels' HAC standard error and the two-sided normal p-value.
    """
    from statsmodels.regression.linear_model import OLS

    y = np.asarray(excess, dtype=np.float64)
    d = np.asarray(in_regime, dtype=bool)
    n = len(y)
    if d.shape != y.shape:
        raise ParameterError(f"in_regime: shape {d.shape} differs from excess' {y.shape}")
    k = int(d.sum())
    if k < MIN_DAYS or n - k < MIN_DAYS:
        return math.nan, math.nan, math.nan
    lags = hac_maxlags(n) if maxlags is None else int(maxlags)
    X = np.column_stack([np.ones(n), d.astype(np.float64)])
    fit = OLS(y, X).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True})
    return float(fit.params[1]), float(fit.tvalues[1]), float(fit.pvalues[1])


def _values(labels: pd.Series, regime: str) -> list[str]:
    """Values present, in the enum's order when the regime has one, then the others sorted."""
    present = set(labels.dropna().astype(str))
    enum = REGIME_ENUMS.get(regime)
    order = [m.value for m in enum] if enum is not None else []
    return [v for v in order if v in present] + sorted(present - set(order))


def _seed(seed: int, regime: str, value: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(f"{regime}={value}".encode())])


def regime_statistics(
    excess: pd.DataFrame,
    regimes: pd.DataFrame,
    columns: tuple[str, ...] | None = None,
    *,
    reps: int = BOOTSTRAP_REPS,
    confidence: float = CONFIDENCE,
    seed: int = SEED,
) -> pd.DataFrame:
    """Annualised mean excess return per regime value, its bootstrap interval and HAC t.

    Parameters
    ----------
    excess : daily excess returns over the cash leg, one column per portfolio (e.g.
        ``strategy``, ``benchmark``), indexed by the window days 1..n.
    regimes : string regime columns indexed by trading days covering ``excess``' days and the
        day before the first (the return of day t is attributed to the regime at t-1).
    columns : regime columns to break down (default: every column of ``regimes``).
    reps, confidence, seed : bootstrap settings (see the module docstring).

    Returns
    -------
    DataFrame with one row per (regime, value): ``regime``, ``value``, ``days``,
    ``block_length`` (days), ``hac_maxlags`` and per portfolio ``<name>_excess``,
    ``<name>_excess_ci_low``, ``<name>_excess_ci_high`` (annualised fractions),
    ``<name>_excess_diff`` (annualised mean minus the other days' mean), ``<name>_hac_t``
    and ``<name>_hac_p``.
    """
    cols = tuple(regimes.columns) if columns is None else columns
    prev = regimes.shift(1).reindex(excess.index)
    e = excess.to_numpy(dtype=np.float64)
    n = len(e)
    names = list(excess.columns)
    lags = hac_maxlags(n) if n else 0
    rows = []
    for regime in cols:
        if regime not in prev:
            continue
        labels = prev[regime]
        for value in _values(labels, regime):
            sel = (labels == value).to_numpy()
            days = int(sel.sum())
            row: dict[str, object] = {
                "regime": regime,
                "value": value,
                "days": days,
                "block_length": math.nan,
                "hac_maxlags": lags,
            }
            sub = e[sel]
            enough = days >= MIN_DAYS  # the t-statistic also needs MIN_DAYS outside the regime
            if enough:
                lo, hi, b = bootstrap_mean_ci(
                    sub, reps=reps, confidence=confidence, seed=_seed(seed, regime, value)
                )
                row["block_length"] = b
            for j, name in enumerate(names):
                mean = float(sub[:, j].mean()) if days else math.nan
                row[f"{name}_excess"] = mean * TRADING_DAYS
                row[f"{name}_excess_ci_low"] = float(lo[j]) * TRADING_DAYS if enough else math.nan
                row[f"{name}_excess_ci_high"] = float(hi[j]) * TRADING_DAYS if enough else math.nan
                diff, t, p = hac_difference(e[:, j], sel, lags)
                row[f"{name}_excess_diff"] = diff * TRADING_DAYS
                row[f"{name}_hac_t"] = t
                row[f"{name}_hac_p"] = p
            rows.append(row)
    return pd.DataFrame(rows)
