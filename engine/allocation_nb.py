"""Allocation kernels: table cells and target weights from regime codes, and the order plan
(numba + NumPy only).

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
    min_weight: float,
    max_weight: float,
) -> np.ndarray:
    """Target equity weight per day: table lookup + overlays, clipped to the bounds.

    Requires: the table cell of each day's regimes (a column of :func:`cell_codes_ref`),
    known at each day's decision time, and the overlay features likewise.
    Produces: ``w[t] = clip(table[cells[t]] + sum_k slopes[k] * (x[t, k] - centers[k]),
    min_weight, max_weight)``; NaN when an overlay feature is NaN.
    Lag: none (the weight of day t uses what is known at t); execution adds its own lag.

    Parameters
    ----------
    table : float64 array of shape (n_cells,): the allocation table, flattened in C order.
    cells : integer array of shape (n_days,): each day's cell.
    overlay_x : float64 array of shape (n_days, n_overlays) (n_overlays may be 0).
    slopes, centers : float64 arrays of shape (n_overlays,).
    min_weight, max_weight : bounds, ``0 <= min_weight <= max_weight <= 1``.

    Returns
    -------
    float64 array of shape (n_days,).
    """
    n = cells.shape[0]
    k = slopes.shape[0]
    out = np.empty(n, dtype=np.float64)
    for t in range(n):
        w = table[cells[t]]
        for j in range(k):
            w += slopes[j] * (overlay_x[t, j] - centers[j])
        if np.isnan(w):
            out[t] = np.nan
        elif w < min_weight:
            out[t] = min_weight
        elif w > max_weight:
            out[t] = max_weight
        else:
            out[t] = w
    return out


def plan_orders_ref(
    target: np.ndarray,
    is_decision: np.ndarray,
    ret_index: np.ndarray,
    ret_cash: np.ndarray,
    band: float,
    lag: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The order plan: which target weight executes on which day.

    Requires: target weights known at each decision day, the day's index and cash-asset
    returns (close to close) for the drift.
    Produces: on each decision day t with a finite target, an order is placed iff nothing has
    been ordered yet, or ``|target[t] - ref| > band`` (strictly) where ``ref`` is the pending
    order's weight while one waits to execute and the drifted weight otherwise; it executes at
    the close of ``t + lag`` with target percent ``target[t]`` for the index. A newer order
    replaces a pending one (so with ``lag >= 2`` a steady target is ordered once, not re-ordered
    every day). The drifted weight ignores costs:
    ``d' = d (1 + re) / (d (1 + re) + (1 - d)(1 + rc))``, and ``d = w`` right after a trade.
    Lag: ``lag >= 1`` trading days between decision and execution.

    Within a day the order is: drift over the day's returns, then execute the order due today,
    then decide (so the decision of day t sees the weight after day t's execution).

    Parameters
    ----------
    target : float64 array of shape (n_days,): the target index weight (NaN: no decision).
    is_decision : bool array of shape (n_days,): decision days.
    ret_index, ret_cash : float64 arrays of shape (n_days,): returns from day t-1 to t
        (element 0 is not used).
    band : no-trade band on ``|target - drift|``, ``0 <= band < 1``.
    lag : execution lag in trading days, ``>= 1``.

    Returns
    -------
    order_weight : float64 array of shape (n_days,): the index target percent executed at the
        close of each day (NaN where nothing executes).
    drift : float64 array of shape (n_days,): the drifted index weight at each close after that
        day's execution (NaN before the first execution).
    status : int8 array of shape (n_days,): per day, what became of an order placed that day
        (``STATUS_NONE``, ``STATUS_EXECUTED``, ``STATUS_REPLACED``, ``STATUS_PENDING``).
    """
    n = target.shape[0]
    order_weight = np.full(n, np.nan, dtype=np.float64)
    drift = np.full(n, np.nan, dtype=np.float64)
    status = np.zeros(n, dtype=np.int8)
    traded = False
    d = np.nan
    pending_at = -1  # execution day of the pending order (-1: none)
    pending_from = -1  # decision day of the pending order
    pending_w = np.nan
    for t in range(n):
        if traded:
            grow_e = d * (1.0 + ret_index[t])
            grow_c = (1.0 - d) * (1.0 + ret_cash[t])
            d = grow_e / (grow_e + grow_c)
        if pending_at == t:
            order_weight[t] = pending_w
            d = pending_w
            traded = True
            status[pending_from] = STATUS_EXECUTED
            pending_at = -1
            pending_from = -1
        if is_decision[t] and not np.isnan(target[t]):
            # Compare with the weight the portfolio is heading to: the pending order's
            # target while one waits to execute, else the drifted weight.
            ref = pending_w if pending_from >= 0 else d
            if (pending_from < 0 and not traded) or abs(target[t] - ref) > band:
                if pending_from >= 0:
                    status[pending_from] = STATUS_REPLACED
                pending_at = t + lag
                pending_from = t
                pending_w = target[t]
        drift[t] = d
    if pending_from >= 0:
        status[pending_from] = STATUS_PENDING
    return order_weight, drift, status


cell_codes_nb = njit(cache=True)(cell_codes_ref)
target_weights_nb = njit(cache=True)(target_weights_ref)
plan_orders_nb = njit(cache=True)(plan_orders_ref)
