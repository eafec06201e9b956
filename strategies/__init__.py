"""Strategy specs: declarative regime -> weight-per-leg rules, their TOML files and sweep grids.

The legs a strategy holds (role -> asset id, cash the remainder) are :mod:`strategies.legs`.

The regime families (names, parameter groups, enums, features, engine modules) are declared
once in :mod:`strategies.families`; dotted keys are read, checked and replaced by
:mod:`strategies.keys`; errors live in :mod:`strategies.errors`.

``load_strategy("qt_aware")`` loads a built-in (see ``builtin_names()``), ``load_strategy(path)``
a TOML file; both return a validated, frozen :class:`Strategy`. This package never imports
``engine``.
"""

from strategies.errors import GridError, StrategyError
from strategies.families import FAMILIES, Family, RegimeParams
from strategies.grid import Grid, expand_grid, parse_grid_option, parse_grid_options
from strategies.layout import to_dict, to_toml
from strategies.legs import Assets, Bounds, Weights
from strategies.spec import Costs, Overlay, Rebalance, Rule, Strategy
from strategies.toml_io import builtin_names, load_strategy, parse_strategy, read_strategy

__all__ = [
    "FAMILIES",
    "Assets",
    "Bounds",
    "Costs",
    "Family",
    "Grid",
    "GridError",
    "Overlay",
    "Rebalance",
    "RegimeParams",
    "Rule",
    "Strategy",
    "StrategyError",
    "Weights",
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
