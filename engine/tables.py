"""Result tables as formatted strings, shared by the CLI and the HTML report."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from engine.metric_registry import ALL_SPECS, METRIC_SPECS

if TYPE_CHECKING:
    from engine.backtest import BacktestResult
    from engine.metrics import Metrics

METRIC_ROWS: tuple[tuple[str, str, str], ...] = tuple(
    (m.label, m.name, m.fmt) for m in METRIC_SPECS if m.table
)
"""Rows of the strategy-vs-benchmark table: (label, Metrics attribute, format), from the
metric registry (:mod:`engine.metric_registry`)."""


# (label, RelativeMetrics attribute, format): the strategy against its benchmark.
RELATIVE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("Alpha (per year, vs cash)", "alpha", "pct"),
    ("Beta", "beta", "num"),
    ("Information ratio", "information_ratio", "num"),
    ("Tracking error (per year)", "tracking_error", "pct"),
)


def fmt(value: object, kind: str) -> str:
    """Format one value: ``pct`` (1 decimal %), ``num`` (2 decimals), ``prob`` (a probability,
    3 decimals), ``int``, ``date``."""
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
    if kind == "prob":
        return f"{v:.3f}"
    return f"{v:.1%}" if kind == "pct" else f"{v:.2f}"


def fmt_metric(name: str, value: object) -> str:
    """Format ``value`` of a registered metric or guard (:data:`engine.metric_registry.ALL_SPECS`)
    as its spec says; a name the registry does not know is a plain number (``num``)."""
    spec = ALL_SPECS.get(name)
    return fmt(value, spec.fmt if spec is not None else "num")


def comparison_table(result: BacktestResult) -> pd.DataFrame:
    """Strategy vs benchmark, one row per metric, formatted strings."""
    m, b = result.metrics, result.benchmark_metrics
    name = result.strategy.name
    rows = [
        (label, fmt(getattr(m, attr), kind), fmt(getattr(b, attr), kind))
        for label, attr, kind in METRIC_ROWS
    ]
    rel = result.relative
    rows += [(label, fmt(getattr(rel, attr), kind), "-") for label, attr, kind in RELATIVE_ROWS]
    return pd.DataFrame(rows, columns=["metric", name, result.benchmark_label]).set_index("metric")


def relative_dict(result: BacktestResult) -> dict[str, object]:
    """Alpha, beta, information ratio, tracking error as JSON-ready values, with conventions."""
    out: dict[str, object] = {}
    for k, v in result.relative.as_dict().items():
        out[k] = v if not isinstance(v, float) or math.isfinite(v) else _nonfinite(v)
    out["conventions"] = (
        "daily returns over the window; excess = return - cash-leg return; alpha and beta: OLS "
        "of the strategy's excess on the benchmark's excess, alpha = 252 x daily intercept; "
        "active = strategy - benchmark return; tracking_error = std(active, ddof=1) x sqrt(252); "
        "information_ratio = mean(active) / std(active, ddof=1) x sqrt(252); fractions per year"
    )
    return out


def _nonfinite(v: float) -> object:
    return None if math.isnan(v) else ("inf" if v > 0 else "-inf")


def metrics_dict(m: Metrics) -> dict[str, object]:
    """Metrics as JSON-ready values (non-finite floats become None)."""
    out = m.as_dict()
    for k, v in out.items():
        if isinstance(v, float) and not math.isfinite(v):
            out[k] = _nonfinite(v)
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


def _recession_cell(row: pd.Series) -> str:
    if row.get("recession_driven") is None or pd.isna(row.get("recession_driven")):
        return ""
    sahm = row.get("sahm_realtime")
    tag = "yes" if bool(row["recession_driven"]) else "no"
    return tag if sahm is None or pd.isna(sahm) else f"{tag} (Sahm {float(sahm):.2f})"


PORTFOLIO_LABELS: tuple[tuple[str, str], ...] = (("strategy", "strategy"), ("benchmark", "S&P 500"))
"""(column prefix in the result, label in the tables)."""


def _ci(mean: float, low: float, high: float) -> str:
    if not math.isfinite(mean):
        return "n/a"
    if not (math.isfinite(low) and math.isfinite(high)):
        return f"{mean:+.1%} [n/a]"
    return f"{mean:+.1%} [{low:+.1%}, {high:+.1%}]"


def regime_stats_table(by_regime: pd.DataFrame) -> pd.DataFrame:
    """Mean excess return per regime value with its 90% interval and HAC t, formatted.

    Cells read ``+12.9% [+5.5%, +20.8%]``: the annualised mean excess return over cash
    (percent per year) and its bootstrap interval; ``t (HAC)`` tests this regime against the
    other days.
    """
    if by_regime.empty or "strategy_excess" not in by_regime:
        return pd.DataFrame()
    out = pd.DataFrame(
        {
            "regime": by_regime["regime"],
            "value": by_regime["value"],
            "days": by_regime["days"].astype(int).astype(str),
        }
    )
    for name, label in PORTFOLIO_LABELS:
        out[f"{label} excess/yr [90% CI]"] = [
            _ci(float(m), float(lo), float(hi))
            for m, lo, hi in zip(
                by_regime[f"{name}_excess"],
                by_regime[f"{name}_excess_ci_low"],
                by_regime[f"{name}_excess_ci_high"],
                strict=True,
            )
        ]
        out[f"{label} t (HAC)"] = [fmt(v, "num") for v in by_regime[f"{name}_hac_t"]]
    return out.set_index(["regime", "value"])


def regime_stats_caption(by_regime: pd.DataFrame) -> str:
    """One line on what the regime statistics are (lags and confidence from the result)."""
    from engine.regime_stats import BOOTSTRAP_REPS, CONFIDENCE

    lags = int(by_regime["hac_maxlags"].iloc[0]) if len(by_regime) else 0
    return (
        f"Regime statistics: mean excess return over cash per year (252 x daily mean), "
        f"{CONFIDENCE:.0%} interval from a stationary block bootstrap ({BOOTSTRAP_REPS} "
        f"resamples); t (HAC): this regime vs the other days, Newey-West with {lags} lags"
    )


def drawdown_text_table(periods: pd.DataFrame) -> pd.DataFrame:
    """Drawdown periods (:func:`engine.tearsheet.drawdown_periods`), formatted with units:
    depth in percent of the peak, lengths in trading days (peak to recovery, or to the last
    close when not recovered; peak to trough)."""
    if periods.empty:
        return pd.DataFrame()
    out = pd.DataFrame(
        {
            "depth": [fmt(v, "pct") for v in periods["depth"]],
            "peak": [fmt(v, "date") for v in periods["peak"]],
            "trough": [fmt(v, "date") for v in periods["trough"]],
            "recovered": [
                fmt(v, "date") if ok else "not yet"
                for v, ok in zip(periods["recovery"], periods["recovered"], strict=True)
            ],
            "length (days)": [f"{int(v):,}" for v in periods["length_days"]],
            "to trough (days)": [f"{int(v):,}" for v in periods["to_trough_days"]],
        },
        index=pd.RangeIndex(1, len(periods) + 1, name="rank"),
    )
    return out


def event_text_table(events: pd.DataFrame, dated: bool = False) -> pd.DataFrame:
    """Event table, formatted (returns as percentages).

    Cuts get a ``recession-driven`` cell: the phase kernel's tag on the first day it knew the
    cut (``CUTTING_RECESSION`` = yes) with the real-time Sahm rule then (percentage points).
    ``dated`` adds whether each date is an announcement or an implementation (a start date).
    """
    if events.empty:
        return pd.DataFrame()
    out = events[["date", "event"]].copy()
    if dated and "dated" in events:
        out["dated"] = events["dated"].to_numpy()
    if "recession_driven" in events:
        out["recession-driven"] = [_recession_cell(r) for _, r in events.iterrows()]
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
