"""Balance-sheet family, engine side: SOMA (or WALCL) growth -> EXPANSION / PLATEAU / CONTRACTION.

Inputs: ``bs_growth`` (annualised log growth over ``window_weeks`` weekly H.4.1
observations, carried to trading days by its release) and ``bs_pace_bn_month``; the kernel
is :func:`engine.regimes.nb.balance_sheet_nb`. Its ``runoff explain`` section is built by
:mod:`engine.regimes.explain`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from data.store import Store
from engine import features as F
from engine.regimes.families import f64, need
from engine.regimes.nb import balance_sheet_nb
from strategies.regimes import BalanceSheetParams

INPUT_FIELDS: tuple[str, ...] = ("measure", "window_weeks")
WINDOWED: tuple[str, ...] = ("bs_growth", "bs_pace_bn_month")


def balance_sheet_codes(growth: np.ndarray, params: BalanceSheetParams) -> np.ndarray:
    """Balance-sheet regime codes (int8 array of shape (n_days,)) from daily growth.

    See :func:`engine.regimes.nb.balance_sheet_nb` for the rules.
    """
    need(params, BalanceSheetParams, "params")
    return balance_sheet_nb(
        f64(growth, "growth"),
        params.expand_enter,
        params.expand_exit,
        params.contract_enter,
        params.contract_exit,
        params.min_dwell_days,
    )


def inputs(
    store: Store, days: pd.DatetimeIndex, params: BalanceSheetParams
) -> dict[str, np.ndarray]:
    """``bs_growth`` and ``bs_pace_bn_month`` of the measure over the window, as known each day."""
    gr = F.weekly_growth(F.measure_weekly(store, params.measure), params.window_weeks)
    return {
        "bs_growth": F.carry(gr, "growth", days),
        "bs_pace_bn_month": F.carry(gr, "pace", days),
    }


def codes(inputs: Mapping[str, np.ndarray], params: BalanceSheetParams) -> np.ndarray:
    """The regime codes from :func:`inputs` (or the feature frame's columns)."""
    return balance_sheet_codes(inputs["bs_growth"], params)


def start_reason(params: BalanceSheetParams) -> str:
    what = "SOMA (Treasuries + MBS)" if params.measure == "soma" else "WALCL"
    return f"balance-sheet growth needs {params.window_weeks} weeks of {what} history"


def explain(frame: pd.DataFrame, t: int, params: Any, store: Store) -> dict[str, Any] | None:
    """None: :mod:`engine.regimes.explain` builds the balance-sheet section."""
    return None


def render(section: Mapping[str, Any]) -> list[str]:
    return []
