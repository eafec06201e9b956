"""``runoff signals``: export a strategy's target weights for portfolio tools.

Example::

    runoff signals qt_aware --format csv --out qt_aware.csv
    runoff signals qt_aware --format parquet --long --out qt_aware.parquet
    runoff signals qt_aware --latest            # the most recent decision as JSON
    runoff signals qt_aware --latest --fail-on-stale   # exit 3 when an input is stale (cron)
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from engine.cli.common import add_window_options


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "signals",
        help="export target weights (csv, parquet, json) or the latest decision",
        description=(
            "Export STRATEGY's decisions: one row per decision day with a target weight per "
            "risky leg (named by asset id, e.g. SP500TR, UST10Y) and CASH (the remainder), the "
            "order status and execution date, the regimes (values and codes) and the inputs "
            "used, as known at the decision; --long adds each asset's role. Rows with status "
            "'executed' fed to vectorbt on their execution dates reproduce the backtest. "
            "Example: runoff signals qt_aware --format csv --out qt_aware.csv"
        ),
    )
    p.add_argument(
        "strategy",
        metavar="STRATEGY",
        help="built-in name (buy_and_hold, qt_aware, ...) or path to a TOML file",
    )
    p.add_argument(
        "--format",
        choices=("csv", "parquet", "json"),
        default=None,
        help="output format (required unless --latest; parquet needs --out)",
    )
    p.add_argument(
        "--long",
        action="store_true",
        help="one row per date and asset (date, asset, weight, ...) instead of wide",
    )
    p.add_argument("--out", metavar="PATH", help="output file (default: standard output)")
    p.add_argument(
        "--latest",
        action="store_true",
        help="only the most recent decision, as JSON: decision and execution date, "
        "target weight of every leg (asset id and role) and cash, regimes, inputs and their "
        "observation dates",
    )
    p.add_argument(
        "--fail-on-stale",
        action="store_true",
        help="exit with status 3 (after writing the output) when an input is stale at the "
        "last decision day",
    )
    add_window_options(p)
    p.set_defaults(func=run)


STALE_EXIT = 3
"""Exit status of ``--fail-on-stale`` when an input is stale at the last decision day."""


def run(args: argparse.Namespace) -> int:
    """Build the signals and write them; exit 3 with --fail-on-stale when an input is stale."""
    from data.errors import ParameterError
    from data.paths import atomic_write_text
    from data.store import Store
    from engine.signals import build_signals, export, latest
    from engine.staleness import strategy_staleness

    if args.latest:
        if args.format not in (None, "json") or args.long:
            raise ParameterError("--latest prints one JSON object; drop --format/--long")
    elif args.format is None:
        raise ParameterError("--format csv|parquet|json is required (or use --latest)")
    store = Store(data_dir=args.data_dir)
    signals = build_signals(args.strategy, args.start, args.end, store=store)
    t = signals.table
    day = t["date"].iloc[-1] if len(t) else signals.inputs.days[-1]
    stale = [x for x in strategy_staleness(signals.strategy, day, store=store) if x.stale]
    if args.latest:
        doc = latest(signals, store=store)
        doc["stale_inputs"] = [x.to_dict() for x in stale]
        text = json.dumps(doc, indent=1, allow_nan=False) + "\n"
        if args.out:
            from pathlib import Path

            atomic_write_text(Path(args.out), text)
        else:
            sys.stdout.write(text)
    else:
        exported = export(signals, args.format, long=args.long, out=args.out)
        if exported is not None:
            sys.stdout.write(exported)
        else:
            print(f"wrote {len(signals.table)} decision days to {args.out}", file=sys.stderr)
    for x in stale:
        print(f"runoff: warning: stale input at {x.day}: {x.line}", file=sys.stderr)
    return STALE_EXIT if stale and args.fail_on_stale else 0
