"""Event table: S&P 500 (and strategy) returns 3, 6 and 12 months after rate cuts and QE/QT dates.

Rate-cut events come from the policy target in the store and are dated on their
**announcement day** (the FOMC decision, or the day of an inter-meeting move):

* ``first_cut`` -- the first cut after the last hike of a hiking cycle (the previous change
  of the target was a hike): 2001-01-03, 2007-09-18, 2019-07-31, 2024-09-18 (DESIGN.md's
  reference timeline: hiking cycles end 2006-06-29, 2018-12-19, 2023-07-26).
* ``cut_after_pause`` -- a cut whose previous change was a cut more than
  :data:`PAUSE_MIN_DAYS` calendar days earlier (2002-11-06, 2003-06-25, 2008-10-08,
  2020-03-03, 2025-09-17): a resumed easing, not the start of a cycle.

FRED dates the target in two ways, read off the bundled data (one test per era):

* DFEDTAR (single target, to 2008-12-15) and DFEDTARU/DFEDTARL up to 2016-12-14 date a change
  on the decision day itself (2007-09-18, the inter-meeting 2008-10-08, the 2015-12-16 hike that
  DESIGN.md lists as the start of the 2015-18 cycle).
* From 2017-03-16 on (:data:`NEXT_DAY_DATING_FROM`), DFEDTARU/DFEDTARL date a change on its
  effective day, the calendar day after the announcement: 2018-12-20 for the 2018-12-19 hike,
  2019-08-01 for the 2019-07-31 cut, 2020-03-04 for the inter-meeting cut of Tuesday
  2020-03-03, Monday 2020-03-16 for the cut announced on Sunday 2020-03-15, 2024-11-08 for the
  decision of Thursday 2024-11-07, 2024-09-19 for the 2024-09-18 cut.

Each cut also carries what the phase kernel knew on the first trading day it saw the new
target: its phase (``CUTTING`` or ``CUTTING_RECESSION``, the kernel's real-time recession tag:
Sahm rule, inter-meeting cut or fast cuts) and the real-time Sahm rule reading. NBER's USREC is
never used: it is published long after the fact.

QE/QT dates are labelled constants from DESIGN.md's reference timeline; each says whether it
is an announcement or an implementation date (e.g. "QT2 runoff starts"). Events are labels for
evaluation, never signals.

Returns run from the last close strictly before the event date (the level before the news) to
the last close on or before the event date plus the horizon; NaN where the data end first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.store import Store
from engine.features import policy_range_obs

HORIZONS_MONTHS: tuple[int, ...] = (3, 6, 12)
"""Horizons of the event table, in calendar months."""

PAUSE_MIN_DAYS = 120
"""A cut that follows another cut by more than this many calendar days (about four months,
e.g. 2019-10-30 -> 2020-03-03 is 125 days) is a ``cut_after_pause``; closer cuts continue an
easing and are not events."""

TARGET_SPLICE = pd.Timestamp("2008-12-16")
"""First day of the target range (DFEDTARU); DFEDTAR (single target) is used before it."""

NEXT_DAY_DATING_FROM = pd.Timestamp("2017-03-16")
"""First FRED date of a target change dated on the day *after* its announcement (the
2017-03-15 hike); FRED dates every earlier change on the announcement day itself."""

_DESIGN = "DESIGN.md reference timeline"
_TARGET_SOURCE = "policy target (DFEDTAR / DFEDTARU-L), dated on the announcement day"


@dataclass(frozen=True)
class Event:
    """One dated event.

    Attributes
    ----------
    name : label shown in the tables.
    date : the day the event is dated on (an announcement unless ``dated`` says otherwise).
    kind : ``first_cut``, ``cut_after_pause``, ``qe``, ``qt``, ``taper``, ...
    source : where the date comes from.
    dated : ``announcement`` or ``implementation`` (a start date fixed by an earlier
        announcement).
    effective : for target changes, the day FRED dates the change on (its effective day from
        2017-03-16 on); None otherwise.
    """

    name: str
    date: pd.Timestamp
    kind: str
    source: str
    dated: str = "announcement"
    effective: pd.Timestamp | None = None


def _ev(name: str, date: str, kind: str, dated: str = "announcement") -> Event:
    return Event(name, pd.Timestamp(date), kind, _DESIGN, dated)


_IMPL = "implementation"

BALANCE_SHEET_EVENTS: tuple[Event, ...] = (
    _ev("QE1 announced", "2008-11-25", "qe"),
    _ev("QE1 expanded", "2009-03-18", "qe"),
    _ev("QE2", "2010-11-03", "qe"),
    _ev("Operation Twist", "2011-09-21", "twist"),
    _ev("QE3 (MBS)", "2012-09-13", "qe"),
    _ev("QE3 taper starts", "2014-01-02", "taper", _IMPL),
    _ev("QE3 purchases end", "2014-10-29", "plateau"),
    _ev("QT1 announced", "2017-09-20", "qt"),
    _ev("QT1 runoff starts", "2017-10-02", "qt", _IMPL),
    _ev("QT1 ends", "2019-08-01", "qt_end", _IMPL),
    _ev("Bill purchases after the repo stress", "2019-10-15", "qe", _IMPL),
    _ev("QE4", "2020-03-15", "qe"),
    _ev("QE4 open-ended", "2020-03-23", "qe"),
    _ev("QE4 taper announced", "2021-11-03", "taper"),
    _ev("QE4 last purchase", "2022-03-09", "plateau", _IMPL),
    _ev("QT2 runoff starts", "2022-06-01", "qt", _IMPL),
    _ev("QT2 at $95B/month", "2022-09-01", "qt", _IMPL),
    _ev("BTFP opens", "2023-03-12", "btfp"),
    _ev("BTFP new loans end", "2024-03-11", "btfp", _IMPL),
    _ev("QT2 Treasury cap to $25B", "2024-06-01", "qt_slow", _IMPL),
    _ev("QT2 Treasury cap to $5B", "2025-04-01", "qt_slow", _IMPL),
    _ev("QT2 runoff ends", "2025-12-01", "qt_end", _IMPL),
    _ev("Reserve-management bill purchases", "2025-12-12", "qe", _IMPL),
)
"""QE / QT / BTFP dates from DESIGN.md's reference timeline. The QE4 taper is dated on its
announcement, the FOMC statement of 2021-11-03 ("taper from Nov 2021"). Dates that DESIGN.md
gives as the start of an operation are marked ``implementation``: "Jan 2014" (QE3 taper) as
2014-01-02, "runoff from Oct 2017" as 2017-10-02, "ended Aug 2019" as 2019-08-01."""


def announcement_day(fred_date: pd.Timestamp) -> pd.Timestamp:
    """The announcement day of a target change that FRED dates on ``fred_date``.

    The calendar day before from :data:`NEXT_DAY_DATING_FROM` on (Sunday 2020-03-15 for the
    change FRED dates Monday 2020-03-16), the same day before it.
    """
    d = pd.Timestamp(fred_date)
    return d - pd.Timedelta(days=1) if d >= NEXT_DAY_DATING_FROM else d


def policy_changes(store: Store) -> pd.DataFrame:
    """Every change of the policy target, first releases, oldest first.

    Returns
    -------
    DataFrame with ``announced`` (announcement day), ``fred_date`` (the day FRED dates it on),
    ``upper``, ``lower`` (the new target or range, percent; equal before 2008-12-16) and
    ``move`` (change of the upper end, percentage points).
    """
    rng = policy_range_obs(store).sort_values("obs_date", kind="stable")
    up = rng["upper"].to_numpy(dtype=np.float64)
    lo = rng["lower"].to_numpy(dtype=np.float64)
    move = np.diff(up, prepend=np.nan)
    sel = np.abs(move) > 1e-9
    fred = pd.DatetimeIndex(rng["obs_date"])[sel]
    return pd.DataFrame(
        {
            "announced": pd.DatetimeIndex([announcement_day(d) for d in fred]),
            "fred_date": fred,
            "upper": up[sel],
            "lower": lo[sel],
            "move": move[sel],
        }
    )


def _level(upper: float, lower: float) -> str:
    return f"{upper:.2f}%" if abs(upper - lower) < 1e-9 else f"{lower:.2f}-{upper:.2f}%"


def cut_events(changes: pd.DataFrame, pause_days: int = PAUSE_MIN_DAYS) -> list[Event]:
    """First cuts of a cycle and cuts after a pause, from :func:`policy_changes`.

    Parameters
    ----------
    changes : target changes with ``announced``, ``fred_date``, ``upper``, ``lower``,
        ``move``, oldest first.
    pause_days : calendar days between two cuts (announcement days) that make the second a
        ``cut_after_pause``.

    Returns
    -------
    Events dated on the announcement day: ``first_cut`` when the previous change was a hike,
    ``cut_after_pause`` when it was a cut more than ``pause_days`` earlier. The first change
    of the data has no previous change and is never an event.
    """
    out = []
    rows = list(changes.itertuples(index=False))
    for prev, cur in zip(rows[:-1], rows[1:], strict=True):
        if cur.move >= 0:
            continue
        level = _level(cur.upper, cur.lower)
        if prev.move > 0:
            name, kind = f"First cut of a cycle, to {level}", "first_cut"
        elif (cur.announced - prev.announced).days > pause_days:
            name, kind = f"Cut after a pause, to {level}", "cut_after_pause"
        else:
            continue
        out.append(
            Event(
                name,
                pd.Timestamp(cur.announced),
                kind,
                _TARGET_SOURCE,
                "announcement",
                pd.Timestamp(cur.fred_date),
            )
        )
    return out


def forward_return(close: pd.Series, date: pd.Timestamp, months: int) -> float:
    """Return of ``close`` from the last close before ``date`` to the last close on or before
    ``date + months`` (NaN when either end is outside the series)."""
    idx = close.index
    i0 = idx.searchsorted(date, side="left") - 1
    end = date + pd.DateOffset(months=months)
    i1 = idx.searchsorted(end, side="right") - 1
    if i0 < 0 or end > idx[-1] or i1 <= i0:
        return np.nan
    return float(close.iloc[i1] / close.iloc[i0] - 1.0)


CUT_KINDS: tuple[str, ...] = ("first_cut", "cut_after_pause")
"""Event kinds that are rate cuts (they carry the phase kernel's reading)."""


def _kernel_reading(ev: Event, regimes: pd.DataFrame | None) -> dict[str, object]:
    """The phase and the real-time Sahm rule on the first trading day the cut was known."""
    out: dict[str, object] = {"phase_then": None, "recession_driven": None, "sahm_realtime": None}
    if regimes is None or ev.kind not in CUT_KINDS or len(regimes) == 0:
        return out
    known = ev.effective if ev.effective is not None else ev.date
    idx = pd.DatetimeIndex(regimes.index)
    i = int(idx.searchsorted(known, side="left"))
    if i >= len(idx) or idx[0] > ev.date:
        return out
    phase = str(regimes["phase"].iloc[i])
    sahm = float(regimes["sahm"].iloc[i]) if "sahm" in regimes else np.nan
    out["phase_then"] = phase
    out["recession_driven"] = phase == "CUTTING_RECESSION"
    out["sahm_realtime"] = sahm if np.isfinite(sahm) else None
    return out


def event_table(
    close: pd.Series,
    events: list[Event] | tuple[Event, ...],
    strategy_value: pd.Series | None = None,
    horizons: tuple[int, ...] = HORIZONS_MONTHS,
    regimes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """S&P 500 (and optionally strategy) returns after each event.

    Parameters
    ----------
    close : index closes by trading day.
    events : the events (sorted by date in the output).
    strategy_value : strategy value by day over its window; its returns are NaN for events
        whose span is not inside the window.
    horizons : horizons in months.
    regimes : a regime frame (``phase`` and ``sahm`` columns by trading day) to read, for each
        cut, the phase on the first trading day on or after the day the new target was known
        (FRED's date) and the real-time Sahm rule then; None leaves those columns empty.

    Returns
    -------
    DataFrame with ``date`` (ISO), ``event``, ``kind``, ``dated`` (announcement /
    implementation), ``source``, ``fred_date`` (target changes: the day FRED dates them on),
    ``phase_then``, ``recession_driven`` (bool: the kernel tagged the easing
    ``CUTTING_RECESSION``), ``sahm_realtime`` (None for events that are not cuts),
    ``sp500_<h>m`` and, with a strategy, ``strategy_<h>m`` per horizon.
    """
    rows = []
    for ev in sorted(events, key=lambda e: e.date):
        row: dict[str, object] = {
            "date": ev.date.date().isoformat(),
            "event": ev.name,
            "kind": ev.kind,
            "dated": ev.dated,
            "source": ev.source,
            "fred_date": None if ev.effective is None else ev.effective.date().isoformat(),
            **_kernel_reading(ev, regimes),
        }
        for h in horizons:
            row[f"sp500_{h}m"] = forward_return(close, ev.date, h)
        if strategy_value is not None:
            for h in horizons:
                inside = len(strategy_value) and strategy_value.index[0] < ev.date
                row[f"strategy_{h}m"] = (
                    forward_return(strategy_value, ev.date, h) if inside else np.nan
                )
        rows.append(row)
    return pd.DataFrame(rows)


def default_events(store: Store, start: pd.Timestamp | None = None) -> list[Event]:
    """Rate-cut events from the store and the QE/QT constants, from ``start`` on (default: all)."""
    events = cut_events(policy_changes(store)) + list(BALANCE_SHEET_EVENTS)
    if start is not None:
        events = [e for e in events if e.date >= start]
    return sorted(events, key=lambda e: e.date)
