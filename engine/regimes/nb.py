"""Regime state machines as numba kernels (numba and NumPy only).

Every kernel takes float64 / int64 arrays with time on axis 0 (one row per trading day)
and scalars, and returns int8 regime codes (the positions of the enum members in
:mod:`strategies.regimes`; 0 = ``UNKNOWN``). A row whose input is NaN holds the previous
state (``UNKNOWN`` before the first valid value). Inputs at row ``t`` must already be
point-in-time (known at that day's 16:00 ET decision): the kernels only ever look back,
so the output at ``t`` depends on rows ``0..t`` alone (lag 0 on their inputs).

Each loop is written once, in plain typed Python, in :mod:`engine.regimes.reference`
(``*_ref``, whose docstrings state the rules, what they require, produce and their lag);
the kernels here are those same functions compiled with numba (``cache=True``), the house
pattern of :mod:`engine.allocation_nb`. A test of kernel == reference checks the
compilation, and the independent oracles in the tests check the rules. Helpers a loop
calls (``_bs_enter``, ``phase_trace_ref`` inside ``phase_ref``) are ``register_jitable``
in the reference module, so a kernel calls compiled code. They sit in the same file as the
loops because numba's cache is keyed on that file: it would not notice an edit to a helper
in another module (delete the ``*.nbi`` / ``*.nbc`` files after such an edit).

The regime codes and ``RATE_EPS`` are defined beside the loops and re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numba import njit

from engine.regimes.reference import (
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
    balance_sheet_ref,
    cycle_high_ref,
    net_liquidity_ref,
    phase_ref,
    phase_trace_ref,
)

__all__ = [
    "BS_CONTRACTION",
    "BS_EXPANSION",
    "BS_PLATEAU",
    "BS_UNKNOWN",
    "NL_DOWN",
    "NL_FLAT",
    "NL_UNKNOWN",
    "NL_UP",
    "PH_CUTTING",
    "PH_CUTTING_RECESSION",
    "PH_FIRST_HALF",
    "PH_HIKING",
    "PH_HOLD",
    "PH_NEUTRAL",
    "PH_UNKNOWN",
    "RATE_EPS",
    "REC_FAST",
    "REC_INTERMEETING",
    "REC_SAHM",
    "balance_sheet_nb",
    "cycle_high_nb",
    "net_liquidity_nb",
    "phase_nb",
    "phase_trace_nb",
]


def _compiled(ref: Callable) -> Callable:
    """``njit(cache=True)(ref)``, named after the kernel (``*_ref`` -> ``*_nb``)."""
    kernel: Any = njit(cache=True)(ref)
    kernel.__name__ = kernel.__qualname__ = ref.__name__.removesuffix("_ref") + "_nb"
    return kernel


balance_sheet_nb = _compiled(balance_sheet_ref)
net_liquidity_nb = _compiled(net_liquidity_ref)
cycle_high_nb = _compiled(cycle_high_ref)
phase_trace_nb = _compiled(phase_trace_ref)
phase_nb = _compiled(phase_ref)
