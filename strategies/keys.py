"""Dotted keys: the one way to name, read, check and change a strategy parameter.

A dotted key names one parameter: ``<group>.<field>`` for regime parameters (the groups of
:data:`strategies.families.FAMILIES`: ``balance_sheet.window_weeks``, ``policy.y10_drop``,
``rrp.floor_bn``, ...), ``weights.<rule name>``, ``default_weight``, ``min_weight``,
``max_weight``, ``rebalance.band``, ``rebalance.frequency``, ``costs.fees``,
``costs.slippage``, ``execution_lag``, ``overlays.<i>.slope`` and ``cash_rate``. The string
settings (``<group>.measure``, ``rebalance.frequency``, ``cash_rate``) can be replaced, not
swept.

Legs (:mod:`strategies.legs`): ``weights.<rule>``, ``default_weight``, ``min_weight`` and
``max_weight`` are the **equity** leg's (as before legs existed); each other role has its own
key, the same key with ``.<role>`` appended: ``weights.<rule>.treasury``,
``default_weight.treasury``, ``min_weight.treasury``, ``max_weight.treasury``. Costs:
``costs.fees`` is the ``fees`` number (every risky leg) when the strategy gives one number,
the equity entry when it gives a table per role; ``costs.fees.<role>`` is one leg's fees
(replacing it turns one number into a table). When both are changed at once, ``costs.fees``
applies first.

Values arrive three ways, and one parser reads them all:

- a TOML file gives typed values (``13``, ``0.5``, ``true``, ``"walcl"``);
- ``--param KEY=VALUE`` and ``--grid KEY=V1,V2,...`` give text: :func:`read_text` reads each
  piece as the TOML value it spells (``13`` an integer, ``0.5`` / ``1e-3`` / ``.5`` a
  float, ``true`` / ``false`` a bool), anything else stays a string. So
  ``--param policy.below_range=yes`` is the string ``'yes'``, exactly as
  ``below_range = "yes"`` in a file;
- :func:`coerce` then checks the value against the key's type, with one message per problem
  wherever the value came from: "expected an integer", "expected a number", "expected a
  finite number", "expected true or false", "expected a string".

Booleans are spelled ``true`` and ``false`` (lowercase, as TOML spells them); ``yes``,
``on``, ``1`` and ``True`` are rejected with "expected true or false" everywhere. An integer
is a valid number, a number is never a valid integer, and a bool is neither.

Errors are :class:`~data.errors.ParameterError` carrying ``key``, ``value`` and ``problem``,
so a caller re-labels them (with the TOML key, the file, the option) from those fields.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from data.errors import ParameterError
from strategies.errors import StrategyError

TYPES: dict[str, type] = {"int": int, "float": float, "bool": bool, "str": str}
"""Field type names of the parameter dataclasses -> the Python type of their values."""

MAX_CHECKED = 100_000
"""Most combinations of one regime parameter group that a sweep grid validates one by one."""

MAX_LAG = 2520
"""Largest execution lag in trading days: ten years, the bound of every day count of the regime
parameters. The lag only delays a decision's order; past the length of the data no order ever
executes, and a bound keeps absurd values (``10**30``) out of the kernels' int64 arrays."""

TOML_KEY: dict[str, str] = {
    "default_weight": "allocation.default",
    "min_weight": "allocation.min_weight",
    "max_weight": "allocation.max_weight",
    "execution_lag": "execution.lag",
    "cash_rate": "cash.rate",
}
"""Dotted keys whose TOML key differs (the file's layout -> error messages name the TOML key)."""

WEIGHT_KEYS = ("default_weight", "min_weight", "max_weight")
"""Dotted keys of the allocation table's default and bounds (weights in [0, 1])."""

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\Z")
_INT = re.compile(r"[+-]?\d+\Z")


# -- labels ------------------------------------------------------------------------------------


def where(source: str, name: str = "") -> str:
    """The label error messages use for a strategy: its file, or its name if it has none."""
    if source.startswith("builtin:"):
        return f"strategies/builtin/{source.removeprefix('builtin:')}.toml"
    return source or f"strategy {name!r}"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest choice, or ``""`` when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def bad_value(key: str, value: Any, problem: str) -> ParameterError:
    """The ParameterError of one value: ``"<key> = <value!r>: <problem>"`` with its fields."""
    return ParameterError(f"{key} = {value!r}: {problem}", key=key, value=value, problem=problem)


def relabel(err: ParameterError, key: str) -> str:
    """``err`` as ``"<key> = <value!r>: <problem>"`` under another key (a TOML key, an option's
    dotted key); its own message when it is not about one value."""
    if err.problem is None:
        return str(err)
    return f"{key} = {err.value!r}: {err.problem}"


# -- values ------------------------------------------------------------------------------------


def read_text(text: str) -> Any:
    """The value a piece of command-line text spells, read as a TOML value.

    ``"13"`` -> 13, ``"0.5"`` / ``"1e-3"`` -> float, ``"true"`` / ``"false"`` -> bool,
    ``'"walcl"'`` -> ``'walcl'``; the decimal spellings TOML lacks (``.5``, ``5.``, ``08``)
    are numbers too; anything else (``yes``, ``walcl``, ``True``) is the text itself.
    """
    t = text.strip()
    try:
        return tomllib.loads(f"v = {t}")["v"]
    except (tomllib.TOMLDecodeError, KeyError):
        pass
    if _NUMBER.match(t):
        return int(t) if _INT.match(t) else float(t)
    return t


def problem(value: Any, typ: type) -> str | None:
    """What is wrong with ``value`` as a ``typ`` (int, float, bool, str), or None."""
    if isinstance(value, np.generic):
        value = value.item()
    if typ is bool:
        return None if isinstance(value, bool) else "expected true or false"
    if typ is str:
        return None if isinstance(value, str) else "expected a string"
    if typ is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else "expected an integer"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "expected a number"
    if not math.isfinite(value):
        return "expected a finite number"
    return None


def coerce(value: Any, typ: type, key: str) -> Any:
    """``value`` as a plain Python ``typ`` (NumPy scalars accepted, ints become floats for a
    float key); ParameterError naming ``key`` otherwise (see :func:`problem`)."""
    p = problem(value, typ)
    if p is not None:
        raise bad_value(key, value, p)
    if isinstance(value, np.generic):
        value = value.item()
    return float(value) if typ is float else value


def field_types(cls: type) -> dict[str, type]:
    """Fields of a parameter dataclass -> their type (int, float, bool or str)."""
    out = {}
    for f in dataclasses.fields(cls):
        name = f.type if isinstance(f.type, str) else f.type.__name__
        out[f.name] = TYPES[name]
    return out


def check_fields(obj: Any) -> None:
    """Type-check (and normalise ints to floats) every field of a frozen parameter dataclass;
    ParameterError ``"<Class>.<field> = <value!r>: <problem>"`` with ``key`` the field."""
    for name, typ in field_types(type(obj)).items():
        v = getattr(obj, name)
        p = problem(v, typ)
        if p is not None:
            raise ParameterError(
                f"{type(obj).__name__}.{name} = {v!r}: {p}", key=name, value=v, problem=p
            )
        if typ is float:
            object.__setattr__(obj, name, float(v.item() if isinstance(v, np.generic) else v))


def check_field(ok: bool, obj: Any, name: str, msg: str) -> None:
    """ParameterError on field ``name`` of ``obj`` unless ``ok`` (a range or consistency rule)."""
    if not ok:
        v = getattr(obj, name)
        raise ParameterError(
            f"{type(obj).__name__}.{name} = {v!r}: {msg}", key=name, value=v, problem=msg
        )


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


# -- the keys of a strategy -------------------------------------------------------------------


def regime_key_types(regimes: Any) -> dict[str, type]:
    """Dotted keys of a :class:`~strategies.families.RegimeParams` -> their type."""
    return {
        f"{group}.{name}": typ
        for group, params in regimes.items()
        for name, typ in field_types(type(params)).items()
    }


EQUITY = "equity"
"""The role the leg-less keys address (:data:`strategies.legs.EQUITY`)."""


def _per_role(base: str, roles: tuple[str, ...]) -> list[str]:
    """``base`` for the equity leg (when there is one), ``base.<role>`` for the others."""
    return [base if r == EQUITY else f"{base}.{r}" for r in roles]


def key_types(strategy: Any) -> dict[str, type]:
    """Every dotted key :meth:`Strategy.replace` accepts -> its type, regime parameters first."""
    roles = tuple(strategy.assets)
    out = regime_key_types(strategy.regimes)
    for rule in strategy.rules:
        if rule.name:
            out.update(dict.fromkeys(_per_role(f"weights.{rule.name}", roles), float))
    for base in WEIGHT_KEYS:
        out.update(dict.fromkeys(_per_role(base, roles), float))
    out.update({"rebalance.band": float, "rebalance.frequency": str})
    for base in ("costs.fees", "costs.slippage"):
        table = isinstance(getattr(strategy.costs, base.partition(".")[2]), Mapping)
        if EQUITY in roles or not table:
            out[base] = float
        out.update(dict.fromkeys((f"{base}.{r}" for r in roles if r != EQUITY), float))
    out["execution_lag"] = int
    out.update({f"overlays.{i}.slope": float for i in range(len(strategy.overlays))})
    out["cash_rate"] = str
    return out


def value_problem(key: str, v: Any) -> str | None:
    """What is wrong with the (typed) value ``v`` of dotted key ``key`` on its own, or None.

    Regime parameters are checked by their dataclass; constraints between keys (bounds of the
    weights) by the strategy.
    """
    if key == "execution_lag":
        if v < 1:
            return (
                "expected >= 1 trading day (0 would trade on the close the decision was "
                "computed from: look-ahead)"
            )
        if v > MAX_LAG:
            return (
                f"expected at most {MAX_LAG} trading days (ten years; the order of a decision "
                "executes execution.lag trading days later)"
            )
        return None
    if key == "rebalance.band" and not 0.0 <= v < 1.0:
        return "expected a no-trade band in [0, 1)"
    if key.startswith("costs.") and not 0.0 <= v < 1.0:
        return "expected a fraction in [0, 1), e.g. 0.0005 for 5 bp"
    if (key.startswith("weights.") or key.split(".")[0] in WEIGHT_KEYS) and not 0.0 <= v <= 1.0:
        return "outside [0, 1]; no leverage and no shorting"
    return None


def sweep_values(types: Mapping[str, type], key: str, values: Any) -> tuple:
    """Validate one sweep entry on its own and return its values typed; ValueError otherwise.

    ``types`` is :func:`key_types`. Checks the key is sweepable, the list is not empty and has
    no duplicates, and each value has the key's type and range. Constraints between keys are
    checked by :func:`check_combinations`.
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
        p = problem(v, typ)
        if p is not None:
            raise ValueError(f"value {v!r} (position {i}): {p}")
        v = coerce(v, typ, key)
        p = value_problem(key, v)
        if p:
            raise ValueError(f"value {v!r} (position {i}): {p}")
        if v in out:
            raise ValueError(f"value {v!r} (position {i}) is listed twice")
        out.append(v)
    if not out:
        raise ValueError("empty list of values; give at least one value")
    return tuple(out)


def check_combinations(s: Any, table: Mapping[str, tuple]) -> None:
    """Check that every combination of a sweep grid gives a valid strategy; ValueError if not.

    ``table`` maps dotted keys to values already checked by :func:`sweep_values`. Constraints
    only link keys within one group, so the full product is valid iff each group is: every
    combination of a regime parameter group is built (at most ``MAX_CHECKED``), and weights
    are checked against the bounds they can meet (exact for a product grid).
    """
    for group, base in s.regimes.items():
        keys = [k for k in table if k.startswith(f"{group}.")]
        n = math.prod(len(table[k]) for k in keys)
        if n > MAX_CHECKED:
            raise ValueError(
                f"{n:,} combinations of {group}.* parameters (more than "
                f"{MAX_CHECKED:,} regime variants); narrow their ranges"
            )
        names = [k.partition(".")[2] for k in keys]
        for combo in itertools.product(*(table[k] for k in keys)):
            try:
                dataclasses.replace(base, **dict(zip(names, combo, strict=True)))
            except ParameterError as e:
                shown = ", ".join(f"{k}={v!r}" for k, v in zip(keys, combo, strict=True))
                raise ValueError(
                    f"the combination {shown} is invalid: {relabel(e, f'regimes.{group}.{e.key}')}"
                ) from None
    roles = tuple(s.assets)
    floors = 0.0
    sums: dict[str, float] = {}
    for role in roles:
        suffix = "" if role == EQUITY else f".{role}"
        lo_key, hi_key = f"min_weight{suffix}", f"max_weight{suffix}"
        base_lo, base_hi = s.bounds_of(role)
        los = table.get(lo_key, (base_lo,))
        his = table.get(hi_key, (base_hi,))
        if max(los) > min(his):
            raise ValueError(
                f"{lo_key} = {max(los)!r} is above {hi_key} = {min(his)!r} in some combinations"
            )
        floors += max(los)
        weights = {
            f"weights.{r.name}{suffix}" if r.name else f"allocation.rules[{i}].weight{suffix}": (
                r.weight_of(role),
            )
            for i, r in enumerate(s.rules)
        }
        weights[f"default_weight{suffix}"] = (s.default_of(role),)
        for (key, base_values), row in zip(
            weights.items(), [*(f"rules[{i}]" for i in range(len(s.rules))), "default"], strict=True
        ):
            values = table.get(key, base_values)
            if min(values) < max(los) or max(values) > min(his):
                raise ValueError(
                    f"{key} ranges over [{min(values)!r}, {max(values)!r}], outside "
                    f"[{lo_key}, {hi_key}] = [{max(los)!r}, {min(his)!r}] in some "
                    "combinations"
                )
            sums[row] = sums.get(row, 0.0) + max(values)
    if floors > 1.0 + 1e-9:
        raise ValueError(
            f"the lower bounds of the legs sum to up to {floors:g} in some combinations, above 1"
        )
    for row, total in sums.items():
        if total > 1.0 + 1e-9:
            what = "the default" if row == "default" else f"allocation.{row}"
            raise ValueError(
                f"the weights of {what} sum to up to {total:g} in some combinations, above 1 "
                "(cash is 1 - the sum)"
            )


# -- replacing ----------------------------------------------------------------------------------


def split_assignment(text: str, option: str) -> tuple[str, str]:
    """``"KEY=VALUE"`` -> ``(key, value text)``; ParameterError naming ``option`` otherwise."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ParameterError(
            f"{option} {text!r}: expected KEY=VALUE, e.g. balance_sheet.window_weeks=26"
        )
    return key.strip(), value


def replace_regimes(regimes: Any, changes: Mapping[str, Any], *, label: str = "") -> Any:
    """``regimes`` (a RegimeParams) with dotted changes, e.g. ``{"balance_sheet.window_weeks":
    26}``, validated. Text values (from ``--param``) are read by :func:`read_text` first.

    Raises ParameterError whose message starts with ``label`` (e.g. ``"--param "``) and names
    the dotted key: unknown group or field, wrong type, or a value its dataclass rejects.
    """
    groups = dict(regimes.items())
    pending: dict[str, dict[str, Any]] = {}
    for key, raw in changes.items():
        group, _, name = key.partition(".")
        if group not in groups:
            raise ParameterError(
                f"{label}regime parameter {key!r}: unknown group {group!r}; expected one of "
                f"{', '.join(groups)} (e.g. balance_sheet.window_weeks=26)",
                key=key,
            )
        types = field_types(type(groups[group]))
        if name not in types:
            raise ParameterError(
                f"{label}regime parameter {key!r}: unknown field {name!r}"
                f"{did_you_mean(name, types)}; expected one of {', '.join(types)}",
                key=key,
            )
        value = read_text(raw) if isinstance(raw, str) else raw
        try:
            pending.setdefault(group, {})[name] = coerce(value, types[name], key)
        except ParameterError as e:
            raise ParameterError(f"{label}{e}", key=key, value=value, problem=e.problem) from None
    for group, fields in pending.items():
        try:
            groups[group] = dataclasses.replace(groups[group], **fields)
        except ParameterError as e:
            dotted = f"{group}.{e.key}"
            raise ParameterError(
                f"{label}{relabel(e, dotted)}", key=dotted, value=e.value, problem=e.problem
            ) from None
    return regimes.replace(**groups)


def replace(strategy: Any, changes: Mapping[str, Any]) -> Any:
    """A copy of ``strategy`` with parameters changed by dotted key, validated.

    Example: ``replace(s, {"balance_sheet.window_weeks": 26, "weights.contraction": 0.3})``.
    Raises StrategyError naming the strategy's file and the key for an unknown key or an
    invalid value.
    """
    w = where(strategy.source, strategy.name)
    types = key_types(strategy)
    roles = tuple(strategy.assets)
    top: dict[str, Any] = {}
    regime_changes: dict[str, Any] = {}
    rules, overlays = list(strategy.rules), list(strategy.overlays)
    rebalance: dict[str, Any] = {}
    legs = {"default_legs": dict(strategy.default_legs), "bounds": dict(strategy.bounds)}
    costs: dict[str, Any] = {"fees": strategy.costs.fees, "slippage": strategy.costs.slippage}
    # costs.fees (the number, or the equity entry) before costs.fees.<role>
    ordered = sorted(
        changes.items(), key=lambda kv: kv[0].count(".") if kv[0][:6] == "costs." else 0
    )
    for key, value in ordered:
        if key not in types:
            raise StrategyError(
                f"{w}: replace({key}=...): unknown key{did_you_mean(key, types)}; "
                f"known keys: {', '.join(types)}"
            )
        p = problem(value, types[key])
        if p is not None:
            raise StrategyError(f"{w}: replace({key}={value!r}): {p}")
        value = coerce(value, types[key], key)
        group, _, rest = key.partition(".")
        if group in strategy.regimes.groups():
            regime_changes[key] = value
        elif group == "weights":
            name, _, role = rest.partition(".")
            i = next(i for i, r in enumerate(rules) if r.name == name)
            if role:
                rules[i] = rules[i].replace(weights={**rules[i].weights, role: value})
            else:
                rules[i] = rules[i].replace(weight=value)
        elif group == "overlays":
            i = int(rest.split(".")[0])
            overlays[i] = dataclasses.replace(overlays[i], slope=value)
        elif group == "rebalance":
            rebalance[rest] = value
        elif group == "costs":
            name, _, role = rest.partition(".")
            old = costs[name]
            if role:
                table = dict(old) if isinstance(old, Mapping) else dict.fromkeys(roles, old)
                costs[name] = {**table, role: value}
            elif isinstance(old, Mapping):
                costs[name] = {**old, EQUITY: value}
            else:
                costs[name] = value
        elif group == "default_weight" and rest:
            legs["default_legs"][rest] = value
        elif group in ("min_weight", "max_weight") and rest:
            lo, hi = legs["bounds"].get(rest, (0.0, 1.0))
            legs["bounds"][rest] = (value, hi) if group == "min_weight" else (lo, value)
        else:
            top[key] = value
    if regime_changes:
        try:
            top["regimes"] = replace_regimes(strategy.regimes, regime_changes, label="regimes.")
        except ParameterError as e:
            raise StrategyError(f"{w}: {e}") from None
    return dataclasses.replace(
        strategy,
        rules=tuple(rules),
        overlays=tuple(overlays),
        rebalance=dataclasses.replace(strategy.rebalance, **rebalance),
        costs=dataclasses.replace(strategy.costs, **costs),
        default_legs=type(strategy.default_legs)(legs["default_legs"]),
        bounds=type(strategy.bounds)(legs["bounds"]),
        **top,
    )
