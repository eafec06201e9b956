"""Parsing the dates users type (``--start``, ``--as-of``, API arguments): one rule for all."""

from __future__ import annotations

import datetime as dt
from typing import TypeAlias

import numpy as np
import pandas as pd

from data.errors import ParameterError

DayLike: TypeAlias = str | dt.date | np.datetime64 | pd.Timestamp

EARLIEST_DAY = "1800-01-01"
"""No earlier date is accepted, from users or in data files: it is before every series."""
LATEST_DAY = "2200-12-31"
"""No later date is accepted from users (pandas' nanosecond clock ends in 2262: no wrap)."""
NEW_YORK = "America/New_York"


def parse_day(value: DayLike, name: str = "date") -> pd.Timestamp:
    """A calendar day (midnight Timestamp) from ``YYYY-MM-DD`` text or a date-like object.

    Raises :class:`ParameterError` naming ``name`` for anything else (other text layouts,
    impossible dates such as 2024-02-30, NaT, a day outside
    :data:`EARLIEST_DAY`..:data:`LATEST_DAY`).
    """
    bad = ParameterError(f"{name}: bad date {value!r}; expected YYYY-MM-DD")
    if isinstance(value, str):
        t = value.strip()
        if len(t) != 10 or t[4] != "-" or t[7] != "-":
            raise bad
        try:
            day = np.datetime64(t, "D")
        except ValueError:
            raise bad from None
    else:
        try:
            ts = pd.Timestamp(value)
        except (ValueError, TypeError, OverflowError):
            raise bad from None
        if pd.isna(ts):
            raise bad
        day = np.datetime64(ts.date(), "D")
    if not np.datetime64(EARLIEST_DAY) <= day <= np.datetime64(LATEST_DAY):
        raise ParameterError(
            f"{name}: {day} is outside the dates Runoff accepts ({EARLIEST_DAY}..{LATEST_DAY})"
        )
    return pd.Timestamp(day).as_unit("ns")


def today() -> pd.Timestamp:
    """Today's date in New York (the store's wall time), as a midnight Timestamp."""
    return pd.Timestamp(pd.Timestamp.now(tz=NEW_YORK).date())


def parse_past_day(value: DayLike, name: str = "date") -> pd.Timestamp:
    """:func:`parse_day`, and the day must not be after today (New York).

    A decision day in the future has no answer: nothing published after today is in any
    file, so the answer would pass today's knowledge off as that day's.
    """
    day = parse_day(value, name)
    now = today()
    if day > now:
        raise ParameterError(
            f"{name}: {day.date()} is in the future (today is {now.date()} in New York); "
            f"nothing published after today is known"
        )
    return day


def parse_optional_day(value: DayLike | None, name: str) -> pd.Timestamp | None:
    """:func:`parse_day`, with ``None`` (no bound) passed through."""
    return None if value is None else parse_day(value, name)
