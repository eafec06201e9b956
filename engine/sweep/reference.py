"""Plain NumPy / Python reference of the fused sweep pass, one combination at a time.

The same pipeline as one lane of :func:`engine.sweep.nb.block_nb`, composed from the pieces
the vectorbt backtest uses, step by step over whole arrays, so that tests can hold the fused
kernel to it: target weights and the order plan from the allocation references
(:func:`engine.allocation_nb.target_weights_ref`, :func:`~engine.allocation_nb.plan_orders_ref`,
with the brief's drift recursion ``d' = d(1+re) / (d(1+re) + (1-d)(1+rc))``), the fills as a
plain-Python transcription of vectorbt 1.2.0's ``buy_nb`` / ``sell_nb`` / ``execute_order_nb``
rules, and the metrics from the whole value series with the shared definitions
(:func:`engine.metrics.compute_metrics`) rather than streaming updates. It also returns the
series (value, weight, returns) of the combination.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine.allocation_nb import plan_orders_ref, target_weights_ref
from engine.metrics import compute_metrics
from engine.sweep.nb import METRICS
from engine.window import INIT_CASH, MIN_SIZE

_REL, _ABS = 1e-9, 1e-12


def _close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
        return False
    return a == b or abs(a - b) <= max(_REL * max(abs(a), abs(b)), _ABS)


def _add(a: float, b: float) -> float:
    if np.sign(a) != np.sign(b):
        return 0.0 if _close(abs(a), abs(b)) else a + b
    return 0.0 if _close(a + b, 0.0) else a + b


def _order(
    cash: float,
    pos: float,
    value: float,
    target: float,
    price: float,
    fees: float,
    slippage: float,
    min_size: float,
) -> tuple[float, float, float]:
    """vectorbt's long-only target-percent order on one column: (cash, position, value traded)."""
    cash = 0.0 if _close(cash, 0.0) else cash
    pos = 0.0 if _close(pos, 0.0) else pos
    value = 0.0 if _close(value, 0.0) else value
    if math.isnan(target) or math.isnan(value) or value <= 0.0:
        return cash, pos, 0.0
    size = target * value / price - pos
    if size > 0.0:  # buy, partially when cash is short
        px = price * (1.0 + slippage)
        if cash == 0.0 or _close(size, 0.0):
            return cash, pos, 0.0
        need = size * px + size * px * fees
        if _close(need, cash) or need < cash:
            filled, spent = size, need
        else:
            budget = cash / (1.0 + fees)
            if budget <= 0.0:
                return cash, pos, 0.0
            filled, spent = budget / px, cash
        if filled < min_size and not _close(filled, min_size):
            return cash, pos, 0.0
        return _add(cash, -spent), _add(pos, filled), filled * px
    size = min(pos, -size)  # long only: never sell more than the position
    px = price * (1.0 - slippage)
    if pos == 0.0 or _close(size, 0.0) or (size < min_size and not _close(size, min_size)):
        return cash, pos, 0.0
    gross = size * px
    net = _add(gross, -gross * fees)
    if net < 0.0:
        return cash, pos, 0.0
    return cash + net, _add(pos, -size), gross


def _rebalance(
    cash: float,
    pos_i: float,
    pos_c: float,
    p_i: float,
    p_c: float,
    tw: float,
    fees: float,
    slippage: float,
    min_size: float,
) -> tuple[float, float, float, float, float]:
    """One vectorbt row: target ``tw`` on the index and ``1 - tw`` on the cash asset, the leg
    that sells first (vectorbt's auto call sequence), the value taken once before both.

    Returns (cash, index position, cash-asset position, index value traded, value before).
    """
    before = cash + (pos_i * p_i if pos_i else 0.0) + (pos_c * p_c if pos_c else 0.0)
    index_first = not (tw * before - pos_i * p_i > (1.0 - tw) * before - pos_c * p_c)
    if index_first:
        cash, pos_i, traded = _order(cash, pos_i, before, tw, p_i, fees, slippage, min_size)
        cash, pos_c, _ = _order(cash, pos_c, before, 1.0 - tw, p_c, 0.0, 0.0, min_size)
    else:
        cash, pos_c, _ = _order(cash, pos_c, before, 1.0 - tw, p_c, 0.0, 0.0, min_size)
        cash, pos_i, traded = _order(cash, pos_i, before, tw, p_i, fees, slippage, min_size)
    return cash, pos_i, pos_c, traded, before


def simulate_orders_ref(
    close_i: np.ndarray,
    close_c: np.ndarray,
    target: np.ndarray,
    fees: float,
    slippage: float,
    init_cash: float,
    min_size: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Plain-Python reference of :func:`engine.sweep.fills_nb.simulate_orders_nb`: replay an
    order plan as vectorbt ``Portfolio.from_orders`` would, one combination.

    Same parameters and returns (value, cash, index position, cash-asset position at each
    close, arrays of shape (n_days,)).
    """
    n = close_i.shape[0]
    value, cash_out, pi_out, pc_out = (np.empty(n) for _ in range(4))
    cash, pos_i, pos_c = float(init_cash), 0.0, 0.0
    for t in range(n):
        p_i, p_c = float(close_i[t]), float(close_c[t])
        if not math.isnan(target[t]):
            cash, pos_i, pos_c, _, _ = _rebalance(
                cash, pos_i, pos_c, p_i, p_c, float(target[t]), fees, slippage, min_size
            )
        value[t] = cash + (pos_i * p_i + pos_c * p_c)
        cash_out[t], pi_out[t], pc_out[t] = cash, pos_i, pos_c
    return value, cash_out, pi_out, pc_out


@dataclass(frozen=True)
class ComboRun:
    """One combination's run.

    Attributes
    ----------
    metrics : metric name -> value, as :data:`engine.sweep.nb.METRICS`.
    value : array of shape (n_days,): portfolio value at each close (NaN outside first..last).
    weight : array of shape (n_days,): end-of-day index weight (NaN outside first..last).
    returns : array of shape (n_days,): daily returns of the window (NaN elsewhere).
    plan : array of shape (n_days,): executed target weights (NaN = none).
    """

    metrics: dict[str, float]
    value: np.ndarray
    weight: np.ndarray
    returns: np.ndarray
    plan: np.ndarray


def _metrics(
    value: np.ndarray,
    cash_price: np.ndarray,
    weight: np.ndarray,
    day_number: np.ndarray,
    trade_fraction: np.ndarray,
    n_exec: int,
) -> dict[str, float]:
    """The shared definitions (:func:`engine.metrics.compute_metrics`) over one window."""
    dates = pd.to_datetime(np.asarray(day_number, dtype=np.int64), unit="D")
    rc = np.full(value.shape[0], np.nan)
    rc[1:] = cash_price[1:] / cash_price[:-1] - 1.0
    m = compute_metrics(pd.Series(value, index=dates), rc, weight, trade_fraction, n_exec)
    out = {name: float(getattr(m, name)) for name in METRICS}
    return out


def run_combo_ref(
    close_i: np.ndarray,
    close_c: np.ndarray,
    day_number: np.ndarray,
    decide: np.ndarray,
    table: np.ndarray,
    codes: np.ndarray,
    overlay_x: np.ndarray,
    slopes: np.ndarray,
    centers: np.ndarray,
    *,
    lo: float,
    hi: float,
    band: float,
    lag: int,
    fees: float,
    slippage: float,
    first: int,
    last: int,
    init_cash: float = INIT_CASH,
    min_size: float = MIN_SIZE,
) -> ComboRun:
    """Simulate one combination over days ``first..last`` (the portfolio starts in cash).

    Parameters
    ----------
    close_i, close_c : arrays of shape (n_days,): index close and cash-asset price.
    day_number : int array of shape (n_days,): calendar days since 1970-01-01.
    decide : bool array of shape (n_days,): decision days.
    table : the allocation table, one axis per regime family it reads (shape ``s``);
    codes : int array of shape (n_days, len(s)): those families' regime codes per day (looked
        up with ``np.ravel_multi_index``, independently of the kernels' cell codes).
    overlay_x : array of shape (n_days, n_overlays); slopes, centers : shape (n_overlays,).
    lo, hi, band, lag, fees, slippage : the combination's bounds, band, lag and costs.
    init_cash, min_size : vectorbt's starting cash and minimum order size.
    """
    n_days = close_i.shape[0]
    c = np.asarray(codes, dtype=np.int64).reshape(n_days, table.ndim)
    cells = np.ravel_multi_index(tuple(c.T), table.shape) if table.ndim else np.zeros(n_days, int)
    w = target_weights_ref(
        np.ascontiguousarray(table, dtype=np.float64).ravel(),
        np.asarray(cells, dtype=np.int64),
        overlay_x,
        slopes,
        centers,
        lo,
        hi,
    )
    ret_i = np.full(n_days, np.nan)
    ret_c = np.full(n_days, np.nan)
    ret_i[1:] = close_i[1:] / close_i[:-1] - 1.0
    ret_c[1:] = close_c[1:] / close_c[:-1] - 1.0
    span = slice(first, last + 1)
    plan = np.full(n_days, np.nan)
    plan[span] = plan_orders_ref(w[span], decide[span], ret_i[span], ret_c[span], band, lag)[0]
    value = np.full(n_days, np.nan)
    weight = np.full(n_days, np.nan)
    fraction = np.zeros(n_days)
    cash, pos_i, pos_c = float(init_cash), 0.0, 0.0
    for t in range(first, last + 1):
        p_i, p_c = float(close_i[t]), float(close_c[t])
        if not math.isnan(plan[t]):
            cash, pos_i, pos_c, traded, before = _rebalance(
                cash, pos_i, pos_c, p_i, p_c, float(plan[t]), fees, slippage, min_size
            )
            fraction[t] = traded / before
        value[t] = cash + (pos_i * p_i + pos_c * p_c)
        weight[t] = pos_i * p_i / value[t]
    executed = np.flatnonzero(~np.isnan(plan))
    returns = np.full(n_days, np.nan)
    t0 = int(executed[0]) if executed.size else last + 1
    value[first:t0] = np.nan
    weight[first:t0] = np.nan
    returns[t0 + 1 : last + 1] = value[t0 + 1 : last + 1] / value[t0:last] - 1.0
    win = slice(t0, last + 1)
    metrics = _metrics(
        value[win], close_c[win], weight[win], day_number[win], fraction[win], int(executed.size)
    )
    return ComboRun(metrics, value, weight, returns, plan)
