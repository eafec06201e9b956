"""Strategy spec: a declarative allocation rule as frozen types, validated on construction.

A :class:`Strategy` holds up to four risky legs (``assets``: role -> asset id, see
:mod:`strategies.legs`; without them, ``equity = "SP500TR"``) and cash, the remainder. It
turns the day's regimes into a target weight per leg: the first matching :class:`Rule` of the
allocation table gives the weights (the default where none matches; roles a rule omits get 0),
continuous :class:`Overlay` terms move the leg they name, each leg is clipped to its bounds
(``[min_weight, max_weight]`` for equity, ``bounds`` for the other roles) and, when the risky
weights then sum above 1, they are divided by their sum. :class:`Rebalance`, the execution
lag and :class:`Costs` say when and at what price the engine trades. Every invalid value
raises :class:`~strategies.errors.StrategyError` naming the file and the TOML key, e.g.
``qt_aware.toml: allocation.rules[1].phase = 'CUTING': unknown regime; expected one of ...``.

The allocation table is compact: one axis per regime family the rules use
(:meth:`Strategy.families`, in registry order), so a rule on the balance sheet alone gives a
table of 4 cells and buy-and-hold one cell, however many families the registry holds.

Dotted keys (:mod:`strategies.keys`) address the parameters for :meth:`Strategy.replace` and
sweeps: ``<group>.<field>`` for regime parameters, ``weights.<rule name>`` (the equity
weight) and ``weights.<rule name>.<role>``, ``default_weight`` (equity) and
``default_weight.<role>``, ``min_weight`` / ``max_weight`` (equity) and
``min_weight.<role>`` / ``max_weight.<role>``, ``rebalance.band``, ``costs.fees`` /
``costs.slippage`` (the number, or the equity entry of a per-role table) and
``costs.fees.<role>`` / ``costs.slippage.<role>``, ``execution_lag``,
``overlays.<i>.slope``; the string fields (``balance_sheet.measure``,
``rebalance.frequency``, ``cash_rate``) can be replaced but not swept.
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
from strategies.legs import (
    ASSET_ID,
    CASH_ROLE,
    DEFAULT_ASSETS,
    EQUITY,
    MAX_LEGS,
    ROLE,
    Assets,
    Bounds,
    Weights,
)
from strategies.regimes import FEATURE_NAMES

FREQUENCIES = ("D", "W", "M")
CASH_RATES = ("DTB3", "DGS3MO", "DTB3+DGS3MO", "none")
"""The values of ``cash.rate`` (``engine.cash.CASH_RATES``; a test holds the two equal): the
3-month bill on a discount basis, the 3-month constant-maturity yield, their splice (DGS3MO
until DTB3 is known: strategies without H.4.1 inputs can start before 2001) and 0%."""

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
    Produces: the target weight of each leg on days it matches: ``weight`` is the equity
    leg's (the shorthand ``weight = x``), ``legs`` the other roles'
    (``Rule(weights={"equity": 0.5, "treasury": 0.4}, phase="FIRST_HALF")``); roles it does
    not name get 0 and cash is the remainder.
    Lag: none; the weights apply to the decision of the day whose regimes match.

    ``name`` (a Python-style identifier) lets sweeps and :meth:`Strategy.replace` address the
    weights as ``weights.<name>`` (equity) and ``weights.<name>.<role>``. Immutable and
    hashable; each regime name of the registry is an attribute (None when the rule does not
    condition on it).
    """

    __slots__ = ("_table", "_when", "legs", "name", "weight")
    weight: Any
    legs: Weights
    name: str | None
    _when: tuple[tuple[str, Any], ...]
    _table: bool

    def __init__(
        self,
        weight: Any = None,
        name: str | None = None,
        *,
        weights: Mapping[str, Any] | None = None,
        **when: Any,
    ) -> None:
        for regime in when:
            if regime not in NAMES:
                raise StrategyError(
                    f"Rule({regime}=...): unknown regime{did_you_mean(regime, NAMES)}; "
                    f"expected one of {', '.join(NAMES)}"
                )
        conds = tuple((r, when[r]) for r in NAMES if when.get(r) is not None and when.get(r) != "*")
        if weights is not None:
            if weight is not None:
                raise StrategyError(
                    f"Rule(weight={weight!r}, weights={weights!r}): give weight (the equity "
                    "leg's) or weights (a table role -> weight), not both"
                )
            if not isinstance(weights, Mapping):
                raise StrategyError(
                    f"Rule(weights={weights!r}): expected a table role -> weight, "
                    "e.g. {equity = 0.5, treasury = 0.4}"
                )
            table = Weights(weights)
            weight = table.get(EQUITY, 0.0)
            legs = Weights((r, v) for r, v in table.items() if r != EQUITY)
        else:
            weight, legs = _number(weight), Weights()
        object.__setattr__(self, "weight", weight)
        object.__setattr__(self, "legs", legs)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "_when", conds)
        object.__setattr__(self, "_table", weights is not None)

    def __getattr__(self, name: str) -> Any:
        if name in NAMES:
            return dict(self._when).get(name)
        raise AttributeError(f"Rule has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Rule is immutable; use replace(...)")

    def _key(self) -> tuple[Any, ...]:
        return (self.weight, self.legs, self.name, self._when)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Rule):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        if self.is_table:
            first = f"weights={dict(self.weights)!r}"
        else:
            first = f"weight={self.weight!r}"
        parts = [first, *(f"{r}={v!r}" for r, v in self._when)]
        if self.name is not None:
            parts.append(f"name={self.name!r}")
        return f"Rule({', '.join(parts)})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rule, (self.weight, self.name, self._when, self.legs, self._table))

    @property
    def is_table(self) -> bool:
        """Given as a table of weights per role (``weights = {...}``), not ``weight = x``."""
        return self._table or bool(self.legs)

    @property
    def weights(self) -> Weights:
        """Every weight the rule gives: ``{"equity": weight, **legs}``."""
        return Weights({EQUITY: self.weight, **self.legs})

    def weight_of(self, role: str) -> Any:
        """The rule's weight of leg ``role`` (0.0 for a role it does not name)."""
        return self.weight if role == EQUITY else self.legs.get(role, 0.0)

    def conditions(self) -> dict[str, Any]:
        """Regime name -> required value, for the regimes this rule names (registry order)."""
        return dict(self._when)

    def replace(self, **changes: Any) -> Rule:
        """A copy with ``weight`` (equity), ``weights`` (a table), ``name`` or regime
        conditions changed."""
        args: dict[str, Any] = {"name": self.name, **self.conditions()}
        if "weights" in changes:
            args["weights"] = changes.pop("weights")
        elif self.is_table:
            table = dict(self.weights)
            if "weight" in changes:
                table[EQUITY] = changes.pop("weight")
            args["weights"] = table
        else:
            args["weight"] = self.weight
        args.update(changes)
        return Rule(**args)


def _rule(
    weight: Any,
    name: str | None,
    when: tuple[tuple[str, Any], ...],
    legs: Weights | None = None,
    table: bool = False,
) -> Rule:
    if table or legs:
        return Rule(name=name, weights={EQUITY: weight, **(legs or {})}, **dict(when))
    return Rule(weight, name, **dict(when))


@dataclass(frozen=True)
class Overlay:
    """A continuous term added to one leg's table weight: ``slope * (feature - center)``.

    Requires: the daily feature ``feature`` (one of ``strategies.regimes.FEATURE_NAMES``).
    Produces: a weight adjustment of the leg ``role`` (default ``equity``), summed over the
    overlays of that leg before clipping to its bounds.
    Lag: none beyond the feature's own point-in-time availability.
    """

    feature: str
    slope: float
    center: float = 0.0
    role: str = EQUITY

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


def _per_role(v: Any) -> Any:
    """A cost as a float, a table of them as :class:`Weights`; anything else unchanged."""
    if isinstance(v, Mapping) and not isinstance(v, Weights):
        return Weights(v)
    return _number(v)


@dataclass(frozen=True)
class Costs:
    """Trading costs on the risky legs (the cash leg trades free): ``fees`` (fraction of the
    traded value) and ``slippage`` (fraction of the price, against the trade), each one number
    for every risky leg or a table with every role (``{"equity": 0.0005, "treasury":
    0.0001}``, a :class:`Weights`)."""

    fees: float | Weights = 0.0005
    slippage: float | Weights = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "fees", _per_role(self.fees))
        object.__setattr__(self, "slippage", _per_role(self.slippage))

    def fee(self, role: str) -> float:
        """The fees of leg ``role``."""
        return float(self.fees[role] if isinstance(self.fees, Weights) else self.fees)

    def slip(self, role: str) -> float:
        """The slippage of leg ``role``."""
        v = self.slippage
        return float(v[role] if isinstance(v, Weights) else v)


@dataclass(frozen=True)
class Strategy:
    """A declarative allocation rule driven by regimes, over up to four risky legs and cash.

    Requires: the regimes in :meth:`uses` (computed with ``regimes``) and the overlay features,
    each as known at the decision time (16:00 ET) of trading day t.
    Produces: the target weight of each leg of ``assets`` for day t: the table's weights at
    the codes of the families used, plus the overlays of each leg, clipped to the leg's bounds,
    divided by their sum when that exceeds 1 (:meth:`leg_table`, ``engine.allocation``);
    ``1 - sum`` goes to the cash asset accruing ``cash_rate``.
    Lag: the order placed at the close of t executes at the close of t + ``execution_lag``.

    Per-leg fields: ``assets`` (role -> asset id, :class:`~strategies.legs.Assets`; default
    ``{"equity": "SP500TR"}``); ``default_weight`` (the equity leg's default; default 1.0
    with an equity leg, 0.0 without) and ``default_legs`` (the other roles' defaults;
    ``default_weight`` also accepts a table role -> weight, split into the two);
    ``min_weight`` / ``max_weight`` (equity bounds) and ``bounds`` (the other roles', default
    ``[0, 1]``); ``benchmark`` (a fixed mix role -> weight rebalanced monthly, or None for
    buy-and-hold of the equity leg, or of the first leg without one).

    Construction validates every field and raises :class:`StrategyError` naming the file
    (``source``) and the TOML key. ``sweep`` maps dotted keys to tuples of values.
    """

    name: str
    description: str = ""
    regimes: RegimeParams = RegimeParams()
    rules: tuple[Rule, ...] = ()
    default_weight: Any = None
    overlays: tuple[Overlay, ...] = ()
    min_weight: float = 0.0
    max_weight: float = 1.0
    rebalance: Rebalance = Rebalance()
    execution_lag: int = 1
    costs: Costs = Costs()
    cash_rate: str = "DTB3"
    assets: Assets = DEFAULT_ASSETS
    default_legs: Weights = Weights()
    bounds: Bounds = Bounds()
    benchmark: Weights | None = None
    sweep: Mapping[str, tuple] = field(default_factory=SweepTable, hash=False)
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        for name, cls in (("assets", Assets), ("default_legs", Weights), ("bounds", Bounds)):
            v = getattr(self, name)
            if isinstance(v, Mapping) and not isinstance(v, cls):
                object.__setattr__(self, name, cls(v))
        if isinstance(self.benchmark, Mapping) and not isinstance(self.benchmark, Weights):
            object.__setattr__(self, "benchmark", Weights(self.benchmark))
        if isinstance(self.default_weight, Mapping):
            table = Weights(self.default_weight)
            if self.default_legs:
                raise StrategyError(
                    f"{where(self.source, str(self.name))}: default_weight: a table and "
                    "default_legs given; give the default weights once"
                )
            object.__setattr__(
                self, "default_legs", Weights((r, v) for r, v in table.items() if r != EQUITY)
            )
            object.__setattr__(self, "default_weight", table.get(EQUITY, 0.0))
        if self.default_weight is None:
            has_equity = isinstance(self.assets, Assets) and EQUITY in self.assets
            object.__setattr__(self, "default_weight", 1.0 if has_equity else 0.0)
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
        """The equity leg's allocation table: float64 array of shape :meth:`table_shape`, the
        equity weight for each combination of the codes of :meth:`families`; first matching
        rule, the default elsewhere, clipped to ``[min_weight, max_weight]`` (overlays are not
        included). :meth:`leg_table` gives every leg."""
        weights = np.array([r.weight for r in self.rules] + [self.default_weight])
        return np.clip(weights[self.rule_index()], self.min_weight, self.max_weight)

    # -- legs ----------------------------------------------------------------------------------

    def roles(self) -> tuple[str, ...]:
        """The roles of the risky legs, in leg order (``equity`` first when present)."""
        return self.assets.roles

    def asset_ids(self) -> tuple[str, ...]:
        """The asset id of each risky leg, in leg order."""
        return self.assets.ids

    @property
    def n_legs(self) -> int:
        """Number of risky legs (cash, the remainder, is not counted)."""
        return len(self.assets)

    def default_of(self, role: str) -> float:
        """The default weight of leg ``role`` (where no rule matches)."""
        return float(self.default_weight if role == EQUITY else self.default_legs.get(role, 0.0))

    def bounds_of(self, role: str) -> tuple[float, float]:
        """``(lo, hi)`` of leg ``role``: ``(min_weight, max_weight)`` for equity."""
        if role == EQUITY:
            return float(self.min_weight), float(self.max_weight)
        lo, hi = self.bounds.get(role, (0.0, 1.0))
        return float(lo), float(hi)

    def leg_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bound of each leg: two float64 arrays of shape (n_legs,)."""
        pairs = [self.bounds_of(r) for r in self.roles()]
        return np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])

    def leg_fees(self) -> np.ndarray:
        """Fees of each leg: float64 array of shape (n_legs,)."""
        return np.array([self.costs.fee(r) for r in self.roles()], dtype=np.float64)

    def leg_slippage(self) -> np.ndarray:
        """Slippage of each leg: float64 array of shape (n_legs,)."""
        return np.array([self.costs.slip(r) for r in self.roles()], dtype=np.float64)

    def rule_legs(self) -> np.ndarray:
        """Each rule's weight per leg, then the default's: float64 array of shape
        (n_rules + 1, n_legs)."""
        rows = [[r.weight_of(role) for role in self.roles()] for r in self.rules]
        rows.append([self.default_of(role) for role in self.roles()])
        return np.array(rows, dtype=np.float64).reshape(len(self.rules) + 1, self.n_legs)

    def leg_table(self) -> np.ndarray:
        """The allocation table of every leg: float64 array of shape
        ``(*table_shape(), n_legs)``; each leg clipped to its bounds (overlays not
        included). With one equity leg, ``leg_table()[..., 0] == table()``."""
        lo, hi = self.leg_bounds()
        return np.clip(self.rule_legs()[self.rule_index()], lo, hi)

    def overlay_legs(self) -> np.ndarray:
        """The leg each overlay moves: int64 array of shape (n_overlays,)."""
        roles = self.roles()
        return np.array([roles.index(o.role) for o in self.overlays], dtype=np.int64)

    def benchmark_legs(self) -> np.ndarray:
        """The benchmark's weight per leg: the ``benchmark`` mix, or 1.0 on the equity leg
        (the first leg without one): float64 array of shape (n_legs,)."""
        roles = self.roles()
        if self.benchmark is None:
            out = np.zeros(len(roles))
            out[roles.index(EQUITY) if EQUITY in roles else 0] = 1.0
            return out
        return np.array([float(self.benchmark.get(r, 0.0)) for r in roles])

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


SUM_TOLERANCE = 1e-9
"""How far above 1 the risky weights of a rule may sum from decimal rounding (0.1 + 0.2 + 0.7
is 1.0000000000000002); the engine divides such weights by their sum."""


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

    roles = _validate_assets(s, w, fail)
    has_equity = EQUITY in roles

    def unknown_role(key: str, value: Any, role: Any) -> StrategyError:
        hint = did_you_mean(role, roles) if isinstance(role, str) else ""
        return fail(
            key,
            value,
            f'no asset for role {role!r}{hint}; add {role} = "<asset id>" to [assets] '
            f"(its roles: {', '.join(roles)})",
        )

    lo = check("allocation.min_weight", s.min_weight, float)
    hi = check("allocation.max_weight", s.max_weight, float)
    for key, v in (("allocation.min_weight", lo), ("allocation.max_weight", hi)):
        if not 0.0 <= v <= 1.0:
            raise fail(key, v, "outside [0, 1]; no leverage and no shorting")
    if lo > hi:
        raise fail("allocation.min_weight", lo, f"above allocation.max_weight = {hi!r}")
    if not isinstance(s.bounds, Bounds):
        raise fail("allocation.bounds", s.bounds, "expected a table role -> [lo, hi]")
    for role, pair in s.bounds.items():
        key = f"allocation.bounds.{role}"
        if role == EQUITY:
            raise fail(
                key, pair, "the equity leg's bounds are allocation.min_weight and max_weight"
            )
        if role not in roles:
            raise unknown_role(key, pair, role)
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise fail(key, pair, "expected [lo, hi], two weights, e.g. [0.0, 0.6]")
        for v in pair:
            p = keys.problem(v, float)
            if p is not None:
                raise fail(key, list(pair), p)
        if not all(0.0 <= v <= 1.0 for v in pair):
            raise fail(key, list(pair), "outside [0, 1]; no leverage and no shorting")
        if pair[0] > pair[1]:
            raise fail(key, list(pair), "the lower bound is above the upper bound")
    floors = sum(s.bounds_of(r)[0] for r in roles)
    if floors > 1.0 + SUM_TOLERANCE:
        raise StrategyError(
            f"{w}: allocation.bounds: the lower bounds of the legs sum to {floors:g}, above 1 "
            "(no leverage); lower them"
        )

    def leg_weight(key: str, v: Any, role: str) -> float:
        v = check(key, v, float)
        lo_r, hi_r = s.bounds_of(role)
        if not lo_r <= v <= hi_r:
            where_ = "[min_weight, max_weight]" if role == EQUITY else f"allocation.bounds.{role}"
            raise fail(key, v, f"outside {where_} = [{lo_r!r}, {hi_r!r}]")
        return float(v)

    def weights(key: str, equity: Any, legs: Any, table: bool) -> None:
        """One row of weights (a rule's or the default): roles, bounds, sum."""
        equity_key = f"{key}.{EQUITY}" if table else key
        total = 0.0
        if has_equity:
            total += leg_weight(equity_key, equity, EQUITY)
        elif check(equity_key, equity, float) != 0.0:
            raise fail(
                equity_key,
                equity,
                f"no equity leg: [assets] holds {', '.join(roles)}; give their weights "
                f"(weights = {{{roles[0]} = ...}})",
            )
        if not isinstance(legs, Weights):
            raise fail(key, legs, "expected a table role -> weight")
        for role, v in legs.items():
            if role not in roles:
                raise unknown_role(f"{key}.{role}", v, role)
            total += leg_weight(f"{key}.{role}", v, role)
        if total > 1.0 + SUM_TOLERANCE:
            shown = {r: v for r, v in ((EQUITY, equity), *legs.items()) if r in roles}
            raise fail(
                key,
                shown,
                f"the weights sum to {total:g}, above 1 (cash is 1 - the sum); lower them",
            )

    weights("allocation.default", s.default_weight, s.default_legs, bool(s.default_legs))
    names: dict[str, int] = {}
    for i, rule in enumerate(s.rules):
        key = f"allocation.rules[{i}]"
        if not isinstance(rule, Rule):
            raise fail(key, rule, "expected a Rule")
        if rule.is_table:
            weights(f"{key}.weights", rule.weight, rule.legs, True)
        else:
            weights(f"{key}.weight", rule.weight, rule.legs, False)
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
        if ov.role not in roles:
            raise unknown_role(f"{key}.role", ov.role, ov.role)

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
    ):
        problem = keys.value_problem(key, check(toml_key, value, typ))
        if problem:
            raise fail(toml_key, value, problem)
    for cost_key, cost in (("costs.fees", s.costs.fees), ("costs.slippage", s.costs.slippage)):
        per_role: Iterable[tuple[str | None, Any]]
        per_role = cost.items() if isinstance(cost, Weights) else ((None, cost),)
        if isinstance(cost, Weights):
            missing = [r for r in roles if r not in cost]
            if missing:
                raise fail(
                    cost_key,
                    dict(cost),
                    f"missing role {missing[0]!r}; a table gives every risky leg's value "
                    f"({', '.join(roles)}), or give one number for all",
                )
        for cost_role, v in per_role:
            k = cost_key if cost_role is None else f"{cost_key}.{cost_role}"
            if cost_role is not None and cost_role not in roles:
                raise unknown_role(k, v, cost_role)
            cost_problem = keys.value_problem(cost_key, check(k, v, float))
            if cost_problem:
                raise fail(k, v, cost_problem)
    if s.cash_rate not in CASH_RATES:
        raise fail(
            "cash.rate",
            s.cash_rate,
            "unknown cash rate series; expected 'DTB3' (3-month T-bill), 'DGS3MO' (3-month "
            "constant-maturity yield), 'DTB3+DGS3MO' (DGS3MO until DTB3 is known) or 'none' "
            "(0%)",
        )
    if s.benchmark is not None:
        if not isinstance(s.benchmark, Weights) or not s.benchmark:
            raise fail(
                "benchmark.weights",
                s.benchmark,
                "expected a table role -> weight, e.g. {equity = 0.6, treasury = 0.4}",
            )
        total = 0.0
        for role, v in s.benchmark.items():
            key = f"benchmark.weights.{role}"
            if role not in roles:
                raise unknown_role(key, v, role)
            v = check(key, v, float)
            if not 0.0 <= v <= 1.0:
                raise fail(key, v, "outside [0, 1]; no leverage and no shorting")
            total += v
        if total > 1.0 + SUM_TOLERANCE:
            raise fail(
                "benchmark.weights",
                dict(s.benchmark),
                f"the weights sum to {total:g}, above 1 (cash is 1 - the sum); lower them",
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


def _validate_assets(s: Strategy, w: str, fail: Any) -> tuple[str, ...]:
    """Check ``[assets]`` (roles, id shapes, at most MAX_LEGS, no asset twice); the roles."""
    if not isinstance(s.assets, Assets):
        raise fail("assets", s.assets, "expected a table role -> asset id")
    if not s.assets:
        raise StrategyError(
            f'{w}: assets: no risky leg; name at least one, e.g. equity = "SP500TR" '
            "(cash is the remainder)"
        )
    if len(s.assets) > MAX_LEGS:
        raise StrategyError(
            f"{w}: assets: {len(s.assets)} risky legs ({', '.join(s.assets)}); at most "
            f"{MAX_LEGS} (cash is the remainder, not a leg)"
        )
    held: dict[str, str] = {}
    for role, asset in s.assets.items():
        key = f"assets.{role}"
        if not isinstance(role, str) or not ROLE.match(role):
            raise StrategyError(
                f"{w}: {key}: a role is an identifier (letters, digits, _), e.g. treasury"
            )
        if role == CASH_ROLE:
            raise fail(
                key, asset, "cash is the remainder (accruing cash.rate), not a role of [assets]"
            )
        if not isinstance(asset, str) or not ASSET_ID.match(asset):
            hint = (
                f" (asset ids are upper case: {asset.upper()!r}?)"
                if isinstance(asset, str) and ASSET_ID.match(asset.upper())
                else ""
            )
            raise fail(
                key,
                asset,
                "expected an asset id: 1-32 characters of A-Z 0-9 . _ - (e.g. 'SP500TR', "
                f"'UST10Y' or a price file's name){hint}",
            )
        if asset in held:
            raise fail(key, asset, f"already held by assets.{held[asset]}; each asset is one leg")
        held[asset] = role
    return s.assets.roles
