"""Legs end to end (issue 10): total-return equity, a Treasury leg and cash, each number held to
the index's own ratio, an independent loop (no vectorbt) and vectorbt, and the old price-index
figures on demand."""

from __future__ import annotations

import contextlib
import io
import json
import math

import numpy as np
import pandas as pd
import pytest

from data.assets import asset_prices
from data.errors import MissingDataError, UnknownAssetError
from data.store import Store
from engine.allocation import leg_columns
from engine.backtest import benchmark_plan, portfolio_path, prepare, run_backtest, simulate
from engine.cli import main
from engine.metrics import TRADING_DAYS
from strategies import load_strategy, parse_strategy
from strategies.families import NAMES


@pytest.fixture(scope="module")
def store() -> Store:
    return Store()


# ---------------------------------------------------------------- buy and hold = the index


def test_buy_and_hold_json_equals_the_total_return_index(store) -> None:
    """``runoff backtest buy_and_hold --json``: the default equity is SP500TR and the
    strategy's total return over the window is the index's own ratio."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["backtest", "buy_and_hold", "--json"]) == 0
    doc = json.loads(buf.getvalue())
    assert [leg["asset"] for leg in doc["legs"]] == ["SP500TR"]
    start, end = pd.Timestamp(doc["window"]["start"]), pd.Timestamp(doc["window"]["end"])
    tr = store.observations("SP500TR").set_index("obs_date")["value"]
    ratio = tr.loc[end] / tr.loc[start]
    assert doc["metrics"]["strategy"]["total_return"] == pytest.approx(ratio - 1, rel=1e-9)
    # SP500TR's last close is 2026-08-21, but the cash rate (DTB3, last 2026-07-09) is stale
    # from 2026-07-21: the window ends on the last day every input was fresh.
    assert end == pd.Timestamp("2026-07-20")
    assert doc["end_note"].startswith("end 2026-07-20: the last day every input was fresh")
    assert "DTB3" in doc["end_note"] and doc["stale_warning"] is None


def test_buy_and_hold_without_fees_is_the_index_from_the_initial_cash(store) -> None:
    s = load_strategy("buy_and_hold").replace(**{"costs.fees": 0.0})
    r = run_backtest(s, store=store)
    close = pd.Series(r.inputs.close, index=r.inputs.days)
    ratio = close.iloc[-1] / close.loc[r.window_start]
    assert r.value.iloc[-1] / 1.0 == pytest.approx(ratio, rel=1e-9)
    assert r.metrics.total_return == pytest.approx(ratio - 1, rel=1e-9)


# ---------------------------------------------------------------- old behaviour on demand


def test_price_index_on_demand_reproduces_the_old_figures(store) -> None:
    """qt_aware with ``equity = "GSPC"`` gives the figures of the engine before issue 10:
    609.2% total return, 2003-03-24..2026-08-28 (the extended TREAST/WSHOMCB/DFEDTARU/L rows of
    the snapshot moved no figure: the same bits as before them). Since issue 14 the default
    window ends 2026-07-20 (DTB3 is stale after it), so the old window is asked for
    explicitly: it runs with a stale warning and gives the same bits."""
    s = parse_strategy({**load_strategy("qt_aware").to_dict(), "assets": {"equity": "GSPC"}})
    r = run_backtest(s, end="2026-08-28", store=store)
    assert r.stale_warning is not None and "past 2026-07-20" in r.stale_warning
    m = r.metrics
    assert (m.start, m.end) == (pd.Timestamp("2003-03-24"), pd.Timestamp("2026-08-28"))
    assert round(m.total_return * 100, 1) == 609.2
    assert m.total_return == 6.091781217910585  # the bits of the one-asset engine
    assert r.end_note is None and "price index (dividends excluded)" in r.total_return_note


# ---------------------------------------------------------------- three legs vs a plain loop

THREE = {
    "name": "three_legs",
    "assets": {"equity": "SP500TR", "treasury": "UST10Y"},
    "regimes": {"policy": {"sahm_threshold": 0.6}},
    "allocation": {
        "default": 1.0,
        "bounds": {"treasury": [0.0, 0.7]},
        "rules": [
            {"phase": "HIKING", "weight": 0.6},
            {"phase": "FIRST_HALF", "weights": {"equity": 0.4, "treasury": 0.5}},
            {"phase": "CUTTING", "weights": {"equity": 0.6, "treasury": 0.3}},
            {"phase": "CUTTING_RECESSION", "weights": {"equity": 0.1, "treasury": 0.7}},
            {"balance_sheet": "CONTRACTION", "weights": {"equity": 0.5, "treasury": 0.2}},
        ],
    },
    "overlays": [{"feature": "y10_minus_y2", "slope": 0.05, "role": "treasury"}],
    "rebalance": {"frequency": "D", "band": 0.02},
    "execution": {"lag": 1},
    "costs": {"fees": {"equity": 0.001, "treasury": 0.0003}, "slippage": 0.0005},
    "cash": {"rate": "DTB3"},
}
"""Equity, 10-year Treasuries and cash; per-leg fees, slippage, a band, lag 1, an overlay on
the Treasury leg and a balance-sheet rule."""


def _plain_loop(strategy, frame, closes, cash_px):
    """Everything after the regime frame in plain Python, no vectorbt, no engine kernel.

    Per day: the first rule whose regimes match gives each leg's weight (the default
    otherwise), the overlay is added to its leg, each leg clipped to its bounds and the legs
    divided by their sum above 1. The drift of each leg since the last trade decides against
    the band (largest drift of any leg); the order executes the next close. At an execution
    the value V is taken once, each leg's target value is w V, the legs are traded in
    ascending order of (target - held value) (sales first), a sale receives the close less
    slippage minus fees, a purchase pays the close plus slippage plus fees (or what the cash
    covers); cash is the remainder. Returns the values from the first execution on.
    """
    roles = strategy.roles()
    n_legs = len(roles)
    lo = [strategy.bounds_of(r)[0] for r in roles]
    hi = [strategy.bounds_of(r)[1] for r in roles]
    fees = [strategy.costs.fee(r) for r in roles] + [0.0]
    slip = [strategy.costs.slip(r) for r in roles] + [0.0]
    band, lag = strategy.rebalance.band, strategy.execution_lag
    rules = [(rule.conditions(), [rule.weight_of(r) for r in roles]) for rule in strategy.rules]
    default = [strategy.default_of(r) for r in roles]
    ov = strategy.overlays
    n = len(frame)
    cash = 1.0
    shares = [0.0] * (n_legs + 1)
    drift = None
    pending = None  # (execution day, weights)
    values, first = [], None
    for t in range(n):
        prices = [float(closes[t, j]) for j in range(n_legs)] + [float(cash_px[t])]
        if drift is not None and t > 0:
            grow = [drift[j] * prices[j] / float(closes[t - 1, j]) for j in range(n_legs)]
            grow_c = (1 - sum(drift)) * prices[-1] / float(cash_px[t - 1])
            total = sum(grow) + grow_c
            drift = [g / total for g in grow]
        if pending is not None and pending[0] == t:
            w = pending[1] + [1 - sum(pending[1])]
            v = cash + sum(s * p for s, p in zip(shares, prices, strict=True))
            order = sorted(range(n_legs + 1), key=lambda k: w[k] * v - shares[k] * prices[k])
            for k in order:
                delta = w[k] * v / prices[k] - shares[k]
                if delta < 0:
                    size = min(-delta, shares[k])
                    cash += size * prices[k] * (1 - slip[k]) * (1 - fees[k])
                    shares[k] -= size
                elif delta > 0:
                    px = prices[k] * (1 + slip[k])
                    size = min(delta, cash / (1 + fees[k]) / px)
                    cash -= size * px * (1 + fees[k])
                    shares[k] += size
            drift, pending = list(pending[1]), None
            first = t if first is None else first
        row = frame.iloc[t]
        w = next((ws for cond, ws in rules if all(row[k] == v for k, v in cond.items())), default)
        w = list(w)
        for o in ov:
            w[roles.index(o.role)] += o.slope * (float(row[o.feature]) - o.center)
        w = [min(max(w[j], lo[j]), hi[j]) for j in range(n_legs)]
        if sum(w) > 1:
            w = [x / sum(w) for x in w]
        ref = pending[1] if pending is not None else drift
        if ref is None or max(abs(a - b) for a, b in zip(w, ref, strict=True)) > band:
            pending = (t + lag, w)
        values.append(cash + sum(s * p for s, p in zip(shares, prices, strict=True)))
    return np.array(values[first:]), first


def _metrics(value, days, cash_px):
    r = value[1:] / value[:-1] - 1
    rc = cash_px[1:] / cash_px[:-1] - 1
    e = r - rc
    years = (days[-1] - days[0]).days / 365.25
    peak = np.maximum.accumulate(value)
    return {
        "total_return": value[-1] / value[0] - 1,
        "cagr": (value[-1] / value[0]) ** (1 / years) - 1,
        "sharpe": e.mean() / e.std(ddof=1) * math.sqrt(TRADING_DAYS),
        "max_drawdown": (value / peak - 1).min(),
    }


@pytest.fixture(scope="module")
def three(store):
    s = parse_strategy(THREE, "test:three_legs")
    return s, run_backtest(s, "2005-01-01", store=store)


def test_three_legs_equal_a_plain_loop_and_vectorbt(three) -> None:
    s, r = three
    inp = r.inputs
    assert inp.labels == ["SP500TR", "UST10Y"] and set(NAMES) <= set(inp.frame.columns)
    value, first = _plain_loop(s, inp.frame, inp.closes, inp.cash_price)
    assert inp.days[first] == r.window_start
    want = _metrics(value, inp.days[first:], inp.cash_price[first:])
    for key, v in want.items():
        assert getattr(r.metrics, key) == pytest.approx(v, rel=1e-9), key
    np.testing.assert_allclose(r.value.to_numpy(), value, rtol=1e-9)
    # ... and vectorbt: the backtest's own portfolio is vectorbt's from_orders
    assert r.portfolio.wrapper.columns.tolist() == ["SP500TR", "UST10Y", "CASH"]
    np.testing.assert_allclose(r.portfolio.value().to_numpy()[first:], value, rtol=1e-9)
    assert r.metrics.n_rebalances > 60
    held = r.leg_weights
    assert list(held.columns) == ["SP500TR", "UST10Y", "CASH"]
    np.testing.assert_allclose(held.sum(axis=1), 1.0, atol=1e-12)
    assert held["UST10Y"].max() > 0.3 and held["UST10Y"].min() == pytest.approx(0.0, abs=1e-12)
    assert r.metrics.leg_exposure["UST10Y"] == pytest.approx(held["UST10Y"].mean())
    assert r.metrics.exposure == pytest.approx(held[["SP500TR", "UST10Y"]].sum(axis=1).mean())


def test_the_treasury_leg_is_the_repriced_ten_year(three, store) -> None:
    s, r = three
    days = r.inputs.days
    np.testing.assert_array_equal(r.inputs.closes[:, 1], asset_prices(store, "UST10Y", days))
    fills = portfolio_path(
        r.portfolio, days, r.inputs.closes, r.inputs.cash_price, labels=r.inputs.labels
    ).fills
    assert set(fills["asset"]) == {"SP500TR", "UST10Y"}
    bond = fills[fills["asset"] == "UST10Y"]
    cost = (bond["fees"] / (bond["size"] * bond["price"])).to_numpy()
    np.testing.assert_allclose(cost, 0.0003, rtol=1e-9)  # the Treasury leg's own fees


def test_benchmark_mix_is_rebalanced_monthly(store) -> None:
    d = {**THREE, "benchmark": {"weights": {"equity": 0.6, "treasury": 0.4}}}
    s = parse_strategy(d, "test:mix")
    r = run_backtest(s, "2015-01-01", "2019-12-31", store=store)
    assert r.benchmark_label == "60% SP500TR/40% UST10Y, monthly"
    bench = benchmark_plan(s, r.inputs.days, int(np.argmax(r.inputs.days >= r.window_start)))
    executed = r.inputs.days[np.isfinite(bench[:, 0])]
    assert executed[0] == r.window_start and len(executed) == 60  # the buy + 59 month-ends
    assert r.benchmark_metrics.n_rebalances == 60
    # replayed on its own: vectorbt on the mix plan gives the benchmark's values
    pf = simulate(
        r.inputs.days, r.inputs.closes, r.inputs.cash_price, bench, s.leg_fees(), s.leg_slippage()
    )
    np.testing.assert_allclose(
        pf.value().to_numpy()[-len(r.benchmark_value) :], r.benchmark_value, rtol=1e-12
    )
    w = portfolio_path(pf, r.inputs.days, r.inputs.closes, r.inputs.cash_price).leg_weights
    after = r.inputs.days.get_indexer(executed[1:])
    np.testing.assert_allclose(w.to_numpy()[after], [[0.6, 0.4]] * len(after), atol=1e-3)


def test_plan_columns_per_leg(three) -> None:
    _, r = three
    ow = leg_columns(r.plan, "order_weight")
    assert list(ow.columns) == ["SP500TR", "UST10Y"]
    executed = ow.dropna()
    np.testing.assert_allclose(
        r.plan.loc[executed.index, "order_weight"], executed.sum(axis=1), rtol=1e-15
    )


# ---------------------------------------------------------------- errors name the file and key


def test_unknown_asset_names_the_file_and_key(store) -> None:
    d = {**THREE, "assets": {"equity": "SP500TR", "treasury": "UST11Y"}}
    with pytest.raises(UnknownAssetError) as info:
        prepare(parse_strategy(d, "x.toml"), store=store)
    msg = str(info.value)
    assert msg.startswith("x.toml: assets.treasury = 'UST11Y': unknown asset 'UST11Y'")
    assert "did you mean 'UST10Y'?" in msg and "\n" not in msg


def test_end_after_an_assets_last_price_is_an_error(store) -> None:
    with pytest.raises(MissingDataError) as info:
        prepare("qt_aware", end="2026-08-28", store=store)
    assert str(info.value) == (
        "strategies/builtin/qt_aware.toml: assets.equity = 'SP500TR': its prices end "
        "2026-08-21, before --end 2026-08-28; use --end 2026-08-21 or earlier"
    )
    assert prepare("qt_aware", end="2026-08-23", store=store).days[-1] == pd.Timestamp(
        "2026-08-21"
    )  # a Sunday: the last trading day on or before it has a price


def test_an_asset_ending_before_the_window_is_an_error(store) -> None:
    d = {**THREE, "assets": {"equity": "SP500TR", "treasury": "IEF"}}
    s = parse_strategy(d, "x.toml")
    with pytest.raises(MissingDataError, match=r"^x.toml: assets.treasury = 'IEF': its prices "):
        prepare(s, start="2026-03-02", store=store)
    # IEF ends 2026-01-30: the window too (SAHMREALTIME, stale from 2025-11-10, would end it
    # earlier by default: the leg's end is what this test is about).
    inp = prepare(s, start="2025-06-02", store=store, stale_end=False)
    assert inp.days[-1] == pd.Timestamp("2026-01-30") and "IEF ends 2026-01-30" in inp.end_note
