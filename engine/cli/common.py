"""Helpers shared by the ``runoff`` sub-command modules (``engine/cli/*_cmd.py``)."""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

START_HELP = "first day (moved later if an input is not known yet)"
"""Help of ``--start`` for commands that run a strategy from its first known day."""


def json_text(obj: Any) -> str:
    """``obj`` as indented JSON, non-finite floats (NaN, inf) as ``null`` at any depth."""

    def clean(x: Any) -> Any:
        if isinstance(x, float) and not math.isfinite(x):
            return None
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [clean(v) for v in x]
        return x

    return json.dumps(clean(obj), indent=2)


def add_command(
    subparsers: argparse._SubParsersAction, name: str, help: str, description: str
) -> argparse.ArgumentParser:
    """A sub-command whose ``--help`` keeps the line breaks of ``description``."""
    return subparsers.add_parser(
        name,
        help=help,
        description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_window_options(p: argparse.ArgumentParser, start_help: str = START_HELP) -> None:
    """Add ``--start`` / ``--end`` (``YYYY-MM-DD``, passed to the library as given)."""
    p.add_argument("--start", metavar="YYYY-MM-DD", help=start_help)
    p.add_argument("--end", metavar="YYYY-MM-DD", help="last day (default: the last close)")
