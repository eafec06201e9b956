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
from engine.sweep.fills_nb import call_sequence_nb, rebalance_nb, target_percent_nb

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

# Rows of a block's state array (rows x LANES): per-lane state, per-lane parameters, then one
# block of n_legs rows per per-leg quantity (see _leg_rows).
(
    CASH,  # vectorbt's cash
    POS_C,  # cash-asset units held
    Y,  # cash-asset weight drifted since the last execution (unnormalised, see X)
    DUE,  # day the pending order executes (NEVER: none)
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
    TURN,  # sum of |traded value of the legs| / value before the trade
    WSUM,  # sum of total risky weights at the closes
    NINV,  # closes with risky units held
    NREB,  # executed orders
    R,  # today's return (NaN before returns start)
    NEXT,  # day the regime cell changes next (NEVER: not in the window)
    BAND,
    LAG,
) = range(25)
N_BASE = 25
N_LEG_ROWS = 10
"""Per-leg row blocks: X (leg weight drifted since the last execution, unnormalised: the
drifted weight is x_l / (sum x + y)), POS (units held), PEND (the pending order's target),
TV (allocation-table weight of the current regime cell), W (today's target), LO, HI, FEES,
SLIP, ORD (the weight ordered today, NaN if none: a row of its own, so the SIMD loop stores
a select into it, never a masked store)."""


@njit(cache=True, error_model="numpy", inline="always")
def _leg_rows(n_legs: int) -> tuple[int, int, int, int, int, int, int, int, int, int, int]:
    """First row of each per-leg block (X, POS, PEND, TV, W, LO, HI, FEES, SLIP, ORD) and the
    number of rows of the state array."""
    b = N_BASE
    return (
        b,
        b + n_legs,
        b + 2 * n_legs,
        b + 3 * n_legs,
        b + 4 * n_legs,
        b + 5 * n_legs,
        b + 6 * n_legs,
        b + 7 * n_legs,
        b + 8 * n_legs,
        b + 9 * n_legs,
        b + N_LEG_ROWS * n_legs,
    )


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


@njit(cache=True, error_model="numpy", inline="always")
def execute_due_nb(S: np.ndarray, t: float, p_i: float, p_c: float, min_size: float) -> None:
    """Execute the orders due at day ``t`` in every lane that has one: one risky leg (close
    ``p_i``) and the cash asset (``p_c``), the scalar fills
    (:func:`~engine.sweep.fills_nb.rebalance_nb`)."""
    X0, POS0, PEND0, _, _, _, _, FEES0, SLIP0, _, _ = _leg_rows(1)
    for lane in range(LANES):
        if S[DUE, lane] == t:
            w = S[PEND0, lane]
            cash, pos_i, pos_c, traded_value, v_before = rebalance_nb(
                S[CASH, lane],
                S[POS0, lane],
                S[POS_C, lane],
                p_i,
                p_c,
                w,
                S[FEES0, lane],
                S[SLIP0, lane],
                min_size,
            )
            S[CASH, lane] = cash
            S[POS0, lane] = pos_i
            S[POS_C, lane] = pos_c
            S[TURN, lane] += abs(traded_value) / v_before
            S[NREB, lane] += 1.0
            S[TRADED, lane] = 1.0
            S[X0, lane] = w
            S[Y, lane] = 1.0 - w
            S[DUE, lane] = NEVER


@njit(cache=True, error_model="numpy", inline="always")
def execute_due_legs_nb(
    S: np.ndarray,
    n_legs: int,
    t: float,
    px: np.ndarray,
    p_c: float,
    min_size: float,
    order_value: np.ndarray,
    seq: np.ndarray,
    traded: np.ndarray,
) -> None:
    """Execute the orders due at day ``t`` in every lane that has one: two or more risky legs
    (closes ``px``, shape (n_legs,)) and the cash asset (``p_c``): vectorbt's row over
    ``n_legs + 1`` columns, :func:`~engine.sweep.fills_nb.rebalance_legs_nb`'s operations on
    the lane's state rows (no copies, no call with a dozen arrays). ``order_value``, ``seq``:
    scratch of shape (n_legs + 1,); ``traded``: scratch of shape (n_legs,). Inlined, so
    ``n_legs`` is the caller's compile-time leg count (the loops unroll)."""
    X0, POS0, PEND0, _, _, _, _, FEES0, SLIP0, _, _ = _leg_rows(n_legs)
    for lane in range(LANES):
        if S[DUE, lane] == t:
            cash = S[CASH, lane]
            pos_c = S[POS_C, lane]
            value = cash
            for leg in range(n_legs):
                pos = S[POS0 + leg, lane]
                if pos != 0.0:
                    value += pos * px[leg]
            if pos_c != 0.0:
                value += pos_c * p_c
            held = S[PEND0, lane]
            for leg in range(1, n_legs):
                held += S[PEND0 + leg, lane]
            w_c = 1.0 - held
            for leg in range(n_legs):
                order_value[leg] = S[PEND0 + leg, lane] * value - S[POS0 + leg, lane] * px[leg]
                traded[leg] = 0.0
            order_value[n_legs] = w_c * value - pos_c * p_c
            call_sequence_nb(order_value, seq)
            for k in range(n_legs + 1):
                col = seq[k]
                if col == n_legs:
                    cash, pos_c, _, _ = target_percent_nb(
                        cash, pos_c, value, w_c, p_c, 0.0, 0.0, min_size
                    )
                else:
                    cash, pos, size, price = target_percent_nb(
                        cash,
                        S[POS0 + col, lane],
                        value,
                        S[PEND0 + col, lane],
                        px[col],
                        S[FEES0 + col, lane],
                        S[SLIP0 + col, lane],
                        min_size,
                    )
                    S[POS0 + col, lane] = pos
                    traded[col] = size * price
            traded_value = traded[0]
            for leg in range(1, n_legs):
                traded_value += traded[leg]
            for leg in range(n_legs):
                S[X0 + leg, lane] = S[PEND0 + leg, lane]
            S[CASH, lane] = cash
            S[POS_C, lane] = pos_c
            S[TURN, lane] += abs(traded_value) / value
            S[NREB, lane] += 1.0
            S[TRADED, lane] = 1.0
            S[Y, lane] = 1.0 - held
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
    final: bool,
) -> None:
    """Point ``lane`` at run ``p`` of its regime codes: the table weights and the next change.

    ``final`` (several legs and no overlays): the weights are the targets themselves, so they
    are clipped to the legs' bounds and divided by their sum above 1 here, once per regime
    change, instead of every day, and set as today's targets (W) until the next change."""
    n_legs = table.shape[1]
    rows = _leg_rows(n_legs)
    TV0, W0, LO0, HI0 = rows[3], rows[4], rows[5], rows[6]
    total = 0.0
    for leg in range(n_legs):
        w = table[values[p], leg]
        if final:
            w_lo = S[LO0 + leg, lane]
            w_hi = S[HI0 + leg, lane]
            below_hi = w_hi if w > w_hi else w
            w = w_lo if w < w_lo else below_hi
            total = w if leg == 0 else total + w
        S[TV0 + leg, lane] = w
    if final:
        for leg in range(n_legs):
            w = S[TV0 + leg, lane]
            if total > 1.0:
                w = w / total
            S[TV0 + leg, lane] = w
            S[W0 + leg, lane] = w
    S[NEXT, lane] = starts[p + 1] if p + 1 < end else NEVER


@njit(cache=True, error_model="numpy")
def block_nb(
    combos: np.ndarray,
    legs: tuple,
    leg_close: np.ndarray,
    close_c: np.ndarray,
    leg_gross: np.ndarray,
    gross_c: np.ndarray,
    ret_c: np.ndarray,
    day_number: np.ndarray,
    decide: np.ndarray,
    runs: tuple[np.ndarray, np.ndarray, np.ndarray],
    tables: np.ndarray,
    features: np.ndarray,
    ov_center: np.ndarray,
    ov_leg: np.ndarray,
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

    ``legs`` is the tuple of the legs' closes of :func:`sweep_nb`: only its length is read (a
    compile-time constant); the values come from ``leg_close`` and ``leg_gross``, arrays of
    shape (n_legs, n_days) (a load, where an array taken out of a tuple costs a reference
    count per access).

    Per close t and lane: execute the pending order if it is due (vectorbt fills), value the
    portfolio and update the metrics, then on a decision day look up the targets (table at the
    regime cell + the overlays of each leg, each leg clipped to its ``[lo, hi]``, divided by
    their sum when it exceeds 1; no decision when an overlay feature is NaN) and place an order
    when ``max_l |target_l - ref_l| > band``, ``ref`` being the pending order's targets while
    one waits, else the drifted weights (and always when nothing is pending and nothing has
    executed yet); it is due ``lag`` closes later and replaces a pending one
    (:func:`engine.allocation_nb.plan_orders_ref`). The drifted weights are kept as
    ``x_l / (sum_j x_j + y)`` with ``x, y`` the legs' and the cash shares grown by their gross
    returns since the last execution: the recursion
    ``d_l' = d_l g_l / (sum_j d_j g_j + d_c g_c)`` unrolled, without a division on the
    loop-carried path (equal to it right after a trade and at weights 0 and 1). The portfolio
    starts in cash at ``first``.

    No fast-math: targets, the band test and the fills repeat the exact operations of the
    allocation references and of vectorbt (a fused multiply-add in an overlay would move a
    target by one ulp and can flip a band decision at a tie).
    """
    n_legs = len(legs)
    n_clip = 1 if n_legs == 1 else 0  # legs clipped in the SIMD loop (several: before it)
    X0, POS0, PEND0, TV0, W0, LO0, HI0, FEES0, SLIP0, ORD0, n_rows = _leg_rows(n_legs)
    offsets, starts, values = runs
    n_ov = ov_feat.shape[1]
    final = n_legs > 1 and n_ov == 0  # several legs, no overlay: targets set per regime run
    write = returns_out.shape[1] > 0
    S = np.zeros((n_rows, LANES))
    run = np.empty(LANES, np.int64)
    run_end = np.empty(LANES, np.int64)
    slope = np.empty((n_ov, LANES))
    feat = np.empty((n_ov, LANES), np.int64)
    px = np.empty(n_legs)
    g_next = np.empty(n_legs)
    over = np.empty(LANES)
    order_value = np.empty(n_legs + 1)
    seq = np.empty(n_legs + 1, np.int64)
    leg_traded = np.empty(n_legs)
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
        for leg in range(n_legs):
            S[LO0 + leg, lane] = lo[k, leg]
            S[HI0 + leg, lane] = hi[k, leg]
            S[FEES0 + leg, lane] = fees[k, leg]
            S[SLIP0 + leg, lane] = slippage[k, leg]
        p = offsets[code_idx[k]]
        end = offsets[code_idx[k] + 1]
        while p + 1 < end and starts[p + 1] <= first:
            p += 1
        run[lane] = p
        run_end[lane] = end
        next_run_nb(S, lane, p, end, tables[table_idx[k]], starts, values, final)
    n_due = 0
    n_change = 0
    for t in range(first, last + 1):
        now = float(t)
        for leg in range(n_legs):
            px[leg] = leg_close[leg, t]
        p_c = close_c[t]
        if n_due > 0:
            if n_legs == 1:
                execute_due_nb(S, now, px[0], p_c, min_size)
            else:
                execute_due_legs_nb(S, n_legs, now, px, p_c, min_size, order_value, seq, leg_traded)
        if n_change > 0:
            for lane in range(LANES):
                if S[NEXT, lane] == now:
                    run[lane] += 1
                    k = combos[lane]
                    next_run_nb(
                        S,
                        lane,
                        run[lane],
                        run_end[lane],
                        tables[table_idx[k]],
                        starts,
                        values,
                        final,
                    )
        if not final:  # several legs without overlays: W is set per regime run (next_run_nb)
            for leg in range(n_legs):
                for lane in range(LANES):  # a plain loop: a row slice is a refcounted view
                    S[W0 + leg, lane] = S[TV0 + leg, lane]
        for j in range(n_ov):
            center = ov_center[j]
            row = W0 + ov_leg[j]
            for lane in range(LANES):
                S[row, lane] += slope[j, lane] * (features[t, feat[j, lane]] - center)
        r_c = ret_c[t]
        more = t < last
        k_next = ret_c[t + 1] if more else 0.0
        for leg in range(n_legs):
            g_next[leg] = leg_gross[leg, t + 1] if more else 1.0
        g_c = gross_c[t + 1] if more else 1.0
        dec = decide[t]
        tomorrow = now + 1.0
        n_due = 0
        n_change = 0
        n_place = 0
        n_begin = 0
        if n_legs > 1 and not final:
            # Targets of several legs: each clipped to its bounds, then divided by their sum
            # where it exceeds 1 (rare: an overlay or a lower bound pushing it up, or decimal
            # rounding), lane by lane on those days only.
            n_over = 0
            for lane in range(LANES):
                total = 0.0
                for leg in range(n_legs):
                    w = S[W0 + leg, lane]
                    w_lo = S[LO0 + leg, lane]
                    w_hi = S[HI0 + leg, lane]
                    below_hi = w_hi if w > w_hi else w
                    w = w_lo if w < w_lo else below_hi
                    S[W0 + leg, lane] = w
                    total = w if leg == 0 else total + w
                over[lane] = total
                n_over += 1 if total > 1.0 else 0
            if n_over > 0:
                for lane in range(LANES):
                    if over[lane] > 1.0:
                        for leg in range(n_legs):
                            S[W0 + leg, lane] = S[W0 + leg, lane] / over[lane]
        # The SIMD loop: no branch that differs between lanes, every update a select; the
        # loops over the legs have a constant trip count (unrolled).
        for lane in range(LANES):
            # Every load is unconditional and every store a plain store of a select: no
            # masked loads or stores (slow on AVX2 machines) in the vectorised loop.
            started = S[STARTED, lane] != 0.0
            traded = S[TRADED, lane] != 0.0
            inv_prev = S[INV_PREV, lane]
            kr = S[KR, lane]
            peak_prev = S[PEAK, lane]
            max_dd = S[MAX_DD, lane]
            due = S[DUE, lane]
            asset = S[POS0, lane] * px[0]
            for leg in range(1, n_legs):
                asset += S[POS0 + leg, lane] * px[leg]
            v = S[CASH, lane] + (asset + S[POS_C, lane] * p_c)
            inv_v = 1.0 / v
            begin = traded & (not started)
            r = v * inv_prev - 1.0
            e = r - r_c
            a_r = r - kr
            neg = e if e < 0.0 else 0.0
            S[SUM_R, lane] += a_r if started else 0.0
            S[SS_R, lane] += a_r * a_r if started else 0.0
            S[SUM_E, lane] += e if started else 0.0
            S[SS_E, lane] += e * e if started else 0.0
            S[DOWN, lane] += neg * neg if started else 0.0
            peak = v if begin else max(peak_prev, v)
            dd = v / peak - 1.0
            S[MAX_DD, lane] = min(max_dd, dd) if started else max_dd
            S[PEAK, lane] = peak
            S[WSUM, lane] += asset * inv_v if traded else 0.0
            S[NINV, lane] += 1.0 if traded & (asset > 0.0) else 0.0
            S[INV_PREV, lane] = inv_v
            S[R, lane] = r if started else np.nan
            n_begin += 1 if begin else 0
            valid = True
            for leg in range(n_clip):  # one leg: the clip here, as the one-asset kernel
                w = S[W0 + leg, lane]
                w_lo = S[LO0 + leg, lane]
                w_hi = S[HI0 + leg, lane]
                below_hi = w_hi if w > w_hi else w  # both selects unconditional: no masked load
                w = w_lo if w < w_lo else below_hi
                S[W0 + leg, lane] = w
            for leg in range(n_legs):
                valid = valid & (S[W0 + leg, lane] == S[W0 + leg, lane])
            x_sum = S[X0, lane]
            for leg in range(1, n_legs):
                x_sum += S[X0 + leg, lane]
            x_total = x_sum + S[Y, lane]
            pending = due != NEVER
            pend = S[PEND0, lane]
            drifted = S[X0, lane] / x_total
            dev = abs(S[W0, lane] - (pend if pending else drifted))
            for leg in range(1, n_legs):
                pend = S[PEND0 + leg, lane]
                drifted = S[X0 + leg, lane] / x_total
                dev = max(dev, abs(S[W0 + leg, lane] - (pend if pending else drifted)))
            fresh = not (pending | traded)
            place = dec & valid & ((dev > S[BAND, lane]) | fresh)
            for leg in range(n_legs):
                S[ORD0 + leg, lane] = S[W0 + leg, lane] if place else np.nan
            n_place += 1 if place else 0
            n_due += 1 if due == tomorrow else 0
            n_change += 1 if S[NEXT, lane] == tomorrow else 0
            for leg in range(n_legs):
                S[X0 + leg, lane] = S[X0 + leg, lane] * g_next[leg]
            S[Y, lane] = S[Y, lane] * g_c
        if n_begin > 0:
            # The close of a lane's first execution: its returns count from tomorrow (once per
            # combination, so out of the SIMD loop; the value is recomputed, the same bits).
            for lane in range(LANES):
                if S[TRADED, lane] != 0.0 and S[STARTED, lane] == 0.0:
                    asset = S[POS0, lane] * px[0]
                    for leg in range(1, n_legs):
                        asset += S[POS0 + leg, lane] * px[leg]
                    S[V0, lane] = S[CASH, lane] + (asset + S[POS_C, lane] * p_c)
                    S[T0, lane] = now
                    S[KR, lane] = k_next
                    S[STARTED, lane] = 1.0
        if n_place > 0:
            for lane in range(LANES):
                if S[ORD0, lane] == S[ORD0, lane]:
                    S[DUE, lane] = now + S[LAG, lane]
                    for leg in range(n_legs):
                        S[PEND0 + leg, lane] = S[ORD0 + leg, lane]
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
        held = S[POS0, lane] * leg_close[0, last]
        for leg in range(1, n_legs):
            held += S[POS0 + leg, lane] * leg_close[leg, last]
        v_end = S[CASH, lane] + (held + S[POS_C, lane] * close_c[last])
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
    closes: tuple,
    close_c: np.ndarray,
    gross: tuple,
    gross_c: np.ndarray,
    ret_c: np.ndarray,
    day_number: np.ndarray,
    decide: np.ndarray,
    codes: np.ndarray,
    tables: np.ndarray,
    features: np.ndarray,
    ov_center: np.ndarray,
    ov_leg: np.ndarray,
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
    closes : tuple of n_legs arrays of shape (n_days,): the risky legs' closes (1 to 4 legs;
        the tuple's length is part of the compiled signature); close_c : array of shape
        (n_days,): the cash asset's price.
    gross : tuple of n_legs arrays of shape (n_days,): ``1 + ret`` of each leg; gross_c: of
        the cash asset: the drift factors of the order plan (entry 0 unused).
    ret_c : array of shape (n_days,): the cash asset's return ``close_c[t] / close_c[t-1] - 1``
        (entry 0 unused), subtracted for excess returns.
    day_number : int64 array of shape (n_days,): calendar-day ordinals.
    decide : bool array of shape (n_days,): decision days of the rebalance frequency.
    codes : int32 array of shape (n_days, n_code_sets), Fortran order: the allocation-table
        cell of each day (:func:`engine.allocation_nb.cell_codes_nb`) per distinct set of
        regime parameters.
    tables : array of shape (n_tables, n_cells, n_legs), C order: allocation tables.
    features : array of shape (n_days, n_feature_columns): overlay inputs (NaN = not known).
    ov_center : array of shape (n_overlays,); ov_leg : int64 array of shape (n_overlays,): the
        leg each overlay moves.
    code_idx, table_idx : int64 arrays of shape (n_combos,): each combination's column of
        ``codes`` and its table.
    ov_feat, ov_slope : arrays of shape (n_combos, n_overlays): feature column and slope.
    lo, hi, fees, slippage : float arrays of shape (n_combos, n_legs): bounds and costs per
        leg; band : float array of shape (n_combos,): no-trade band; lag : int64 array
        (execution lag in closes).
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
    n_legs = len(closes)
    leg_close = np.empty((n_legs, close_c.shape[0]))
    leg_gross = np.empty((n_legs, close_c.shape[0]))
    for leg in range(n_legs):
        leg_close[leg] = closes[leg]
        leg_gross[leg] = gross[leg]
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
            closes,
            leg_close,
            close_c,
            leg_gross,
            gross_c,
            ret_c,
            day_number,
            decide,
            runs,
            tables,
            features,
            ov_center,
            ov_leg,
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
