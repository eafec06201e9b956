"""Strategy files: TOML text <-> :class:`~strategies.spec.Strategy`, and the built-in strategies.

The layout (see ``strategies/builtin/*.toml``)::

    name = "qt_aware"
    description = "..."
    [assets]                     # role = asset id; default equity = "SP500TR" (cash: remainder)
    [regimes.balance_sheet]      # fields of each family's parameters (strategies.families)
    [allocation]                 # default (number = equity, or a table per role),
                                 # min_weight, max_weight (equity), bounds (other roles),
                                 # [[allocation.rules]]: weight = x or weights = {role = w}
    [[overlays]]                 # feature, slope, center, role (default equity)
    [rebalance]                  # frequency, band
    [execution]                  # lag
    [costs]                      # fees, slippage: a number (every leg) or a table per role
    [cash]                       # rate
    [benchmark]                  # weights = {role = w} (rebalanced monthly); default buy-and-hold
    [sweep]                      # "dotted.key" = [values] | {start, stop, step} | {values = [...]}

Every problem raises :class:`~data.errors.StrategyError` with one line naming the file and
the key (or the line, for TOML syntax errors).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from data import reader
from data.errors import DataError, ParameterError
from strategies.errors import StrategyError
from strategies.families import FAMILIES, NAMES, RegimeParams
from strategies.keys import (
    check_combinations,
    did_you_mean,
    field_types,
    relabel,
    value_range,
    where,
)
from strategies.legs import DEFAULT_ASSETS, EQUITY, Assets, Bounds, Weights
from strategies.spec import Costs, Overlay, Rebalance, Rule, Strategy

MAX_STRATEGY_BYTES = 1 << 20
"""Largest strategy file read (1 MiB: a strategy is a few kB)."""

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"
"""Folder of the built-in strategy files (``<name>.toml``)."""

_TOP = (
    "name",
    "description",
    "assets",
    "regimes",
    "allocation",
    "overlays",
    "rebalance",
    "execution",
    "costs",
    "cash",
    "benchmark",
    "sweep",
)
_RANGE = frozenset({"start", "stop", "step", "values"})


def builtin_names() -> tuple[str, ...]:
    """Names of the built-in strategies, sorted."""
    return tuple(sorted(p.stem for p in BUILTIN_DIR.glob("*.toml")))


def load_strategy(name_or_path: str | os.PathLike[str]) -> Strategy:
    """A built-in strategy by name (e.g. ``"qt_aware"`` or ``"builtin:qt_aware"``) or a
    strategy TOML file by path.

    Raises StrategyError for an unknown name (listing the built-ins), a missing or unreadable
    file, TOML syntax errors (with the line) and invalid contents (with the key).
    """
    text = os.fspath(name_or_path)
    names = builtin_names()
    if text.startswith("builtin:"):  # a Strategy.source
        text = text.removeprefix("builtin:")
    path_like = (
        isinstance(name_or_path, os.PathLike)
        or text.endswith(".toml")
        or "/" in text
        or os.sep in text
    )
    if not path_like and text in names:
        return read_strategy(BUILTIN_DIR / f"{text}.toml", source=f"builtin:{text}")
    if path_like or Path(text).is_file():
        return read_strategy(Path(text))
    raise StrategyError(
        f"unknown strategy {text!r}{did_you_mean(text, names)}; built-ins: {', '.join(names)} "
        "(or give the path to a .toml file)"
    )


def read_strategy(path: str | os.PathLike[str], source: str | None = None) -> Strategy:
    """Parse the strategy file at ``path``; ``source`` (default: the path) labels errors."""
    source = os.fspath(path) if source is None else source
    label = where(source)
    try:
        # The guarded reader: never opens a FIFO or a directory, bounded size.
        if not reader.is_file(path):
            raise StrategyError(f"{label}: no such strategy file; check the path")
        text = reader.read_bytes(path, MAX_STRATEGY_BYTES).decode("utf-8")
    except DataError as e:
        msg = str(e).removeprefix(f"{os.fspath(path)}: ").replace("data file", "strategy file")
        raise StrategyError(f"{label}: {msg}") from None
    except UnicodeDecodeError as e:
        raise StrategyError(f"{label}: not a UTF-8 text file ({e.reason})") from None
    try:
        mapping = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise StrategyError(f"{label}: invalid TOML: {e}") from None
    except RecursionError:
        raise StrategyError(
            f"{label}: invalid TOML: arrays or tables nested too deeply to read"
        ) from None
    if not mapping:
        raise StrategyError(
            f"{label}: the strategy file is empty (no keys, only comments or blank lines); "
            'give at least name = "..." and an [allocation] table (see strategies/builtin/)'
        )
    return parse_strategy(mapping, source)


def parse_strategy(mapping: Mapping[str, Any], source: str = "") -> Strategy:
    """Build and validate a Strategy from a mapping in the TOML layout (e.g. ``tomllib`` output).

    ``source`` is the file path or ``"builtin:<name>"``; it names the file in error messages and
    supplies the name when the mapping has none. Every combination of the ``[sweep]`` table is
    checked too, so a file that loads can be swept.
    """
    default_name = Path(source.removeprefix("builtin:")).stem if source else ""
    w = where(source, str(mapping.get("name", default_name)))
    _keys(w, mapping, _TOP, "")
    name = mapping.get("name", default_name)
    if not name:
        raise StrategyError(f'{w}: name: missing; add name = "..." at the top of the file')

    regimes = _table(w, mapping, "regimes")
    _keys(w, regimes, [f.group for f in FAMILIES], "regimes.")
    groups = {}
    for fam in FAMILIES:
        values = _table(w, regimes, fam.group, "regimes.")
        _keys(w, values, field_types(fam.params), f"regimes.{fam.group}.")
        try:
            groups[fam.group] = fam.params(**values)
        except ParameterError as e:
            raise StrategyError(f"{w}: {relabel(e, f'regimes.{fam.group}.{e.key}')}") from None

    assets_table = mapping.get("assets", None)
    if assets_table is None:
        assets = DEFAULT_ASSETS
    else:
        assets_table = _table(w, mapping, "assets")
        for role, asset in assets_table.items():
            if not isinstance(asset, str):
                raise StrategyError(
                    f'{w}: assets.{role} = {asset!r}: expected an asset id string, e.g. "UST10Y"'
                )
        assets = Assets(assets_table)
    roles = assets.roles

    alloc = _table(w, mapping, "allocation")
    _keys(w, alloc, ("default", "min_weight", "max_weight", "bounds", "rules"), "allocation.")
    rules = []
    for i, rule in enumerate(_tables(w, alloc, "rules", "allocation.")):
        key = f"allocation.rules[{i}]"
        _keys(w, rule, ("name", "weight", "weights", *NAMES), f"{key}.")
        if "weight" in rule and "weights" in rule:
            raise StrategyError(
                f"{w}: {key}: weight and weights both given; weight = x is short for "
                "weights = {equity = x}: give one"
            )
        if "weights" in rule:
            rule["weights"] = _role_table(w, rule["weights"], f"{key}.weights", roles)
        else:
            _require(w, rule, "weight", key, "every rule needs a weight (or weights = {role = w})")
        rules.append(Rule(**rule))
    overlays = []
    for i, ov in enumerate(_tables(w, mapping, "overlays", "")):
        key = f"overlays[{i}]"
        _keys(w, ov, ("feature", "slope", "center", "role"), f"{key}.")
        _require(w, ov, "feature", key, "name one of the features")
        _require(w, ov, "slope", key, "give the weight change per unit of the feature")
        overlays.append(Overlay(**ov))

    sections = {}
    for section, allowed in (
        ("rebalance", ("frequency", "band")),
        ("execution", ("lag",)),
        ("costs", ("fees", "slippage")),
        ("cash", ("rate",)),
        ("benchmark", ("weights",)),
    ):
        sections[section] = _table(w, mapping, section)
        _keys(w, sections[section], allowed, f"{section}.")
    costs: dict[str, Any] = {
        k: _role_table(w, v, f"costs.{k}", roles) if isinstance(v, Mapping) else v
        for k, v in sections["costs"].items()
    }
    benchmark = None
    if "benchmark" in mapping:
        _require(w, sections["benchmark"], "weights", "benchmark", "give weights = {role = w}")
        benchmark = _role_table(w, sections["benchmark"]["weights"], "benchmark.weights", roles)
    bounds = _table(w, alloc, "bounds", "allocation.")
    for role, pair in bounds.items():
        if not isinstance(pair, list):
            raise StrategyError(
                f"{w}: allocation.bounds.{role} = {pair!r}: expected [lo, hi], e.g. [0.0, 0.6]"
            )
    default = alloc.get("default", None)
    if isinstance(default, Mapping):
        default = _role_table(w, default, "allocation.default", roles)
    sweep = _sweep(w, _table(w, mapping, "sweep"))

    kwargs: dict[str, Any] = {
        "default_weight": default,
        "min_weight": alloc.get("min_weight", 0.0),
        "max_weight": alloc.get("max_weight", 1.0),
        "execution_lag": sections["execution"].get("lag", 1),
        "cash_rate": sections["cash"].get("rate", "DTB3"),
    }
    strategy = Strategy(
        name=name,
        description=mapping.get("description", ""),
        regimes=RegimeParams(**groups),
        rules=tuple(rules),
        overlays=tuple(overlays),
        rebalance=Rebalance(**sections["rebalance"]),
        costs=Costs(**costs),
        assets=assets,
        bounds=Bounds(bounds),
        benchmark=None if benchmark is None else Weights(benchmark),
        sweep=sweep,
        source=source,
        **kwargs,
    )
    try:
        check_combinations(strategy, strategy.sweep)
    except ValueError as e:
        raise StrategyError(f"{w}: sweep: {e}") from None
    return strategy


# -- helpers -------------------------------------------------------------------------------------


def _keys(w: str, table: Mapping[str, Any], allowed: Any, prefix: str) -> None:
    """Reject keys of ``table`` not in ``allowed``, suggesting the closest known key."""
    allowed = list(allowed)
    for key in table:
        if key not in allowed:
            raise StrategyError(
                f"{w}: {prefix}{key}: unknown key{did_you_mean(key, allowed)}; "
                f"known keys here: {', '.join(allowed)}"
            )


def _table(w: str, parent: Mapping[str, Any], key: str, prefix: str = "") -> dict[str, Any]:
    value = parent.get(key, {})
    if not isinstance(value, Mapping):
        raise StrategyError(f"{w}: {prefix}{key} = {value!r}: expected a table [{prefix}{key}]")
    return dict(value)


def _tables(w: str, parent: Mapping[str, Any], key: str, prefix: str) -> list[dict[str, Any]]:
    value = parent.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise StrategyError(
            f"{w}: {prefix}{key} = {value!r}: expected an array of tables [[{prefix}{key}]]"
        )
    return [dict(v) for v in value]


def _role_table(w: str, value: Any, key: str, roles: tuple[str, ...]) -> dict[str, Any]:
    """A table role -> number (weights, costs): a table whose keys are roles of [assets]."""
    if not isinstance(value, Mapping):
        raise StrategyError(
            f"{w}: {key} = {value!r}: expected a table role -> value, e.g. "
            f"{{{EQUITY if EQUITY in roles else roles[0]} = 0.5}}"
        )
    for role in value:
        if role not in roles:
            raise StrategyError(
                f"{w}: {key}.{role}: no asset for role {role!r}{did_you_mean(role, roles)}; "
                f'add {role} = "<asset id>" to [assets] (its roles: {", ".join(roles)})'
            )
    return dict(value)


def _require(w: str, table: Mapping[str, Any], key: str, where_: str, how: str) -> None:
    if key not in table:
        raise StrategyError(f"{w}: {where_}.{key}: missing; {how}")


def _sweep(w: str, table: Mapping[str, Any]) -> dict[str, tuple]:
    """Flatten ``[sweep]`` to dotted key -> values; expand ``{start, stop, step}`` ranges.

    Quoted (``"balance_sheet.window_weeks" = ...``) and bare dotted keys
    (``balance_sheet.window_weeks = ...``, which TOML nests as tables) both work.
    """
    out: dict[str, tuple] = {}

    def walk(prefix: str, node: Mapping[str, Any]) -> None:
        for k, v in node.items():
            key = f"{prefix}{k}"
            if isinstance(v, Mapping) and v and not set(v) <= _RANGE:
                walk(f"{key}.", v)
                continue
            if key in out:
                raise StrategyError(f'{w}: sweep."{key}": given twice')
            out[key] = _sweep_values(w, key, v)

    walk("", table)
    return out


def _sweep_values(w: str, key: str, v: Any) -> tuple:
    label = f'{w}: sweep."{key}"'
    if isinstance(v, list):
        if not v:
            raise StrategyError(f"{label}: empty list of values; give at least one value")
        return tuple(v)
    if not isinstance(v, Mapping):
        raise StrategyError(
            f"{label} = {v!r}: expected a list of values, "
            "{start, stop, step} or {values = [...]}"
        )
    if set(v) == {"values"}:
        return _sweep_values(w, key, v["values"])
    if set(v) != {"start", "stop", "step"}:
        raise StrategyError(
            f"{label} = {v!r}: expected {{start, stop, step}} (stop inclusive) "
            "or {values = [...]}"
        )
    try:
        return value_range(v["start"], v["stop"], v["step"])
    except ValueError as e:
        raise StrategyError(f"{label}: {e}") from None
