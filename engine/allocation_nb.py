"""Allocation kernels: table cells and target weights per leg from regime codes, and the order
plan over the legs (numba + NumPy only).

Each loop is written once in plain typed Python (``*_ref``, the reference) and compiled with
numba (``*_nb``, ``cache=True``): the same statements, so a test of kernel == reference checks
the compilation and an independent oracle in the tests checks the rule itself. Arrays have
time on axis 0.
"""

from __future__ import annotations

import numpy as np
from numba import njit

NO_ORDER = np.nan
"""Value of ``order_weight`` on days without an execution."""

# Order status codes (``status`` output of the plan, per decision day).
STATUS_NONE = 0
"""No order placed on this day (not a decision day, weight unknown, or inside the band)."""
STATUS_EXECUTED = 1
"""Order placed on this day and executed ``lag`` trading days later."""
STATUS_REPLACED = 2
"""Order placed on this day, then replaced by a newer order before it executed."""
STATUS_PENDING = 3
"""Order placed on this day whose execution day lies beyond the last day."""


def cell_codes_ref(codes: np.ndarray, columns: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Flat allocation-table cells: the one place cell codes are computed.

    Requires: ``codes``, integer array of shape (n_days, n_columns): regime codes, one column
    per (family, parameter set); ``columns``, int64 array of shape (n_sets, n_families): for
    each set of the table's families, the column of ``codes`` each family reads (in table axis
    order); ``shape``, int64 array of shape (n_families,): the table's shape.
    Produces: int32 array of shape (n_days, n_sets), Fortran order: the C-order position of
    each day's codes in the table, ``((c_0 * s_1 + c_1) * s_2 + c_2) ...``, so
    ``table.ravel()[cell]`` is ``table[c_0, c_1, ...]``; 0 everywhere when there are no
    families (a one-cell table). One call serves a backtest (one set) or a sweep chunk (every
    distinct set).
    Lag: none.
    """
    n = codes.shape[0]
    m = columns.shape[0]
    k = columns.shape[1]
    out = np.zeros((m, n), dtype=np.int32)
    for u in range(m):
        for t in range(n):
            c = 0
            for j in range(k):
                c = c * shape[j] + codes[t, columns[u, j]]
            out[u, t] = c
    return out.T


def target_weights_ref(
    table: np.ndarray,
    cells: np.ndarray,
    overlay_x: np.ndarray,
    slopes: np.ndarray,
    centers: np.ndarray,
    overlay_leg: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> np.ndarray:
    """Target weight of each risky leg per day: table lookup + overlays, clipped, scaled.

    Requires: the table cell of each day's regimes (a column of :func:`cell_codes_ref`),
    known at each day's decision time, and the overlay features likewise.
    Produces: per leg ``l``, ``w_l = clip(table[cells[t], l] + sum over the overlays k of leg
    l of slopes[k] * (x[t, k] - centers[k]), lo[l], hi[l])``; when the clipped weights sum
    above 1 (two or more legs), each is divided by the sum (cash, the remainder, is never
    negative). A NaN overlay feature makes the whole row NaN (no decision that day). With one
    leg this is the clip alone, the operations of the one-asset engine in the same order.
    Lag: none (the weight of day t uses what is known at t); execution adds its own lag.

    Parameters
    ----------
    table : float64 array of shape (n_cells, n_legs): the allocation table, cells in C order.
    cells : integer array of shape (n_days,): each day's cell.
    overlay_x : float64 array of shape (n_days, n_overlays) (n_overlays may be 0).
    slopes, centers : float64 arrays of shape (n_overlays,).
    overlay_leg : int64 array of shape (n_overlays,): the leg each overlay moves.
    lo, hi : float64 arrays of shape (n_legs,): bounds, ``0 <= lo <= hi <= 1``.

    Returns
    -------
    float64 array of shape (n_days, n_legs).
    """
    n = cells.shape[0]
    n_legs = table.shape[1]
    k = slopes.shape[0]
    out = np.empty((n, n_legs), dtype=np.float64)
    w = np.empty(n_legs, dtype=np.float64)
    for t in range(n):
        for leg in range(n_legs):
            w[leg] = table[cells[t], leg]
        for j in range(k):
            w[overlay_leg[j]] += slopes[j] * (overlay_x[t, j] - centers[j])
        unknown = False
        for leg in range(n_legs):
            if np.isnan(w[leg]):
                unknown = True
        if unknown:
            for leg in range(n_legs):
                out[t, leg] = np.nan
            continue
        for leg in range(n_legs):
            if w[leg] < lo[leg]:
                out[t, leg] = lo[leg]
            elif w[leg] > hi[leg]:
                out[t, leg] = hi[leg]
            else:
                out[t, leg] = w[leg]
        if n_legs > 1:
            total = out[t, 0]
            for leg in range(1, n_legs):
                total += out[t, leg]
            if total > 1.0:
                for leg in range(n_legs):
                    out[t, leg] = out[t, leg] / total
    return out


def plan_orders_ref(
    target: np.ndarray,
    is_decision: np.ndarray,
    ret_legs: np.ndarray,
    ret_cash: np.ndarray,
    band: float,
    lag: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The order plan: which target weights execute on which day.

    Requires: target weights known at each decision day, the day's returns of each risky leg
    and of the cash asset (close to close) for the drift.
    Produces: on each decision day t with a target, an order is placed iff nothing has been
    ordered yet, or the largest drift of any leg exceeds the band,
    ``max_l |target[t, l] - ref_l| > band`` (strictly), where ``ref`` is the pending order's
    weights while one waits to execute and the drifted weights otherwise; it executes at the
    close of ``t + lag`` with target percents ``target[t]`` (cash: the remainder). A newer
    order replaces a pending one (so with ``lag >= 2`` a steady target is ordered once, not
    re-ordered every day). The drifted weights ignore costs: with ``g = 1 + return``,
    ``d_l' = d_l g_l / (sum_j d_j g_j + d_c g_c)``, ``d_c = 1 - sum_j d_j`` the cash weight
    (one leg: ``d' = d (1 + re) / (d (1 + re) + (1 - d)(1 + rc))``), and ``d = w`` right
    after a trade.
    Lag: ``lag >= 1`` trading days between decision and execution.

    Within a day the order is: drift over the day's returns, then execute the order due today,
    then decide (so the decision of day t sees the weights after day t's execution).

    Parameters
    ----------
    target : float64 array of shape (n_days, n_legs): the target weight of each risky leg
        (a NaN row: no decision).
    is_decision : bool array of shape (n_days,): decision days.
    ret_legs : float64 array of shape (n_days, n_legs): each leg's return from day t-1 to t;
        ret_cash : float64 array of shape (n_days,): the cash asset's (row 0 is not used).
    band : no-trade band on the largest ``|target - drift|`` of any leg, ``0 <= band < 1``.
    lag : execution lag in trading days, ``>= 1``.

    Returns
    -------
    order_weight : float64 array of shape (n_days, n_legs): the target percents executed at
        the close of each day (NaN rows where nothing executes).
    drift : float64 array of shape (n_days, n_legs): the drifted weights at each close after
        that day's execution (NaN before the first execution).
    status : int8 array of shape (n_days,): per day, what became of an order placed that day
        (``STATUS_NONE``, ``STATUS_EXECUTED``, ``STATUS_REPLACED``, ``STATUS_PENDING``).
    """
    n = target.shape[0]
    n_legs = target.shape[1]
    order_weight = np.full((n, n_legs), np.nan, dtype=np.float64)
    drift = np.full((n, n_legs), np.nan, dtype=np.float64)
    status = np.zeros(n, dtype=np.int8)
    traded = False
    d = np.full(n_legs, np.nan, dtype=np.float64)
    grow = np.empty(n_legs, dtype=np.float64)
    pending_at = -1  # execution day of the pending order (-1: none)
    pending_from = -1  # decision day of the pending order
    pending_w = np.full(n_legs, np.nan, dtype=np.float64)
    for t in range(n):
        if traded:
            held = d[0]
            for leg in range(1, n_legs):
                held += d[leg]
            for leg in range(n_legs):
                grow[leg] = d[leg] * (1.0 + ret_legs[t, leg])
            grow_c = (1.0 - held) * (1.0 + ret_cash[t])
            total = grow[0]
            for leg in range(1, n_legs):
                total += grow[leg]
            total += grow_c
            for leg in range(n_legs):
                d[leg] = grow[leg] / total
        if pending_at == t:
            for leg in range(n_legs):
                order_weight[t, leg] = pending_w[leg]
                d[leg] = pending_w[leg]
            traded = True
            status[pending_from] = STATUS_EXECUTED
            pending_at = -1
            pending_from = -1
        known = is_decision[t]
        for leg in range(n_legs):
            if np.isnan(target[t, leg]):
                known = False
        if known:
            # Compare with the weights the portfolio is heading to: the pending order's
            # targets while one waits to execute, else the drifted weights.
            if pending_from >= 0:
                dev = abs(target[t, 0] - pending_w[0])
                for leg in range(1, n_legs):
                    dev = max(dev, abs(target[t, leg] - pending_w[leg]))
            else:
                dev = abs(target[t, 0] - d[0])
                for leg in range(1, n_legs):
                    dev = max(dev, abs(target[t, leg] - d[leg]))
            if (pending_from < 0 and not traded) or dev > band:
                if pending_from >= 0:
                    status[pending_from] = STATUS_REPLACED
                pending_at = t + lag
                pending_from = t
                for leg in range(n_legs):
                    pending_w[leg] = target[t, leg]
        for leg in range(n_legs):
            drift[t, leg] = d[leg]
    if pending_from >= 0:
        status[pending_from] = STATUS_PENDING
    return order_weight, drift, status


cell_codes_nb = njit(cache=True)(cell_codes_ref)
target_weights_nb = njit(cache=True)(target_weights_ref)
plan_orders_nb = njit(cache=True)(plan_orders_ref)
