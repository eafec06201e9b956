"""The vectorbt backtest on the bundled data: benchmark, an independent oracle, no look-ahead."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.errors import MissingDataError, ParameterError
from data.manifest import MANIFEST
from data.paths import SNAPSHOT_DIR
from data.store import Store
from engine.allocation import plan_orders
from engine.backtest import INIT_CASH, portfolio_path, prepare, run_backtest, simulate
from strategies import load_strategy, parse_strategy, to_dict
from strategies.families import NAMES


def portfolio_oracle(close, cash_price, order_weight, fees, slippage, init_cash=1.0):
    """Hand-written shares-and-cash bookkeeping (no vectorbt).

    On an execution day: value V at the close with the held shares; target values w V (index)
    and (1 - w) V (cash asset), both from that same V; the leg whose value falls (a sale) goes
    first. A sale of the index gets ``close (1 - slippage)`` and pays ``fees`` on the proceeds;
    a purchase pays ``close (1 + slippage)`` plus ``fees``, and when the cash left is short it
    buys what the cash covers. The cash asset has no costs.
    Returns (value per day, |index value traded| / V before the trade per day).
    """
    prices = np.column_stack([close, cash_price])
    cost = np.array([fees, 0.0])
    slip = np.array([slippage, 0.0])
    cash = init_cash
    shares = np.zeros(2)
    value = np.empty(len(close))
    traded = np.zeros(len(close))
    for t in range(len(close)):
        w = order_weight[t]
        p = prices[t]
        if not np.isnan(w):
            v = cash + shares @ p
            target = np.array([w, 1.0 - w]) * v
            legs = sorted(range(2), key=lambda k: target[k] - shares[k] * p[k])
            for k in legs:
                delta = target[k] / p[k] - shares[k]
                if delta < 0:
                    size = min(-delta, shares[k])
                    px = p[k] * (1 - slip[k])
                    cash += size * px * (1 - cost[k])
                    shares[k] -= size
                elif delta > 0:
                    px = p[k] * (1 + slip[k])
                    size = (
                        delta if delta * px * (1 + cost[k]) <= cash else cash / (1 + cost[k]) / px
                    )
                    cash -= size * px * (1 + cost[k])
                    shares[k] += size
                else:
                    continue
                if k == 0:
                    traded[t] += size * px / v
        value[t] = cash + shares @ p
    return value, traded


@pytest.fixture(scope="module")
def store() -> Store:
    return Store()


@pytest.fixture(scope="module")
def bh(store):
    return run_backtest("buy_and_hold", store=store)


@pytest.fixture(scope="module")
def costly(store):
    """qt_aware with a zero band (a trade almost every day at 50%) and high costs."""
    s = load_strategy("qt_aware").replace(
        **{"costs.fees": 0.001, "costs.slippage": 0.0005, "rebalance.band": 0.0}
    )
    return run_backtest(s, store=store)


def test_buy_and_hold_reproduces_the_index(bh, store) -> None:
    close = pd.Series(bh.inputs.close, index=bh.inputs.days)
    v = bh.value
    index_return = close.iloc[-1] / close.loc[v.index[0]] - 1
    # From the close of the one purchase on, the portfolio is the index.
    assert bh.metrics.total_return == pytest.approx(index_return, rel=1e-9)
    assert bh.metrics.n_rebalances == 1 and bh.metrics.exposure == pytest.approx(1.0)
    # Against the initial cash, the only difference is the one fee on the first buy.
    fee = bh.strategy.costs.fees
    assert v.iloc[-1] / INIT_CASH == pytest.approx((1 + index_return) / (1 + fee), rel=1e-9)
    # Strategy == benchmark for buy_and_hold.
    np.testing.assert_allclose(bh.value.to_numpy(), bh.benchmark_value.to_numpy(), rtol=1e-12)


def test_window_and_benchmark_align(costly) -> None:
    plan = costly.plan
    first_exec = plan.index[plan["order_weight"].notna().to_numpy()][0]
    assert costly.window_start == first_exec == costly.value.index[0]
    assert costly.benchmark_value.index.equals(costly.value.index)
    assert costly.metrics.start == costly.benchmark_metrics.start == first_exec
    assert costly.metrics.n_rebalances == int(plan["order_weight"].notna().sum()) > 500


def test_independent_oracle_agrees_with_vectorbt_on_real_data(costly) -> None:
    inp = costly.inputs
    ow = costly.plan["order_weight"].to_numpy()
    s = costly.strategy
    value, traded = portfolio_oracle(inp.close, inp.cash_price, ow, s.costs.fees, s.costs.slippage)
    first = int(np.flatnonzero(np.isfinite(ow))[0])
    oracle_tr = value[-1] / value[first] - 1
    assert costly.metrics.total_return == pytest.approx(oracle_tr, rel=1e-6)
    np.testing.assert_allclose(costly.value.to_numpy(), value[first:], rtol=1e-9)
    years = costly.metrics.years
    assert costly.metrics.turnover == pytest.approx(traded[first:].sum() / years, rel=1e-6)
    # The costs are real: the same weights without costs end higher.
    free, _ = portfolio_oracle(inp.close, inp.cash_price, ow, 0.0, 0.0)
    assert free[-1] > value[-1]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_independent_oracle_agrees_with_vectorbt_on_random_weights(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 400
    days = pd.bdate_range("2010-01-01", periods=n)
    close = 100 * np.cumprod(1 + rng.normal(0.0003, 0.015, n))
    cash = np.cumprod(1 + np.full(n, 0.0001))
    ow = np.where(rng.uniform(size=n) < 0.2, rng.choice([0.0, 0.25, 0.6, 1.0], n), np.nan)
    ow[0] = rng.uniform()
    fees, slip = rng.uniform(0, 0.003), rng.uniform(0, 0.002)
    pf = simulate(days, close, cash, ow, fees, slip)
    path = portfolio_path(pf, days, close, cash)
    value, traded = portfolio_oracle(close, cash, ow, fees, slip)
    np.testing.assert_allclose(path.value.to_numpy(), value, rtol=1e-9)
    np.testing.assert_allclose(path.trade_fraction.to_numpy(), traded, rtol=1e-9, atol=1e-15)
    held = path.index_weight.to_numpy()
    assert np.all((held >= -1e-12) & (held <= 1 + 1e-12))


def test_result_tables(costly) -> None:
    m = costly.metrics
    assert m.total_return == pytest.approx(costly.value.iloc[-1] / costly.value.iloc[0] - 1)
    assert 0.0 <= m.exposure <= 1.0 and m.max_drawdown <= 0.0
    br = costly.by_regime
    assert set(br["regime"]) == set(NAMES)  # every family of the registry
    for _, g in br.groupby("regime"):
        assert g["days"].sum() == m.n_returns
    ev = costly.events
    assert {"sp500_3m", "sp500_6m", "sp500_12m", "strategy_12m"} <= set(ev.columns)
    # The first cut of the 2024 cycle, dated on its announcement (FRED: effective 2024-09-19).
    first = ev[ev["kind"] == "first_cut"].set_index("date")
    assert "2024-09-18" in first.index and first.loc["2024-09-18", "fred_date"] == "2024-09-19"
    executed = costly.orders[costly.orders["status"] == "executed"]
    assert len(executed) == m.n_rebalances
    assert (executed["execution_date"] > executed["decision_date"]).all()
    assert costly.total_return_note and "SP500TR" in costly.total_return_note


def test_start_is_clamped_to_known_inputs(store) -> None:
    early = prepare("qt_aware", start="1995-01-01", store=store)
    assert early.days[0] == early.data_start
    assert early.start_note.startswith(f"start moved from 1995-01-01 to {early.data_start.date()}")
    assert "13 weeks of SOMA" in early.start_note
    assert (early.frame["balance_sheet_code"] != 0).all()
    late = prepare("qt_aware", start="2010-06-05", end="2012-01-01", store=store)  # a Saturday
    assert late.days[0] == pd.Timestamp("2010-06-07") and late.days[-1] <= pd.Timestamp(
        "2012-01-01"
    )
    with pytest.raises(ParameterError, match="after end"):
        prepare("qt_aware", start="2012-01-01", end="2011-01-01", store=store)
    # SP500TR, the default equity, ends 2026-08-21 (GSPC, the calendar, 2026-08-28); the
    # default end is 2026-07-20, the last day every input was fresh (DTB3 then goes stale)
    with pytest.raises(MissingDataError, match="fewer than two trading days"):
        prepare("qt_aware", start="2026-08-21", end="2026-08-21", store=store)
    with pytest.raises(MissingDataError, match="after 2026-07-20, the last day every input"):
        prepare("qt_aware", start="2026-08-21", store=store)
    with pytest.raises(MissingDataError, match=r"assets.equity = 'SP500TR': its prices end"):
        prepare("qt_aware", start="2026-08-28", store=store)


# ---------------------------------------------------------------- no look-ahead


def _probe_strategy():
    """note_thesis (all three regimes) plus an overlay: every input kind the pipeline has."""
    d = to_dict(load_strategy("note_thesis"))
    d["overlays"] = [{"feature": "y10_minus_y2", "slope": 0.1, "center": 0.5}]
    d["rebalance"] = {"frequency": "W", "band": 0.02}
    return parse_strategy(d, "test:lookahead_probe")


def _perturbed_dir(tmp: Path, cut: pd.Timestamp, mode: str) -> Path:
    """Copy the snapshot, then scale (or drop) every macro observation dated after ``cut``."""
    out = tmp / mode
    out.mkdir()
    for spec in MANIFEST.values():
        src = SNAPSHOT_DIR / spec.filename
        if not spec.in_snapshot or spec.source == "index" or not src.exists():
            continue
        frame = pd.read_csv(src, dtype=str, keep_default_na=False)
        date = pd.to_datetime(frame.iloc[:, 0])
        late = (date > cut).to_numpy()
        if mode == "drop":
            frame = frame[~late]
        else:
            # Shrink (x 0.73 + 0.11) rather than grow: every value stays inside the manifest's
            # sanity bounds, which every load checks (issue 12), e.g. TREAST x 1.37 > $7T.
            vals = pd.to_numeric(frame.iloc[:, 1], errors="coerce") * 0.73 + 0.11
            frame.iloc[late, 1] = [f"{v:.6f}" if np.isfinite(v) else "" for v in vals[late]]
        frame.to_csv(out / spec.filename, index=False)
    shutil.copy(SNAPSHOT_DIR / "GSPC.csv", out / "GSPC.csv")
    return out


def _decisions(strategy, store):
    inp = prepare(strategy, store=store)
    plan = plan_orders(
        inp.target,
        inp.decision,
        inp.ret_legs,
        inp.ret_cash,
        strategy.rebalance.band,
        strategy.execution_lag,
    )
    return inp, plan


@pytest.mark.parametrize("cut", ["2015-06-17", "2022-09-14"])
def test_data_after_a_date_never_changes_earlier_decisions(cut, tmp_path, store) -> None:
    s = _probe_strategy()
    cut_ts = pd.Timestamp(cut)
    base_inp, base = _decisions(s, store)
    upto = base.index <= cut_ts
    assert base.loc[upto, "order_weight"].notna().sum() > 5  # the probe trades before the cut
    for mode in ("scale", "drop"):
        other_store = Store(data_dir=_perturbed_dir(tmp_path, cut_ts, mode))
        inp, plan = _decisions(s, other_store)
        assert inp.days[0] == base_inp.days[0]
        a, b = base.loc[upto], plan.loc[plan.index <= cut_ts]
        assert a.index.equals(b.index)
        for col in ("target_weight", "order_weight", "drift"):
            np.testing.assert_array_equal(a[col].to_numpy(), b[col].to_numpy(), err_msg=col)
        np.testing.assert_array_equal(a["decision"].to_numpy(), b["decision"].to_numpy())
        for col in ("balance_sheet_code", "net_liquidity_code", "phase_code", "y10_minus_y2"):
            np.testing.assert_array_equal(
                base_inp.frame.loc[upto, col].to_numpy(),
                inp.frame.loc[inp.frame.index <= cut_ts, col].to_numpy(),
            )
        np.testing.assert_array_equal(base_inp.cash_price[upto], inp.cash_price[: upto.sum()])
        # ... and the perturbation did reach the data after the cut.
        after = base.index > cut_ts + pd.Timedelta(days=120)
        if mode == "scale":
            assert not np.array_equal(
                base_inp.frame.loc[after, "y10_minus_y2"].to_numpy(),
                inp.frame.loc[
                    inp.frame.index > cut_ts + pd.Timedelta(days=120), "y10_minus_y2"
                ].to_numpy(),
            )
