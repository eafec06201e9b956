"""Plotly figures of the sweep report: heatmaps on one colour scale, marginal effects, the PBO
logits and the stitched out-of-sample curve against the benchmark.

Each function returns a ``plotly.graph_objects.Figure`` with a title (the report's browser
test finds every figure by it), laid out by :func:`engine.tearsheet_figures.base_layout`.
Values of the metric are shown as the terminal shows them (:func:`engine.tables.fmt_metric`):
cell texts, colour-bar ticks and hover labels; ``pct`` metrics are plotted in percent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from engine.metric_registry import ALL_SPECS
from engine.sweep.reduce import Heatmap
from engine.tables import fmt_metric
from engine.tearsheet_figures import (
    BENCHMARK_COLOR,
    STRATEGY_COLOR,
    base_layout,
    log_ticks,
    money,
)

COLS = 3
"""Panels per row of the heatmap and marginal figures (fits a 1280-pixel page)."""
MAX_CELL_TEXT = 144
"""Heatmap cells beyond this many per panel are drawn without their value written in."""
SCALE = "RdYlGn"


def short_key(key: str) -> str:
    """The last part of a dotted key (``balance_sheet.window_weeks`` -> ``window_weeks``)."""
    return key.rpartition(".")[2]


def _scale(metric: str) -> float:
    """Plotted value per metric unit: percent for ``pct`` metrics."""
    spec = ALL_SPECS.get(metric)
    return 100.0 if spec is not None and spec.fmt == "pct" else 1.0


def _finite(a: np.ndarray) -> np.ndarray:
    out = np.asarray(a, dtype=np.float64).copy()
    out[~np.isfinite(out)] = np.nan
    return out


def _grid(n: int) -> tuple[int, int]:
    cols = max(1, min(n, COLS))
    return math.ceil(n / cols), cols


def _ticks(lo: float, hi: float, metric: str, bench: float | None) -> tuple[list, list]:
    """Colour-bar ticks from ``lo`` to ``hi`` (plotted units) and the benchmark's, marked."""
    k = _scale(metric)
    vals = list(np.linspace(lo, hi, 5)) if hi > lo else [lo]
    text = [fmt_metric(metric, v / k) for v in vals]
    if bench is not None and math.isfinite(bench):
        keep = [(v, t) for v, t in zip(vals, text, strict=True) if abs(v - bench) > (hi - lo) / 10]
        vals = [v for v, _ in keep] + [bench]
        text = [t for _, t in keep] + [f"◀ benchmark {fmt_metric(metric, bench / k)}"]
    return vals, text


def heatmaps_figure(
    maps: Sequence[Heatmap], metric: str, bench_value: float | None, bench_label: str
) -> Any:
    """Every heatmap pair on one colour scale (one colour axis; a diverging scale centred on
    the benchmark's value of the metric when given, so green beats the benchmark), the
    benchmark marked on the colour bar and in each panel's title; cells show the best value
    over the other parameters (hover: the median too), formatted as in the terminal."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    k = _scale(metric)
    bench = None if bench_value is None or not math.isfinite(bench_value) else bench_value * k
    rows, cols = _grid(len(maps))
    btext = "n/a" if bench is None else fmt_metric(metric, bench / k)
    titles = [f"{short_key(h.y)} × {short_key(h.x)} (benchmark {btext})" for h in maps]
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=titles,
        horizontal_spacing=0.09,
        vertical_spacing=0.2 if rows > 1 else 0.1,
    )
    zs = [_finite(h.best.to_numpy()) * k for h in maps]
    finite = np.concatenate([z[np.isfinite(z)] for z in zs]) if zs else np.array([])
    lo = float(finite.min()) if len(finite) else 0.0
    hi = float(finite.max()) if len(finite) else 1.0
    if bench is not None:
        half = max(abs(hi - bench), abs(bench - lo), 1e-12)
        lo, hi = bench - half, bench + half
    reverse = ALL_SPECS[metric].better == "lower"
    for i, (h, z) in enumerate(zip(maps, zs, strict=True)):
        r, c = divmod(i, cols)
        med = _finite(h.median.reindex(index=h.best.index, columns=h.best.columns).to_numpy())
        text = [[fmt_metric(metric, v / k) if np.isfinite(v) else "" for v in row] for row in z]
        mtext = [[fmt_metric(metric, v) for v in row] for row in med]
        fig.add_trace(
            go.Heatmap(
                z=z,
                x=[str(v) for v in h.best.columns],
                y=[str(v) for v in h.best.index],
                text=text,
                customdata=mtext,
                texttemplate="%{text}" if z.size <= MAX_CELL_TEXT else None,
                textfont=dict(size=10),
                coloraxis="coloraxis",
                xgap=1,
                ygap=1,
                hovertemplate=(
                    f"{h.x}=%{{x}}<br>{h.y}=%{{y}}<br>best {metric} %{{text}}"
                    "<br>median %{customdata}<extra></extra>"
                ),
            ),
            row=r + 1,
            col=c + 1,
        )
        fig.update_xaxes(type="category", title=dict(text=h.x, standoff=4), row=r + 1, col=c + 1)
        fig.update_yaxes(type="category", title=dict(text=h.y, standoff=4), row=r + 1, col=c + 1)
    tickvals, ticktext = _ticks(lo, hi, metric, bench)
    fig.update_layout(
        coloraxis=dict(
            colorscale=SCALE,
            reversescale=reverse,
            cmin=lo,
            cmax=hi,
            colorbar=dict(
                title=dict(text=f"best {metric}", side="right"),
                tickvals=tickvals,
                ticktext=ticktext,
                thickness=12,
                len=1.0,
            ),
        )
    )
    for a in fig.layout.annotations:  # subplot titles: one size below the figure title
        a.font = dict(size=12)
    return base_layout(
        fig,
        f"Best {metric} per pair of parameters (one colour scale; benchmark "
        f"{bench_label}: {btext})",
        height=80 + 300 * rows,
        margin=dict(l=60, r=20, t=90, b=50),
    )


def marginals_figure(
    marginals: pd.DataFrame, metric: str, bench_value: float | None, bench_label: str
) -> Any:
    """Per swept key: the metric's median over the other parameters per value (line) and its
    range (min..max, a band), with the benchmark's value as a dashed line."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    k = _scale(metric)
    keys = list(dict.fromkeys(marginals["key"])) if len(marginals) else []
    rows, cols = _grid(max(len(keys), 1))
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=keys or ["(no swept key)"],
        horizontal_spacing=0.07,
        vertical_spacing=0.22 if rows > 1 else 0.1,
    )
    for i, key in enumerate(keys):
        r, c = divmod(i, cols)
        m = marginals[marginals["key"] == key]
        x = [str(v) for v in m["value"]]
        lo, hi, med = (m[col].to_numpy(dtype=np.float64) * k for col in ("min", "max", "median"))
        first = i == 0
        fig.add_trace(
            go.Scatter(
                x=x,
                y=lo,
                mode="lines",
                line=dict(width=0),
                showlegend=False,
                hoverinfo="skip",
            ),
            row=r + 1,
            col=c + 1,
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=hi,
                mode="lines",
                line=dict(width=0),
                fill="tonexty",
                fillcolor="rgba(31,119,180,0.2)",
                name="range (min..max over the others)",
                legendgroup="range",
                showlegend=first,
                hoverinfo="skip",
            ),
            row=r + 1,
            col=c + 1,
        )
        text = [
            f"median {fmt_metric(metric, a)}, range {fmt_metric(metric, b)}..{fmt_metric(metric, d)}"
            for a, b, d in zip(m["median"], m["min"], m["max"], strict=True)
        ]
        fig.add_trace(
            go.Scatter(
                x=x,
                y=med,
                mode="lines+markers",
                line=dict(color=STRATEGY_COLOR, width=1.8),
                name=f"median {metric}",
                legendgroup="median",
                showlegend=first,
                text=text,
                hovertemplate=f"{key}=%{{x}}: %{{text}}<extra></extra>",
            ),
            row=r + 1,
            col=c + 1,
        )
        if bench_value is not None and math.isfinite(bench_value):
            fig.add_trace(
                go.Scatter(
                    x=[x[0], x[-1]],
                    y=[bench_value * k] * 2,
                    mode="lines",
                    line=dict(color=BENCHMARK_COLOR, dash="dash", width=1.2),
                    name=f"{bench_label} ({fmt_metric(metric, bench_value)})",
                    legendgroup="bench",
                    showlegend=first,
                    hoverinfo="skip",
                ),
                row=r + 1,
                col=c + 1,
            )
        fig.update_xaxes(type="category", row=r + 1, col=c + 1)
        if k != 1.0:
            fig.update_yaxes(ticksuffix="%", row=r + 1, col=c + 1)
    for a in fig.layout.annotations:
        a.font = dict(size=12)
    return base_layout(
        fig,
        f"Marginal effect of each parameter: median {metric} and range over the others",
        height=110 + 250 * rows,
        legend=dict(orientation="h", x=0.0, y=-0.08, xanchor="left", yanchor="top"),
        margin=dict(l=60, r=20, t=80, b=70),
    )


def logits_figure(pbo: Any) -> Any:
    """Histogram of the CSCV logits of the in-sample best's out-of-sample rank; PBO is the
    share at or below 0 (the dashed line)."""
    import plotly.graph_objects as go

    lg = np.asarray(pbo.logits, dtype=np.float64)
    below = lg[lg <= 0.0]
    above = lg[lg > 0.0]
    edges = np.histogram_bin_edges(lg, bins=40) if len(lg) else np.array([0.0, 1.0])
    width = float(edges[1] - edges[0]) if len(edges) > 1 else 1.0
    fig = go.Figure()
    for part, name, color in (
        (below, "logit <= 0: the in-sample best ranks in the bottom half", "#d62728"),
        (above, "logit > 0: it ranks in the top half", "#2ca02c"),
    ):
        fig.add_trace(
            go.Histogram(
                x=part,
                xbins=dict(start=float(edges[0]), end=float(edges[-1]), size=width),
                name=name,
                marker_color=color,
                opacity=0.8,
                hovertemplate="logit %{x}: %{y} splits<extra></extra>",
            )
        )
    fig.add_vline(x=0.0, line=dict(color="#333", dash="dash", width=1))
    fig.update_xaxes(title_text="logit of the out-of-sample relative rank, log(w / (1 - w))")
    fig.update_yaxes(title_text="splits")
    return base_layout(
        fig,
        f"PBO: distribution of the CSCV logits ({len(lg):,} splits; "
        f"PBO {fmt_metric('pbo', pbo.pbo)} = share <= 0)",
        height=380,
        barmode="overlay",
        legend=dict(orientation="h", x=0.0, y=-0.22, xanchor="left", yanchor="top"),
        margin=dict(l=60, r=20, t=60, b=90),
    )


def oos_figure(equity: pd.Series, bench: pd.Series, bench_label: str, test_starts: list) -> Any:
    """The stitched out-of-sample growth of $1 against the benchmark over the same days (log
    axis), a dotted line at each fold's first test day."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for who, s, color, width in (
        ("walk-forward, out of sample", equity, STRATEGY_COLOR, 1.6),
        (bench_label, bench, BENCHMARK_COLOR, 1.2),
    ):
        fig.add_trace(
            go.Scatter(
                x=s.index,
                y=s.to_numpy(),
                name=who,
                line=dict(color=color, width=width),
                hovertemplate=f"{who}: $%{{y:.2f}}<extra></extra>",
            )
        )
    for i, d in enumerate(test_starts):
        fig.add_vline(x=pd.Timestamp(d), line=dict(color="#999", dash="dot", width=1))
        fig.add_annotation(
            x=pd.Timestamp(d),
            y=1.0,
            yref="paper",
            text=f"fold {i}",
            showarrow=False,
            xanchor="left",
            yanchor="top",
            font=dict(size=10, color="#666"),
        )
    low = float(min(equity.min(), bench.min()))
    high = float(max(equity.max(), bench.max()))
    ticks = log_ticks(low, high)
    fig.update_yaxes(
        type="log", tickvals=ticks, ticktext=[money(t) for t in ticks], title_text="value of $1"
    )
    return base_layout(
        fig,
        f"Walk-forward: stitched out-of-sample growth of $1 vs {bench_label} (same days)",
        height=420,
        hovermode="x unified",
        legend=dict(orientation="h", x=0.0, y=-0.12, xanchor="left", yanchor="top"),
        margin=dict(l=70, r=20, t=60, b=70),
    )
