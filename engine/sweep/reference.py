"""Plain NumPy / Python reference of the fused sweep pass, one combination at a time.

The same pipeline as one lane of :func:`engine.sweep.nb.block_nb`, composed from the pieces
the vectorbt backtest uses, step by step over whole arrays, so that tests can hold the fused
kernel to it: target weights per leg and the order plan from the allocation references
(:func:`engine.allocation_nb.target_weights_ref`, :func:`~engine.allocation_nb.plan_orders_ref`,
with the drift recursion ``d_l' = d_l g_l / (sum_j d_j g_j + d_c g_c)``), the fills as a
plain-Python transcription of vectorbt 1.2.0's ``buy_nb`` / ``sell_nb`` / ``execute_order_nb``
rules and of its auto call sequence, and the metrics from the whole value series with the
shared definitions (:func:`engine.metrics.compute_metrics`) rather than streaming updates. It
also returns the series (value, weight, returns) of the combination.
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
    pos: list[float],
    pos_c: float,
    prices: list[float],
    p_c: float,
    w: list[float],
    fees: list[float],
    slippage: list[float],
    min_size: float,
) -> tuple[float, list[float], float, list[float], float]:
    """One vectorbt row: target ``w_l`` on each risky leg and ``1 - sum w`` on the cash asset,
    the value taken once before the orders, the orders in vectorbt's auto call sequence
    (ascending approximate order value ``target * value - position * price``, NaN last, ties in
    column order: the legs that sell go first).

    Returns (cash, leg positions, cash-asset position, value traded per leg, value before).
    """
    n = len(pos)
    before = cash
    for leg in range(n):
        before += pos[leg] * prices[leg] if pos[leg] else 0.0
    before += pos_c * p_c if pos_c else 0.0
    held = w[0]
    for leg in range(1, n):
        held += w[leg]
    w_c = 1.0 - held
    value_of = [w[leg] * before - pos[leg] * prices[leg] for leg in range(n)]
    value_of.append(w_c * before - pos_c * p_c)
    # insertion sort, as vectorbt's insert_argsort_nb (a NaN moves behind everything)
    seq: list[int] = []
    for col in range(n + 1):
        at = len(seq)
        while at > 0 and (
            value_of[seq[at - 1]] > value_of[col] or math.isnan(value_of[seq[at - 1]])
        ):
            at -= 1
        seq.insert(at, col)
    pos = list(pos)
    traded = [0.0] * n
    for col in seq:
        if col == n:
            cash, pos_c, _ = _order(cash, pos_c, before, w_c, p_c, 0.0, 0.0, min_size)
        else:
            cash, pos[col], traded[col] = _order(
                cash, pos[col], before, w[col], prices[col], fees[col], slippage[col], min_size
            )
    return cash, pos, pos_c, traded, before


def simulate_orders_ref(
    closes: np.ndarray,
    close_c: np.ndarray,
    target: np.ndarray,
    fees: np.ndarray,
    slippage: np.ndarray,
    init_cash: float,
    min_size: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Plain-Python reference of :func:`engine.sweep.fills_nb.simulate_orders_nb`: replay an
    order plan as vectorbt ``Portfolio.from_orders`` would, one combination.

    Same parameters and returns (value, cash, leg positions of shape (n_days, n_legs),
    cash-asset position at each close).
    """
    n, n_legs = closes.shape
    value, cash_out, pc_out = (np.empty(n) for _ in range(3))
    pos_out = np.empty((n, n_legs))
    cash, pos, pos_c = float(init_cash), [0.0] * n_legs, 0.0
    f, sl = [float(x) for x in fees], [float(x) for x in slippage]
    for t in range(n):
        prices, p_c = [float(x) for x in closes[t]], float(close_c[t])
        if not math.isnan(target[t, 0]):
            w = [float(x) for x in target[t]]
            cash, pos, pos_c, _, _ = _rebalance(cash, pos, pos_c, prices, p_c, w, f, sl, min_size)
        held = pos[0] * prices[0]
        for leg in range(1, n_legs):
            held += pos[leg] * prices[leg]
        value[t] = cash + (held + pos_c * p_c)
        cash_out[t], pc_out[t] = cash, pos_c
        pos_out[t] = pos
    return value, cash_out, pos_out, pc_out


@dataclass(frozen=True)
class ComboRun:
    """One combination's run.

    Attributes
    ----------
    metrics : metric name -> value, as :data:`engine.sweep.nb.METRICS`.
    value : array of shape (n_days,): portfolio value at each close (NaN outside first..last).
    weight : array of shape (n_days,): end-of-day total risky weight (NaN outside first..last).
    returns : array of shape (n_days,): daily returns of the window (NaN elsewhere).
    plan : array of shape (n_days, n_legs): executed target weights (NaN rows = none).
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
    closes: np.ndarray,
    close_c: np.ndarray,
    day_number: np.ndarray,
    decide: np.ndarray,
    table: np.ndarray,
    codes: np.ndarray,
    overlay_x: np.ndarray,
    slopes: np.ndarray,
    centers: np.ndarray,
    *,
    lo: np.ndarray,
    hi: np.ndarray,
    band: float,
    lag: int,
    fees: np.ndarray,
    slippage: np.ndarray,
    first: int,
    last: int,
    overlay_leg: np.ndarray | None = None,
    init_cash: float = INIT_CASH,
    min_size: float = MIN_SIZE,
) -> ComboRun:
    """Simulate one combination over days ``first..last`` (the portfolio starts in cash).

    Parameters
    ----------
    closes : array of shape (n_days, n_legs): the risky legs' closes; close_c : array of
        shape (n_days,): the cash asset's price.
    day_number : int array of shape (n_days,): calendar days since 1970-01-01.
    decide : bool array of shape (n_days,): decision days.
    table : the allocation table of every leg, one axis per regime family it reads, then the
        leg axis (shape ``s + (n_legs,)``);
    codes : int array of shape (n_days, len(s)): those families' regime codes per day (looked
        up with ``np.ravel_multi_index``, independently of the kernels' cell codes).
    overlay_x : array of shape (n_days, n_overlays); slopes, centers : shape (n_overlays,);
    overlay_leg : int array of shape (n_overlays,): the leg each overlay moves (default 0).
    lo, hi, fees, slippage : arrays of shape (n_legs,); band, lag : the combination's band
        and execution lag.
    init_cash, min_size : vectorbt's starting cash and minimum order size.
    """
    closes = np.asarray(closes, dtype=np.float64)
    n_days, n_legs = closes.shape
    shape = table.shape[:-1]
    c = np.asarray(codes, dtype=np.int64).reshape(n_days, len(shape))
    cells = np.ravel_multi_index(tuple(c.T), shape) if shape else np.zeros(n_days, int)
    ov_leg = np.zeros(len(slopes), np.int64) if overlay_leg is None else overlay_leg
    w = target_weights_ref(
        np.ascontiguousarray(table, dtype=np.float64).reshape(-1, n_legs),
        np.asarray(cells, dtype=np.int64),
        overlay_x,
        slopes,
        centers,
        np.asarray(ov_leg, dtype=np.int64),
        np.asarray(lo, dtype=np.float64),
        np.asarray(hi, dtype=np.float64),
    )
    ret_legs = np.full((n_days, n_legs), np.nan)
    ret_c = np.full(n_days, np.nan)
    ret_legs[1:] = closes[1:] / closes[:-1] - 1.0
    ret_c[1:] = close_c[1:] / close_c[:-1] - 1.0
    span = slice(first, last + 1)
    plan = np.full((n_days, n_legs), np.nan)
    plan[span] = plan_orders_ref(w[span], decide[span], ret_legs[span], ret_c[span], band, lag)[0]
    value = np.full(n_days, np.nan)
    weight = np.full(n_days, np.nan)
    fraction = np.zeros(n_days)
    f, sl = [float(x) for x in fees], [float(x) for x in slippage]
    cash, pos, pos_c = float(init_cash), [0.0] * n_legs, 0.0
    for t in range(first, last + 1):
        prices, p_c = [float(x) for x in closes[t]], float(close_c[t])
        if not math.isnan(plan[t, 0]):
            target = [float(x) for x in plan[t]]
            cash, pos, pos_c, traded, before = _rebalance(
                cash, pos, pos_c, prices, p_c, target, f, sl, min_size
            )
            total = traded[0]
            for leg in range(1, n_legs):
                total += traded[leg]
            fraction[t] = total / before
        held = pos[0] * prices[0]
        for leg in range(1, n_legs):
            held += pos[leg] * prices[leg]
        value[t] = cash + (held + pos_c * p_c)
        weight[t] = held / value[t]
    executed = np.flatnonzero(~np.isnan(plan[:, 0]))
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
