"""Metrics, the cash asset and the event table against their written definitions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from data.store import Store
from engine.cash import cash_price_from_yield, cash_yield, money_market_yield
from engine.events import (
    BALANCE_SHEET_EVENTS,
    Event,
    event_table,
    first_cuts,
    forward_return,
    policy_target,
)
from engine.metrics import (
    annualised_return,
    compute_metrics,
    max_drawdown_span,
    ratio,
    returns_by_regime,
    sharpe_ratio,
    sortino_ratio,
)


def _series(values, start="2020-01-01") -> pd.Series:
    return pd.Series(
        np.asarray(values, dtype=float), index=pd.bdate_range(start, periods=len(values))
    )


@pytest.fixture(scope="module")
def random_path():
    rng = np.random.default_rng(42)
    n = 800
    r = rng.normal(0.0004, 0.011, n)
    value = _series(np.concatenate([[1.0], np.cumprod(1 + r)]))
    rc = np.concatenate([[0.0], np.full(n, 0.00008)])
    weight = rng.uniform(0, 1, n + 1)
    weight[rng.uniform(size=n + 1) < 0.1] = 0.0
    trades = np.where(rng.uniform(size=n + 1) < 0.02, rng.uniform(0, 0.5, n + 1), 0.0)
    return value, rc, weight, trades


def test_metrics_match_their_definitions(random_path) -> None:
    value, rc, weight, trades = random_path
    m = compute_metrics(value, rc, weight, trades, n_rebalances=7)
    v = value.to_numpy()
    r = pd.Series(v).pct_change().dropna().to_numpy()
    e = r - rc[1:]
    years = (value.index[-1] - value.index[0]).days / 365.25
    assert m.n_returns == len(v) - 1 and m.years == pytest.approx(years)
    assert m.total_return == pytest.approx(v[-1] / v[0] - 1, rel=1e-12)
    assert m.cagr == pytest.approx((v[-1] / v[0]) ** (1 / years) - 1, rel=1e-12)
    assert m.volatility == pytest.approx(pd.Series(r).std() * math.sqrt(252), rel=1e-12)
    assert m.sharpe == pytest.approx(e.mean() / e.std(ddof=1) * math.sqrt(252), rel=1e-12)
    downside = math.sqrt(np.mean(np.where(e < 0, e, 0.0) ** 2))
    assert m.sortino == pytest.approx(e.mean() / downside * math.sqrt(252), rel=1e-12)
    dd = value / value.cummax() - 1
    assert m.max_drawdown == pytest.approx(dd.min(), rel=1e-12)
    assert m.max_drawdown_trough == dd.idxmin()
    assert m.max_drawdown_peak == value.loc[: dd.idxmin()].idxmax()
    assert m.calmar == pytest.approx(m.cagr / abs(m.max_drawdown), rel=1e-12)
    assert m.turnover == pytest.approx(trades.sum() / years, rel=1e-12)
    assert m.exposure == pytest.approx(weight.mean(), rel=1e-12)
    assert m.time_invested == pytest.approx((weight > 0).mean(), rel=1e-12)
    assert m.n_rebalances == 7


def test_drawdown_recovery_date() -> None:
    v = _series([1.0, 1.2, 0.9, 1.0, 1.25, 1.1])
    depth, peak, trough, rec = max_drawdown_span(v)
    assert depth == pytest.approx(0.9 / 1.2 - 1)
    assert (peak, trough, rec) == (v.index[1], v.index[2], v.index[4])
    depth, peak, trough, rec = max_drawdown_span(_series([1.0, 2.0, 1.5]))
    assert rec is None and depth == pytest.approx(-0.25)


@pytest.mark.parametrize("n_values", [0, 1, 2])
def test_short_history_gives_nan(n_values: int) -> None:
    """Fewer than 2 daily returns: every float metric is NaN (not 0, not an error)."""
    v = _series([1.0, 1.01][:n_values])
    m = compute_metrics(v, np.zeros(n_values), np.ones(n_values), np.zeros(n_values), 1)
    for name in (
        "total_return",
        "cagr",
        "volatility",
        "sharpe",
        "sortino",
        "max_drawdown",
        "calmar",
        "turnover",
        "exposure",
        "time_invested",
    ):
        assert math.isnan(getattr(m, name)), name
    assert m.n_rebalances == 1


def test_zero_deviation_gives_inf_and_zero_over_zero_gives_nan() -> None:
    # Constant growth above cash: excess returns constant and positive -> Sharpe +inf;
    # no negative excess -> Sortino +inf; no drawdown -> Calmar +inf.
    v = _series(np.cumprod(np.full(50, 1.001)))
    m = compute_metrics(v, np.zeros(50))
    assert m.sharpe == math.inf and m.sortino == math.inf and m.calmar == math.inf
    assert m.max_drawdown == 0.0 and m.volatility == pytest.approx(0.0, abs=1e-15)
    # Constant below cash: Sharpe -inf.
    assert compute_metrics(v, np.full(50, 0.002)).sharpe == -math.inf
    # Flat value and zero cash: 0 / 0 -> NaN everywhere the convention says so.
    flat = compute_metrics(_series(np.ones(30)), np.zeros(30))
    assert math.isnan(flat.sharpe) and math.isnan(flat.sortino) and math.isnan(flat.calmar)
    assert flat.total_return == 0.0 and flat.cagr == 0.0


def test_ratio_convention() -> None:
    assert ratio(1.0, 0.0) == math.inf and ratio(-1.0, 0.0) == -math.inf
    assert math.isnan(ratio(0.0, 0.0)) and ratio(1.0, 2.0) == 0.5
    assert math.isnan(sharpe_ratio(np.array([0.01]))) and math.isnan(sortino_ratio(np.array([])))


def test_returns_by_regime_attributes_to_the_previous_close() -> None:
    days = pd.bdate_range("2021-01-04", periods=6)
    regimes = pd.DataFrame(
        {"phase": ["HOLD", "HOLD", "CUTTING", "CUTTING", "HOLD", "HOLD"]}, index=days
    )
    r = pd.DataFrame({"strategy": [0.01, 0.02, -0.01, 0.03, 0.0]}, index=days[1:])
    out = returns_by_regime(r, regimes, columns=("phase",))
    assert out["value"].tolist() == ["HOLD", "CUTTING"]  # enum order
    hold = out.iloc[0]
    # Returns of days 1, 2 and 5 follow a HOLD close (days 0, 1, 4).
    assert hold["days"] == 3 and hold["share"] == pytest.approx(0.6)
    assert hold["strategy_ann_return"] == pytest.approx(
        annualised_return(np.array([0.01, 0.02, 0.0]))
    )
    cut = out.iloc[1]
    assert cut["days"] == 2
    assert cut["strategy_volatility"] == pytest.approx(
        np.std([-0.01, 0.03], ddof=1) * math.sqrt(252)
    )


# ---------------------------------------------------------------- cash asset


def test_money_market_yield_golden() -> None:
    # 5.00% discount on a 91-day bill: y = 0.05 / (1 - 0.05 * 91 / 360) = 0.0506400 (0.05 / 0.98736111)
    assert money_market_yield(np.array([5.0]))[0] == pytest.approx(0.05 / (1 - 0.05 * 91 / 360))
    assert money_market_yield(np.array([5.0]))[0] == pytest.approx(0.0506400, abs=1e-7)
    assert cash_yield("none", np.array([3.0, np.nan])).tolist() == [0.0, 0.0]
    assert cash_yield("DFF", np.array([3.0]))[0] == pytest.approx(0.03)


def test_cash_price_accrues_calendar_days() -> None:
    days = pd.DatetimeIndex(["2024-01-04", "2024-01-05", "2024-01-08"])  # Thu, Fri, Mon
    y = np.array([0.036, 0.072, 0.0])
    p = cash_price_from_yield(days, y)
    assert p[0] == 1.0
    assert p[1] == pytest.approx(1 + 0.036 / 360)
    assert p[2] == pytest.approx(p[1] * (1 + 0.072 * 3 / 360))  # the weekend accrues


# ---------------------------------------------------------------- events


def test_first_cuts_rule() -> None:
    idx = pd.DatetimeIndex(
        [
            "2019-01-01",
            "2019-07-31",
            "2019-09-18",
            "2019-10-30",
            "2020-03-03",
            "2020-03-15",
            "2022-03-16",
            "2024-09-18",
        ]
    )
    target = pd.Series([2.5, 2.25, 2.0, 1.75, 1.25, 0.25, 0.5, 5.0], index=idx)
    cuts = [e.date for e in first_cuts(target)]
    # 2019-07-31 follows a hike-free start (first change, no previous) -> not counted;
    # 2020-03-03 follows a 125-day pause -> first cut. 2024-09-18 is a hike here.
    assert cuts == [pd.Timestamp("2020-03-03")]


def test_first_cuts_from_the_bundled_target_series() -> None:
    """DESIGN.md's reference timeline: first cuts 2007-09-18, 2019-07-31, 2020-03-03, 2024-09-18;
    FRED dates each on its effective day (the day after the decision)."""
    dates = {e.date for e in first_cuts(policy_target(Store()))}
    for d in ("2007-09-18", "2019-08-01", "2020-03-04", "2024-09-19"):
        assert pd.Timestamp(d) in dates


def test_forward_return_and_event_table() -> None:
    close = _series(np.arange(100.0, 400.0), start="2020-01-01")
    ev = Event("x", pd.Timestamp("2020-03-02"), "qe", "test")  # a Monday
    r = forward_return(close, ev.date, 3)
    i0 = close.index.searchsorted(ev.date) - 1
    i1 = close.index.searchsorted(ev.date + pd.DateOffset(months=3), side="right") - 1
    assert r == pytest.approx(close.iloc[i1] / close.iloc[i0] - 1)
    assert math.isnan(forward_return(close, close.index[-5], 12))  # beyond the data
    t = event_table(close, [ev], strategy_value=close.iloc[100:])
    assert t.loc[0, "sp500_3m"] == pytest.approx(r)
    assert math.isnan(t.loc[0, "strategy_3m"])  # the strategy window starts after the event


def test_balance_sheet_events_are_labelled_with_their_source() -> None:
    assert all(e.source == "DESIGN.md reference timeline" for e in BALANCE_SHEET_EVENTS)
    names = {e.name: e.date for e in BALANCE_SHEET_EVENTS}
    assert names["QT2 runoff starts"] == pd.Timestamp("2022-06-01")
    assert names["QE4"] == pd.Timestamp("2020-03-15")
