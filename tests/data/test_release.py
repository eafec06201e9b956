"""Release rules: when each kind of observation becomes public (DESIGN.md, "Time and look-ahead")."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from data.manifest import MANIFEST, Release
from data.release import (
    _next_bday,
    _roll_forward,
    available_at,
    business_day,
    decision_times,
    with_vintage,
)


def _one(day: str, rule: Release) -> pd.Timestamp:
    return pd.Timestamp(available_at(pd.DatetimeIndex([day]), rule)[0])


@pytest.mark.parametrize(
    ("obs", "expected", "why"),
    [
        ("2024-01-03", "2024-01-04 16:30", "ordinary week: Thursday 16:30"),
        ("2023-11-22", "2023-11-24 16:30", "Thanksgiving Thursday -> Friday"),
        ("2025-06-18", "2025-06-20 16:30", "Juneteenth Thursday -> Friday"),
        ("2024-12-25", "2024-12-26 16:30", "Christmas Wednesday itself is the obs date"),
        ("2020-12-30", "2020-12-31 16:30", "Thursday before New Year's Day"),
        ("2026-12-30", "2026-12-31 16:30", "New Year's Eve Thursday is a business day"),
    ],
)
def test_h41_weekly_rolls_over_holidays(obs: str, expected: str, why: str) -> None:
    assert _one(obs, Release.H41_WEEKLY) == pd.Timestamp(expected), why


@pytest.mark.parametrize(
    ("obs", "expected"),
    [
        ("2024-01-11", "2024-01-12 16:15"),  # Thursday -> Friday
        ("2024-01-12", "2024-01-16 16:15"),  # Friday before MLK day -> Tuesday
        ("2024-07-03", "2024-07-05 16:15"),  # over Independence Day
        ("2024-01-13", "2024-01-16 16:15"),  # a Saturday (never an H.15 date) still rolls
    ],
)
def test_h15_next_business_day(obs: str, expected: str) -> None:
    assert _one(obs, Release.H15_DAILY) == pd.Timestamp(expected)


def test_fed_funds_target_on_rrp_and_close() -> None:
    assert _one("2024-01-12", Release.FED_FUNDS) == pd.Timestamp("2024-01-16 09:00")
    # Target range: public on its effective day at 00:00 (the decision was the day before).
    assert _one("2024-09-19", Release.TARGET) == pd.Timestamp("2024-09-19 00:00")
    assert _one("2024-01-03", Release.SAME_DAY_1630) == pd.Timestamp("2024-01-03 16:30")
    assert _one("2024-01-19", Release.MARKET_CLOSE) == pd.Timestamp("2024-01-19 16:00")
    assert _one("2024-01-19", Release.VIX_CLOSE) == pd.Timestamp("2024-01-19 16:15")


@pytest.mark.parametrize(
    ("obs", "expected"),
    [
        ("2024-07-01", "2024-08-12 09:00"),  # the 10th is a Saturday -> Monday
        ("2024-08-01", "2024-09-10 09:00"),  # a Tuesday
        ("2023-12-01", "2024-01-10 09:00"),  # across the year end
        ("2024-07-15", "2024-08-12 09:00"),  # any day of the month refers to the month
    ],
)
def test_monthly_tenth(obs: str, expected: str) -> None:
    assert _one(obs, Release.MONTHLY_10TH) == pd.Timestamp(expected)


@pytest.mark.parametrize(
    ("obs", "expected"),
    [
        ("2023-10-01", "2024-04-01 09:00"),  # Q4 -> first business day two quarters later
        ("2023-07-01", "2024-01-02 09:00"),  # New Year's Day -> the next business day
        ("2024-04-01", "2024-10-01 09:00"),
    ],
)
def test_quarterly_lag(obs: str, expected: str) -> None:
    assert _one(obs, Release.QUARTERLY_LAG) == pd.Timestamp(expected)


def test_ex_post_is_never_available() -> None:
    out = available_at(pd.DatetimeIndex(["2020-03-01", "2020-04-01"]), Release.EX_POST)
    assert np.isnat(out).all()
    assert np.isnat(with_vintage(pd.DatetimeIndex(["2020-03-01"]), Release.EX_POST)).all()


def test_vintage_keeps_the_rules_time_of_day() -> None:
    out = with_vintage(pd.DatetimeIndex(["2024-01-04", "2024-02-09"]), Release.H41_WEEKLY)
    assert list(pd.DatetimeIndex(out)) == [
        pd.Timestamp("2024-01-04 16:30"),
        pd.Timestamp("2024-02-09 16:30"),
    ]


def test_available_at_keeps_order_and_duplicates() -> None:
    days = pd.DatetimeIndex(["2024-01-10", "2024-01-03", "2024-01-10"])
    out = pd.DatetimeIndex(available_at(days, Release.H41_WEEKLY))
    assert list(out) == [
        pd.Timestamp("2024-01-11 16:30"),
        pd.Timestamp("2024-01-04 16:30"),
        pd.Timestamp("2024-01-11 16:30"),
    ]


def test_decision_time_is_1600() -> None:
    out = decision_times(pd.DatetimeIndex(["2024-01-05"]))
    assert pd.Timestamp(out[0]) == pd.Timestamp("2024-01-05 16:00")


def test_vectorised_business_days_equal_pandas_offsets() -> None:
    """The NumPy busday arithmetic equals pandas' CustomBusinessDay (the independent oracle)."""
    rng = np.random.default_rng(7)
    days = pd.DatetimeIndex(
        np.datetime64("1965-01-01") + rng.integers(0, 70 * 365, 3000).astype("timedelta64[D]")
    )
    bday = business_day()
    assert (_next_bday(days) == pd.DatetimeIndex([d + bday for d in days])).all()
    assert (_roll_forward(days) == pd.DatetimeIndex([bday.rollforward(d) for d in days])).all()


def test_every_rule_is_never_before_the_observation_day() -> None:
    days = pd.date_range("2000-01-01", "2026-12-31", freq="D")
    for s in MANIFEST.values():
        if s.ex_post:
            continue
        out = available_at(days, s.release)
        assert (out >= days.values).all(), s.id
