"""Target weights, decision days and the order plan: the pandas face of ``allocation_nb``.

Requires: a regime frame (``engine.regimes.regime_frame``: regime codes and features as known
at each trading day's 16:00 ET decision time) and a :class:`strategies.Strategy`.
Produces: the target index weight per day, the decision days of the rebalance frequency, and
the plan of executed orders (target percent per execution day).
Lag: decisions at the close of t, execution at the close of ``t + execution_lag``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from data.errors import ParameterError
from data.release import business_day
from engine.allocation_nb import (
    STATUS_EXECUTED,
    STATUS_NONE,
    STATUS_PENDING,
    STATUS_REPLACED,
    cell_codes_nb,
    plan_orders_nb,
    target_weights_nb,
)

if TYPE_CHECKING:
    from strategies import Strategy

FREQUENCIES: dict[str, str] = {
    "D": "every trading day",
    "W": "the last trading day of each week (Monday to Sunday)",
    "M": "the last trading day of each month",
}
"""Rebalance frequencies -> what a decision day is."""

STATUS_NAMES: dict[int, str] = {
    STATUS_NONE: "none",
    STATUS_EXECUTED: "executed",
    STATUS_REPLACED: "replaced",
    STATUS_PENDING: "pending",
}
"""Order status codes of the plan -> names used in tables and exports."""


def decision_mask(days: pd.DatetimeIndex, frequency: str) -> np.ndarray:
    """Which trading days are decision days for a rebalance frequency.

    A day is the last trading day of its week / month when the next trading day falls in
    another week / month. For the last day of ``days`` the next day comes from the Federal
    Reserve business-day calendar (so a month-end decision is not called mid-month just because
    the data end there).

    Parameters
    ----------
    days : trading days, ascending.
    frequency : ``D``, ``W`` or ``M`` (see :data:`FREQUENCIES`).

    Returns
    -------
    bool array of shape (n_days,).
    """
    if frequency not in FREQUENCIES:
        raise ParameterError(
            f"rebalance frequency {frequency!r}: expected one of {', '.join(FREQUENCIES)}"
        )
    n = len(days)
    if frequency == "D" or n == 0:
        return np.ones(n, dtype=bool)
    nxt = pd.DatetimeIndex(list(days[1:]) + [days[-1] + business_day()])
    rule = "W-SUN" if frequency == "W" else "M"
    return np.asarray(days.to_period(rule) != nxt.to_period(rule))


def table_cells(
    codes: np.ndarray, shape: tuple[int, ...], columns: np.ndarray | None = None
) -> np.ndarray:
    """Allocation-table cells from per-family codes (:func:`~engine.allocation_nb.cell_codes_nb`).

    Parameters
    ----------
    codes : integer array of shape (n_days, n_columns): regime codes.
    shape : the table's shape (one entry per family; ``()`` for a one-cell table).
    columns : int64 array of shape (n_sets, len(shape)): the column each family reads, per
        set; default one set reading columns ``0 .. len(shape) - 1`` in order.

    Returns
    -------
    int32 array of shape (n_days, n_sets), Fortran order (one column per set).
    """
    cols = np.arange(len(shape), dtype=np.int64)[None, :] if columns is None else columns
    cols = np.ascontiguousarray(cols, dtype=np.int64)
    if codes.ndim != 2 or cols.ndim != 2 or cols.shape[1] != len(shape):
        raise ParameterError(
            f"codes of shape {codes.shape} and columns of shape {cols.shape}: expected "
            f"(n_days, n_columns) and (n_sets, {len(shape)})"
        )
    if cols.size and (cols.min() < 0 or cols.max() >= codes.shape[1]):
        raise ParameterError(f"columns: values outside 0..{codes.shape[1] - 1}")
    return cell_codes_nb(codes, cols, np.asarray(shape, dtype=np.int64))


def regime_cells(strategy: Strategy, frame: pd.DataFrame) -> np.ndarray:
    """Each day's allocation-table cell for ``strategy`` from a regime frame's code columns
    (``<family>_code`` of :meth:`Strategy.families`): int32 array of shape (n_days,)."""
    cols = [f"{name}_code" for name in strategy.families()]
    for col in cols:
        if col not in frame:
            raise ParameterError(f"regime frame has no column {col!r}; expected {cols}")
    codes = np.zeros((len(frame), len(cols)), dtype=np.int64)
    for j, col in enumerate(cols):
        codes[:, j] = frame[col].to_numpy()
    return table_cells(codes, strategy.table_shape())[:, 0]


def target_weights(strategy: Strategy, frame: pd.DataFrame) -> pd.Series:
    """Target index weight per day of ``frame`` (table lookup + overlays, clipped).

    Parameters
    ----------
    strategy : the strategy (its ``table()``, ``overlays``, ``min_weight``, ``max_weight``).
    frame : regime frame with the code columns of the strategy's families and every overlay
        feature.

    Returns
    -------
    float64 Series indexed like ``frame``; NaN where an overlay feature is NaN.
    """
    cells = regime_cells(strategy, frame)
    table = np.ascontiguousarray(strategy.table(), dtype=np.float64).ravel()
    ov = strategy.overlays
    x = np.empty((len(frame), len(ov)), dtype=np.float64)
    for j, o in enumerate(ov):
        if o.feature not in frame:
            raise ParameterError(
                f"overlay feature {o.feature!r} is not a column of the regime frame"
            )
        x[:, j] = frame[o.feature].to_numpy(dtype=np.float64)
    slopes = np.array([o.slope for o in ov], dtype=np.float64)
    centers = np.array([o.center for o in ov], dtype=np.float64)
    w = target_weights_nb(
        table,
        cells,
        x,
        slopes,
        centers,
        float(strategy.min_weight),
        float(strategy.max_weight),
    )
    return pd.Series(w, index=frame.index, name="target_weight")


def plan_orders(
    target: pd.Series,
    is_decision: np.ndarray,
    ret_index: np.ndarray,
    ret_cash: np.ndarray,
    band: float,
    lag: int,
) -> pd.DataFrame:
    """Run the order plan kernel and label its outputs.

    Parameters
    ----------
    target : target index weight per trading day (NaN: no decision that day).
    is_decision : bool array of shape (n_days,), decision days.
    ret_index, ret_cash : float64 arrays of shape (n_days,), close-to-close returns of the
        index and of the cash asset (element 0 unused).
    band : no-trade band, ``0 <= band < 1``.
    lag : execution lag in trading days, ``>= 1``.

    Returns
    -------
    DataFrame indexed like ``target``: ``target_weight``, ``decision`` (bool),
    ``order_weight`` (index target percent executed at that close, NaN otherwise), ``drift``
    (index weight drifted since the last execution, ignoring costs), ``status`` (what became of
    an order placed that day: none / executed / replaced / pending).
    """
    if not 0.0 <= band < 1.0:
        raise ParameterError(f"rebalance band {band!r}: expected 0 <= band < 1")
    if int(lag) != lag or lag < 1:
        raise ParameterError(
            f"execution lag {lag!r}: expected an integer >= 1 (0 would be look-ahead)"
        )
    w = np.ascontiguousarray(target.to_numpy(), dtype=np.float64)
    dec = np.ascontiguousarray(is_decision, dtype=np.bool_)
    re = np.ascontiguousarray(ret_index, dtype=np.float64)
    rc = np.ascontiguousarray(ret_cash, dtype=np.float64)
    if not (len(w) == len(dec) == len(re) == len(rc)):
        raise ParameterError(
            "plan_orders: target, is_decision and returns must have the same length"
        )
    order_weight, drift, status = plan_orders_nb(w, dec, re, rc, float(band), int(lag))
    return pd.DataFrame(
        {
            "target_weight": w,
            "decision": dec,
            "order_weight": order_weight,
            "drift": drift,
            "status": pd.Categorical.from_codes(
                status.astype(np.int64), categories=list(STATUS_NAMES.values())
            ),
        },
        index=target.index,
    )
