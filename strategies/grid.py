"""Sweep grids: the product of parameter values to run a strategy over (pure Python + NumPy).

A grid comes from a strategy's ``[sweep]`` table and/or ``--grid KEY=V1,V2,...`` options.
It is never enumerated up front: combination ``i`` of the full grid is the C-order (last key
fastest) unravelling of ``i`` over the value lists, and a sampled grid stores its sample
compactly (:mod:`strategies.sample`: sorted flat positions, or per-block counts from which
any chunk of the sample is drawn again), never a combinations x keys matrix; either way the
parameters of combinations ``start:stop`` are computed per chunk (:meth:`Grid.indices`). Keys are ordered as :meth:`Strategy.sweep_keys` lists them (regime
parameters first), so neighbouring combinations share regime parameters.

Everything is validated before any work starts: unknown or non-sweepable keys, empty
ranges, values of the wrong type or range, combinations that would give an invalid strategy,
and a grid larger than ``limit`` without sampling raise :class:`~strategies.errors.GridError`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from strategies.errors import GridError
from strategies.keys import check_combinations, read_text, sweep_values, value_range
from strategies.legs import EQUITY
from strategies.sample import DENSE, BlockSample, FlatSample, block_sample, flat_sample
from strategies.spec import Strategy

DEFAULT_LIMIT = 10**7
"""Largest grid run without sampling (and largest sample)."""
_INT64_MAX = int(np.iinfo(np.int64).max)


def parse_grid_option(text: str) -> tuple[str, tuple]:
    """Parse ``KEY=V1,V2,...`` or ``KEY=START:STOP:STEP`` (stop inclusive).

    Values are typed from their spelling by :func:`strategies.keys.read_text`, the parser of
    ``--param`` and of TOML values (``8`` an int, ``8.0`` or ``1e-3`` a float, ``true`` /
    ``false`` a bool, other text a string); :func:`expand_grid` checks them against the key's
    type, so ``window_weeks=8.5`` and ``below_range=yes`` fail there. Example: ``parse_grid_option("balance_sheet.window_weeks=8,13,26")`` ->
    ``("balance_sheet.window_weeks", (8, 13, 26))``.
    """
    key, sep, rhs = text.partition("=")
    key, rhs = key.strip(), rhs.strip()
    if not sep or not key:
        raise GridError(f"--grid {text!r}: expected KEY=V1,V2,... or KEY=START:STOP:STEP")
    if not rhs:
        raise GridError(f"--grid {key}: empty list of values; give at least one value")
    if ":" in rhs:
        parts = rhs.split(":")
        if len(parts) != 3 or not all(p.strip() for p in parts):
            raise GridError(f"--grid {key}={rhs}: expected a range START:STOP:STEP")
        try:
            return key, value_range(*(read_text(p) for p in parts))
        except ValueError as e:
            raise GridError(f"--grid {key}={rhs}: {e}") from None
    items = [s.strip() for s in rhs.split(",")]
    if not all(items):
        raise GridError(f"--grid {key}={rhs}: an empty value between commas")
    return key, tuple(read_text(s) for s in items)


def parse_grid_options(texts: Iterable[str]) -> dict[str, tuple]:
    """Several ``--grid`` options as one mapping; a key given twice is an error."""
    out: dict[str, tuple] = {}
    for text in texts:
        key, values = parse_grid_option(text)
        if key in out:
            raise GridError(f"--grid {key}: given twice; list all its values in one option")
        out[key] = values
    return out


@dataclass(frozen=True, eq=False)
class Grid:
    """Combinations of parameter values for one strategy.

    Attributes
    ----------
    strategy : the base strategy; each combination is ``strategy.replace(**combination)``.
    keys : dotted parameter keys, in :meth:`Strategy.sweep_keys` order.
    values : per key, the tuple of its values (typed: int, float or bool).
    picks : explicit combinations: an int64 array of shape (n_combinations, n_keys) of indices
        into ``values`` (small sub-grids, e.g. one allocation table per distinct row), or None.
    drawn : a sample (:class:`strategies.sample.FlatSample` or
        :class:`strategies.sample.BlockSample`, in grid order), or None.

    With neither, the grid is the full product.
    """

    strategy: Strategy
    keys: tuple[str, ...]
    values: tuple[tuple, ...]
    picks: np.ndarray | None = None
    drawn: FlatSample | BlockSample | None = None

    def __post_init__(self) -> None:
        if self.picks is not None:
            self.picks.setflags(write=False)
        if self.picks is not None and self.drawn is not None:
            raise GridError("grid: give explicit picks or a drawn sample, not both")

    @property
    def shape(self) -> tuple[int, ...]:
        """Number of values per key."""
        return tuple(len(v) for v in self.values)

    @property
    def full_size(self) -> int:
        """Number of combinations of the full product (a Python int: may exceed int64)."""
        return math.prod(self.shape)

    @property
    def size(self) -> int:
        """Number of combinations in this grid (the sample size for a sampled grid)."""
        if self.picks is not None:
            return len(self.picks)
        if self.drawn is not None:
            return self.drawn.size
        return self.full_size

    @property
    def sampled(self) -> bool:
        """True for a sample or explicit picks (not the full product)."""
        return self.picks is not None or self.drawn is not None

    def __len__(self) -> int:
        return self.size

    def sample(self, n: int, seed: int = 0, *, limit: int = DEFAULT_LIMIT) -> Grid:
        """``n`` distinct combinations drawn uniformly at random, reproducibly from ``seed``,
        without enumerating the grid, returned in grid order (see :mod:`strategies.sample`:
        grids up to 2 x 10^7 combinations keep 8 bytes per sampled combination, larger ones
        O(n / 4096)). A sample of a sample draws sample positions the same way."""
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= n <= limit:
            raise GridError(f"sample size {n!r}: expected an integer from 1 to {limit:,}")
        n = int(n)
        if n > self.size:
            raise GridError(
                f"sample size {n:,}: the grid has only {self.size:,} combinations; "
                "run it whole or sample fewer"
            )
        if self.sampled:
            rows = flat_sample(self.size, n, seed).flat
            if self.picks is None and self.full_size <= _INT64_MAX:
                assert self.drawn is not None
                return self._with(drawn=FlatSample(self.drawn.flat_at(rows)))
            return self._with(picks=self.indices_at(rows))
        if self.full_size <= DENSE or n > self.full_size // 2:
            return self._with(drawn=flat_sample(self.full_size, n, seed))
        return self._with(drawn=block_sample(self.full_size, n, seed))

    def _with(self, **sample: Any) -> Grid:
        return Grid(self.strategy, self.keys, self.values, **sample)

    def indices(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Value indices of combinations ``start:stop``: int64 array of shape (n, n_keys),
        read-only, computed for that range alone (a chunk of a sample is drawn again)."""
        stop = self.size if stop is None else min(stop, self.size)
        if not 0 <= start <= stop:
            raise GridError(f"combinations {start}:{stop}: outside the grid of {self.size:,}")
        if self.picks is not None:
            return self.picks[start:stop]
        if self.drawn is not None:
            out = self.drawn.indices(start, stop, self.shape)
        else:
            if self.full_size > _INT64_MAX:
                raise GridError(
                    f"a grid of {self.full_size:,} combinations cannot be enumerated; sample it"
                )
            out = self._unravel(np.arange(start, stop, dtype=np.int64))
        out.setflags(write=False)
        return out

    def indices_at(self, rows: np.ndarray) -> np.ndarray:
        """Value indices of the combinations at grid positions ``rows`` (any order): int64
        array of shape (len(rows), n_keys), without enumerating the grid."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) and not (0 <= rows.min() and rows.max() < self.size):
            raise GridError(f"combinations {rows.min()}..{rows.max()}: outside the grid")
        if self.picks is not None:
            return self.picks[rows]
        if self.drawn is not None:
            return self.drawn.indices_at(rows, self.shape)
        return self._unravel(rows)

    def _unravel(self, flat: np.ndarray) -> np.ndarray:
        if not self.keys:
            return np.zeros((len(flat), 0), dtype=np.int64)
        return np.column_stack(np.unravel_index(flat, self.shape)).astype(np.int64)

    def columns(self, start: int = 0, stop: int | None = None) -> dict[str, np.ndarray]:
        """Parameter values of combinations ``start:stop``: key -> array of shape (n,)
        (int64 for integer keys, float64 for numbers, bool for flags)."""
        return self.columns_of(self.indices(start, stop))

    def columns_of(self, idx: np.ndarray) -> dict[str, np.ndarray]:
        """Parameter values of the value-index rows ``idx`` (from :meth:`indices`)."""
        pairs = enumerate(zip(self.keys, self.values, strict=True))
        return {k: _array(v)[idx[:, j]] for j, (k, v) in pairs}

    def combination(self, i: int) -> dict[str, Any]:
        """Combination ``i`` as dotted key -> plain Python value."""
        if not 0 <= i < self.size:
            raise GridError(f"combination {i}: outside the grid of {self.size:,}")
        row = self.indices(i, i + 1)[0]
        pairs = enumerate(zip(self.keys, self.values, strict=True))
        return {k: v[row[j]] for j, (k, v) in pairs}

    def strategy_at(self, i: int) -> Strategy:
        """The strategy of combination ``i`` (``strategy.replace(**combination(i))``)."""
        return self.strategy.replace(**self.combination(i))

    def rule_weights(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Weight of each rule, then the default, per combination: float64 array of shape
        (n, n_rules + 1). With :meth:`Strategy.rule_index` it gives the table of combination k:
        ``rule_weights[k][strategy.rule_index()]`` (then clip to the bounds)."""
        s = self.strategy
        idx = self.indices(start, stop)
        cols = self.columns_of(idx)
        out = np.empty((len(idx), len(s.rules) + 1), dtype=np.float64)
        for j, rule in enumerate(s.rules):
            out[:, j] = cols.get(f"weights.{rule.name}", rule.weight) if rule.name else rule.weight
        out[:, -1] = cols.get("default_weight", s.default_weight)
        return out

    def tables(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Allocation table per combination: float64 array of shape (n, *table_shape) (see
        :meth:`Strategy.table_shape`), equal to ``strategy_at(k).table()`` for each k."""
        s = self.strategy
        cols = self.columns(start, stop)
        lo = np.asarray(cols.get("min_weight", s.min_weight), dtype=np.float64)
        hi = np.asarray(cols.get("max_weight", s.max_weight), dtype=np.float64)
        # Clip each rule's weight, then spread it over the cells (the same numbers as clipping
        # every cell, for n_rules + 1 values per combination instead of every cell).
        w = self.rule_weights(start, stop)
        w = np.clip(w, lo[:, None] if lo.ndim else lo, hi[:, None] if hi.ndim else hi)
        cells = s.rule_index()
        return np.take(w, cells.ravel(), axis=1).reshape(len(w), *cells.shape)

    # -- legs: per-combination arrays with a leg axis (the strategy's roles, in leg order) ----

    def leg_rule_weights(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Weight of each rule, then the default, per leg and combination: float64 array of
        shape (n, n_rules + 1, n_legs) (``weights.<rule>`` / ``weights.<rule>.<role>``,
        ``default_weight`` / ``default_weight.<role>``)."""
        s = self.strategy
        idx = self.indices(start, stop)
        cols, n = self.columns_of(idx), len(idx)
        out = np.empty((n, len(s.rules) + 1, s.n_legs), dtype=np.float64)
        for li, role in enumerate(s.roles()):
            suffix = "" if role == EQUITY else f".{role}"
            for j, rule in enumerate(s.rules):
                base = rule.weight_of(role)
                out[:, j, li] = (
                    cols.get(f"weights.{rule.name}{suffix}", base) if rule.name else base
                )
            out[:, -1, li] = cols.get(f"default_weight{suffix}", s.default_of(role))
        return out

    def leg_bounds(self, start: int = 0, stop: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper weight bound per combination and leg: two float64 arrays of shape
        (n, n_legs) (``min_weight`` / ``max_weight`` for equity, ``min_weight.<role>`` /
        ``max_weight.<role>``)."""
        s = self.strategy
        idx = self.indices(start, stop)
        cols, n = self.columns_of(idx), len(idx)
        lo = np.empty((n, s.n_legs))
        hi = np.empty((n, s.n_legs))
        for li, role in enumerate(s.roles()):
            suffix = "" if role == EQUITY else f".{role}"
            base_lo, base_hi = s.bounds_of(role)
            lo[:, li] = cols.get(f"min_weight{suffix}", base_lo)
            hi[:, li] = cols.get(f"max_weight{suffix}", base_hi)
        return lo, hi

    def leg_tables(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Allocation table of every leg per combination: float64 array of shape
        (n, n_cells, n_legs), cells in C order of :meth:`Strategy.table_shape`; row k equals
        ``strategy_at(k).leg_table()`` flattened over the cells."""
        # Clip each rule's weights, then spread them over the cells (as :meth:`tables`).
        lo, hi = self.leg_bounds(start, stop)
        w = np.clip(self.leg_rule_weights(start, stop), lo[:, None, :], hi[:, None, :])
        return np.take(w, self.strategy.rule_index().ravel(), axis=1)

    def leg_costs(self, start: int = 0, stop: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Fees and slippage per combination and leg: two float64 arrays of shape (n, n_legs).

        ``costs.<name>.<role>`` sets one leg; ``costs.<name>`` sets the number (every leg) when
        the strategy gives one number, the equity entry when it gives a table (as
        :meth:`Strategy.replace` does).
        """
        s = self.strategy
        idx = self.indices(start, stop)
        cols, n = self.columns_of(idx), len(idx)
        out = []
        for name, base in (("fees", s.costs.fees), ("slippage", s.costs.slippage)):
            a = np.empty((n, s.n_legs))
            table = isinstance(base, Mapping)
            for li, role in enumerate(s.roles()):
                own = s.costs.fee(role) if name == "fees" else s.costs.slip(role)
                value: Any = cols.get(f"costs.{name}.{role}")
                if value is None and (role == EQUITY or not table):
                    value = cols.get(f"costs.{name}")
                a[:, li] = own if value is None else value
            out.append(a)
        return out[0], out[1]


def _array(values: tuple) -> np.ndarray:
    first = values[0]
    if isinstance(first, bool):
        return np.asarray(values, dtype=np.bool_)
    dtype = np.int64 if isinstance(first, int) else np.float64
    return np.asarray(values, dtype=dtype)


def expand_grid(
    strategy: Strategy,
    overrides: Mapping[str, Sequence] | None = None,
    *,
    include_sweep: bool = True,
    sample: int | None = None,
    seed: int = 0,
    limit: int = DEFAULT_LIMIT,
) -> Grid:
    """The grid of a strategy's ``[sweep]`` table, with ``overrides`` (e.g. from
    :func:`parse_grid_options`) replacing or adding keys.

    Parameters
    ----------
    strategy : the base strategy.
    overrides : dotted key -> values; a key here replaces the same key of ``[sweep]``.
    include_sweep : False to ignore the strategy's ``[sweep]`` table (only ``overrides``).
    sample : draw this many distinct combinations at random (see :meth:`Grid.sample`).
    seed : seed of the sample.
    limit : largest grid allowed without ``sample``.

    Raises GridError for unknown or non-sweepable keys, empty value lists, values of the wrong
    type or range, combinations that make an invalid strategy, or a grid above ``limit``.
    With no keys at all the grid has one combination: the strategy itself.
    """
    table = dict(strategy.sweep) if include_sweep else {}
    types = strategy.key_types()
    for key, values in (overrides or {}).items():
        try:
            table[key] = sweep_values(types, key, values)
        except ValueError as e:
            raise GridError(f"--grid {key}: {e}") from None
    try:
        check_combinations(strategy, table)
    except ValueError as e:
        raise GridError(f"grid of {strategy.name!r}: {e}") from None
    keys = tuple(k for k in strategy.sweep_keys() if k in table)
    grid = Grid(strategy, keys, tuple(table[k] for k in keys))
    if sample is not None:
        return grid.sample(sample, seed, limit=limit)
    if grid.full_size > limit:
        raise GridError(
            f"the grid of {strategy.name!r} has {grid.full_size:,} combinations, more than the "
            f"limit of {limit:,}; sample it (e.g. --sample 100000) or narrow the ranges"
        )
    return grid
