"""Point-in-time daily features: what the regime engine knows at each day's 16:00 ET.

Every feature is computed at its series' own frequency (weekly H.4.1 Wednesdays, daily
H.15 yields, monthly Sahm rule, quarterly GDP) and then carried to the trading days by
the ``available_at`` of the newest observation it uses (:func:`data.pit.asof`), never
forward-filled from the observation date. A Wednesday's growth, for example, becomes
visible on the Friday after the Thursday 16:30 H.4.1 release.

Units: money in $bn (the manifest's ``to_bn``), rates and yields in percent, growth as
an annualised fraction (0.30 = +30%/yr), ratios as fractions. NBER dates (USREC) are
never used.

Derived weekly features use each observation's first release when a file holds ALFRED
vintages (several rows per date): the first release is what was known when it came out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.errors import MissingDataError, ParameterError
from data.manifest import spec
from data.pit import asof, asof_positions
from data.release import decision_times
from data.store import Store
from engine.regimes.nb import cycle_high_nb
from strategies.families import RegimeParams
from strategies.regimes import FEATURE_NAMES, MEASURES

WEEKS_PER_MONTH = 52.0 / 12.0
"""Weeks in an average month, for the monthly pace of a weekly change."""

RRP_WEDNESDAY_DAYS = 4
"""ON RRP outstanding on Wednesday W = the latest operation on or before W within this many
calendar days (a holiday Wednesday uses Tuesday's operation); 0 if none (ON RRP had no
operations for long stretches before 2013)."""

RRP_DAILY_STALE_DAYS = 7
"""The daily ON RRP feature is 0 when the latest visible operation is older than this many
calendar days (covers weekends, holidays and the Good Friday gaps of 2014-2019)."""

SPLICE_DATE = pd.Timestamp("2008-12-16")
"""The single target DFEDTAR ends 2008-12-15; the range DFEDTARU/DFEDTARL starts here."""

BTFP_ID = "H41RESPPALDKNWW"
WLRRAL_ID = "WLRRAL"

FEATURE_SERIES: dict[str, tuple[str, ...]] = {
    "total_assets_bn": ("WALCL",),
    "soma_bn": ("TREAST", "WSHOMCB"),
    "net_liquidity_bn": ("WALCL", "WDTGAL", "RRPONTSYD", "WLRRAL"),
    "net_liquidity_change_bn": ("WALCL", "WDTGAL", "RRPONTSYD", "WLRRAL"),
    "bs_to_gdp": ("WALCL", "GDP"),
    "reserves_bn": ("WRESBAL",),
    "on_rrp_bn": ("RRPONTSYD",),
    "btfp_bn": ("H41RESPPALDKNWW",),
    "y10": ("DGS10",),
    "y2": ("DGS2",),
    "policy_upper": ("DFEDTARU",),
    "policy_lower": ("DFEDTARL",),
    "dff": ("DFF",),
    "y10_cycle_high": ("DGS10",),
    "y10_drawdown": ("DGS10",),
    "y10_minus_upper": ("DGS10", "DFEDTARU"),
    "y10_minus_lower": ("DGS10", "DFEDTARL"),
    "y10_minus_y2": ("DGS10", "DGS2"),
    "sahm": ("SAHMREALTIME",),
    "tbill": ("DTB3",),
    "vix": ("VIXCLS",),
    "on_rrp_smooth_bn": ("RRPONTSYD",),
    "on_rrp_change_bn": ("RRPONTSYD",),
}
"""Feature -> the published series it is computed from (``signals --latest`` lists their
observation dates; :mod:`engine.staleness` checks them). The balance-sheet growth and pace
(``bs_growth``, ``bs_pace_bn_month``) read the series of the strategy's measure: see the
balance-sheet family's ``reads``."""


# ---------------------------------------------------------------- weekly building blocks


def first_releases(obs: pd.DataFrame) -> pd.DataFrame:
    """One row per ``obs_date`` (its first release), sorted by date.

    Parameters
    ----------
    obs : observations with ``obs_date``, ``value``, ``available_at`` (any order, possibly
        several vintages per date).
    """
    o = obs.sort_values(["obs_date", "available_at"], kind="stable")
    o = o.drop_duplicates("obs_date", keep="first")
    return o[["obs_date", "value", "available_at"]].reset_index(drop=True)


def weekly_bn(store: Store, series_id: str) -> pd.DataFrame:
    """A money series in $bn: ``obs_date``, ``value``, ``available_at`` (first releases)."""
    s = spec(series_id)
    if s.to_bn is None:
        raise ParameterError(
            f"series {series_id}: not a money series (units {s.units}); no $bn scale"
        )
    out = first_releases(store.observations(series_id))
    out["value"] = out["value"].to_numpy(dtype=np.float64) * s.to_bn
    return out


def _join_same_date(frames: list[pd.DataFrame], how: str = "inner") -> pd.DataFrame:
    """Join weekly frames on ``obs_date``: columns ``v0, v1, ...`` and the latest ``available_at``."""
    out = None
    for i, f in enumerate(frames):
        g = f.rename(columns={"value": f"v{i}", "available_at": f"a{i}"})
        out = g if out is None else out.merge(g, on="obs_date", how=how)
    assert out is not None
    acols = [f"a{i}" for i in range(len(frames))]
    out["available_at"] = out[acols].max(axis=1)
    return out.drop(columns=acols).sort_values("obs_date").reset_index(drop=True)


def soma_weekly(store: Store) -> pd.DataFrame:
    """SOMA holdings ($bn): Treasuries (TREAST) + MBS (WSHOMCB) held outright, same Wednesday.

    Returns
    -------
    DataFrame with ``obs_date``, ``value``, ``available_at`` (the later of the two releases).
    """
    j = _join_same_date([weekly_bn(store, "TREAST"), weekly_bn(store, "WSHOMCB")])
    j["value"] = j["v0"] + j["v1"]
    return j[["obs_date", "value", "available_at"]]


def measure_weekly(store: Store, measure: str) -> pd.DataFrame:
    """The balance-sheet measure ``soma`` (TREAST + WSHOMCB) or ``walcl`` (total assets), $bn."""
    if measure == "soma":
        return soma_weekly(store)
    if measure == "walcl":
        return weekly_bn(store, "WALCL")
    raise ParameterError(
        f"BalanceSheetParams.measure = {measure!r}: unknown measure; expected one of {MEASURES}"
    )


def _check_window(window_weeks: object, owner: str) -> int:
    if isinstance(window_weeks, bool) or not isinstance(window_weeks, int | np.integer):
        raise ParameterError(f"{owner}.window_weeks = {window_weeks!r}: expected an integer")
    if not 1 <= int(window_weeks) <= 520:
        raise ParameterError(f"{owner}.window_weeks = {window_weeks!r}: expected 1 to 520 weeks")
    return int(window_weeks)


def weekly_growth(weekly: pd.DataFrame, window_weeks: int) -> pd.DataFrame:
    """Annualised log growth and monthly pace over ``window_weeks`` weekly observations.

    ``growth_w = log(x_w / x_{w-k}) * 52 / k`` and ``pace_w = (x_w - x_{w-k}) / k * 52 / 12``
    ($bn per month), with ``k = window_weeks`` observations back (NaN for the first ``k``
    rows, and growth NaN where a level is not positive).

    Returns
    -------
    DataFrame with ``obs_date``, ``growth``, ``pace``, ``available_at`` (of the newest
    observation, ``x_w``), one row per weekly observation.
    """
    k = _check_window(window_weeks, "BalanceSheetParams")
    x = weekly["value"].to_numpy(dtype=np.float64)
    prev = np.full_like(x, np.nan)
    if len(x) > k:
        prev[k:] = x[:-k]
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = (x > 0) & (prev > 0)
        growth = np.where(ok, np.log(np.where(ok, x, 1.0) / np.where(ok, prev, 1.0)), np.nan)
    growth = growth * 52.0 / k
    pace = (x - prev) / k * WEEKS_PER_MONTH
    return pd.DataFrame(
        {
            "obs_date": weekly["obs_date"].to_numpy(),
            "growth": growth,
            "pace": pace,
            "available_at": weekly["available_at"].to_numpy(),
        }
    )


def rrp_on_wednesdays(store: Store, wednesdays: np.ndarray) -> pd.DataFrame:
    """ON RRP outstanding on each Wednesday ($bn), from the daily operations (RRPONTSYD).

    The latest operation on or before W within :data:`RRP_WEDNESDAY_DAYS` calendar days,
    else 0 (no operation: nothing outstanding overnight).

    Returns
    -------
    DataFrame with ``obs_date`` (= the Wednesdays), ``value``, ``available_at`` (of the
    operation used; NaT when 0 by absence) and ``op_date`` (NaT when 0 by absence).
    """
    ops = weekly_bn(store, "RRPONTSYD")
    od = ops["obs_date"].to_numpy(dtype="datetime64[ns]")
    w = np.asarray(wednesdays, dtype="datetime64[ns]")
    pos = np.searchsorted(od, w, side="right") - 1
    ok = pos >= 0
    age = np.full(len(w), np.inf)
    age[ok] = (w[ok] - od[pos[ok]]) / np.timedelta64(1, "D")
    use = ok & (age <= RRP_WEDNESDAY_DAYS)
    value = np.zeros(len(w))
    op_date = np.full(len(w), np.datetime64("NaT"), dtype="datetime64[ns]")
    avail = op_date.copy()
    value[use] = ops["value"].to_numpy()[pos[use]]
    op_date[use] = od[pos[use]]
    avail[use] = ops["available_at"].to_numpy(dtype="datetime64[ns]")[pos[use]]
    return pd.DataFrame({"obs_date": w, "value": value, "available_at": avail, "op_date": op_date})


def net_liquidity_weekly(store: Store) -> pd.DataFrame:
    """Net liquidity per Wednesday ($bn): WALCL - WDTGAL - reverse repos, all the same day.

    Reverse repos are WLRRAL (the H.4.1 Wednesday level) when the store has it, else the
    ON RRP operation of that Wednesday (:func:`rrp_on_wednesdays`).

    Returns
    -------
    DataFrame with ``obs_date``, ``value``, ``available_at`` (the latest of the inputs'),
    ``walcl``, ``tga``, ``rrp`` and ``rrp_source`` (``WLRRAL`` or ``RRPONTSYD``).
    """
    base = _join_same_date([weekly_bn(store, "WALCL"), weekly_bn(store, "WDTGAL")])
    if store.has(WLRRAL_ID):
        rr = weekly_bn(store, WLRRAL_ID)
        source = WLRRAL_ID
    else:
        rr = rrp_on_wednesdays(store, base["obs_date"].to_numpy())[
            ["obs_date", "value", "available_at"]
        ]
        source = "RRPONTSYD"
    rr = rr.rename(columns={"value": "rrp", "available_at": "rrp_at"})
    j = base.merge(rr, on="obs_date", how="inner")
    j["available_at"] = j[["available_at", "rrp_at"]].max(axis=1)
    out = pd.DataFrame(
        {
            "obs_date": j["obs_date"].to_numpy(),
            "value": (j["v0"] - j["v1"] - j["rrp"]).to_numpy(),
            "available_at": j["available_at"].to_numpy(),
            "walcl": j["v0"].to_numpy(),
            "tga": j["v1"].to_numpy(),
            "rrp": j["rrp"].to_numpy(),
        }
    )
    out["rrp_source"] = source
    return out


def weekly_change(weekly: pd.DataFrame, window_weeks: int) -> pd.DataFrame:
    """Change over ``window_weeks`` weekly observations: ``x_w - x_{w-k}`` (NaN for the first k).

    Returns
    -------
    DataFrame with ``obs_date``, ``change``, ``available_at`` (of ``x_w``).
    """
    k = _check_window(window_weeks, "NetLiquidityParams")
    x = weekly["value"].to_numpy(dtype=np.float64)
    prev = np.full_like(x, np.nan)
    if len(x) > k:
        prev[k:] = x[:-k]
    return pd.DataFrame(
        {
            "obs_date": weekly["obs_date"].to_numpy(),
            "change": x - prev,
            "available_at": weekly["available_at"].to_numpy(),
        }
    )


# ---------------------------------------------------------------- carrying to trading days


def _days(days: pd.DatetimeIndex | np.ndarray) -> pd.DatetimeIndex:
    d = pd.DatetimeIndex(days)
    if len(d) > 1 and not (np.diff(d.asi8) > 0).all():
        raise ParameterError("days: trading days must be strictly increasing")
    return d


def carry(frame: pd.DataFrame, column: str, days: pd.DatetimeIndex) -> np.ndarray:
    """Carry ``frame[column]`` to ``days`` by ``available_at``: float64 array of shape (n_days,).

    Each day gets the value of the newest observation (by ``obs_date``) whose
    ``available_at`` is at or before that day's 16:00 ET decision time; NaN before the first.
    """
    return asof(
        frame[column].to_numpy(dtype=np.float64),
        frame["obs_date"].to_numpy(dtype="datetime64[ns]"),
        frame["available_at"].to_numpy(dtype="datetime64[ns]"),
        decision_times(_days(days)),
    )


def carry_obs_date(frame: pd.DataFrame, days: pd.DatetimeIndex) -> np.ndarray:
    """The ``obs_date`` of the row :func:`carry` uses on each day (NaT before the first)."""
    pos = asof_positions(
        frame["obs_date"].to_numpy(dtype="datetime64[ns]"),
        frame["available_at"].to_numpy(dtype="datetime64[ns]"),
        decision_times(_days(days)),
    )
    out = np.full(len(pos), np.datetime64("NaT"), dtype="datetime64[ns]")
    has = pos >= 0
    out[has] = frame["obs_date"].to_numpy(dtype="datetime64[ns]")[pos[has]]
    return out


def level(store: Store, series_id: str, days: pd.DatetimeIndex) -> np.ndarray:
    """A raw series as known each day, in $bn for money series else published units."""
    v = store.asof(series_id, _days(days))["value"].to_numpy(dtype=np.float64)
    f = spec(series_id).to_bn
    return v * f if f is not None else v


# ---------------------------------------------------------------- public daily features


def bs_growth(store: Store, days: pd.DatetimeIndex, measure: str, window_weeks: int) -> np.ndarray:
    """Annualised log growth of the balance-sheet measure, as known each day.

    Requires: TREAST + WSHOMCB (``soma``) or WALCL (``walcl``).
    Produces: float64 array of shape (n_days,) (0.30 = +30%/yr; NaN while fewer than
    ``window_weeks`` + 1 Wednesdays are public).
    Lag: the H.4.1 release, Wednesday W visible from Friday W+2 (Thursday 16:30 release).
    """
    return carry(weekly_growth(measure_weekly(store, measure), window_weeks), "growth", days)


def bs_pace(store: Store, days: pd.DatetimeIndex, measure: str, window_weeks: int) -> np.ndarray:
    """Average monthly change of the balance-sheet measure over the window ($bn / month).

    Same inputs and lag as :func:`bs_growth`; float64 array of shape (n_days,).
    """
    return carry(weekly_growth(measure_weekly(store, measure), window_weeks), "pace", days)


def net_liquidity(store: Store, days: pd.DatetimeIndex) -> np.ndarray:
    """Net liquidity ($bn) of the newest public Wednesday: float64 array of shape (n_days,)."""
    return carry(net_liquidity_weekly(store), "value", days)


def net_liquidity_change(store: Store, days: pd.DatetimeIndex, window_weeks: int) -> np.ndarray:
    """Change of net liquidity over ``window_weeks`` Wednesdays ($bn), as known each day.

    Requires: WALCL, WDTGAL, and WLRRAL or RRPONTSYD.
    Produces: float64 array of shape (n_days,).
    Lag: the H.4.1 release (Wednesday W visible from Friday W+2).
    """
    return carry(weekly_change(net_liquidity_weekly(store), window_weeks), "change", days)


def policy_range_obs(store: Store) -> pd.DataFrame:
    """The target range spliced: DFEDTAR as both ends before 2008-12-16, DFEDTARU/L after.

    Returns
    -------
    DataFrame with ``obs_date``, ``upper``, ``lower``, ``available_at`` (effective-day rows).
    """
    single = first_releases(store.observations("DFEDTAR"))
    single = single[single["obs_date"] < SPLICE_DATE]
    rng = _join_same_date(
        [
            first_releases(store.observations("DFEDTARU")),
            first_releases(store.observations("DFEDTARL")),
        ]
    )
    rng = rng[rng["obs_date"] >= SPLICE_DATE]
    out = pd.concat(
        [
            pd.DataFrame(
                {
                    "obs_date": single["obs_date"].to_numpy(),
                    "upper": single["value"].to_numpy(),
                    "lower": single["value"].to_numpy(),
                    "available_at": single["available_at"].to_numpy(),
                }
            ),
            pd.DataFrame(
                {
                    "obs_date": rng["obs_date"].to_numpy(),
                    "upper": rng["v0"].to_numpy(),
                    "lower": rng["v1"].to_numpy(),
                    "available_at": rng["available_at"].to_numpy(),
                }
            ),
        ],
        ignore_index=True,
    )
    return out


def policy_inputs(
    store: Store, days: pd.DatetimeIndex
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Inputs of the phase kernel as known each day: ``(upper, lower, y10, sahm)``.

    Requires: DFEDTAR, DFEDTARU, DFEDTARL, DGS10, SAHMREALTIME (never USREC).
    Produces: four float64 arrays of shape (n_days,): the policy range ends (percent), the
    10y yield (percent), the real-time Sahm rule (pp).
    Lag: the range from its effective day 00:00; the 10y from the next business day 16:15;
    the Sahm rule of month M from the 10th of M+1.
    """
    days = _days(days)
    rng = policy_range_obs(store)
    return (
        carry(rng, "upper", days),
        carry(rng, "lower", days),
        level(store, "DGS10", days),
        level(store, "SAHMREALTIME", days),
    )


def day_numbers(days: pd.DatetimeIndex) -> np.ndarray:
    """Calendar-day ordinals of ``days`` (int64 array of shape (n_days,)), for the phase kernel."""
    return (_days(days).normalize().asi8 // (86_400 * 10**9)).astype(np.int64)


def on_rrp_daily(store: Store, days: pd.DatetimeIndex) -> np.ndarray:
    """ON RRP ($bn) as known each day: the latest visible operation, 0 when older than
    :data:`RRP_DAILY_STALE_DAYS` calendar days or when none was ever held."""
    days = _days(days)
    a = store.asof("RRPONTSYD", days)
    age = (days.to_numpy() - a["obs_date"].to_numpy()) / np.timedelta64(1, "D")
    v = a["value"].to_numpy(dtype=np.float64).copy()
    v[np.isnan(v) | ~(age <= RRP_DAILY_STALE_DAYS)] = 0.0
    return v


def on_rrp_level(store: Store, days: pd.DatetimeIndex) -> np.ndarray:
    """:func:`on_rrp_daily`, but NaN on days before any RRPONTSYD observation is public
    (nothing known yet, so the ON RRP regime reads UNKNOWN there, not DEPLETED)."""
    v = on_rrp_daily(store, days)
    known = store.asof("RRPONTSYD", _days(days))["obs_date"].notna().to_numpy()
    v[~known] = np.nan
    return v


def rrp_smoothed(
    level_bn: np.ndarray, smooth_days: int, window_days: int
) -> tuple[np.ndarray, np.ndarray]:
    """The ON RRP level smoothed and its change, from the daily level as known each day.

    ``smooth[t]`` is the median of ``level_bn[t - smooth_days + 1 .. t]`` (a trailing window:
    one-day quarter- and month-end spikes do not move it); ``change[t] = smooth[t] -
    smooth[t - window_days]``. Both NaN until their windows are full (rows only look back).

    Returns
    -------
    (smooth, change): float64 arrays of shape (n_days,), $bn.
    """
    for name, v, hi in (("smooth_days", smooth_days, 252), ("window_days", window_days, 2520)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or not 1 <= v <= hi:
            raise ParameterError(f"RrpParams.{name} = {v!r}: expected 1 to {hi} trading days")
    x = pd.Series(np.asarray(level_bn, dtype=np.float64))
    smooth = x.rolling(int(smooth_days), min_periods=int(smooth_days)).median().to_numpy()
    change = np.full(len(smooth), np.nan)
    k = int(window_days)
    if len(smooth) > k:
        change[k:] = smooth[k:] - smooth[:-k]
    return smooth, change


def btfp_available(store: Store) -> bool:
    """True when the store holds the BTFP series (``runoff data update H41RESPPALDKNWW``)."""
    return store.has(BTFP_ID)


def feature_frame(
    store: Store, days: pd.DatetimeIndex, params: RegimeParams | None = None
) -> pd.DataFrame:
    """Every column of :data:`strategies.regimes.FEATURE_NAMES`, as known on each day.

    Parameters
    ----------
    store : the point-in-time store.
    days : trading days, strictly increasing. Stateful features (the 10y cycle high)
        start on ``days[0]``: pass the whole history and slice for a warm-up.
    params : regime parameters (the balance-sheet measure and windows; default
        :class:`~strategies.regimes.RegimeParams`).

    Returns
    -------
    DataFrame of shape (n_days, len(FEATURE_NAMES)) indexed by ``days``. Levels are as-of
    values (``total_assets_bn`` WALCL, ``soma_bn``, ``reserves_bn`` WRESBAL, ``btfp_bn``);
    ``on_rrp_smooth_bn`` / ``on_rrp_change_bn`` = the ON RRP level's trailing median and its
    change (:func:`rrp_smoothed`, windows of the ``rrp`` parameters);
    ``bs_to_gdp`` = total assets / nominal GDP, both as known that day; ``y10_drawdown`` =
    10y - its cycle high (<= 0, pp); ``y10_minus_upper`` / ``_lower`` against the spliced
    range; ``tbill`` = DTB3 (discount basis), ``vix`` = VIXCLS. ``attrs`` records
    ``unavailable`` (features whose series the store lacks: ``btfp_bn`` unless fetched) and
    ``rrp_source`` (``WLRRAL`` or ``RRPONTSYD``).
    """
    params = params if params is not None else RegimeParams()
    if not isinstance(params, RegimeParams):
        raise ParameterError(f"params = {params!r}: expected a RegimeParams")
    days = _days(days)
    bs, nl, rrp = params.balance_sheet, params.net_liquidity, params.rrp
    gr = weekly_growth(measure_weekly(store, bs.measure), bs.window_weeks)
    on_rrp = on_rrp_daily(store, days)
    rrp_smooth, rrp_change = rrp_smoothed(
        on_rrp_level(store, days), rrp.smooth_days, rrp.window_days
    )
    nlw = net_liquidity_weekly(store)
    upper, lower, y10, sahm = policy_inputs(store, days)
    y2 = level(store, "DGS2", days)
    total = level(store, "WALCL", days)
    gdp = level(store, "GDP", days)
    high = cycle_high_nb(upper, lower, y10)
    unavailable: list[str] = []
    if btfp_available(store):
        btfp = level(store, BTFP_ID, days)
    else:
        btfp = np.full(len(days), np.nan)
        unavailable.append("btfp_bn")
    cols = {
        "total_assets_bn": total,
        "soma_bn": carry(soma_weekly(store), "value", days),
        "bs_growth": carry(gr, "growth", days),
        "bs_pace_bn_month": carry(gr, "pace", days),
        "net_liquidity_bn": carry(nlw, "value", days),
        "net_liquidity_change_bn": carry(weekly_change(nlw, nl.window_weeks), "change", days),
        "bs_to_gdp": total / gdp,
        "reserves_bn": level(store, "WRESBAL", days),
        "on_rrp_bn": on_rrp,
        "btfp_bn": btfp,
        "y10": y10,
        "y2": y2,
        "policy_upper": upper,
        "policy_lower": lower,
        "dff": level(store, "DFF", days),
        "y10_cycle_high": high,
        "y10_drawdown": y10 - high,
        "y10_minus_upper": y10 - upper,
        "y10_minus_lower": y10 - lower,
        "y10_minus_y2": y10 - y2,
        "sahm": sahm,
        "tbill": level(store, "DTB3", days),
        "vix": level(store, "VIXCLS", days),
        "on_rrp_smooth_bn": rrp_smooth,
        "on_rrp_change_bn": rrp_change,
    }
    missing = set(FEATURE_NAMES) - set(cols)
    if missing:  # pragma: no cover - guards the contract with strategies.regimes
        raise MissingDataError(f"engine/features.py: features {sorted(missing)} are not computed")
    out = pd.DataFrame({name: cols[name] for name in FEATURE_NAMES}, index=days)
    out.attrs["unavailable"] = tuple(unavailable)
    out.attrs["rrp_source"] = str(nlw["rrp_source"].iloc[0]) if len(nlw) else "RRPONTSYD"
    return out
