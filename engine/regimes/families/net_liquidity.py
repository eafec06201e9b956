"""Net-liquidity family, engine side: the change of WALCL - TGA - reverse repos -> UP / FLAT / DOWN.

Input: ``net_liquidity_change_bn`` (change over ``window_weeks`` Wednesdays, $bn, carried to
trading days by the H.4.1 release); the kernel is :func:`engine.regimes.nb.net_liquidity_nb`.
Its ``runoff explain`` section is built by :mod:`engine.regimes.explain`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from data.store import Store
from engine import features as F
from engine.regimes.families import f64, need
from engine.regimes.nb import net_liquidity_nb
from strategies.regimes import NetLiquidityParams

INPUT_FIELDS: tuple[str, ...] = ("window_weeks",)
WINDOWED: tuple[str, ...] = ("net_liquidity_change_bn",)


def net_liquidity_codes(change_bn: np.ndarray, params: NetLiquidityParams) -> np.ndarray:
    """Net-liquidity regime codes (int8 array of shape (n_days,)) from the daily change ($bn)."""
    need(params, NetLiquidityParams, "params")
    return net_liquidity_nb(f64(change_bn, "change_bn"), params.band_bn)


def inputs(
    store: Store, days: pd.DatetimeIndex, params: NetLiquidityParams
) -> dict[str, np.ndarray]:
    """``net_liquidity_change_bn`` over the window, as known each day."""
    weekly = F.weekly_change(F.net_liquidity_weekly(store), params.window_weeks)
    return {"net_liquidity_change_bn": F.carry(weekly, "change", days)}


def codes(inputs: Mapping[str, np.ndarray], params: NetLiquidityParams) -> np.ndarray:
    """The regime codes from :func:`inputs` (or the feature frame's columns)."""
    return net_liquidity_codes(inputs["net_liquidity_change_bn"], params)


def start_reason(params: NetLiquidityParams) -> str:
    return (
        f"the net-liquidity regime needs {params.window_weeks} weeks of WALCL, TGA and "
        "reverse-repo history"
    )


def explain(frame: pd.DataFrame, t: int, params: Any, store: Store) -> dict[str, Any] | None:
    """None: :mod:`engine.regimes.explain` builds the net-liquidity section."""
    return None


def render(section: Mapping[str, Any]) -> list[str]:
    return []
