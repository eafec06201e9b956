"""HTML report of a sweep: heatmaps of a metric over two parameters, the marginals and the
best rows.

Each heatmap cell shows the best value of the metric over every other swept parameter (the
best you could pick with those two fixed); hovering shows the median too. The cells come from
a streamed sweep's reductions (:class:`engine.sweep.reduce.Heatmap`, :func:`write_report`) or
from a full table (:func:`pivot`, :func:`write_heatmaps`); both give the same numbers. The
file embeds plotly.js once, so it works offline.
"""

from __future__ import annotations

import html
import itertools
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data.paths import atomic_write_text
from engine.sweep.reduce import Heatmap
from engine.sweep.run import SORT_METRICS
from strategies.errors import GridError

MAX_PAIRS = 6
"""Heatmaps drawn when no pair is chosen: the first pairs of swept keys with 2+ values."""


def default_pairs(df: pd.DataFrame, keys: Sequence[str]) -> list[tuple[str, str]]:
    """Pairs of swept keys (with at least two values in ``df``), most values first."""
    varied = [k for k in keys if k in df and df[k].nunique() > 1]
    varied.sort(key=lambda k: -df[k].nunique())
    return list(itertools.combinations(varied, 2))[:MAX_PAIRS]


def check_pair(pair: str, keys: Sequence[str]) -> tuple[str, str]:
    """``"KEY_X,KEY_Y"`` -> (x, y), both swept keys; GridError otherwise."""
    parts = [p.strip() for p in pair.split(",")]
    if len(parts) != 2 or parts[0] == parts[1]:
        raise GridError(f"--heatmap {pair!r}: expected two different swept keys KEY_X,KEY_Y")
    for p in parts:
        if p not in keys:
            raise GridError(
                f"--heatmap {p!r}: not a swept key of this grid; swept keys: "
                f"{', '.join(keys) or '(none)'}"
            )
    return parts[0], parts[1]


def pivot(df: pd.DataFrame, x: str, y: str, metric: str, how: str = "best") -> pd.DataFrame:
    """The metric over (y rows, x columns): best (per :data:`SORT_METRICS`) or median."""
    g = df.groupby([y, x])[metric]
    if how == "median":
        agg = g.median()
    else:
        agg = g.min() if SORT_METRICS.get(metric, False) else g.max()
    return agg.unstack(x).sort_index().sort_index(axis=1)


def _finite(a: np.ndarray) -> np.ndarray:
    out = np.asarray(a, dtype=np.float64).copy()
    out[~np.isfinite(out)] = np.nan
    return out


def _fmt(v: object) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return "n/a"
        return f"{v:.4g}"
    return html.escape(str(v))


def heatmaps_of(df: pd.DataFrame, metric: str, pairs: Sequence[tuple[str, str]]) -> list[Heatmap]:
    """The heatmap cells of ``pairs`` from a full table (best and median per cell)."""
    out = []
    for x, y in pairs:
        best = pivot(df, x, y, metric, "best")
        med = pivot(df, x, y, metric, "median").reindex(index=best.index, columns=best.columns)
        out.append(Heatmap(x, y, best, med))
    return out


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = [
        "<tr>" + "".join(f"<td>{_fmt(v)}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False, name=None)
    ]
    return "<table><tr>" + head + "</tr>" + "".join(body) + "</table>"


def report_html(
    attrs: Mapping[str, Any],
    metric: str,
    maps: Sequence[Heatmap],
    top: pd.DataFrame,
    marginals: pd.DataFrame | None = None,
) -> str:
    """The report as one HTML string (plotly.js embedded once): the heatmaps, the marginals
    (when given) and the best rows ``top``."""
    import plotly.graph_objects as go

    a = attrs
    title = f"Sweep of {a.get('strategy', '?')}: {metric}"
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{a.get('combinations', len(top)):,} combinations over {a.get('n_days', '?')} trading "
        f"days, {html.escape(str(a.get('start')))} to {html.escape(str(a.get('end')))}. "
        f"{html.escape(str(a.get('start_note', '')))}</p>",
    ]
    for i, h in enumerate(maps):
        best, med = h.best, h.median.reindex(index=h.best.index, columns=h.best.columns)
        x, y = h.x, h.y
        z = _finite(best.to_numpy())
        fig = go.Figure(
            go.Heatmap(
                z=z,
                x=[str(c) for c in best.columns],
                y=[str(r) for r in best.index],
                customdata=_finite(med.to_numpy()),
                colorscale="RdYlGn",
                reversescale=SORT_METRICS.get(metric, False),
                colorbar={"title": metric},
                hovertemplate=(
                    f"{x}=%{{x}}<br>{y}=%{{y}}<br>best {metric}=%{{z:.4g}}"
                    f"<br>median=%{{customdata:.4g}}<extra></extra>"
                ),
            )
        )
        fig.update_layout(
            title=f"best {metric} by {y} and {x} (over the other parameters)",
            xaxis_title=x,
            yaxis_title=y,
            height=420,
            width=640,
            xaxis_type="category",
            yaxis_type="category",
        )
        parts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0), div_id=f"heatmap-{i}"))
    if not maps:
        parts.append("<p>(no heatmap: fewer than two swept parameters, or none chosen)</p>")
    if marginals is not None and len(marginals):
        parts.append(
            f"<h2>{html.escape(metric)} by the value of each parameter (over the others)</h2>"
        )
        parts.append(_table(marginals))
    parts.append(f"<h2>Best {len(top)} by {html.escape(metric)}</h2>")
    parts.append(_table(top))
    parts.append("</body></html>")
    return "\n".join(parts)


def _write(path: str | Path, text: str) -> Path:
    p = Path(path)
    atomic_write_text(p, text)
    p.chmod(0o644)
    return p


def write_heatmaps(
    df: pd.DataFrame,
    path: str | Path,
    metric: str,
    pairs: Sequence[tuple[str, str]] | None = None,
    keys: Sequence[str] | None = None,
    top: int = 25,
) -> Path:
    """Write the report of a full table to ``path`` (atomically) and return the path.

    ``df`` holds every combination (not only the top rows); ``pairs`` default to
    :func:`default_pairs` of ``keys`` (default: the swept keys in ``df.attrs["keys"]``).
    """
    keys = list(keys) if keys is not None else list(df.attrs.get("keys", ()))
    chosen = list(pairs) if pairs is not None else default_pairs(df, keys)
    maps = heatmaps_of(df, metric, chosen)
    return _write(path, report_html(df.attrs, metric, maps, df.head(top)))


def write_report(summary: Any, path: str | Path) -> Path:
    """Write the report of a streamed sweep (:class:`engine.sweep.stream.SweepSummary`: its
    heatmaps, marginals and best rows) to ``path`` atomically and return the path."""
    a = summary.attrs
    html_text = report_html(a, a["metric"], summary.heatmaps, summary.top, summary.marginals)
    return _write(path, html_text)
