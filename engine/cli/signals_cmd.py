"""``runoff signals``: export a strategy's target weights for portfolio tools.

Example::

    runoff signals qt_aware --format csv --out qt_aware.csv
    runoff signals qt_aware --format parquet --long --out qt_aware.parquet
    runoff signals qt_aware --latest            # the most recent decision as JSON
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
    add_window_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the signals and write them."""
    from data.errors import ParameterError
    from data.paths import atomic_write_text
    from data.store import Store
    from engine.signals import build_signals, export, latest

    if args.latest:
        if args.format not in (None, "json") or args.long:
            raise ParameterError("--latest prints one JSON object; drop --format/--long")
    elif args.format is None:
        raise ParameterError("--format csv|parquet|json is required (or use --latest)")
    store = Store(data_dir=args.data_dir)
    signals = build_signals(args.strategy, args.start, args.end, store=store)
    if args.latest:
        text = json.dumps(latest(signals, store=store), indent=1, allow_nan=False) + "\n"
        if args.out:
            from pathlib import Path

            atomic_write_text(Path(args.out), text)
        else:
            sys.stdout.write(text)
        return 0
    exported = export(signals, args.format, long=args.long, out=args.out)
    if exported is not None:
        sys.stdout.write(exported)
    else:
        print(f"wrote {len(signals.table)} decision days to {args.out}", file=sys.stderr)
    return 0
