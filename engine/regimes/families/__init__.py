"""The engine side of the regime registry: one module per family.

:data:`strategies.families.FAMILIES` names, for each family, the module that implements it
here (``Family.engine``); :func:`engine_of` imports it. ``strategies`` never imports
``engine``, so the dependency stays one-way, and nothing registers itself at import time.

Each module follows :class:`FamilyEngine`:

- ``INPUT_FIELDS``: the parameter fields its inputs depend on (a sweep computes the inputs
  once per distinct tuple of these values; every other field only changes the codes);
- ``WINDOWED``: the feature columns :func:`inputs` returns that depend on ``INPUT_FIELDS``
  (a sweep computes them per tuple for overlays; every other feature is parameter-free);
- ``inputs(store, days, params)``: the kernel inputs as named float64 / int64 arrays of
  shape (n_days,), point in time (the same numbers as the feature frame's columns of those
  names, :func:`engine.features.feature_frame`);
- ``codes(inputs, params)``: the regime codes, int8 array of shape (n_days,) (its kernel);
- ``start_reason(params)``: why the regime is unknown before some day (backtest start notes);
- ``explain(frame, t, params, store)`` / ``render(section)``: the family's section of
  ``runoff explain`` (its regime, since when, the why-line and its inputs) and its text
  lines, or None when :mod:`engine.regimes.explain` builds that section itself (the
  balance sheet, net liquidity and the policy phase, whose sections came first).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, Protocol, cast

import numpy as np
import pandas as pd

from data.errors import ParameterError
from data.store import Store
from strategies.families import Family, family


class FamilyEngine(Protocol):
    """What a family's engine module provides (see the package docstring)."""

    INPUT_FIELDS: tuple[str, ...]
    WINDOWED: tuple[str, ...]

    def inputs(
        self, store: Store, days: pd.DatetimeIndex, params: Any
    ) -> dict[str, np.ndarray]: ...

    def codes(self, inputs: Mapping[str, np.ndarray], params: Any) -> np.ndarray: ...

    def start_reason(self, params: Any) -> str: ...

    def explain(
        self, frame: pd.DataFrame, t: int, params: Any, store: Store
    ) -> dict[str, Any] | None: ...

    def render(self, section: Mapping[str, Any]) -> list[str]: ...


def engine_of(fam: Family | str) -> FamilyEngine:
    """The engine module of a family (a :class:`~strategies.families.Family` or its name)."""
    f = family(fam) if isinstance(fam, str) else fam
    return cast(FamilyEngine, importlib.import_module(f.engine))


def input_key(fam: Family | str, params: Any) -> tuple:
    """The values of the family's ``INPUT_FIELDS`` in ``params``: which inputs it reads."""
    return tuple(getattr(params, name) for name in engine_of(fam).INPUT_FIELDS)


def f64(x: object, name: str) -> np.ndarray:
    """``x`` as a contiguous 1-d float64 array (time on axis 0); ParameterError otherwise."""
    a = np.ascontiguousarray(np.asarray(x, dtype=np.float64))
    if a.ndim != 1:
        raise ParameterError(f"{name}: expected a 1-d array (time on axis 0), got shape {a.shape}")
    return a


def need(params: object, cls: type, name: str) -> None:
    """ParameterError unless ``params`` is a ``cls``."""
    if not isinstance(params, cls):
        raise ParameterError(f"{name} = {params!r}: expected a {cls.__name__}")


def same_length(arrays: Mapping[str, np.ndarray]) -> None:
    """ParameterError naming the first array whose length differs from the first one's."""
    items = list(arrays.items())
    first, n = items[0][0], len(items[0][1])
    for name, a in items[1:]:
        if len(a) != n:
            raise ParameterError(f"{name}: length {len(a)} differs from {first}'s {n}")
