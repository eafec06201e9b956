"""A strategy in the TOML layout: :func:`to_dict` and :func:`to_toml` (the inverse of
:func:`strategies.toml_io.parse_strategy`). Reads a strategy's attributes only, so the spec
types can offer ``to_dict`` / ``to_toml`` methods without importing the parser."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import tomli_w


def _costs(value: Any, roles: tuple[str, ...]) -> Any:
    """A cost as written: one number, or a table in leg order."""
    if isinstance(value, Mapping):
        return {r: value[r] for r in roles if r in value}
    return value


def to_dict(s: Any) -> dict[str, Any]:
    """The strategy in the TOML layout; :func:`parse_strategy` of it gives back an equal strategy.

    All regime parameters are written, defaults included, so the file means the same thing if
    the defaults change later; so is ``[assets]``, so the file keeps its legs if the default
    equity asset changes.
    """
    roles = tuple(s.assets)
    has_equity = "equity" in roles

    def table(equity: float, legs: Mapping[str, float]) -> dict[str, float]:
        row = {"equity": equity} if has_equity else {}
        row.update({r: legs[r] for r in roles if r in legs})
        return row

    out: dict[str, Any] = {"name": s.name}
    if s.description:
        out["description"] = s.description
    out["assets"] = dict(s.assets)
    out["regimes"] = {g: dataclasses.asdict(p) for g, p in s.regimes.items()}
    rules = []
    for r in s.rules:
        row: dict[str, Any] = {"name": r.name} if r.name else {}
        row.update(r.conditions())
        if r.is_table:
            row["weights"] = table(r.weight, r.legs)
        else:
            row["weight"] = r.weight
        rules.append(row)
    alloc: dict[str, Any] = {
        "default": table(s.default_weight, s.default_legs) if s.default_legs else s.default_weight,
        "min_weight": s.min_weight,
        "max_weight": s.max_weight,
    }
    if s.bounds:
        alloc["bounds"] = {r: list(s.bounds[r]) for r in roles if r in s.bounds}
    alloc["rules"] = rules
    out["allocation"] = alloc
    if s.overlays:
        out["overlays"] = [
            {k: v for k, v in dataclasses.asdict(o).items() if k != "role" or v != "equity"}
            for o in s.overlays
        ]
    out["rebalance"] = dataclasses.asdict(s.rebalance)
    out["execution"] = {"lag": s.execution_lag}
    out["costs"] = {
        "fees": _costs(s.costs.fees, roles),
        "slippage": _costs(s.costs.slippage, roles),
    }
    out["cash"] = {"rate": s.cash_rate}
    if s.benchmark is not None:
        out["benchmark"] = {"weights": {r: s.benchmark[r] for r in roles if r in s.benchmark}}
    if s.sweep:
        out["sweep"] = {k: list(v) for k, v in s.sweep.items()}
    return out


def to_toml(s: Any) -> str:
    """The strategy as TOML text (:func:`read_strategy` of it gives back an equal strategy)."""
    return tomli_w.dumps(to_dict(s), multiline_strings=True)
