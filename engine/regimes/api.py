"""The pandas face of the regime kernels: validate, call the kernels once, label the result.

String enums (:mod:`strategies.regimes`) at this API, int8 codes inside the kernels. Every
family of the registry (:data:`strategies.families.FAMILIES`) gets its columns in
:func:`regime_frame` through its engine module (:mod:`engine.regimes.families`); the
per-family wrappers (``balance_sheet_codes``, ``phase_trace``, ...) live there and are
re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

import numpy as np
import pandas as pd

from data.errors import MissingDataError, ParameterError
from data.manifest import INDEX_ID
from data.panel import trading_days
from data.store import Store
from engine import features as F
from engine.regimes.families import engine_of, need
from engine.regimes.families.balance_sheet import balance_sheet_codes
from engine.regimes.families.net_liquidity import net_liquidity_codes
from engine.regimes.families.phase import PhaseTrace, phase_codes, phase_trace
from strategies.families import FAMILIES, NAMES, RegimeParams
from strategies.keys import replace_regimes

REGIME_NAMES: tuple[str, ...] = NAMES
"""The regime columns of :func:`regime_frame`: every family of the registry, in its order."""

__all__ = [
    "REGIME_NAMES",
    "PhaseTrace",
    "balance_sheet_codes",
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


def regime_codes(
    features: pd.DataFrame | Mapping[str, np.ndarray], params: RegimeParams | None = None
) -> dict[str, np.ndarray]:
    """Every family's int8 codes from a :func:`~engine.features.feature_frame`.

    Returns
    -------
    dict ``regime name -> int8 array of shape (n_days,)``, in registry order.
    """
    params = params if params is not None else RegimeParams()
    need(params, RegimeParams, "params")
    if isinstance(features, pd.DataFrame):
        cols: dict[str, np.ndarray] = {c: features[c].to_numpy() for c in features.columns}
        cols["day_number"] = F.day_numbers(pd.DatetimeIndex(features.index))
    else:
        cols = dict(features)
    return {f.name: engine_of(f).codes(cols, params.of(f)) for f in FAMILIES}


def labels(codes: np.ndarray, enum: type[Enum]) -> np.ndarray:
    """Enum string values for int codes: object array of the same shape."""
    names = np.array([m.value for m in enum], dtype=object)
    c = np.asarray(codes)
    if len(c) and (c.min() < 0 or c.max() >= len(names)):
        raise ParameterError(f"codes: values outside 0..{len(names) - 1} for {enum.__name__}")
    return names[c.astype(np.intp)]


def regime_frame(
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    params: RegimeParams | None = None,
    *,
    store: Store | None = None,
) -> pd.DataFrame:
    """Features and regimes on S&P 500 trading days, as known at each day's 16:00 ET.

    Parameters
    ----------
    start, end : inclusive date range (default: the whole index history). The regimes'
        warm-up uses all history before ``start``, so a row does not depend on ``start``.
    params : regime parameters (default :class:`~strategies.regimes.RegimeParams`).
    store : the point-in-time store (default: a new :class:`~data.store.Store`).

    Returns
    -------
    DataFrame indexed by trading day (``date``): every column of
    :data:`~strategies.regimes.FEATURE_NAMES`, ``GSPC`` (the close), one column per regime
    family of the registry (``balance_sheet``, ``net_liquidity``, ``phase``, ...: enum
    strings) and then their int8 codes (``balance_sheet_code``, ...). ``attrs`` carries the
    feature frame's ``unavailable`` and ``rrp_source`` and the ``params``.
    """
    params = params if params is not None else RegimeParams()
    need(params, RegimeParams, "params")
    store = store if store is not None else Store()
    wanted = trading_days(start, end, store=store)
    days = trading_days(None, wanted[-1], store=store)
    feats = F.feature_frame(store, days, params)
    codes = regime_codes(feats, params)
    out = feats.copy()
    out[INDEX_ID] = store.asof(INDEX_ID, days)["value"].to_numpy()
    for f in FAMILIES:
        out[f.name] = labels(codes[f.name], f.enum)
    for f in FAMILIES:
        out[f"{f.name}_code"] = codes[f.name]
    out.index.name = "date"
    out = out.loc[wanted[0] :]
    out.attrs.update(feats.attrs)
    out.attrs["params"] = params
    return out


def resample_codes(codes: pd.Series, freq: str | None) -> pd.Series:
    """Each day takes the last value of its week (``W``) or month (``M``); ``None``/``D`` = as is.

    Parameters
    ----------
    codes : a daily series indexed by trading day.
    freq : ``D``, ``W`` or ``M`` (case-insensitive) or None.
    """
    if freq is None or freq.upper() == "D":
        return codes
    f = freq.upper()
    if f not in ("W", "M"):
        raise ParameterError(f"freq = {freq!r}: expected D, W or M")
    idx = pd.DatetimeIndex(codes.index)
    key = idx.to_period("W-SUN" if f == "W" else "M")
    last = codes.groupby(key).transform("last")
    return last


def regime_spans(frame: pd.DataFrame, freq: str | None = None) -> pd.DataFrame:
    """The regime timeline as spans of consecutive trading days in one regime.

    Parameters
    ----------
    frame : a :func:`regime_frame` result.
    freq : resample the daily regimes first (``W`` / ``M``: the last value of each week or
        month stands for all its days); None or ``D`` keeps them daily.

    Returns
    -------
    DataFrame with one row per span: ``kind`` (regime name), ``regime`` (enum string),
    ``start``, ``end`` (trading days), ``days`` (length in trading days); ordered by kind
    then start.
    """
    if len(frame) == 0:
        raise MissingDataError("regime_spans: the regime frame is empty")
    rows = []
    for name in REGIME_NAMES:
        s = resample_codes(frame[name], freq)
        v = s.to_numpy()
        idx = pd.DatetimeIndex(s.index)
        starts = np.flatnonzero(np.r_[True, v[1:] != v[:-1]])
        ends = np.r_[starts[1:], len(v)]
        for i, j in zip(starts, ends, strict=True):
            rows.append((name, str(v[i]), idx[i], idx[j - 1], int(j - i)))
    return pd.DataFrame(rows, columns=["kind", "regime", "start", "end", "days"])


def params_with(params: RegimeParams, overrides: Mapping[str, object]) -> RegimeParams:
    """``params`` with dotted overrides, e.g. ``{"balance_sheet.window_weeks": 26}``.

    Values may be text (read as TOML values by :func:`strategies.keys.read_text`, as the CLI
    passes them) or values of the field's type. Unknown keys and invalid values raise
    :class:`~data.errors.ParameterError` naming the dotted key (``err.key``).
    """
    out: RegimeParams = replace_regimes(params, overrides)
    return out
