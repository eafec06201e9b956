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
    NEXT_DAY_DATING_FROM,
    Event,
    announcement_day,
    cut_events,
    default_events,
    event_table,
    forward_return,
    policy_changes,
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


def _changes(rows: list[tuple[str, float]]) -> pd.DataFrame:
    """Target changes (announcement day, new level) for :func:`cut_events`."""
    d = pd.DatetimeIndex([r[0] for r in rows])
    up = np.array([r[1] for r in rows])
    return pd.DataFrame(
        {
            "announced": d,
            "fred_date": d,
            "upper": up,
            "lower": up,
            "move": np.diff(up, prepend=np.nan),
        }
    )


def test_cut_events_rule() -> None:
    """A first cut follows a hike; a cut after more than 120 days without a change follows a pause."""
    changes = _changes(
        [
            ("2018-09-26", 2.25),  # hike
            ("2018-12-19", 2.50),  # last hike of the cycle
            ("2019-07-31", 2.25),  # first cut of a cycle (the previous change is a hike)
            ("2019-09-18", 2.00),  # continues the easing: no event
            ("2019-10-30", 1.75),
            ("2020-03-03", 1.25),  # 125 days after the previous cut: a cut after a pause
            ("2020-03-15", 0.25),  # 12 days later: no event
            ("2022-03-16", 0.50),  # hike
        ]
    )
    ev = cut_events(changes)
    assert [(e.date, e.kind) for e in ev] == [
        (pd.Timestamp("2019-07-31"), "first_cut"),
        (pd.Timestamp("2020-03-03"), "cut_after_pause"),
    ]
    assert ev[0].name == "First cut of a cycle, to 2.25%"
    assert ev[1].name == "Cut after a pause, to 1.25%"
    # The first change of the data has nothing before it: never an event.
    assert cut_events(_changes([("2001-01-03", 6.0), ("2001-01-31", 5.5)])) == []


@pytest.fixture(scope="module")
def changes() -> pd.DataFrame:
    return policy_changes(Store())


def test_target_eras_are_dated_on_the_announcement_day(changes) -> None:
    """DESIGN.md's reference timeline dates every hike-cycle bound and cut on its announcement:
    hiking cycles 2004-06-30 to 2006-06-29, 2015-12-16 to 2018-12-19, 2022-03-16 to 2023-07-26;
    cuts 2007-09-18, 2019-07-31, 2020-03-03, 2024-09-18, Nov and Dec 2024, 2025-09-17,
    2025-10-29, 2025-12-10."""
    announced = set(changes["announced"])
    for d in (
        "2004-06-30",
        "2006-06-29",
        "2015-12-16",
        "2018-12-19",
        "2022-03-16",
        "2023-07-26",
        "2007-09-18",
        "2019-07-31",
        "2020-03-03",
        "2024-09-18",
        "2025-09-17",
        "2025-10-29",
        "2025-12-10",
    ):
        assert pd.Timestamp(d) in announced, d
    by_day = changes.set_index("announced")["fred_date"]
    # DFEDTAR era (to 2008-12-15): FRED dates a change on the decision day itself, scheduled
    # (2007-09-18) or inter-meeting (the coordinated cut of 2008-10-08, before the open).
    assert by_day[pd.Timestamp("2007-09-18")] == pd.Timestamp("2007-09-18")
    assert by_day[pd.Timestamp("2008-10-08")] == pd.Timestamp("2008-10-08")
    # Early range era: the 2015-12-16 lift-off (DESIGN.md's cycle start) is dated that day.
    assert by_day[pd.Timestamp("2015-12-16")] == pd.Timestamp("2015-12-16")
    # From 2017-03-16: the effective day, the calendar day after the announcement, also for
    # the inter-meeting cuts of Tuesday 2020-03-03 and Sunday 2020-03-15 and the Thursday
    # decision of 2024-11-07.
    for announced_on, fred in (
        ("2018-12-19", "2018-12-20"),
        ("2019-07-31", "2019-08-01"),
        ("2020-03-03", "2020-03-04"),
        ("2020-03-15", "2020-03-16"),
        ("2024-09-18", "2024-09-19"),
        ("2024-11-07", "2024-11-08"),
    ):
        assert by_day[pd.Timestamp(announced_on)] == pd.Timestamp(fred)
    # Every announcement is a weekday except the Sunday emergency cut of 2020-03-15.
    weekend = changes.loc[changes["announced"].dt.dayofweek >= 5, "announced"]
    assert list(weekend) == [pd.Timestamp("2020-03-15")]


def test_first_cuts_of_a_cycle_from_the_bundled_target(changes) -> None:
    """DESIGN.md's reference timeline: hiking cycles end 2006-06-29, 2018-12-19, 2023-07-26,
    so the first cuts of a cycle are 2007-09-18, 2019-07-31 and 2024-09-18 (and 2001-01-03
    after the 2000-05-16 hike). 2003-06-25 (the last cut of the 2001-03 easing) and 2008-10-08
    (mid-easing, after a pause since 2008-04-30) are not; nor is 2020-03-03 (after the 2019
    cuts)."""
    kinds = {e.date.date().isoformat(): e.kind for e in cut_events(changes)}
    for d in ("2001-01-03", "2007-09-18", "2019-07-31", "2024-09-18"):
        assert kinds[d] == "first_cut", d
    for d in ("2003-06-25", "2008-10-08", "2020-03-03", "2025-09-17"):
        assert kinds[d] == "cut_after_pause", d
    assert "2019-08-01" not in kinds and "2024-09-19" not in kinds  # never the effective day


def test_announcement_day_rule() -> None:
    assert announcement_day(pd.Timestamp("2016-12-14")) == pd.Timestamp("2016-12-14")
    assert announcement_day(NEXT_DAY_DATING_FROM) == pd.Timestamp("2017-03-15")
    assert announcement_day(pd.Timestamp("2020-03-16")) == pd.Timestamp("2020-03-15")


def test_cut_returns_start_at_the_close_before_the_announcement() -> None:
    """2024-09-18 (announced 14:00 ET, FRED dates it 2024-09-19): the base is the close of
    2024-09-17, which did not know the cut; the same for 2019-07-31 (base 2019-07-30)."""
    store = Store()
    gspc = store.observations("GSPC")
    close = pd.Series(gspc["value"].to_numpy(), index=pd.DatetimeIndex(gspc["obs_date"]))
    events = [e for e in default_events(store) if e.kind == "first_cut"]
    t = event_table(close, events).set_index("date")
    for announced, base in (("2024-09-18", "2024-09-17"), ("2019-07-31", "2019-07-30")):
        end = close.loc[: pd.Timestamp(announced) + pd.DateOffset(months=3)].iloc[-1]
        assert t.loc[announced, "sp500_3m"] == pytest.approx(end / close[base] - 1, rel=1e-12)
        assert (
            t.loc[announced, "fred_date"]
            == (pd.Timestamp(announced) + pd.Timedelta(days=1)).date().isoformat()
        )


def test_recession_reading_is_the_kernels_real_time_tag() -> None:
    """Per first cut, the phase on the first day the kernel knew the cut, and the real-time
    Sahm rule then (never NBER's USREC): 2007-09-18 and 2024-09-18 were not tagged
    recession-driven when they happened (Sahm 0.10 and 0.57 against the 0.6 threshold);
    2008-10-08 came after the Sahm rule had fired (1.10)."""
    from engine.regimes import regime_frame

    store = Store()
    frame = regime_frame("2006-01-01", None, store=store)
    gspc = store.observations("GSPC")
    close = pd.Series(gspc["value"].to_numpy(), index=pd.DatetimeIndex(gspc["obs_date"]))
    t = event_table(close, default_events(store, frame.index[0]), regimes=frame).set_index("date")
    assert t.loc["2007-09-18", "phase_then"] == "CUTTING"
    assert t.loc["2007-09-18", "recession_driven"] is False
    assert t.loc["2024-09-18", "recession_driven"] is False
    assert t.loc["2024-09-18", "sahm_realtime"] == pytest.approx(0.57)
    assert t.loc["2008-10-08", "recession_driven"] is True
    assert t.loc["2008-10-08", "sahm_realtime"] == pytest.approx(1.1)
    assert t.loc[t["event"] == "QT2 runoff starts", "recession_driven"].isna().all()


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
    # The QE4 taper was announced at the FOMC meeting of 2021-11-03 (not 2021-11-01).
    assert names["QE4 taper announced"] == pd.Timestamp("2021-11-03")
    dated = {e.name: e.dated for e in BALANCE_SHEET_EVENTS}
    assert dated["QE4 taper announced"] == "announcement"
    assert dated["QT2 runoff starts"] == "implementation"
