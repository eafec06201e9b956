"""The HTML report: a tear sheet in one self-contained, offline file (plotly.js inline), and a PNG.

Strategy beside its benchmark (buy and hold of the same index over the same window):
key numbers (CAGR, Sharpe, drawdown, alpha, beta, information ratio, tracking error), the
comparison table and the five worst drawdowns of each; growth of $1 on a log axis with regime
shading and its legend, the underwater chart and a stacked weight panel per leg; monthly returns
heatmaps, yearly returns, the distribution of monthly returns, rolling 12-month Sharpe and
volatility; per regime value the mean excess return with its bootstrap interval and HAC t; the
balance sheet and yields charts (each shading with its legend); the event and order tables.
The figures come from :mod:`engine.tearsheet_figures` (numbers from :mod:`engine.tearsheet`).
"""

from __future__ import annotations

import html
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from data.errors import RunoffError
from data.paths import atomic_write_bytes, atomic_write_text
from engine.backtest import REGIME_NAMES
from engine.tables import (
    comparison_table,
    drawdown_text_table,
    event_text_table,
    fmt,
    regime_stats_caption,
    regime_stats_table,
    regime_table,
)
from engine.tearsheet import drawdown_periods
from engine.tearsheet_figures import (
    BENCHMARK_COLOR,
    STRATEGY_COLOR,
    add_weight_stack,
    base_layout,
    distribution_figure,
    log_ticks,
    money,
    monthly_heatmap_figure,
    regime_stats_figure,
    rolling_figure,
    yearly_figure,
)
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


def _legend_swatches(fig: Any, labels: pd.Series, regime: str, subplot: bool = True) -> None:
    """One legend entry per shaded value of ``regime`` (a square of its shading colour)."""
    import plotly.graph_objects as go

    where = dict(row=1, col=1) if subplot else {}
    for value in _shaded_values(labels, regime):
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="markers",
                name=f"{regime}: {value}",
                marker=dict(size=12, symbol="square", color=regime_color(value), opacity=0.5),
                legendgroup="regimes",
                legendgrouptitle_text=f"Shading: {regime}",
                hoverinfo="skip",
            ),
            **where,
        )


def _shaded_values(labels: pd.Series, regime: str) -> list[str]:
    """The values of ``labels`` that are shaded (not UNKNOWN), in the regime enum's order."""
    from strategies.families import REGIME_ENUMS

    present = set(labels.astype(str)) - {"UNKNOWN"}
    enum = REGIME_ENUMS.get(regime)
    order = [m.value for m in enum] if enum is not None else []
    return [v for v in order if v in present] + sorted(present - set(order))


def main_figure(result: BacktestResult) -> Any:
    """Growth of $1 (log, regime shading), underwater chart and stacked weights: a Figure."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    s = result.strategy
    v, b = result.value, result.benchmark_value
    gv, gb = v / v.iloc[0], b / b.iloc[0]
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.06,
        row_heights=[0.55, 0.2, 0.25],
        subplot_titles=(
            "Growth of $1 (log scale)",
            "Underwater: drawdown from the running peak (%)",
            "Weights per leg (% of the portfolio, end of day)",
        ),
    )
    for who, g, color, width in (
        (s.name, gv, STRATEGY_COLOR, 1.6),
        (result.benchmark_label, gb, BENCHMARK_COLOR, 1.2),
    ):
        fig.add_trace(
            go.Scatter(
                x=g.index,
                y=g,
                name=who,
                line=dict(width=width, color=color),
                legendgroup="growth",
                legendgrouptitle_text="Growth of $1",
                hovertemplate=f"{who}: $%{{y:.2f}}<extra></extra>",
            ),
            row=1,
            col=1,
        )
    for who, val, color, fill in (
        (s.name, v, STRATEGY_COLOR, "rgba(31,119,180,0.25)"),
        ("benchmark", b, BENCHMARK_COLOR, None),
    ):
        fig.add_trace(
            go.Scatter(
                x=val.index,
                y=val / val.cummax() - 1,
                name=f"{who} drawdown",
                line=dict(width=1, color=color),
                fill="tozeroy" if fill else None,
                fillcolor=fill,
                legendgroup="drawdown",
                legendgrouptitle_text="Underwater",
                hovertemplate=f"{who} drawdown %{{y:.1%}}<extra></extra>",
            ),
            row=2,
            col=1,
        )
    titles = {a.id: f"{a.id}: {a.title}" for a in result.inputs.legs.specs}
    add_weight_stack(fig, result.leg_weights, result.leg_targets, row=3, labels=titles)
    regime = shading_regime(result)
    labels = result.regimes[regime]
    _legend_swatches(fig, labels, regime)
    fig.update_layout(shapes=_shapes(labels, "y domain", "x"))
    low = float(min(gv.min(), gb.min()))
    high = float(max(gv.max(), gb.max()))
    ticks = log_ticks(low, high)
    fig.update_yaxes(
        type="log",
        tickvals=ticks,
        ticktext=[money(t) for t in ticks],
        title_text="value of $1",
        row=1,
        col=1,
    )
    fig.update_yaxes(tickformat=".0%", title_text="drawdown", row=2, col=1)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.0001], title_text="weight", row=3, col=1)
    return base_layout(
        fig,
        f"{s.name} vs {result.benchmark_label}: growth, drawdowns, weights",
        height=660,
        hovermode="x unified",
        legend=dict(x=1.01, y=1.0, xanchor="left", yanchor="top", tracegroupgap=14),
        margin=dict(l=70, r=20, t=70, b=40),
    )


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
            "Balance-sheet growth (% per year, annualised)",
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
    fig.update_yaxes(title_text="$bn", tickprefix="$", tickformat=",.0f", row=1, col=1)
    fig.update_yaxes(tickformat=".0%", title_text="growth per year", row=2, col=1)
    _legend_swatches(fig, result.regimes["balance_sheet"], "balance_sheet")
    fig.update_layout(shapes=_shapes(result.regimes["balance_sheet"], "y domain", "x"))
    return base_layout(
        fig,
        "Balance sheet and net liquidity ($bn; shading: balance_sheet regime)",
        height=600,
        hovermode="x unified",
        legend=dict(x=1.01, y=1.0, xanchor="left", yanchor="top", tracegroupgap=14),
    )


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
    _legend_swatches(fig, result.regimes["phase"], "phase", subplot=False)
    fig.update_yaxes(title_text="percent", ticksuffix="%")
    fig.update_layout(shapes=_shapes(result.regimes["phase"], "y domain", "x"))
    return base_layout(
        fig,
        "Yields vs the policy range (%; shading: phase)",
        height=460,
        hovermode="x unified",
        legend=dict(x=1.01, y=1.0, xanchor="left", yanchor="top", tracegroupgap=14),
    )


def _table_html(
    frame: pd.DataFrame, caption: str, note: str | None = None, css: str = "tbl"
) -> str:
    head = f"<h2>{html.escape(caption)}</h2>"
    if note:
        head += f"<p class='note'>{html.escape(note)}</p>"
    if frame.empty:
        return head + "<p>(none)</p>"
    return (
        head
        + "<div class='scroll'>"
        + frame.to_html(classes=css, border=0, escape=True, na_rep="-", index_names=False)
        + "</div>"
    )


def _orders_html(result: BacktestResult, last: int = 60) -> str:
    o = result.orders.copy()
    n = len(o)
    o = o.tail(last)
    for c in ("decision_date", "execution_date"):
        o[c] = pd.to_datetime(o[c]).dt.date.astype(str)
    for c in ("target_weight", "drift"):
        o[c] = [fmt(x, "pct") for x in o[c]]
    for c in [c for c in o.columns if c.startswith("target:")]:
        o[c] = [fmt(x, "pct") for x in o[c]]
    o["traded"] = [f"{x:.6f}" if np.isfinite(x) else "-" for x in o["traded"]]
    o = o.rename(
        columns={
            "traded": "value traded ($ per $1 initial)",
            "fees": "fees paid ($ per $1 initial)",
            "target_weight": "target weight",
            "drift": "weight at decision",
        }
    )
    fee_col = "fees paid ($ per $1 initial)"
    o[fee_col] = [f"{x:.6f}" if np.isfinite(x) else "-" for x in o[fee_col]]
    cap = f"Orders (last {min(last, n)} of {n})"
    return _table_html(o.set_index("decision_date"), cap)


def _kpi(label: str, value: str, sub: str) -> str:
    return (
        f"<div class='kpi'><div class='l'>{html.escape(label)}</div>"
        f"<div class='v'>{html.escape(value)}</div><div class='b'>{html.escape(sub)}</div></div>"
    )


def _kpis_html(result: BacktestResult) -> str:
    m, b, r = result.metrics, result.benchmark_metrics, result.relative
    cards = [
        _kpi("CAGR (per year)", fmt(m.cagr, "pct"), f"benchmark {fmt(b.cagr, 'pct')}"),
        _kpi("Sharpe (vs T-bill)", fmt(m.sharpe, "num"), f"benchmark {fmt(b.sharpe, 'num')}"),
        _kpi(
            "Volatility (per year)",
            fmt(m.volatility, "pct"),
            f"benchmark {fmt(b.volatility, 'pct')}",
        ),
        _kpi("Max drawdown", fmt(m.max_drawdown, "pct"), f"benchmark {fmt(b.max_drawdown, 'pct')}"),
        _kpi("Alpha (per year)", fmt(r.alpha, "pct"), "vs the benchmark, excess over cash"),
        _kpi("Beta", fmt(r.beta, "num"), "vs the benchmark, excess over cash"),
        _kpi("Information ratio", fmt(r.information_ratio, "num"), "active return / TE"),
        _kpi("Tracking error", fmt(r.tracking_error, "pct"), "per year, vs the benchmark"),
    ]
    return "<section class='kpis'>" + "".join(cards) + "</section>"


CSS = (
    ":root{--ink:#1d2733;--muted:#5b6675;--line:#e3e7ec;--bg:#f5f7f9}"
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--ink);"
    "margin:0;background:var(--bg)}"
    "main{max-width:1280px;margin:0 auto;padding:18px 22px}"
    "h1{font-size:22px;margin:0 0 6px}h2{font-size:15px;margin:4px 0 8px}"
    ".desc{font-size:14px;margin:0 0 8px;max-width:1100px}"
    ".note{color:var(--muted);font-size:12.5px;margin:2px 0}"
    ".warn{color:#9a3412;background:#fff7ed;border-left:3px solid #ea580c;padding:4px 8px;"
    "font-size:13px;margin:6px 0}"
    ".kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:10px;"
    "margin:14px 0}"
    ".kpi{background:#fff;border:1px solid var(--line);border-radius:6px;padding:8px 12px}"
    ".kpi .l,.kpi .b{font-size:12px;color:var(--muted)}.kpi .v{font-size:20px;font-weight:600}"
    ".card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:10px 14px;"
    "margin:12px 0}"
    ".grid2{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:12px}"
    ".grid2>.card{margin:0}"
    "@media (max-width:1000px){.grid2{grid-template-columns:minmax(0,1fr)}}"
    ".scroll{overflow-x:auto}"
    ".tbl{border-collapse:collapse;font-size:12.5px;margin-bottom:8px}"
    ".tbl td,.tbl th{padding:3px 9px;border-bottom:1px solid var(--line);text-align:right;"
    "white-space:nowrap}"
    ".tbl thead th{background:#eef2f6;font-weight:600}.tbl tbody th{text-align:left}"
    ".tbl.first-left td:first-of-type{text-align:left}"
)


def _card(*parts: str) -> str:
    return "<div class='card'>" + "".join(parts) + "</div>"


def report_html(result: BacktestResult) -> str:
    """The whole report as one HTML document (plotly.js inline: works offline)."""
    s = result.strategy
    v, b = result.value, result.benchmark_value
    cash = result.inputs.ret_cash[-len(v) :]
    bench = result.benchmark_label
    figs = {
        "main": main_figure(result),
        "monthly": monthly_heatmap_figure(v, b, s.name, bench),
        "yearly": yearly_figure(v, b, s.name, bench),
        "distribution": distribution_figure(v, b, s.name, bench),
        "rolling": rolling_figure(v, b, cash, s.name, bench),
        "regimes": regime_stats_figure(result.by_regime, s.name, bench),
        "balance_sheet": balance_sheet_figure(result),
        "yields": yields_figure(result),
    }
    div = {
        key: fig.to_html(
            full_html=False,
            include_plotlyjs=(i == 0),
            config={"displaylogo": False, "responsive": True},
        )
        for i, (key, fig) in enumerate(figs.items())
    }
    m = result.metrics
    notes = [
        result.start_note,
        *([result.end_note] if result.end_note else []),
        f"Window: {m.start.date()} to {m.end.date()} ({m.years:.1f} years, "
        f"{m.n_returns} daily returns), from the close of the first execution day.",
        f"Legs: {result.legs_text()}. Benchmark: {bench}, from the same close.",
        f"{result.costs_text()} (execution lag in trading days).",
        "Alpha and beta: OLS of the strategy's daily excess return over cash on the "
        "benchmark's; alpha and tracking error per year (x252, x sqrt 252).",
    ]
    if result.replaced_note:
        notes.append(result.replaced_note)
    if result.total_return_note:
        notes.append(result.total_return_note)
    dd_s = drawdown_text_table(drawdown_periods(v))
    dd_b = drawdown_text_table(drawdown_periods(b))
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>Runoff report: {html.escape(s.name)}</title>",
        f"<style>{CSS}</style>",
        "</head><body><main>",
        f"<h1>Runoff tear sheet: {html.escape(s.name)} vs {html.escape(bench)}</h1>",
        f"<p class='desc'>{html.escape(s.description)}</p>",
        f"<p class='note'>Source: {html.escape(s.source)}</p>",
        *[f"<p class='note'>{html.escape(n)}</p>" for n in notes],
        *(
            [f"<p class='warn'>Warning: {html.escape(result.stale_warning)}</p>"]
            if result.stale_warning
            else []
        ),
        _kpis_html(result),
        "<div class='grid2'>",
        _card(_table_html(comparison_table(result), "Strategy vs benchmark")),
        _card(
            _table_html(
                dd_s,
                f"Five worst drawdowns: {s.name}",
                "Depth from the peak close; lengths in trading days (peak to recovery, or to "
                "the last close when not recovered).",
            ),
            _table_html(dd_b, f"Five worst drawdowns: {bench}"),
        ),
        "</div>",
        _card(div["main"]),
        _card(div["monthly"]),
        "<div class='grid2'>",
        _card(div["yearly"]),
        _card(div["distribution"]),
        "</div>",
        _card(div["rolling"]),
        _card(
            div["regimes"],
            _table_html(
                regime_stats_table(result.by_regime),
                "Regime statistics",
                regime_stats_caption(result.by_regime).removeprefix("Regime statistics: ")
                + "; the return of day t belongs to the regime at the close of t-1.",
            ),
            _table_html(
                regime_table(result.by_regime),
                "Returns by regime (return of day t attributed to the regime at t-1)",
            ),
        ),
        _card(div["balance_sheet"]),
        _card(div["yields"]),
        _card(
            _table_html(
                event_text_table(result.events, dated=True),
                "Events: returns 3/6/12 months after (from the close before the date)",
                "Rate cuts are dated on their announcement: a first cut of a cycle follows a "
                "hike, a cut after a pause follows a cut more than 120 days earlier. "
                "Recession-driven: the phase kernel's real-time tag on the first day it knew "
                "the cut, with the real-time Sahm rule (percentage points) then.",
                css="tbl first-left",
            )
        ),
        _card(_orders_html(result)),
        "</main></body></html>",
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

    kaleido 1.x drives a Chrome/Chromium (Debian: ``apt-get install chromium``). The image
    is rendered in memory and written atomically: a PNG written over an existing one is
    replaced whole, or (on any failure) left as it was.
    """
    try:
        import kaleido  # noqa: F401
    except ImportError:
        raise RunoffError("--png needs the kaleido package: pip install 'runoff[png]'") from None
    p = Path(path)
    try:
        image = main_figure(result).to_image(format="png", width=width, height=height)
    except Exception as exc:  # kaleido / browser failures come in many types
        text = str(exc).strip()
        first = text.splitlines()[0] if text else type(exc).__name__
        browser = shutil.which("chromium") or shutil.which("google-chrome")
        hint = "" if browser else " (no Chrome/Chromium found: apt-get install chromium)"
        raise RunoffError(f"--png: kaleido could not render {p}{hint}: {first}") from None
    atomic_write_bytes(p, image)
    return p
