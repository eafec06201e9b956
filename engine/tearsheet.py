"""The numbers behind the tear sheet: calendar returns, rolling statistics, drawdown periods.

Every function takes a value series over the backtest window (the first element is ``V_0``,
the close of the first execution day) and returns plain pandas objects; the report draws them
(:mod:`engine.tearsheet_figures`) and the tests check them against written definitions.
Returns are fractions (0.012 = 1.2%).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from engine.metrics import TRADING_DAYS, drawdown

ROLLING_DAYS = TRADING_DAYS
"""Window of the rolling statistics: 252 trading days (12 months)."""

WORST_DRAWDOWNS = 5
"""Drawdown periods listed in the tear sheet."""


def _period_returns(value: pd.Series, freq: str) -> pd.Series:
    """Compounded return per calendar period (``M`` or ``Y``) of a value series.

    The first period runs from ``V_0`` (it is partial when the window starts inside it), every
    other period from the last value of the period before; the last may be partial too.
    """
    if len(value) < 2:
        return pd.Series(dtype=np.float64)
    idx = pd.DatetimeIndex(value.index)
    last = value.groupby(idx.to_period(freq)).last()
    prev = last.shift(1)
    prev.iloc[0] = value.iloc[0]
    return (last / prev - 1.0).astype(np.float64)


def monthly_returns(value: pd.Series) -> pd.DataFrame:
    """Calendar-month returns as a table: one row per year, columns 1..12 (NaN outside the window).

    Parameters
    ----------
    value : portfolio value over the window, indexed by trading day.

    Returns
    -------
    DataFrame indexed by year (int) with integer columns 1 (January) .. 12 (December).
    """
    r = _period_returns(value, "M")
    table = pd.DataFrame(
        {
            "year": [p.year for p in r.index],
            "month": [p.month for p in r.index],
            "r": r.to_numpy(),
        }
    )
    out = table.pivot(index="year", columns="month", values="r")
    return out.reindex(columns=range(1, 13))


def monthly_series(value: pd.Series) -> pd.Series:
    """Calendar-month returns as a series indexed by the month (``Period``)."""
    return _period_returns(value, "M")


def yearly_returns(value: pd.Series) -> pd.Series:
    """Calendar-year returns indexed by year (int); the first and last years may be partial."""
    r = _period_returns(value, "Y")
    return pd.Series(r.to_numpy(), index=[p.year for p in r.index], name="return")


def rolling_stats(
    value: pd.Series, cash_return: pd.Series | np.ndarray, window: int = ROLLING_DAYS
) -> pd.DataFrame:
    """Rolling Sharpe ratio and volatility over ``window`` daily returns.

    Parameters
    ----------
    value : portfolio value over the window (length n + 1).
    cash_return : the cash leg's return of each window day (length n + 1; element 0 unused).
    window : daily returns per window.

    Returns
    -------
    DataFrame on the window days with ``sharpe`` (mean excess over std(excess, ddof=1), times
    sqrt(252)) and ``volatility`` (std(r, ddof=1) times sqrt(252)), NaN until ``window``
    returns exist; a zero deviation gives +/-inf (NaN at 0 / 0) as in :mod:`engine.metrics`.
    """
    r = value.pct_change()
    rc = pd.Series(np.asarray(cash_return, dtype=np.float64), index=value.index)
    e = r - rc
    roll_e = e.rolling(window, min_periods=window)
    sharpe = roll_e.mean() / roll_e.std(ddof=1) * math.sqrt(TRADING_DAYS)
    vol = r.rolling(window, min_periods=window).std(ddof=1) * math.sqrt(TRADING_DAYS)
    return pd.DataFrame({"sharpe": sharpe, "volatility": vol})


def drawdown_periods(value: pd.Series, top: int | None = WORST_DRAWDOWNS) -> pd.DataFrame:
    """Drawdown periods, deepest first.

    A period starts at a running peak (the last close at the running maximum before the value
    falls below it), reaches its trough (the lowest close before the value regains the peak)
    and ends at the recovery (the first close back at or above the peak; NaT while still
    under water at the last close).

    Parameters
    ----------
    value : portfolio value over the window, indexed by trading day.
    top : number of periods to keep (None: all).

    Returns
    -------
    DataFrame with ``peak``, ``trough``, ``recovery`` (dates), ``depth`` (trough / peak - 1,
    a negative fraction), ``length_days`` (trading days from the peak to the recovery, or to
    the last close when not recovered), ``to_trough_days`` (trading days from the peak to the
    trough) and ``recovered`` (bool), one row per period.
    """
    columns = [
        "peak",
        "trough",
        "recovery",
        "depth",
        "length_days",
        "to_trough_days",
        "recovered",
    ]
    v = value.to_numpy(dtype=np.float64)
    n = len(v)
    if n < 2:
        return pd.DataFrame(columns=columns)
    dd = drawdown(v)
    under = dd < 0.0
    before = np.r_[False, under[:-1]]
    after = np.r_[under[1:], False]
    starts = np.flatnonzero(under & ~before)
    ends = np.flatnonzero(under & ~after)
    idx = value.index
    rows = []
    for s, e in zip(starts, ends, strict=True):
        peak = int(s - 1)  # dd[0] == 0, so a period never starts on the first day
        trough = int(s + np.argmin(dd[s : e + 1]))
        recovered = e + 1 < n
        stop = int(e + 1) if recovered else n - 1
        rows.append(
            {
                "peak": idx[peak],
                "trough": idx[trough],
                "recovery": idx[stop] if recovered else pd.NaT,
                "depth": float(dd[trough]),
                "length_days": stop - peak,
                "to_trough_days": trough - peak,
                "recovered": bool(recovered),
            }
        )
    out = pd.DataFrame(rows, columns=columns)
    out = out.sort_values("depth", kind="stable").reset_index(drop=True)
    return out if top is None else out.head(top)


def distribution_stats(returns: pd.Series | np.ndarray) -> dict[str, float]:
    """Skewness and excess kurtosis (pandas' bias-corrected estimators) of returns."""
    r = pd.Series(np.asarray(returns, dtype=np.float64)).dropna()
    if len(r) < 4:
        return {"skew": math.nan, "excess_kurtosis": math.nan}
    return {"skew": float(r.skew()), "excess_kurtosis": float(r.kurt())}
