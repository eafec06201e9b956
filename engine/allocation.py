"""Target weights, decision days and the order plan: the pandas face of ``allocation_nb``.

Requires: a regime frame (``engine.regimes.regime_frame``: regime codes and features as known
at each trading day's 16:00 ET decision time) and a :class:`strategies.Strategy`.
Produces: the target weight of each risky leg per day, the decision days of the rebalance
frequency, and the plan of executed orders (target percents per execution day).
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


def target_weights(
    strategy: Strategy, frame: pd.DataFrame, labels: list[str] | None = None
) -> pd.DataFrame:
    """Target weight of each risky leg per day of ``frame`` (table lookup + overlays of each
    leg, clipped to the leg's bounds, divided by their sum when it exceeds 1).

    Parameters
    ----------
    strategy : the strategy (its ``leg_table()``, ``overlays``, bounds).
    frame : regime frame with the code columns of the strategy's families and every overlay
        feature.
    labels : column names of the legs (default: the strategy's asset ids).

    Returns
    -------
    float64 DataFrame indexed like ``frame``, one column per leg in leg order; NaN rows where
    an overlay feature is NaN.
    """
    cells = regime_cells(strategy, frame)
    table = np.ascontiguousarray(strategy.leg_table(), dtype=np.float64)
    table = table.reshape(-1, strategy.n_legs)
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
    lo, hi = strategy.leg_bounds()
    w = target_weights_nb(table, cells, x, slopes, centers, strategy.overlay_legs(), lo, hi)
    cols = list(strategy.asset_ids()) if labels is None else labels
    return pd.DataFrame(w, index=frame.index, columns=cols)


def plan_orders(
    target: pd.DataFrame | pd.Series,
    is_decision: np.ndarray,
    ret_legs: np.ndarray,
    ret_cash: np.ndarray,
    band: float,
    lag: int,
) -> pd.DataFrame:
    """Run the order plan kernel and label its outputs.

    Parameters
    ----------
    target : target weight of each risky leg per trading day, one column per leg (a Series
        for one leg); a NaN row: no decision that day.
    is_decision : bool array of shape (n_days,), decision days.
    ret_legs : float64 array of shape (n_days, n_legs) (or (n_days,) for one leg),
        close-to-close returns of the legs; ret_cash : shape (n_days,), of the cash asset
        (row 0 unused).
    band : no-trade band on the largest drift of any leg, ``0 <= band < 1``.
    lag : execution lag in trading days, ``>= 1``.

    Returns
    -------
    DataFrame indexed like ``target``: ``target_weight`` (the total risky weight: the sum of
    the legs' targets, the leg's own with one leg), ``decision`` (bool), ``order_weight``
    (total risky target percent executed at that close, NaN otherwise), ``drift`` (total
    risky weight drifted since the last execution, ignoring costs), ``status`` (what became
    of an order placed that day: none / executed / replaced / pending), then per leg
    ``target_weight:<leg>``, ``order_weight:<leg>`` and ``drift:<leg>``.
    """
    if not 0.0 <= band < 1.0:
        raise ParameterError(f"rebalance band {band!r}: expected 0 <= band < 1")
    if int(lag) != lag or lag < 1:
        raise ParameterError(
            f"execution lag {lag!r}: expected an integer >= 1 (0 would be look-ahead)"
        )
    frame = target.to_frame(target.name or "weight") if isinstance(target, pd.Series) else target
    w = np.ascontiguousarray(frame.to_numpy(), dtype=np.float64)
    dec = np.ascontiguousarray(is_decision, dtype=np.bool_)
    re = np.asarray(ret_legs, dtype=np.float64)
    re = np.ascontiguousarray(re.reshape(len(re), -1) if re.ndim == 1 else re)
    rc = np.ascontiguousarray(ret_cash, dtype=np.float64)
    if not (len(w) == len(dec) == len(re) == len(rc)) or re.shape[1] != w.shape[1]:
        raise ParameterError(
            "plan_orders: target, is_decision and returns must have the same length and the "
            "returns one column per leg"
        )
    order_weight, drift, status = plan_orders_nb(w, dec, re, rc, float(band), int(lag))
    out = {
        "target_weight": total_weight(w),
        "decision": dec,
        "order_weight": total_weight(order_weight),
        "drift": total_weight(drift),
        "status": pd.Categorical.from_codes(
            status.astype(np.int64), categories=list(STATUS_NAMES.values())
        ),
    }
    for j, leg in enumerate(frame.columns):
        out[f"target_weight:{leg}"] = w[:, j]
        out[f"order_weight:{leg}"] = order_weight[:, j]
        out[f"drift:{leg}"] = drift[:, j]
    return pd.DataFrame(out, index=frame.index)


def total_weight(weights: np.ndarray) -> np.ndarray:
    """The total risky weight of each row of an array of shape (n, n_legs): the legs summed
    left to right (the cash leg's target is ``1 -`` this, as vectorbt and the sweep get it);
    a NaN row stays NaN. With one leg, the leg itself."""
    w = np.asarray(weights, dtype=np.float64)
    total = w[:, 0].copy()
    for j in range(1, w.shape[1]):
        total = total + w[:, j]
    return total


def leg_columns(plan: pd.DataFrame, name: str) -> pd.DataFrame:
    """The per-leg columns ``<name>:<leg>`` of a plan, labelled by leg."""
    prefix = f"{name}:"
    cols = [c for c in plan.columns if isinstance(c, str) and c.startswith(prefix)]
    return plan[cols].rename(columns=lambda c: c[len(prefix) :])
