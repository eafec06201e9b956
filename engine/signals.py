"""Signal export for portfolio tools: target weights per decision day, with regimes and inputs.

Requires: a strategy and the point-in-time store (no vectorbt: the order plan alone says what
to hold).
Produces: one row per decision day of the window, to the last decision (wide: one
target-weight column per risky leg, named by its asset id in leg order, then ``CASH``, the
residual, so each row sums to exactly 1.0; long: one row per date and asset with its
``role`` and ``ticker``; ``--orders``: only the rows where an order executes), with the
decision time (16:00 America/New_York), the expected execution date, the order status, the
regime values and codes, and the input values the strategy used, as known at the decision.
The contract's metadata (tickers, lag, costs per leg, band, spec hash: :mod:`engine.export`)
goes into parquet key-value metadata, a CSV's ``.json`` sidecar and the JSON forms.
Lag: an order decided at the close of ``date`` executes at the close of ``execution_date``
(``execution_lag`` trading days later). Feeding the rows with status ``executed`` back into
vectorbt on their execution dates reproduces the backtest; replaying every wide row on its
decision date does not (it trades daily, a day early).
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
from data.paths import atomic_write, atomic_write_text
from data.release import business_day
from data.store import Store
from engine.allocation import leg_columns
from engine.backtest import CASH_ASSET, REGIME_NAMES, BacktestInputs, prepare
from engine.cash import cash_rate_series
from engine.export import (
    METADATA_KEY,
    decision_times,
    exact_weights,
    leg_tickers,
    metadata,
    parse_tickers,
)
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

    Columns: ``date`` (decision day), ``decision_time`` (its 16:00 America/New_York close as
    an ISO timestamp with the offset), ``execution_date`` (when an order placed that day
    executes, on every row: a hypothetical order's date when none is placed; beyond the data,
    the business day ``execution_lag`` days on), ``status`` (none / executed / replaced /
    pending), one target-weight column per risky leg (its asset id, in leg order, rounded to
    :data:`engine.export.DECIMALS` decimals) and ``CASH`` (the residual: each row sums to
    exactly 1.0), ``drift`` (total risky weight drifted since the last execution, at the
    decision), the regime values and codes, the strategy's input features, and ``cash_rate``
    (percent, as known).
    """
    s = inputs.strategy
    days = inputs.days
    rows = np.flatnonzero(plan["decision"].to_numpy() & plan["target_weight"].notna().to_numpy())
    targets = leg_columns(plan, "target_weight")
    cols: dict[str, Any] = {
        "date": days[rows],
        "decision_time": decision_times(days[rows]),
        "execution_date": _execution_dates(days, rows, s.execution_lag),
        "status": plan["status"].astype(str).to_numpy()[rows],
    }
    legs, cash = exact_weights(targets.to_numpy(dtype=np.float64)[rows])
    for j, leg in enumerate(targets.columns):
        cols[leg] = legs[:, j]
    cols[CASH_ASSET] = cash
    cols["drift"] = plan["drift"].to_numpy()[rows]
    f = inputs.frame.iloc[rows]
    out = pd.DataFrame(cols)
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


def to_long(
    wide: pd.DataFrame,
    roles: dict[str, str] | None = None,
    tickers: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Long format: one row per (date, asset) with ``weight`` (and ``role`` when ``roles``,
    asset id -> role, is given, ``cash`` for CASH; and ``ticker`` when ``tickers``, asset id
    -> ticker, is given); other columns repeated."""
    assets = [*asset_columns(wide), CASH_ASSET]
    rest = [c for c in wide.columns if c not in assets and c != "date"]
    parts = []
    for asset in assets:
        part = wide[["date", *rest]].copy()
        part.insert(1, "asset", asset)
        part.insert(2, "weight", wide[asset].to_numpy())
        if roles is not None:
            part.insert(3, "role", roles.get(asset, "cash"))
        if tickers is not None:
            part.insert(3 + (roles is not None), "ticker", tickers[asset])
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


def orders_only(table: pd.DataFrame) -> pd.DataFrame:
    """The rows of a wide table where an order executes (``status == "executed"``): the
    form that replays safely, each row's weights at its ``execution_date``."""
    return table[table["status"] == "executed"].reset_index(drop=True)


def export(
    signals: Signals,
    fmt: str,
    *,
    long: bool = False,
    orders: bool = False,
    tickers: str | dict[str, str] | None = None,
    out: str | Path | None = None,
) -> str | None:
    """Write the signal table as csv / parquet / json, with the contract's metadata.

    Parameters
    ----------
    signals : from :func:`build_signals`.
    fmt : ``csv``, ``parquet`` or ``json``.
    long : one row per (date, asset) instead of one row per date (adds ``role`` and
        ``ticker``).
    orders : only the rows where an order executes (:func:`orders_only`).
    tickers : ``--tickers`` text (``role=TICKER,...``) or {role: ticker}: overrides of the
        registry's tradable tickers (:func:`engine.export.leg_tickers`).
    out : output path; None returns the text (csv / json only). Parquet files carry the
        metadata (:func:`engine.export.metadata`) under the key ``runoff``; a CSV file gets a
        ``<out>.json`` sidecar with it; the JSON forms hold it at the top level. Every file is
        written atomically.

    Returns
    -------
    The text when ``out`` is None, else None.
    """
    if fmt not in FORMATS:
        raise ParameterError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    s = signals.strategy
    specs = signals.inputs.legs.specs
    over = parse_tickers(tickers, s.roles()) if isinstance(tickers, str) else tickers
    by_role = leg_tickers(s.roles(), specs, over)
    by_asset = {a.id: by_role[r] for r, a in zip(s.roles(), specs, strict=True)}
    by_asset[CASH_ASSET] = by_role["cash"]
    meta = metadata(s, specs, by_role, form="long" if long else "wide", orders=orders)
    table = orders_only(signals.table) if orders else signals.table
    if long:
        table = to_long(table, _roles(signals), by_asset)
    if fmt == "parquet":
        if out is None:
            raise ParameterError("--format parquet writes a binary file: give --out PATH")
        import pyarrow as pa
        import pyarrow.parquet as pq

        t = pa.Table.from_pandas(table, preserve_index=False)
        t = t.replace_schema_metadata(
            {**(t.schema.metadata or {}), METADATA_KEY: json.dumps(meta).encode("utf-8")}
        )
        atomic_write(out, lambda tmp: pq.write_table(t, tmp))
        return None

    if fmt == "csv":
        buf = io.StringIO()
        # No float_format: every float is written as its shortest round-trip repr, so the
        # weights read back (float_precision="round_trip") are the same bits and sum to 1.0.
        table.to_csv(buf, index=False, date_format="%Y-%m-%d", lineterminator="\n")
        text = buf.getvalue()
        if out is not None:
            side = {**meta, "file": Path(out).name, "columns": list(table.columns)}
            atomic_write_text(sidecar_path(out), json.dumps(side, indent=1) + "\n")
    else:
        doc = {
            **meta,
            "assets": _assets_doc(signals, by_asset),
            "signals": records(table),
        }
        text = json.dumps(doc, indent=1, allow_nan=False) + "\n"
    if out is None:
        return text
    atomic_write_text(Path(out), text)
    return None


def sidecar_path(out: str | Path) -> Path:
    """The metadata sidecar of a CSV export: ``<out>.json`` (``qt.csv`` -> ``qt.csv.json``)."""
    p = Path(out)
    return p.with_name(p.name + ".json")


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The contract's metadata of an export: parquet key-value metadata, a CSV's sidecar, or
    the top level of a JSON form (without its ``signals`` and ``assets``)."""
    p = Path(path)
    if p.suffix == ".parquet":
        import pyarrow.parquet as pq

        raw = pq.read_schema(p).metadata or {}
        return dict(json.loads(raw[METADATA_KEY]))
    if p.suffix == ".json":
        doc = json.loads(p.read_text(encoding="utf-8"))
        return {k: v for k, v in doc.items() if k not in ("signals", "assets")}
    return dict(json.loads(sidecar_path(p).read_text(encoding="utf-8")))


def _assets_doc(
    signals: Signals, tickers: dict[str, str] | None = None
) -> dict[str, dict[str, str]]:
    """Asset id -> {role, title, ticker} for each leg, then CASH."""
    s = signals.strategy
    by_asset = tickers or _default_tickers(signals)
    out = {
        a.id: {"role": role, "title": a.title, "ticker": by_asset[a.id]}
        for role, a in zip(s.roles(), signals.inputs.legs.specs, strict=True)
    }
    out[CASH_ASSET] = {
        "role": "cash",
        "title": f"cash accruing {s.cash_rate} (the remainder)",
        "ticker": by_asset[CASH_ASSET],
    }
    return out


def _default_tickers(signals: Signals) -> dict[str, str]:
    """Asset id -> the registry's tradable ticker, CASH -> BIL."""
    s = signals.strategy
    specs = signals.inputs.legs.specs
    by_role = leg_tickers(s.roles(), specs)
    out = {a.id: by_role[r] for r, a in zip(s.roles(), specs, strict=True)}
    out[CASH_ASSET] = by_role["cash"]
    return out


def read_signals(path: str | Path) -> pd.DataFrame:
    """Read a wide or long export (csv, parquet or json; ``--orders`` or every decision) back
    into a wide DataFrame (CSV floats parsed round-trip: the written bits)."""
    p = Path(path)
    if p.suffix == ".parquet":
        t = pd.read_parquet(p)
    elif p.suffix == ".json":
        t = pd.DataFrame(json.loads(p.read_text(encoding="utf-8"))["signals"])
    else:
        t = pd.read_csv(p, float_precision="round_trip")
    for c in ("date", "execution_date"):
        t[c] = pd.to_datetime(t[c])
    if "asset" in t:
        assets = list(dict.fromkeys(t["asset"]))  # leg order, then CASH
        w = t.pivot_table(index="date", columns="asset", values="weight", aggfunc="first")
        drop = [c for c in ("asset", "weight", "role", "ticker") if c in t]
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


def latest(
    signals: Signals, *, store: Store | None = None, tickers: dict[str, str] | None = None
) -> dict[str, Any]:
    """The most recent decision as a JSON-ready dict.

    Keys: ``strategy``, ``source``, ``as_of`` (last trading day of the data),
    ``decision_date``, ``decision_time`` (16:00 ET with the offset), ``execution_date`` (the
    expected one, also for a hypothetical order), ``order`` (whether the decision places an order:
    first trade, or the largest drift of any leg from its target is beyond the band),
    ``status``, ``target_weight`` ({asset id: weight} for every leg, then CASH), ``legs``
    ([{role, asset, ticker, title, weight}] in leg order, then cash), ``drifted_weight`` (the total
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
    by_asset = _default_tickers(signals)
    if tickers:
        roles = _roles(signals)
        by_asset = {a: tickers.get(roles.get(a, "cash"), t) for a, t in by_asset.items()}
    assets = _assets_doc(signals, by_asset)
    ids = [*asset_columns(t), CASH_ASSET]
    return {
        "strategy": s.name,
        "source": s.source,
        "as_of": signals.inputs.days[-1].date().isoformat(),
        "decision_date": row["date"].date().isoformat(),
        "decision_time": row["decision_time"],
        # The expected execution date, also when no order is placed (a hypothetical order).
        "execution_date": pd.Timestamp(row["execution_date"]).date().isoformat(),
        "order": status != "none",
        "status": status,
        "target_weight": {a: float(row[a]) for a in ids},
        "legs": [
            {
                "role": assets[a]["role"],
                "asset": a,
                "ticker": assets[a]["ticker"],
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
