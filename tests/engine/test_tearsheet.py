"""The tear sheet's numbers against their written definitions and independent computations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from engine.metrics import max_drawdown_span, sharpe_ratio
from engine.tearsheet import (
    distribution_stats,
    drawdown_periods,
    monthly_returns,
    rolling_stats,
    yearly_returns,
)
from engine.tearsheet_figures import log_ticks, money


@pytest.fixture(scope="module")
def path() -> pd.Series:
    rng = np.random.default_rng(11)
    days = pd.bdate_range("2019-03-13", "2023-06-15")
    r = rng.normal(0.0003, 0.012, len(days))
    r[0] = 0.0
    return pd.Series(np.cumprod(1 + r), index=days)


def test_monthly_and_yearly_returns_compound_the_days(path) -> None:
    table = monthly_returns(path)
    assert list(table.columns) == list(range(1, 13)) and list(table.index) == list(
        range(2019, 2024)
    )
    assert math.isnan(table.loc[2019, 2]) and math.isnan(table.loc[2023, 7])  # outside the window
    # Independent: month-end values with pandas resample; the first month starts at V_0.
    me = path.resample("ME").last()
    base = me.shift(1)
    base.iloc[0] = path.iloc[0]
    expected = me / base - 1
    for stamp, r in expected.items():
        assert table.loc[stamp.year, stamp.month] == pytest.approx(r, rel=1e-12)
    years = yearly_returns(path)
    for y in years.index:
        months = table.loc[y].dropna()
        assert years[y] == pytest.approx(np.prod(1 + months) - 1, rel=1e-10)
    assert np.prod(1 + years) == pytest.approx(path.iloc[-1] / path.iloc[0], rel=1e-10)


def test_rolling_stats_match_the_metric_on_each_window(path) -> None:
    rc = np.full(len(path), 0.00008)
    st = rolling_stats(path, rc, window=252)
    assert st["sharpe"].iloc[:252].isna().all() and st["sharpe"].iloc[252:].notna().all()
    r = path.pct_change().to_numpy()
    for t in (252, 600, len(path) - 1):
        e = r[t - 251 : t + 1] - rc[t - 251 : t + 1]
        assert st["sharpe"].iloc[t] == pytest.approx(sharpe_ratio(e), rel=1e-9)
        vol = np.std(r[t - 251 : t + 1], ddof=1) * math.sqrt(252)
        assert st["volatility"].iloc[t] == pytest.approx(vol, rel=1e-9)


def _brute_periods(v: np.ndarray) -> list[tuple[int, int, int | None, float]]:
    """Every drawdown period by a plain loop: (peak, trough, recovery or None, depth)."""
    out = []
    peak, trough, under = 0, 0, False
    for t in range(1, len(v)):
        if v[t] >= v[peak]:
            if under:
                out.append((peak, trough, t, v[trough] / v[peak] - 1))
                under = False
            peak = t
        else:
            if not under or v[t] < v[trough]:
                trough = t
            under = True
    if under:
        out.append((peak, trough, None, v[trough] / v[peak] - 1))
    return out


def test_drawdown_periods_against_a_loop_and_the_max_drawdown(path) -> None:
    got = drawdown_periods(path, top=None)
    brute = sorted(_brute_periods(path.to_numpy()), key=lambda p: p[3])
    assert len(got) == len(brute)
    idx = path.index
    for row, (pk, tr, rec, depth) in zip(got.itertuples(), brute, strict=True):
        assert (row.peak, row.trough) == (idx[pk], idx[tr])
        assert row.depth == pytest.approx(depth, rel=1e-12)
        assert row.recovered == (rec is not None)
        if rec is not None:
            assert row.recovery == idx[rec] and row.length_days == rec - pk
        else:
            assert pd.isna(row.recovery) and row.length_days == len(path) - 1 - pk
        assert row.to_trough_days == tr - pk
    depth, peak, trough, recovery = max_drawdown_span(path)
    top = drawdown_periods(path).iloc[0]
    assert (top.depth, top.peak, top.trough) == (depth, peak, trough)
    assert len(drawdown_periods(path)) == 5


def test_drawdown_periods_small_cases() -> None:
    v = pd.Series([1.0, 1.2, 0.9, 1.0, 1.25, 1.1], index=pd.bdate_range("2024-01-01", periods=6))
    got = drawdown_periods(v)
    assert got["depth"].tolist() == pytest.approx([0.9 / 1.2 - 1, 1.1 / 1.25 - 1])
    assert got["recovered"].tolist() == [True, False]
    assert got["length_days"].tolist() == [3, 1] and got["to_trough_days"].tolist() == [1, 1]
    assert drawdown_periods(v.iloc[:1]).empty
    assert drawdown_periods(pd.Series([1.0, 1.1, 1.2], index=v.index[:3])).empty


def test_distribution_stats() -> None:
    x = np.random.default_rng(2).normal(size=500)
    d = distribution_stats(x)
    assert d["skew"] == pytest.approx(pd.Series(x).skew()) and abs(d["excess_kurtosis"]) < 0.6
    assert math.isnan(distribution_stats(x[:3])["skew"])


def test_log_ticks_are_readable() -> None:
    assert log_ticks(0.8, 9.0) == [0.5, 1, 2, 5, 10]
    # Less than a decade: finer mantissas until three ticks fall inside, one beyond each end.
    assert log_ticks(0.9, 1.8) == [0.8, 1, 1.25, 1.5, 1.75, 2]
    # A short window (growth between 0.97 and 1.16): evenly spaced ticks 0.05 apart.
    assert log_ticks(0.97, 1.16) == [0.95, 1.0, 1.05, 1.1, 1.15, 1.2]
    assert log_ticks(-1.0, 2.0) == [] and log_ticks(1.0, math.inf) == []
    assert [money(t) for t in (0.5, 1.0, 1.5, 1.125, 2.0, 20.0, 1500.0)] == [
        "$0.50",
        "$1",
        "$1.50",
        "$1.125",
        "$2",
        "$20",
        "$1,500",
    ]
