"""Regime engine: point-in-time features -> numba state machines -> labelled regimes.

``regime_frame(start, end, params, store=store)`` is the entry point; the kernels live in
:mod:`engine.regimes.nb` (with plain-Python references in :mod:`engine.regimes.reference`)
and the explanation of one day in :mod:`engine.regimes.explain`.
"""

from engine.regimes.api import (
    REGIME_NAMES,
    PhaseTrace,
    balance_sheet_codes,
    labels,
    net_liquidity_codes,
    params_with,
    phase_codes,
    phase_trace,
    regime_codes,
    regime_frame,
    regime_spans,
    resample_codes,
)
from engine.regimes.explain import explain

__all__ = [
    "REGIME_NAMES",
    "PhaseTrace",
    "balance_sheet_codes",
    "explain",
    "labels",
    "net_liquidity_codes",
    "params_with",
    "phase_codes",
    "phase_trace",
    "regime_codes",
    "regime_frame",
    "regime_spans",
    "resample_codes",
]
