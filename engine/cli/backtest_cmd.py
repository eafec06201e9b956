"""``runoff backtest``: backtest a strategy against its benchmark and report.

Example::

    runoff backtest qt_aware --report            # writes runoff-report-qt_aware.html
    runoff backtest my_rules.toml --start 2010-01-01 --report out.html --png out.png
    runoff backtest buy_and_hold --json
    runoff backtest qt_aware --json --series > qt_aware.json   # plus the daily series
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Any

import pandas as pd

from engine.cli.common import add_window_options

DEFAULT_REPORT = "runoff-report-{name}.html"
"""Report path when ``--report`` is given without a path (in the current directory)."""


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "backtest",
        help="backtest a strategy (built-in name or TOML file) against its benchmark",
        description=(
            "Backtest STRATEGY with vectorbt: its risky legs ([assets]; default the S&P 500 "
            "total return index, SP500TR) and a cash asset accruing the 3-month T-bill, "
            "against buy-and-hold of its equity asset (or its [benchmark] mix, rebalanced "
            "monthly) over the same window. Prints strategy vs benchmark, returns by regime "
            "and the event table. The start moves to the first day every input of the "
            "strategy (each leg included) is known; the end is the last day every leg has a "
            "price and every input was fresh (an --end after a leg's last price is an error; "
            "one after the last fresh day runs with a warning on stderr, in --json "
            "(stale_warning, stale_inputs) and in the report). "
            "Example: runoff backtest qt_aware --report"
        ),
    )
    p.add_argument(
        "strategy",
        metavar="STRATEGY",
        help="built-in name (buy_and_hold, qt_aware, ...) or path to a TOML file",
    )
    add_window_options(p)
    p.add_argument(
        "--report",
        metavar="PATH",
        nargs="?",
        const="",
        help="write the HTML report (self-contained, offline); without PATH: "
        + DEFAULT_REPORT.format(name="<strategy>")
        + " in the current directory",
    )
    p.add_argument(
        "--png",
        metavar="PATH",
        help="also write the main chart as a PNG (kaleido and Chrome/Chromium needed)",
    )
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument(
        "--series",
        action="store_true",
        help="with --json: add the daily series (values, returns, weights per leg)",
    )
    p.set_defaults(func=run)


def _num(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _series_json(result: Any) -> dict[str, Any]:
    """Daily series over the window, column-oriented (NaN as null)."""
    v, b = result.value, result.benchmark_value
    cash = pd.Series(result.inputs.ret_cash, index=result.inputs.days).reindex(v.index)
    cash.iloc[0] = math.nan  # the window's first day has no return
    return {
        "date": [d.date().isoformat() for d in v.index],
        "units": "value: portfolio value (initial cash 1.0); returns: daily fractions, close to "
        "close, null on the first day; weights: end-of-day fraction of the portfolio per leg",
        "strategy_value": [_num(x) for x in v],
        "benchmark_value": [_num(x) for x in b],
        "strategy_return": [_num(x) for x in v.pct_change()],
        "benchmark_return": [_num(x) for x in b.pct_change()],
        "cash_return": [_num(x) for x in cash],
        "weights": {c: [_num(x) for x in result.leg_weights[c]] for c in result.leg_weights},
        "target_weights": {c: [_num(x) for x in result.leg_targets[c]] for c in result.leg_targets},
    }


def _regime_stats_json(result: Any) -> dict[str, Any]:
    from engine.regime_stats import BOOTSTRAP_REPS, CONFIDENCE, SEED

    br = result.by_regime
    return {
        "units": "excess fields: annualised fractions (252 x mean daily return over the cash "
        "leg); the return of day t belongs to the regime at the close of t-1",
        "confidence": CONFIDENCE,
        "bootstrap": f"arch.bootstrap.StationaryBootstrap, {BOOTSTRAP_REPS} resamples of the "
        "regime's days, percentile interval, expected block length = the larger of "
        "arch.bootstrap.optimal_block_length (Politis-White) for strategy and benchmark, at "
        f"least 1 day; seeded from {SEED} and the regime label",
        "hac": "statsmodels OLS of the daily excess return on a constant and the regime dummy, "
        "cov_type='HAC' (Bartlett, use_correction=True), maxlags = floor(4 (n/100)^(2/9)) = "
        f"{int(br['hac_maxlags'].iloc[0]) if len(br) else 0}; <name>_hac_t tests the dummy's "
        "slope (<name>_excess_diff, annualised): this regime vs the other days",
    }


def _result_json(
    result: Any, report: str | None, png: str | None, series: bool = False
) -> dict[str, Any]:
    from engine.signals import records
    from engine.tables import metrics_dict, relative_dict
    from engine.tearsheet import drawdown_periods

    s = result.strategy
    out: dict[str, Any] = {
        "strategy": s.name,
        "source": s.source,
        "start_note": result.start_note,
        "end_note": result.end_note,
        "stale_warning": result.stale_warning,
        "stale_inputs": [x.to_dict() for x in result.inputs.stale_inputs],
        "legs": [
            {
                "role": role,
                "asset": a.id,
                "title": a.title,
                "fees": float(f),
                "slippage": float(sl),
            }
            for role, a, f, sl in zip(
                s.roles(), result.inputs.legs.specs, s.leg_fees(), s.leg_slippage(), strict=True
            )
        ],
        "cash": {"rate": s.cash_rate, "title": "cash asset accruing the rate (ACT/360)"},
        "benchmark": result.benchmark_label,
        "window": {
            "start": result.window_start.date().isoformat(),
            "end": result.value.index[-1].date().isoformat(),
        },
        "metrics": {
            "strategy": metrics_dict(result.metrics),
            "benchmark": metrics_dict(result.benchmark_metrics),
        },
        "total_return_note": result.total_return_note,
        "replaced_note": result.replaced_note,
        "relative": relative_dict(result),
        "drawdowns": {
            "units": "depth: fraction of the peak; length_days, to_trough_days: trading days",
            "strategy": records(drawdown_periods(result.value)),
            "benchmark": records(drawdown_periods(result.benchmark_value)),
        },
        "by_regime": records(result.by_regime),
        "regime_stats": _regime_stats_json(result),
        "events": records(result.events),
        "report": report,
        "png": png,
    }
    if series:
        out["series"] = _series_json(result)
    return out


def run(args: argparse.Namespace) -> int:
    """Run the backtest, print the tables, write the report / PNG when asked."""
    from data.errors import ParameterError
    from data.store import Store
    from engine.backtest import run_backtest
    from engine.tables import (
        comparison_table,
        event_text_table,
        regime_stats_caption,
        regime_stats_table,
        regime_table,
        to_text,
    )

    if args.series and not args.json:
        raise ParameterError("--series adds the daily series to the JSON output: add --json")
    store = Store(data_dir=args.data_dir)
    result = run_backtest(args.strategy, args.start, args.end, store=store)
    s = result.strategy
    if result.stale_warning:
        print(f"runoff: warning: {result.stale_warning}", file=sys.stderr)
    report = None
    if args.report is not None:
        from engine.report import write_report

        report = str(write_report(result, args.report or DEFAULT_REPORT.format(name=s.name)))
    png = None
    if args.png:
        from engine.report import write_png

        png = str(write_png(result, args.png))
    if args.json:
        doc = _result_json(result, report, png, series=args.series)
        json.dump(doc, sys.stdout, indent=1, allow_nan=False)
        sys.stdout.write("\n")
        return 0
    m = result.metrics
    lines = [
        f"Strategy {s.name} ({s.source})",
        result.start_note,
        *([result.end_note] if result.end_note else []),
        f"Window {m.start.date()} to {m.end.date()}: {m.years:.1f} years, {m.n_returns} daily "
        "returns, from the close of the first execution day",
        f"Legs: {result.legs_text()}",
        result.costs_text(),
        f"Benchmark: {result.benchmark_label}",
        "",
        to_text(comparison_table(result)),
    ]
    if len(m.leg_exposure) > 1:
        shown = ", ".join(f"{k} {v:.1%}" for k, v in m.leg_exposure.items())
        lines += [f"Exposure per leg (mean weight): {shown}"]
    if result.replaced_note:
        lines += ["", f"note: {result.replaced_note}"]
    if result.total_return_note:
        lines += ["", result.total_return_note]
    lines += [
        "",
        "Returns by regime (return of day t attributed to the regime at t-1)",
        to_text(regime_table(result.by_regime)),
        "",
        regime_stats_caption(result.by_regime),
        to_text(regime_stats_table(result.by_regime)),
        "",
        "Events: returns 3/6/12 months after (from the close before the date; cuts dated on "
        "their announcement; recession-driven: the phase kernel's tag when the cut was known, "
        "with the real-time Sahm rule)",
        to_text(event_text_table(result.events)),
    ]
    if report:
        lines += ["", f"Report: {report}"]
    if png:
        lines += [f"PNG: {png}"]
    print("\n".join(lines))
    return 0
