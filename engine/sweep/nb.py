"""The fused sweep kernel: one pass over days per combination, O(1) state (numba + NumPy).

Everything here takes NumPy arrays and scalars (time on axis 0) and nothing else.

:func:`sweep_nb` runs every combination in one pass over the days: allocation-table lookup of
the precomputed regime codes, overlays, bounds, decision days, the no-trade band on the
drifted weight, execution lag, vectorbt-identical fills (:mod:`engine.sweep.fills_nb`) and
streaming metrics (sums of returns and excess returns and of their squares, running peak and
drawdown, turnover, exposure). Memory is O(n_days * n_distinct_inputs + n_combos), never
O(n_days * n_combos). The same loop, written the slow way, is :mod:`engine.sweep.reference`.

Combinations run in blocks of :data:`LANES` side by side (``prange`` over blocks), one lane
per combination, with the state of a block in a small (rows, lanes) array: the per-day work
common to all lanes (value, returns, metrics, band test) is one loop over the lanes that LLVM
turns into SIMD instructions, and the rare per-lane events (an order executing, a regime
change, an order being placed) run lane by lane only on the days they happen. Every lane does
the same floating-point operations in the same order as a one-combination loop would, so
the results do not depend on the blocking.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from engine.metric_registry import (
    COL_CAGR,
    COL_CALMAR,
    COL_EXPOSURE,
    COL_MAX_DRAWDOWN,
    COL_N_REBALANCES,
    COL_N_RETURNS,
    COL_SHARPE,
    COL_SORTINO,
    COL_TIME_INVESTED,
    COL_TOTAL_RETURN,
    COL_TURNOVER,
    COL_VOLATILITY,
    SWEEP_COLUMNS,
)
from engine.sweep.fills_nb import rebalance_nb

ANNUAL = 252.0
"""Trading days per year for volatility, Sharpe and Sortino."""
DAYS_PER_YEAR = 365.25
"""Calendar days per year for CAGR and turnover."""

METRICS: tuple[str, ...] = SWEEP_COLUMNS
"""Columns of the kernel's output, in order: the sweep columns of the metric registry
(:mod:`engine.metric_registry`), written at its ``COL_*`` positions."""
N_METRICS = len(METRICS)


# ---------------------------------------------------------------- streaming metrics


@njit(cache=True, error_model="numpy")
def safe_ratio_nb(num: float, den: float) -> float:
    """``num / den`` with the degenerate-metric convention: +/-inf when den is 0, NaN when both are."""
    if den == 0.0:
        if num > 0.0:
            return np.inf
        if num < 0.0:
            return -np.inf
        return np.nan
    return num / den


@njit(cache=True, error_model="numpy")
def centered_ss_nb(total: float, total_sq: float, n: int) -> float:
    """Sum of squared deviations from the mean, from the sums of shifted values.

    Streaming moments by the shifted-data algorithm: with ``a = x - k`` for a constant ``k``
    near the data, ``sum((x - mean)^2) = sum(a^2) - sum(a)^2 / n``. No loop-carried
    division or multiply-add chain (unlike Welford's update), so the day loop stays short;
    precise while the spread of ``x`` is not tiny against ``|mean - k|`` (the kernel shifts
    returns by the cash return of the first return day: an all-cash portfolio's returns sit on
    it; excess returns are centred near 0 anyway). Exactly 0 for an all-zero ``a``; clipped
    at 0.
    """
    if n == 0:
        return np.nan
    ss = total_sq - total * total / n
    return ss if ss > 0.0 else 0.0


@njit(cache=True, error_model="numpy")
def finalize_nb(
    out: np.ndarray,
    n: int,
    v0: float,
    v_end: float,
    years: float,
    m2_r: float,
    mean_e: float,
    m2_e: float,
    down_ss: float,
    max_dd: float,
    turnover: float,
    weight_sum: float,
    n_invested: int,
    n_rebalances: int,
) -> None:
    """Write the metrics of one combination into ``out`` (array of shape (N_METRICS,)).

    ``n`` is the number of daily returns; the window has ``n + 1`` closes; ``m2_r``, ``m2_e``
    are the sums of squared deviations of the returns and excess returns. Every metric is NaN
    when ``n < 2`` (too short a history); ``n_rebalances`` and ``n_returns`` are always set.
    """
    out[:] = np.nan
    out[COL_N_REBALANCES] = n_rebalances
    out[COL_N_RETURNS] = n
    if n < 2:
        return
    sq = np.sqrt(ANNUAL)
    growth = v_end / v0
    out[COL_TOTAL_RETURN] = growth - 1.0
    cagr = growth ** (1.0 / years) - 1.0 if years > 0.0 else np.nan
    out[COL_CAGR] = cagr
    out[COL_VOLATILITY] = np.sqrt(m2_r / (n - 1)) * sq
    out[COL_SHARPE] = safe_ratio_nb(mean_e, np.sqrt(m2_e / (n - 1))) * sq
    out[COL_SORTINO] = safe_ratio_nb(mean_e, np.sqrt(down_ss / n)) * sq
    out[COL_MAX_DRAWDOWN] = max_dd
    out[COL_CALMAR] = safe_ratio_nb(cagr, abs(max_dd))
    out[COL_TURNOVER] = turnover / years if years > 0.0 else np.nan
    out[COL_EXPOSURE] = weight_sum / (n + 1)
    out[COL_TIME_INVESTED] = n_invested / (n + 1)


# ---------------------------------------------------------------- block order


def stable_order_ref(keys: np.ndarray) -> np.ndarray:
    """Positions of ``keys`` (array of shape (n,), no NaN) in ascending order, equal keys in
    their original order: ``np.argsort(keys, kind="stable")``, by a bottom-up merge sort.

    Requires: float keys without NaN (the sweep's no-trade bands). Produces: int64 array of
    shape (n,). The sweep kernel groups its blocks by band with it; numba's own
    ``np.argsort(kind="mergesort")`` costs about 2 s of a cold first sweep's compilation, this
    loop a fraction of a second.
    """
    n = keys.shape[0]
    order = np.arange(n)
    spare = np.empty(n, np.int64)
    width = 1
    while width < n:
        for lo in range(0, n, 2 * width):
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            i = lo
            j = mid
            k = lo
            while i < mid and j < hi:
                if keys[order[j]] < keys[order[i]]:
                    spare[k] = order[j]
                    j += 1
                else:
                    spare[k] = order[i]
                    i += 1
                k += 1
            while i < mid:
                spare[k] = order[i]
                i += 1
                k += 1
            while j < hi:
                spare[k] = order[j]
                j += 1
                k += 1
        order, spare = spare, order
        width *= 2
    return order


stable_order_nb = njit(cache=True, error_model="numpy")(stable_order_ref)


# ---------------------------------------------------------------- the fused pass

LANES = 16
"""Combinations per block: lanes of the SIMD loop (two AVX-512 or four AVX2 vectors)."""
NEVER = np.inf
"""Due day of no order."""

# Rows of a block's state array (rows x LANES): per-lane state, then per-lane parameters.
(
    X,  # index weight drifted since the last execution (unnormalised: x / (x + y))
    Y,  # cash-asset weight likewise
    CASH,  # vectorbt's cash
    POS_I,  # index units held
    POS_C,  # cash-asset units held
    DUE,  # day the pending order executes (NEVER: none)
    PEND,  # the pending order's target weight
    TRADED,  # 1.0 once an order has executed
    STARTED,  # 1.0 from the day after the first execution (returns count from then)
    T0,  # day of the first execution
    KR,  # shift of the return sums (cash return of the first return day)
    V0,  # value at the close of the first execution
    INV_PREV,  # 1 / previous value
    PEAK,  # running peak value
    MAX_DD,  # maximum drawdown (<= 0)
    SUM_R,  # sum of shifted returns
    SS_R,  # sum of squared shifted returns
    SUM_E,  # sum of excess returns
    SS_E,  # sum of squared excess returns
    DOWN,  # sum of squared negative excess returns
    TURN,  # sum of |traded index value| / value before the trade
    WSUM,  # sum of index weights at the closes
    NINV,  # closes with index units held
    NREB,  # executed orders
    R,  # today's return (NaN before returns start)
    W,  # today's target weight; after the lane loop: the weight ordered today, NaN if none
    TV,  # allocation-table weight of the current regime cell
    NEXT,  # day the regime cell changes next (NEVER: not in the window)
    BAND,
    LAG,
    LO,
    HI,
    FEES,
    SLIP,
) = range(34)
N_ROWS = 34


@njit(cache=True, error_model="numpy")
def code_runs_nb(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run-length encoding of each column of ``codes`` (table cells, shape (n_days, n_sets)).

    Returns
    -------
    offsets : int64 array of shape (n_sets + 1,): column j's runs are ``offsets[j]:offsets[j+1]``.
    starts : float64 array of shape (n_runs + 1,): first day of each run (one sentinel at the end).
    values : int64 array of shape (n_runs + 1,): the code of each run.
    """
    n_days, n_sets = codes.shape
    offsets = np.zeros(n_sets + 1, np.int64)
    for j in range(n_sets):
        c = 1 if n_days > 0 else 0
        for t in range(1, n_days):
            c += codes[t, j] != codes[t - 1, j]
        offsets[j + 1] = offsets[j] + c
    starts = np.full(offsets[n_sets] + 1, NEVER)
    values = np.zeros(offsets[n_sets] + 1, np.int64)
    for j in range(n_sets):
        p = offsets[j]
        for t in range(n_days):
            if t == 0 or codes[t, j] != codes[t - 1, j]:
                starts[p] = t
                values[p] = codes[t, j]
                p += 1
    return offsets, starts, values


@njit(cache=True, error_model="numpy")
def execute_due_nb(S: np.ndarray, t: float, p_i: float, p_c: float, min_size: float) -> None:
    """Execute the orders due at day ``t`` (closes ``p_i``, ``p_c``) in every lane that has one."""
    for lane in range(LANES):
        if S[DUE, lane] == t:
            w = S[PEND, lane]
            cash, pos_i, pos_c, traded_value, v_before = rebalance_nb(
                S[CASH, lane],
                S[POS_I, lane],
                S[POS_C, lane],
                p_i,
                p_c,
                w,
                S[FEES, lane],
                S[SLIP, lane],
                min_size,
            )
            S[CASH, lane] = cash
            S[POS_I, lane] = pos_i
            S[POS_C, lane] = pos_c
            S[TURN, lane] += abs(traded_value) / v_before
            S[NREB, lane] += 1.0
            S[TRADED, lane] = 1.0
            S[X, lane] = w
            S[Y, lane] = 1.0 - w
            S[DUE, lane] = NEVER


@njit(cache=True, error_model="numpy")
def next_run_nb(
    S: np.ndarray,
    lane: int,
    p: int,
    end: int,
    table: np.ndarray,
    starts: np.ndarray,
    values: np.ndarray,
) -> None:
    """Point ``lane`` at run ``p`` of its regime codes: the table weight and the next change."""
    S[TV, lane] = table[values[p]]
    S[NEXT, lane] = starts[p + 1] if p + 1 < end else NEVER


@njit(cache=True, error_model="numpy")
def block_nb(
    combos: np.ndarray,
    close_i: np.ndarray,
    close_c: np.ndarray,
    gross_i: np.ndarray,
    gross_c: np.ndarray,
    ret_c: np.ndarray,
    day_number: np.ndarray,
    decide: np.ndarray,
    runs: tuple[np.ndarray, np.ndarray, np.ndarray],
    tables: np.ndarray,
    features: np.ndarray,
    ov_center: np.ndarray,
    code_idx: np.ndarray,
    table_idx: np.ndarray,
    ov_feat: np.ndarray,
    ov_slope: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    band: np.ndarray,
    lag: np.ndarray,
    fees: np.ndarray,
    slippage: np.ndarray,
    first: int,
    last: int,
    init_cash: float,
    min_size: float,
    out: np.ndarray,
    returns_out: np.ndarray,
) -> None:
    """Run the combinations ``combos`` (array of shape (LANES,), repeats allowed) over days
    ``first..last`` side by side and write their metrics into rows of ``out``.

    Per close t and lane: execute the pending order if it is due (vectorbt fills), value the
    portfolio and update the metrics, then on a decision day look up the target (table at the
    regime cell + overlays, clipped to ``[lo, hi]``; no decision when an overlay feature is
    NaN) and place an order when ``|target - ref| > band``, ``ref`` being the pending order's
    target while one waits, else the drifted weight (and always when nothing is pending and
    nothing has executed yet); it is due ``lag`` closes later and replaces a pending one
    (:func:`engine.allocation_nb.plan_orders_ref`). The drifted weight is kept as
    ``x / (x + y)`` with ``x, y`` the index and cash shares grown by their gross returns since
    the last execution: the brief's recursion ``d' = d(1+re) / (d(1+re) + (1-d)(1+rc))``
    unrolled, without a division on the loop-carried path (equal to it right after a trade and
    at weights 0 and 1). The portfolio starts in cash at ``first``.

    No fast-math: targets, the band test and the fills repeat the exact operations of the
    allocation references and of vectorbt (a fused multiply-add in an overlay would move a
    target by one ulp and can flip a band decision at a tie).
    """
    offsets, starts, values = runs
    n_ov = ov_feat.shape[1]
    write = returns_out.shape[1] > 0
    S = np.zeros((N_ROWS, LANES))
    run = np.empty(LANES, np.int64)
    run_end = np.empty(LANES, np.int64)
    slope = np.empty((n_ov, LANES))
    feat = np.empty((n_ov, LANES), np.int64)
    for lane in range(LANES):
        k = combos[lane]
        for j in range(n_ov):
            slope[j, lane] = ov_slope[k, j]
            feat[j, lane] = ov_feat[k, j]
        S[CASH, lane] = init_cash
        S[DUE, lane] = NEVER
        S[T0, lane] = -1.0
        S[V0, lane] = np.nan
        S[INV_PREV, lane] = np.nan
        S[PEAK, lane] = np.nan
        S[BAND, lane] = band[k]
        S[LAG, lane] = lag[k]
        S[LO, lane] = lo[k]
        S[HI, lane] = hi[k]
        S[FEES, lane] = fees[k]
        S[SLIP, lane] = slippage[k]
        p = offsets[code_idx[k]]
        end = offsets[code_idx[k] + 1]
        while p + 1 < end and starts[p + 1] <= first:
            p += 1
        run[lane] = p
        run_end[lane] = end
        next_run_nb(S, lane, p, end, tables[table_idx[k]], starts, values)
    n_due = 0
    n_change = 0
    for t in range(first, last + 1):
        now = float(t)
        p_i = close_i[t]
        p_c = close_c[t]
        if n_due > 0:
            execute_due_nb(S, now, p_i, p_c, min_size)
        if n_change > 0:
            for lane in range(LANES):
                if S[NEXT, lane] == now:
                    run[lane] += 1
                    k = combos[lane]
                    next_run_nb(
                        S, lane, run[lane], run_end[lane], tables[table_idx[k]], starts, values
                    )
        S[W] = S[TV]
        for j in range(n_ov):
            center = ov_center[j]
            for lane in range(LANES):
                S[W, lane] += slope[j, lane] * (features[t, feat[j, lane]] - center)
        r_c = ret_c[t]
        more = t < last
        k_next = ret_c[t + 1] if more else 0.0
        g_i = gross_i[t + 1] if more else 1.0
        g_c = gross_c[t + 1] if more else 1.0
        dec = decide[t]
        tomorrow = now + 1.0
        n_due = 0
        n_change = 0
        n_place = 0
        # The SIMD loop: no branch that differs between lanes, every update a select.
        for lane in range(LANES):
            asset_i = S[POS_I, lane] * p_i
            v = S[CASH, lane] + (asset_i + S[POS_C, lane] * p_c)
            inv_v = 1.0 / v
            started = S[STARTED, lane] != 0.0
            traded = S[TRADED, lane] != 0.0
            begin = traded & (not started)
            r = v * S[INV_PREV, lane] - 1.0
            e = r - r_c
            a_r = r - S[KR, lane]
            neg = e if e < 0.0 else 0.0
            S[SUM_R, lane] += a_r if started else 0.0
            S[SS_R, lane] += a_r * a_r if started else 0.0
            S[SUM_E, lane] += e if started else 0.0
            S[SS_E, lane] += e * e if started else 0.0
            S[DOWN, lane] += neg * neg if started else 0.0
            peak = v if begin else max(S[PEAK, lane], v)
            dd = v / peak - 1.0
            S[MAX_DD, lane] = min(S[MAX_DD, lane], dd) if started else S[MAX_DD, lane]
            S[PEAK, lane] = peak
            S[WSUM, lane] += asset_i * inv_v if traded else 0.0
            S[NINV, lane] += 1.0 if traded & (asset_i > 0.0) else 0.0
            S[T0, lane] = now if begin else S[T0, lane]
            S[KR, lane] = k_next if begin else S[KR, lane]
            S[V0, lane] = v if begin else S[V0, lane]
            S[INV_PREV, lane] = inv_v
            S[STARTED, lane] = S[TRADED, lane]
            S[R, lane] = r if started else np.nan
            w = S[W, lane]
            w = S[LO, lane] if w < S[LO, lane] else (S[HI, lane] if w > S[HI, lane] else w)
            x = S[X, lane]
            y = S[Y, lane]
            pending = S[DUE, lane] != NEVER
            ref = S[PEND, lane] if pending else x / (x + y)
            fresh = not (pending | traded)
            place = dec & (w == w) & ((abs(w - ref) > S[BAND, lane]) | fresh)
            S[W, lane] = w if place else np.nan
            n_place += 1 if place else 0
            n_due += 1 if S[DUE, lane] == tomorrow else 0
            n_change += 1 if S[NEXT, lane] == tomorrow else 0
            S[X, lane] = x * g_i
            S[Y, lane] = y * g_c
        if n_place > 0:
            for lane in range(LANES):
                w = S[W, lane]
                if w == w:
                    S[DUE, lane] = now + S[LAG, lane]
                    S[PEND, lane] = w
                    n_due += 1 if S[LAG, lane] == 1.0 else 0
        if write:
            for lane in range(LANES):
                if S[R, lane] == S[R, lane]:
                    returns_out[combos[lane], t] = S[R, lane]
    for lane in range(LANES):
        started = S[STARTED, lane] != 0.0
        t0 = int(S[T0, lane])
        n = last - t0 if started else 0
        years = (day_number[last] - day_number[t0]) / DAYS_PER_YEAR if started else np.nan
        v_end = S[CASH, lane] + (S[POS_I, lane] * close_i[last] + S[POS_C, lane] * close_c[last])
        finalize_nb(
            out[combos[lane]],
            n,
            S[V0, lane],
            v_end,
            years,
            centered_ss_nb(S[SUM_R, lane], S[SS_R, lane], n),
            S[SUM_E, lane] / n if n > 0 else np.nan,
            centered_ss_nb(S[SUM_E, lane], S[SS_E, lane], n),
            S[DOWN, lane],
            S[MAX_DD, lane],
            S[TURN, lane],
            S[WSUM, lane],
            int(S[NINV, lane]),
            int(S[NREB, lane]),
        )


@njit(cache=True, parallel=True, error_model="numpy")
def sweep_nb(
    close_i: np.ndarray,
    close_c: np.ndarray,
    gross_i: np.ndarray,
    gross_c: np.ndarray,
    ret_c: np.ndarray,
    day_number: np.ndarray,
    decide: np.ndarray,
    codes: np.ndarray,
    tables: np.ndarray,
    features: np.ndarray,
    ov_center: np.ndarray,
    code_idx: np.ndarray,
    table_idx: np.ndarray,
    ov_feat: np.ndarray,
    ov_slope: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    band: np.ndarray,
    lag: np.ndarray,
    fees: np.ndarray,
    slippage: np.ndarray,
    first: int,
    last: int,
    init_cash: float,
    min_size: float,
    returns_out: np.ndarray,
) -> np.ndarray:
    """Metrics of every combination: blocks of :data:`LANES` combinations, ``prange`` over blocks.

    Combinations are grouped into blocks by no-trade band (combinations that trade often share
    blocks, so the others rarely leave the SIMD loop), and blocks are handed to threads in a
    scattered order so that every thread gets a share of the busy ones.

    Parameters
    ----------
    close_i, close_c : arrays of shape (n_days,): index close and cash-asset price.
    gross_i, gross_c : arrays of shape (n_days,): ``1 + ret`` of the index and the cash asset,
        the drift factors of the order plan (entry 0 unused).
    ret_c : array of shape (n_days,): the cash asset's return ``close_c[t] / close_c[t-1] - 1``
        (entry 0 unused), subtracted for excess returns.
    day_number : int64 array of shape (n_days,): calendar-day ordinals.
    decide : bool array of shape (n_days,): decision days of the rebalance frequency.
    codes : int32 array of shape (n_days, n_code_sets), Fortran order: the allocation-table
        cell of each day (:func:`engine.allocation_nb.cell_codes_nb`) per distinct set of
        regime parameters.
    tables : array of shape (n_tables, n_cells), C order: allocation tables, flattened.
    features : array of shape (n_days, n_feature_columns): overlay inputs (NaN = not known).
    ov_center : array of shape (n_overlays,).
    code_idx, table_idx : int64 arrays of shape (n_combos,): each combination's column of
        ``codes`` and its table.
    ov_feat, ov_slope : arrays of shape (n_combos, n_overlays): feature column and slope.
    lo, hi, band, fees, slippage : float arrays of shape (n_combos,): bounds, no-trade band,
        fees and slippage (index leg); lag : int64 array (execution lag in closes).
    first, last : day range simulated (inclusive); init_cash, min_size : vectorbt's settings.
    returns_out : array of shape (0, 0), or of shape (n_combos, n_days) filled with NaN to
        receive each combination's daily returns in its row (for the overfitting guards only,
        which bound n_combos: an empty array keeps memory O(n_combos)).

    Returns
    -------
    array of shape (n_combos, N_METRICS), columns as in :data:`METRICS`.
    """
    k_total = code_idx.shape[0]
    out = np.empty((k_total, N_METRICS))
    runs = code_runs_nb(codes)
    order = stable_order_nb(band)
    n_blocks = (k_total + LANES - 1) // LANES
    stride = max(int(n_blocks * 0.6180339887498949), 1)
    while np.gcd(stride, n_blocks) > 1:
        stride += 1
    for i in prange(n_blocks):
        b = (i * stride) % n_blocks
        combos = np.empty(LANES, np.int64)
        for lane in range(LANES):
            combos[lane] = order[min(b * LANES + lane, k_total - 1)]
        block_nb(
            combos,
            close_i,
            close_c,
            gross_i,
            gross_c,
            ret_c,
            day_number,
            decide,
            runs,
            tables,
            features,
            ov_center,
            code_idx,
            table_idx,
            ov_feat,
            ov_slope,
            lo,
            hi,
            band,
            lag,
            fees,
            slippage,
            first,
            last,
            init_cash,
            min_size,
            out,
            returns_out,
        )
    return out
