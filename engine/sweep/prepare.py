"""Work shared by every combination of a sweep, done once; and the kernel inputs per chunk.

:func:`prepare_sweep` loads the data and computes, on the whole history up to ``end`` (the
regimes' warm-up uses all of it, as :func:`engine.regimes.regime_frame` does), the inputs the
regime kernels read: balance-sheet growth per distinct window, net-liquidity change per
distinct window, the policy inputs once, and the overlay features. It then fixes ONE window
for every combination: from the first day on which every input of every combination is known
(or the requested later start) to ``end``. Each combination's metrics therefore cover the same
days and equal ``engine.backtest.run_backtest(combination, start=<window start>, end)``.

:func:`chunk_arrays` turns combinations ``start:stop`` of a grid into kernel arrays: regime
codes per distinct regime parameter set in the chunk (consecutive combinations share them:
grid order puts regime keys first), allocation tables, overlay feature columns and the
per-combination scalars. Memory is O(n_days * distinct sets in the chunk + chunk size).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from data.dates import parse_optional_day
from data.errors import MissingDataError, ParameterError
from data.manifest import INDEX_ID
from data.panel import trading_days
from data.store import Store
from engine.allocation import decision_mask
from engine.cash import NO_CASH_RATE, cash_price_from_yield, cash_rate_asof, cash_yield
from engine.features import (
    carry,
    day_numbers,
    feature_frame,
    measure_weekly,
    net_liquidity_weekly,
    policy_inputs,
    weekly_change,
    weekly_growth,
)
from engine.regimes import balance_sheet_codes, net_liquidity_codes, phase_codes
from strategies import Grid, Strategy

FAMILIES: tuple[str, ...] = ("balance_sheet", "net_liquidity", "phase")
"""Regime names in allocation-table axis order."""
PARAM_GROUP: dict[str, str] = {
    "balance_sheet": "balance_sheet",
    "net_liquidity": "net_liquidity",
    "phase": "policy",
}
"""Regime name -> its parameter group (dotted-key prefix and ``RegimeParams`` field)."""
WINDOWED: dict[str, tuple[str, str]] = {
    "bs_growth": ("balance_sheet", "growth"),
    "bs_pace_bn_month": ("balance_sheet", "pace"),
    "net_liquidity_change_bn": ("net_liquidity", "change"),
}
"""Overlay features that depend on a parameter: feature -> (group whose ``window_weeks`` sets
it, which weekly series: ``growth`` / ``pace`` of the balance-sheet measure, ``change`` of net
liquidity). Every other feature is the same for all combinations
(:func:`engine.features.feature_frame`)."""


def _returns(price: np.ndarray) -> np.ndarray:
    out = np.zeros(len(price))
    out[1:] = price[1:] / price[:-1] - 1.0
    return out


@dataclass(frozen=True)
class SweepInputs:
    """Everything the kernel needs that no combination changes (picklable, store-free).

    Attributes
    ----------
    days : the sweep window's trading days (n_days).
    offset : position of ``days[0]`` in the full history the regime inputs cover.
    close, cash_price : arrays of shape (n_days,): index close; cash asset price (1.0 first).
    ret_i, ret_c : close-to-close returns, arrays of shape (n_days,) (element 0 is 0).
    gross_i, gross_c : ``1 + ret_i``, ``1 + ret_c``: the order plan's drift factors.
    day_number : int64 array of shape (n_days,): days since 1970-01-01.
    decide : bool array of shape (n_days,): decision days of the rebalance frequency.
    weekly : (``growth`` | ``pace`` | ``change``, window_weeks) -> array of shape
        (n_history,): the windowed inputs carried to the full history's days.
    policy : (upper, lower, y10, sahm, day_number) over the full history: the phase inputs.
    static : overlay feature name -> array of shape (n_days,) for parameter-free features.
    start_note : how the window start was chosen.
    """

    days: pd.DatetimeIndex
    offset: int
    close: np.ndarray
    cash_price: np.ndarray
    ret_i: np.ndarray
    ret_c: np.ndarray
    gross_i: np.ndarray
    gross_c: np.ndarray
    day_number: np.ndarray
    decide: np.ndarray
    weekly: Mapping[tuple[str, int], np.ndarray]
    policy: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    static: Mapping[str, np.ndarray]
    start_note: str

    @property
    def n_days(self) -> int:
        return len(self.days)


def _values(strategy: Strategy, grid: Grid, key: str) -> tuple:
    """All values a dotted key takes in the grid (its base value when it is not swept)."""
    if key in grid.keys:
        return tuple(grid.values[grid.keys.index(key)])
    group, _, name = key.partition(".")
    return (getattr(getattr(strategy.regimes, group), name),)


def _needs(strategy: Strategy) -> set[tuple[str, str]]:
    """Weekly inputs the strategy reads: (group, growth | pace | change)."""
    need = set()
    if "balance_sheet" in strategy.uses():
        need.add(("balance_sheet", "growth"))
    if "net_liquidity" in strategy.uses():
        need.add(("net_liquidity", "change"))
    for o in strategy.overlays:
        if o.feature in WINDOWED:
            need.add(WINDOWED[o.feature])
    return need


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
    strategy : the base strategy; grid : its grid (only the values of window keys are read).
    start : requested first day; moved later until every input of every combination is known.
    end : last day (default: the last index close).
    store : the point-in-time store (default: a new :class:`data.store.Store`).

    Raises MissingDataError when an input is never known or fewer than two days remain.
    """
    store = store or Store()
    s_req, e_req = parse_optional_day(start, "--start"), parse_optional_day(end, "--end")
    if s_req is not None and e_req is not None and s_req > e_req:
        raise ParameterError(f"start {s_req.date()} is after end {e_req.date()}")
    days_all = trading_days(None, e_req, store=store)
    close_all = store.asof(INDEX_ID, days_all)["value"].to_numpy(dtype=np.float64)
    known = np.isfinite(close_all)
    reasons: dict[str, int] = {}

    def need_first(name: str, ok: np.ndarray) -> None:
        if not ok.any():
            raise MissingDataError(
                f"strategy {strategy.name}: input {name} is never known up to {days_all[-1].date()}"
            )
        reasons[name] = int(np.argmax(ok))
        known[:] &= ok

    need = _needs(strategy)
    bs_base = strategy.regimes.balance_sheet
    nl_base = strategy.regimes.net_liquidity
    weekly: dict[tuple[str, int], np.ndarray] = {}
    if ("balance_sheet", "growth") in need or ("balance_sheet", "pace") in need:
        m = measure_weekly(store, bs_base.measure)
        for w in _values(strategy, grid, "balance_sheet.window_weeks"):
            g = weekly_growth(m, int(w))
            for kind in ("growth", "pace"):
                if ("balance_sheet", kind) in need:
                    weekly[(kind, int(w))] = carry(g, kind, days_all)
    if ("net_liquidity", "change") in need:
        nlw = net_liquidity_weekly(store)
        for w in _values(strategy, grid, "net_liquidity.window_weeks"):
            weekly[("change", int(w))] = carry(weekly_change(nlw, int(w)), "change", days_all)
    upper, lower, y10, sahm = policy_inputs(store, days_all)
    policy = (upper, lower, y10, sahm, day_numbers(days_all))

    # First day every used regime is known: codes are UNKNOWN (0) only before their first
    # valid input, whatever the thresholds, so one parameter set per input array decides it.
    uses = strategy.uses()
    if "balance_sheet" in uses:
        for w in _values(strategy, grid, "balance_sheet.window_weeks"):
            p_bs = dataclasses.replace(bs_base, window_weeks=int(w))
            need_first(
                f"balance_sheet(window_weeks={w})",
                balance_sheet_codes(weekly[("growth", int(w))], p_bs) != 0,
            )
    if "net_liquidity" in uses:
        for w in _values(strategy, grid, "net_liquidity.window_weeks"):
            p_nl = dataclasses.replace(nl_base, window_weeks=int(w))
            need_first(
                f"net_liquidity(window_weeks={w})",
                net_liquidity_codes(weekly[("change", int(w))], p_nl) != 0,
            )
    if "phase" in uses:
        need_first("phase", phase_codes(*policy, strategy.regimes.policy) != 0)

    static: dict[str, np.ndarray] = {}
    plain = sorted({o.feature for o in strategy.overlays if o.feature not in WINDOWED})
    if plain:
        frame = feature_frame(store, days_all, strategy.regimes)
        for f in plain:
            static[f] = frame[f].to_numpy(dtype=np.float64)
    overlay_cols = [(f"overlay:{f}", a) for f, a in static.items()]
    for f in sorted({o.feature for o in strategy.overlays if o.feature in WINDOWED}):
        group, kind = WINDOWED[f]
        for w in _values(strategy, grid, f"{group}.window_weeks"):
            overlay_cols.append((f"overlay:{f}(window_weeks={w})", weekly[(kind, int(w))]))
    for name, a in overlay_cols:
        need_first(name, np.isfinite(a))

    rate = strategy.cash_rate
    rate_all = cash_rate_asof(store, days_all, rate)["value"].to_numpy(dtype=np.float64)
    if rate != NO_CASH_RATE:
        need_first(f"cash:{rate}", np.isfinite(rate_all))
    if not known.any():
        raise MissingDataError(
            f"strategy {strategy.name}: its inputs ({', '.join(reasons) or 'the index'}) are "
            f"never all known on the same day up to {days_all[-1].date()}"
        )
    i0 = int(np.argmax(known))
    limiting = max(reasons, key=lambda k: reasons[k]) if reasons else "the index"
    if s_req is not None and s_req > days_all[i0]:
        i0 = int(days_all.searchsorted(s_req))
        note = f"start {days_all[min(i0, len(days_all) - 1)].date()} (as requested)"
    elif s_req is not None:
        note = (
            f"start moved from {s_req.date()} to {days_all[i0].date()}: first day every "
            f"input of every combination is known (last: {limiting})"
        )
    else:
        note = (
            f"start {days_all[i0].date()}: first day every input of every combination is "
            f"known (last: {limiting})"
        )
    if i0 >= len(days_all) - 1:
        raise MissingDataError(
            f"fewer than two trading days between {days_all[min(i0, len(days_all) - 1)].date()} "
            f"and {days_all[-1].date()}; choose an earlier --start or a later --end"
        )
    for name, a in overlay_cols:
        bad = ~np.isfinite(a[i0:])
        if bad.any():
            raise MissingDataError(
                f"strategy {strategy.name}: {name} is unknown on "
                f"{days_all[i0 + int(np.argmax(bad))].date()} inside the window; use --end "
                "before that day"
            )
    days = days_all[i0:]
    cash_px = cash_price_from_yield(days, cash_yield(rate, rate_all[i0:]))
    if not np.isfinite(cash_px).all():
        bad = int(np.argmax(~np.isfinite(cash_px)))
        raise MissingDataError(f"cash rate {rate} is unknown on {days[max(bad - 1, 0)].date()}")
    close = np.ascontiguousarray(close_all[i0:])
    ret_i, ret_c = _returns(close), _returns(cash_px)
    return SweepInputs(
        days=days,
        offset=i0,
        close=close,
        cash_price=cash_px,
        ret_i=ret_i,
        ret_c=ret_c,
        gross_i=1.0 + ret_i,
        gross_c=1.0 + ret_c,
        day_number=day_numbers(days),
        decide=np.ascontiguousarray(decision_mask(days, strategy.rebalance.frequency)),
        weekly=weekly,
        policy=policy,
        static={f: np.ascontiguousarray(a[i0:]) for f, a in static.items()},
        start_note=note,
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


def _codes(inputs: SweepInputs, family: str, params: Any) -> np.ndarray:
    if family == "balance_sheet":
        full = balance_sheet_codes(inputs.weekly[("growth", params.window_weeks)], params)
    elif family == "net_liquidity":
        full = net_liquidity_codes(inputs.weekly[("change", params.window_weeks)], params)
    else:
        full = phase_codes(*inputs.policy, params)
    return np.ascontiguousarray(full[inputs.offset :])


@dataclass(frozen=True)
class ChunkArrays:
    """Kernel inputs of combinations ``start:stop`` (k of them) of a grid.

    Attributes
    ----------
    codes : uint8 array of shape (n_days, n_sets), Fortran order: per distinct set of regime
        parameters in the chunk, the flat allocation-table cell of each day,
        ``bs * 28 + nl * 7 + phase`` (a regime the rules do not use reads 0: the table does
        not vary along it).
    tables : array of shape (n_tables, 4, 4, 7): the distinct allocation tables of the chunk.
    features : array of shape (n_days, n_columns), Fortran order: distinct overlay inputs.
    ov_center : array of shape (n_overlays,).
    code_idx, table_idx : int64 arrays of shape (k,): column of ``codes``, row of ``tables``.
    ov_feat : int64 array of shape (k, n_overlays); ov_slope : array of shape (k, n_overlays).
    lo, hi, band, fees, slippage : arrays of shape (k,); lag : int64 array of shape (k,).
    """

    codes: np.ndarray
    tables: np.ndarray
    features: np.ndarray
    ov_center: np.ndarray
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
    family: str,
    cache: CodeCache,
) -> tuple[np.ndarray, np.ndarray]:
    k = len(idx)
    if family not in strategy.uses():
        return np.zeros((inputs.n_days, 1), dtype=np.int8), np.zeros(k, np.int64)
    group = PARAM_GROUP[family]
    cols = [j for j, key in enumerate(grid.keys) if key.startswith(group + ".")]
    base = getattr(strategy.regimes, group)
    if cols:
        uniq, inverse = unique_rows(idx[:, cols])
    else:
        uniq, inverse = np.zeros((1, 0), dtype=np.int64), np.zeros(k, dtype=np.int64)
    out = np.empty((inputs.n_days, len(uniq)), dtype=np.int8, order="F")
    for u, row in enumerate(uniq):
        change = {
            grid.keys[c].partition(".")[2]: grid.values[c][row[i]] for i, c in enumerate(cols)
        }
        out[:, u] = cache.get(inputs, family, dataclasses.replace(base, **change))
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
"""Keys besides ``weights.<rule>`` that change the allocation table."""


def _tables(strategy: Strategy, grid: Grid, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct allocation tables of the combinations ``idx`` (value-index rows): an array of
    shape (n_tables, 4, 4, 7) and each combination's row in it."""
    cols = [j for j, key in enumerate(grid.keys) if key.startswith("weights.") or key in TABLE_KEYS]
    uniq, inverse = unique_rows(idx[:, cols])
    reps = np.zeros((len(uniq), len(grid.keys)), dtype=np.int64)
    reps[:, cols] = uniq
    sub = Grid(grid.strategy, grid.keys, grid.values, reps)
    return np.ascontiguousarray(sub.tables(), dtype=np.float64), inverse


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
    cols = grid.columns(start, stop)
    fam = [_family_codes(inputs, strategy, grid, idx, f, cache) for f in FAMILIES]
    triples, code_idx = unique_rows(np.column_stack([c[1] for c in fam]))
    codes = np.empty((inputs.n_days, len(triples)), dtype=np.uint8, order="F")
    for u, (b, m, p) in enumerate(triples):
        cell = (
            fam[0][0][:, b].astype(np.int64) * 28
            + fam[1][0][:, m].astype(np.int64) * 7
            + fam[2][0][:, p]
        )
        codes[:, u] = cell
    n_ov = len(strategy.overlays)
    ov_feat = np.zeros((k, n_ov), dtype=np.int64)
    ov_slope = np.empty((k, n_ov))
    columns: dict[Any, int] = {}
    arrays: list[np.ndarray] = []
    for j, o in enumerate(strategy.overlays):
        ov_slope[:, j] = _column(cols, f"overlays.{j}.slope", o.slope, k)
        if o.feature in WINDOWED:
            group, kind = WINDOWED[o.feature]
            base_w = getattr(strategy.regimes, group).window_weeks
            windows = _column(cols, f"{group}.window_weeks", base_w, k, np.int64)
            for w in np.unique(windows):
                key = (kind, int(w))
                if key not in columns:
                    columns[key] = len(arrays)
                    arrays.append(inputs.weekly[key][inputs.offset :])
                ov_feat[windows == w, j] = columns[key]
        else:
            if o.feature not in columns:
                columns[o.feature] = len(arrays)
                arrays.append(inputs.static[o.feature])
            ov_feat[:, j] = columns[o.feature]
    tables, table_idx = _tables(strategy, grid, idx)
    features = np.empty((inputs.n_days, len(arrays)), order="F")
    for c, a in enumerate(arrays):
        features[:, c] = a
    return ChunkArrays(
        codes=codes,
        tables=tables,
        features=features,
        ov_center=np.array([o.center for o in strategy.overlays], dtype=np.float64),
        code_idx=np.ascontiguousarray(code_idx.ravel(), dtype=np.int64),
        table_idx=table_idx,
        ov_feat=ov_feat,
        ov_slope=ov_slope,
        lo=_column(cols, "min_weight", strategy.min_weight, k),
        hi=_column(cols, "max_weight", strategy.max_weight, k),
        band=_column(cols, "rebalance.band", strategy.rebalance.band, k),
        lag=_column(cols, "execution_lag", strategy.execution_lag, k, np.int64),
        fees=_column(cols, "costs.fees", strategy.costs.fees, k),
        slippage=_column(cols, "costs.slippage", strategy.costs.slippage, k),
    )


def kernel_args(
    inputs: SweepInputs,
    chunk: ChunkArrays,
    first: int,
    last: int,
    returns_out: np.ndarray | None = None,
) -> tuple:
    """Positional arguments of :func:`engine.sweep.nb.sweep_nb` for a chunk and a day range
    (``returns_out``: see there; default an empty array, metrics only)."""
    from engine.backtest import INIT_CASH

    return (
        inputs.close,
        inputs.cash_price,
        inputs.gross_i,
        inputs.gross_c,
        inputs.ret_c,
        inputs.day_number,
        inputs.decide,
        chunk.codes,
        chunk.tables,
        chunk.features,
        chunk.ov_center,
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
        int(first),
        int(last),
        float(INIT_CASH),
        MIN_SIZE,
        np.empty((0, 0)) if returns_out is None else returns_out,
    )


MIN_SIZE = 0.0
"""vectorbt ``min_size`` of the backtest's ``Portfolio.from_orders`` call (no minimum)."""
