"""The HTML report: one self-contained, offline file (plotly.js inline) and an optional PNG.

Charts: equity vs benchmark (log scale) with regime shading, drawdowns and weights over time
(the main chart, also the PNG); the balance sheet and net liquidity; yields vs the policy range.
Tables: strategy vs benchmark, returns by regime, the event table and the orders.
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from data.errors import RunoffError
from data.paths import atomic_write_text
from engine.backtest import PRICE_INDEX_NOTE, REGIME_NAMES
from engine.tables import comparison_table, event_text_table, regime_table
from strategies.families import FAMILIES

if TYPE_CHECKING:
    from engine.backtest import BacktestResult

REGIME_COLORS: dict[str, str] = {
    "EXPANSION": "#2ca02c",
    "PLATEAU": "#bcbd22",
    "CONTRACTION": "#d62728",
    "UP": "#2ca02c",
    "FLAT": "#bcbd22",
    "DOWN": "#d62728",
    "NEUTRAL": "#7f7f7f",
    "HIKING": "#d62728",
    "HOLD": "#ff7f0e",
    "FIRST_HALF": "#bcbd22",
    "CUTTING": "#1f77b4",
    "CUTTING_RECESSION": "#9467bd",
    "UNKNOWN": "#ffffff",
}
"""Shading colour per regime value (UNKNOWN is not shaded); values of other families of the
registry take :data:`PALETTE` colours by their code (:func:`regime_color`)."""

PALETTE = ("#2ca02c", "#d62728", "#9467bd", "#bcbd22", "#1f77b4", "#ff7f0e", "#8c564b")


def regime_color(value: str) -> str:
    """The shading colour of a regime value of any family."""
    if value in REGIME_COLORS:
        return REGIME_COLORS[value]
    for fam in FAMILIES:
        if value in fam.enum.__members__:
            return PALETTE[(fam.code(value) - 1) % len(PALETTE)]
    return "#cccccc"


SHADE_OPACITY = 0.15
STRATEGY_COLOR = "#1f77b4"
BENCHMARK_COLOR = "#444444"


def shading_regime(result: BacktestResult) -> str:
    """The regime the main chart shades: the first one the strategy uses (else balance_sheet)."""
    used = result.strategy.uses()
    for name in REGIME_NAMES:
        if name in used:
            return name
    return "balance_sheet"


def regime_spans(labels: pd.Series) -> list[tuple[pd.Timestamp, pd.Timestamp, str]]:
    """Consecutive runs of one label: (first day, first day of the next run or last day, label)."""
    if len(labels) == 0:
        return []
    v = labels.astype(str).to_numpy()
    change = np.flatnonzero(v[1:] != v[:-1]) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [len(v) - 1]])
    return [(labels.index[s], labels.index[e], v[s]) for s, e in zip(starts, ends, strict=True)]


def _shapes(labels: pd.Series, yref: str, xref: str) -> list[dict[str, Any]]:
    out = []
    for x0, x1, value in regime_spans(labels):
        if value == "UNKNOWN":
            continue
        out.append(
            dict(
                type="rect",
                xref=xref,
                yref=yref,
                x0=x0,
                x1=x1,
                y0=0,
                y1=1,
                fillcolor=regime_color(value),
                opacity=SHADE_OPACITY,
                line=dict(width=0),
                layer="below",
            )
        )
    return out


def _legend_swatches(fig: Any, labels: pd.Series, regime: str) -> None:
    import plotly.graph_objects as go

    for value in dict.fromkeys(labels.astype(str)):
        if value == "UNKNOWN":
            continue
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=f"{regime}: {value}",
                marker=dict(size=12, symbol="square", color=regime_color(value), opacity=0.5),
                legendgroup="regimes",
                hoverinfo="skip",
            ),
            row=1,
            col=1,
        )


def main_figure(result: BacktestResult) -> Any:
    """Equity vs benchmark (log) with regime shading, drawdowns, weights: a plotly Figure."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    s = result.strategy
    v, b = result.value, result.benchmark_value
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.04,
        row_heights=[0.55, 0.2, 0.25],
        subplot_titles=("Growth of 1 (log scale)", "Drawdown", "Index weight"),
    )
    fig.add_trace(
        go.Scatter(
            x=v.index, y=v / v.iloc[0], name=s.name, line=dict(width=1.6, color=STRATEGY_COLOR)
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=b.index,
            y=b / b.iloc[0],
            name="buy & hold S&P 500",
            line=dict(width=1.2, color=BENCHMARK_COLOR),
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=v.index,
            y=v / v.cummax() - 1,
            name=f"{s.name} drawdown",
            line=dict(width=1, color=STRATEGY_COLOR),
            fill="tozeroy",
            fillcolor="rgba(31,119,180,0.25)",
        ),
        row=2,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=b.index,
            y=b / b.cummax() - 1,
            name="S&P 500 drawdown",
            line=dict(width=1, color=BENCHMARK_COLOR),
        ),
        row=2,
        col=1,
    )
    w = result.weights
    fig.add_trace(
        go.Scatter(
            x=w.index,
            y=w["target_weight"],
            name="target weight",
            line=dict(width=1, shape="hv", dash="dot", color="#ff7f0e"),
        ),
        row=3,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=w.index,
            y=w["index_weight"],
            name="held weight (end of day)",
            line=dict(width=1.2, color=STRATEGY_COLOR),
        ),
        row=3,
        col=1,
    )
    regime = shading_regime(result)
    labels = result.regimes[regime]
    _legend_swatches(fig, labels, regime)
    fig.update_layout(shapes=_shapes(labels, "y domain", "x"))
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_yaxes(tickformat=".0%", row=2, col=1)
    fig.update_yaxes(tickformat=".0%", range=[-0.02, 1.02], row=3, col=1)
    fig.update_layout(
        title=f"{s.name} vs buy & hold ({PRICE_INDEX_NOTE}); shading: {regime}",
        height=900,
        template="plotly_white",
        hovermode="x unified",
        legend=dict(orientation="h", y=-0.08),
    )
    return fig


def _frame_window(result: BacktestResult) -> pd.DataFrame:
    f = result.inputs.frame
    return f.loc[f.index >= result.window_start]


def balance_sheet_figure(result: BacktestResult) -> Any:
    """Fed balance sheet, SOMA, net liquidity, reserves, ON RRP ($bn) and growth, shaded."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    f = _frame_window(result)
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.06,
        row_heights=[0.65, 0.35],
        subplot_titles=(
            "Balance sheet and net liquidity ($bn)",
            "Balance-sheet growth (annualised)",
        ),
    )
    for col, label in (
        ("total_assets_bn", "total assets (WALCL)"),
        ("soma_bn", "SOMA"),
        ("net_liquidity_bn", "net liquidity"),
        ("reserves_bn", "reserves"),
        ("on_rrp_bn", "ON RRP"),
        ("btfp_bn", "BTFP"),
    ):
        if col in f and np.isfinite(f[col].to_numpy(dtype=np.float64)).any():
            fig.add_trace(
                go.Scatter(x=f.index, y=f[col], name=label, line=dict(width=1.2)), row=1, col=1
            )
    if "bs_growth" in f:
        fig.add_trace(
            go.Scatter(x=f.index, y=f["bs_growth"], name="growth", line=dict(width=1.2)),
            row=2,
            col=1,
        )
    fig.update_yaxes(tickformat=".0%", row=2, col=1)
    fig.update_layout(
        shapes=_shapes(result.regimes["balance_sheet"], "y domain", "x"),
        title="Balance sheet (shading: balance_sheet regime)",
        height=650,
        template="plotly_white",
        hovermode="x unified",
    )
    return fig


def yields_figure(result: BacktestResult) -> Any:
    """10y and 2y yields against the policy range, shaded by the phase."""
    import plotly.graph_objects as go

    f = _frame_window(result)
    fig = go.Figure()
    if "policy_upper" in f and "policy_lower" in f:
        fig.add_trace(
            go.Scatter(
                x=f.index,
                y=f["policy_upper"],
                name="policy range (upper)",
                line=dict(width=0.8, color="#555", shape="hv"),
            )
        )
        fig.add_trace(
            go.Scatter(
                x=f.index,
                y=f["policy_lower"],
                name="policy range (lower)",
                line=dict(width=0.8, color="#555", shape="hv"),
                fill="tonexty",
                fillcolor="rgba(80,80,80,0.25)",
            )
        )
    for col, label in (("y10", "10y yield"), ("y2", "2y yield"), ("tbill", "3m T-bill")):
        if col in f:
            fig.add_trace(go.Scatter(x=f.index, y=f[col], name=label, line=dict(width=1.2)))
    fig.update_layout(
        shapes=_shapes(result.regimes["phase"], "paper", "x"),
        title="Yields vs the policy range, percent (shading: phase)",
        height=500,
        template="plotly_white",
        hovermode="x unified",
    )
    return fig


def _table_html(frame: pd.DataFrame, caption: str) -> str:
    if frame.empty:
        return f"<h2>{html.escape(caption)}</h2><p>(none)</p>"
    return f"<h2>{html.escape(caption)}</h2>" + frame.to_html(
        classes="tbl", border=0, escape=True, na_rep="-"
    )


def _orders_html(result: BacktestResult, last: int = 60) -> str:
    o = result.orders.copy()
    n = len(o)
    o = o.tail(last)
    for c in ("decision_date", "execution_date"):
        o[c] = pd.to_datetime(o[c]).dt.date.astype(str)
    for c in ("target_weight", "drift"):
        o[c] = [f"{x:.3f}" if np.isfinite(x) else "-" for x in o[c]]
    o = o.drop(columns=["size", "price"]).rename(columns={"fees": "fees paid"})
    o["fees paid"] = [f"{x:.6f}" if np.isfinite(x) else "-" for x in o["fees paid"]]
    cap = f"Orders (last {min(last, n)} of {n})"
    return _table_html(o.set_index("decision_date"), cap)


def report_html(result: BacktestResult) -> str:
    """The whole report as one HTML document (plotly.js inline: works offline)."""
    s = result.strategy
    figs = [main_figure(result), balance_sheet_figure(result), yields_figure(result)]
    divs = [
        fig.to_html(
            full_html=False,
            include_plotlyjs=(i == 0),
            config={"displaylogo": False, "responsive": True},
        )
        for i, fig in enumerate(figs)
    ]
    m = result.metrics
    notes = [
        result.start_note,
        f"Window: {m.start.date()} to {m.end.date()} ({m.years:.1f} years, "
        f"{m.n_returns} daily returns), from the close of the first execution day.",
        f"Index: {PRICE_INDEX_NOTE}. Cash: {s.cash_rate} accrual (ACT/360).",
        f"Costs on the index leg: fees {s.costs.fees:.4%}, slippage {s.costs.slippage:.4%}; "
        f"rebalance {s.rebalance.frequency}, band {s.rebalance.band:g}, execution lag "
        f"{s.execution_lag} trading day(s).",
    ]
    if result.replaced_note:
        notes.append(result.replaced_note)
    if result.total_return_note:
        notes.append(result.total_return_note)
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Runoff report: {html.escape(s.name)}</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:24px;max-width:1300px}"
        ".tbl{border-collapse:collapse;font-size:13px;margin-bottom:16px}"
        ".tbl td,.tbl th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:right}"
        ".tbl th{background:#f4f4f4}.note{color:#444;font-size:14px;margin:2px 0}</style>",
        "</head><body>",
        f"<h1>Runoff: {html.escape(s.name)}</h1>",
        f"<p>{html.escape(s.description)}</p>",
        f"<p class='note'>Source: {html.escape(s.source)}</p>",
        *[f"<p class='note'>{html.escape(n)}</p>" for n in notes],
        _table_html(comparison_table(result), "Strategy vs benchmark"),
        *divs[:1],
        _table_html(
            regime_table(result.by_regime),
            "Returns by regime (return of day t attributed to the regime at t-1)",
        ),
        *divs[1:],
        _table_html(
            event_text_table(result.events),
            "Events: returns 3/6/12 months after (from the close before the date)",
        ),
        _orders_html(result),
        "</body></html>",
    ]
    return "\n".join(parts)


def write_report(result: BacktestResult, path: str | Path) -> Path:
    """Write the HTML report to ``path`` (atomically) and return the path."""
    p = Path(path)
    atomic_write_text(p, report_html(result))
    p.chmod(0o644)  # the atomic temp file is private; a report is meant to be shared
    return p


def write_png(
    result: BacktestResult, path: str | Path, width: int = 1400, height: int = 900
) -> Path:
    """Write the main chart as a PNG via kaleido; one clear RunoffError if it cannot.

    kaleido 1.x drives a Chrome/Chromium (Debian: ``apt-get install chromium``).
    """
    try:
        import kaleido  # noqa: F401
    except ImportError:
        raise RunoffError("--png needs the kaleido package: pip install 'runoff[png]'") from None
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    try:
        main_figure(result).write_image(str(p), format="png", width=width, height=height)
    except Exception as exc:  # kaleido / browser failures come in many types
        text = str(exc).strip()
        first = text.splitlines()[0] if text else type(exc).__name__
        browser = shutil.which("chromium") or shutil.which("google-chrome")
        hint = "" if browser else " (no Chrome/Chromium found: apt-get install chromium)"
        raise RunoffError(f"--png: kaleido could not render {p}{hint}: {first}") from None
    return p
