"""A strategy in the TOML layout: :func:`to_dict` and :func:`to_toml` (the inverse of
:func:`strategies.toml_io.parse_strategy`). Reads a strategy's attributes only, so the spec
types can offer ``to_dict`` / ``to_toml`` methods without importing the parser."""

from __future__ import annotations

import dataclasses
from typing import Any

import tomli_w


def to_dict(s: Any) -> dict[str, Any]:
    """The strategy in the TOML layout; :func:`parse_strategy` of it gives back an equal strategy.

    All regime parameters are written, defaults included, so the file means the same thing if
    the defaults change later.
    """
    out: dict[str, Any] = {"name": s.name}
    if s.description:
        out["description"] = s.description
    out["regimes"] = {g: dataclasses.asdict(p) for g, p in s.regimes.items()}
    rules = []
    for r in s.rules:
        row: dict[str, Any] = {"name": r.name} if r.name else {}
        row.update(r.conditions())
        row["weight"] = r.weight
        rules.append(row)
    out["allocation"] = {
        "default": s.default_weight,
        "min_weight": s.min_weight,
        "max_weight": s.max_weight,
        "rules": rules,
    }
    if s.overlays:
        out["overlays"] = [dataclasses.asdict(o) for o in s.overlays]
    out["rebalance"] = dataclasses.asdict(s.rebalance)
    out["execution"] = {"lag": s.execution_lag}
    out["costs"] = dataclasses.asdict(s.costs)
    out["cash"] = {"rate": s.cash_rate}
    if s.sweep:
        out["sweep"] = {k: list(v) for k, v in s.sweep.items()}
    return out


def to_toml(s: Any) -> str:
    """The strategy as TOML text (:func:`read_strategy` of it gives back an equal strategy)."""
    return tomli_w.dumps(to_dict(s), multiline_strings=True)
