"""The cash asset: a price series that accrues the T-bill rate known each day.

Requires: the cash-rate series (``DTB3`` by default) as known at each trading day's 16:00 ET
decision time (an as-of join by ``available_at``).
Produces: ``price`` on the trading days, starting at 1.0; ``price[t+1] = price[t] * (1 + y[t] *
calendar_days(t, t+1) / 360)``.
Lag: the rate known at the close of ``t`` accrues from ``t`` to ``t+1`` (no look-ahead: the rate
of day ``t`` is published on ``t+1``, so the accrual of ``t -> t+1`` uses the rate of ``t-1``).

Cash rates (``cash.rate`` of a strategy, :data:`CASH_RATES`):

- ``DTB3`` (default): the 3-month bill, secondary market, quoted on a discount basis
  (percent). It is converted to a money-market (ACT/360) yield ``y = d / (1 - d * 91 / 360)``
  with ``d`` the discount rate as a fraction. The bundled DTB3 starts 2001-04-17.
- ``DGS3MO``: the 3-month constant-maturity yield (H.15), quoted on a bond-equivalent
  (coupon-equivalent, ACT/365) basis. For a bill, ``bey = 365 d / (360 - d t)`` and the
  money-market yield is ``360 d / (360 - d t)``, so ``y = bey * 360 / 365`` exactly. The
  bundled DGS3MO starts 1981-09-01.
- ``DTB3+DGS3MO``: a splice, DGS3MO before DTB3 is known, DTB3 after. On each decision day
  the rate is DTB3 as known at 16:00 when any DTB3 observation is public by then, otherwise
  DGS3MO as known at 16:00 (both are H.15 series, public on the next business day at 16:15).
  The switch is the first decision day after DTB3's first observation is published
  (2001-04-19 with the bundled files: DTB3 of 2001-04-17 is public 2001-04-18 16:15) and it
  never switches back. The spliced ``value`` is quoted like DTB3 (discount basis, percent):
  DTB3's own values after the switch, so the yield accrued on each day from the switch on is
  bit-identical to ``DTB3``'s; before it, DGS3MO converted to the discount rate of the same
  91-day bill, ``d = m / (1 + m * 91 / 360)`` with ``m = bey * 360 / 365``. Over 2001-2026 the
  converted DGS3MO is 0.9bp above DTB3 on average (sd 2.6bp).
- ``none``: a 0% cash asset.

Any other series id is taken as an ACT/360 simple yield in percent (e.g. ``DFF``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.store import Store

DISCOUNT_BASIS_DAYS: dict[str, int] = {"DTB3": 91}
"""Series quoted on a discount basis -> the bill's maturity in days used to convert it."""

BOND_EQUIVALENT: frozenset[str] = frozenset({"DGS3MO"})
"""Series quoted as a bond-equivalent (ACT/365) yield: converted with ``* 360 / 365``."""

NO_CASH_RATE = "none"

SPLICES: dict[str, tuple[str, str]] = {"DTB3+DGS3MO": ("DTB3", "DGS3MO")}
"""Spliced cash rates -> (primary, fallback): the fallback until the primary is known."""

CASH_RATES: tuple[str, ...] = ("DTB3", "DGS3MO", "DTB3+DGS3MO", NO_CASH_RATE)
"""The values ``cash.rate`` takes (the strategy spec validates against this list)."""


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


def bond_equivalent_to_money_market(bey_pct: np.ndarray) -> np.ndarray:
    """Convert a bill's bond-equivalent yield (percent, ACT/365) to a money-market yield.

    Returns a float64 array (fraction, ACT/360): ``bey / 100 * 360 / 365`` (NaN passes through).
    """
    return np.asarray(bey_pct, dtype=np.float64) / 100.0 * 360.0 / 365.0


def money_market_to_discount(mmy: np.ndarray, maturity_days: int = 91) -> np.ndarray:
    """Inverse of :func:`money_market_yield`: the discount rate (percent) of a bill.

    Parameters
    ----------
    mmy : money-market yields (fraction, ACT/360), any shape.
    maturity_days : days to maturity of the bill.

    Returns
    -------
    float64 array of the same shape: ``100 * m / (1 + m * maturity_days / 360)``.
    """
    m = np.asarray(mmy, dtype=np.float64)
    return 100.0 * m / (1.0 + m * maturity_days / 360.0)


def cash_rate_series(rate: str) -> tuple[str, ...]:
    """The store series a cash rate reads: ``()`` for ``none``, both parts of a splice."""
    if rate == NO_CASH_RATE:
        return ()
    return SPLICES.get(rate, (rate,))


def cash_yield(rate: str, values: np.ndarray) -> np.ndarray:
    """Annual ACT/360 yield (fraction) from the values of ``rate`` (percent) as known.

    ``values`` are what :func:`cash_rate_asof` returns: the published values, or for a splice
    the spliced values quoted on the primary's basis (discount basis for ``DTB3+DGS3MO``).
    """
    values = np.asarray(values, dtype=np.float64)
    if rate == NO_CASH_RATE:
        return np.zeros(len(values))
    if rate in SPLICES:
        rate = SPLICES[rate][0]
    if rate in DISCOUNT_BASIS_DAYS:
        return money_market_yield(values, DISCOUNT_BASIS_DAYS[rate])
    if rate in BOND_EQUIVALENT:
        return bond_equivalent_to_money_market(values)
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


def _to_primary_basis(primary: str, fallback: str, values: np.ndarray) -> np.ndarray:
    """The fallback's published values (percent) quoted on the primary's basis (percent)."""
    mmy = cash_yield(fallback, values)
    if primary in DISCOUNT_BASIS_DAYS:
        return money_market_to_discount(mmy, DISCOUNT_BASIS_DAYS[primary])
    if primary in BOND_EQUIVALENT:
        return mmy * 100.0 * 365.0 / 360.0
    return mmy * 100.0


def spliced_rate_asof(store: Store, days: pd.DatetimeIndex, rate: str) -> pd.DataFrame:
    """A spliced cash rate (see the module docstring) as known at each day's decision time.

    Returns
    -------
    DataFrame indexed by ``days``: ``value`` (percent, on the primary's basis), ``obs_date``
    and ``available_at`` of the value used, and ``series`` (which part it came from; ``""``
    where neither is known yet).
    """
    primary, fallback = SPLICES[rate]
    p = store.asof(primary, days)
    f = store.asof(fallback, days)
    use_p = p["value"].notna().to_numpy()
    value = np.where(
        use_p,
        p["value"].to_numpy(dtype=np.float64),
        _to_primary_basis(primary, fallback, f["value"].to_numpy(dtype=np.float64)),
    )
    use_f = ~use_p & f["value"].notna().to_numpy()
    series = np.where(use_p, primary, np.where(use_f, fallback, ""))
    return pd.DataFrame(
        {
            "value": value,
            "obs_date": np.where(use_p, p["obs_date"].to_numpy(), f["obs_date"].to_numpy()),
            "available_at": np.where(
                use_p, p["available_at"].to_numpy(), f["available_at"].to_numpy()
            ),
            "series": series,
        },
        index=days,
    )


def cash_rate_asof(store: Store, days: pd.DatetimeIndex, rate: str) -> pd.DataFrame:
    """The cash rate as known at each day: ``value`` (percent), ``obs_date``, ``available_at``.

    For ``rate == "none"`` the value is 0 everywhere and the dates are NaT. A splice
    (``DTB3+DGS3MO``) also has a ``series`` column; see :func:`spliced_rate_asof`.
    """
    if rate == NO_CASH_RATE:
        nat = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[ns]")
        return pd.DataFrame(
            {"value": np.zeros(len(days)), "obs_date": nat, "available_at": nat}, index=days
        )
    if rate in SPLICES:
        return spliced_rate_asof(store, days, rate)
    return store.asof(rate, days)


def cash_price(store: Store, days: pd.DatetimeIndex, rate: str = "DTB3") -> pd.Series:
    """The cash asset's price on ``days`` (1.0 on the first day), accruing ``rate`` as known.

    Parameters
    ----------
    store : the point-in-time store.
    days : trading days, ascending.
    rate : the series id the cash asset accrues (``DTB3`` by default), the splice
        ``DTB3+DGS3MO`` or ``none`` (0%); see :data:`CASH_RATES`.

    Returns
    -------
    Series indexed by ``days``. NaN from the day after the first day whose rate is unknown
    (the caller starts its window where the rate is known).
    """
    known = cash_rate_asof(store, days, rate)["value"].to_numpy()
    return pd.Series(cash_price_from_yield(days, cash_yield(rate, known)), index=days, name="CASH")
