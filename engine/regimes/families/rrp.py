"""ON RRP family, engine side: the overnight reverse repo balance -> BUILDING / FLAT / DRAINING /
DEPLETED (the note's second drain: money-market cash parked at the Fed).

Inputs: ``on_rrp_smooth_bn`` (RRPONTSYD as known each day, 0 without an operation within a
week, unknown before the first observation is public, smoothed by a trailing median over ``smooth_days``) and ``on_rrp_change_bn`` (its change
over ``window_days`` trading days), both from :func:`engine.features.rrp_smoothed`; the kernel
is :func:`engine.regimes.rrp_nb.rrp_nb`. Before the first RRPONTSYD observation (2003-02 in
the bundled data) the regime reads UNKNOWN; from then until the daily facility (2013) the level
reads 0 between the occasional operations and the regime DEPLETED (see :class:`strategies.regimes.RrpParams`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from data.store import Store
from engine import features as F
from engine.regimes.families import f64, need, same_length
from engine.regimes.rrp_nb import RRP_DEPLETED, RRP_UNKNOWN, rrp_nb, rrp_ref
from strategies.regimes import RRP, RrpParams

INPUT_FIELDS: tuple[str, ...] = ("smooth_days", "window_days")
WINDOWED: tuple[str, ...] = ("on_rrp_smooth_bn", "on_rrp_change_bn")


def rrp_codes(level_bn: np.ndarray, change_bn: np.ndarray, params: RrpParams) -> np.ndarray:
    """ON RRP regime codes (int8 array of shape (n_days,)); see :func:`engine.regimes.rrp_nb.rrp_ref`."""
    need(params, RrpParams, "params")
    arrays = {"level_bn": f64(level_bn, "level_bn"), "change_bn": f64(change_bn, "change_bn")}
    same_length(arrays)
    return rrp_nb(
        arrays["level_bn"],
        arrays["change_bn"],
        params.band_bn,
        params.floor_bn,
        params.floor_exit_bn,
        params.min_dwell_days,
    )


def inputs(store: Store, days: pd.DatetimeIndex, params: RrpParams) -> dict[str, np.ndarray]:
    """The smoothed ON RRP level and its change over the window, as known each day."""
    smooth, change = F.rrp_smoothed(
        F.on_rrp_level(store, days), params.smooth_days, params.window_days
    )
    return {"on_rrp_smooth_bn": smooth, "on_rrp_change_bn": change}


def codes(inputs: Mapping[str, np.ndarray], params: RrpParams) -> np.ndarray:
    """The regime codes from :func:`inputs` (or the feature frame's columns)."""
    return rrp_codes(inputs["on_rrp_smooth_bn"], inputs["on_rrp_change_bn"], params)


def start_reason(params: RrpParams) -> str:
    return (
        f"the ON RRP regime needs {params.smooth_days} + {params.window_days} trading days of "
        "history (RRPONTSYD; 0 before any operation)"
    )


def _bn(x: float) -> str:
    return f"-${-x:,.1f}bn" if x < 0 else f"${x:,.1f}bn"


def _why(state: str, level: float, change: float, p: RrpParams) -> str:
    """The rule that holds today, in words."""
    if state == "UNKNOWN":
        return (
            f"warm-up: fewer than {p.smooth_days} + {p.window_days} trading days of ON RRP history"
        )
    over = f"over {p.window_days} trading days"
    if state == "DEPLETED":
        if level < p.floor_bn:
            return (
                f"level {_bn(level)} < floor_bn {p.floor_bn:g}bn: the buffer is gone, QT drains "
                f"reserves directly (ends above floor_exit_bn {p.floor_exit_bn:g}bn)"
            )
        return (
            f"level {_bn(level)} back above floor_bn {p.floor_bn:g}bn but not above "
            f"floor_exit_bn {p.floor_exit_bn:g}bn (or the dwell of {p.min_dwell_days} days "
            "holds it): still DEPLETED"
        )
    if level < p.floor_bn:
        floor = f"; level {_bn(level)} < floor_bn but the dwell of {p.min_dwell_days} days holds"
    else:
        floor = f"; level {_bn(level)} above floor_bn {p.floor_bn:g}bn"
    if state == "DRAINING":
        rel = f"fell {_bn(-change)} {over} (< -band_bn {p.band_bn:g}bn)"
    elif state == "BUILDING":
        rel = f"rose {_bn(change)} {over} (> band_bn {p.band_bn:g}bn)"
    else:
        rel = f"changed {change:+,.1f}bn {over}, within the dead band +/-{p.band_bn:g}bn"
    return f"ON RRP ({p.smooth_days}-day median) {rel}{floor}"


def explain(frame: pd.DataFrame, t: int, params: RrpParams, store: Store) -> dict[str, Any]:
    """The ON RRP section of ``runoff explain``: regime, since when, why, and its inputs."""
    codes_ = frame["rrp_code"].to_numpy()
    s = t
    while s > 0 and codes_[s - 1] == codes_[t]:
        s -= 1
    state = str(frame["rrp"].iloc[t])
    level = float(frame["on_rrp_smooth_bn"].iloc[t])
    change = float(frame["on_rrp_change_bn"].iloc[t])
    day = frame.index[t]
    op = store.asof("RRPONTSYD", pd.DatetimeIndex([day]))["obs_date"].iloc[0]

    def num(x: float) -> float | None:
        return None if math.isnan(x) else round(x, 3)

    return {
        "regime": state,
        "since": None if state == "UNKNOWN" else frame.index[s].date().isoformat(),
        "why": _why(state, level, change, params),
        "level_bn": num(float(frame["on_rrp_bn"].iloc[t])),
        "last_operation": None if pd.isna(op) else pd.Timestamp(op).date().isoformat(),
        "smooth_bn": num(level),
        "smooth_days": params.smooth_days,
        "change_bn": num(change),
        "window_days": params.window_days,
        "band_bn": params.band_bn,
        "floor_bn": params.floor_bn,
        "floor_exit_bn": params.floor_exit_bn,
    }


def render(section: Mapping[str, Any]) -> list[str]:
    """The text lines of the ON RRP section."""
    e = section

    def bn(x: float | None) -> str:
        return "n/a" if x is None else _bn(x)

    since = f" since {e['since']}" if e["since"] else ""
    return [
        f"ON RRP: {e['regime']}{since}",
        f"  why: {e['why']}",
        f"  ON RRP             {bn(e['level_bn'])} (last operation {e['last_operation'] or 'none yet'}); "
        f"{e['smooth_days']}-day median {bn(e['smooth_bn'])}",
        f"  change             {bn(e['change_bn'])} over {e['window_days']} trading days "
        f"(band +/-{e['band_bn']:g}bn; floor {e['floor_bn']:g}bn, exit above "
        f"{e['floor_exit_bn']:g}bn)",
    ]


# ---------------------------------------------------------------- parity (engine/parity.py)


def _example(rng: np.random.Generator, n: int) -> tuple:
    level = np.abs(400 + np.cumsum(rng.normal(0, 60, n)))
    level[rng.random(n) < 0.05] = np.nan
    change = np.full(n, np.nan)
    k = int(rng.integers(1, 20))
    change[k:] = level[k:] - level[:-k]
    floor = float(rng.choice([50.0, 100.0, 300.0]))
    return level, change, float(rng.choice([0.0, 50.0, 100.0])), floor, floor + 100.0, 5


def _bands_example(rng: np.random.Generator, n: int) -> tuple:
    level, change, band, floor, _, _ = _example(rng, n)
    return level, change, band, floor, floor, 0


def bands_oracle(
    level_bn: np.ndarray, change_bn: np.ndarray, band_bn: float, floor_bn: float, *_: Any
) -> np.ndarray:
    """Oracle without hysteresis or dwell (exit level == floor, dwell 0): each known day's
    class as np.select, unknown days carried forward by pandas."""
    x, c = pd.Series(level_bn), pd.Series(change_bn)
    lab = np.select(
        [x < floor_bn, c > band_bn, c < -band_bn],
        [RRP_DEPLETED, RRP.BUILDING.code, RRP.DRAINING.code],
        RRP.FLAT.code,
    )
    known = (x.notna() & c.notna()).to_numpy()
    s = pd.Series(np.where(known, lab, np.nan))
    return s.ffill().fillna(RRP_UNKNOWN).to_numpy(dtype=np.int8)


PARITY = (
    {
        "name": "rrp",
        "kernel": rrp_nb,
        "reference": rrp_ref,
        "example": _example,
        "oracle": bands_oracle,
        "oracle_example": _bands_example,
    },
)
"""This family's entries of :data:`engine.parity.PARITY` (as keyword arguments of
:class:`engine.parity.Parity`)."""
