"""Work shared by every combination of a sweep, done once; and the kernel inputs per chunk.

:func:`prepare_sweep` loads the data and computes, on the whole history up to ``end`` (the
regimes' warm-up uses all of it, as :func:`engine.regimes.regime_frame` does), the inputs the
regime kernels read, through each family's engine module (:mod:`engine.regimes.families`):
once per distinct value of the family's input fields in the grid (the balance-sheet growth
per window, the policy inputs once, ...), the overlay features and the closes of the legs
(:mod:`engine.legs`; grids do not change the legs). It then fixes ONE window for every
combination: from the first day on which every input of every combination is known (or the
requested later start) to the last day every leg has a price and every input of every
combination was fresh (or ``end``, with ``stale_warning`` past that day). Each combination's
metrics therefore cover the same days and equal
``engine.backtest.run_backtest(combination, start=<window start>, end)`` (with the same
default end when the combinations read the same series).

:func:`chunk_arrays` turns combinations ``start:stop`` of a grid into kernel arrays: regime
codes per distinct regime parameter set in the chunk (consecutive combinations share them:
grid order puts regime keys first) as allocation-table cells, the distinct compact
allocation tables (one axis per family the rules use: 4 cells for a balance-sheet rule, not
the registry's product; a weight per leg in each cell), overlay feature columns and the
per-combination values (bounds and costs per leg). Memory is
O(n_days * distinct sets in the chunk + chunk size).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from data.manifest import INDEX_ID
from data.panel import trading_days
from data.store import Store
from engine.allocation import decision_mask, table_cells
from engine.cash import NO_CASH_RATE, cash_rate_asof
from engine.features import day_numbers, feature_frame
from engine.legs import load_legs
from engine.regimes.families import engine_of, input_key
from engine.window import (
    INIT_CASH,
    MIN_SIZE,
    Inputs,
    cash_price,
    check_known_inside,
    fresh_end,
    input_reason,
    requested_range,
    returns,
)
from strategies import Grid, Strategy
from strategies.families import FAMILIES, Family, family

InputKey = tuple[str, tuple]
"""(regime family name, values of its ``INPUT_FIELDS``): one set of regime kernel inputs."""


@dataclass(frozen=True)
class SweepInputs:
    """Everything the kernel needs that no combination changes (picklable, store-free).

    Attributes
    ----------
    days : the sweep window's trading days (n_days).
    offset : position of ``days[0]`` in the full history the regime inputs cover.
    closes : array of shape (n_days, n_legs): the risky legs' closes (asset ids ``labels``).
    cash_price : array of shape (n_days,): the cash asset's price (1.0 first).
    ret_legs : array of shape (n_days, n_legs); ret_c : array of shape (n_days,):
        close-to-close returns (row 0 is 0).
    gross_legs, gross_c : ``1 + ret_legs``, ``1 + ret_c``: the order plan's drift factors.
    day_number : int64 array of shape (n_days,): days since 1970-01-01.
    decide : bool array of shape (n_days,): decision days of the rebalance frequency.
    regime_inputs : (family, input-field values) -> the family's named kernel inputs and
        windowed features over the full history (arrays of shape (n_history,)), see
        :mod:`engine.regimes.families`.
    static : overlay feature name -> array of shape (n_days,) for parameter-free features.
    start_note : how the window start was chosen.
    end_note : why the window ends before the last trading day (an input of some combination
        went stale, or a leg's prices end), or None.
    labels : the legs' asset ids, in leg order.
    stale_warning : one line when an explicit end runs past the last day every input of every
        combination was fresh, or None.
    """

    days: pd.DatetimeIndex
    offset: int
    closes: np.ndarray
    cash_price: np.ndarray
    ret_legs: np.ndarray
    ret_c: np.ndarray
    gross_legs: np.ndarray
    gross_c: np.ndarray
    day_number: np.ndarray
    decide: np.ndarray
    regime_inputs: Mapping[InputKey, Mapping[str, np.ndarray]]
    static: Mapping[str, np.ndarray]
    start_note: str
    end_note: str | None = None
    labels: tuple[str, ...] = ()
    stale_warning: str | None = None

    @property
    def n_days(self) -> int:
        return len(self.days)

    @property
    def n_legs(self) -> int:
        return int(self.closes.shape[1])

    @property
    def close(self) -> np.ndarray:
        """The first leg's closes, shape (n_days,)."""
        return self.closes[:, 0]

    @property
    def ret_i(self) -> np.ndarray:
        """The first leg's returns, shape (n_days,)."""
        return self.ret_legs[:, 0]


def windowed_family(feature: str) -> Family | None:
    """The family whose input fields a feature depends on (``bs_growth`` -> balance_sheet),
    or None for a parameter-free feature."""
    for f in FAMILIES:
        if feature in engine_of(f).WINDOWED:
            return f
    return None


def _values(strategy: Strategy, grid: Grid, key: str) -> tuple:
    """All values a dotted key takes in the grid (its base value when it is not swept)."""
    if key in grid.keys:
        return tuple(grid.values[grid.keys.index(key)])
    group, _, name = key.partition(".")
    return (getattr(getattr(strategy.regimes, group), name),)


def _input_variants(strategy: Strategy, grid: Grid, fam: Family) -> list[tuple[tuple, str]]:
    """Every distinct tuple of the family's input-field values in the grid, with a label
    naming the swept ones (``balance_sheet(window_weeks=26)``)."""
    fields = engine_of(fam).INPUT_FIELDS
    keys = [f"{fam.group}.{name}" for name in fields]
    out = []
    for combo in itertools.product(*(_values(strategy, grid, k) for k in keys)):
        shown = [f"{n}={v}" for n, k, v in zip(fields, keys, combo, strict=True) if k in grid.keys]
        out.append((tuple(combo), f"{fam.name}({', '.join(shown)})" if shown else fam.name))
    return out


def _params_for(strategy: Strategy, fam: Family, key: tuple) -> Any:
    base = strategy.regimes.of(fam)
    return dataclasses.replace(base, **dict(zip(engine_of(fam).INPUT_FIELDS, key, strict=True)))


def prepare_sweep(
    strategy: Strategy,
    grid: Grid,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    *,
    store: Store | None = None,
) -> SweepInputs:
    """Load the data and compute the shared inputs of a sweep (see the module docstring).

    Parameters
    ----------
    strategy : the base strategy; grid : its grid (only the values of input fields are read).
    start : requested first day; moved later until every input of every combination is known.
    end : last day (default: the last day every leg has a price and every input of every
        combination was fresh, :func:`engine.window.fresh_end`).
    store : the point-in-time store (default: a new :class:`data.store.Store`).

    Raises MissingDataError when an input is never known or fewer than two days remain. The
    window is chosen by :mod:`engine.window`, as the backtest's.
    """
    store = store or Store()
    s_req, e_req = requested_range(start, end)
    days_all = trading_days(None, e_req, store=store)
    legs = load_legs(strategy, store, days_all)
    last_day, end_note = legs.end(e_req)
    legs.check_start(s_req)
    # Grids never change which series a strategy reads (string settings such as
    # balance_sheet.measure are not sweepable): the base strategy's inputs are every
    # combination's.
    wend = fresh_end(strategy, days_all[: last_day + 1], e_req, store=store)
    wend.check_start(s_req, f"strategy {strategy.name} ({strategy.source})")
    if wend.note is not None:
        last_day, end_note = wend.i1, wend.note
    legs = legs.cut(last_day + 1)
    days_all = days_all[: last_day + 1]
    close_all = store.asof(INDEX_ID, days_all)["value"].to_numpy(dtype=np.float64)
    known = Inputs(
        days_all,
        np.isfinite(close_all),
        f"strategy {strategy.name} ({strategy.source})",
        "every input of every combination",
    )

    windowed: dict[str, Family] = {}
    for o in strategy.overlays:
        owner = windowed_family(o.feature)
        if owner is not None:
            windowed[o.feature] = owner
    used = [family(name) for name in strategy.families()]
    needed = [f for f in FAMILIES if f in used or f in windowed.values()]
    regime_inputs: dict[InputKey, dict[str, np.ndarray]] = {}
    for fam in needed:
        impl = engine_of(fam)
        for key, label in _input_variants(strategy, grid, fam):
            params = _params_for(strategy, fam, key)
            arrays = impl.inputs(store, days_all, params)
            regime_inputs[(fam.name, key)] = arrays
            # First day the regime is known: codes are UNKNOWN (0) only before their first
            # valid input, whatever the thresholds, so one parameter set per input decides it.
            if fam in used:
                reason = input_reason(strategy, fam.name, params)
                known.require(label, impl.codes(arrays, params) != 0, reason)

    static: dict[str, np.ndarray] = {}
    plain = sorted({o.feature for o in strategy.overlays if o.feature not in windowed})
    if plain:
        frame = feature_frame(store, days_all, strategy.regimes)
        for feat in plain:
            static[feat] = frame[feat].to_numpy(dtype=np.float64)
    overlay_cols = [(f"overlay:{feat}", a) for feat, a in static.items()]
    for feat in sorted(windowed):
        owner = windowed[feat]
        for key, label in _input_variants(strategy, grid, owner):
            name = f"overlay:{feat}{label.removeprefix(owner.name)}"
            overlay_cols.append((name, regime_inputs[(owner.name, key)][feat]))
    for name, a in overlay_cols:
        known.require(name, np.isfinite(a), input_reason(strategy, name.partition("(")[0]))

    rate = strategy.cash_rate
    rate_all = cash_rate_asof(store, days_all, rate)["value"].to_numpy(dtype=np.float64)
    if rate != NO_CASH_RATE:
        known.require(f"cash:{rate}", np.isfinite(rate_all), input_reason(strategy, f"cash:{rate}"))
    legs.require(known)
    win = known.window(s_req)
    i0 = win.i0
    days = days_all[i0:]
    for name, a in overlay_cols:
        check_known_inside(f"strategy {strategy.name}", name, a[i0:], days)
    cash_px = cash_price(days, rate, rate_all[i0:])
    closes = np.ascontiguousarray(legs.prices[i0:])
    ret_legs = np.ascontiguousarray(
        np.column_stack([returns(closes[:, j]) for j in range(closes.shape[1])])
    )
    ret_c = returns(cash_px)
    return SweepInputs(
        days=days,
        offset=i0,
        closes=closes,
        cash_price=cash_px,
        ret_legs=ret_legs,
        ret_c=ret_c,
        gross_legs=1.0 + ret_legs,
        gross_c=1.0 + ret_c,
        day_number=day_numbers(days),
        decide=np.ascontiguousarray(decision_mask(days, strategy.rebalance.frequency)),
        regime_inputs=regime_inputs,
        static={f: np.ascontiguousarray(a[i0:]) for f, a in static.items()},
        start_note=win.note,
        end_note=end_note,
        labels=legs.ids,
        stale_warning=wend.warning,
    )


# ---------------------------------------------------------------- per chunk


class CodeCache:
    """Regime codes of recently used parameter sets, bounded by ``max_bytes``.

    Consecutive chunks of a grid share regime parameter sets; the cache keeps their codes
    between chunks and empties itself when full (memory stays bounded).
    """

    def __init__(self, max_bytes: int = 256 * 2**20) -> None:
        self.max_bytes = max_bytes
        self._codes: dict[Any, np.ndarray] = {}
        self._bytes = 0

    def get(self, inputs: SweepInputs, family: str, params: Any) -> np.ndarray:
        """int8 codes of ``family`` under ``params`` on the window days: shape (n_days,)."""
        key = (family, params)
        codes = self._codes.get(key)
        if codes is None:
            codes = _codes(inputs, family, params)
            if self._bytes + codes.nbytes > self.max_bytes:
                self._codes.clear()
                self._bytes = 0
            self._codes[key] = codes
            self._bytes += codes.nbytes
        return codes


def _codes(inputs: SweepInputs, name: str, params: Any) -> np.ndarray:
    arrays = inputs.regime_inputs[(name, input_key(name, params))]
    full = engine_of(name).codes(arrays, params)
    return np.ascontiguousarray(full[inputs.offset :])


@dataclass(frozen=True)
class ChunkArrays:
    """Kernel inputs of combinations ``start:stop`` (k of them) of a grid.

    Attributes
    ----------
    codes : int32 array of shape (n_days, n_sets), Fortran order: per distinct set of regime
        parameters in the chunk, the flat allocation-table cell of each day
        (:func:`engine.allocation.table_cells` of the codes of the families the rules use,
        all sets of the chunk in one kernel call).
    shape : the compact table's shape (:meth:`Strategy.table_shape`).
    tables : array of shape (n_tables, n_cells, n_legs): the distinct allocation tables of the
        chunk, cells in C order, a weight per leg.
    features : array of shape (n_days, n_columns), Fortran order: distinct overlay inputs.
    ov_center : array of shape (n_overlays,); ov_leg : int64 array of shape (n_overlays,): the
        leg each overlay moves.
    code_idx, table_idx : int64 arrays of shape (k,): column of ``codes``, row of ``tables``.
    ov_feat : int64 array of shape (k, n_overlays); ov_slope : array of shape (k, n_overlays).
    lo, hi, fees, slippage : arrays of shape (k, n_legs); band : array of shape (k,); lag :
        int64 array of shape (k,).
    """

    codes: np.ndarray
    shape: tuple[int, ...]
    tables: np.ndarray
    features: np.ndarray
    ov_center: np.ndarray
    ov_leg: np.ndarray
    code_idx: np.ndarray
    table_idx: np.ndarray
    ov_feat: np.ndarray
    ov_slope: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    band: np.ndarray
    lag: np.ndarray
    fees: np.ndarray
    slippage: np.ndarray

    @property
    def size(self) -> int:
        return len(self.lo)


def _family_codes(
    inputs: SweepInputs,
    strategy: Strategy,
    grid: Grid,
    idx: np.ndarray,
    name: str,
    cache: CodeCache,
) -> tuple[np.ndarray, np.ndarray]:
    """Codes of one family per distinct parameter set of the chunk (int8, shape (n_days,
    n_sets)) and each combination's set."""
    k = len(idx)
    fam = family(name)
    cols = [j for j, key in enumerate(grid.keys) if key.startswith(fam.group + ".")]
    base = strategy.regimes.of(fam)
    if cols:
        uniq, inverse = unique_rows(idx[:, cols])
    else:
        uniq, inverse = np.zeros((1, 0), dtype=np.int64), np.zeros(k, dtype=np.int64)
    out = np.empty((inputs.n_days, len(uniq)), dtype=np.int8, order="F")
    for u, row in enumerate(uniq):
        change = {
            grid.keys[c].partition(".")[2]: grid.values[c][row[i]] for i, c in enumerate(cols)
        }
        out[:, u] = cache.get(inputs, name, dataclasses.replace(base, **change))
    return out, np.ascontiguousarray(inverse.ravel(), dtype=np.int64)


def unique_rows(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct rows of a small non-negative int array (n, m) and each row's position among
    them: ``(rows of shape (u, m), inverse of shape (n,))``, rows in lexicographic order."""
    n, m = a.shape
    if m == 0:
        return np.zeros((1, 0), dtype=np.int64), np.zeros(n, dtype=np.int64)
    key = np.zeros(n, dtype=np.int64)
    for c in range(m):
        key = key * (int(a[:, c].max()) + 1) + a[:, c]
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return a[first], inverse.ravel().astype(np.int64)


TABLE_KEYS = ("default_weight", "min_weight", "max_weight")
"""Keys besides ``weights.<rule>`` that change the allocation table (each also per role:
``default_weight.<role>``, ...)."""


def _tables(strategy: Strategy, grid: Grid, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct allocation tables of the combinations ``idx`` (value-index rows): an array of
    shape (n_tables, n_cells, n_legs) and each combination's row in it."""
    cols = [
        j
        for j, key in enumerate(grid.keys)
        if key.startswith("weights.") or key.split(".")[0] in TABLE_KEYS
    ]
    uniq, inverse = unique_rows(idx[:, cols])
    reps = np.zeros((len(uniq), len(grid.keys)), dtype=np.int64)
    reps[:, cols] = uniq
    sub = Grid(grid.strategy, grid.keys, grid.values, reps)
    return np.ascontiguousarray(sub.leg_tables(), dtype=np.float64), inverse


def _plain(v: Any) -> Any:
    """A NumPy scalar as the Python value grid values are (keys of ``regime_inputs``)."""
    return v.item() if isinstance(v, np.generic) else v


def _column(
    cols: Mapping[str, np.ndarray], key: str, default: Any, k: int, dtype: type = np.float64
) -> np.ndarray:
    if key in cols:
        return np.ascontiguousarray(cols[key], dtype=dtype)
    return np.full(k, default, dtype=dtype)


def chunk_arrays(
    inputs: SweepInputs,
    strategy: Strategy,
    grid: Grid,
    start: int,
    stop: int,
    cache: CodeCache | None = None,
) -> ChunkArrays:
    """Kernel inputs of combinations ``start:stop`` of ``grid`` (see :class:`ChunkArrays`)."""
    cache = cache if cache is not None else CodeCache()
    idx = grid.indices(start, stop)
    k = len(idx)
    cols = grid.columns_of(idx)
    shape = strategy.table_shape()
    fam = [_family_codes(inputs, strategy, grid, idx, f, cache) for f in strategy.families()]
    which = np.zeros((k, len(fam)), dtype=np.int64)  # each combination's set per family
    for j, (_, inverse) in enumerate(fam):
        which[:, j] = inverse
    sets, code_idx = unique_rows(which)
    # Every family's code columns side by side; each set reads one column per family.
    widths = [c.shape[1] for c, _ in fam]
    starts = np.cumsum([0, *widths[:-1]]).astype(np.int64)
    family_codes = (
        np.asfortranarray(np.concatenate([c for c, _ in fam], axis=1))
        if fam
        else np.zeros((inputs.n_days, 0), dtype=np.int8, order="F")
    )
    codes = table_cells(family_codes, shape, sets + starts[None, : len(fam)])
    n_ov = len(strategy.overlays)
    ov_feat = np.zeros((k, n_ov), dtype=np.int64)
    ov_slope = np.empty((k, n_ov))
    columns: dict[Any, int] = {}
    arrays: list[np.ndarray] = []
    for j, o in enumerate(strategy.overlays):
        ov_slope[:, j] = _column(cols, f"overlays.{j}.slope", o.slope, k)
        owner = windowed_family(o.feature)
        if owner is not None:
            base = strategy.regimes.of(owner)
            per_field = [
                [_plain(v) for v in cols[f"{owner.group}.{n}"]]
                if f"{owner.group}.{n}" in cols
                else [getattr(base, n)] * k
                for n in engine_of(owner).INPUT_FIELDS
            ]
            rows = list(zip(*per_field, strict=True)) if per_field else [()] * k
            for row_i, values in enumerate(rows):
                key = (owner.name, tuple(values))
                col_key = (o.feature, key)
                if col_key not in columns:
                    columns[col_key] = len(arrays)
                    arrays.append(inputs.regime_inputs[key][o.feature][inputs.offset :])
                ov_feat[row_i, j] = columns[col_key]
        else:
            if o.feature not in columns:
                columns[o.feature] = len(arrays)
                arrays.append(inputs.static[o.feature])
            ov_feat[:, j] = columns[o.feature]
    tables, table_idx = _tables(strategy, grid, idx)
    features = np.empty((inputs.n_days, len(arrays)), order="F")
    for c, column in enumerate(arrays):
        features[:, c] = column
    chunk = Grid(grid.strategy, grid.keys, grid.values, idx)  # this chunk's rows, drawn once
    lo, hi = chunk.leg_bounds()
    fees, slippage = chunk.leg_costs()
    return ChunkArrays(
        codes=codes,
        shape=shape,
        tables=tables,
        features=features,
        ov_center=np.array([o.center for o in strategy.overlays], dtype=np.float64),
        ov_leg=strategy.overlay_legs(),
        code_idx=np.ascontiguousarray(code_idx.ravel(), dtype=np.int64),
        table_idx=table_idx,
        ov_feat=ov_feat,
        ov_slope=ov_slope,
        lo=np.ascontiguousarray(lo),
        hi=np.ascontiguousarray(hi),
        band=_column(cols, "rebalance.band", strategy.rebalance.band, k),
        lag=_column(cols, "execution_lag", strategy.execution_lag, k, np.int64),
        fees=np.ascontiguousarray(fees),
        slippage=np.ascontiguousarray(slippage),
    )


def _writable(a: Any) -> Any:
    """``a``, copied when read-only (a view of a pandas column; each array of a tuple): numba
    compiles a separate specialisation for read-only arrays."""
    if isinstance(a, tuple):
        return tuple(_writable(x) for x in a)
    return a if a.flags.writeable else a.copy()


def _fortran_columns(a: np.ndarray) -> np.ndarray:
    """A 2-D array in Fortran order with at least two columns (zeros added, never read).

    numba types an array of one column (or none) as C-contiguous and one of two or more in
    Fortran order as ``F``: without the padding, a chunk with one regime parameter set (or
    one overlay column) and one with several would compile the sweep kernel twice."""
    if a.shape[1] >= 2:
        return _writable(np.asfortranarray(a))
    out = np.zeros((a.shape[0], 2), dtype=a.dtype, order="F")
    out[:, : a.shape[1]] = a
    return out


def kernel_args(
    inputs: SweepInputs,
    chunk: ChunkArrays,
    first: int,
    last: int,
    returns_out: np.ndarray | None = None,
) -> tuple:
    """Positional arguments of :func:`engine.sweep.nb.sweep_nb` for a chunk and a day range
    (``returns_out``: see there; default an empty array, metrics only). The legs' closes and
    drift factors go as tuples of contiguous columns (one per leg).

    Every call gets the same argument types (writable arrays; ``codes`` and ``features`` in
    Fortran order with at least two columns), so the kernel compiles once per installation and
    leg count whatever the grid, the strategy's overlays, or the process (Dask workers
    unpickle writable arrays where the local sweep has read-only views)."""
    n_legs = inputs.n_legs
    arrays = (
        tuple(np.ascontiguousarray(inputs.closes[:, j]) for j in range(n_legs)),
        inputs.cash_price,
        tuple(np.ascontiguousarray(inputs.gross_legs[:, j]) for j in range(n_legs)),
        inputs.gross_c,
        inputs.ret_c,
        inputs.day_number,
        inputs.decide,
        _fortran_columns(chunk.codes),
        chunk.tables,
        _fortran_columns(chunk.features),
        chunk.ov_center,
        chunk.ov_leg,
        chunk.code_idx,
        chunk.table_idx,
        chunk.ov_feat,
        chunk.ov_slope,
        chunk.lo,
        chunk.hi,
        chunk.band,
        chunk.lag,
        chunk.fees,
        chunk.slippage,
    )
    return (
        *(_writable(a) for a in arrays),
        int(first),
        int(last),
        float(INIT_CASH),
        MIN_SIZE,
        np.empty((0, 0)) if returns_out is None else returns_out,
    )
