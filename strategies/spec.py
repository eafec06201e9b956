"""Strategy spec: a declarative allocation rule as frozen dataclasses, validated on construction.

A :class:`Strategy` turns the day's regimes into a target equity weight (the rest sits in the
cash asset): the first matching :class:`Rule` of the allocation table gives a weight (the
default where none matches), continuous :class:`Overlay` terms are added, and the sum is
clipped to ``[min_weight, max_weight]``. :class:`Rebalance`, the execution lag and
:class:`Costs` say when and at what price the engine trades. Every invalid value raises
:class:`~data.errors.StrategyError` naming the file and the TOML key, e.g.
``qt_aware.toml: allocation.rules[1].phase = 'CUTING': unknown regime; expected one of ...``.

Dotted keys address the parameters for :meth:`Strategy.replace` and sweeps:
``balance_sheet.<field>``, ``net_liquidity.<field>``, ``policy.<field>`` (regime params),
``weights.<rule name>``, ``default_weight``, ``min_weight``, ``max_weight``,
``rebalance.band``, ``costs.fees``, ``costs.slippage``, ``execution_lag``,
``overlays.<i>.slope``; the string fields ``balance_sheet.measure``, ``rebalance.frequency``
and ``cash_rate`` can be replaced but not swept.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from data.errors import ParameterError, StrategyError
from strategies.regimes import (
    FEATURE_NAMES,
    REGIME_ENUMS,
    BalanceSheetParams,
    NetLiquidityParams,
    PolicyParams,
    RegimeParams,
)

REGIMES: tuple[str, ...] = tuple(REGIME_ENUMS)
"""Regime names a rule can condition on: ``balance_sheet``, ``net_liquidity``, ``phase``."""
TABLE_SHAPE: tuple[int, ...] = tuple(len(e) for e in REGIME_ENUMS.values())
"""Shape of :meth:`Strategy.table`: (balance sheet codes, net liquidity codes, phase codes)."""
PARAM_GROUPS: dict[str, type] = {
    "balance_sheet": BalanceSheetParams,
    "net_liquidity": NetLiquidityParams,
    "policy": PolicyParams,
}
"""Regime parameter groups: dotted-key prefix (and ``[regimes.<group>]`` table) -> dataclass."""
FREQUENCIES = ("D", "W", "M")
CASH_RATES = ("DTB3", "none")
MAX_CHECKED = 100_000
"""Most combinations of one regime parameter group that a sweep grid validates one by one."""

_TYPES = {"int": int, "float": float, "bool": bool, "str": str}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PARAM_MSG = re.compile(r"\w+\.(\w+)( = .*)\Z", re.S)


def where(source: str, name: str = "") -> str:
    """The label error messages use for a strategy: its file, or its name if it has none."""
    if source.startswith("builtin:"):
        return f"strategies/builtin/{source.removeprefix('builtin:')}.toml"
    return source or f"strategy {name!r}"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest choice, or ``""`` when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def coerce(value: Any, typ: type) -> Any:
    """``value`` as a plain Python ``typ`` (int, float, bool, str); ValueError if it is not one.

    NumPy scalars are accepted; an int is a valid float, a float is never a valid int and a
    bool is neither.
    """
    if isinstance(value, np.generic):
        value = value.item()
    if typ is bool:
        if isinstance(value, bool):
            return value
        raise ValueError("expected true or false")
    if typ is str:
        if isinstance(value, str):
            return value
        raise ValueError("expected a string")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("expected an integer" if typ is int else "expected a number")
    if typ is int:
        if not isinstance(value, int):
            raise ValueError("expected an integer")
        return value
    if not math.isfinite(value):
        raise ValueError("expected a finite number")
    return float(value)


def value_range(start: Any, stop: Any, step: Any) -> tuple:
    """Values ``start, start + step, ...`` up to ``stop`` inclusive (ValueError if invalid).

    Integers if all three are integers, else floats rounded to 12 significant digits (so
    ``0.1`` steps give ``0.3``, not ``0.30000000000000004``).
    """
    for label, v in (("start", start), ("stop", stop), ("step", step)):
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ValueError(f"{label} = {v!r}: expected a number")
    if step <= 0:
        raise ValueError(f"step = {step!r}: expected step > 0")
    if stop < start:
        raise ValueError(f"stop = {stop!r} is below start = {start!r}: the range is empty")
    n = math.floor((stop - start) / step + 1e-9) + 1
    if n > MAX_CHECKED:
        raise ValueError(f"{n:,} values; at most {MAX_CHECKED:,} per range")
    if all(isinstance(v, int) for v in (start, stop, step)):
        return tuple(range(start, stop + 1, step))
    return tuple(float(f"{start + i * step:.12g}") for i in range(n))


class SweepTable(Mapping[str, tuple]):
    """Read-only mapping of dotted key -> tuple of values (picklable, unlike MappingProxyType,
    so strategies travel to Dask workers)."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, tuple] | Iterable[tuple[str, tuple]] = ()) -> None:
        self._items = dict(items)

    def __getitem__(self, key: str) -> tuple:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"SweepTable({self._items!r})"


def _number(v: Any) -> Any:
    """Ints and NumPy scalars as floats; anything else unchanged (validated later)."""
    if isinstance(v, np.generic):
        v = v.item()
    return float(v) if isinstance(v, int) and not isinstance(v, bool) else v


@dataclass(frozen=True)
class Rule:
    """One row of the allocation table; the first rule that matches the day's regimes wins.

    Requires: the regimes it names (``None`` or ``"*"`` = any; ``"*"`` is stored as None).
    Produces: ``weight``, the target equity weight on days it matches.
    Lag: none; the weight applies to the decision of the day whose regimes match.

    ``name`` (a Python-style identifier) lets sweeps and :meth:`Strategy.replace` address the
    weight as ``weights.<name>``.
    """

    weight: float
    balance_sheet: str | None = None
    net_liquidity: str | None = None
    phase: str | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        for regime in REGIMES:
            if getattr(self, regime) == "*":
                object.__setattr__(self, regime, None)
        object.__setattr__(self, "weight", _number(self.weight))

    def conditions(self) -> dict[str, str]:
        """Regime name -> required value, for the regimes this rule names."""
        return {r: getattr(self, r) for r in REGIMES if getattr(self, r) is not None}


@dataclass(frozen=True)
class Overlay:
    """A continuous term added to the table weight: ``slope * (feature - center)``.

    Requires: the daily feature ``feature`` (one of ``strategies.regimes.FEATURE_NAMES``).
    Produces: a weight adjustment, summed over overlays before clipping to the bounds.
    Lag: none beyond the feature's own point-in-time availability.
    """

    feature: str
    slope: float
    center: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "slope", _number(self.slope))
        object.__setattr__(self, "center", _number(self.center))


@dataclass(frozen=True)
class Rebalance:
    """When orders are placed: on decision days ("D" daily, "W"/"M" last trading day of the
    week/month), only if |target - drifted weight| > ``band`` (or nothing has traded yet)."""

    frequency: str = "D"
    band: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "band", _number(self.band))


@dataclass(frozen=True)
class Costs:
    """Trading costs on the index leg only: ``fees`` (fraction of traded value) and
    ``slippage`` (fraction of price, against the trade)."""

    fees: float = 0.0005
    slippage: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "fees", _number(self.fees))
        object.__setattr__(self, "slippage", _number(self.slippage))


@dataclass(frozen=True)
class Strategy:
    """A declarative S&P 500 / cash allocation rule driven by regimes.

    Requires: the regimes in :meth:`uses` (computed with ``regimes``) and the overlay features,
    each as known at the decision time (16:00 ET) of trading day t.
    Produces: the target equity weight ``clip(table[bs, nl, phase] + overlays, min_weight,
    max_weight)`` for day t; ``1 - weight`` goes to the cash asset accruing ``cash_rate``.
    Lag: the order placed at the close of t executes at the close of t + ``execution_lag``.

    Construction validates every field and raises :class:`StrategyError` naming the file
    (``source``) and the TOML key. ``sweep`` maps dotted keys to tuples of values.
    """

    name: str
    description: str = ""
    regimes: RegimeParams = RegimeParams()
    rules: tuple[Rule, ...] = ()
    default_weight: float = 1.0
    overlays: tuple[Overlay, ...] = ()
    min_weight: float = 0.0
    max_weight: float = 1.0
    rebalance: Rebalance = Rebalance()
    execution_lag: int = 1
    costs: Costs = Costs()
    cash_rate: str = "DTB3"
    sweep: Mapping[str, tuple] = field(default_factory=SweepTable, hash=False)
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        for name in ("default_weight", "min_weight", "max_weight"):
            object.__setattr__(self, name, _number(getattr(self, name)))
        if isinstance(self.execution_lag, np.integer):
            object.__setattr__(self, "execution_lag", int(self.execution_lag))
        for name in ("rules", "overlays"):
            if isinstance(getattr(self, name), list):
                object.__setattr__(self, name, tuple(getattr(self, name)))
        _validate(self)

    # -- queries -------------------------------------------------------------------------------

    def uses(self) -> frozenset[str]:
        """Regime names the rules condition on (a subset of ``balance_sheet``, ``net_liquidity``,
        ``phase``); the engine only needs to compute these."""
        return frozenset(r for rule in self.rules for r in rule.conditions())

    def rule_index(self) -> np.ndarray:
        """Which rule decides each regime combination: int64 array of shape (4, 4, 7) indexed by
        (balance sheet, net liquidity, phase) codes; -1 where no rule matches (the default)."""
        index = np.full(TABLE_SHAPE, -1, dtype=np.int64)
        for i in reversed(range(len(self.rules))):  # earlier rules overwrite later ones
            cond = self.rules[i].conditions()
            where_ = tuple(
                list(REGIME_ENUMS[r].__members__).index(cond[r]) if r in cond else slice(None)
                for r in REGIMES
            )
            index[where_] = i
        return index

    def table(self) -> np.ndarray:
        """The allocation table: float64 array of shape (4, 4, 7), the weight for each
        (balance sheet, net liquidity, phase) code; first matching rule, the default elsewhere,
        clipped to ``[min_weight, max_weight]`` (overlays are not included)."""
        weights = np.array([r.weight for r in self.rules] + [self.default_weight])
        return np.clip(weights[self.rule_index()], self.min_weight, self.max_weight)

    def key_types(self) -> dict[str, type]:
        """Every dotted key :meth:`replace` accepts -> its type (int, float, bool or str)."""
        out: dict[str, type] = {}
        for group, cls in PARAM_GROUPS.items():
            for f in fields(cls):
                type_name = f.type if isinstance(f.type, str) else f.type.__name__
                out[f"{group}.{f.name}"] = _TYPES[type_name]
        for rule in self.rules:
            if rule.name:
                out[f"weights.{rule.name}"] = float
        out.update(default_weight=float, min_weight=float, max_weight=float)
        out.update({"rebalance.band": float, "rebalance.frequency": str})
        out.update({"costs.fees": float, "costs.slippage": float, "execution_lag": int})
        out.update({f"overlays.{i}.slope": float for i in range(len(self.overlays))})
        out["cash_rate"] = str
        return out

    def sweep_keys(self) -> tuple[str, ...]:
        """All dotted keys this strategy can sweep (numeric and boolean parameters), regime
        parameters first. The keys of its own ``[sweep]`` table are ``tuple(self.sweep)``."""
        return tuple(k for k, t in self.key_types().items() if t is not str)

    # -- derived strategies ------------------------------------------------------------------

    def replace(self, **dotted: Any) -> Strategy:
        """A copy with parameters changed by dotted key, validated.

        Example: ``s.replace(**{"balance_sheet.window_weeks": 26, "weights.contraction": 0.3})``.
        Raises StrategyError for an unknown key or an invalid value.
        """
        w = where(self.source, self.name)
        types = self.key_types()
        top: dict[str, Any] = {}
        params: dict[str, dict[str, Any]] = {g: {} for g in PARAM_GROUPS}
        rules, overlays = list(self.rules), list(self.overlays)
        rebalance: dict[str, Any] = {}
        costs: dict[str, Any] = {}
        for key, value in dotted.items():
            if key not in types:
                raise StrategyError(
                    f"{w}: replace({key}=...): unknown key{did_you_mean(key, types)}; "
                    f"known keys: {', '.join(types)}"
                )
            try:
                value = coerce(value, types[key])
            except ValueError as e:
                raise StrategyError(f"{w}: replace({key}={value!r}): {e}") from None
            group, _, rest = key.partition(".")
            if group in PARAM_GROUPS:
                params[group][rest] = value
            elif group == "weights":
                i = next(i for i, r in enumerate(rules) if r.name == rest)
                rules[i] = dataclasses.replace(rules[i], weight=value)
            elif group == "overlays":
                i = int(rest.split(".")[0])
                overlays[i] = dataclasses.replace(overlays[i], slope=value)
            elif group == "rebalance":
                rebalance[rest] = value
            elif group == "costs":
                costs[rest] = value
            else:
                top[key] = value
        if any(params.values()):
            top["regimes"] = RegimeParams(
                **{g: _params(w, g, getattr(self.regimes, g), params[g]) for g in PARAM_GROUPS}
            )
        return dataclasses.replace(
            self,
            rules=tuple(rules),
            overlays=tuple(overlays),
            rebalance=dataclasses.replace(self.rebalance, **rebalance),
            costs=dataclasses.replace(self.costs, **costs),
            **top,
        )

    def to_dict(self) -> dict[str, Any]:
        """The strategy in the TOML layout (``parse_strategy(s.to_dict()) == s``)."""
        from strategies.toml_io import to_dict

        return to_dict(self)

    def to_toml(self) -> str:
        """The strategy as TOML text, loadable by ``load_strategy`` (a round trip)."""
        from strategies.toml_io import to_toml

        return to_toml(self)


def _params(w: str, group: str, base: Any, changes: Mapping[str, Any]) -> Any:
    """``base`` with ``changes``; a ParameterError becomes a StrategyError naming the TOML key."""
    try:
        return dataclasses.replace(base, **changes)
    except ParameterError as e:
        raise StrategyError(f"{w}: {param_key(group, e)}") from None


def param_key(group: str, err: ParameterError) -> str:
    """A ParameterError's ``'BalanceSheetParams.window_weeks = 0: ...'`` as the TOML key
    ``'regimes.balance_sheet.window_weeks = 0: ...'``."""
    m = _PARAM_MSG.match(str(err))
    return f"regimes.{group}.{m[1]}{m[2]}" if m else f"regimes.{group}: {err}"


# -- validation ----------------------------------------------------------------------------------


def _validate(s: Strategy) -> None:
    w = where(s.source if isinstance(s.source, str) else "", str(s.name))

    def fail(key: str, value: Any, msg: str) -> StrategyError:
        return StrategyError(f"{w}: {key} = {value!r}: {msg}")

    def check(key: str, value: Any, typ: type) -> Any:
        try:
            return coerce(value, typ)
        except ValueError as e:
            raise fail(key, value, str(e)) from None

    if not isinstance(s.name, str) or not s.name.strip():
        raise fail("name", s.name, "expected a non-empty string")
    check("description", s.description, str)
    if not isinstance(s.regimes, RegimeParams):
        raise fail("regimes", s.regimes, "expected a RegimeParams")
    for group, cls in PARAM_GROUPS.items():
        if not isinstance(getattr(s.regimes, group), cls):
            raise fail(f"regimes.{group}", getattr(s.regimes, group), f"expected a {cls.__name__}")

    lo = check("allocation.min_weight", s.min_weight, float)
    hi = check("allocation.max_weight", s.max_weight, float)
    for key, v in (("allocation.min_weight", lo), ("allocation.max_weight", hi)):
        if not 0.0 <= v <= 1.0:
            raise fail(key, v, "outside [0, 1]; no leverage and no shorting")
    if lo > hi:
        raise fail("allocation.min_weight", lo, f"above allocation.max_weight = {hi!r}")

    def weight(key: str, v: Any) -> None:
        v = check(key, v, float)
        if not lo <= v <= hi:
            raise fail(key, v, f"outside [min_weight, max_weight] = [{lo!r}, {hi!r}]")

    weight("allocation.default", s.default_weight)
    names: dict[str, int] = {}
    for i, rule in enumerate(s.rules):
        key = f"allocation.rules[{i}]"
        if not isinstance(rule, Rule):
            raise fail(key, rule, "expected a Rule")
        weight(f"{key}.weight", rule.weight)
        for regime, enum in REGIME_ENUMS.items():
            v = getattr(rule, regime)
            if v is not None and (not isinstance(v, str) or v not in enum.__members__):
                choices = ", ".join(enum.__members__)
                hint = did_you_mean(v, enum.__members__) if isinstance(v, str) else ""
                raise fail(
                    f"{key}.{regime}", v, f"unknown regime; expected one of {choices} or '*'{hint}"
                )
        if rule.name is not None:
            if not isinstance(rule.name, str) or not _NAME.match(rule.name):
                raise fail(f"{key}.name", rule.name, "expected an identifier (letters, digits, _)")
            if rule.name in names:
                raise fail(
                    f"{key}.name",
                    rule.name,
                    f"already used by allocation.rules[{names[rule.name]}]",
                )
            names[rule.name] = i
        for j, earlier in enumerate(s.rules[:i]):
            if all(getattr(earlier, r) in (None, getattr(rule, r)) for r in REGIMES):
                raise StrategyError(
                    f"{w}: {key}: never matches, allocation.rules[{j}] already matches every "
                    f"regime combination it would; reorder or remove it"
                )
    for i, ov in enumerate(s.overlays):
        key = f"overlays[{i}]"
        if not isinstance(ov, Overlay):
            raise fail(key, ov, "expected an Overlay")
        if ov.feature not in FEATURE_NAMES:
            hint = did_you_mean(ov.feature, FEATURE_NAMES) if isinstance(ov.feature, str) else ""
            raise fail(
                f"{key}.feature",
                ov.feature,
                f"unknown feature; expected one of {', '.join(FEATURE_NAMES)}{hint}",
            )
        check(f"{key}.slope", ov.slope, float)
        check(f"{key}.center", ov.center, float)

    if not isinstance(s.rebalance, Rebalance):
        raise fail("rebalance", s.rebalance, "expected a Rebalance")
    if not isinstance(s.costs, Costs):
        raise fail("costs", s.costs, "expected a Costs")
    if s.rebalance.frequency not in FREQUENCIES:
        raise fail(
            "rebalance.frequency",
            s.rebalance.frequency,
            "expected 'D' (daily), 'W' (weekly) or 'M' (monthly)",
        )
    for key, toml_key, value, typ in (
        ("rebalance.band", "rebalance.band", s.rebalance.band, float),
        ("execution_lag", "execution.lag", s.execution_lag, int),
        ("costs.fees", "costs.fees", s.costs.fees, float),
        ("costs.slippage", "costs.slippage", s.costs.slippage, float),
    ):
        problem = _value_problem(key, check(toml_key, value, typ))
        if problem:
            raise fail(toml_key, value, problem)
    if s.cash_rate not in CASH_RATES:
        raise fail(
            "cash.rate",
            s.cash_rate,
            "unknown cash rate series; expected 'DTB3' (3-month T-bill) or 'none' (0%)",
        )

    if not isinstance(s.sweep, Mapping):
        raise fail("sweep", s.sweep, "expected a table of dotted key -> values")
    types = s.key_types()
    clean: dict[str, tuple] = {}
    for key, values in s.sweep.items():
        try:
            clean[key] = sweep_values(types, key, values)
        except ValueError as e:
            raise StrategyError(f'{w}: sweep."{key}": {e}') from None
    object.__setattr__(s, "sweep", SweepTable(clean))


_TOML_KEY = {
    "default_weight": "allocation.default",
    "min_weight": "allocation.min_weight",
    "max_weight": "allocation.max_weight",
    "execution_lag": "execution.lag",
}


def _value_problem(key: str, v: Any) -> str | None:
    """What is wrong with value ``v`` of dotted key ``key`` on its own, or None."""
    if key == "execution_lag":
        ok = v >= 1
        return (
            None
            if ok
            else (
                "expected >= 1 trading day (0 would trade on the close the "
                "decision was computed from: look-ahead)"
            )
        )
    if key == "rebalance.band" and not 0.0 <= v < 1.0:
        return "expected a no-trade band in [0, 1)"
    if key.startswith("costs.") and not 0.0 <= v < 1.0:
        return "expected a fraction in [0, 1), e.g. 0.0005 for 5 bp"
    if (key.startswith("weights.") or key in _TOML_KEY) and not 0.0 <= v <= 1.0:
        return "outside [0, 1]; no leverage and no shorting"
    return None


def sweep_values(types: Mapping[str, type], key: str, values: Any) -> tuple:
    """Validate one sweep entry on its own and return its values typed; ValueError otherwise.

    ``types`` is :meth:`Strategy.key_types`. Checks the key is sweepable, the list is not
    empty and has no duplicates, and each value has the key's type and range. Constraints
    between keys are checked by :func:`check_combinations`.
    """
    typ = types.get(key)
    if typ is None:
        sweepable = [k for k, t in types.items() if t is not str]
        raise ValueError(
            f"unknown sweep key{did_you_mean(key, sweepable)}; "
            f"sweepable keys: {', '.join(sweepable)}"
        )
    if typ is str:
        raise ValueError(
            "not sweepable (a string setting); sweep it by running one strategy file per value"
        )
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        raise ValueError(f"expected a list of values, got {values!r}")
    out = []
    for i, v in enumerate(values):
        try:
            v = coerce(v, typ)
        except ValueError as e:
            raise ValueError(f"value {v!r} (position {i}): {e}") from None
        problem = _value_problem(key, v)
        if problem:
            raise ValueError(f"value {v!r} (position {i}): {problem}")
        if v in out:
            raise ValueError(f"value {v!r} (position {i}) is listed twice")
        out.append(v)
    if not out:
        raise ValueError("empty list of values; give at least one value")
    return tuple(out)


def check_combinations(s: Strategy, table: Mapping[str, tuple]) -> None:
    """Check that every combination of a sweep grid gives a valid strategy; ValueError if not.

    ``table`` maps dotted keys to values already checked by :func:`sweep_values`. Constraints
    only link keys within one group, so the full product is valid iff each group is: every
    combination of a regime parameter group is built (at most ``MAX_CHECKED``), and weights
    are checked against the bounds they can meet (exact for a product grid).
    """
    for group in PARAM_GROUPS:
        keys = [k for k in table if k.startswith(f"{group}.")]
        n = math.prod(len(table[k]) for k in keys)
        if n > MAX_CHECKED:
            raise ValueError(
                f"{n:,} combinations of {group}.* parameters (more than "
                f"{MAX_CHECKED:,} regime variants); narrow their ranges"
            )
        base = getattr(s.regimes, group)
        names = [k.partition(".")[2] for k in keys]
        for combo in itertools.product(*(table[k] for k in keys)):
            try:
                dataclasses.replace(base, **dict(zip(names, combo, strict=True)))
            except ParameterError as e:
                shown = ", ".join(f"{k}={v!r}" for k, v in zip(keys, combo, strict=True))
                raise ValueError(
                    f"the combination {shown} is invalid: {param_key(group, e)}"
                ) from None
    los = table.get("min_weight", (s.min_weight,))
    his = table.get("max_weight", (s.max_weight,))
    if max(los) > min(his):
        raise ValueError(
            f"min_weight = {max(los)!r} is above max_weight = {min(his)!r} in some combinations"
        )
    weights = {
        f"weights.{r.name}" if r.name else f"allocation.rules[{i}].weight": (r.weight,)
        for i, r in enumerate(s.rules)
    }
    weights["default_weight"] = (s.default_weight,)
    for key, base_values in weights.items():
        values = table.get(key, base_values)
        if min(values) < max(los) or max(values) > min(his):
            raise ValueError(
                f"{key} ranges over [{min(values)!r}, {max(values)!r}], outside "
                f"[min_weight, max_weight] = [{max(los)!r}, {min(his)!r}] in some "
                "combinations"
            )
