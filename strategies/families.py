"""The regime registry: every regime family declared once, and the parameters of all of them.

A family is one regime state machine. Its entry in :data:`FAMILIES` declares

- ``name``: the regime column of frames and signals, and the key a rule conditions on;
- ``group``: its parameter group, the dotted-key prefix (``balance_sheet.window_weeks``) and
  the ``[regimes.<group>]`` TOML table (the phase family's group is ``policy``);
- ``params``: its frozen parameter dataclass; ``enum``: its string enum (integer code = the
  member's position, 0 = ``UNKNOWN``); ``title``: its name in text output;
- ``reads``: the feature columns it reads and the published series behind them, for given
  parameters (signals and ``explain`` list them);
- ``engine``: the dotted path of the module that implements it in the engine (kernel inputs,
  codes, the why-line of ``explain``). ``strategies`` never imports ``engine``: the engine
  resolves the path with :mod:`importlib` (:func:`engine.regimes.families.engine_of`).

Registry order is the order of the allocation table's axes: a strategy's table has one axis
per family its rules use, in this order (:meth:`strategies.Strategy.families`).

Adding a family: its enum and parameter dataclass (:mod:`strategies.regimes`), its entry here,
its kernel beside its reference (``engine/regimes/<name>_nb.py``), its engine module
(``engine/regimes/families/<name>.py``) and its features (:mod:`engine.features`). Nothing
else lists families: :class:`RegimeParams`, rules, tables, sweeps, frames, ``explain``,
signals and the report read this registry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from data.errors import ParameterError
from strategies.regimes import (
    RRP,
    BalanceSheet,
    BalanceSheetParams,
    NetLiquidity,
    NetLiquidityParams,
    Phase,
    PolicyParams,
    RrpParams,
)

Reads = tuple[tuple[str, ...], tuple[str, ...]]
"""(feature columns, published series) a family reads."""


@dataclass(frozen=True)
class Family:
    """One regime family (see the module docstring for each field)."""

    name: str
    group: str
    params: type
    enum: type[StrEnum]
    title: str
    engine: str
    reads: Callable[[Any], Reads]

    @property
    def size(self) -> int:
        """Number of regimes (codes), UNKNOWN included: the length of its table axis."""
        return len(self.enum)

    def code(self, value: str) -> int:
        """Integer code of a regime value (its position in the enum)."""
        return list(self.enum.__members__).index(value)

    def features(self, params: Any) -> tuple[str, ...]:
        """Feature columns the family reads under ``params``."""
        return self.reads(params)[0]

    def series(self, params: Any) -> tuple[str, ...]:
        """Published series behind those features."""
        return self.reads(params)[1]


def _balance_sheet_reads(p: BalanceSheetParams) -> Reads:
    if p.measure == "soma":
        return ("bs_growth", "soma_bn"), ("TREAST", "WSHOMCB")
    return ("bs_growth", "total_assets_bn"), ("WALCL",)


def _net_liquidity_reads(p: NetLiquidityParams) -> Reads:
    return (
        ("net_liquidity_bn", "net_liquidity_change_bn"),
        ("WALCL", "WDTGAL", "RRPONTSYD", "WLRRAL"),
    )


def _phase_reads(p: PolicyParams) -> Reads:
    return (
        (
            "policy_upper",
            "policy_lower",
            "y10",
            "y10_cycle_high",
            "y10_drawdown",
            "y10_minus_lower",
            "sahm",
        ),
        ("DFEDTARU", "DFEDTARL", "DGS10", "SAHMREALTIME"),
    )


def _rrp_reads(p: RrpParams) -> Reads:
    return ("on_rrp_bn", "on_rrp_smooth_bn", "on_rrp_change_bn"), ("RRPONTSYD",)


FAMILIES: tuple[Family, ...] = (
    Family(
        "balance_sheet",
        "balance_sheet",
        BalanceSheetParams,
        BalanceSheet,
        "Balance sheet",
        "engine.regimes.families.balance_sheet",
        _balance_sheet_reads,
    ),
    Family(
        "net_liquidity",
        "net_liquidity",
        NetLiquidityParams,
        NetLiquidity,
        "Net liquidity",
        "engine.regimes.families.net_liquidity",
        _net_liquidity_reads,
    ),
    Family(
        "phase",
        "policy",
        PolicyParams,
        Phase,
        "Policy and yield phase",
        "engine.regimes.families.phase",
        _phase_reads,
    ),
    Family("rrp", "rrp", RrpParams, RRP, "ON RRP", "engine.regimes.families.rrp", _rrp_reads),
)
"""Every regime family, in allocation-table axis order."""

NAMES: tuple[str, ...] = tuple(f.name for f in FAMILIES)
"""Regime names: the regime columns of frames and the keys rules condition on."""
GROUPS: tuple[str, ...] = tuple(f.group for f in FAMILIES)
"""Parameter groups: dotted-key prefixes and ``[regimes.<group>]`` tables."""
REGIME_ENUMS: dict[str, type[StrEnum]] = {f.name: f.enum for f in FAMILIES}
"""Regime name -> its enum."""


def family(name: str) -> Family:
    """The family of regime ``name``; ParameterError listing the names otherwise."""
    for f in FAMILIES:
        if f.name == name:
            return f
    raise ParameterError(
        f"regime {name!r}: unknown regime; expected one of {', '.join(NAMES)}", key=name
    )


def by_group(group: str) -> Family:
    """The family whose parameter group is ``group``."""
    for f in FAMILIES:
        if f.group == group:
            return f
    raise ParameterError(
        f"regime parameter group {group!r}: unknown; expected one of {', '.join(GROUPS)}",
        key=group,
    )


class RegimeParams:
    """All regime parameters of one strategy: one frozen parameter object per family group.

    ``RegimeParams(balance_sheet=BalanceSheetParams(window_weeks=26))`` sets one group; the
    others take their defaults. Attribute access per group (``params.balance_sheet``,
    ``params.policy``), equality, hashing and pickling (strategies travel to Dask workers)
    work for every group of :data:`FAMILIES`, so a new family needs no change here.
    Immutable: :meth:`replace` returns a copy.
    """

    __slots__ = ("_values",)
    _values: tuple[Any, ...]

    def __init__(self, **groups: Any) -> None:
        for g in groups:
            if g not in GROUPS:
                raise ParameterError(
                    f"RegimeParams: unknown group {g!r}; expected one of {', '.join(GROUPS)}",
                    key=g,
                )
        values = tuple(groups[f.group] if f.group in groups else f.params() for f in FAMILIES)
        object.__setattr__(self, "_values", values)

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_") and name in GROUPS:
            return self._values[GROUPS.index(name)]
        raise AttributeError(f"RegimeParams has no group {name!r}; groups: {', '.join(GROUPS)}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("RegimeParams is immutable; use replace(...)")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RegimeParams):
            return NotImplemented
        return self._values == other._values

    def __hash__(self) -> int:
        return hash(self._values)

    def __repr__(self) -> str:
        inner = ", ".join(f"{g}={v!r}" for g, v in self.items())
        return f"RegimeParams({inner})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_regime_params, (self.items(),))

    def __iter__(self) -> Iterator[str]:
        return iter(GROUPS)

    def groups(self) -> tuple[str, ...]:
        """The parameter groups, in registry order."""
        return GROUPS

    def items(self) -> tuple[tuple[str, Any], ...]:
        """``(group, parameters)`` pairs, in registry order."""
        return tuple(zip(GROUPS, self._values, strict=True))

    def of(self, fam: Family | str) -> Any:
        """The parameters of a family (given as a :class:`Family` or a regime name)."""
        f = family(fam) if isinstance(fam, str) else fam
        return self._values[GROUPS.index(f.group)]

    def replace(self, **groups: Any) -> RegimeParams:
        """A copy with some groups replaced, e.g. ``p.replace(policy=PolicyParams(...))``."""
        return RegimeParams(**{**dict(self.items()), **groups})


def _regime_params(items: tuple[tuple[str, Any], ...]) -> RegimeParams:
    """Unpickle a RegimeParams (groups a newer registry adds take their defaults)."""
    return RegimeParams(**dict(items))
