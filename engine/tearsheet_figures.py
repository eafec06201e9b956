"""Plotly figures of the tear sheet: strategy beside its benchmark, units on every number.

Each function returns a ``plotly.graph_objects.Figure`` with a title (the report's browser test
finds every figure by it). Percentages are shown as percent (axes ``tickformat`` or values
times 100 with a ``%`` suffix), money as dollars of an initial $1. Figures take their width
from the page (responsive) and keep heights a laptop screen shows whole.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from engine.tearsheet import (
    ROLLING_DAYS,
    distribution_stats,
    monthly_returns,
    monthly_series,
    rolling_stats,
    yearly_returns,
)

STRATEGY_COLOR = "#1f77b4"
BENCHMARK_COLOR = "#555555"
LEG_COLORS: dict[str, str] = {
    "GSPC": "#1f77b4",
    "SP500TR": "#1f77b4",
    "SPY": "#1f77b4",
    "CASH": "#c7d9e8",
}
"""Fill colour per leg id; legs without one take :data:`EXTRA_LEG_COLORS` in order."""
EXTRA_LEG_COLORS: tuple[str, ...] = ("#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")
LEG_LABELS: dict[str, str] = {
    "GSPC": "S&P 500 (price index)",
    "SP500TR": "S&P 500 (total return)",
    "CASH": "cash (T-bill)",
}
"""Display name per leg id (the id itself when missing)."""

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
HEATMAP_CAP = 0.10
"""Monthly returns beyond +/-10% take the end colours (the cell text keeps the value)."""
HEATMAP_SCALE = [[0.0, "#b2182b"], [0.5, "#f7f7f7"], [1.0, "#1a9850"]]
FONT = dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size=12)
MARGIN = dict(l=60, r=20, t=60, b=40)


def base_layout(fig: Any, title: str, height: int, **kw: Any) -> Any:
    """The house layout: white template, title at the top left, one font."""
    kw.setdefault("margin", MARGIN)
    if "legend" in kw:
        kw["legend"] = {"traceorder": "grouped", **kw["legend"]}
    fig.update_layout(
        title=dict(text=title, x=0.01, xanchor="left", font=dict(size=15)),
        height=height,
        template="plotly_white",
        font=FONT,
        **kw,
    )
    return fig


def leg_label(leg: str, labels: dict[str, str] | None = None) -> str:
    """The display name of a leg: ``labels`` first, then :data:`LEG_LABELS`, then the id."""
    return (labels or {}).get(leg, LEG_LABELS.get(leg, leg))


def leg_color(leg: str, position: int) -> str:
    return LEG_COLORS.get(leg, EXTRA_LEG_COLORS[position % len(EXTRA_LEG_COLORS)])


def money(x: float) -> str:
    """Tick text of a growth-of-$1 axis: ``$0.50``, ``$1``, ``$1.50``, ``$1.125``, ``$20``."""
    if x >= 10 or float(x).is_integer():
        return f"${x:,.0f}"
    return f"${x:.3f}" if round(x, 2) != round(x, 3) else f"${x:.2f}"


def log_ticks(low: float, high: float) -> list[float]:
    """Tick values for a log axis from ``low`` to ``high``: 1-2-5 per decade, finer mantissas
    when the range spans less than one decade, evenly spaced ticks when even those leave fewer
    than three inside the range; one tick beyond each end."""
    if not (low > 0 and high > 0 and math.isfinite(low) and math.isfinite(high)):
        return []
    low, high = min(low, high), max(low, high)
    for mantissas in ((1, 2, 5), (1, 1.5, 2, 3, 5, 7), (1, 1.25, 1.5, 1.75, 2, 2.5, 3, 4, 5, 6, 8)):
        ticks = [
            m * 10.0**k
            for k in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1)
            for m in mantissas
        ]
        inside = [t for t in ticks if low <= t <= high]
        if len(inside) >= 3:
            break
    if len(inside) < 3:
        # A narrow range (a short window): evenly spaced ticks at a 1-2-2.5-5 step.
        raw = (high - low) / 4.0
        mag = 10.0 ** math.floor(math.log10(raw))
        step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
        first = math.floor(low / step)
        ticks = [round(k * step, 10) for k in range(first, math.ceil(high / step) + 1)]
        inside = [t for t in ticks if low <= t <= high]
    # keep one tick beyond each end so the axis range has labelled bounds
    lo_out = [t for t in ticks if t < low]
    hi_out = [t for t in ticks if t > high]
    return ([lo_out[-1]] if lo_out else []) + inside + ([hi_out[0]] if hi_out else [])


def add_weight_stack(
    fig: Any,
    weights: pd.DataFrame,
    targets: pd.DataFrame | None,
    row: int,
    col: int = 1,
    labels: dict[str, str] | None = None,
) -> None:
    """A stacked area of ``weights`` (one column per leg, rows summing to 1) and dotted target
    lines for the legs that are not cash; more legs are more columns. ``labels``: leg id ->
    display name (default :data:`LEG_LABELS`, else the id)."""
    import plotly.graph_objects as go

    for i, leg in enumerate(weights.columns):
        fig.add_trace(
            go.Scatter(
                x=weights.index,
                y=weights[leg],
                name=leg_label(leg, labels),
                stackgroup="weights",
                mode="lines",
                line=dict(width=0.5, color=leg_color(leg, i)),
                fillcolor=leg_color(leg, i),
                legendgroup="weights",
                legendgrouptitle_text="Weights (end of day)",
                hovertemplate=f"{leg_label(leg, labels)}: %{{y:.1%}}<extra></extra>",
            ),
            row=row,
            col=col,
        )
    if targets is not None:
        for leg in targets.columns:
            if leg == "CASH":
                continue
            fig.add_trace(
                go.Scatter(
                    x=targets.index,
                    y=targets[leg],
                    name=f"target: {leg_label(leg, labels)}",
                    mode="lines",
                    line=dict(width=1, dash="dot", shape="hv", color="#ff7f0e"),
                    legendgroup="weights",
                    hovertemplate=f"target {leg_label(leg, labels)}: %{{y:.1%}}<extra></extra>",
                ),
                row=row,
                col=col,
            )


def monthly_heatmap_figure(
    value: pd.Series, benchmark: pd.Series, name: str, bench: str = "buy & hold S&P 500"
) -> Any:
    """Calendar-month returns (%) of the strategy and the benchmark side by side, one colour
    scale (capped at +/-10%) for both."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    tables = [(name, monthly_returns(value)), (bench, monthly_returns(benchmark))]
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.06)
    for j, (who, t) in enumerate(tables, start=1):
        z = t.to_numpy(dtype=np.float64) * 100.0
        text = np.where(np.isfinite(z), np.char.mod("%+.1f", np.nan_to_num(z)), "")
        fig.add_trace(
            go.Heatmap(
                z=z,
                x=list(MONTHS),
                y=[str(y) for y in t.index],
                text=text,
                texttemplate="%{text}",
                textfont=dict(size=9),
                colorscale=HEATMAP_SCALE,
                zmin=-HEATMAP_CAP * 100,
                zmax=HEATMAP_CAP * 100,
                zmid=0.0,
                showscale=j == 2,
                colorbar=dict(title=dict(text="%"), ticksuffix="%", thickness=12),
                xgap=1,
                ygap=1,
                hovertemplate=f"{who}<br>%{{x}} %{{y}}: %{{z:+.2f}}%<extra></extra>",
            ),
            row=1,
            col=j,
        )
        fig.update_yaxes(autorange="reversed", type="category", row=1, col=j)
        fig.update_xaxes(
            side="top", title=dict(text=f"<b>{who}</b> (% per month)", standoff=6), row=1, col=j
        )
    n_years = max(len(t) for _, t in tables)
    return base_layout(
        fig,
        "Monthly returns (%, colours capped at ±10%)",
        height=min(max(150 + 17 * n_years, 280), 620),
        margin=dict(l=50, r=20, t=105, b=20),
    )


def yearly_figure(
    value: pd.Series, benchmark: pd.Series, name: str, bench: str = "buy & hold S&P 500"
) -> Any:
    """Calendar-year returns (%) of the strategy and the benchmark as grouped bars."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for who, v, color in (
        (name, value, STRATEGY_COLOR),
        (bench, benchmark, BENCHMARK_COLOR),
    ):
        y = yearly_returns(v)
        fig.add_trace(
            go.Bar(
                x=[str(k) for k in y.index],
                y=y.to_numpy() * 100.0,
                name=who,
                marker_color=color,
                hovertemplate=f"{who} %{{x}}: %{{y:+.1f}}%<extra></extra>",
            )
        )
    fig.update_yaxes(title_text="return (%)", ticksuffix="%", zeroline=True)
    fig.update_xaxes(type="category", tickangle=-45)
    first, last = value.index[0].date(), value.index[-1].date()
    return base_layout(
        fig,
        f"Yearly returns (%; {first.year} from {first:%m-%d}, {last.year} to {last:%m-%d})",
        height=380,
        barmode="group",
        legend=dict(orientation="h", x=0.0, y=1.0, xanchor="left", yanchor="bottom"),
        margin=dict(l=60, r=20, t=90, b=40),
    )


def distribution_figure(
    value: pd.Series, benchmark: pd.Series, name: str, bench: str = "buy & hold S&P 500"
) -> Any:
    """Histogram of monthly returns (%) for both, with skew and excess kurtosis of daily returns."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for who, v, color in (
        (name, value, STRATEGY_COLOR),
        (bench, benchmark, BENCHMARK_COLOR),
    ):
        m = monthly_series(v).to_numpy() * 100.0
        d = distribution_stats(v.pct_change().to_numpy()[1:])
        fig.add_trace(
            go.Histogram(
                x=m,
                name=(
                    f"{who} (daily skew {d['skew']:.2f}, excess kurtosis "
                    f"{d['excess_kurtosis']:.1f})"
                ),
                xbins=dict(size=1.0),
                marker_color=color,
                opacity=0.6,
                hovertemplate=f"{who}: %{{y}} months in %{{x}}%<extra></extra>",
            )
        )
    fig.update_xaxes(title_text="monthly return (%)", ticksuffix="%")
    fig.update_yaxes(title_text="months")
    return base_layout(
        fig,
        "Distribution of monthly returns (1% bins)",
        height=380,
        barmode="overlay",
        legend=dict(orientation="h", x=0.0, y=1.0, xanchor="left", yanchor="bottom"),
        margin=dict(l=60, r=20, t=90, b=40),
    )


def rolling_figure(
    value: pd.Series,
    benchmark: pd.Series,
    cash_return: np.ndarray,
    name: str,
    bench: str = "buy & hold S&P 500",
) -> Any:
    """Rolling 12-month Sharpe ratio (vs cash) and volatility (% per year) for both."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.06)
    for who, v, color, width in (
        (name, value, STRATEGY_COLOR, 1.4),
        (bench, benchmark, BENCHMARK_COLOR, 1.0),
    ):
        st = rolling_stats(v, cash_return)
        fig.add_trace(
            go.Scatter(
                x=st.index,
                y=st["sharpe"],
                name=who,
                legendgroup=who,
                line=dict(width=width, color=color),
                hovertemplate=f"{who} Sharpe %{{y:.2f}}<extra></extra>",
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=st.index,
                y=st["volatility"],
                name=who,
                legendgroup=who,
                showlegend=False,
                line=dict(width=width, color=color),
                hovertemplate=f"{who} volatility %{{y:.1%}}<extra></extra>",
            ),
            row=2,
            col=1,
        )
    fig.add_hline(y=0, line=dict(width=0.8, color="#999"), row=1, col=1)
    fig.update_yaxes(title_text="Sharpe ratio", row=1, col=1)
    fig.update_yaxes(
        title_text="volatility (per year)", tickformat=".0%", rangemode="tozero", row=2, col=1
    )
    return base_layout(
        fig,
        f"Rolling 12 months ({ROLLING_DAYS} trading days): Sharpe ratio (excess over T-bill) "
        "and volatility (% per year)",
        height=480,
        hovermode="x unified",
        legend=dict(orientation="h", x=0.0, y=1.0, xanchor="left", yanchor="bottom"),
        margin=dict(l=60, r=20, t=90, b=40),
    )


def regime_stats_figure(
    by_regime: pd.DataFrame, name: str, bench: str = "buy & hold S&P 500"
) -> Any:
    """Mean excess return over cash per regime value (% per year) with its 90% bootstrap
    interval, strategy and benchmark side by side; one panel per regime family, one x scale."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    families = list(dict.fromkeys(by_regime["regime"]))
    sizes = [int((by_regime["regime"] == f).sum()) for f in families]
    fig = make_subplots(
        rows=max(len(families), 1),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.16 / max(len(families), 1),
        row_heights=sizes or None,
        subplot_titles=families,
    )
    for i, fam in enumerate(families, start=1):
        g = by_regime[by_regime["regime"] == fam]
        labels = [f"{v} ({d:,} days)" for v, d in zip(g["value"], g["days"], strict=True)]
        for who, prefix, color, shift in (
            (name, "strategy", STRATEGY_COLOR, -0.14),
            (bench, "benchmark", BENCHMARK_COLOR, 0.14),
        ):
            mean = g[f"{prefix}_excess"].to_numpy(dtype=np.float64) * 100
            lo = g[f"{prefix}_excess_ci_low"].to_numpy(dtype=np.float64) * 100
            hi = g[f"{prefix}_excess_ci_high"].to_numpy(dtype=np.float64) * 100
            t = g[f"{prefix}_hac_t"].to_numpy(dtype=np.float64)
            fig.add_trace(
                go.Scatter(
                    x=mean,
                    y=np.arange(len(g)) + shift,
                    mode="markers",
                    name=who,
                    legendgroup=who,
                    showlegend=i == 1,
                    marker=dict(color=color, size=8),
                    error_x=dict(
                        type="data",
                        symmetric=False,
                        array=hi - mean,
                        arrayminus=mean - lo,
                        thickness=1.5,
                        width=3,
                    ),
                    customdata=np.column_stack([lo, hi, t]),
                    text=labels,
                    hovertemplate=(
                        f"{who}, %{{text}}<br>mean excess %{{x:+.1f}}%/yr<br>"
                        "90% CI [%{customdata[0]:+.1f}%, %{customdata[1]:+.1f}%]<br>"
                        "t (HAC) vs other days %{customdata[2]:.2f}<extra></extra>"
                    ),
                ),
                row=i,
                col=1,
            )
        fig.update_yaxes(
            tickvals=list(range(len(g))),
            ticktext=labels,
            range=[len(g) - 0.5, -0.5],
            row=i,
            col=1,
        )
        fig.update_xaxes(ticksuffix="%", zeroline=True, zerolinecolor="#888", row=i, col=1)
    fig.update_xaxes(title_text="mean excess return over cash (% per year)", row=len(families))
    return base_layout(
        fig,
        "Mean excess return by regime (% per year, 90% stationary-bootstrap interval)",
        height=120 + 34 * int(sum(sizes)) + 40 * len(families),
        legend=dict(orientation="h", x=0.0, y=-0.08, xanchor="left", yanchor="top"),
        margin=dict(l=190, r=20, t=80, b=90),
    )
