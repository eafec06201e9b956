"""The legs of a strategy: which assets it may hold, by role, and per-role values.

A strategy holds up to :data:`MAX_LEGS` risky legs, each a *role* (an identifier:
``equity``, ``treasury``, ...) bound to an *asset id* (``SP500TR``, ``UST10Y``, a user price
file's id); the cash leg is always the remainder (``1 - sum`` of the risky weights) and
accrues ``cash.rate``. ``[assets]`` of a strategy file lists the roles in order; ``equity``
comes first when present; without ``[assets]`` a strategy holds ``equity = "SP500TR"``
(:data:`DEFAULT_EQUITY`, the S&P 500 total return index).

The spec checks asset ids by shape only (:data:`ASSET_ID`): this package never loads data.
The engine resolves them through ``data.assets`` and names the file and key
(``assets.<role>``) when an id is unknown or its prices end too early.

Per-role values use small immutable mappings: :class:`Weights` (role -> number: rule and
default weights, per-role costs, the benchmark mix), :class:`Bounds` (role -> (lo, hi)) and
:class:`Assets` (role -> asset id, ordered). They are hashable and picklable, so strategies
stay usable as dict keys and travel to Dask workers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

EQUITY = "equity"
"""The role the shorthands address: ``weight = x``, ``default = x``, ``min_weight`` /
``max_weight`` and the dotted keys ``weights.<rule>`` / ``default_weight``."""

DEFAULT_EQUITY = "SP500TR"
"""The equity asset of a strategy without ``[assets]`` (``data.assets.DEFAULT_EQUITY``)."""

MAX_LEGS = 4
"""Most risky legs a strategy holds (the sweep kernel is compiled for 1 to 4)."""

CASH_ROLE = "cash"
"""Reserved: the cash leg is the remainder, never a role of ``[assets]``."""

ROLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
"""A role: a Python-style identifier (it is part of dotted keys)."""

ASSET_ID = re.compile(r"[A-Z0-9][A-Z0-9._-]{0,31}\Z")
"""The shape of an asset id (``data.assets.USER_ID``; built-in ids have it too)."""


def _number(v: Any) -> Any:
    """Ints and NumPy scalars as floats; anything else unchanged (validated later)."""
    if isinstance(v, np.generic):
        v = v.item()
    return float(v) if isinstance(v, int) and not isinstance(v, bool) else v


class RoleMap(Mapping[str, Any]):
    """An immutable mapping role -> value, in the order given (equality ignores the order)."""

    __slots__ = ("_items",)
    _items: tuple[tuple[str, Any], ...]

    def __init__(self, items: Mapping[str, Any] | Iterable[tuple[str, Any]] = ()) -> None:
        pairs = tuple(items.items()) if isinstance(items, Mapping) else tuple(items)
        object.__setattr__(self, "_items", tuple((k, self._value(v)) for k, v in pairs))

    @staticmethod
    def _value(v: Any) -> Any:
        return v

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def __getitem__(self, key: str) -> Any:
        for k, v in self._items:
            if k == key:
                return v
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (k for k, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, RoleMap)
        return dict(self._items) == dict(other._items)

    def __hash__(self) -> int:
        return hash((type(self).__name__, frozenset(self._items)))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(self._items)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._items,))

    def replace(self, **changes: Any) -> Any:
        """A copy with some roles set (roles not yet present are appended)."""
        out = dict(self._items)
        out.update(changes)
        return type(self)(out)


class Weights(RoleMap):
    """Role -> a number (a weight, a fee): ``Weights({"equity": 0.5, "treasury": 0.4})``."""

    @staticmethod
    def _value(v: Any) -> Any:
        return _number(v)


class Bounds(RoleMap):
    """Role -> ``(lo, hi)`` weight bounds: ``Bounds({"treasury": (0.0, 0.6)})``."""

    @staticmethod
    def _value(v: Any) -> Any:
        if isinstance(v, list | tuple) and len(v) == 2:
            return (_number(v[0]), _number(v[1]))
        return v


class Assets(RoleMap):
    """Role -> asset id, in leg order: ``Assets({"equity": "SP500TR", "treasury": "UST10Y"})``.

    The ``equity`` role, when present, moves to the front (it is always the first leg);
    the other roles keep the order given. Unlike the other role mappings, equality
    includes the order: it is the order of the legs.
    """

    def __init__(self, items: Mapping[str, Any] | Iterable[tuple[str, Any]] = ()) -> None:
        pairs = tuple(items.items()) if isinstance(items, Mapping) else tuple(items)
        pairs = tuple(p for p in pairs if p[0] == EQUITY) + tuple(
            p for p in pairs if p[0] != EQUITY
        )
        super().__init__(pairs)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Assets):
            return NotImplemented
        return self._items == other._items

    def __hash__(self) -> int:
        return hash(("Assets", self._items))

    @property
    def roles(self) -> tuple[str, ...]:
        """The roles, in leg order."""
        return tuple(k for k, _ in self._items)

    @property
    def ids(self) -> tuple[str, ...]:
        """The asset ids, in leg order."""
        return tuple(v for _, v in self._items)


DEFAULT_ASSETS = Assets({EQUITY: DEFAULT_EQUITY})
"""The legs of a strategy that names none: the S&P 500 total return index as equity."""
