"""What the engine knew and concluded at one day's 16:00 ET decision, and why.

:func:`explain` returns a plain dict (JSON-ready: dates as ISO strings, NaN as None);
:func:`render` turns it into the text ``runoff explain`` prints. Every number comes from
the same point-in-time features and kernels as :func:`engine.regimes.regime_frame`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from data.dates import parse_day
from data.errors import MissingDataError
from data.manifest import INDEX_ID
from data.panel import trading_days
from data.release import decision_times
from data.staleness import add_feed, check_inputs
from data.store import Store
from engine import features as F
from engine.regimes.api import phase_trace, regime_frame
from engine.regimes.families import engine_of
from engine.regimes.nb import REC_FAST, REC_INTERMEETING, REC_SAHM
from strategies.families import FAMILIES, RegimeParams

BTFP_UNAVAILABLE = "unavailable: not in the bundled data; run `runoff data update H41RESPPALDKNWW`"


def _iso(x: object) -> str | None:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    ts = pd.Timestamp(x)
    return None if pd.isna(ts) else ts.date().isoformat()


def _num(x: object, nd: int = 6) -> float | None:
    if x is None:
        return None
    v = float(x)  # type: ignore[arg-type]
    return None if math.isnan(v) else round(v, nd)


def _pct_yr(x: float) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{x * 100:+.1f}%/yr"


def _thr(x: float) -> str:
    return f"{x * 100:g}%/yr"


def resolve_day(date: str | pd.Timestamp, store: Store) -> pd.Timestamp:
    """The trading day on or before ``date``; an error if ``date`` is outside the data."""
    ts = parse_day(date, "date")
    days = trading_days(store=store)
    if ts < days[0] or ts > days[-1]:
        raise MissingDataError(
            f"date {ts.date()} is outside the data: S&P 500 trading days run from "
            f"{days[0].date()} to {days[-1].date()}"
        )
    return days[days <= ts][-1]


def _run_start(codes: np.ndarray, t: int) -> int:
    """First row of the run of equal codes that ends at row ``t``."""
    i = t
    while i > 0 and codes[i - 1] == codes[t]:
        i -= 1
    return i


def _bs_why(frame: pd.DataFrame, t: int, params: RegimeParams) -> tuple[str, str | None]:
    p = params.balance_sheet
    codes = frame["balance_sheet_code"].to_numpy()
    growth = frame["bs_growth"].to_numpy()
    state = frame["balance_sheet"].iloc[t]
    name = "SOMA" if p.measure == "soma" else "total assets"
    if state == "UNKNOWN":
        return (
            f"{name} growth unknown: fewer than {p.window_weeks} + 1 weekly observations "
            "were public"
        ), None
    s = _run_start(codes, t)
    g0, g = growth[s], growth[t]
    prev = frame["balance_sheet"].iloc[s - 1] if s > 0 else "UNKNOWN"
    if state == "EXPANSION":
        entry = f"growth {_pct_yr(g0)} >= expand_enter {_thr(p.expand_enter)}"
    elif state == "CONTRACTION":
        entry = f"growth {_pct_yr(g0)} <= contract_enter {_thr(p.contract_enter)}"
    elif prev == "EXPANSION":
        entry = f"growth {_pct_yr(g0)} < expand_exit {_thr(p.expand_exit)}"
    elif prev == "CONTRACTION":
        entry = f"growth {_pct_yr(g0)} > contract_exit {_thr(p.contract_exit)}"
    else:
        entry = (
            f"growth {_pct_yr(g0)} between contract_enter {_thr(p.contract_enter)} and "
            f"expand_enter {_thr(p.expand_enter)}"
        )
    dwell = t - s
    blocked = f"; the minimum dwell of {p.min_dwell_days} trading days holds it ({dwell} so far)"
    if math.isnan(g):
        now = "growth unknown today: state held"
    elif state == "EXPANSION":
        now = (
            f"stays: growth {_pct_yr(g)} >= expand_exit {_thr(p.expand_exit)}"
            if g >= p.expand_exit
            else f"growth {_pct_yr(g)} < expand_exit {_thr(p.expand_exit)}{blocked}"
        )
    elif state == "CONTRACTION":
        now = (
            f"stays: growth {_pct_yr(g)} <= contract_exit {_thr(p.contract_exit)}"
            if g <= p.contract_exit
            else f"growth {_pct_yr(g)} > contract_exit {_thr(p.contract_exit)}{blocked}"
        )
    elif p.contract_enter < g < p.expand_enter:
        now = (
            f"stays: growth {_pct_yr(g)} between contract_enter {_thr(p.contract_enter)} "
            f"and expand_enter {_thr(p.expand_enter)}"
        )
    else:
        now = f"growth {_pct_yr(g)} crosses an enter threshold{blocked}"
    since = frame.index[s]
    when = "before the start of history" if s == 0 else since.date().isoformat()
    return (
        f"{name} growth over {p.window_weeks} weeks: entered {state} {when} with {entry}; now {now}"
    ), _iso(since)


def _nl_why(row: pd.Series, params: RegimeParams) -> str:
    p = params.net_liquidity
    c = row["net_liquidity_change_bn"]
    if math.isnan(c):
        return f"change over {p.window_weeks} weeks unknown (warm-up or missing components)"
    if c > p.band_bn:
        rel = f"> band +{p.band_bn:g}bn"
    elif c < -p.band_bn:
        rel = f"< band -{p.band_bn:g}bn"
    else:
        rel = f"within the dead band +/-{p.band_bn:g}bn"
    return f"change over {p.window_weeks} weeks {c:+,.1f}bn {rel}"


def _phase_why(frame: pd.DataFrame, t: int, params: RegimeParams, tr) -> tuple[str, str | None]:
    p = params.policy
    idx = frame.index
    state = frame["phase"].iloc[t]
    codes = tr.codes
    s = _run_start(codes, t)
    since = None if s == 0 and state == "UNKNOWN" else _iso(idx[s])
    up, lo = frame["policy_upper"].iloc[t], frame["policy_lower"].iloc[t]
    y = frame["y10"].iloc[t]
    rng = f"{lo:.2f}-{up:.2f}"
    lh, lc = int(tr.last_hike[t]), int(tr.last_cut[t])
    if state == "UNKNOWN":
        return "no policy rate known yet", since
    if state == "HIKING":
        return (
            f"hike on {_iso(idx[lh])} (range now {rng}), {t - lh} trading days ago "
            f"< hike_memory_days {p.hike_memory_days}"
        ), since
    if state in ("HOLD", "FIRST_HALF"):
        head = (
            f"no hike for {t - lh} trading days since {_iso(idx[lh])} "
            f"(>= hike_memory_days {p.hike_memory_days}) and no cut since; held at {rng}"
        )
        high = tr.cycle_high[t]
        drop = high - y
        if state == "HOLD":
            return (
                f"{head}; 10y {y:.2f} >= lower bound {lo:.2f} and only {drop:.2f} below its "
                f"cycle high {high:.2f} (< y10_drop {p.y10_drop:g})"
            ), since
        y_s, lo_s, high_s = frame["y10"].iloc[s], frame["policy_lower"].iloc[s], tr.cycle_high[s]
        entry_l = []
        if p.below_range and y_s < lo_s:
            entry_l.append(f"10y {y_s:.2f} < lower bound {lo_s:.2f}")
        if not math.isnan(high_s) and high_s - y_s >= p.y10_drop:
            entry_l.append(
                f"10y {y_s:.2f} fell {high_s - y_s:.2f} from its cycle high "
                f"{high_s:.2f} (>= y10_drop {p.y10_drop:g})"
            )
        entry = " and ".join(entry_l)
        now = []
        if p.below_range and y < lo:
            now.append(f"10y {y:.2f} < lower bound {lo:.2f}")
        if not math.isnan(drop) and drop >= p.y10_drop:
            now.append(f"{drop:.2f} below its cycle high {high:.2f} (>= y10_drop {p.y10_drop:g})")
        today = (
            "; ".join(now)
            if now
            else f"10y {y:.2f} has rebounded, but FIRST_HALF lasts until a cut"
        )
        return f"{head}; FIRST_HALF since {_iso(idx[s])} when {entry}; today {today}", since
    if state in ("CUTTING", "CUTTING_RECESSION"):
        head = (
            f"cut on {_iso(idx[lc])} (range now {rng}), {t - lc} trading days ago "
            f"< cut_memory_days {p.cut_memory_days}; first cut of this easing on {_iso(idx[s])}"
        )
        if state == "CUTTING":
            sahm = frame["sahm"].iloc[t]
            return (
                f"{head}; not recession-driven: Sahm {sahm:.2f} < {p.sahm_threshold:g}, no "
                f"inter-meeting cut (<= {p.intermeeting_days} calendar days after the previous "
                f"change), cuts within {p.fast_cut_days} trading days "
                f"{tr.cut_sum_bp[t]:.0f}bp < {p.fast_cut_bp:g}bp"
            ), since
        why = []
        rec = tr.rec_why[s : t + 1]
        for bit in (REC_SAHM, REC_INTERMEETING, REC_FAST):
            hit = np.flatnonzero(rec & bit)
            if not len(hit):
                continue
            k = s + int(hit[0])
            d = _iso(idx[k])
            if bit == REC_SAHM:
                why.append(f"Sahm rule {frame['sahm'].iloc[k]:.2f} >= {p.sahm_threshold:g} on {d}")
            elif bit == REC_INTERMEETING:
                prev = max(int(tr.last_hike[k - 1]), int(tr.last_cut[k - 1])) if k > 0 else -1
                gap = (idx[k] - idx[prev]).days if prev >= 0 else -1
                why.append(
                    f"inter-meeting cut on {d}, {gap} calendar days after the change of "
                    f"{_iso(idx[prev])} (<= intermeeting_days {p.intermeeting_days})"
                )
            else:
                why.append(
                    f"cuts of {tr.cut_sum_bp[k]:.0f}bp within {p.fast_cut_days} trading "
                    f"days >= fast_cut_bp {p.fast_cut_bp:g} on {d}"
                )
        return f"{head}; recession-driven: " + "; ".join(why), since
    last = max(lh, lc)
    if last < 0:
        return f"no rate change seen yet (range {rng})", since
    return (
        f"no hike within {p.hike_memory_days} and no cut within {p.cut_memory_days} trading "
        f"days (last change on {_iso(idx[last])}; range {rng})"
    ), since


EXPLAIN_FEEDS: dict[str, str] = {
    "WALCL": "total assets",
    "GDP": "balance sheet / GDP",
    "WRESBAL": "reserves",
    "H41RESPPALDKNWW": "BTFP",
    "DGS2": "10y - 2y",
    "DFF": "fed funds",
    "DTB3": "3m bill",
    "VIXCLS": "VIX",
    INDEX_ID: "index close",
}
"""What ``explain`` shows of the series that no regime family reads."""


def explain_inputs(
    series: list[str], params: RegimeParams, day: pd.Timestamp, store: Store
) -> dict[str, tuple[str, ...]]:
    """The series ``runoff explain`` lists -> what each feeds there: the regime families whose
    series they are under ``params`` (the target DFEDTAR feeds the phase before
    2008-12-16), or the line of the report that shows them."""
    out: dict[str, list[str]] = {}
    for fam in FAMILIES:
        reads = list(fam.series(params.of(fam)))
        if fam.name == "phase" and day < F.SPLICE_DATE:
            reads += ["DFEDTAR"]
        add_feed(out, [s for s in reads if s in series], f"regime {fam.name}")
    for sid in series:
        if sid in EXPLAIN_FEEDS:
            add_feed(out, [sid], EXPLAIN_FEEDS[sid])
    return {sid: tuple(out.get(sid, [])) for sid in series if store.has(sid)}


def _input(store: Store, sid: str, day: pd.Timestamp) -> dict:
    a = store.asof(sid, pd.DatetimeIndex([day])).iloc[0]
    return {
        "series": sid,
        "value": _num(a["value"]),
        "obs_date": _iso(a["obs_date"]),
        "available_at": None
        if pd.isna(a["available_at"])
        else pd.Timestamp(a["available_at"]).strftime("%Y-%m-%d %H:%M"),
    }


def _first_release(store: Store, sid: str) -> dict:
    """Where ``sid`` starts: its first observation date and when that value became public."""
    obs = store.observations(sid)
    if len(obs) == 0:
        return {"series": sid, "first_obs_date": None, "first_available_at": None}
    i = int(np.argmin(obs["available_at"].to_numpy(dtype="datetime64[ns]")))
    return {
        "series": sid,
        "first_obs_date": _iso(obs["obs_date"].min()),
        "first_available_at": pd.Timestamp(obs["available_at"].iloc[i]).strftime("%Y-%m-%d %H:%M"),
    }


def explain(
    date: str | pd.Timestamp, params: RegimeParams | None = None, *, store: Store | None = None
) -> dict:
    """What the engine knew and concluded at ``date``'s 16:00 ET decision.

    Parameters
    ----------
    date : a date; a non-trading day uses the last trading day on or before it. Dates
        outside the index history raise :class:`~data.errors.MissingDataError`.
    params : regime parameters (default :class:`~strategies.regimes.RegimeParams`).
    store : the point-in-time store.

    Returns
    -------
    dict with ``date``, ``requested``, ``balance_sheet``, ``net_liquidity``, ``liquidity``
    (reserves, ON RRP, BTFP), ``policy`` (the phase and its inputs), one section per family
    whose engine module builds it (keyed by the regime name, e.g. ``rrp``: ``regime``,
    ``since``, ``why`` and its inputs), ``inputs`` (each raw series used: value in published
    units, ``obs_date``, ``available_at``), ``missing`` (each input with nothing public yet on
    that day: ``series``, ``first_obs_date``, ``first_available_at``), ``stale`` (each input
    that is stale at the decision, :meth:`data.staleness.Staleness.to_dict`: ``series``,
    ``last_obs``, ``age_days``, ``expected_obs``, ``behind``, ``limit``, ``unit``, ``feeds``,
    ``message``, ...) and ``params``.
    """
    params = params if params is not None else RegimeParams()
    store = store if store is not None else Store()
    day = resolve_day(date, store)
    frame = regime_frame(None, day, params, store=store)
    t = len(frame) - 1
    row = frame.iloc[t]
    decision = decision_times(pd.DatetimeIndex([day]))[0]
    bsp = params.balance_sheet

    # Total assets: the newest public Wednesday and the running peak of what was public.
    walcl = F.weekly_bn(store, "WALCL")
    vis = walcl[walcl["available_at"].to_numpy(dtype="datetime64[ns]") <= decision]
    if len(vis):
        cur = vis.iloc[-1]
        ipk = int(np.argmax(vis["value"].to_numpy()))
        peak = vis.iloc[ipk]
        wg = F.weekly_growth(walcl, bsp.window_weeks).iloc[len(vis) - 1]
        total = {
            "value_bn": _num(cur["value"], 3),
            "obs_date": _iso(cur["obs_date"]),
            "peak_bn": _num(peak["value"], 3),
            "peak_date": _iso(peak["obs_date"]),
            "change_from_peak_bn": _num(cur["value"] - peak["value"], 3),
            "change_from_peak_pct": _num(cur["value"] / peak["value"] - 1.0),
            "growth": _num(wg["growth"]),
            "pace_bn_month": _num(wg["pace"], 3),
        }
    else:
        total = {
            "value_bn": None,
            "obs_date": None,
            "peak_bn": None,
            "peak_date": None,
            "change_from_peak_bn": None,
            "change_from_peak_pct": None,
            "growth": None,
            "pace_bn_month": None,
        }
    mw = F.weekly_growth(F.measure_weekly(store, bsp.measure), bsp.window_weeks)
    bs_why, bs_since = _bs_why(frame, t, params)
    gobs = F.carry_obs_date(mw, pd.DatetimeIndex([day]))[0]
    gdp = store.asof("GDP", pd.DatetimeIndex([day])).iloc[0]
    balance_sheet = {
        "regime": row["balance_sheet"],
        "since": bs_since,
        "why": bs_why,
        "measure": bsp.measure,
        "window_weeks": bsp.window_weeks,
        "growth": _num(row["bs_growth"]),
        "pace_bn_month": _num(row["bs_pace_bn_month"], 3),
        "growth_obs_date": _iso(gobs),
        "growth_age_days": None if pd.isna(gobs) else int((day - pd.Timestamp(gobs)).days),
        "soma_bn": _num(row["soma_bn"], 3),
        "total_assets": total,
        "bs_to_gdp": _num(row["bs_to_gdp"]),
        "gdp_bn": _num(gdp["value"], 3),
        "gdp_obs_date": _iso(gdp["obs_date"]),
    }

    nlw = F.net_liquidity_weekly(store)
    nl_pos = F.carry_obs_date(nlw, pd.DatetimeIndex([day]))[0]
    comp = nlw[nlw["obs_date"] == nl_pos]
    nl_codes = frame["net_liquidity_code"].to_numpy()
    s = _run_start(nl_codes, t)
    net_liquidity = {
        "regime": row["net_liquidity"],
        "since": None if row["net_liquidity"] == "UNKNOWN" else _iso(frame.index[s]),
        "why": _nl_why(row, params),
        "value_bn": _num(row["net_liquidity_bn"], 3),
        "change_bn": _num(row["net_liquidity_change_bn"], 3),
        "window_weeks": params.net_liquidity.window_weeks,
        "obs_date": _iso(nl_pos),
        "walcl_bn": _num(comp["walcl"].iloc[0], 3) if len(comp) else None,
        "tga_bn": _num(comp["tga"].iloc[0], 3) if len(comp) else None,
        "reverse_repos_bn": _num(comp["rrp"].iloc[0], 3) if len(comp) else None,
        "reverse_repos_source": frame.attrs.get("rrp_source", "RRPONTSYD"),
    }

    rrp = store.asof("RRPONTSYD", pd.DatetimeIndex([day])).iloc[0]
    res = store.asof("WRESBAL", pd.DatetimeIndex([day])).iloc[0]
    if F.btfp_available(store):
        b = store.asof(F.BTFP_ID, pd.DatetimeIndex([day])).iloc[0]
        btfp = {
            "available": True,
            "value_bn": _num(row["btfp_bn"], 3),
            "obs_date": _iso(b["obs_date"]),
        }
    else:
        btfp = {"available": False, "value_bn": None, "obs_date": None, "message": BTFP_UNAVAILABLE}
    liquidity = {
        "reserves_bn": _num(row["reserves_bn"], 3),
        "reserves_obs_date": _iso(res["obs_date"]),
        "on_rrp_bn": _num(row["on_rrp_bn"], 3),
        "on_rrp_obs_date": _iso(rrp["obs_date"]) if row["on_rrp_bn"] > 0 else None,
        "on_rrp_last_operation": _iso(rrp["obs_date"]),
        "btfp": btfp,
    }

    days = frame.index
    tr = phase_trace(
        frame["policy_upper"],
        frame["policy_lower"],
        frame["y10"],
        frame["sahm"],
        F.day_numbers(days),
        params.policy,
    )
    ph_why, ph_since = _phase_why(frame, t, params, tr)
    rng = F.policy_range_obs(store)
    rng = rng[rng["available_at"].to_numpy(dtype="datetime64[ns]") <= decision]
    mid = (rng["upper"] + rng["lower"]).to_numpy()
    chg = (
        np.flatnonzero(np.r_[True, np.abs(np.diff(mid)) > 1e-9]) if len(mid) else np.array([], int)
    )
    ch = int(tr.cycle_start[t])
    high_day = high_obs = None
    if ch >= 0 and not math.isnan(tr.cycle_high[t]):
        seg = frame["y10"].to_numpy()[ch : t + 1]
        hd = days[ch + int(np.nanargmax(seg))]
        high_day = _iso(hd)
        high_obs = _iso(store.asof("DGS10", pd.DatetimeIndex([hd]))["obs_date"].iloc[0])
    y10_in = _input(store, "DGS10", day)
    policy = {
        "regime": row["phase"],
        "since": ph_since,
        "why": ph_why,
        "upper": _num(row["policy_upper"]),
        "lower": _num(row["policy_lower"]),
        "range_since": _iso(rng["obs_date"].iloc[chg[-1]]) if len(chg) else None,
        "last_hike": _iso(days[int(tr.last_hike[t])]) if tr.last_hike[t] >= 0 else None,
        "last_cut": _iso(days[int(tr.last_cut[t])]) if tr.last_cut[t] >= 0 else None,
        "cycle_start": _iso(days[ch]) if ch >= 0 else None,
        "y10": _num(row["y10"]),
        "y10_obs_date": y10_in["obs_date"],
        "y10_cycle_high": _num(row["y10_cycle_high"]),
        "y10_cycle_high_obs_date": high_obs,
        "y10_cycle_high_seen": high_day,
        "y10_drawdown": _num(row["y10_drawdown"]),
        "y10_minus_upper": _num(row["y10_minus_upper"]),
        "y10_minus_lower": _num(row["y10_minus_lower"]),
        "y2": _num(row["y2"]),
        "y10_minus_y2": _num(row["y10_minus_y2"]),
        "sahm": _num(row["sahm"]),
        "dff": _num(row["dff"]),
        "tbill": _num(row["tbill"]),
    }

    ids = ["WALCL", "TREAST", "WSHOMCB", "WDTGAL"]
    ids.append("WLRRAL" if net_liquidity["reverse_repos_source"] == "WLRRAL" else "RRPONTSYD")
    ids += ["WRESBAL", "GDP"]
    if F.btfp_available(store):
        ids.append(F.BTFP_ID)
    ids += ["DFEDTAR"] if day < F.SPLICE_DATE else ["DFEDTARU", "DFEDTARL"]
    ids += ["DGS10", "DGS2", "SAHMREALTIME", "DFF", "DTB3", "VIXCLS", INDEX_ID]
    # Families whose engine module builds its own section (registry order, after the above).
    sections = {}
    for fam in FAMILIES:
        section = engine_of(fam).explain(frame, t, params.of(fam), store)
        if section is not None:
            sections[fam.name] = section
            ids += [s for s in fam.series(params.of(fam)) if s not in ids and store.has(s)]
    inputs = [_input(store, sid, day) for sid in ids]
    feeds = explain_inputs(ids, params, day, store)
    stale = [x.to_dict() for x in check_inputs(feeds, day, store=store) if x.stale]
    return {
        "date": day.date().isoformat(),
        "requested": pd.Timestamp(date).date().isoformat(),
        "decision_time": f"{day.date().isoformat()} 16:00 ET",
        "balance_sheet": balance_sheet,
        "net_liquidity": net_liquidity,
        "liquidity": liquidity,
        "policy": policy,
        **sections,
        "inputs": inputs,
        "missing": [_first_release(store, i["series"]) for i in inputs if i["value"] is None],
        "stale": stale,
        "params": {group: vars(p).copy() for group, p in params.items()},
    }


def _bn(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"-${-x:,.1f}bn" if x < 0 else f"${x:,.1f}bn"


def _f(x: float | None, fmt: str = ".2f") -> str:
    return "n/a" if x is None else format(x, fmt)


def _d(x: str | None) -> str:
    """A date field, ``n/a`` when nothing was public yet."""
    return "n/a" if x is None else x


def _missing_lines(e: dict) -> list[str]:
    """One line per input with nothing public on the day, with where its data start."""
    if not e.get("missing"):
        return []
    out = [
        f"Not yet published on {e['date']} (these inputs read n/a below; first observation, "
        "first public):"
    ]
    for m in e["missing"]:
        if m["first_obs_date"] is None:
            out.append(f"  {m['series']:<15} no observation in the data")
        else:
            out.append(
                f"  {m['series']:<15} starts {m['first_obs_date']}, "
                f"public from {m['first_available_at']}"
            )
    return [*out, ""]


def _stale_lines(e: dict) -> list[str]:
    """One line per stale input: its last observation, age, lag, limit and what it feeds."""
    if not e.get("stale"):
        return []
    out = [
        f"Stale on {e['date']} (newest public value further behind the release calendar than "
        "the series' limit; see runoff data status):"
    ]
    out += [f"  {x['message']}" for x in e["stale"]]
    return [*out, ""]


def render(e: dict) -> str:
    """The text report of an :func:`explain` result."""
    bs, nl, lq, pol = e["balance_sheet"], e["net_liquidity"], e["liquidity"], e["policy"]
    ta = bs["total_assets"]
    day = e["date"]
    head = f"Runoff explain {day} (decision at 16:00 ET"
    head += f"; {e['requested']} is not a trading day)" if e["requested"] != day else ")"
    pct = ta["change_from_peak_pct"]
    lines = [
        head,
        "",
        *_missing_lines(e),
        *_stale_lines(e),
        f"Balance sheet: {bs['regime']}" + (f" since {bs['since']}" if bs["since"] else ""),
        f"  why: {bs['why']}",
        f"  total assets       {_bn(ta['value_bn'])} (WALCL of {_d(ta['obs_date'])})",
        f"  running peak       {_bn(ta['peak_bn'])} on {_d(ta['peak_date'])}",
        f"  change from peak   {_bn(ta['change_from_peak_bn'])}"
        + (f" ({pct * 100:+.1f}%)" if pct is not None else ""),
        f"  total assets pace  {_bn(ta['pace_bn_month'])}/month, growth "
        f"{_pct_yr(ta['growth'] if ta['growth'] is not None else math.nan)} over {bs['window_weeks']} weeks",
        f"  {bs['measure'].upper() + ' growth':<18} "
        f"{_pct_yr(bs['growth'] if bs['growth'] is not None else math.nan)}, pace "
        f"{_bn(bs['pace_bn_month'])}/month (Wednesday {_d(bs['growth_obs_date'])}"
        + (
            f"; stale: {bs['growth_age_days']} days old)"
            if any("regime balance_sheet" in x["feeds"] for x in e.get("stale", []))
            else ")"
        ),
        f"  SOMA holdings      {_bn(bs['soma_bn'])}",
        "  balance sheet/GDP  "
        + (f"{bs['bs_to_gdp'] * 100:.1f}%" if bs["bs_to_gdp"] is not None else "n/a")
        + f" (GDP {_bn(bs['gdp_bn'])} for the quarter of {_d(bs['gdp_obs_date'])})",
        "",
        f"Net liquidity: {nl['regime']}" + (f" since {nl['since']}" if nl["since"] else ""),
        f"  why: {nl['why']}",
        f"  level              {_bn(nl['value_bn'])} (Wednesday {_d(nl['obs_date'])}: WALCL "
        f"{_bn(nl['walcl_bn'])} - TGA {_bn(nl['tga_bn'])} - reverse repos "
        f"{_bn(nl['reverse_repos_bn'])} from {nl['reverse_repos_source']})",
        f"  change             {_bn(nl['change_bn'])} over {nl['window_weeks']} weeks",
        f"  reserves           {_bn(lq['reserves_bn'])} (week of {_d(lq['reserves_obs_date'])})",
        (
            "  ON RRP             n/a (no operation published yet)"
            if lq["on_rrp_last_operation"] is None
            else f"  ON RRP             {_bn(lq['on_rrp_bn'])} "
            + (
                f"(operation of {lq['on_rrp_obs_date']})"
                if lq["on_rrp_obs_date"]
                else f"(no operation within {F.RRP_DAILY_STALE_DAYS} days; last one "
                f"{lq['on_rrp_last_operation']})"
            )
        ),
        "  BTFP               "
        + (
            f"{_bn(lq['btfp']['value_bn'])} (Wednesday {lq['btfp']['obs_date']})"
            if lq["btfp"]["available"]
            else lq["btfp"]["message"]
        ),
        "",
        f"Policy and yield phase: {pol['regime']}"
        + (f" since {pol['since']}" if pol["since"] else ""),
        f"  why: {pol['why']}",
        f"  policy range       {_f(pol['lower'])}-{_f(pol['upper'])} (since {_d(pol['range_since'])}); "
        f"last hike {_d(pol['last_hike'])}, last cut {_d(pol['last_cut'])}",
        f"  10y                {_f(pol['y10'])} (of {_d(pol['y10_obs_date'])}); vs range "
        f"{_f(pol['y10_minus_lower'], '+.2f')} / {_f(pol['y10_minus_upper'], '+.2f')} "
        "(minus lower / upper)",
        f"  10y cycle high     {_f(pol['y10_cycle_high'])} (DGS10 of {_d(pol['y10_cycle_high_obs_date'])}, "
        f"public {_d(pol['y10_cycle_high_seen'])}; cycle from the hike of {_d(pol['cycle_start'])}); "
        f"drawdown {_f(pol['y10_drawdown'], '+.2f')}",
        f"  10y - 2y           {_f(pol['y10_minus_y2'], '+.2f')} (2y {_f(pol['y2'])})",
        f"  Sahm (real time)   {_f(pol['sahm'])}; fed funds {_f(pol['dff'])}; 3m bill {_f(pol['tbill'])}",
    ]
    for fam in FAMILIES:
        own = engine_of(fam).render(e[fam.name]) if fam.name in e else []
        if own:  # a family whose engine module builds its own section
            lines += ["", *own]
    lines += [
        "",
        "Inputs used (value as published, observation date, public since):",
    ]
    for i in e["inputs"]:
        v = "n/a" if i["value"] is None else f"{i['value']:,.3f}".rstrip("0").rstrip(".")
        lines.append(
            f"  {i['series']:<15} {v:>16}  {i['obs_date'] or '-':<10}  {i['available_at'] or '-'}"
        )
    return "\n".join(lines)
