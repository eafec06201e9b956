"""Point-in-time as-of joins: which value was known at each decision time.

Kept free of the store so that ``engine`` can carry its own derived weekly features
(growth, net liquidity) to the daily grid by the same rule.
"""

from __future__ import annotations

import numpy as np


def current_rows(obs_date: np.ndarray, available_at: np.ndarray) -> np.ndarray:
    """Order of rows by publication, keeping only rows that become the latest known value.

    With ALFRED vintages a late revision of an old observation does not replace the
    value of a newer observation; a revision of the newest observation does.

    Returns
    -------
    int array of row positions, in ``available_at`` order (ties: by ``obs_date``).
    """
    ok = ~np.isnat(available_at)
    idx = np.flatnonzero(ok)
    order = idx[np.lexsort((obs_date[idx], available_at[idx]))]
    od = obs_date[order].astype(np.int64)
    keep = od >= np.maximum.accumulate(od)
    return order[keep]


def asof_positions(
    obs_date: np.ndarray, available_at: np.ndarray, decision: np.ndarray
) -> np.ndarray:
    """For each decision time, the row position of the latest value known by then (-1: none).

    Parameters
    ----------
    obs_date, available_at : datetime64 arrays of the observations (any order).
    decision : datetime64 array of decision times, ascending.
    """
    rows = current_rows(obs_date, available_at)
    pos = np.searchsorted(available_at[rows], decision, side="right") - 1
    out = np.full(len(decision), -1, dtype=np.int64)
    has = pos >= 0
    out[has] = rows[pos[has]]
    return out


def asof(
    values: np.ndarray, obs_date: np.ndarray, available_at: np.ndarray, decision: np.ndarray
) -> np.ndarray:
    """Latest value whose ``available_at`` is at or before each decision time (NaN: none yet)."""
    pos = asof_positions(obs_date, available_at, decision)
    out = np.full(len(decision), np.nan)
    has = pos >= 0
    out[has] = np.asarray(values, dtype=np.float64)[pos[has]]
    return out
