"""Signal export for portfolio tools: target weights per decision day, with regimes and inputs.

Requires: a strategy and the point-in-time store (no vectorbt: the order plan alone says what
to hold).
Produces: one row per decision day of the backtest window (wide: ``GSPC`` and ``CASH`` weight
columns; long: one row per date and asset), with the order status and execution date, the
regime values and codes, and the input values the strategy used, as known at the decision.
Lag: an order decided at the close of ``date`` executes at the close of ``execution_date``
(``execution_lag`` trading days later). Feeding the rows with status ``executed`` back into
:func:`engine.backtest.simulate` on their execution dates reproduces the backtest.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from data.errors import ParameterError
from data.release import business_day
from data.store import Store
from engine.backtest import CASH_ASSET, REGIME_NAMES, BacktestInputs, prepare
from engine.cash import NO_CASH_RATE
from engine.features import FEATURE_SERIES
from strategies.families import family

if TYPE_CHECKING:
    from strategies import Strategy

INDEX_ASSET = "GSPC"
ASSETS: tuple[str, str] = (INDEX_ASSET, CASH_ASSET)
FORMATS: tuple[str, ...] = ("csv", "parquet", "json")


def regime_inputs(strategy: Strategy) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Regime the strategy uses -> (feature columns it reads, published series behind them),
    as its family declares them (:attr:`strategies.families.Family.reads`)."""
    out: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for name in strategy.families():
        fam = family(name)
        out[name] = fam.reads(strategy.regimes.of(fam))
    return out


def input_features(strategy: Strategy) -> list[str]:
    """Feature columns the strategy's regimes and overlays read, in a stable order."""
    cols: list[str] = []
    for feats, _ in regime_inputs(strategy).values():
        cols += [f for f in feats if f not in cols]
    for o in strategy.overlays:
        if o.feature not in cols:
            cols.append(o.feature)
    return cols


def input_series(strategy: Strategy) -> list[str]:
    """Published series behind the inputs (plus the cash rate), in a stable order."""
    ids: list[str] = []
    for _, series in regime_inputs(strategy).values():
        ids += [s for s in series if s not in ids]
    for o in strategy.overlays:
        ids += [s for s in FEATURE_SERIES.get(o.feature, ()) if s not in ids]
    if strategy.cash_rate != NO_CASH_RATE and strategy.cash_rate not in ids:
        ids.append(strategy.cash_rate)
    return ids


@dataclass(frozen=True)
class Signals:
    """Decisions of a strategy on its backtest days.

    Attributes
    ----------
    inputs : the prepared backtest inputs.
    plan : the order plan per backtest day (see :func:`engine.allocation.plan_orders`).
    table : wide table, one row per decision day (see :func:`signal_table`).
    """

    inputs: BacktestInputs
    plan: pd.DataFrame
    table: pd.DataFrame

    @property
    def strategy(self) -> Strategy:
        return self.inputs.strategy


def _execution_dates(days: pd.DatetimeIndex, rows: np.ndarray, lag: int) -> pd.DatetimeIndex:
    bday = business_day()
    out = []
    for i in rows:
        j = i + lag
        out.append(days[j] if j < len(days) else days[-1] + (j - len(days) + 1) * bday)
    return pd.DatetimeIndex(out)


def signal_table(inputs: BacktestInputs, plan: pd.DataFrame) -> pd.DataFrame:
    """Wide signal table: one row per decision day.

    Columns: ``date`` (decision day), ``execution_date`` (when an order placed that day
    executes; beyond the data, the business day ``execution_lag`` days on), ``status`` (none /
    executed / replaced / pending), ``GSPC`` and ``CASH`` (target weights), ``drift`` (index
    weight drifted since the last execution, at the decision), the regime values and codes,
    the strategy's input features, and ``cash_rate`` (percent, as known).
    """
    s = inputs.strategy
    days = inputs.days
    rows = np.flatnonzero(plan["decision"].to_numpy() & plan["target_weight"].notna().to_numpy())
    w = plan["target_weight"].to_numpy()[rows]
    f = inputs.frame.iloc[rows]
    out = pd.DataFrame(
        {
            "date": days[rows],
            "execution_date": _execution_dates(days, rows, s.execution_lag),
            "status": plan["status"].astype(str).to_numpy()[rows],
            INDEX_ASSET: w,
            CASH_ASSET: 1.0 - w,
            "drift": plan["drift"].to_numpy()[rows],
        }
    )
    out.loc[out["status"] == "none", "execution_date"] = pd.NaT
    for name in REGIME_NAMES:
        out[name] = f[name].astype(str).to_numpy()
        out[f"{name}_code"] = f[f"{name}_code"].to_numpy().astype(np.int64)
    for col in input_features(s):
        out[col] = f[col].to_numpy(dtype=np.float64)
    out["cash_rate"] = inputs.cash_rate["value"].to_numpy()[rows]
    return out.reset_index(drop=True)


def build_signals(
    strategy: Strategy | str,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    *,
    store: Store | None = None,
) -> Signals:
    """Prepare the strategy, run the order plan and tabulate its decisions."""
    inputs = prepare(strategy, start, end, store=store)
    plan = inputs.plan()
    return Signals(inputs=inputs, plan=plan, table=signal_table(inputs, plan))


def to_long(wide: pd.DataFrame) -> pd.DataFrame:
    """Long format: one row per (date, asset) with ``weight``; other columns repeated."""
    rest = [c for c in wide.columns if c not in ASSETS and c != "date"]
    parts = []
    for asset in ASSETS:
        part = wide[["date", *rest]].copy()
        part.insert(1, "asset", asset)
        part.insert(2, "weight", wide[asset].to_numpy())
        parts.append(part)
    long = pd.concat(parts, ignore_index=True)
    order = pd.Categorical(long["asset"], categories=list(ASSETS), ordered=True)
    long = long.assign(_a=order).sort_values(["date", "_a"], kind="stable").drop(columns="_a")
    return long.reset_index(drop=True)


def _jsonable(v: Any) -> Any:
    if isinstance(v, pd.Timestamp):
        return None if v is pd.NaT else v.date().isoformat()
    if v is pd.NaT or v is None:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (dates ISO, NaN/NaT as null)."""
    cols = list(frame.columns)
    out = []
    for row in frame.itertuples(index=False, name=None):
        out.append(
            {
                c: _jsonable(pd.Timestamp(v) if isinstance(v, np.datetime64) else v)
                for c, v in zip(cols, row, strict=True)
            }
        )
    return out


def export(
    signals: Signals, fmt: str, *, long: bool = False, out: str | Path | None = None
) -> str | None:
    """Write the signal table as csv / parquet / json.

    Parameters
    ----------
    signals : from :func:`build_signals`.
    fmt : ``csv``, ``parquet`` or ``json``.
    long : one row per (date, asset) instead of one row per date.
    out : output path; None returns the text (csv / json only).

    Returns
    -------
    The text when ``out`` is None, else None.
    """
    if fmt not in FORMATS:
        raise ParameterError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    table = to_long(signals.table) if long else signals.table
    if fmt == "parquet":
        if out is None:
            raise ParameterError("--format parquet writes a binary file: give --out PATH")
        p = Path(out)
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(f".{p.name}.tmp")
        table.to_parquet(tmp, index=False)
        tmp.replace(p)
        return None
    if fmt == "csv":
        buf = io.StringIO()
        table.to_csv(
            buf, index=False, date_format="%Y-%m-%d", float_format="%.10g", lineterminator="\n"
        )
        text = buf.getvalue()
    else:
        s = signals.strategy
        doc = {
            "strategy": s.name,
            "source": s.source,
            "assets": {
                INDEX_ASSET: "S&P 500 price index",
                CASH_ASSET: f"cash accruing {s.cash_rate}",
            },
            "execution_lag": s.execution_lag,
            "format": "long" if long else "wide",
            "signals": records(table),
        }
        text = json.dumps(doc, indent=1, allow_nan=False) + "\n"
    if out is None:
        return text
    from data.paths import atomic_write_text

    atomic_write_text(Path(out), text)
    return None


def read_signals(path: str | Path) -> pd.DataFrame:
    """Read a wide or long export (csv, parquet or json) back into a wide DataFrame."""
    p = Path(path)
    if p.suffix == ".parquet":
        t = pd.read_parquet(p)
    elif p.suffix == ".json":
        t = pd.DataFrame(json.loads(p.read_text(encoding="utf-8"))["signals"])
    else:
        t = pd.read_csv(p)
    for c in ("date", "execution_date"):
        t[c] = pd.to_datetime(t[c])
    if "asset" in t:
        w = t.pivot_table(index="date", columns="asset", values="weight", aggfunc="first")
        rest = t[t["asset"] == INDEX_ASSET].drop(columns=["asset", "weight"]).set_index("date")
        t = rest.join(w[list(ASSETS)]).reset_index()
    return t


def executed_weights(table: pd.DataFrame, days: pd.DatetimeIndex) -> np.ndarray:
    """Index target percent per day of ``days`` from a wide table's executed orders (NaN: none)."""
    ex = table[table["status"] == "executed"]
    ow = np.full(len(days), np.nan)
    pos = days.get_indexer(pd.DatetimeIndex(ex["execution_date"]))
    if (pos < 0).any():
        raise ParameterError("signal table has execution dates outside the given days")
    ow[pos] = ex[INDEX_ASSET].to_numpy(dtype=np.float64)
    return ow


def latest(signals: Signals, *, store: Store | None = None) -> dict[str, Any]:
    """The most recent decision as a JSON-ready dict.

    Keys: ``strategy``, ``source``, ``as_of`` (last trading day of the data),
    ``decision_date``, ``execution_date``, ``order`` (whether the decision places an order:
    first trade, or the target is more than the band away from the drifted weight),
    ``status``, ``target_weight`` ({GSPC, CASH}), ``drifted_weight``, ``band``, ``regimes``
    ({name: {value, code}}), ``inputs`` ({feature: value}), ``cash_rate`` and
    ``input_series`` ({series: {value, obs_date, age_days, available_at}}: the newest
    observation known at the decision and its age in calendar days).
    """
    t = signals.table
    if t.empty:
        raise ParameterError("no decision day in the window; choose a longer window")
    row = t.iloc[-1]
    s = signals.strategy
    store = store or Store()
    day = pd.DatetimeIndex([row["date"]])
    series = {}
    for sid in input_series(s):
        if not store.has(sid):
            continue
        a = store.asof(sid, day).iloc[0]
        series[sid] = {
            "value": _jsonable(a["value"]),
            "obs_date": _jsonable(a["obs_date"]),
            "age_days": None if pd.isna(a["obs_date"]) else int((day[0] - a["obs_date"]).days),
            "available_at": None
            if pd.isna(a["available_at"])
            else pd.Timestamp(a["available_at"]).isoformat(),
        }
    status = str(row["status"])
    return {
        "strategy": s.name,
        "source": s.source,
        "as_of": signals.inputs.days[-1].date().isoformat(),
        "decision_date": row["date"].date().isoformat(),
        "execution_date": (
            None if status == "none" else pd.Timestamp(row["execution_date"]).date().isoformat()
        ),
        "order": status != "none",
        "status": status,
        "target_weight": {INDEX_ASSET: float(row[INDEX_ASSET]), CASH_ASSET: float(row[CASH_ASSET])},
        "drifted_weight": _jsonable(float(row["drift"])),
        "band": s.rebalance.band,
        "execution_lag": s.execution_lag,
        "regimes": {n: {"value": str(row[n]), "code": int(row[f"{n}_code"])} for n in REGIME_NAMES},
        "inputs": {c: _jsonable(float(row[c])) for c in input_features(s)},
        "cash_rate": {"series": s.cash_rate, "value": _jsonable(float(row["cash_rate"]))},
        "input_series": series,
    }
