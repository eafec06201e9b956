"""vectorbt-identical fills for the sweep kernel (numba + NumPy only).

:func:`rebalance_nb` replays one row of vectorbt 1.2.0's ``simulate_from_orders_nb`` for our
single case: two columns ``[index, cash asset]`` in one group with ``cash_sharing=True``,
``size_type="targetpercent"`` (targets ``w`` and ``1 - w``), ``call_seq="auto"``,
``direction="longonly"``, price = valuation price = the close, ``update_value=False``,
``lock_cash=False``, ``allow_partial=True``, no fixed fees, no size granularity, fees and
slippage on the index column only (``engine.backtest.simulate``). It keeps vectorbt's
arithmetic order, its tolerances (``is_close``: relative 1e-9, absolute 1e-12), its rounding
of near-zero cash and positions and its ``min_size`` rejection, so values agree to the last
bit (tests: ``tests/engine/test_sweep.py::test_fills_equal_vectorbt``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

REL_TOL = 1e-9
"""vectorbt's relative tolerance (``vectorbt.utils.math_.rel_tol``)."""
ABS_TOL = 1e-12
"""vectorbt's absolute tolerance (``vectorbt.utils.math_.abs_tol``)."""


@njit(cache=True, error_model="numpy")
def is_close_nb(a: float, b: float) -> bool:
    """vectorbt's ``is_close_nb``: equal within 1e-9 relative or 1e-12 absolute (NaN, inf never)."""
    if np.isnan(a) or np.isnan(b) or np.isinf(a) or np.isinf(b):
        return False
    if a == b:
        return True
    return abs(a - b) <= max(REL_TOL * max(abs(a), abs(b)), ABS_TOL)


@njit(cache=True, error_model="numpy", inline="always")
def near_zero_nb(a: float) -> bool:
    """``is_close_nb(a, 0.0)``, exactly, for any ``a``: ``|a| <= 1e-12``."""
    return abs(a) <= ABS_TOL


@njit(cache=True, error_model="numpy", inline="always")
def close_nb(a: float, b: float) -> bool:
    """``is_close_nb(a, b)`` for finite ``a`` and ``b`` (the fills only see finite values)."""
    return a == b or abs(a - b) <= max(REL_TOL * max(abs(a), abs(b)), ABS_TOL)


@njit(cache=True, error_model="numpy", inline="always")
def add_nb(a: float, b: float) -> float:
    """vectorbt's ``add_nb``: ``a + b``, snapped to 0.0 when the sum is approximately zero."""
    if np.sign(a) != np.sign(b):
        if close_nb(abs(a), abs(b)):
            return 0.0
    elif near_zero_nb(a + b):
        return 0.0
    return a + b


@njit(cache=True, error_model="numpy", inline="always")
def buy_nb(
    cash: float,
    position: float,
    size: float,
    price: float,
    fees: float,
    slippage: float,
    min_size: float,
) -> tuple[float, float, float, float]:
    """Buy ``size`` units at ``price`` (vectorbt ``buy_nb``, long only, no lock, partial fills).

    When cash does not cover size, price and fees, the fill shrinks to what the cash buys.

    Returns
    -------
    (cash, position, filled size, fill price): filled size is 0.0 when the order is ignored
    or rejected.
    """
    adj_price = price * (1.0 + slippage)
    cash_limit = cash
    if cash_limit == 0.0:
        return cash, position, 0.0, adj_price
    req_cash = size * adj_price
    req_fees = req_cash * fees + 0.0
    total_req_cash = req_cash + req_fees
    if close_nb(total_req_cash, cash_limit) or total_req_cash < cash_limit:
        final_size = size
        final_req_cash = total_req_cash
    else:
        max_req_cash = add_nb(cash_limit, -0.0) / (1.0 + fees)
        if max_req_cash <= 0.0:
            return cash, position, 0.0, adj_price
        final_size = max_req_cash / adj_price
        final_req_cash = cash_limit
    if near_zero_nb(size):
        return cash, position, 0.0, adj_price
    if final_size < min_size and not close_nb(final_size, min_size):
        return cash, position, 0.0, adj_price
    return add_nb(cash, -final_req_cash), add_nb(position, final_size), final_size, adj_price


@njit(cache=True, error_model="numpy", inline="always")
def sell_nb(
    cash: float,
    position: float,
    size: float,
    price: float,
    fees: float,
    slippage: float,
    min_size: float,
) -> tuple[float, float, float, float]:
    """Sell up to ``size`` units at ``price`` (vectorbt ``sell_nb``, long only, no lock).

    The size is capped at the position (long only); selling with no position is rejected.

    Returns
    -------
    (cash, position, filled size, fill price): filled size is 0.0 when ignored or rejected.
    """
    adj_price = price * (1.0 - slippage)
    size_limit = min(position, size)
    if position == 0.0:
        return cash, position, 0.0, adj_price
    if near_zero_nb(size_limit):
        return cash, position, 0.0, adj_price
    if size_limit < min_size and not close_nb(size_limit, min_size):
        return cash, position, 0.0, adj_price
    acq_cash = size_limit * adj_price
    fees_paid = acq_cash * fees + 0.0
    final_acq_cash = add_nb(acq_cash, -fees_paid)
    if final_acq_cash < 0.0:
        return cash, position, 0.0, adj_price
    return cash + final_acq_cash, add_nb(position, -size_limit), size_limit, adj_price


@njit(cache=True, error_model="numpy", inline="always")
def target_percent_nb(
    cash: float,
    position: float,
    value: float,
    target: float,
    price: float,
    fees: float,
    slippage: float,
    min_size: float,
) -> tuple[float, float, float, float]:
    """Order one column to ``target`` of the group ``value`` (vectorbt ``execute_order_nb``).

    Near-zero cash and position are snapped to 0.0 first, as vectorbt does, and stay snapped
    even when the order is not filled.

    Returns
    -------
    (cash, position, filled size, fill price); filled size is 0.0 when nothing was filled.
    """
    if near_zero_nb(cash):
        cash = 0.0
    if near_zero_nb(position):
        position = 0.0
    if near_zero_nb(value):
        value = 0.0
    if np.isnan(target) or np.isnan(price) or np.isnan(value) or value <= 0.0:
        return cash, position, 0.0, price
    order_size = target * value
    order_size /= price
    order_size -= position
    if order_size > 0.0:
        return buy_nb(cash, position, order_size, price, fees, slippage, min_size)
    return sell_nb(cash, position, -order_size, price, fees, slippage, min_size)


@njit(cache=True, error_model="numpy")
def rebalance_nb(
    cash: float,
    pos_i: float,
    pos_c: float,
    p_i: float,
    p_c: float,
    w: float,
    fees: float,
    slippage: float,
    min_size: float,
) -> tuple[float, float, float, float, float]:
    """One vectorbt row: target ``w`` on the index and ``1 - w`` on the cash asset at the close.

    The group value is taken once before both orders (``update_value=False``); the auto call
    sequence sorts the two legs by estimated order value, so the leg that sells goes first.

    Returns
    -------
    (cash, index position, cash-asset position, index value traded (filled size times fill
    price, 0.0 when not filled), group value before the orders).
    """
    value = cash
    if pos_i != 0.0:
        value += pos_i * p_i
    if pos_c != 0.0:
        value += pos_c * p_c
    w_c = 1.0 - w
    ov_i = w * value - pos_i * p_i
    ov_c = w_c * value - pos_c * p_c
    # The auto call sequence: the leg that sells goes first. One call site per leg in a loop
    # over the two positions: numba inlines each call site of target_percent_nb (with buy_nb,
    # sell_nb and their helpers) at its IR level, and writing both orders out (four call
    # sites) cost about 10 s of a cold compile; the operations and their order are the same.
    cash_first = ov_i > ov_c or np.isnan(ov_i)
    s = 0.0
    p = p_i
    for leg in range(2):
        if (leg == 0) == cash_first:
            cash, pos_c, _, _ = target_percent_nb(cash, pos_c, value, w_c, p_c, 0.0, 0.0, min_size)
        else:
            cash, pos_i, s, p = target_percent_nb(
                cash, pos_i, value, w, p_i, fees, slippage, min_size
            )
    return cash, pos_i, pos_c, s * p, value


@njit(cache=True, error_model="numpy", inline="always")
def call_sequence_nb(order_value: np.ndarray, seq: np.ndarray) -> None:
    """vectorbt's auto call sequence: ``seq`` (int64, shape (n,)) becomes the columns in
    ascending order of ``order_value`` (float64, shape (n,), sorted in place), NaN last, ties
    in column order (``insert_argsort_nb`` on the default sequence ``0 .. n-1``)."""
    n = seq.shape[0]
    for j in range(n):
        seq[j] = j
    for j in range(1, n):
        a_j = order_value[j]
        i_j = seq[j]
        i = j - 1
        while i >= 0 and (order_value[i] > a_j or np.isnan(order_value[i])):
            order_value[i + 1] = order_value[i]
            seq[i + 1] = seq[i]
            i = i - 1
        order_value[i + 1] = a_j
        seq[i + 1] = i_j


@njit(cache=True, error_model="numpy")
def rebalance_legs_nb(
    cash: float,
    pos: np.ndarray,
    pos_c: float,
    prices: np.ndarray,
    p_c: float,
    w: np.ndarray,
    fees: np.ndarray,
    slippage: np.ndarray,
    min_size: float,
    order_value: np.ndarray,
    seq: np.ndarray,
    traded: np.ndarray,
) -> tuple[float, float, float]:
    """One vectorbt row over ``n`` risky legs and the cash asset (see the module docstring).

    Parameters
    ----------
    cash, pos_c : vectorbt's cash and the cash asset's units; pos : float64 array of shape
        (n,), each leg's units (updated in place).
    prices : float64 array of shape (n,), the legs' closes; p_c : the cash asset's price.
    w : float64 array of shape (n,), the target percent of each leg (cash: ``1 - sum``).
    fees, slippage : float64 arrays of shape (n,); min_size : vectorbt's minimum order size.
    order_value, seq : scratch arrays of shape (n + 1,) (float64, int64).
    traded : float64 array of shape (n,), receives each leg's value traded (filled size
        times fill price, 0.0 when not filled).

    Returns
    -------
    (cash, cash-asset position, group value before the orders).
    """
    n = pos.shape[0]
    value = cash
    for leg in range(n):
        if pos[leg] != 0.0:
            value += pos[leg] * prices[leg]
    if pos_c != 0.0:
        value += pos_c * p_c
    held = w[0]
    for leg in range(1, n):
        held += w[leg]
    w_c = 1.0 - held
    for leg in range(n):
        order_value[leg] = w[leg] * value - pos[leg] * prices[leg]
        traded[leg] = 0.0
    order_value[n] = w_c * value - pos_c * p_c
    call_sequence_nb(order_value, seq)
    for k in range(n + 1):
        col = seq[k]
        if col == n:
            cash, pos_c, _, _ = target_percent_nb(cash, pos_c, value, w_c, p_c, 0.0, 0.0, min_size)
        else:
            cash, pos[col], s, p = target_percent_nb(
                cash, pos[col], value, w[col], prices[col], fees[col], slippage[col], min_size
            )
            traded[col] = s * p
    return cash, pos_c, value


@njit(cache=True, error_model="numpy")
def simulate_orders_nb(
    closes: np.ndarray,
    close_c: np.ndarray,
    target: np.ndarray,
    fees: np.ndarray,
    slippage: np.ndarray,
    init_cash: float,
    min_size: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Replay an order plan as vectorbt ``Portfolio.from_orders`` would (one combination).

    Parameters
    ----------
    closes : array of shape (n_days, n_legs): the risky legs' closes; close_c : array of
        shape (n_days,): the cash asset's price.
    target : array of shape (n_days, n_legs): the weights to trade to at that close, a NaN
        row = no order.
    fees, slippage : arrays of shape (n_legs,), fractions per leg; init_cash: starting cash;
        min_size: vectorbt's minimum order size.

    Returns
    -------
    value, cash : arrays of shape (n_days,) at each close; positions : array of shape
    (n_days, n_legs); cash-asset position : array of shape (n_days,).
    """
    n, n_legs = closes.shape
    value = np.empty(n)
    cash_out = np.empty(n)
    pos_out = np.empty((n, n_legs))
    pc_out = np.empty(n)
    cash = init_cash
    pos = np.zeros(n_legs)
    pos_c = 0.0
    order_value = np.empty(n_legs + 1)
    seq = np.empty(n_legs + 1, np.int64)
    traded = np.empty(n_legs)
    for t in range(n):
        if not np.isnan(target[t, 0]):
            cash, pos_c, _ = rebalance_legs_nb(
                cash,
                pos,
                pos_c,
                closes[t],
                close_c[t],
                target[t],
                fees,
                slippage,
                min_size,
                order_value,
                seq,
                traded,
            )
        held = pos[0] * closes[t, 0]
        for leg in range(1, n_legs):
            held += pos[leg] * closes[t, leg]
        value[t] = cash + (held + pos_c * close_c[t])
        cash_out[t] = cash
        for leg in range(n_legs):
            pos_out[t, leg] = pos[leg]
        pc_out[t] = pos_c
    return value, cash_out, pos_out, pc_out
