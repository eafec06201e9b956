"""Policy and yield phase family, engine side: target range, 10y and Sahm rule -> the phase.

Inputs: ``policy_upper``, ``policy_lower`` (the spliced target range), ``y10``, ``sahm`` and
the calendar ``day_number`` of each row; the kernel is :func:`engine.regimes.nb.phase_nb`
(:func:`phase_trace` keeps the state behind each decision). Its parameter group is
``policy``; its ``runoff explain`` section is built by :mod:`engine.regimes.explain`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from data.errors import ParameterError
from data.store import Store
from engine import features as F
from engine.regimes.families import f64, need
from engine.regimes.nb import phase_nb, phase_trace_nb
from strategies.regimes import PolicyParams

INPUT_FIELDS: tuple[str, ...] = ()
WINDOWED: tuple[str, ...] = ()


def _phase_args(upper, lower, y10, sahm, day_number, params: PolicyParams) -> tuple:
    need(params, PolicyParams, "params")
    arrays = [f64(upper, "upper"), f64(lower, "lower"), f64(y10, "y10"), f64(sahm, "sahm")]
    dn = np.ascontiguousarray(np.asarray(day_number, dtype=np.int64))
    n = len(arrays[0])
    for name, a in zip(("lower", "y10", "sahm", "day_number"), [*arrays[1:], dn], strict=True):
        if len(a) != n:
            raise ParameterError(f"{name}: length {len(a)} differs from upper's {n}")
    return (
        *arrays,
        dn,
        params.hike_memory_days,
        params.cut_memory_days,
        params.y10_drop,
        params.below_range,
        params.sahm_threshold,
        params.intermeeting_days,
        params.fast_cut_bp,
        params.fast_cut_days,
    )


def phase_codes(
    upper: np.ndarray,
    lower: np.ndarray,
    y10: np.ndarray,
    sahm: np.ndarray,
    day_number: np.ndarray,
    params: PolicyParams,
) -> np.ndarray:
    """Policy/yield phase codes (int8 array of shape (n_days,)); see :func:`~engine.regimes.nb.phase_nb`."""
    return phase_nb(*_phase_args(upper, lower, y10, sahm, day_number, params))


@dataclass(frozen=True)
class PhaseTrace:
    """The phase kernel's state behind each day's decision (arrays of shape (n_days,)).

    Rows (``last_hike``, ``last_cut``, ``cycle_start``) are positions in the input, -1 = none.
    ``rec_why`` is a bit mask: 1 Sahm rule, 2 inter-meeting cut, 4 cuts piling up.
    """

    codes: np.ndarray
    last_hike: np.ndarray
    last_cut: np.ndarray
    cycle_start: np.ndarray
    cycle_high: np.ndarray
    rec_why: np.ndarray
    cut_sum_bp: np.ndarray


def phase_trace(
    upper: np.ndarray,
    lower: np.ndarray,
    y10: np.ndarray,
    sahm: np.ndarray,
    day_number: np.ndarray,
    params: PolicyParams,
) -> PhaseTrace:
    """The phase codes with the state behind them (for ``runoff explain``)."""
    return PhaseTrace(*phase_trace_nb(*_phase_args(upper, lower, y10, sahm, day_number, params)))


def inputs(store: Store, days: pd.DatetimeIndex, params: PolicyParams) -> dict[str, np.ndarray]:
    """The policy range, 10y, Sahm rule and calendar day numbers, as known each day."""
    upper, lower, y10, sahm = F.policy_inputs(store, days)
    return {
        "policy_upper": upper,
        "policy_lower": lower,
        "y10": y10,
        "sahm": sahm,
        "day_number": F.day_numbers(days),
    }


def codes(inputs: Mapping[str, np.ndarray], params: PolicyParams) -> np.ndarray:
    """The regime codes from :func:`inputs` (or the feature frame's columns + day numbers)."""
    return phase_codes(
        inputs["policy_upper"],
        inputs["policy_lower"],
        inputs["y10"],
        inputs["sahm"],
        inputs["day_number"],
        params,
    )


def start_reason(params: PolicyParams) -> str:
    return "the policy phase needs the target rate, the 10y yield and the Sahm rule"


def explain(frame: pd.DataFrame, t: int, params: Any, store: Store) -> dict[str, Any] | None:
    """None: :mod:`engine.regimes.explain` builds the policy section."""
    return None


def render(section: Mapping[str, Any]) -> list[str]:
    return []
