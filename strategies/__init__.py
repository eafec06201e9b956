"""Strategy specs: declarative regime -> equity-weight rules, their TOML files and sweep grids.

``load_strategy("qt_aware")`` loads a built-in (see ``builtin_names()``), ``load_strategy(path)``
a TOML file; both return a validated, frozen :class:`Strategy`. This package never imports
``engine``.
"""

from strategies.grid import Grid, expand_grid, parse_grid_option, parse_grid_options
from strategies.regimes import RegimeParams
from strategies.spec import Costs, Overlay, Rebalance, Rule, Strategy
from strategies.toml_io import (
    builtin_names,
    load_strategy,
    parse_strategy,
    read_strategy,
    to_dict,
    to_toml,
)

__all__ = [
    "Costs",
    "Grid",
    "Overlay",
    "Rebalance",
    "RegimeParams",
    "Rule",
    "Strategy",
    "builtin_names",
    "expand_grid",
    "load_strategy",
    "parse_grid_option",
    "parse_grid_options",
    "parse_strategy",
    "read_strategy",
    "to_dict",
    "to_toml",
]
