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
from engine.metric_registry import ALL_SPECS, SPECS, describe_columns
from engine.tables import fmt, fmt_metric, to_text
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
    dsr_excess: Any = None,
    benchmark: Any = None,
    oos_benchmark: Any = None,
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
    dsr_excess : :class:`engine.sweep.benchmark.ExcessDeflatedSharpe` or None; benchmark,
        oos_benchmark : :class:`engine.sweep.benchmark.SweepBenchmark` over the best
        combination's days and over the walk-forward's out-of-sample days, or None.
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
        "deflated_sharpe": None if dsr is None else _dsr_dict(dsr),
        "deflated_sharpe_excess": None
        if dsr_excess is None
        else {
            **_dsr_dict(dsr_excess.result),
            "sample": dsr_excess.sample,
            "first_day": dsr_excess.first_day,
            "last_day": dsr_excess.last_day,
            "benchmark": None if benchmark is None else benchmark.label,
        },
        "benchmark": None if benchmark is None else _benchmark_dict(benchmark, a["metric"]),
        "pbo": None
        if pbo is None
        else {
            "pbo": pbo.pbo,
            "blocks": pbo.n_blocks,
            "strategies": pbo.n_strategies,
            "days": pbo.n_obs,
            "logits": [jsonable(v) for v in pbo.logits],
        },
        "walk_forward": None
        if walk_forward is None
        else {
            "folds": records(walk_forward.folds),
            "summary": {k: jsonable(v) for k, v in walk_forward.summary.items()},
            "benchmark": None
            if oos_benchmark is None
            else _benchmark_dict(oos_benchmark, walk_forward.metric),
        },
        "out": None if out is None else str(out),
        "report": report,
    }


def _dsr_dict(dsr: Any) -> dict[str, Any]:
    keys = ("dsr", "sharpe", "sr0", "n_trials", "variance", "n_obs", "skew", "kurtosis")
    return {k: jsonable(getattr(dsr, k)) for k in keys}


SUMMARY_METRICS: tuple[str, ...] = ("total_return", "cagr", "volatility", "sharpe", "max_drawdown")
"""Metrics of a benchmark (and of the chained out-of-sample returns) the outputs show."""


def _benchmark_dict(bench: Any, metric: str) -> dict[str, Any]:
    m = bench.metrics
    return {
        "label": bench.label,
        "first_day": str(bench.value.index[0].date()),
        "last_day": str(bench.value.index[-1].date()),
        "metric": metric,
        "value": jsonable(getattr(m, metric)),
        "metrics": {k: jsonable(getattr(m, k)) for k in SUMMARY_METRICS},
    }


def guard_values(*, dsr: Any = None, dsr_excess: Any = None, pbo: Any = None) -> dict[str, str]:
    """The guards' headline numbers as the terminal and the report show them (formats from the
    metric registry's :data:`engine.metric_registry.GUARD_SPECS`), by registry name."""
    out: dict[str, str] = {}
    if dsr is not None:
        out["deflated_sharpe"] = fmt_metric("deflated_sharpe", dsr.dsr)
    if dsr_excess is not None:
        out["deflated_sharpe_excess"] = fmt_metric("deflated_sharpe_excess", dsr_excess.result.dsr)
    if pbo is not None:
        out["pbo"] = fmt_metric("pbo", pbo.pbo)
    return out


def guard_lines(
    metric: str,
    *,
    dsr: Any = None,
    dsr_excess: Any = None,
    benchmark: Any = None,
    pbo: Any = None,
) -> list[str]:
    """The terminal's lines on the benchmark and the guards (the report shows the same lines):
    the benchmark's value of ``metric`` over the best combination's days, the deflated Sharpe
    ratio on raw returns and in excess of the benchmark, and PBO."""
    values = guard_values(dsr=dsr, dsr_excess=dsr_excess, pbo=pbo)
    lines = []
    if benchmark is not None:
        lines.append(
            f"Benchmark {benchmark.label} over the best's days "
            f"({benchmark.value.index[0].date()} to {benchmark.value.index[-1].date()}): "
            f"{metric} {fmt_metric(metric, getattr(benchmark.metrics, metric))}"
        )
    if dsr is not None:
        lines.append(
            f"Deflated Sharpe ratio of the best: {values['deflated_sharpe']} ({dsr_sentence(dsr)})"
        )
    if dsr is not None and benchmark is None:
        lines.append(
            "The benchmark and the deflated Sharpe ratio in excess of it: add --benchmark "
            "(implied by --report, --pbo and --walk-forward)"
        )
    if dsr_excess is not None:
        lines.append(
            "Deflated Sharpe ratio of the best in excess of the benchmark: "
            f"{values['deflated_sharpe_excess']} ({dsr_sentence(dsr_excess.result, True)}; "
            f"variance from {dsr_excess.sample} sampled combinations)"
        )
    if pbo is not None:
        lines.append(
            f"Probability of backtest overfitting (CSCV, {pbo.n_blocks} blocks, "
            f"{pbo.n_strategies} combinations): {values['pbo']}"
        )
    return lines


def walk_forward_heading(wf_mode: str, embargo: int) -> str:
    """The walk-forward table's heading line."""
    return f"Walk-forward ({wf_mode}, embargo {embargo} days):"


def dsr_sentence(dsr: Any, excess: bool = False) -> str:
    """The deflated Sharpe ratio's explanation (annualised ratios, the trials); ``excess``:
    the ratio is an information ratio (returns in excess of the benchmark)."""
    ann = math.sqrt(252)
    what = "information ratio" if excess else "Sharpe"
    return (
        f"{what} {dsr.sharpe * ann:.2f} annualised vs {dsr.sr0 * ann:.2f} expected from the "
        f"best of {dsr.n_trials} unskilled trials"
    )


WF_COLUMNS: tuple[str, ...] = (
    "fold",
    "train_start",
    "train_end",
    "test_start",
    "test_end",
    "combo",
)
"""The walk-forward table's window and selection columns (the metric columns follow)."""


def walk_forward_table(walk_forward: Any) -> pd.DataFrame:
    """The walk-forward folds as formatted strings, shared by the terminal and the report:
    in-sample and out-of-sample windows, the chosen combination, its in-sample and
    out-of-sample metric, out-of-sample CAGR and max drawdown, and its out-of-sample rank
    (top %), each formatted as the metric registry says."""
    f = walk_forward.folds
    metric = walk_forward.metric
    cols = [
        *WF_COLUMNS,
        f"is_{metric}",
        f"oos_{metric}",
        *[c for c in ("oos_cagr", "oos_max_drawdown") if c != f"oos_{metric}"],
        "oos_rank",
    ]
    shown = pd.DataFrame(index=range(len(f)))
    for c in cols:
        if c in ("fold", "combo"):
            shown[c] = [str(int(v)) for v in f[c]]
        elif c in WF_COLUMNS:
            shown[c] = [fmt(v, "date") for v in f[c]]
        else:
            name = c if c in ALL_SPECS else c.partition("_")[2]
            shown[c] = [fmt_metric(name, v) for v in f[c]]
    return shown


def oos_sentence(walk_forward: Any, oos_benchmark: Any = None) -> list[str]:
    """The chained out-of-sample line and, when given, the benchmark over the same days."""
    s = walk_forward.summary
    lines = [
        f"Chained out-of-sample: CAGR {fmt(s['cagr'], 'pct')}, Sharpe "
        f"{fmt(s['sharpe'], 'num')}, max drawdown {fmt(s['max_drawdown'], 'pct')} "
        f"over {int(s['days'])} days"
    ]
    if oos_benchmark is not None:
        m = oos_benchmark.metrics
        lines.append(
            f"{oos_benchmark.label} over the same days: CAGR {fmt(m.cagr, 'pct')}, Sharpe "
            f"{fmt(m.sharpe, 'num')}, max drawdown {fmt(m.max_drawdown, 'pct')}"
        )
    return lines


def marginals_table(marginals: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The marginals with the metric's median, min and max formatted as the registry says
    (the terminal's and the report's table)."""
    kind = "pct" if SPECS[metric].fmt == "pct" else "num"
    shown = marginals.copy()
    for c in ("median", "min", "max"):
        shown[c] = [fmt(v, kind) for v in shown[c]]
    shown["value"] = [str(v) for v in shown["value"]]
    return shown


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
    dsr_excess: Any = None,
    benchmark: Any = None,
    oos_benchmark: Any = None,
    wf_mode: str = "expanding",
    embargo: int = 0,
    out: Path | None = None,
    report: str | None = None,
) -> str:
    """The text report of ``runoff sweep`` (``summary``: :func:`engine.sweep.run.describe`;
    the guards and benchmarks as for :func:`sweep_document`)."""
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
        lines += [
            "",
            f"{metric} by the value of each swept key (median, min, max over the others):",
            to_text(marginals_table(marginals, metric).set_index(["key", "value"])),
        ]
    guards = guard_lines(metric, dsr=dsr, dsr_excess=dsr_excess, benchmark=benchmark, pbo=pbo)
    if guards:
        lines += ["", *guards]
    if walk_forward is not None:
        lines += [
            "",
            walk_forward_heading(wf_mode, embargo),
            walk_forward_table(walk_forward).to_string(index=False),
            *oos_sentence(walk_forward, oos_benchmark),
        ]
    if out is not None:
        lines += ["", f"Rows written to {out}"]
    if report:
        lines += [f"Report: {report}"]
    return "\n".join(lines)
