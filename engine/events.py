"""Event table: S&P 500 (and strategy) returns 3, 6 and 12 months after first cuts and QE/QT dates.

First cuts come from the target series in the store (DFEDTAR to 2008-12-15, then the upper end
of the range DFEDTARU), dated as FRED dates them: the effective day, the day after the FOMC
decision. QE/QT dates are labelled constants from DESIGN.md's reference timeline. Events are
labels for evaluation, never signals.

Returns run from the last close strictly before the event date (the level before the news) to
the last close on or before the event date plus the horizon; NaN where the data end first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.store import Store

HORIZONS_MONTHS: tuple[int, ...] = (3, 6, 12)
"""Horizons of the event table, in calendar months."""

FIRST_CUT_MIN_GAP_DAYS = 120
"""A cut is a *first cut* when the previous change was a hike or lies more than this many
calendar days back (a pause of about four months: 2019-10-30 -> 2020-03-03 is 125 days)."""

TARGET_SPLICE = pd.Timestamp("2008-12-16")
"""First day of the target range (DFEDTARU); DFEDTAR (single target) is used before it."""

_DESIGN = "DESIGN.md reference timeline"


@dataclass(frozen=True)
class Event:
    """One dated event: ``name``, ``date``, ``kind`` (first_cut, qe, qt, ...) and its source."""

    name: str
    date: pd.Timestamp
    kind: str
    source: str


def _ev(name: str, date: str, kind: str) -> Event:
    return Event(name, pd.Timestamp(date), kind, _DESIGN)


BALANCE_SHEET_EVENTS: tuple[Event, ...] = (
    _ev("QE1 announced", "2008-11-25", "qe"),
    _ev("QE1 expanded", "2009-03-18", "qe"),
    _ev("QE2", "2010-11-03", "qe"),
    _ev("Operation Twist", "2011-09-21", "twist"),
    _ev("QE3 (MBS)", "2012-09-13", "qe"),
    _ev("QE3 taper starts", "2014-01-02", "taper"),
    _ev("QE3 purchases end", "2014-10-29", "plateau"),
    _ev("QT1 announced", "2017-09-20", "qt"),
    _ev("QT1 runoff starts", "2017-10-02", "qt"),
    _ev("QT1 ends", "2019-08-01", "qt_end"),
    _ev("Bill purchases after the repo stress", "2019-10-15", "qe"),
    _ev("QE4", "2020-03-15", "qe"),
    _ev("QE4 open-ended", "2020-03-23", "qe"),
    _ev("QE4 taper starts", "2021-11-01", "taper"),
    _ev("QE4 last purchase", "2022-03-09", "plateau"),
    _ev("QT2 runoff starts", "2022-06-01", "qt"),
    _ev("QT2 at $95B/month", "2022-09-01", "qt"),
    _ev("BTFP opens", "2023-03-12", "btfp"),
    _ev("BTFP new loans end", "2024-03-11", "btfp"),
    _ev("QT2 Treasury cap to $25B", "2024-06-01", "qt_slow"),
    _ev("QT2 Treasury cap to $5B", "2025-04-01", "qt_slow"),
    _ev("QT2 runoff ends", "2025-12-01", "qt_end"),
    _ev("Reserve-management bill purchases", "2025-12-12", "qe"),
)
"""QE / QT / BTFP dates from DESIGN.md's reference timeline ("Nov 2021" and "Jan 2014" taken as
the first business day of the month; "runoff from Oct 2017" as 2017-10-02, "ended Aug 2019" as
2019-08-01)."""


def policy_target(store: Store) -> pd.Series:
    """The policy target by effective day: DFEDTAR before 2008-12-16, DFEDTARU from then on."""
    old = store.observations("DFEDTAR")
    new = store.observations("DFEDTARU")
    a = pd.Series(old["value"].to_numpy(), index=pd.DatetimeIndex(old["obs_date"]))
    b = pd.Series(new["value"].to_numpy(), index=pd.DatetimeIndex(new["obs_date"]))
    return pd.concat([a[a.index < TARGET_SPLICE], b[b.index >= TARGET_SPLICE]]).sort_index()


def first_cuts(target: pd.Series, min_gap_days: int = FIRST_CUT_MIN_GAP_DAYS) -> list[Event]:
    """First cuts of the target: cuts after a hike or after a pause of more than ``min_gap_days``.

    Parameters
    ----------
    target : policy target (percent) by effective date, ascending.
    min_gap_days : pause (calendar days since the previous change) that makes a cut a first cut.

    Returns
    -------
    Events of kind ``first_cut`` dated on FRED's effective day.
    """
    diff = target.diff()
    changes = diff[diff.abs() > 1e-9]
    out = []
    prev_date, prev_move = None, 0.0
    for date, move in changes.items():
        if move < 0 and prev_date is not None:
            gap = (date - prev_date).days
            if prev_move > 0 or gap > min_gap_days:
                out.append(
                    Event(
                        f"First cut to {target[date]:.2f}%",
                        pd.Timestamp(date),
                        "first_cut",
                        "policy target (DFEDTAR / DFEDTARU), effective day",
                    )
                )
        prev_date, prev_move = date, float(move)
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


def event_table(
    close: pd.Series,
    events: list[Event] | tuple[Event, ...],
    strategy_value: pd.Series | None = None,
    horizons: tuple[int, ...] = HORIZONS_MONTHS,
) -> pd.DataFrame:
    """S&P 500 (and optionally strategy) returns after each event.

    Parameters
    ----------
    close : index closes by trading day.
    events : the events (sorted by date in the output).
    strategy_value : strategy value by day over its window; its returns are NaN for events
        whose span is not inside the window.
    horizons : horizons in months.

    Returns
    -------
    DataFrame with ``date``, ``event``, ``kind``, ``source``, ``sp500_<h>m`` and, with a
    strategy, ``strategy_<h>m`` per horizon.
    """
    rows = []
    for ev in sorted(events, key=lambda e: e.date):
        row: dict[str, object] = {
            "date": ev.date.date().isoformat(),
            "event": ev.name,
            "kind": ev.kind,
            "source": ev.source,
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
    """First cuts from the store and the QE/QT constants, from ``start`` on (default: all)."""
    events = first_cuts(policy_target(store)) + list(BALANCE_SHEET_EVENTS)
    if start is not None:
        events = [e for e in events if e.date >= start]
    return sorted(events, key=lambda e: e.date)
