"""Sweep results out: the JSON document, the text report, and small row files.

Column labels, units, directions and formats come from the metric registry
(:mod:`engine.metric_registry`). The streamed rows of ``runoff sweep --out`` are written by
:mod:`engine.sweep.dataset`; :func:`write_rows` writes a table held in memory (the rows of
:func:`engine.sweep.run_sweep`). Both write through a temporary file in the same folder and
:func:`os.replace` (:func:`atomic_write`): an interruption (Ctrl-C) or any error while writing
removes the temporary file and leaves an existing output as it was.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from data.paths import atomic_write
from engine.metric_registry import SPECS, describe_columns
from engine.tables import fmt, to_text
from strategies.errors import GridError

OUT_FORMATS: tuple[str, ...] = (".parquet", ".csv")
"""File formats of ``--out``, by suffix."""


def check_out(path: str | os.PathLike[str]) -> str:
    """The kind of an output path: ``"dir"`` (a partitioned dataset) or the file suffix;
    GridError for an unknown suffix or a folder that is not a sweep dataset (checked before
    any work starts, see :func:`engine.sweep.dataset.out_kind`)."""
    from engine.sweep.dataset import out_kind

    return out_kind(path)


def write_rows(rows: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write sweep rows held in memory to ``path`` (``.parquet`` or ``.csv``) atomically;
    returns the path."""
    suffix = Path(path).suffix.lower()
    if suffix not in OUT_FORMATS:
        raise GridError(
            f"{os.fspath(path)}: unknown format; expected a path ending in "
            f"{' or '.join(OUT_FORMATS)}"
        )
    if suffix == ".csv":
        return atomic_write(path, lambda tmp: rows.to_csv(tmp, index=False))
    return atomic_write(path, lambda tmp: rows.to_parquet(tmp, index=False))


def jsonable(v: Any) -> Any:
    """A value as JSON: NumPy scalars as Python, NaN as null, infinities as ``"inf"``."""
    if hasattr(v, "item") and not isinstance(v, str | bytes):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts."""
    cols = list(frame.columns)
    return [
        {c: jsonable(v) for c, v in zip(cols, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]


def _frames(maps: Any) -> list[dict[str, Any]]:
    return [
        {
            "x": h.x,
            "y": h.y,
            "x_values": [jsonable(v) for v in h.best.columns],
            "y_values": [jsonable(v) for v in h.best.index],
            "best": [[jsonable(v) for v in row] for row in h.best.to_numpy()],
            "median": [[jsonable(v) for v in row] for row in h.median.to_numpy()],
        }
        for h in maps
    ]


def sweep_document(
    attrs: Mapping[str, Any],
    top: pd.DataFrame,
    *,
    source: str,
    marginals: pd.DataFrame | None = None,
    heatmaps: Any = (),
    dsr: Any = None,
    pbo: Any = None,
    walk_forward: Any = None,
    out: Path | None = None,
    report: str | None = None,
) -> dict[str, Any]:
    """The JSON document of ``runoff sweep --json``.

    Parameters
    ----------
    attrs : the sweep's attributes (:attr:`engine.sweep.stream.SweepSummary.attrs`, or the
        ``attrs`` of :func:`engine.sweep.run_sweep`'s frame).
    top : the rows to include.
    source : the strategy's source; marginals, heatmaps : the streamed reductions (or None /
        empty); dsr, pbo, walk_forward : the guards' results or None.
    out, report : paths written, or None.
    """
    a = attrs
    metric_cols = [c for c in top.columns if c in SPECS]
    return {
        "strategy": a["strategy"],
        "source": source,
        "metric": a["metric"],
        "window": {"start": a["start"], "end": a["end"], "days": a["n_days"]},
        "start_note": a["start_note"],
        "end_note": a.get("end_note"),
        "stale_warning": a.get("stale_warning"),
        "keys": list(a["keys"]),
        "combinations": a["combinations"],
        "grid_size": a["grid_size"],
        "seconds": a["seconds"],
        "kernel_seconds": a.get("kernel_seconds"),
        "ns_per_combination_day": a["ns_per_combo_day"],
        "metrics": describe_columns(tuple(metric_cols)),
        "rows": records(top),
        "marginals": None if marginals is None else records(marginals),
        "heatmaps": _frames(heatmaps),
        "deflated_sharpe": None
        if dsr is None
        else {
            k: jsonable(getattr(dsr, k))
            for k in ("dsr", "sharpe", "sr0", "n_trials", "variance", "n_obs", "skew", "kurtosis")
        },
        "pbo": None
        if pbo is None
        else {
            "pbo": pbo.pbo,
            "blocks": pbo.n_blocks,
            "strategies": pbo.n_strategies,
            "days": pbo.n_obs,
        },
        "walk_forward": None
        if walk_forward is None
        else {
            "folds": records(walk_forward.folds),
            "summary": {k: jsonable(v) for k, v in walk_forward.summary.items()},
        },
        "out": None if out is None else str(out),
        "report": report,
    }


def formatted(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with every float column formatted as the metric registry says (``pct`` metrics in
    %, the rest with two decimals; parameters too)."""
    shown = rows.copy()
    for c in shown.columns:
        if shown[c].dtype.kind == "f":
            kind = "pct" if c in SPECS and SPECS[c].fmt == "pct" else "num"
            shown[c] = [fmt(v, kind) for v in shown[c]]
    return shown


def render(
    attrs: Mapping[str, Any],
    top: pd.DataFrame,
    summary: str,
    *,
    marginals: pd.DataFrame | None = None,
    dsr: Any = None,
    pbo: Any = None,
    walk_forward: Any = None,
    wf_mode: str = "expanding",
    embargo: int = 0,
    out: Path | None = None,
    report: str | None = None,
) -> str:
    """The text report of ``runoff sweep`` (``summary``: :func:`engine.sweep.run.describe`)."""
    metric = attrs["metric"]
    lines = [
        summary,
        attrs["start_note"],
        *([attrs["end_note"]] if attrs.get("end_note") else []),
        "",
        f"Best {len(top)} of {attrs['combinations']:,} by {metric}:",
        to_text(formatted(top).set_index("combo")),
    ]
    if marginals is not None and len(marginals):
        kind = "pct" if SPECS[metric].fmt == "pct" else "num"
        shown = marginals.copy()
        for c in ("median", "min", "max"):
            shown[c] = [fmt(v, kind) for v in shown[c]]
        shown["value"] = [str(v) for v in shown["value"]]
        lines += [
            "",
            f"{metric} by the value of each swept key (median, min, max over the others):",
            to_text(shown.set_index(["key", "value"])),
        ]
    if dsr is not None:
        ann = math.sqrt(252)
        lines += [
            "",
            f"Deflated Sharpe ratio of the best: {dsr.dsr:.3f} (Sharpe "
            f"{dsr.sharpe * ann:.2f} annualised vs {dsr.sr0 * ann:.2f} expected from the "
            f"best of {dsr.n_trials} unskilled trials)",
        ]
    if pbo is not None:
        lines += [
            f"Probability of backtest overfitting (CSCV, {pbo.n_blocks} blocks, "
            f"{pbo.n_strategies} combinations): {pbo.pbo:.2f}"
        ]
    if walk_forward is not None:
        cols = [
            "fold",
            "train_start",
            "train_end",
            "test_start",
            "test_end",
            "combo",
            f"is_{metric}",
            f"oos_{metric}",
            "oos_cagr",
            "oos_max_drawdown",
            "oos_rank",
        ]
        s = walk_forward.summary
        lines += [
            "",
            f"Walk-forward ({wf_mode}, embargo {embargo} days):",
            walk_forward.folds[cols].to_string(index=False, float_format=lambda v: f"{v:.3f}"),
            f"Chained out-of-sample: CAGR {fmt(s['cagr'], 'pct')}, Sharpe "
            f"{fmt(s['sharpe'], 'num')}, max drawdown {fmt(s['max_drawdown'], 'pct')} "
            f"over {int(s['days'])} days",
        ]
    if out is not None:
        lines += ["", f"Rows written to {out}"]
    if report:
        lines += [f"Report: {report}"]
    return "\n".join(lines)
