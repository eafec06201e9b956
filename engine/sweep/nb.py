"""The fused sweep kernel: one pass over days per combination, O(1) state (numba + NumPy).

Everything here takes NumPy arrays and scalars (time on axis 0) and nothing else.

:func:`sweep_nb` runs, per combination (``prange``), one pass over the days: allocation-table
lookup of the precomputed regime codes, overlays, bounds, decision days, the no-trade band on
the drifted weight, execution lag, vectorbt-identical fills (:mod:`engine.sweep.fills_nb`)
and streaming metrics (sums of returns and excess returns and of their squares, running peak
and drawdown, turnover, exposure). Memory is O(n_days * n_distinct_inputs + n_combos), never
O(n_days * n_combos). The same loop, written the slow way, is :mod:`engine.sweep.reference`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from engine.sweep.fills_nb import rebalance_nb

ANNUAL = 252.0
"""Trading days per year for volatility, Sharpe and Sortino."""
DAYS_PER_YEAR = 365.25
"""Calendar days per year for CAGR and turnover."""

METRICS: tuple[str, ...] = (
    "total_return",
    "cagr",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "calmar",
    "turnover",
    "exposure",
    "time_invested",
    "n_rebalances",
    "n_returns",
)
"""Columns of the kernel's output, in order (see the brief's metric definitions)."""
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
    out[10] = n_rebalances
    out[11] = n
    if n < 2:
        return
    sq = np.sqrt(ANNUAL)
    growth = v_end / v0
    out[0] = growth - 1.0
    cagr = growth ** (1.0 / years) - 1.0 if years > 0.0 else np.nan
    out[1] = cagr
    out[2] = np.sqrt(m2_r / (n - 1)) * sq
    out[3] = safe_ratio_nb(mean_e, np.sqrt(m2_e / (n - 1))) * sq
    out[4] = safe_ratio_nb(mean_e, np.sqrt(down_ss / n)) * sq
    out[5] = max_dd
    out[6] = safe_ratio_nb(cagr, abs(max_dd))
    out[7] = turnover / years if years > 0.0 else np.nan
    out[8] = weight_sum / (n + 1)
    out[9] = n_invested / (n + 1)


# ---------------------------------------------------------------- the fused pass


@njit(cache=True, error_model="numpy")
def combo_nb(
    close_i: np.ndarray,
    close_c: np.ndarray,
    gross_i: np.ndarray,
    gross_c: np.ndarray,
    ret_c: np.ndarray,
    day_number: np.ndarray,
    decide: np.ndarray,
    code: np.ndarray,
    table: np.ndarray,
    features: np.ndarray,
    ov_center: np.ndarray,
    ov_feat: np.ndarray,
    ov_slope: np.ndarray,
    lo: float,
    hi: float,
    band: float,
    lag: int,
    fees: float,
    slippage: float,
    first: int,
    last: int,
    init_cash: float,
    min_size: float,
    out: np.ndarray,
    ret_out: np.ndarray,
    ret_col: int | np.int64,
) -> None:
    """One combination, one pass over days ``first..last`` with O(1) state.

    Per close t: drift the weight with the day's returns, execute the pending order if it is
    due (vectorbt fills), value the portfolio and update the metrics, then on a decision day
    look up the target (table at the regime codes + overlays, clipped to ``[lo, hi]``; no
    decision when an overlay feature is NaN) and place an order when ``|target - ref| > band``,
    ``ref`` being the pending order's target while one waits, else the drifted weight (and
    always when nothing is pending and nothing has executed yet); it is due ``lag`` closes
    later and replaces a pending one (:func:`engine.allocation_nb.plan_orders_ref`).
    The drifted weight is kept as ``x / (x + y)`` with ``x, y`` the index and cash shares grown
    by their gross returns since the last execution: the brief's recursion
    ``d' = d(1+re) / (d(1+re) + (1-d)(1+rc))`` unrolled, without a division on the loop-carried
    path (equal to it right after a trade and at weights 0 and 1).

    No fast-math: targets, the band test and the fills repeat the exact operations of the
    allocation references and of vectorbt (a fused multiply-add in an overlay would move a
    target by one ulp and can flip a band decision at a tie).

    Parameters
    ----------
    close_i, close_c : arrays of shape (n_days,): index close and cash-asset price.
    gross_i, gross_c : arrays of shape (n_days,): ``1 + ret`` of the index and the cash asset,
        the drift factors of the order plan (entry 0 unused).
    ret_c : array of shape (n_days,): the cash asset's return ``close_c[t] / close_c[t-1] - 1``
        (entry 0 unused), subtracted for excess returns.
    day_number : int64 array of shape (n_days,): calendar-day ordinals.
    decide : bool array of shape (n_days,): decision days of the rebalance frequency.
    code : uint8 array of shape (n_days,): the flat allocation-table cell of each day,
        ``bs * 28 + nl * 7 + phase`` for this combination's regime codes.
    table : array of shape (112,): the allocation table (4, 4, 7) flattened in C order.
    features : array of shape (n_days, n_feature_columns): overlay inputs (NaN = not known).
    ov_center : array of shape (n_overlays,); ov_feat, ov_slope : arrays of shape (n_overlays,)
        for this combination (feature column, slope).
    lo, hi, band, lag, fees, slippage : the combination's bounds, no-trade band, execution lag
        (closes), fees and slippage (index leg).
    first, last : day range simulated (inclusive); the portfolio starts in cash at ``first``.
    out : array of shape (N_METRICS,) written in place.
    ret_out : array of shape (n_rows, n_days) or empty; when ``ret_col >= 0`` the daily
        returns of the window are written to row ``ret_col`` (left as they are elsewhere).
    """
    n_ov = ov_feat.shape[0]
    write = ret_col >= 0
    never = np.uint64(0xFFFFFFFFFFFFFFFF)
    lag_u = np.uint64(lag)
    last_u = np.uint64(last)
    cash = init_cash
    pos_i = 0.0
    pos_c = 0.0
    traded = False
    started = False
    due = never
    pend_w = 0.0
    x = 0.0
    y = 0.0
    t0 = np.int64(-1)
    v0 = np.nan
    inv_prev = np.nan
    peak = np.nan
    v = np.nan
    max_dd = 0.0
    n = 0
    k_r = 0.0
    sum_r = 0.0
    ss_r = 0.0
    sum_e = 0.0
    ss_e = 0.0
    down_ss = 0.0
    turnover = 0.0
    weight_sum = 0.0
    n_invested = 0
    n_reb = 0
    for t in range(np.uint64(first), np.uint64(last) + np.uint64(1)):
        x *= gross_i[t]
        y *= gross_c[t]
        if t == due:
            cash, pos_i, pos_c, traded_value, v_before = rebalance_nb(
                cash, pos_i, pos_c, close_i[t], close_c[t], pend_w, fees, slippage, min_size
            )
            turnover += abs(traded_value) / v_before
            n_reb += 1
            traded = True
            x = pend_w
            y = 1.0 - pend_w
            due = never
        asset_i = pos_i * close_i[t]
        v = cash + (asset_i + pos_c * close_c[t])
        inv_v = 1.0 / v
        if started:
            r = v * inv_prev - 1.0
            e = r - ret_c[t]
            n += 1
            a_r = r - k_r
            sum_r += a_r
            ss_r += a_r * a_r
            sum_e += e
            ss_e += e * e
            neg = e if e < 0.0 else 0.0
            down_ss += neg * neg
            peak = max(peak, v)
            dd = v / peak - 1.0
            max_dd = min(max_dd, dd)
            weight_sum += asset_i * inv_v
            n_invested += 1 if asset_i > 0.0 else 0
            inv_prev = inv_v
            if write:
                ret_out[ret_col, t] = r
        elif traded:
            started = True
            t0 = np.int64(t)
            k_r = ret_c[t + np.uint64(1)] if t < last_u else 0.0
            v0 = v
            inv_prev = inv_v
            peak = v
            weight_sum += asset_i * inv_v
            n_invested += 1 if asset_i > 0.0 else 0
        if decide[t]:
            w = table[code[t]]
            if n_ov > 0:
                for j in range(n_ov):
                    w += ov_slope[j] * (features[t, np.uint64(ov_feat[j])] - ov_center[j])
                if np.isnan(w):
                    continue
                if w < lo:
                    w = lo
                elif w > hi:
                    w = hi
            if due != never:
                place = abs(w - pend_w) > band
            else:
                place = not traded or abs(w - x / (x + y)) > band
            if place:
                due = t + lag_u
                pend_w = w
    years = (day_number[last] - day_number[t0]) / DAYS_PER_YEAR if started else np.nan
    mean_e = sum_e / n if n > 0 else np.nan
    finalize_nb(
        out,
        n,
        v0,
        v,
        years,
        centered_ss_nb(sum_r, ss_r, n),
        mean_e,
        centered_ss_nb(sum_e, ss_e, n),
        down_ss,
        max_dd,
        turnover,
        weight_sum,
        n_invested,
        n_reb,
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
    """Metrics of every combination, ``prange`` over combinations (see :func:`combo_nb`).

    Parameters
    ----------
    close_i, close_c, gross_i, gross_c, ret_c, day_number, decide : shared day arrays of
        shape (n_days,), as in :func:`combo_nb`.
    codes : uint8 array of shape (n_days, n_code_sets), Fortran order: flat table cells
        ``bs * 28 + nl * 7 + phase`` per distinct set of regime parameters.
    tables : array of shape (n_tables, 4, 4, 7), C order: allocation tables.
    features : array of shape (n_days, n_feature_columns): overlay inputs.
    ov_center : array of shape (n_overlays,).
    code_idx, table_idx : int64 arrays of shape (n_combos,): each combination's column of
        ``codes`` and its table.
    ov_feat, ov_slope : arrays of shape (n_combos, n_overlays): feature column and slope.
    lo, hi, band, fees, slippage : float arrays of shape (n_combos,); lag : int64 array.
    first, last : day range (inclusive); init_cash, min_size : vectorbt's settings.
    returns_out : array of shape (0, 0), or of shape (n_combos, n_days) filled with NaN to
        receive each combination's daily returns in its row (one contiguous series per
        combination, so threads never share a cache line; for the overfitting guards only,
        which bound n_combos: an empty array keeps memory O(n_combos)).

    Returns
    -------
    array of shape (n_combos, N_METRICS), columns as in :data:`METRICS`.
    """
    k_total = code_idx.shape[0]
    out = np.empty((k_total, N_METRICS))
    write = returns_out.shape[1] > 0
    codes_t = codes.T
    for k in prange(k_total):
        combo_nb(
            close_i,
            close_c,
            gross_i,
            gross_c,
            ret_c,
            day_number,
            decide,
            codes_t[code_idx[k]],
            tables[table_idx[k]].reshape(112),
            features,
            ov_center,
            ov_feat[k],
            ov_slope[k],
            lo[k],
            hi[k],
            band[k],
            lag[k],
            fees[k],
            slippage[k],
            first,
            last,
            init_cash,
            min_size,
            out[k],
            returns_out,
            np.int64(k) if write else np.int64(-1),
        )
    return out
