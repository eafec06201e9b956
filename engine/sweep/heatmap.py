"""Heatmaps of a sweep: a metric over two parameters, from a full result table.

Each heatmap cell holds the best value of the metric over every other swept parameter (the
best you could pick with those two fixed) and its median. The cells come from a streamed
sweep's reductions (:class:`engine.sweep.reduce.Heatmap`) or from a full table (:func:`pivot`,
:func:`heatmaps_of`); both give the same numbers. The report that draws them is
:mod:`engine.sweep.report` (:func:`write_heatmaps` writes it for a full table).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

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


def heatmaps_of(df: pd.DataFrame, metric: str, pairs: Sequence[tuple[str, str]]) -> list[Heatmap]:
    """The heatmap cells of ``pairs`` from a full table (best and median per cell)."""
    out = []
    for x, y in pairs:
        best = pivot(df, x, y, metric, "best")
        med = pivot(df, x, y, metric, "median").reindex(index=best.index, columns=best.columns)
        out.append(Heatmap(x, y, best, med))
    return out


def table_marginals(df: pd.DataFrame, metric: str, keys: Sequence[str]) -> pd.DataFrame:
    """The marginals of a full table, as the stream's reductions give them: per swept key and
    value, ``count`` and the metric's ``median``, ``min`` and ``max`` over the others."""
    rows = []
    for k in keys:
        g = df.groupby(k)[metric]
        for v, count, med, lo, hi in zip(
            g.size().index, g.count(), g.median(), g.min(), g.max(), strict=True
        ):
            rows.append((k, v, int(count), float(med), float(lo), float(hi)))
    frame = pd.DataFrame(rows, columns=["key", "value", "count", "median", "min", "max"])
    frame["value"] = pd.Series([r[1] for r in rows], dtype=object)
    return frame


@dataclass(frozen=True)
class TableSummary:
    """A full result table seen as a streamed sweep's summary (what the report reads)."""

    attrs: dict[str, Any]
    top: pd.DataFrame
    marginals: pd.DataFrame
    heatmaps: tuple[Heatmap, ...]


def write_heatmaps(
    df: pd.DataFrame,
    path: str | Path,
    metric: str,
    pairs: Sequence[tuple[str, str]] | None = None,
    keys: Sequence[str] | None = None,
    top: int = 25,
) -> Path:
    """Write the sweep report (:func:`engine.sweep.report.write_sweep_report`, without the
    guards) of a full result table (:func:`engine.sweep.run_sweep`) to ``path`` atomically:
    heatmaps of ``pairs`` (default :func:`default_pairs`), marginals and the best ``top`` rows."""
    from engine.sweep.report import write_sweep_report

    keys = list(keys) if keys is not None else list(df.attrs.get("keys", ()))
    chosen = list(pairs) if pairs is not None else default_pairs(df, keys)
    attrs = {**df.attrs, "metric": metric, "keys": keys}
    attrs.setdefault("combinations", len(df))
    summary = TableSummary(
        attrs,
        df.head(top),
        table_marginals(df, metric, keys),
        tuple(heatmaps_of(df, metric, chosen)),
    )
    return write_sweep_report(summary, path)
