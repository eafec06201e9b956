"""The export contract (issue 14 part 2): tickers, decision times, execution dates, exact
weights, metadata, ``--orders``, the JSON Schema, and replays of the exported files.

The replays read only the exported files and the legs' prices from the store (each asset's
price series, and the cash asset accruing the strategy's cash rate) and reproduce the
backtest's value series: vectorbt ``Portfolio.from_orders`` within 1e-9 (relative), and the
``bt`` library within its own arithmetic (commissions instead of slippage; measured
tolerance below). Strategy: note_thesis (SP500TR, UST10Y and cash), 2016-2020.
"""

from __future__ import annotations

import contextlib
import io
import json
import math

import bt
import jsonschema
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import vectorbt as vbt

from data.assets import asset_prices
from data.errors import ParameterError
from data.panel import trading_days
from data.store import Store
from engine.backtest import run_backtest
from engine.cash import cash_rate_asof
from engine.cli import main
from engine.export import SCHEMA_PATH, exact_weights, parse_tickers, spec_hash
from engine.signals import build_signals, export, latest, read_metadata, read_signals
from engine.window import cash_price
from strategies import load_strategy

START, END = "2016-01-04", "2020-12-31"
FORMS = {"wide": {}, "long": {"long": True}, "orders": {"orders": True}}
BT_RTOL = 5e-4
"""bt vs the backtest: bt sizes an order so that its value plus the commission spends the
target amount, vectorbt so that the position is worth the target; with 5 bp fees and 2 bp
slippage (charged as a commission) the value series drift apart over 2016-2020 (measured:
3.0e-4 relative at most); without costs they agree within 1e-12."""


@pytest.fixture(scope="module")
def store() -> Store:
    return Store()


@pytest.fixture(scope="module")
def strategy():
    return load_strategy("note_thesis")


@pytest.fixture(scope="module")
def signals(strategy, store):
    return build_signals(strategy, START, END, store=store)


@pytest.fixture(scope="module")
def result(strategy, store):
    return run_backtest(strategy, START, END, store=store)


@pytest.fixture(scope="module")
def files(signals, tmp_path_factory) -> dict[tuple[str, str], object]:
    d = tmp_path_factory.mktemp("export")
    out = {}
    for fmt in ("csv", "parquet", "json"):
        for form, kw in FORMS.items():
            p = d / f"{form}.{fmt}"
            assert export(signals, fmt, out=p, **kw) is None
            out[(fmt, form)] = p
    return out


def _prices(store: Store, meta: dict, days: pd.DatetimeIndex) -> tuple[pd.DataFrame, list]:
    """The legs' prices from the store (asset ids of the metadata) and the cash asset."""
    legs = [x for x in meta["legs"] if x["role"] != "cash"]
    px = pd.DataFrame({x["asset"]: asset_prices(store, x["asset"], days) for x in legs}, index=days)
    rate = load_strategy(meta["source"].removeprefix("builtin:")).cash_rate
    px["CASH"] = cash_price(days, rate, cash_rate_asof(store, days, rate)["value"].to_numpy())
    return px, legs


def _targets(table: pd.DataFrame, cols: list[str], days: pd.DatetimeIndex) -> pd.DataFrame:
    """Target weights at each execution date of the executed rows, NaN elsewhere."""
    ex = table[table["status"] == "executed"]
    size = pd.DataFrame(np.nan, index=days, columns=cols)
    size.loc[pd.DatetimeIndex(ex["execution_date"])] = ex[cols].to_numpy(dtype=np.float64)
    return size


@pytest.mark.parametrize("fmt", ["csv", "parquet", "json"])
@pytest.mark.parametrize("form", list(FORMS))
def test_vectorbt_replay_of_the_files_reproduces_the_backtest(
    fmt, form, files, result, store
) -> None:
    path = files[(fmt, form)]
    back, meta = read_signals(path), read_metadata(path)
    assert meta["form"] == ("long" if form == "long" else "wide")
    assert meta["orders"] == (form == "orders")
    days = trading_days(START, END, store=store)
    assert days.equals(result.inputs.days)
    px, legs = _prices(store, meta, days)
    cols = [*[x["asset"] for x in legs], "CASH"]
    if form == "orders":
        assert set(back["status"]) == {"executed"}
    pf = vbt.Portfolio.from_orders(
        px[cols],
        size=_targets(back, cols, days),
        size_type="targetpercent",
        direction="longonly",
        fees=np.array([[*(x["fees"] for x in legs), 0.0]]),
        slippage=np.array([[*(x["slippage"] for x in legs), 0.0]]),
        init_cash=1.0,
        cash_sharing=True,
        group_by=True,
        call_seq="auto",
        freq="1D",
    )
    value = pf.value().loc[result.value.index]
    np.testing.assert_allclose(value.to_numpy(), result.value.to_numpy(), rtol=1e-9, atol=0)


def _bt_value(back: pd.DataFrame, px: pd.DataFrame, legs: list, costs: bool) -> pd.Series:
    fee = {x["asset"]: (x["fees"], x["slippage"]) for x in legs}
    assert len(set(fee.values())) == 1  # one commission function for every leg
    f, s = next(iter(fee.values()))
    scale = 1e9  # CASH trades free: its price is scaled far above the legs' (returns unchanged)

    def commission(q: float, p: float) -> float:
        if not costs or p > scale / 10:
            return 0.0
        # vectorbt fills at p (1 +- s) and charges f on that: as a commission on q p.
        return abs(q) * p * ((1 + s) * (1 + f) - 1 if q > 0 else s + f - s * f)

    data = px.copy()
    data["CASH"] = data["CASH"] * scale
    cols = list(data.columns)
    ex = back[back["status"] == "executed"]
    weights = pd.DataFrame(ex[cols].to_numpy(), index=pd.DatetimeIndex(ex["execution_date"]))
    weights.columns = cols
    algo = bt.Strategy(
        "replay",
        [bt.algos.RunOnDate(*weights.index), bt.algos.WeighTarget(weights), bt.algos.Rebalance()],
    )
    test = bt.Backtest(
        algo,
        data,
        initial_capital=1.0,
        commissions=commission,
        integer_positions=False,
        progress_bar=False,
    )
    res = bt.run(test)
    return res.prices["replay"] / 100.0  # bt's index starts at 100


@pytest.mark.parametrize("costs", [False, True])
def test_bt_replay_of_the_orders_csv_reproduces_the_backtest(
    costs, files, result, strategy, store
) -> None:
    path = files[("csv", "orders")]
    back, meta = read_signals(path), read_metadata(path)
    days = trading_days(START, END, store=store)
    px, legs = _prices(store, meta, days)
    want = result
    if not costs:
        free = strategy.replace(**{"costs.fees": 0.0, "costs.slippage": 0.0})
        want = run_backtest(free, START, END, store=store)
        back = read_signals_from(build_signals(free, START, END, store=store))
    got = _bt_value(back, px, legs, costs).reindex(want.value.index)
    rtol = BT_RTOL if costs else 1e-12
    np.testing.assert_allclose(got.to_numpy(), want.value.to_numpy(), rtol=rtol, atol=0)


def read_signals_from(signals) -> pd.DataFrame:
    buf = io.StringIO(export(signals, "csv", orders=True))
    t = pd.read_csv(buf, float_precision="round_trip")
    t["execution_date"] = pd.to_datetime(t["execution_date"])
    return t


def test_weights_sum_to_exactly_one_in_every_file(files) -> None:
    for (fmt, form), path in files.items():
        back = read_signals(path)
        cols = ["SP500TR", "UST10Y", "CASH"]
        for row in back[cols].itertuples(index=False):
            vals = [float(x) for x in row]
            assert sum(vals) == 1.0 and math.fsum(vals) == 1.0, (fmt, form, vals)
    rng = np.random.default_rng(14)
    raw = rng.dirichlet([1.0, 1.0, 1.0], size=2000)[:, :2]
    raw[:5] = [[0.1, 0.7], [0.2, 0.0], [1 / 3, 1 / 3], [0.8, 0.19999999999999996], [0.0, 0.0]]
    legs, cash = exact_weights(raw)
    assert np.abs(legs - raw).max() <= 5e-13
    for a, b, c in zip(legs[:, 0], legs[:, 1], cash, strict=True):
        assert a + b + c == 1.0 and math.fsum([a, b, c]) == 1.0 and c >= 0


def test_decision_time_execution_date_and_tickers(signals, files) -> None:
    t = signals.table
    summer = t[t["date"] == pd.Timestamp("2019-07-01")].iloc[0]
    winter = t[t["date"] == pd.Timestamp("2019-12-02")].iloc[0]
    assert summer["decision_time"] == "2019-07-01T16:00:00-04:00"
    assert winter["decision_time"] == "2019-12-02T16:00:00-05:00"
    # Every row has its expected execution date (lag 1: the next trading day), order or not.
    assert t["execution_date"].notna().all() and (t["execution_date"] > t["date"]).all()
    assert (t["status"] == "none").sum() > 100
    assert winter["execution_date"] == pd.Timestamp("2019-12-03")
    long = read_signals(files[("csv", "long")])
    assert list(long.columns[:4]) == ["date", "decision_time", "execution_date", "status"]
    raw = pd.read_csv(files[("csv", "long")])
    assert raw["ticker"].iloc[:3].tolist() == ["SPY", "IEF", "BIL"]
    assert raw["role"].iloc[:3].tolist() == ["equity", "treasury", "cash"]


def test_metadata_in_parquet_sidecar_and_json(files, strategy) -> None:
    metas = {k: read_metadata(p) for k, p in files.items() if k[1] == "wide"}
    keys = ("schema", "strategy", "spec_sha256", "execution_lag", "band", "legs", "rebalance")
    base = metas[("parquet", "wide")]
    for meta in metas.values():
        assert {k: meta[k] for k in keys} == {k: base[k] for k in keys}
    assert base["spec_sha256"] == spec_hash(strategy) and len(base["spec_sha256"]) == 64
    assert spec_hash(strategy.replace(**{"rebalance.band": 0.1})) != base["spec_sha256"]
    assert (base["execution_lag"], base["band"]) == (1, 0.05)
    assert [(x["role"], x["asset"], x["ticker"]) for x in base["legs"]] == [
        ("equity", "SP500TR", "SPY"),
        ("treasury", "UST10Y", "IEF"),
        ("cash", "CASH", "BIL"),
    ]
    assert base["legs"][0]["fees"] == 0.0005 and base["legs"][0]["slippage"] == 0.0002
    raw = pq.read_schema(files[("parquet", "wide")]).metadata
    assert json.loads(raw[b"runoff"])["strategy"] == "note_thesis"
    side = json.loads(files[("csv", "wide")].with_name("wide.csv.json").read_text())
    assert side["file"] == "wide.csv" and side["columns"][:4] == [
        "date",
        "decision_time",
        "execution_date",
        "status",
    ]


def test_json_forms_validate_against_the_schema(files, signals, store) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema)
    for form in FORMS:
        v.validate(json.loads(files[("json", form)].read_text()))
    v.validate(latest(signals, store=store))
    doc = json.loads(files[("json", "long")].read_text())
    doc["signals"][0]["ticker"] = "spy"
    with pytest.raises(jsonschema.ValidationError):
        v.validate(doc)
    doc = json.loads(files[("json", "wide")].read_text())
    doc["signals"][0]["decision_time"] = "2016-01-04"
    with pytest.raises(jsonschema.ValidationError):
        v.validate(doc)


def test_ticker_overrides(signals) -> None:
    doc = json.loads(export(signals, "json", tickers="equity=VOO,cash=SGOV"))
    assert [x["ticker"] for x in doc["legs"]] == ["VOO", "IEF", "SGOV"]
    assert doc["assets"]["SP500TR"]["ticker"] == "VOO"
    roles = ("equity", "treasury")
    assert parse_tickers("treasury=BRK.B", roles) == {"treasury": "BRK.B"}
    for bad, needle in [
        ("bond=IEF", "unknown role 'bond'"),
        ("equity=voo", "'voo' is not a ticker"),
        ("equity", "expected role=TICKER"),
        ("equity=VOO,equity=SPY", "given twice"),
    ]:
        with pytest.raises(ParameterError, match=needle):
            parse_tickers(bad, roles)


def test_cli_orders_csv_writes_the_file_and_its_sidecar(tmp_path) -> None:
    out = tmp_path / "orders.csv"
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(
            [
                "signals",
                "note_thesis",
                "--format",
                "csv",
                "--orders",
                "--start",
                START,
                "--end",
                END,
                "--tickers",
                "equity=VOO",
                "--out",
                str(out),
            ]
        )
    t = pd.read_csv(out)
    assert code == 0 and f"wrote the {len(t)} orders of " in err.getvalue()
    assert set(t["status"]) == {"executed"} and len(t) > 10
    meta = json.loads((tmp_path / "orders.csv.json").read_text())
    assert meta["orders"] is True and meta["legs"][0]["ticker"] == "VOO"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["orders.csv", "orders.csv.json"]
