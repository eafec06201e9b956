"""The sweep report: one self-contained, offline HTML file (plotly.js inline) with the sweep's
overfitting guards beside its heatmaps.

Top to bottom: the guards as key numbers (deflated Sharpe ratio on raw returns and in excess of
the benchmark, PBO, the benchmark's value of the metric, the chained out-of-sample result) and
the terminal's own lines on them; the heatmaps of every pair on one colour scale with the
benchmark marked; each parameter's marginal effect (figure and table); the distribution of the
CSCV logits; the walk-forward table, the parameters chosen per fold and the stitched
out-of-sample curve against the benchmark over the same days; the best rows. Every number is
formatted by the terminal's helpers (:mod:`engine.sweep.output`, :func:`engine.tables.fmt`), so
the report and ``runoff sweep`` print the same strings. The page layout and table style are the
backtest tear sheet's (:mod:`engine.report`); it fits a 1366 x 768 laptop screen's width.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pandas as pd

from data.paths import atomic_write
from engine.metric_registry import ALL_SPECS, SPECS
from engine.report import CSS, _card, _table_html
from engine.sweep.output import (
    formatted,
    guard_lines,
    guard_values,
    marginals_table,
    oos_sentence,
    walk_forward_heading,
    walk_forward_table,
)
from engine.sweep.report_figures import (
    heatmaps_figure,
    logits_figure,
    marginals_figure,
    oos_figure,
)
from engine.sweep.run import describe
from engine.tables import fmt_metric

TOP_METRICS: tuple[str, ...] = (
    "cagr",
    "volatility",
    "sharpe",
    "max_drawdown",
    "calmar",
    "turnover",
)
"""Metric columns of the best-rows table (the selection metric first when not among them)."""

SWEEP_CSS = (
    ".tbl.wrap thead th{white-space:normal;overflow-wrap:break-word;max-width:140px;"
    "vertical-align:bottom}"
    ".guard{font-size:13.5px;margin:3px 0}"
    ".kpi .v{font-variant-numeric:tabular-nums}"
)


def _breakable(frame: pd.DataFrame) -> pd.DataFrame:
    """Column names of dotted keys with a zero-width space after each dot, so a narrow header
    wraps at the dots (``balance_sheet.`` / ``window_weeks``)."""
    return frame.rename(columns={c: str(c).replace(".", ".\u200b") for c in frame.columns})


def _kpi(key: str, label: str, value: str, sub: str) -> str:
    return (
        f"<div class='kpi' data-key='{html.escape(key)}'><div class='l'>{html.escape(label)}</div>"
        f"<div class='v'>{html.escape(value)}</div><div class='b'>{html.escape(sub)}</div></div>"
    )


def _kpis(
    metric: str,
    top: pd.DataFrame,
    dsr: Any,
    dsr_excess: Any,
    benchmark: Any,
    pbo: Any,
    walk_forward: Any,
) -> str:
    values = guard_values(dsr=dsr, dsr_excess=dsr_excess, pbo=pbo)
    label = SPECS[metric].label
    cards = []
    if len(top):
        cards.append(
            _kpi(
                f"best_{metric}",
                f"Best {label}",
                fmt_metric(metric, top[metric].iloc[0]),
                f"combination {int(top['combo'].iloc[0])}",
            )
        )
    if benchmark is not None:
        cards.append(
            _kpi(
                f"benchmark_{metric}",
                f"Benchmark {label}",
                fmt_metric(metric, getattr(benchmark.metrics, metric)),
                benchmark.label,
            )
        )
    for key, sub in (
        ("deflated_sharpe", "P[best Sharpe beats luck]"),
        ("deflated_sharpe_excess", "same, returns minus the benchmark's"),
        ("pbo", "share of CSCV logits <= 0"),
    ):
        if key in values:
            cards.append(_kpi(key, ALL_SPECS[key].label, values[key], sub))
    if walk_forward is not None:
        s = walk_forward.summary
        cards.append(
            _kpi(
                "oos_sharpe",
                "Walk-forward Sharpe (out of sample)",
                fmt_metric("sharpe", s["sharpe"]),
                f"CAGR {fmt_metric('cagr', s['cagr'])}, chained folds",
            )
        )
    return "<section class='kpis'>" + "".join(cards) + "</section>"


def _figure_html(fig: Any, first: bool, div_id: str) -> str:
    return str(
        fig.to_html(
            full_html=False,
            include_plotlyjs=first,
            div_id=div_id,
            config={"displaylogo": False, "responsive": True},
        )
    )


def _chosen_table(walk_forward: Any, keys: list[str]) -> pd.DataFrame:
    f = walk_forward.folds
    cols = [k for k in keys if k in f]
    shown = pd.DataFrame({"fold": [str(int(v)) for v in f["fold"]]})
    shown["combo"] = [str(int(v)) for v in f["combo"]]
    for k in cols:
        shown[k] = [str(v) for v in f[k]]
    return shown.set_index("fold")


def sweep_report_html(
    summary: Any,
    *,
    source: str = "",
    dsr: Any = None,
    dsr_excess: Any = None,
    benchmark: Any = None,
    pbo: Any = None,
    walk_forward: Any = None,
    oos_benchmark: Any = None,
    wf_mode: str = "expanding",
    embargo: int = 0,
) -> str:
    """The report of a streamed sweep (:class:`engine.sweep.stream.SweepSummary`) and its guards
    (as for :func:`engine.sweep.output.sweep_document`) as one HTML document."""
    a = summary.attrs
    metric = a["metric"]
    keys = list(a.get("keys", ()))
    bench_value = None if benchmark is None else float(getattr(benchmark.metrics, metric))
    bench_label = "no benchmark" if benchmark is None else benchmark.label
    figs: list[tuple[str, Any]] = []
    if summary.heatmaps:
        figs.append(
            ("heatmaps", heatmaps_figure(summary.heatmaps, metric, bench_value, bench_label))
        )
    if len(summary.marginals):
        figs.append(
            ("marginals", marginals_figure(summary.marginals, metric, bench_value, bench_label))
        )
    if pbo is not None:
        figs.append(("pbo", logits_figure(pbo)))
    if walk_forward is not None and oos_benchmark is not None:
        eq = walk_forward.equity
        bench = oos_benchmark.value.reindex(eq.index)
        starts = list(pd.to_datetime(walk_forward.folds["test_start"]))
        figs.append(("oos", oos_figure(eq, bench, oos_benchmark.label, starts)))
    div = {k: _figure_html(f, i == 0, f"sweep-{k}") for i, (k, f) in enumerate(figs)}

    title = f"Runoff sweep report: {a.get('strategy', '?')} by {metric}"
    guards = guard_lines(metric, dsr=dsr, dsr_excess=dsr_excess, benchmark=benchmark, pbo=pbo)
    notes = [
        describe(a),
        a.get("start_note", ""),
        *([a["end_note"]] if a.get("end_note") else []),
        *([f"Source: {source}"] if source else []),
    ]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>{html.escape(title)}</title>",
        f"<style>{CSS}{SWEEP_CSS}</style>",
        "</head><body><main>",
        f"<h1>{html.escape(title)}</h1>",
        *[f"<p class='note'>{html.escape(n)}</p>" for n in notes if n],
        _kpis(metric, summary.top, dsr, dsr_excess, benchmark, pbo, walk_forward),
    ]
    if guards:
        parts.append(
            _card(
                "<h2>Overfitting guards</h2>",
                *[f"<p class='guard'>{html.escape(g)}</p>" for g in guards],
                "<p class='note'>Deflated Sharpe ratio (Bailey and Lopez de Prado 2014): the "
                "probability that the best row's Sharpe ratio beats the best expected from as "
                "many unskilled trials; in excess of the benchmark: the same test on the best "
                "row's daily returns minus the benchmark's over the same days (the "
                "information ratio), the trials' spread estimated on a seeded sample. PBO "
                "(Bailey et al. 2015): the share of CSCV splits whose in-sample best ranks in "
                "the bottom half out of sample.</p>",
            )
        )
    if "heatmaps" in div:
        parts.append(_card(div["heatmaps"]))
    else:
        parts.append(
            _card("<p class='note'>No heatmap: fewer than two swept parameters, or none.</p>")
        )
    if "marginals" in div:
        parts.append(
            _card(
                div["marginals"],
                _table_html(
                    marginals_table(summary.marginals, metric).set_index(["key", "value"]),
                    f"{metric} by the value of each swept key (median, min, max over the others)",
                ),
            )
        )
    if "pbo" in div:
        parts.append(_card(div["pbo"]))
    if walk_forward is not None:
        wf_parts = [
            _table_html(
                walk_forward_table(walk_forward).set_index("fold"),
                walk_forward_heading(wf_mode, embargo),
                "In-sample window (train), the combination it chose by "
                f"{metric}, its in-sample and out-of-sample {metric}, out-of-sample CAGR and "
                "max drawdown, and its out-of-sample rank among all combinations (top %).",
                css="tbl wrap",
            ),
            *[
                f"<p class='guard'>{html.escape(line)}</p>"
                for line in oos_sentence(walk_forward, oos_benchmark)
            ],
            _table_html(
                _breakable(_chosen_table(walk_forward, keys)),
                "Parameters chosen per fold",
                css="tbl wrap",
            ),
        ]
        if "oos" in div:
            wf_parts.append(div["oos"])
        parts.append(_card(*wf_parts))
    top = summary.top
    cols = ["combo", *keys, *dict.fromkeys([metric, *TOP_METRICS])]
    shown = _breakable(formatted(top[[c for c in cols if c in top]]).set_index("combo"))
    parts.append(
        _card(
            _table_html(
                shown, f"Best {len(top)} of {a['combinations']:,} by {metric}", css="tbl wrap"
            )
        )
    )
    parts.append("</main></body></html>")
    return "\n".join(parts)


def write_sweep_report(summary: Any, path: str | Path, **kw: Any) -> Path:
    """Write :func:`sweep_report_html` to ``path`` atomically (readable by others, like the
    backtest report) and return the path."""
    text = sweep_report_html(summary, **kw)

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    return atomic_write(path, write)
