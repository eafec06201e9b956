"""Release rules: turn observation dates into ``available_at`` timestamps.

Timestamps are naive ``datetime64[ns]`` in America/New_York wall time. A value is
usable for the decision of trading day ``d`` when ``available_at <= d 16:00``.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from pandas.tseries.holiday import USFederalHolidayCalendar
from pandas.tseries.offsets import CustomBusinessDay

from data.manifest import Release

DECISION_TIME = pd.Timedelta(hours=16)
"""Decisions are taken at the US close, 16:00 ET, of each trading day."""

_TIME_OF_DAY: dict[Release, pd.Timedelta] = {
    Release.H41_WEEKLY: pd.Timedelta(hours=16, minutes=30),
    Release.H15_DAILY: pd.Timedelta(hours=16, minutes=15),
    Release.FED_FUNDS: pd.Timedelta(hours=9),
    Release.TARGET: pd.Timedelta(0),
    Release.SAME_DAY_1630: pd.Timedelta(hours=16, minutes=30),
    Release.MARKET_CLOSE: pd.Timedelta(hours=16),
    Release.VIX_CLOSE: pd.Timedelta(hours=16, minutes=15),
    Release.MONTHLY_10TH: pd.Timedelta(hours=9),
    Release.QUARTERLY_LAG: pd.Timedelta(hours=9),
}


@lru_cache(maxsize=1)
def business_day() -> CustomBusinessDay:
    """The Federal Reserve's business days: weekdays that are not US federal holidays."""
    return CustomBusinessDay(calendar=USFederalHolidayCalendar())


@lru_cache(maxsize=1)
def _busdaycal() -> np.busdaycalendar:
    """The same calendar as :func:`business_day` for NumPy's vectorised ``busday_offset``.

    ``CustomBusinessDay(calendar=...)`` takes the calendar's holidays over its default
    range (1970-2200); so does this, so both agree on every date.
    """
    hol = USFederalHolidayCalendar().holidays().values.astype("datetime64[D]")
    return np.busdaycalendar(weekmask="1111100", holidays=hol)


def business_day_calendar() -> np.busdaycalendar:
    """The Federal Reserve's business days as a NumPy calendar (``np.busday_count`` and
    friends), equal to :func:`business_day` on every date."""
    return _busdaycal()


def _roll_forward(days: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Move each date to itself if a business day, else to the next business day."""
    d = days.values.astype("datetime64[D]")
    out = np.busday_offset(d, 0, roll="forward", busdaycal=_busdaycal())
    return pd.DatetimeIndex(out.astype("datetime64[ns]"))


def _next_bday(days: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """The first business day strictly after each date (``date + business_day()``)."""
    d = days.values.astype("datetime64[D]")
    out = np.busday_offset(d, 1, roll="backward", busdaycal=_busdaycal())
    return pd.DatetimeIndex(out.astype("datetime64[ns]"))


def time_of_day(rule: Release) -> pd.Timedelta:
    """Time of day (ET) at which values under ``rule`` are published."""
    return _TIME_OF_DAY[rule]


def available_at(obs_dates: pd.DatetimeIndex | np.ndarray, rule: Release) -> np.ndarray:
    """``available_at`` of each observation date under ``rule``.

    Parameters
    ----------
    obs_dates : observation dates (midnight timestamps), any order.
    rule : the series' release rule.

    Returns
    -------
    numpy datetime64[ns] array of the same length (NaT for ex-post series).
    """
    days = pd.DatetimeIndex(obs_dates).normalize()
    if rule is Release.EX_POST:
        return np.full(len(days), np.datetime64("NaT"), dtype="datetime64[ns]")
    # Rules are evaluated once per distinct date (weekly and monthly series repeat little,
    # daily ones not at all), which keeps the holiday-aware offsets cheap.
    uniq, inverse = np.unique(days.values, return_inverse=True)
    u = pd.DatetimeIndex(uniq)
    if rule is Release.H41_WEEKLY:
        day = _roll_forward(u + pd.Timedelta(days=1))
    elif rule in (Release.H15_DAILY, Release.FED_FUNDS):
        day = _next_bday(u)
    elif rule in (Release.TARGET, Release.SAME_DAY_1630, Release.MARKET_CLOSE, Release.VIX_CLOSE):
        day = u
    elif rule is Release.MONTHLY_10TH:
        first = u.to_period("M").to_timestamp()
        day = _roll_forward(first + pd.DateOffset(months=1) + pd.Timedelta(days=9))
    elif rule is Release.QUARTERLY_LAG:
        first = u.to_period("Q").to_timestamp()
        day = _roll_forward(first + pd.DateOffset(months=6))
    else:  # pragma: no cover - the enum is closed
        raise AssertionError(rule)
    stamps = (pd.DatetimeIndex(day) + _TIME_OF_DAY[rule]).values.astype("datetime64[ns]")
    return stamps[inverse]


def with_vintage(realtime_start: pd.DatetimeIndex | np.ndarray, rule: Release) -> np.ndarray:
    """``available_at`` from genuine ALFRED vintage dates: the vintage's date at the rule's time of day."""
    days = pd.DatetimeIndex(realtime_start).normalize()
    if rule is Release.EX_POST:
        return np.full(len(days), np.datetime64("NaT"), dtype="datetime64[ns]")
    return (days + _TIME_OF_DAY[rule]).values.astype("datetime64[ns]")


def decision_times(days: pd.DatetimeIndex) -> np.ndarray:
    """The decision timestamp (16:00 ET) of each trading day."""
    return (pd.DatetimeIndex(days).normalize() + DECISION_TIME).values.astype("datetime64[ns]")
