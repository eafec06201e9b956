"""The cash asset: a price series that accrues the T-bill rate known each day.

Requires: the cash-rate series (``DTB3`` by default) as known at each trading day's 16:00 ET
decision time (an as-of join by ``available_at``).
Produces: ``price`` on the trading days, starting at 1.0; ``price[t+1] = price[t] * (1 + y[t] *
calendar_days(t, t+1) / 360)``.
Lag: the rate known at the close of ``t`` accrues from ``t`` to ``t+1`` (no look-ahead: the rate
of day ``t`` is published on ``t+1``, so the accrual of ``t -> t+1`` uses the rate of ``t-1``).

DTB3 is quoted on a discount basis (percent). It is converted to a money-market (ACT/360)
yield ``y = d / (1 - d * 91 / 360)`` with ``d`` the discount rate as a fraction. Any other
series is taken as an ACT/360 simple yield in percent. ``none`` means a 0% cash asset.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.store import Store

DISCOUNT_BASIS_DAYS: dict[str, int] = {"DTB3": 91}
"""Series quoted on a discount basis -> the bill's maturity in days used to convert it."""

NO_CASH_RATE = "none"


def money_market_yield(discount_pct: np.ndarray, maturity_days: int = 91) -> np.ndarray:
    """Convert a bill's discount rate (percent) to a money-market yield (fraction, ACT/360).

    Parameters
    ----------
    discount_pct : array of discount rates in percent (any shape; NaN passes through).
    maturity_days : days to maturity of the bill (91 for the 3-month bill).

    Returns
    -------
    float64 array of the same shape: ``d / (1 - d * maturity_days / 360)`` with ``d = pct / 100``.
    """
    d = np.asarray(discount_pct, dtype=np.float64) / 100.0
    return d / (1.0 - d * maturity_days / 360.0)


def cash_yield(rate: str, values: np.ndarray) -> np.ndarray:
    """Annual ACT/360 yield (fraction) from the published values of ``rate`` (percent)."""
    values = np.asarray(values, dtype=np.float64)
    if rate == NO_CASH_RATE:
        return np.zeros(len(values))
    if rate in DISCOUNT_BASIS_DAYS:
        return money_market_yield(values, DISCOUNT_BASIS_DAYS[rate])
    return values / 100.0


def cash_price_from_yield(days: pd.DatetimeIndex, y: np.ndarray) -> np.ndarray:
    """Accrue ``y`` (fraction, ACT/360, known at each day) into a price starting at 1.0.

    Parameters
    ----------
    days : trading days, ascending (length n).
    y : yield known at each day's close (length n). ``y[t]`` accrues over ``(t, t+1]``; the
        last value is not used. NaN yields give NaN prices from the next day on.

    Returns
    -------
    float64 array of length n.
    """
    y = np.asarray(y, dtype=np.float64)
    n = len(days)
    if n == 0:
        return np.zeros(0)
    gap = np.diff(pd.DatetimeIndex(days).values).astype("timedelta64[D]").astype(np.float64)
    growth = 1.0 + y[:-1] * gap / 360.0
    price = np.empty(n)
    price[0] = 1.0
    price[1:] = np.cumprod(growth)
    return price


def cash_rate_asof(store: Store, days: pd.DatetimeIndex, rate: str) -> pd.DataFrame:
    """The cash rate as known at each day: ``value`` (percent), ``obs_date``, ``available_at``.

    For ``rate == "none"`` the value is 0 everywhere and the dates are NaT.
    """
    if rate == NO_CASH_RATE:
        nat = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[ns]")
        return pd.DataFrame(
            {"value": np.zeros(len(days)), "obs_date": nat, "available_at": nat}, index=days
        )
    return store.asof(rate, days)


def cash_price(store: Store, days: pd.DatetimeIndex, rate: str = "DTB3") -> pd.Series:
    """The cash asset's price on ``days`` (1.0 on the first day), accruing ``rate`` as known.

    Parameters
    ----------
    store : the point-in-time store.
    days : trading days, ascending.
    rate : the series id the cash asset accrues (``DTB3`` by default) or ``none`` (0%).

    Returns
    -------
    Series indexed by ``days``. NaN from the day after the first day whose rate is unknown
    (the caller starts its window where the rate is known).
    """
    known = cash_rate_asof(store, days, rate)["value"].to_numpy()
    return pd.Series(cash_price_from_yield(days, cash_yield(rate, known)), index=days, name="CASH")
