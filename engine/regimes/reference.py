"""Regime state machines, each loop written once in plain typed Python (the references).

Every function takes float64 / int64 arrays with time on axis 0 (one row per trading day)
and scalars, and returns int8 regime codes (the positions of the enum members in
:mod:`strategies.regimes`; 0 = ``UNKNOWN``). A row whose input is NaN holds the previous
state (``UNKNOWN`` before the first valid value). Inputs at row ``t`` must already be
point-in-time (known at that day's 16:00 ET decision): the loops only ever look back, so
the output at ``t`` depends on rows ``0..t`` alone (lag 0 on their inputs).

These ``*_ref`` functions are slow and readable; :mod:`engine.regimes.nb` compiles the very
same functions with numba as the ``*_nb`` kernels (the house pattern of
:mod:`engine.allocation_nb`). Helpers called from inside a loop are ``register_jitable``:
plain Python when called from Python, compiled when a kernel calls them. They sit in the
same file as the loops because numba's cache is keyed on that file: it would not notice an
edit to a helper in another module. :data:`engine.parity.PARITY` pairs each kernel with its
reference and an oracle for the tests and benchmarks; this module never imports the kernels.
"""

from __future__ import annotations

import numpy as np
from numba.extending import register_jitable

# Balance sheet codes (strategies.regimes.BalanceSheet)
BS_UNKNOWN, BS_EXPANSION, BS_PLATEAU, BS_CONTRACTION = 0, 1, 2, 3
# Net liquidity codes (strategies.regimes.NetLiquidity)
NL_UNKNOWN, NL_UP, NL_FLAT, NL_DOWN = 0, 1, 2, 3
# Phase codes (strategies.regimes.Phase)
PH_UNKNOWN, PH_NEUTRAL, PH_HIKING, PH_HOLD, PH_FIRST_HALF, PH_CUTTING, PH_CUTTING_RECESSION = (
    0,
    1,
    2,
    3,
    4,
    5,
    6,
)
# Recession-tag triggers (bit mask in the phase trace)
REC_SAHM, REC_INTERMEETING, REC_FAST = 1, 2, 4

RATE_EPS = 1e-9
"""A change of the range midpoint smaller than this (percentage points) is no change."""


@register_jitable
def _bs_enter(g: float, expand_enter: float, contract_enter: float) -> int:
    if g >= expand_enter:
        return BS_EXPANSION
    if g <= contract_enter:
        return BS_CONTRACTION
    return BS_PLATEAU


def balance_sheet_ref(
    growth: np.ndarray,
    expand_enter: float,
    expand_exit: float,
    contract_enter: float,
    contract_exit: float,
    min_dwell_days: int,
) -> np.ndarray:
    """Balance-sheet regime from annualised growth, with hysteresis and a minimum dwell.

    Requires: ``growth``, float64 array of shape (n_days,), annualised log growth of the
    balance-sheet measure as known each day (NaN = unknown).
    Produces: int8 array of shape (n_days,): 1 EXPANSION, 2 PLATEAU, 3 CONTRACTION,
    0 UNKNOWN before the first valid growth.
    Lag: 0 rows (the growth input carries the H.4.1 publication lag).

    Rules, per row with a valid growth ``g`` (NaN rows hold the state):

    - first valid row: EXPANSION if ``g >= expand_enter``, CONTRACTION if
      ``g <= contract_enter``, else PLATEAU;
    - a change is allowed only once the current regime has lasted ``min_dwell_days`` rows;
    - EXPANSION ends when ``g < expand_exit`` (to CONTRACTION if ``g <= contract_enter``,
      else PLATEAU); CONTRACTION ends when ``g > contract_exit`` (to EXPANSION if
      ``g >= expand_enter``, else PLATEAU); PLATEAU moves to EXPANSION at
      ``g >= expand_enter`` and to CONTRACTION at ``g <= contract_enter``.
    """
    n = growth.shape[0]
    out = np.zeros(n, dtype=np.int8)
    state = BS_UNKNOWN
    entered = 0
    for t in range(n):
        g = growth[t]
        if np.isnan(g):
            out[t] = state
            continue
        if state == BS_UNKNOWN:
            state = _bs_enter(g, expand_enter, contract_enter)
            entered = t
        elif t - entered >= min_dwell_days:
            new = state
            if state == BS_EXPANSION:
                if g < expand_exit:
                    new = BS_CONTRACTION if g <= contract_enter else BS_PLATEAU
            elif state == BS_CONTRACTION:
                if g > contract_exit:
                    new = BS_EXPANSION if g >= expand_enter else BS_PLATEAU
            else:
                new = _bs_enter(g, expand_enter, contract_enter)
            if new != state:
                state = new
                entered = t
        out[t] = state
    return out


def net_liquidity_ref(change_bn: np.ndarray, band_bn: float) -> np.ndarray:
    """Net-liquidity trend with a dead band.

    Requires: ``change_bn``, float64 array of shape (n_days,): change of net liquidity
    over the window in $bn as known each day (NaN = unknown).
    Produces: int8 array of shape (n_days,): 1 UP (change > band), 3 DOWN
    (change < -band), 2 FLAT (|change| <= band), 0 UNKNOWN before the first valid value;
    NaN rows hold the state.
    Lag: 0 rows.
    """
    n = change_bn.shape[0]
    out = np.zeros(n, dtype=np.int8)
    state = NL_UNKNOWN
    for t in range(n):
        c = change_bn[t]
        if not np.isnan(c):
            if c > band_bn:
                state = NL_UP
            elif c < -band_bn:
                state = NL_DOWN
            else:
                state = NL_FLAT
        out[t] = state
    return out


def cycle_high_ref(upper: np.ndarray, lower: np.ndarray, y10: np.ndarray) -> np.ndarray:
    """Running maximum of the 10y since the first hike of the latest hiking cycle.

    Requires: ``upper``, ``lower`` (policy range ends, percent) and ``y10`` (percent),
    float64 arrays of shape (n_days,), as known each day.
    Produces: float64 array of shape (n_days,): NaN until a hike is seen; a hike whose
    previous rate change was a cut (or the first change seen) starts a new cycle.
    Lag: 0 rows.
    """
    n = upper.shape[0]
    out = np.full(n, np.nan)
    prev_mid = np.nan
    prev_dir = 0
    started = False
    high = np.nan
    for t in range(n):
        u = upper[t]
        lo = lower[t]
        if not (np.isnan(u) or np.isnan(lo)):
            mid = 0.5 * (u + lo)
            if not np.isnan(prev_mid):
                d = mid - prev_mid
                if d > RATE_EPS:
                    if prev_dir != 1:
                        started = True
                        high = np.nan
                    prev_dir = 1
                elif d < -RATE_EPS:
                    prev_dir = -1
            prev_mid = mid
        y = y10[t]
        if started and not np.isnan(y) and (np.isnan(high) or y > high):
            high = y
        out[t] = high
    return out


@register_jitable
def phase_trace_ref(
    upper: np.ndarray,
    lower: np.ndarray,
    y10: np.ndarray,
    sahm: np.ndarray,
    day_number: np.ndarray,
    hike_memory_days: int,
    cut_memory_days: int,
    y10_drop: float,
    below_range: bool,
    sahm_threshold: float,
    intermeeting_days: int,
    fast_cut_bp: float,
    fast_cut_days: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Policy and yield phase with the state behind each decision (for ``explain``).

    Requires: ``upper``, ``lower`` (policy range ends, percent), ``y10`` (percent),
    ``sahm`` (real-time Sahm rule, pp), float64 arrays of shape (n_days,), as known each
    day; ``day_number``, int64 array of shape (n_days,): calendar-day ordinals of the rows.
    Produces: a tuple of arrays of shape (n_days,):

    - ``codes`` (int8): the phase, see :func:`phase_ref`;
    - ``last_hike``, ``last_cut``, ``cycle_start`` (int64): row of the latest hike, cut and
      first hike of the cycle (-1: none yet);
    - ``cycle_high`` (float64): the 10y's running maximum since ``cycle_start``;
    - ``rec_why`` (int8): bit mask of what tagged the cutting episode recession-driven
      (1 Sahm rule, 2 inter-meeting cut, 4 cuts piling up; 0 none);
    - ``cut_sum_bp`` (float64): cuts (bp) within the last ``fast_cut_days`` rows.

    Lag: 0 rows (the target range is dated by FRED on its effective day).
    """
    n = upper.shape[0]
    codes = np.zeros(n, dtype=np.int8)
    last_hike_a = np.full(n, -1, dtype=np.int64)
    last_cut_a = np.full(n, -1, dtype=np.int64)
    cycle_start_a = np.full(n, -1, dtype=np.int64)
    cycle_high_a = np.full(n, np.nan)
    rec_a = np.zeros(n, dtype=np.int8)
    cut_sum_a = np.zeros(n)
    cut_t = np.empty(n, dtype=np.int64)
    cut_bp = np.empty(n)
    n_cuts = 0
    first_cut = 0
    state = PH_UNKNOWN
    prev_mid = np.nan
    prev_dir = 0
    last_hike = -1
    last_cut = -1
    cycle_start = -1
    high = np.nan
    has_change = False
    last_change_day = 0
    rec = 0
    for t in range(n):
        u = upper[t]
        lo = lower[t]
        y = y10[t]
        valid = not (np.isnan(u) or np.isnan(lo))
        cut_today = False
        if valid:
            mid = 0.5 * (u + lo)
            if np.isnan(prev_mid):
                state = PH_NEUTRAL
            else:
                d = mid - prev_mid
                if d > RATE_EPS:
                    if prev_dir != 1:
                        cycle_start = t
                        high = np.nan
                    prev_dir = 1
                    last_hike = t
                    has_change = True
                    last_change_day = day_number[t]
                    state = PH_HIKING
                    rec = 0
                elif d < -RATE_EPS:
                    if state != PH_CUTTING and state != PH_CUTTING_RECESSION:
                        rec = 0
                    cut_t[n_cuts] = t
                    cut_bp[n_cuts] = -d * 100.0
                    n_cuts += 1
                    cut_today = True
                    if has_change and day_number[t] - last_change_day <= intermeeting_days:
                        rec |= REC_INTERMEETING
                    prev_dir = -1
                    last_cut = t
                    has_change = True
                    last_change_day = day_number[t]
                    state = PH_CUTTING
            prev_mid = mid
        # cuts (bp) within the last fast_cut_days rows, this one included
        while first_cut < n_cuts and t - cut_t[first_cut] >= fast_cut_days:
            first_cut += 1
        s = 0.0
        for i in range(first_cut, n_cuts):
            s += cut_bp[i]
        if cut_today and s >= fast_cut_bp - RATE_EPS:
            rec |= REC_FAST
        if cycle_start >= 0 and not np.isnan(y) and (np.isnan(high) or y > high):
            high = y
        if valid:
            if state == PH_HIKING and t - last_hike >= hike_memory_days:
                state = PH_HOLD
            if state == PH_HOLD and not np.isnan(y):
                if (not np.isnan(high)) and high - y >= y10_drop:
                    state = PH_FIRST_HALF
                elif below_range and y < lo:
                    state = PH_FIRST_HALF
            if state == PH_CUTTING or state == PH_CUTTING_RECESSION:
                if t - last_cut >= cut_memory_days:
                    state = PH_NEUTRAL
                    rec = 0
                else:
                    if not np.isnan(sahm[t]) and sahm[t] >= sahm_threshold:
                        rec |= REC_SAHM
                    state = PH_CUTTING_RECESSION if rec != 0 else PH_CUTTING
        codes[t] = state
        last_hike_a[t] = last_hike
        last_cut_a[t] = last_cut
        cycle_start_a[t] = cycle_start
        cycle_high_a[t] = high
        rec_a[t] = rec
        cut_sum_a[t] = s
    return codes, last_hike_a, last_cut_a, cycle_start_a, cycle_high_a, rec_a, cut_sum_a


def phase_ref(
    upper: np.ndarray,
    lower: np.ndarray,
    y10: np.ndarray,
    sahm: np.ndarray,
    day_number: np.ndarray,
    hike_memory_days: int,
    cut_memory_days: int,
    y10_drop: float,
    below_range: bool,
    sahm_threshold: float,
    intermeeting_days: int,
    fast_cut_bp: float,
    fast_cut_days: int,
) -> np.ndarray:
    """Policy and yield phase: HIKING -> HOLD -> FIRST_HALF -> CUTTING(_RECESSION) -> NEUTRAL.

    Requires: ``upper``, ``lower`` (policy range ends, percent; the spliced target before
    2008-12-16 as both ends), ``y10`` (10y yield, percent), ``sahm`` (real-time Sahm rule,
    pp), float64 arrays of shape (n_days,) as known each day; ``day_number``, int64 array
    of shape (n_days,), calendar-day ordinals of the rows (for the inter-meeting rule).
    Produces: int8 array of shape (n_days,) of :class:`strategies.regimes.Phase` codes.
    Lag: 0 rows on its inputs.

    Rules, per row with a valid range (NaN rows hold the state; NEUTRAL on the first valid
    row). A rate change is a move of the range midpoint.

    - A hike (from any state) -> HIKING; a hike whose previous change was a cut (or the
      first change seen) starts a new cycle, and the 10y cycle high restarts from it.
    - HIKING -> HOLD once ``hike_memory_days`` rows have passed since the last hike.
    - HOLD -> FIRST_HALF on the first day the 10y has fallen at least ``y10_drop`` from
      its cycle high, or (``below_range``) sits below the lower end of the range (a NaN
      10y decides nothing). FIRST_HALF lasts until the next cut or hike: the first half
      of the 10y's fall has begun, and a rebound of the 10y does not undo it.
    - A cut (from any state) -> CUTTING. The cutting episode is tagged CUTTING_RECESSION,
      until it ends, when the cut comes within ``intermeeting_days`` calendar days of the
      previous change (inter-meeting), when cuts within ``fast_cut_days`` rows add up to
      ``fast_cut_bp`` or more, or on any day of the episode with the Sahm rule at or above
      ``sahm_threshold``.
    - CUTTING -> NEUTRAL once ``cut_memory_days`` rows have passed since the last cut.

    The loop is :func:`phase_trace_ref`'s; this keeps its codes only.
    """
    return phase_trace_ref(
        upper,
        lower,
        y10,
        sahm,
        day_number,
        hike_memory_days,
        cut_memory_days,
        y10_drop,
        below_range,
        sahm_threshold,
        intermeeting_days,
        fast_cut_bp,
        fast_cut_days,
    )[0]
