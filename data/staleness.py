"""Stale inputs: which series are behind their release calendar at a decision day.

Every series of the manifest declares its cadence and a stale limit
(:class:`data.manifest.StaleRule`). At a decision day ``d`` (decision time ``d`` 16:00 ET)
its release rule says which observation should be the newest public one: the *expected*
observation, the latest date of its cadence whose ``available_at`` is at or before the
decision time (a Wednesday of H.4.1 from the Friday after it, a yield of the business day
before yesterday, the first quarter of the year from July on for GDP's conservative lag).
The newest observation actually public then (:meth:`data.store.Store.asof`) is ``behind``
it by

- calendar days between the two dates, for limits in ``days`` (weekly, monthly, quarterly);
- business days after the public one up to the expected one, for limits in
  ``business days`` (daily series; a weekend is no gap),

and the series is *stale* when ``behind`` exceeds the limit. Not stale, whatever the lag:
a day before the series' first public value (``not yet public``: the backtest window starts
later anyway), a lag inside a documented gap of the manifest (``in a documented gap``, e.g.
ON RRP before the daily facility of 2013), a day after the series was discontinued
(``ended``), and ex-post labels (``ex post``: never a signal input).

The target range is a step series, published as a row for every calendar day: its file's
own last row is how far the range is known, so a file that ends a week of business days
before the decision is stale even though the range rarely changes.

Callers say what each series feeds (a regime family, an overlay feature, the cash rate);
:mod:`engine.staleness` builds that for a strategy. This module never imports ``engine`` or
``strategies``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data.manifest import Cadence, SeriesSpec, spec
from data.release import available_at, business_day_calendar, decision_times
from data.store import Store

FRESH = "fresh"
STALE = "stale"
NOT_YET = "not yet public"
IN_GAP = "in a documented gap"
ENDED = "ended"
EX_POST = "ex post"
STATUSES = (FRESH, STALE, NOT_YET, IN_GAP, ENDED, EX_POST)
"""Every status a series can have at a decision day; only ``stale`` is stale."""

_LOOKBACK = pd.Timedelta(days=400)
"""How far before the first decision day candidate observation dates start (more than the
longest release lag, GDP's two quarters, plus one period)."""


def _candidates(cadence: Cadence, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DatetimeIndex:
    """Observation dates of ``cadence`` between ``lo`` and ``hi`` (inclusive), ascending."""
    if cadence is Cadence.BUSINESS_DAILY:
        days = pd.date_range(lo, hi, freq="D")
        keep = np.is_busday(days.values.astype("datetime64[D]"), busdaycal=business_day_calendar())
        return days[keep]
    if cadence is Cadence.CALENDAR_DAILY:
        return pd.date_range(lo, hi, freq="D")
    if cadence is Cadence.WEEKLY:
        return pd.date_range(lo, hi, freq="W-WED")
    if cadence is Cadence.MONTHLY:
        return pd.date_range(lo, hi, freq="MS")
    if cadence is Cadence.QUARTERLY:
        return pd.date_range(lo, hi, freq="QS")
    if cadence is Cadence.MONTH_END:
        ends = pd.date_range(lo, hi + pd.offsets.MonthEnd(0), freq="ME").values
        last = np.busday_offset(
            ends.astype("datetime64[D]"), 0, roll="backward", busdaycal=business_day_calendar()
        )
        return pd.DatetimeIndex(last.astype("datetime64[ns]"))
    raise AssertionError(cadence)  # pragma: no cover - the enum is closed


def expected_obs(s: SeriesSpec, days: pd.DatetimeIndex) -> np.ndarray:
    """The observation date the release rule of ``s`` makes the newest public one at each
    day's 16:00 ET decision (NaT when none, and for ex-post series).

    Returns
    -------
    datetime64[ns] array of shape (len(days),).
    """
    days = pd.DatetimeIndex(days).normalize()
    out = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[ns]")
    if s.ex_post or len(days) == 0:
        return out
    cand = _candidates(s.stale.cadence, days.min() - _LOOKBACK, days.max())
    avail = available_at(cand.values, s.release)
    # Release rules never publish a later date before an earlier one: avail is sorted.
    pos = np.searchsorted(avail, decision_times(days), side="right") - 1
    has = pos >= 0
    out[has] = cand.values[pos[has]]
    return out


def staleness_frame(store: Store, series_id: str, days: pd.DatetimeIndex) -> pd.DataFrame:
    """Staleness of ``series_id`` at each of ``days`` (vectorised).

    Returns
    -------
    DataFrame indexed by ``days`` with ``last_obs`` (newest observation public at the
    decision, NaT: none yet), ``expected_obs``, ``age_days`` (calendar days from ``last_obs``
    to the day, NaN when none), ``behind`` (in the rule's unit, NaN when not measured),
    ``status`` (one of :data:`STATUSES`) and ``stale`` (bool).
    """
    s = spec(series_id)
    days = pd.DatetimeIndex(days).normalize()
    n = len(days)
    rule = s.stale
    if s.ex_post or rule.limit is None:
        return pd.DataFrame(
            {
                "last_obs": np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"),
                "expected_obs": np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"),
                "age_days": np.full(n, np.nan),
                "behind": np.full(n, np.nan),
                "status": np.full(n, EX_POST, dtype=object),
                "stale": np.zeros(n, dtype=bool),
            },
            index=days,
        )
    last = store.asof(series_id, days)["obs_date"].to_numpy(dtype="datetime64[ns]")
    expected = expected_obs(s, days)
    has = ~np.isnat(last) & ~np.isnat(expected)
    behind = np.full(n, np.nan)
    if rule.unit == "days":
        lag = (expected[has] - last[has]).astype("timedelta64[D]").astype(np.int64)
    else:
        lag = np.busday_count(
            last[has].astype("datetime64[D]") + np.timedelta64(1, "D"),
            expected[has].astype("datetime64[D]") + np.timedelta64(1, "D"),
            busdaycal=business_day_calendar(),
        )
    behind[has] = np.maximum(lag, 0)
    status = np.full(n, FRESH, dtype=object)
    status[np.isnat(last)] = NOT_YET
    stale = has & (behind > rule.limit)
    for gap in s.known_gaps:
        lo, hi = np.datetime64(gap.start, "ns"), np.datetime64(gap.end, "ns")
        stale_in_gap = stale & (last >= lo) & (expected <= hi)
        status[stale_in_gap] = IN_GAP
        stale &= ~stale_in_gap
    if rule.ended is not None:
        after = days.values > np.datetime64(rule.ended, "ns")
        status[after] = ENDED
        stale &= ~after
    status[stale] = STALE
    age = np.full(n, np.nan)
    ok = ~np.isnat(last)
    age[ok] = (days.values[ok] - last[ok]).astype("timedelta64[D]").astype(np.int64)
    return pd.DataFrame(
        {
            "last_obs": last,
            "expected_obs": expected,
            "age_days": age,
            "behind": behind,
            "status": status,
            "stale": stale,
        },
        index=days,
    )


def _iso(t: object) -> str | None:
    ts = pd.Timestamp(t)
    return None if pd.isna(ts) else ts.date().isoformat()


def _int(x: float) -> int | None:
    return None if np.isnan(x) else int(x)


@dataclass(frozen=True)
class Staleness:
    """One series at one decision day.

    Attributes
    ----------
    series : the manifest id.
    day : the decision day (ISO).
    last_obs : the newest observation public at the decision (ISO; None: none yet).
    expected_obs : the newest one its release rule makes public by then (ISO).
    age_days : calendar days from ``last_obs`` to ``day``.
    behind : how far ``last_obs`` is behind ``expected_obs``, in ``unit``.
    limit, unit, cadence : the series' stale rule (:class:`data.manifest.StaleRule`).
    status : one of :data:`STATUSES`.
    stale : ``status == "stale"``.
    feeds : what reads the series (given by the caller: ``regime balance_sheet``, ``cash
        rate``, ...).
    """

    series: str
    day: str
    last_obs: str | None
    expected_obs: str | None
    age_days: int | None
    behind: int | None
    limit: int | None
    unit: str
    cadence: str
    status: str
    stale: bool
    feeds: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        return {
            "series": self.series,
            "last_obs": self.last_obs,
            "age_days": self.age_days,
            "expected_obs": self.expected_obs,
            "behind": self.behind,
            "limit": self.limit,
            "unit": self.unit,
            "cadence": self.cadence,
            "status": self.status,
            "stale": self.stale,
            "feeds": list(self.feeds),
            "message": self.line,
        }

    @property
    def line(self) -> str:
        """One line for people, e.g. ``DTB3: last 2026-07-09 (50 days old), 33 business days
        behind 2026-08-26 (limit 5 business days); feeds cash rate``."""
        if self.status == EX_POST:
            text = f"{self.series}: an ex-post label, never a signal input"
        elif self.last_obs is None:
            text = f"{self.series}: nothing public yet"
        else:
            days = "day" if self.age_days == 1 else "days"
            text = f"{self.series}: last {self.last_obs} ({self.age_days} {days} old)"
            if self.status == ENDED:
                text += " [ended: discontinued]"
            elif self.behind is not None:
                text += (
                    f", {self.behind} {self.unit} behind {self.expected_obs} "
                    f"(limit {self.limit} {self.unit})"
                )
            if self.status == IN_GAP:
                text += f" [{IN_GAP}]"
        if self.feeds:
            text += f"; feeds {', '.join(self.feeds)}"
        return text


def _from_row(series_id: str, day: pd.Timestamp, row: pd.Series, feeds: Sequence[str]) -> Staleness:
    rule = spec(series_id).stale
    return Staleness(
        series=series_id,
        day=day.date().isoformat(),
        last_obs=_iso(row["last_obs"]),
        expected_obs=_iso(row["expected_obs"]),
        age_days=_int(float(row["age_days"])),
        behind=_int(float(row["behind"])),
        limit=rule.limit,
        unit=rule.unit,
        cadence=rule.cadence.value,
        status=str(row["status"]),
        stale=bool(row["stale"]),
        feeds=tuple(feeds),
    )


def add_feed(out: dict[str, list[str]], series: Iterable[str], what: str) -> None:
    """Record in ``out`` (series -> what it feeds) that each of ``series`` feeds ``what``
    (once per series, in order): builds the ``inputs`` mapping of :func:`check_inputs`."""
    for sid in series:
        feeds = out.setdefault(sid, [])
        if what not in feeds:
            feeds.append(what)


def _as_mapping(inputs: Mapping[str, Sequence[str]] | Iterable[str]) -> dict[str, tuple[str, ...]]:
    if isinstance(inputs, Mapping):
        return {k: tuple(v) for k, v in inputs.items()}
    return {k: () for k in inputs}


def check_inputs(
    inputs: Mapping[str, Sequence[str]] | Iterable[str],
    day: str | pd.Timestamp,
    *,
    store: Store | None = None,
) -> list[Staleness]:
    """Staleness of every input at ``day``'s decision, in the order given.

    Parameters
    ----------
    inputs : series ids, or series id -> what each feeds (shown in messages). Series the
        store has no file of are left out (e.g. WLRRAL before ``runoff data update``: the
        features fall back to another series).
    day : the decision day.
    store : the point-in-time store (default: a new :class:`Store`).
    """
    store = store or Store()
    d = pd.Timestamp(day).normalize()
    out = []
    for sid, feeds in _as_mapping(inputs).items():
        if not store.has(sid):
            continue
        row = staleness_frame(store, sid, pd.DatetimeIndex([d])).iloc[0]
        out.append(_from_row(sid, d, row, feeds))
    return out


def stale_inputs(
    inputs: Mapping[str, Sequence[str]] | Iterable[str],
    day: str | pd.Timestamp,
    *,
    store: Store | None = None,
) -> list[Staleness]:
    """The inputs that are stale at ``day``'s decision (see :func:`check_inputs`)."""
    return [s for s in check_inputs(inputs, day, store=store) if s.stale]


@dataclass(frozen=True)
class FreshEnd:
    """The last day on which every input of a set was fresh.

    Attributes
    ----------
    day : that day (None: some input is stale on every day given).
    last : the last day given.
    stale : the inputs stale on the first day after ``day`` (empty when ``day`` is
        ``last``): why the fresh stretch ends there.
    """

    day: pd.Timestamp | None
    last: pd.Timestamp
    stale: tuple[Staleness, ...]

    @property
    def fresh_to_the_end(self) -> bool:
        return self.day is not None and self.day == self.last

    @property
    def reason(self) -> str:
        """Why the fresh stretch ends at ``day``, in one line ('' when it does not end)."""
        if self.fresh_to_the_end:
            return ""
        return "; ".join(s.line for s in self.stale)


def last_fresh_day(
    inputs: Mapping[str, Sequence[str]] | Iterable[str],
    days: pd.DatetimeIndex,
    *,
    store: Store | None = None,
) -> FreshEnd:
    """The last of ``days`` on which no input is stale (see :func:`check_inputs`).

    Parameters
    ----------
    inputs : series ids, or series id -> what each feeds.
    days : decision days, ascending (e.g. the trading days of a backtest).
    store : the point-in-time store.
    """
    store = store or Store()
    days = pd.DatetimeIndex(days).normalize()
    if len(days) == 0:
        raise ValueError("last_fresh_day: no days given")
    mapping = {k: v for k, v in _as_mapping(inputs).items() if store.has(k)}
    frames = {sid: staleness_frame(store, sid, days) for sid in mapping}
    any_stale = np.zeros(len(days), dtype=bool)
    for f in frames.values():
        any_stale |= f["stale"].to_numpy()
    fresh = np.flatnonzero(~any_stale)
    if len(fresh) == 0:
        first_bad = 0
        day = None
    else:
        i = int(fresh[-1])
        day = days[i]
        first_bad = i + 1
    why: tuple[Staleness, ...] = ()
    if first_bad < len(days):
        d = days[first_bad]
        why = tuple(
            _from_row(sid, d, f.iloc[first_bad], mapping[sid])
            for sid, f in frames.items()
            if bool(f["stale"].iloc[first_bad])
        )
    return FreshEnd(day=day, last=days[-1], stale=why)
