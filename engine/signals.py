"""Signal export for portfolio tools: target weights per decision day, with regimes and inputs.

Requires: a strategy and the point-in-time store (no vectorbt: the order plan alone says what
to hold).
Produces: one row per decision day of the backtest window (wide: one target-weight column per
risky leg, named by its asset id in leg order, then ``CASH``, the remainder; long: one row per
date and asset with its ``role``), with the order status and execution date, the regime values
and codes, and the input values the strategy used, as known at the decision. The JSON export
and ``--latest`` map each asset id to its role and title.
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
from engine.allocation import leg_columns
from engine.backtest import CASH_ASSET, REGIME_NAMES, BacktestInputs, prepare
from engine.cash import cash_rate_series
from engine.features import FEATURE_SERIES
from strategies.families import family

if TYPE_CHECKING:
    from strategies import Strategy

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
    """Published series behind the inputs (plus the series the cash rate reads: both parts of
    a splice), in a stable order."""
    ids: list[str] = []
    for _, series in regime_inputs(strategy).values():
        ids += [s for s in series if s not in ids]
    for o in strategy.overlays:
        ids += [s for s in FEATURE_SERIES.get(o.feature, ()) if s not in ids]
    ids += [s for s in cash_rate_series(strategy.cash_rate) if s not in ids]
    return ids


def asset_columns(table: pd.DataFrame) -> list[str]:
    """The risky legs' weight columns of a wide table: those between ``status`` and
    ``CASH``, in leg order."""
    cols = list(table.columns)
    return cols[cols.index("status") + 1 : cols.index(CASH_ASSET)]


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
    executed / replaced / pending), one target-weight column per risky leg (its asset id, in
    leg order) and ``CASH`` (the remainder), ``drift`` (total risky weight drifted since the
    last execution, at the decision), the regime values and codes, the strategy's input
    features, and ``cash_rate`` (percent, as known).
    """
    s = inputs.strategy
    days = inputs.days
    rows = np.flatnonzero(plan["decision"].to_numpy() & plan["target_weight"].notna().to_numpy())
    targets = leg_columns(plan, "target_weight")
    cols: dict[str, Any] = {
        "date": days[rows],
        "execution_date": _execution_dates(days, rows, s.execution_lag),
        "status": plan["status"].astype(str).to_numpy()[rows],
    }
    for leg in targets.columns:
        cols[leg] = targets[leg].to_numpy()[rows]
    cols[CASH_ASSET] = 1.0 - plan["target_weight"].to_numpy()[rows]
    cols["drift"] = plan["drift"].to_numpy()[rows]
    f = inputs.frame.iloc[rows]
    out = pd.DataFrame(cols)
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
    # The export runs to the last decision and flags stale inputs (--latest, --fail-on-stale)
    # rather than ending where the backtest's default window does.
    inputs = prepare(strategy, start, end, store=store, stale_end=False)
    plan = inputs.plan()
    return Signals(inputs=inputs, plan=plan, table=signal_table(inputs, plan))


def to_long(wide: pd.DataFrame, roles: dict[str, str] | None = None) -> pd.DataFrame:
    """Long format: one row per (date, asset) with ``weight`` (and ``role`` when ``roles``,
    asset id -> role, is given; ``cash`` for CASH); other columns repeated."""
    assets = [*asset_columns(wide), CASH_ASSET]
    rest = [c for c in wide.columns if c not in assets and c != "date"]
    parts = []
    for asset in assets:
        part = wide[["date", *rest]].copy()
        part.insert(1, "asset", asset)
        part.insert(2, "weight", wide[asset].to_numpy())
        if roles is not None:
            part.insert(3, "role", roles.get(asset, "cash"))
        parts.append(part)
    long = pd.concat(parts, ignore_index=True)
    order = pd.Categorical(long["asset"], categories=assets, ordered=True)
    long = long.assign(_a=order).sort_values(["date", "_a"], kind="stable").drop(columns="_a")
    return long.reset_index(drop=True)


def _roles(signals: Signals) -> dict[str, str]:
    """Asset id -> role, for the legs of a signal table."""
    return dict(zip(signals.inputs.labels, signals.strategy.roles(), strict=True))


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
    table = to_long(signals.table, _roles(signals)) if long else signals.table
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
            "assets": _assets_doc(signals),
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


def _assets_doc(signals: Signals) -> dict[str, dict[str, str]]:
    """Asset id -> {role, title} for each leg, then CASH."""
    s = signals.strategy
    out = {
        a.id: {"role": role, "title": a.title}
        for role, a in zip(s.roles(), signals.inputs.legs.specs, strict=True)
    }
    out[CASH_ASSET] = {"role": "cash", "title": f"cash accruing {s.cash_rate} (the remainder)"}
    return out


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
        assets = list(dict.fromkeys(t["asset"]))  # leg order, then CASH
        w = t.pivot_table(index="date", columns="asset", values="weight", aggfunc="first")
        drop = [c for c in ("asset", "weight", "role") if c in t]
        rest = t[t["asset"] == assets[0]].drop(columns=drop).set_index("date")
        status = list(rest.columns).index("status") + 1
        t = rest.iloc[:, :status].join(w[assets]).join(rest.iloc[:, status:]).reset_index()
    return t


def executed_weights(table: pd.DataFrame, days: pd.DatetimeIndex) -> np.ndarray:
    """Target percent of each leg per day of ``days`` from a wide table's executed orders:
    array of shape (n_days, n_legs), NaN rows where nothing executes."""
    legs = asset_columns(table)
    ex = table[table["status"] == "executed"]
    ow = np.full((len(days), len(legs)), np.nan)
    pos = days.get_indexer(pd.DatetimeIndex(ex["execution_date"]))
    if (pos < 0).any():
        raise ParameterError("signal table has execution dates outside the given days")
    ow[pos] = ex[legs].to_numpy(dtype=np.float64)
    return ow


def latest(signals: Signals, *, store: Store | None = None) -> dict[str, Any]:
    """The most recent decision as a JSON-ready dict.

    Keys: ``strategy``, ``source``, ``as_of`` (last trading day of the data),
    ``decision_date``, ``execution_date``, ``order`` (whether the decision places an order:
    first trade, or the largest drift of any leg from its target is beyond the band),
    ``status``, ``target_weight`` ({asset id: weight} for every leg, then CASH), ``legs``
    ([{role, asset, title, weight}] in leg order, then cash), ``drifted_weight`` (the total
    risky weight), ``band``, ``regimes`` ({name: {value, code}}), ``inputs`` ({feature:
    value}), ``cash_rate`` ({series, reads, value}) and ``input_series`` ({series: {value,
    obs_date, age_days, available_at}}: the newest observation known at the decision and its
    age in calendar days).
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
    assets = _assets_doc(signals)
    ids = [*asset_columns(t), CASH_ASSET]
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
        "target_weight": {a: float(row[a]) for a in ids},
        "legs": [
            {
                "role": assets[a]["role"],
                "asset": a,
                "title": assets[a]["title"],
                "weight": float(row[a]),
            }
            for a in ids
        ],
        "drifted_weight": _jsonable(float(row["drift"])),
        "band": s.rebalance.band,
        "execution_lag": s.execution_lag,
        "regimes": {n: {"value": str(row[n]), "code": int(row[f"{n}_code"])} for n in REGIME_NAMES},
        "inputs": {c: _jsonable(float(row[c])) for c in input_features(s)},
        "cash_rate": {
            "series": s.cash_rate,
            "reads": list(cash_rate_series(s.cash_rate)),
            "value": _jsonable(float(row["cash_rate"])),
        },
        "input_series": series,
    }
