"""Signal export: formats, long/wide, --latest, and the round trip back into vectorbt."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from data.errors import ParameterError
from data.store import Store
from engine.backtest import portfolio_path, run_backtest, simulate
from engine.signals import (
    build_signals,
    executed_weights,
    export,
    input_features,
    latest,
    read_signals,
    to_long,
)
from strategies import load_strategy, parse_strategy, to_dict
from strategies.families import NAMES


@pytest.fixture(scope="module")
def store() -> Store:
    return Store()


@pytest.fixture(scope="module")
def strategy():
    # A wide band: decision days that do not trade, and trades that do.
    return load_strategy("note_thesis").replace(**{"rebalance.band": 0.1})


@pytest.fixture(scope="module")
def signals(strategy, store):
    return build_signals(strategy, store=store)


@pytest.fixture(scope="module")
def result(strategy, store, signals):
    # The export runs to the last decision; the backtest's default end is the last day every
    # input was fresh: ask for the export's end (it runs with a stale warning).
    return run_backtest(strategy, end=signals.inputs.days[-1], store=store)


def test_wide_table_content(signals, strategy) -> None:
    t = signals.table
    legs = ["SP500TR", "UST10Y", "CASH"]
    assert list(t.columns[:8]) == [
        "date",
        "decision_time",
        "execution_date",
        "status",
        *legs,
        "drift",
    ]
    assert {
        "balance_sheet",
        "balance_sheet_code",
        "phase",
        "phase_code",
        "net_liquidity_code",
        "cash_rate",
        *input_features(strategy),
    } <= set(t.columns)
    np.testing.assert_allclose(t[legs].sum(axis=1), 1.0)
    assert ((t[legs] >= 0) & (t[legs] <= 1)).all().all()
    assert (t["UST10Y"] <= 0.6).all() and (t["UST10Y"] > 0).any()  # its [allocation.bounds]
    assert set(t["status"]) <= {"none", "executed", "replaced", "pending"}
    assert (t["status"] == "executed").sum() > 10 and (t["status"] == "none").sum() > 10
    ex = t[t["status"] == "executed"]
    # Every row has its expected execution date, a hypothetical one when no order is placed.
    assert (ex["execution_date"] > ex["date"]).all() and t["execution_date"].notna().all()
    # The regime code column agrees with the value column.
    assert (t.loc[t["balance_sheet"] == "CONTRACTION", "balance_sheet_code"] == 3).all()


@pytest.mark.parametrize("fmt", ["csv", "parquet", "json"])
@pytest.mark.parametrize("long", [False, True])
def test_exported_weights_reproduce_the_backtest(fmt, long, signals, result, tmp_path) -> None:
    path = tmp_path / f"signals.{fmt}"
    assert export(signals, fmt, long=long, out=path) is None
    back = read_signals(path)
    days = result.inputs.days
    ow = executed_weights(back, days)
    s = result.strategy
    closes = result.inputs.closes
    pf = simulate(days, closes, result.inputs.cash_price, ow, s.leg_fees(), s.leg_slippage())
    value = portfolio_path(pf, days, closes, result.inputs.cash_price).value
    replay = value.loc[result.value.index]
    np.testing.assert_allclose(replay.to_numpy(), result.value.to_numpy(), rtol=1e-9)


def test_long_format(signals) -> None:
    wide = signals.table
    long = to_long(wide)
    assert list(long.columns[:3]) == ["date", "asset", "weight"]
    assert len(long) == 3 * len(wide)
    assert long["asset"].iloc[:3].tolist() == ["SP500TR", "UST10Y", "CASH"]
    sums = long.groupby("date")["weight"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0)


def test_csv_and_json_text(signals) -> None:
    text = export(signals, "csv")
    header = text.splitlines()[0].split(",")
    assert header[:7] == [
        "date",
        "decision_time",
        "execution_date",
        "status",
        "SP500TR",
        "UST10Y",
        "CASH",
    ]
    assert text.splitlines()[1].startswith(signals.table["date"].iloc[0].strftime("%Y-%m-%d"))
    doc = json.loads(export(signals, "json", long=True))
    assert doc["strategy"] == "note_thesis" and doc["form"] == "long"
    assert doc["signals"][0]["asset"] == "SP500TR" and len(doc["signals"]) == 3 * len(signals.table)
    assert [doc["signals"][i]["role"] for i in range(3)] == ["equity", "treasury", "cash"]
    assert doc["assets"]["SP500TR"]["role"] == "equity"
    assert doc["assets"]["UST10Y"]["role"] == "treasury"
    with pytest.raises(ParameterError, match="--out"):
        export(signals, "parquet")
    with pytest.raises(ParameterError, match="--format 'xlsx'"):
        export(signals, "xlsx")


def test_latest_decision(signals, strategy, store) -> None:
    doc = latest(signals, store=store)
    json.dumps(doc, allow_nan=False)
    last = signals.table.iloc[-1]
    assert doc["decision_date"] == last["date"].date().isoformat()
    assert doc["as_of"] == signals.inputs.days[-1].date().isoformat()
    assert doc["target_weight"]["SP500TR"] == pytest.approx(last["SP500TR"])
    assert doc["target_weight"]["UST10Y"] == pytest.approx(last["UST10Y"])
    assert sum(doc["target_weight"].values()) == pytest.approx(1.0)
    assert [(leg["role"], leg["asset"]) for leg in doc["legs"]] == [
        ("equity", "SP500TR"),
        ("treasury", "UST10Y"),
        ("cash", "CASH"),
    ]
    assert set(doc["regimes"]) == set(NAMES)  # every family of the registry
    assert set(doc["inputs"]) == set(input_features(strategy))
    series = doc["input_series"]
    assert {"TREAST", "WSHOMCB", "WALCL", "DGS10", "DFEDTARU", "SAHMREALTIME", "DTB3"} <= set(
        series
    )
    decision = pd.Timestamp(doc["decision_date"]) + pd.Timedelta(hours=16)
    for sid, info in series.items():
        # Every input was public at the decision, and its observation precedes it.
        assert pd.Timestamp(info["available_at"]) <= decision, sid
        assert pd.Timestamp(info["obs_date"]) <= pd.Timestamp(doc["decision_date"]), sid
        assert (
            info["age_days"]
            == (pd.Timestamp(doc["decision_date"]) - pd.Timestamp(info["obs_date"])).days
        )
    # The expected execution date, also for a hypothetical order (no order placed).
    assert pd.Timestamp(doc["execution_date"]) > pd.Timestamp(doc["decision_date"])


def test_latest_for_a_monthly_strategy_is_the_last_month_end(store) -> None:
    d = to_dict(load_strategy("qt_aware"))
    d["rebalance"]["frequency"] = "M"
    s = parse_strategy(d, "test:monthly")
    sig = build_signals(s, end="2024-01-19", store=store)
    doc = latest(sig, store=store)
    assert doc["decision_date"] == "2023-12-29"  # the last trading day of December 2023
    assert doc["regimes"]["balance_sheet"]["value"] == "CONTRACTION"
