"""Plain-Python references of the regime kernels in :mod:`engine.regimes.nb`.

The same loops, line for line, without numba: slow, readable, and the yardstick the
compiled kernels are tested against (``*_ref`` == ``*_nb`` on random and adversarial
inputs). See :mod:`engine.regimes.nb` for what each rule requires, produces and its lag.
"""

from __future__ import annotations

import numpy as np

from engine.regimes.nb import (
    BS_CONTRACTION,
    BS_EXPANSION,
    BS_PLATEAU,
    BS_UNKNOWN,
    NL_DOWN,
    NL_FLAT,
    NL_UNKNOWN,
    NL_UP,
    PH_CUTTING,
    PH_CUTTING_RECESSION,
    PH_FIRST_HALF,
    PH_HIKING,
    PH_HOLD,
    PH_NEUTRAL,
    PH_UNKNOWN,
    RATE_EPS,
    REC_FAST,
    REC_INTERMEETING,
    REC_SAHM,
)


def _bs_enter(g, expand_enter, contract_enter):
    if g >= expand_enter:
        return BS_EXPANSION
    if g <= contract_enter:
        return BS_CONTRACTION
    return BS_PLATEAU


def balance_sheet_ref(
    growth, expand_enter, expand_exit, contract_enter, contract_exit, min_dwell_days
):
    """Reference of :func:`engine.regimes.nb.balance_sheet_nb` (same loop, plain Python)."""
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


def net_liquidity_ref(change_bn, band_bn):
    """Reference of :func:`engine.regimes.nb.net_liquidity_nb` (same loop, plain Python)."""
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


def cycle_high_ref(upper, lower, y10):
    """Reference of :func:`engine.regimes.nb.cycle_high_nb` (same loop, plain Python)."""
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


def phase_trace_ref(
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
):
    """Reference of :func:`engine.regimes.nb.phase_trace_nb` (same loop, plain Python)."""
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
):
    """Reference of :func:`engine.regimes.nb.phase_nb` (same loop, plain Python)."""
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


def _parity() -> dict:
    from engine.regimes import nb

    return {
        "balance_sheet": (nb.balance_sheet_nb, balance_sheet_ref),
        "net_liquidity": (nb.net_liquidity_nb, net_liquidity_ref),
        "cycle_high": (nb.cycle_high_nb, cycle_high_ref),
        "phase": (nb.phase_nb, phase_ref),
        "phase_trace": (nb.phase_trace_nb, phase_trace_ref),
    }


PARITY: dict = _parity()
"""Kernel name -> (numba kernel, plain-Python reference): one table for tests and benchmarks."""
