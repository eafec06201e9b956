"""The ON RRP regime kernel (numba and NumPy only): ``rrp_ref`` in plain typed Python and
``rrp_nb``, the same function compiled (``cache=True``).

Codes are the positions of :class:`strategies.regimes.RRP` (0 = ``UNKNOWN``). The helpers
the loop calls are ``register_jitable`` and sit in this file with it: numba's cache is keyed
on the kernel's file and would not notice an edit to a helper elsewhere (the rule of
:mod:`engine.regimes.reference`). Inputs at row ``t`` are point in time (known at that day's
16:00 ET decision); the loop only looks back, so row ``t`` depends on rows ``0..t`` alone.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.extending import register_jitable

# ON RRP codes (strategies.regimes.RRP)
RRP_UNKNOWN, RRP_BUILDING, RRP_FLAT, RRP_DRAINING, RRP_DEPLETED = 0, 1, 2, 3, 4


@register_jitable
def _rrp_trend(change: float, band_bn: float) -> int:
    if change > band_bn:
        return RRP_BUILDING
    if change < -band_bn:
        return RRP_DRAINING
    return RRP_FLAT


@register_jitable
def _rrp_enter(level: float, change: float, band_bn: float, floor_bn: float) -> int:
    if level < floor_bn:
        return RRP_DEPLETED
    return _rrp_trend(change, band_bn)


def rrp_ref(
    level_bn: np.ndarray,
    change_bn: np.ndarray,
    band_bn: float,
    floor_bn: float,
    floor_exit_bn: float,
    min_dwell_days: int,
) -> np.ndarray:
    """ON RRP regime from the (smoothed) balance and its change, with a floor hysteresis and a
    minimum dwell.

    Requires: ``level_bn`` and ``change_bn``, float64 arrays of shape (n_days,): the ON RRP
    balance ($bn) as known each day and its change over the window (NaN = unknown).
    Produces: int8 array of shape (n_days,): 1 BUILDING, 2 FLAT, 3 DRAINING, 4 DEPLETED,
    0 UNKNOWN before the first row where both are known.
    Lag: 0 rows (the inputs carry RRPONTSYD's 16:30 ET publication: next decision).

    Rules, per row with both inputs known (other rows hold the state):

    - first known row, and any row once the regime has lasted ``min_dwell_days`` rows:
      DEPLETED if ``level < floor_bn``; else BUILDING if ``change > band_bn``, DRAINING if
      ``change < -band_bn``, else FLAT;
    - except that DEPLETED lasts while ``level <= floor_exit_bn`` (the hysteresis: leaving
      needs the level back above the exit level, not just above the floor), and then goes
      to the change's BUILDING / DRAINING / FLAT.
    """
    n = level_bn.shape[0]
    out = np.zeros(n, dtype=np.int8)
    state = RRP_UNKNOWN
    entered = 0
    for t in range(n):
        x = level_bn[t]
        c = change_bn[t]
        if np.isnan(x) or np.isnan(c):
            out[t] = state
            continue
        if state == RRP_UNKNOWN:
            state = _rrp_enter(x, c, band_bn, floor_bn)
            entered = t
        elif t - entered >= min_dwell_days:
            if state == RRP_DEPLETED:
                new = RRP_DEPLETED if x <= floor_exit_bn else _rrp_trend(c, band_bn)
            else:
                new = _rrp_enter(x, c, band_bn, floor_bn)
            if new != state:
                state = new
                entered = t
        out[t] = state
    return out


rrp_nb = njit(cache=True)(rrp_ref)
