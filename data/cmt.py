"""Constant-maturity Treasury total return, repriced from CMT yields (Swinkels 2019).

Method (L. Swinkels, "Treasury bond return data starting in 1962", *Data* 4(3), 91, 2019):
at the close of day ``s`` buy a bond of maturity ``M`` years at par, its semiannual coupon
equal to the CMT yield of ``s``; at the close of the next day ``t`` of the yield file reprice
it with the CMT yield of ``t`` and the remaining maturity ``M - tau``, and add the coupon
accrued over ``tau``. The return of ``t`` is::

    r_t = P(y_t; c = y_s, m = M - tau) - 1 + y_s * tau

    P(y; c, m) = c / y * (1 - (1 + y/2) ** (-2m)) + (1 + y/2) ** (-2m)

``P`` is the price per unit of par of a bond paying ``c/2`` every half year for ``2m``
(fractional) periods, discounted at the yield ``y`` compounded semiannually (the CMT
convention); ``P(y; y, m) = 1`` for every ``m``, so an unchanged yield earns exactly the
carry ``y_s * tau``. The limit ``y -> 0`` is ``P = 1 + c * m``.

Day count: ``tau`` = calendar days between the two closes / 365.25 (actual days over the
average year length), both for the maturity that runs off and for the accrued coupon (a
Treasury accrues ``c/2`` over a half-year of actual days, ``c * days / 365.25`` on average).

Missing yields: a blank row (a bond-market holiday, ``.`` in FRED) keeps the last yield, so
that day earns the carry only and the next day is repriced from it; calendar days without a
row at all accrue with the next row (``tau`` counts them). Rows before the first yield have
no price. The index is 1.0 on the first day with a yield.

Timing: the CMT yield of day ``t`` is the market's yield at the close of ``t``, so the index
value of ``t`` is a **market price of day t**. As an asset it is not subject to the H.15
publication lag (``t+1``) that the same yield has as a *signal* input (``Release.H15_DAILY``).

Everything here is vectorised NumPy on arrays of shape (n_days,); the plain-Python loop that
checks it lives in ``tests/data/test_cmt.py``.
"""

from __future__ import annotations

import numpy as np

from data.errors import ParameterError

DAYS_PER_YEAR = 365.25
"""Day count of the repricing: calendar days / 365.25."""

_TINY = 1e-12


def par_bond_price(
    y: np.ndarray | float, coupon: np.ndarray | float, maturity_years: np.ndarray | float
) -> np.ndarray:
    """Price per unit of par of a semiannual-coupon bond at yield ``y``.

    Parameters
    ----------
    y : yield as a fraction per year, compounded semiannually (arrays broadcast together).
    coupon : annual coupon rate as a fraction (paid ``coupon / 2`` every half year).
    maturity_years : years to maturity (``2 * maturity_years`` coupon periods, fractional
        allowed), > 0.

    Returns
    -------
    float64 array of the broadcast shape: ``c/y * (1 - (1+y/2)^(-2m)) + (1+y/2)^(-2m)``
    (``1 + c*m`` where ``|y| < 1e-12``); NaN where an input is NaN.
    """
    y = np.asarray(y, dtype=np.float64)
    c = np.asarray(coupon, dtype=np.float64)
    m = np.asarray(maturity_years, dtype=np.float64)
    log_v = -2.0 * m * np.log1p(y / 2.0)  # log of the discount factor of the last flow
    one_minus = -np.expm1(log_v)  # 1 - (1 + y/2)^(-2m), accurate for small y
    small = np.abs(y) < _TINY
    annuity = np.where(small, m, one_minus / np.where(small, 1.0, y))
    return c * annuity + np.exp(log_v)


def _forward_fill(x: np.ndarray) -> np.ndarray:
    """Each NaN replaced by the last finite value before it (NaN before the first one)."""
    idx = np.where(np.isfinite(x), np.arange(len(x)), 0)
    np.maximum.accumulate(idx, out=idx)
    return x[idx]


def _check(obs_dates: np.ndarray, yields_pct: np.ndarray, maturity_years: float) -> np.ndarray:
    days = np.asarray(obs_dates).astype("datetime64[D]")
    if days.ndim != 1 or np.asarray(yields_pct).shape != days.shape:
        raise ParameterError(
            f"obs_dates and yields_pct must be 1-d of the same length, got shapes "
            f"{days.shape} and {np.asarray(yields_pct).shape}"
        )
    if not (np.isfinite(maturity_years) and maturity_years > 0):
        raise ParameterError(f"maturity_years must be > 0, got {maturity_years!r}")
    step = np.diff(days).astype(np.int64)
    if (step <= 0).any():
        i = int(np.argmax(step <= 0)) + 1
        raise ParameterError(
            f"obs_dates must be strictly increasing: {days[i]} after {days[i - 1]}"
        )
    if len(step) and step.max() / DAYS_PER_YEAR >= maturity_years:
        raise ParameterError(
            f"a step of {int(step.max())} days is longer than the maturity {maturity_years} years"
        )
    return step.astype(np.float64) / DAYS_PER_YEAR


def cmt_returns(obs_dates: np.ndarray, yields_pct: np.ndarray, maturity_years: float) -> np.ndarray:
    """Daily total returns of the constant-maturity par bond (see the module docstring).

    Parameters
    ----------
    obs_dates : dates of the yield file's rows, strictly increasing, shape (n,).
    yields_pct : the CMT yield of each row in percent, NaN where missing, shape (n,).
    maturity_years : the constant maturity ``M`` (5, 10, 30, ...).

    Returns
    -------
    float64 array of shape (n,): ``r[t]`` is the return from the row before ``t`` to ``t``;
    NaN on and before the first row with a yield.
    """
    tau = _check(obs_dates, yields_pct, maturity_years)
    y = _forward_fill(np.asarray(yields_pct, dtype=np.float64) / 100.0)
    r = np.full(len(y), np.nan)
    if len(y) > 1:
        prev = y[:-1]
        r[1:] = par_bond_price(y[1:], prev, maturity_years - tau) - 1.0 + prev * tau
    return r


def cmt_total_return_index(
    obs_dates: np.ndarray, yields_pct: np.ndarray, maturity_years: float
) -> np.ndarray:
    """Total-return index of the constant-maturity par bond, 1.0 on the first row with a yield.

    Parameters and timing as :func:`cmt_returns`. Returns a float64 array of shape (n,), NaN
    before the first yield. The value of row ``t`` is a market price of day ``t`` (no
    publication lag).
    """
    r = cmt_returns(obs_dates, yields_pct, maturity_years)
    price = np.full(len(r), np.nan)
    has = np.isfinite(np.asarray(yields_pct, dtype=np.float64))
    if not has.any():
        return price
    first = int(np.argmax(has))
    price[first] = 1.0
    price[first + 1 :] = np.cumprod(1.0 + r[first + 1 :])
    return price
