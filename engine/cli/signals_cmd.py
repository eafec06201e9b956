"""``runoff signals``: export a strategy's target weights for portfolio tools.

Example::

    runoff signals qt_aware --format csv --out qt_aware.csv   # + qt_aware.csv.json metadata
    runoff signals note_thesis --format parquet --orders --out orders.parquet
    runoff signals note_thesis --format json --tickers equity=VOO,cash=SGOV
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
            "used, as known at the decision, its 16:00 America/New_York decision_time and "
            "expected execution_date; --long adds each asset's role and ticker. Lag, costs, "
            "band, tickers and a hash of the strategy go into parquet metadata, a CSV's "
            "<out>.json sidecar and the JSON forms. Rows with status 'executed' fed to "
            "vectorbt on their execution dates reproduce the backtest (--orders keeps only "
            "them); replaying every row on its decision date trades daily, a day early. "
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
    p.add_argument(
        "--orders",
        action="store_true",
        help="only the rows where an order executes (the form that replays safely: each "
        "row's weights at its execution_date)",
    )
    p.add_argument(
        "--tickers",
        metavar="ROLE=TICKER,...",
        help="tradable tickers per role, overriding the registry's (SPY for the S&P 500, "
        "IEF/TLT/SHY for UST10Y/UST30Y/UST5Y, the ETF itself, BIL for cash), e.g. "
        "equity=VOO,cash=SGOV",
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
    from engine.export import parse_tickers
    from engine.signals import build_signals, export, latest, orders_only
    from engine.staleness import strategy_staleness
    from strategies import load_strategy

    if args.latest:
        if args.format not in (None, "json") or args.long or args.orders:
            raise ParameterError("--latest prints one JSON object; drop --format/--long/--orders")
    elif args.format is None:
        raise ParameterError("--format csv|parquet|json is required (or use --latest)")
    store = Store(data_dir=args.data_dir)
    strategy = load_strategy(args.strategy)
    tickers = parse_tickers(args.tickers, strategy.roles())  # before any work
    signals = build_signals(strategy, args.start, args.end, store=store)
    t = signals.table
    day = t["date"].iloc[-1] if len(t) else signals.inputs.days[-1]
    stale = [x for x in strategy_staleness(signals.strategy, day, store=store) if x.stale]
    if args.latest:
        doc = latest(signals, store=store, tickers=tickers)
        doc["stale_inputs"] = [x.to_dict() for x in stale]
        text = json.dumps(doc, indent=1, allow_nan=False) + "\n"
        if args.out:
            from pathlib import Path

            atomic_write_text(Path(args.out), text)
        else:
            sys.stdout.write(text)
    else:
        exported = export(
            signals, args.format, long=args.long, orders=args.orders, tickers=tickers, out=args.out
        )
        if exported is not None:
            sys.stdout.write(exported)
        else:
            n = len(signals.table)
            what = (
                f"the {len(orders_only(signals.table))} orders of {n} decision days"
                if args.orders
                else f"{n} decision days"
            )
            print(f"wrote {what} to {args.out}", file=sys.stderr)
    for x in stale:
        print(f"runoff: warning: stale input at {x.day}: {x.line}", file=sys.stderr)
    return STALE_EXIT if stale and args.fail_on_stale else 0
