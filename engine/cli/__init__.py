"""The ``runoff`` command line: a thin layer that parses options and calls the library.

Each sub-command lives in its own module with a ``register(subparsers)`` function that
adds its parser and sets ``func`` (called with the parsed namespace, returns an exit
code). Library errors (:class:`data.errors.RunoffError`) become one line on stderr and
exit code 2; nothing else is caught silently.

Sub-commands are registered lazily: :data:`COMMANDS` names each command, the module that
implements it and its one-line help, so ``runoff --help`` lists them without importing any
command module (nor pandas, numba or vectorbt). The module of the command being run is
imported when argparse reaches its name, and its ``register`` then fills in the parser that
stands in for it (description, options, ``func``). :func:`build_parser` with ``eager=True``
registers every command at once (the tests compare both forms' help texts).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any, NamedTuple

from data.errors import RunoffError


class Command(NamedTuple):
    """One top-level sub-command: its name, the module that registers it, its help line."""

    name: str
    module: str
    help: str


COMMANDS: tuple[Command, ...] = (
    Command(
        "data",
        "engine.cli.data_cmd",
        "inspect, update, verify and query the point-in-time data store",
    ),
    Command("regimes", "engine.cli.regimes_cmd", "print the regime timeline as spans"),
    Command(
        "explain",
        "engine.cli.regimes_cmd",
        "what the engine knew and concluded on one day, and why",
    ),
    Command(
        "backtest",
        "engine.cli.backtest_cmd",
        "backtest a strategy (built-in name or TOML file) against its benchmark",
    ),
    Command(
        "signals",
        "engine.cli.signals_cmd",
        "export target weights (csv, parquet, json) or the latest decision",
    ),
    Command(
        "sweep",
        "engine.cli.sweep_cmd",
        "sweep a strategy's parameters with the fused kernel (one row per combination)",
    ),
)
"""Every top-level sub-command, in the order ``--help`` lists them."""

COMMAND_MODULES: tuple[str, ...] = tuple(dict.fromkeys(c.module for c in COMMANDS))
"""Modules that register the top-level sub-commands (a module may register several)."""


class _Placeholders:
    """Stands in for the sub-parsers action while a command module registers: its
    ``add_parser`` returns the placeholder parser of that name, filled in with the module's
    description and formatter, and records the help line the module gives."""

    def __init__(self, parsers: dict[str, argparse.ArgumentParser]) -> None:
        self.parsers = parsers
        self.helps: dict[str, str | None] = {}

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        if name not in self.parsers:
            raise RuntimeError(
                f"a command module registers {name!r}, which engine.cli.COMMANDS does not list"
            )
        p = self.parsers[name]
        self.helps[name] = kwargs.pop("help", None)
        for key, value in kwargs.items():  # description, formatter_class, epilog, ...
            setattr(p, key, value)
        return p


class _LazyCommands(argparse._SubParsersAction):
    """The sub-command action: registers the chosen command's module just before its parser
    runs (see the module docstring)."""

    loaded: set[str]

    def load(self, module: str) -> _Placeholders:
        """Import ``module`` and let it fill in its placeholder parsers (once)."""
        shim = _Placeholders(self._name_parser_map)
        if module not in self.loaded:
            importlib.import_module(module).register(shim)
            self.loaded.add(module)
        return shim

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        name = values[0]
        for c in COMMANDS:
            if c.name == name:
                self.load(c.module)
        super().__call__(parser, namespace, values, option_string)


def build_parser(eager: bool = False) -> argparse.ArgumentParser:
    """The ``runoff`` parser; ``eager`` registers every command module now (else each one when
    its command is run)."""
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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", action=_LazyCommands)
    assert isinstance(sub, _LazyCommands)
    sub.loaded = set()
    sub.required = True
    for c in COMMANDS:
        sub.add_parser(c.name, help=c.help)
    if eager:
        for module in COMMAND_MODULES:
            sub.load(module)
    return parser


def registered_helps() -> dict[str, str | None]:
    """The help line each command module gives its command when it registers (imports every
    command module; the tests check these against :data:`COMMANDS`)."""
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, _LazyCommands))
    out: dict[str, str | None] = {}
    for module in COMMAND_MODULES:
        out.update(sub.load(module).helps)
    return out


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
