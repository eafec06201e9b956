"""Strategy against its benchmark: alpha, beta, information ratio, tracking error.

Conventions (the tear sheet, ``runoff backtest --json`` and the tests share them). Over the
backtest window's ``n`` daily returns (close t-1 to close t):

* excess returns over the cash leg: ``es_t = rs_t - rc_t`` (strategy), ``eb_t = rb_t - rc_t``
  (benchmark), ``rc_t`` the cash asset's return (T-bill accrual) of the same day;
* beta and daily alpha: the ordinary least-squares fit ``es_t = alpha_d + beta * eb_t + u_t``,
  i.e. ``beta = cov(es, eb) / var(eb)`` and ``alpha_d = mean(es) - beta * mean(eb)``;
  **alpha** is annualised arithmetically: ``alpha = 252 * alpha_d`` (a fraction per year);
* active returns ``a_t = rs_t - rb_t`` (the cash leg cancels);
  **tracking error** = ``std(a, ddof=1) * sqrt(252)``;
  **information ratio** = ``mean(a) / std(a, ddof=1) * sqrt(252)``;
  ``active_return`` = ``252 * mean(a)``;
* ``correlation`` = Pearson correlation of ``es`` and ``eb``.

Degenerate conventions as in :mod:`engine.metrics`: NaN with fewer than 2 returns; a ratio
whose deviation is 0 is +/-inf (the sign of its numerator) and NaN at 0 / 0 (a strategy that
is its benchmark has tracking error 0 and information ratio NaN; a flat benchmark makes beta
NaN).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from data.errors import ParameterError
from engine.metrics import TRADING_DAYS, ratio


@dataclass(frozen=True)
class RelativeMetrics:
    """Strategy vs benchmark over the same days (definitions in the module docstring).

    Attributes
    ----------
    alpha : annualised intercept of the excess-return regression (fraction per year).
    beta : slope of the excess-return regression.
    information_ratio : annualised mean over standard deviation of the active returns.
    tracking_error : annualised standard deviation of the active returns (fraction).
    active_return : annualised mean active return (fraction per year, arithmetic).
    correlation : correlation of the strategy's and the benchmark's excess returns.
    n_returns : number of daily returns used.
    """

    alpha: float
    beta: float
    information_ratio: float
    tracking_error: float
    active_return: float
    correlation: float
    n_returns: int

    def as_dict(self) -> dict[str, float | int]:
        """Plain Python values (non-finite floats kept as floats)."""
        return {k: (int(v) if k == "n_returns" else float(v)) for k, v in asdict(self).items()}


def relative_metrics(
    returns: np.ndarray, benchmark_returns: np.ndarray, cash_returns: np.ndarray
) -> RelativeMetrics:
    """Alpha, beta, information ratio and tracking error of daily returns.

    Parameters
    ----------
    returns : the strategy's daily returns, array of shape (n,).
    benchmark_returns : the benchmark's daily returns on the same days, shape (n,).
    cash_returns : the cash leg's daily returns on the same days, shape (n,).

    Returns
    -------
    :class:`RelativeMetrics`.
    """
    rs = np.asarray(returns, dtype=np.float64)
    rb = np.asarray(benchmark_returns, dtype=np.float64)
    rc = np.asarray(cash_returns, dtype=np.float64)
    if not (rs.shape == rb.shape == rc.shape) or rs.ndim != 1:
        raise ParameterError(
            f"returns, benchmark_returns, cash_returns: expected three 1-d arrays of one length, "
            f"got shapes {rs.shape}, {rb.shape}, {rc.shape}"
        )
    n = len(rs)
    nan = math.nan
    if n < 2:
        return RelativeMetrics(nan, nan, nan, nan, nan, nan, n)
    es, eb = rs - rc, rb - rc
    des, deb = es - es.mean(), eb - eb.mean()
    cov = float(np.dot(des, deb)) / (n - 1)
    var_b = float(np.dot(deb, deb)) / (n - 1)
    var_s = float(np.dot(des, des)) / (n - 1)
    beta = ratio(cov, var_b)
    alpha_d = float(es.mean()) - beta * float(eb.mean()) if math.isfinite(beta) else nan
    a = rs - rb
    sd_a = float(np.std(a, ddof=1))
    return RelativeMetrics(
        alpha=alpha_d * TRADING_DAYS,
        beta=beta,
        information_ratio=ratio(float(a.mean()), sd_a) * math.sqrt(TRADING_DAYS),
        tracking_error=sd_a * math.sqrt(TRADING_DAYS),
        active_return=float(a.mean()) * TRADING_DAYS,
        correlation=ratio(cov, math.sqrt(var_s * var_b)),
        n_returns=n,
    )
