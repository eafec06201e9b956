"""The ``runoff`` command line: a thin layer that parses options and calls the library.

Each sub-command lives in its own module with a ``register(subparsers)`` function that
adds its parser and sets ``func`` (called with the parsed namespace, returns an exit
code). Library errors (:class:`data.errors.RunoffError`) become one line on stderr and
exit code 2; nothing else is caught silently.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from data.errors import RunoffError

COMMAND_MODULES: tuple[str, ...] = (
    "engine.cli.data_cmd",
    "engine.cli.regimes_cmd",
    "engine.cli.backtest_cmd",
    "engine.cli.signals_cmd",
    "engine.cli.sweep_cmd",
)
"""Modules that each register one top-level sub-command, in the order ``--help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="runoff",
        description=(
            "Runoff: Fed balance-sheet (QE/QT) and rate-cycle regimes -> weights over the S&P "
            "500 (total return), Treasuries and cash: signals, vectorbt backtests and fused "
            "parameter sweeps, on point-in-time data."
        ),
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="folder of your own CSV files (FRED / index format) that replace the bundled "
        "snapshot per series, and daily price files <ID>.csv a strategy can hold as assets "
        "(default: $RUNOFF_DATA_DIR)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``runoff`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except RunoffError as exc:
        print(f"runoff: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("runoff: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: stop quietly, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except (OSError, MemoryError) as exc:
        if os.environ.get("RUNOFF_DEBUG"):
            raise
        print(f"runoff: error: {exc}", file=sys.stderr)
        return 1
    except RecursionError:
        # A parser's stack limit (e.g. a file nested 10^5 levels deep); RUNOFF_DEBUG=1
        # shows the traceback.
        if os.environ.get("RUNOFF_DEBUG"):
            raise
        print(
            "runoff: error: an input is nested too deeply to parse (RecursionError); "
            "check the files given to this command",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
