"""Strategy spec: a declarative allocation rule as frozen types, validated on construction.

A :class:`Strategy` turns the day's regimes into a target equity weight (the rest sits in the
cash asset): the first matching :class:`Rule` of the allocation table gives a weight (the
default where none matches), continuous :class:`Overlay` terms are added, and the sum is
clipped to ``[min_weight, max_weight]``. :class:`Rebalance`, the execution lag and
:class:`Costs` say when and at what price the engine trades. Every invalid value raises
:class:`~strategies.errors.StrategyError` naming the file and the TOML key, e.g.
``qt_aware.toml: allocation.rules[1].phase = 'CUTING': unknown regime; expected one of ...``.

The allocation table is compact: one axis per regime family the rules use
(:meth:`Strategy.families`, in registry order), so a rule on the balance sheet alone gives a
table of 4 cells and buy-and-hold one cell, however many families the registry holds.

Dotted keys (:mod:`strategies.keys`) address the parameters for :meth:`Strategy.replace` and
sweeps: ``<group>.<field>`` for regime parameters, ``weights.<rule name>``,
``default_weight``, ``min_weight``, ``max_weight``, ``rebalance.band``, ``costs.fees``,
``costs.slippage``, ``execution_lag``, ``overlays.<i>.slope``; the string fields
(``balance_sheet.measure``, ``rebalance.frequency``, ``cash_rate``) can be replaced but not
swept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from strategies import keys
from strategies.errors import StrategyError
from strategies.families import FAMILIES, NAMES, RegimeParams, family
from strategies.keys import did_you_mean, where
from strategies.layout import to_dict, to_toml
from strategies.regimes import FEATURE_NAMES

FREQUENCIES = ("D", "W", "M")
CASH_RATES = ("DTB3", "none")

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


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


class Rule:
    """One row of the allocation table; the first rule that matches the day's regimes wins.

    Requires: the regimes it names, one keyword per regime family of the registry
    (``Rule(0.5, balance_sheet="CONTRACTION", phase="HIKING")``; ``None`` or ``"*"`` = any,
    stored as None).
    Produces: ``weight``, the target equity weight on days it matches.
    Lag: none; the weight applies to the decision of the day whose regimes match.

    ``name`` (a Python-style identifier) lets sweeps and :meth:`Strategy.replace` address the
    weight as ``weights.<name>``. Immutable and hashable; each regime name of the registry is
    an attribute (None when the rule does not condition on it).
    """

    __slots__ = ("_when", "name", "weight")
    weight: Any
    name: str | None
    _when: tuple[tuple[str, Any], ...]

    def __init__(self, weight: Any, name: str | None = None, **when: Any) -> None:
        for regime in when:
            if regime not in NAMES:
                raise StrategyError(
                    f"Rule({regime}=...): unknown regime{did_you_mean(regime, NAMES)}; "
                    f"expected one of {', '.join(NAMES)}"
                )
        conds = tuple((r, when[r]) for r in NAMES if when.get(r) is not None and when.get(r) != "*")
        object.__setattr__(self, "weight", _number(weight))
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "_when", conds)

    def __getattr__(self, name: str) -> Any:
        if name in NAMES:
            return dict(self._when).get(name)
        raise AttributeError(f"Rule has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Rule is immutable; use replace(...)")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Rule):
            return NotImplemented
        return (self.weight, self.name, self._when) == (other.weight, other.name, other._when)

    def __hash__(self) -> int:
        return hash((self.weight, self.name, self._when))

    def __repr__(self) -> str:
        parts = [f"weight={self.weight!r}", *(f"{r}={v!r}" for r, v in self._when)]
        if self.name is not None:
            parts.append(f"name={self.name!r}")
        return f"Rule({', '.join(parts)})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rule, (self.weight, self.name, self._when))

    def conditions(self) -> dict[str, Any]:
        """Regime name -> required value, for the regimes this rule names (registry order)."""
        return dict(self._when)

    def replace(self, **changes: Any) -> Rule:
        """A copy with ``weight``, ``name`` or regime conditions changed."""
        args: dict[str, Any] = {"weight": self.weight, "name": self.name, **self.conditions()}
        args.update(changes)
        return Rule(**args)


def _rule(weight: Any, name: str | None, when: tuple[tuple[str, Any], ...]) -> Rule:
    return Rule(weight, name, **dict(when))


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
    Produces: the target equity weight ``clip(table[codes of the families used] + overlays,
    min_weight, max_weight)`` for day t; ``1 - weight`` goes to the cash asset accruing
    ``cash_rate``.
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
        """Regime names the rules condition on; the engine only needs to compute these."""
        return frozenset(r for rule in self.rules for r in rule.conditions())

    def families(self) -> tuple[str, ...]:
        """The regime families the rules use, in registry order: the table's axes."""
        used = self.uses()
        return tuple(f.name for f in FAMILIES if f.name in used)

    def table_shape(self) -> tuple[int, ...]:
        """Shape of :meth:`table`: the number of regimes of each family in :meth:`families`
        (``()`` when no rule conditions on a regime: one cell)."""
        return tuple(family(name).size for name in self.families())

    def rule_index(self) -> np.ndarray:
        """Which rule decides each regime combination: int64 array of shape
        :meth:`table_shape`, indexed by the codes of :meth:`families`; -1 where no rule
        matches (the default)."""
        fams = [family(name) for name in self.families()]
        index = np.full(self.table_shape(), -1, dtype=np.int64)
        for i in reversed(range(len(self.rules))):  # earlier rules overwrite later ones
            cond = self.rules[i].conditions()
            where_ = tuple(f.code(cond[f.name]) if f.name in cond else slice(None) for f in fams)
            index[where_] = i
        return index

    def table(self) -> np.ndarray:
        """The allocation table: float64 array of shape :meth:`table_shape`, the weight for
        each combination of the codes of :meth:`families`; first matching rule, the default
        elsewhere, clipped to ``[min_weight, max_weight]`` (overlays are not included)."""
        weights = np.array([r.weight for r in self.rules] + [self.default_weight])
        return np.clip(weights[self.rule_index()], self.min_weight, self.max_weight)

    def key_types(self) -> dict[str, type]:
        """Every dotted key :meth:`replace` accepts -> its type (int, float, bool or str)."""
        return keys.key_types(self)

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
        out: Strategy = keys.replace(self, dotted)
        return out

    def to_dict(self) -> dict[str, Any]:
        """The strategy in the TOML layout (``parse_strategy(s.to_dict()) == s``)."""
        return to_dict(self)

    def to_toml(self) -> str:
        """The strategy as TOML text, loadable by ``load_strategy`` (a round trip)."""
        return to_toml(self)


# -- validation ----------------------------------------------------------------------------------


def _validate(s: Strategy) -> None:
    w = where(s.source if isinstance(s.source, str) else "", str(s.name))

    def fail(key: str, value: Any, msg: str) -> StrategyError:
        return StrategyError(f"{w}: {key} = {value!r}: {msg}")

    def check(key: str, value: Any, typ: type) -> Any:
        p = keys.problem(value, typ)
        if p is not None:
            raise fail(key, value, p)
        return keys.coerce(value, typ, key)

    if not isinstance(s.name, str) or not s.name.strip():
        raise fail("name", s.name, "expected a non-empty string")
    check("description", s.description, str)
    if not isinstance(s.regimes, RegimeParams):
        raise fail("regimes", s.regimes, "expected a RegimeParams")
    for fam in FAMILIES:
        if not isinstance(s.regimes.of(fam), fam.params):
            raise fail(
                f"regimes.{fam.group}", s.regimes.of(fam), f"expected a {fam.params.__name__}"
            )

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
        for regime, v in rule.conditions().items():
            members = family(regime).enum.__members__
            if not isinstance(v, str) or v not in members:
                choices = ", ".join(members)
                hint = did_you_mean(v, members) if isinstance(v, str) else ""
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
            if all(getattr(earlier, r) in (None, getattr(rule, r)) for r in NAMES):
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
        problem = keys.value_problem(key, check(toml_key, value, typ))
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
            clean[key] = keys.sweep_values(types, key, values)
        except ValueError as e:
            raise StrategyError(f'{w}: sweep."{key}": {e}') from None
    object.__setattr__(s, "sweep", SweepTable(clean))
