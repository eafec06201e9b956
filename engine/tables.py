"""Result tables as formatted strings, shared by the CLI and the HTML report."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from engine.metric_registry import METRIC_SPECS

if TYPE_CHECKING:
    from engine.backtest import BacktestResult
    from engine.metrics import Metrics

METRIC_ROWS: tuple[tuple[str, str, str], ...] = tuple(
    (m.label, m.name, m.fmt) for m in METRIC_SPECS if m.table
)
"""Rows of the strategy-vs-benchmark table: (label, Metrics attribute, format), from the
metric registry (:mod:`engine.metric_registry`)."""


def fmt(value: object, kind: str) -> str:
    """Format one value: ``pct`` (1 decimal %), ``num`` (2 decimals), ``int``, ``date``."""
    if kind == "date":
        return "-" if value is None or value is pd.NaT else pd.Timestamp(value).date().isoformat()
    if value is None:
        return "-"
    if kind == "int":
        return str(int(value))  # type: ignore[call-overload]
    v = float(value)  # type: ignore[arg-type]
    if math.isnan(v):
        return "n/a"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:.1%}" if kind == "pct" else f"{v:.2f}"


def comparison_table(result: BacktestResult) -> pd.DataFrame:
    """Strategy vs benchmark, one row per metric, formatted strings."""
    m, b = result.metrics, result.benchmark_metrics
    name = result.strategy.name
    rows = [
        (label, fmt(getattr(m, attr), kind), fmt(getattr(b, attr), kind))
        for label, attr, kind in METRIC_ROWS
    ]
    return pd.DataFrame(rows, columns=["metric", name, "buy & hold S&P 500"]).set_index("metric")


def metrics_dict(m: Metrics) -> dict[str, object]:
    """Metrics as JSON-ready values (non-finite floats become None)."""
    out = m.as_dict()
    for k, v in out.items():
        if isinstance(v, float) and not math.isfinite(v):
            out[k] = None if math.isnan(v) else ("inf" if v > 0 else "-inf")
    return out


def regime_table(by_regime: pd.DataFrame) -> pd.DataFrame:
    """Returns by regime, formatted."""
    if by_regime.empty:
        return pd.DataFrame()
    out = pd.DataFrame(
        {
            "regime": by_regime["regime"],
            "value": by_regime["value"],
            "share of time": [fmt(v, "pct") for v in by_regime["share"]],
            "days": by_regime["days"].astype(int).astype(str),
        }
    )
    for name, label in (("strategy", "strategy"), ("benchmark", "S&P 500")):
        out[f"{label} ann. return"] = [fmt(v, "pct") for v in by_regime[f"{name}_ann_return"]]
        out[f"{label} vol"] = [fmt(v, "pct") for v in by_regime[f"{name}_volatility"]]
    return out.set_index(["regime", "value"])


def event_text_table(events: pd.DataFrame) -> pd.DataFrame:
    """Event table, formatted (returns as percentages)."""
    if events.empty:
        return pd.DataFrame()
    out = events[["date", "event"]].copy()
    for col in events.columns:
        if col.startswith(("sp500_", "strategy_")):
            label = col.replace("sp500_", "S&P ").replace("strategy_", "strat ")
            out[label] = [fmt(v, "pct") for v in events[col]]
    return out.set_index("date")


def to_text(frame: pd.DataFrame) -> str:
    """A plain-text rendering of a formatted table."""
    if frame.empty:
        return "(none)"
    return frame.to_string()
