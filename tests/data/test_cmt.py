"""Constant-maturity Treasury repricing: a plain-Python loop oracle, closed forms, properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.cmt import DAYS_PER_YEAR, cmt_returns, cmt_total_return_index, par_bond_price
from data.errors import ParameterError


def reference_index(days: list[str], yields_pct: list[float], maturity: float) -> list[float]:
    """The method written as a loop, one day at a time (no NumPy).

    At the close of the previous row buy a par bond (coupon = that row's yield, semiannual),
    at this row's close reprice it with this row's yield and maturity - tau, add the coupon
    accrued over tau = calendar days / 365.25. A missing yield keeps the last one (carry only).
    """
    out: list[float] = []
    level = math.nan
    last_y = math.nan
    last_day = None
    for d, y_pct in zip(days, yields_pct, strict=True):
        day = np.datetime64(d, "D")
        y = y_pct / 100.0 if not math.isnan(y_pct) else last_y
        if math.isnan(level):
            if not math.isnan(y):
                level = 1.0
        else:
            tau = int((day - last_day).astype(np.int64)) / 365.25
            m = maturity - tau
            c = last_y
            if abs(y) < 1e-12:
                price = 1.0 + c * m
            else:
                v = (1.0 + y / 2.0) ** (-2.0 * m)
                price = c / y * (1.0 - v) + v
            level *= price - 1.0 + c * tau + 1.0
        out.append(level)
        last_y = y
        last_day = day
    return out


def _calendar(n: int, rng: np.random.Generator) -> np.ndarray:
    """n strictly increasing dates, steps of 1-5 days (weekends, holidays)."""
    steps = rng.choice([1, 1, 1, 1, 3, 4, 5], size=n - 1)
    return np.datetime64("2001-01-02") + np.concatenate([[0], np.cumsum(steps)]).astype(
        "timedelta64[D]"
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("maturity", [5.0, 10.0, 30.0])
def test_vectorised_index_equals_the_loop(seed: int, maturity: float) -> None:
    rng = np.random.default_rng(seed)
    n = 400
    days = _calendar(n, rng)
    y = np.clip(4.0 + np.cumsum(rng.normal(0, 0.06, n)), 0.0, None)
    y[rng.random(n) < 0.05] = np.nan  # holidays
    y[:3] = np.nan  # the file starts before the first yield
    got = cmt_total_return_index(days, y, maturity)
    want = reference_index([str(d) for d in days], y.tolist(), maturity)
    assert np.isnan(got[:3]).all() and np.isnan(want[:3]).all()
    assert got[3] == 1.0
    np.testing.assert_allclose(got[3:], want[3:], rtol=1e-12, atol=0)


def test_par_bond_price_equals_the_cash_flow_sum_on_whole_periods() -> None:
    """Closed form vs the sum of discounted coupons and principal (2m whole half-years)."""
    for y, c, m in [(0.04, 0.05, 10.0), (0.061, 0.02, 29.5), (0.0125, 0.0125, 5.0), (0.07, 0.0, 2)]:
        n = int(2 * m)
        flows = sum(c / 2 / (1 + y / 2) ** k for k in range(1, n + 1)) + 1 / (1 + y / 2) ** n
        assert par_bond_price(y, c, m) == pytest.approx(flows, rel=1e-13)


def test_par_bond_price_at_par_and_near_zero_yield() -> None:
    m = np.array([0.3, 4.99, 9.997, 29.9])
    for y in (0.0001, 0.025, 0.15):
        np.testing.assert_allclose(par_bond_price(y, y, m), 1.0, rtol=0, atol=1e-14)
    # y = 0: the limit 1 + c * m, and continuity next to it.
    assert par_bond_price(0.0, 0.03, 10.0) == pytest.approx(1.3, rel=1e-15)
    assert par_bond_price(1e-9, 0.03, 10.0) == pytest.approx(1.3, rel=1e-8)
    assert np.isnan(par_bond_price(np.nan, 0.03, 10.0))


def test_unchanged_yield_and_holidays_earn_the_carry_only() -> None:
    days = np.array(["2024-01-05", "2024-01-08", "2024-01-09", "2024-01-10"], dtype="datetime64[D]")
    y = np.array([4.0, np.nan, 4.0, 4.0])  # 2024-01-08 blank (a bond-market holiday)
    r = cmt_returns(days, y, 10.0)
    assert np.isnan(r[0])
    np.testing.assert_allclose(r[1:], 0.04 * np.array([3, 1, 1]) / DAYS_PER_YEAR, rtol=1e-12)
    idx = cmt_total_return_index(days, y, 10.0)
    assert idx[-1] == pytest.approx(np.prod(1 + r[1:]), rel=1e-15)


def test_a_yield_rise_loses_about_the_modified_duration() -> None:
    """+10bp on a 10y par bond at 4%: -D * dy + C/2 * dy^2 + carry, D and C of the par bond
    (the third-order term, ~1e-7 here, is left out; the convexity term alone is ~4e-5)."""
    days = np.array(["2024-01-09", "2024-01-10"], dtype="datetime64[D]")
    r = cmt_returns(days, np.array([4.0, 4.1]), 10.0)[1]
    y, dy, tau = 0.04, 0.001, 1 / DAYS_PER_YEAR
    h = 1e-5
    p = lambda x: float(par_bond_price(x, y, 10.0 - tau))  # noqa: E731
    dur = -(p(y + h) - p(y - h)) / (2 * h)
    conv = (p(y + h) - 2 * p(y) + p(y - h)) / h**2
    assert r == pytest.approx(-dur * dy + 0.5 * conv * dy**2 + y * tau, abs=5e-7)
    assert -0.0083 < r < -0.0079  # duration ~8.2 years


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(2, 120))
def test_prefix_stability(seed: int, k: int) -> None:
    """The index on the first k rows equals the first k values on all rows (no look-ahead)."""
    rng = np.random.default_rng(seed)
    days = _calendar(150, rng)
    y = 3.0 + np.cumsum(rng.normal(0, 0.05, 150))
    y[rng.random(150) < 0.1] = np.nan
    full = cmt_total_return_index(days, y, 10.0)
    part = cmt_total_return_index(days[:k], y[:k], 10.0)
    np.testing.assert_array_equal(part, full[:k])


def test_all_missing_and_single_row() -> None:
    d = np.array(["2024-01-09", "2024-01-10"], dtype="datetime64[D]")
    assert np.isnan(cmt_total_return_index(d, np.array([np.nan, np.nan]), 10.0)).all()
    assert cmt_total_return_index(d[:1], np.array([4.0]), 10.0).tolist() == [1.0]
    assert cmt_total_return_index(d[:0], np.zeros(0), 10.0).shape == (0,)


@pytest.mark.parametrize(
    ("days", "y", "maturity", "pattern"),
    [
        (["2024-01-10", "2024-01-09"], [4.0, 4.0], 10.0, "strictly increasing: 2024-01-09 after"),
        (["2024-01-10", "2024-01-10"], [4.0, 4.0], 10.0, "strictly increasing"),
        (["2024-01-09", "2024-01-10"], [4.0], 10.0, "same length"),
        (["2024-01-09", "2024-01-10"], [4.0, 4.0], 0.0, "maturity_years must be > 0"),
        (["2024-01-09", "2026-01-10"], [4.0, 4.0], 1.0, "longer than the maturity"),
    ],
)
def test_bad_inputs(days: list[str], y: list[float], maturity: float, pattern: str) -> None:
    with pytest.raises(ParameterError, match=pattern):
        cmt_total_return_index(np.array(days, dtype="datetime64[D]"), np.array(y), maturity)
