"""The pandas face of the regime kernels: validate, call the kernels once, label the result.

String enums (:mod:`strategies.regimes`) at this API, int8 codes inside the kernels.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np
import pandas as pd

from data.errors import MissingDataError, ParameterError
from data.manifest import INDEX_ID
from data.panel import trading_days
from data.store import Store
from engine import features as F
from engine.regimes.nb import balance_sheet_nb, net_liquidity_nb, phase_nb, phase_trace_nb
from strategies.regimes import (
    REGIME_ENUMS,
    BalanceSheetParams,
    NetLiquidityParams,
    PolicyParams,
    RegimeParams,
)

REGIME_NAMES: tuple[str, ...] = tuple(REGIME_ENUMS)
"""``balance_sheet``, ``net_liquidity``, ``phase``: the regime columns of :func:`regime_frame`."""


def _f64(x: object, name: str) -> np.ndarray:
    a = np.ascontiguousarray(np.asarray(x, dtype=np.float64))
    if a.ndim != 1:
        raise ParameterError(f"{name}: expected a 1-d array (time on axis 0), got shape {a.shape}")
    return a


def _need(params: object, cls: type, name: str) -> None:
    if not isinstance(params, cls):
        raise ParameterError(f"{name} = {params!r}: expected a {cls.__name__}")


def balance_sheet_codes(growth: np.ndarray, params: BalanceSheetParams) -> np.ndarray:
    """Balance-sheet regime codes (int8 array of shape (n_days,)) from daily growth.

    See :func:`engine.regimes.nb.balance_sheet_nb` for the rules.
    """
    _need(params, BalanceSheetParams, "params")
    return balance_sheet_nb(
        _f64(growth, "growth"),
        params.expand_enter,
        params.expand_exit,
        params.contract_enter,
        params.contract_exit,
        params.min_dwell_days,
    )


def net_liquidity_codes(change_bn: np.ndarray, params: NetLiquidityParams) -> np.ndarray:
    """Net-liquidity regime codes (int8 array of shape (n_days,)) from the daily change ($bn)."""
    _need(params, NetLiquidityParams, "params")
    return net_liquidity_nb(_f64(change_bn, "change_bn"), params.band_bn)


def _phase_args(upper, lower, y10, sahm, day_number, params: PolicyParams) -> tuple:
    _need(params, PolicyParams, "params")
    arrays = [_f64(upper, "upper"), _f64(lower, "lower"), _f64(y10, "y10"), _f64(sahm, "sahm")]
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


def regime_codes(
    features: pd.DataFrame, params: RegimeParams | None = None
) -> dict[str, np.ndarray]:
    """The three regimes' int8 codes from a :func:`~engine.features.feature_frame`.

    Returns
    -------
    dict ``regime name -> int8 array of shape (n_days,)``.
    """
    params = params if params is not None else RegimeParams()
    _need(params, RegimeParams, "params")
    f = features
    return {
        "balance_sheet": balance_sheet_codes(f["bs_growth"].to_numpy(), params.balance_sheet),
        "net_liquidity": net_liquidity_codes(
            f["net_liquidity_change_bn"].to_numpy(), params.net_liquidity
        ),
        "phase": phase_codes(
            f["policy_upper"].to_numpy(),
            f["policy_lower"].to_numpy(),
            f["y10"].to_numpy(),
            f["sahm"].to_numpy(),
            F.day_numbers(f.index),
            params.policy,
        ),
    }


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
    :data:`~strategies.regimes.FEATURE_NAMES`, ``GSPC`` (the close), the regimes
    ``balance_sheet``, ``net_liquidity``, ``phase`` (enum strings) and their int8 codes
    ``balance_sheet_code``, ``net_liquidity_code``, ``phase_code``. ``attrs`` carries the
    feature frame's ``unavailable`` and ``rrp_source`` and the ``params``.
    """
    params = params if params is not None else RegimeParams()
    _need(params, RegimeParams, "params")
    store = store if store is not None else Store()
    wanted = trading_days(start, end, store=store)
    days = trading_days(None, wanted[-1], store=store)
    feats = F.feature_frame(store, days, params)
    codes = regime_codes(feats, params)
    out = feats.copy()
    out[INDEX_ID] = store.asof(INDEX_ID, days)["value"].to_numpy()
    for name in REGIME_NAMES:
        out[name] = labels(codes[name], REGIME_ENUMS[name])
    for name in REGIME_NAMES:
        out[f"{name}_code"] = codes[name]
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


_GROUPS = {
    "balance_sheet": BalanceSheetParams,
    "net_liquidity": NetLiquidityParams,
    "policy": PolicyParams,
}


def _parse_value(text: str, kind: str, key: str) -> object:
    t = text.strip()
    if kind == "int":
        try:
            return int(t)
        except ValueError:
            raise ParameterError(f"{key} = {text!r}: expected an integer") from None
    if kind == "float":
        try:
            return float(t)
        except ValueError:
            raise ParameterError(f"{key} = {text!r}: expected a number") from None
    if kind == "bool":
        low = t.lower()
        if low in ("true", "1", "yes", "on"):
            return True
        if low in ("false", "0", "no", "off"):
            return False
        raise ParameterError(f"{key} = {text!r}: expected true or false")
    return t


def params_with(params: RegimeParams, overrides: dict[str, object]) -> RegimeParams:
    """``params`` with dotted overrides, e.g. ``{"balance_sheet.window_weeks": 26}``.

    Values may be strings (parsed by the field's type, as the CLI passes them) or values
    of the field's type. Unknown keys and invalid values raise
    :class:`~data.errors.ParameterError` naming the key or field.
    """
    from dataclasses import fields, replace

    groups = {name: getattr(params, name) for name in _GROUPS}
    for key, value in overrides.items():
        group, _, field = key.partition(".")
        if group not in _GROUPS:
            raise ParameterError(
                f"regime parameter {key!r}: unknown group {group!r}; expected one of "
                f"{', '.join(_GROUPS)} (e.g. balance_sheet.window_weeks=26)"
            )
        known = {
            f.name: (f.type if isinstance(f.type, str) else f.type.__name__)
            for f in fields(_GROUPS[group])
        }
        if field not in known:
            raise ParameterError(
                f"regime parameter {key!r}: unknown field {field!r}; expected one of "
                f"{', '.join(known)}"
            )
        v = _parse_value(value, known[field], key) if isinstance(value, str) else value
        groups[group] = replace(groups[group], **{field: v})
    return RegimeParams(**groups)
