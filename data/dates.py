"""Parsing the dates users type (``--start``, ``--as-of``, API arguments): one rule for all."""

from __future__ import annotations

import datetime as dt
from typing import TypeAlias

import numpy as np
import pandas as pd

from data.errors import ParameterError

DayLike: TypeAlias = str | dt.date | np.datetime64 | pd.Timestamp


def parse_day(value: DayLike, name: str = "date") -> pd.Timestamp:
    """A calendar day (midnight Timestamp) from ``YYYY-MM-DD`` text or a date-like object.

    Raises :class:`ParameterError` naming ``name`` for anything else (other text layouts,
    impossible dates such as 2024-02-30, NaT).
    """
    bad = ParameterError(f"{name}: bad date {value!r}; expected YYYY-MM-DD")
    if isinstance(value, str):
        t = value.strip()
        if len(t) != 10 or t[4] != "-" or t[7] != "-":
            raise bad
        try:
            return pd.Timestamp(np.datetime64(t, "D"))
        except ValueError:
            raise bad from None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise bad from None
    if pd.isna(ts):
        raise bad
    return ts.normalize()


NEW_YORK = "America/New_York"


def today() -> pd.Timestamp:
    """Today's date in New York (the store's wall time), as a midnight Timestamp."""
    return pd.Timestamp(pd.Timestamp.now(tz=NEW_YORK).date())


def parse_past_day(
    value: DayLike, name: str = "date", earliest: str = "1800-01-01"
) -> pd.Timestamp:
    """:func:`parse_day`, and the day must not be after today (New York) nor before ``earliest``.

    A decision day in the future has no answer (nothing published after today is in any
    file); one before ``earliest`` is before every series.
    """
    day = parse_day(value, name)
    now = today()
    if day > now:
        raise ParameterError(
            f"{name}: {day.date()} is in the future (today is {now.date()} in New York); "
            f"nothing published after today is known"
        )
    if day < pd.Timestamp(earliest):
        raise ParameterError(f"{name}: {day.date()} is before {earliest}, before every series")
    return day


def parse_optional_day(value: DayLike | None, name: str) -> pd.Timestamp | None:
    """:func:`parse_day`, with ``None`` (no bound) passed through."""
    return None if value is None else parse_day(value, name)
