"""The data checks: one implementation of each, shared by every command that reads data.

Loading a series for any command (:meth:`data.store.Store.load`), ``runoff data verify``
and ``runoff data update`` (before a download replaces the cache) run the same checks;
loading and updating stop at the first failure with one line naming the file, the line
and the rule, ``data verify`` lists every failure. Each check is vectorised over a
file's rows.

Rules (``check`` name: what fails it):

- ``file``: the loaders' parse rules (header, field count, a date ``YYYY-MM-DD``, a number,
  ``.`` or an empty field for a missing value; ``inf`` and ``nan`` are not finite and
  are errors; dates ascending and unique) and :mod:`data.reader`'s limits.
- ``dates``: every date of a file (observation dates, and the ``realtime_start`` of
  vintage files) lies in ``[EARLIEST_DATE, today + FUTURE_DAYS]``, today being the
  New York date. The loaders check this as they parse, before any conversion to
  nanoseconds, so a date outside pandas' range (1677..2262) is an error naming its line
  and never wraps around (2300-01-05 used to become 1715-06-17).
  Why not "no ``available_at`` after now": the release rules are conservative (GDP two
  quarters after its quarter, UNRATE on the 10th of the next month), so a genuine
  download made today holds values whose rule-based ``available_at`` is still ahead;
  the store simply does not use them until then. An observation or vintage dated more
  than a week ahead, though, cannot be data; the week of grace covers FRED dating a
  target-range change on its effective day (the day after the decision) and time zones.
- ``values``: at least one value (a file whose every row is missing is an error, not
  "nothing public yet").
- ``bounds``: every value inside the manifest's sanity bounds (catches a units change,
  a typo, ``1e300`` or a negative level).
- ``positive``: index closes and fund prices > 0 (the sign rule; the bounds of money
  series start at 0 or above).
- ``release``: no value whose ``available_at`` is before the end of the period it refers
  to (day, week-ending day, month or quarter); the FOMC target rule is by design the
  same day 00:00 and only has to be no earlier. The release rules satisfy this by
  construction; ALFRED ``realtime_start`` dates of a vintage file must too.

``data verify`` also reports ``gaps`` (a step longer than ``max_gap_days``): a gap is
about completeness, not a wrong value, and a user's own file may be sparse on purpose,
so it is not a load-time error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data import dates
from data.errors import DataError
from data.manifest import Release, SeriesSpec

EARLIEST_DATE = np.datetime64(dates.EARLIEST_DAY, "D")
"""No date in a data file may be earlier (FRED's and Yahoo's series start after it)."""

FUTURE_DAYS = 7
"""No date in a data file may be more than this many days after today (New York)."""


def today() -> np.datetime64:
    """Today's date in New York (the store's wall time) as ``datetime64[D]``."""
    return np.datetime64(dates.today().date(), "D")


def latest_date(now: dt.date | None = None) -> np.datetime64:
    """The latest date a data file may hold: ``now`` (default: today) + :data:`FUTURE_DAYS`."""
    day = today() if now is None else np.datetime64(now, "D")
    return day + np.timedelta64(FUTURE_DAYS, "D")


def check_dates(
    dates: np.ndarray, lines: np.ndarray, where: str, column: str = "date", *, latest: np.datetime64
) -> None:
    """The ``dates`` rule on a ``datetime64[D]`` array parsed from the file.

    Parameters
    ----------
    dates : the parsed dates, one per data row.
    lines : the 1-based line of each row, same length.
    where : the file (or download) for messages.
    column : which column, for messages (``date`` or ``realtime_start``).
    latest : the latest allowed date (:func:`latest_date`).

    Raises
    ------
    DataError (``check='dates'``) naming the first offending line.
    """
    if not len(dates):
        return
    bad = (dates < EARLIEST_DATE) | (dates > latest)
    if bad.any():
        i = int(np.argmax(bad))
        d = dates[i]
        why = (
            f"before {EARLIEST_DATE}"
            if d < EARLIEST_DATE
            else f"after {latest} (today + {FUTURE_DAYS} days): a date in the future"
        )
        raise DataError(
            f"{where}: line {int(lines[i])}: {column} {d} is {why}; dates must lie in "
            f"{EARLIEST_DATE}..today + {FUTURE_DAYS} days (a typo in the year?)",
            check="dates",
        )


@dataclass(frozen=True)
class Problem:
    """One failed check: ``check`` (rule name) and a one-line ``message`` (file, line, fix)."""

    check: str
    message: str

    def error(self) -> DataError:
        return DataError(self.message, check=self.check)


def period_end(s: SeriesSpec, obs_date: np.ndarray) -> np.ndarray:
    """Last day of the period each observation refers to (midnight, datetime64[ns]).

    Monthly and quarterly values dated at the period's first day refer to the whole
    month or quarter; every other value refers to its own date (weekly H.4.1 values are
    dated at the Wednesday that ends their week).
    """
    days = pd.DatetimeIndex(obs_date)
    if s.refers_to in ("month", "quarter"):
        freq = "M" if s.refers_to == "month" else "Q"
        return days.to_period(freq).to_timestamp(how="end").normalize().values
    return days.normalize().values


def _at(lines: np.ndarray | None, obs_date: np.ndarray, i: int) -> str:
    """``line N, YYYY-MM-DD`` (or the date alone when line numbers are not known)."""
    day = str(obs_date[i])[:10]
    return day if lines is None else f"line {int(lines[i])}, {day}"


def value_problems(
    s: SeriesSpec,
    where: str,
    obs_date: np.ndarray,
    value: np.ndarray,
    available_at: np.ndarray,
    lines: np.ndarray | None = None,
) -> list[Problem]:
    """The ``values``, ``bounds``, ``positive`` and ``release`` rules on one file's rows.

    Parameters
    ----------
    s : the series' manifest entry.
    where : the file (or download) for messages.
    obs_date, value, available_at : arrays of the same length, one entry per data row
        (``datetime64[ns]``, float64 with NaN for a missing value, ``datetime64[ns]``).
    lines : the 1-based line of each row in the file (``None``: cite dates only).

    Returns
    -------
    One :class:`Problem` per failed rule, the first offending row named (empty: all pass).
    """
    has = ~np.isnan(value)
    if not has.any():
        return [
            Problem(
                "values",
                f"{where}: no values (every row is missing: '.' or an empty field); a file "
                f"must hold at least one value",
            )
        ]
    out: list[Problem] = []
    lo, hi = s.bounds
    bad = np.flatnonzero(has & ((value < lo) | (value > hi)))
    if len(bad):
        i = int(bad[0])
        out.append(
            Problem(
                "bounds",
                f"{where}: {_at(lines, obs_date, i)}: value {value[i]:g} outside the sanity "
                f"bounds {s.bounds_text} ({s.units}); {len(bad)} value(s) out of bounds — "
                f"wrong units or a typo?",
            )
        )
    if s.price_column is not None:
        nonpos = np.flatnonzero(has & (value <= 0))
        if len(nonpos):
            i = int(nonpos[0])
            out.append(
                Problem(
                    "positive",
                    f"{where}: {_at(lines, obs_date, i)}: non-positive {s.price_column} "
                    f"{value[i]:g}; prices must be > 0",
                )
            )
    if s.release is not Release.EX_POST:
        end = period_end(s, obs_date)
        early = (available_at < end) if s.release is Release.TARGET else (available_at <= end)
        early &= has
        if early.any():
            i = int(np.argmax(early))
            out.append(
                Problem(
                    "release",
                    f"{where}: {_at(lines, obs_date, i)}: available_at "
                    f"{pd.Timestamp(available_at[i])} is before the end of the period the "
                    f"value refers to ({pd.Timestamp(end[i]).date()}); "
                    f"{int(early.sum())} row(s) — fix the realtime_start dates",
                )
            )
    return out
