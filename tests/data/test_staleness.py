"""Stale inputs (:mod:`data.staleness`): every series declares a cadence and a stale limit; the
newest public observation is measured against the one its release calendar expects at the
decision; documented gaps, discontinued series, ex-post labels and days before the first
release are never stale; nothing published after the decision changes the answer."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from data.manifest import MANIFEST, Cadence, StaleRule
from data.panel import trading_days
from data.paths import SNAPSHOT_DIR
from data.staleness import (
    ENDED,
    EX_POST,
    FRESH,
    IN_GAP,
    NOT_YET,
    STALE,
    check_inputs,
    expected_obs,
    last_fresh_day,
    stale_inputs,
    staleness_frame,
)
from data.store import Store

BUNDLED_LAST = "2026-08-28"
"""The last S&P 500 close of the bundled snapshot (a Friday)."""


@pytest.fixture(scope="module")
def store() -> Store:
    return Store()


def _cut(tmp: Path, sid: str, last: str) -> None:
    """Write the bundled file of ``sid`` into ``tmp`` without the rows after ``last``."""
    lines = (SNAPSHOT_DIR / f"{sid}.csv").read_text().splitlines()
    keep = [lines[0]] + [ln for ln in lines[1:] if ln[:10] <= last]
    (tmp / f"{sid}.csv").write_text("\n".join(keep) + "\n")


def _one(store: Store, sid: str, day: str):
    (s,) = check_inputs([sid], day, store=store)
    return s


# ---------------------------------------------------------------- the manifest's rules


def test_every_series_declares_a_cadence_and_a_limit() -> None:
    for s in MANIFEST.values():
        assert isinstance(s.stale, StaleRule), s.id
        assert s.stale.why, s.id
        assert (s.stale.limit is None) == s.ex_post, s.id


def test_the_limits_by_kind_of_series() -> None:
    weekly = {s.id for s in MANIFEST.values() if s.frequency == "W"}
    assert weekly >= {"WALCL", "TREAST", "WSHOMCB", "WDTGAL", "WRESBAL"}
    for sid in weekly:
        r = MANIFEST[sid].stale
        assert (r.cadence, r.limit, r.unit) == (Cadence.WEEKLY, 13, "days")
    for sid in ("DGS10", "DGS2", "DGS5", "DGS30", "DGS3MO", "DTB3", "RRPONTSYD", "GSPC"):
        r = MANIFEST[sid].stale
        assert (r.cadence, r.limit, r.unit) == (Cadence.BUSINESS_DAILY, 5, "business days")
    for sid in ("DFEDTARU", "DFEDTARL"):
        r = MANIFEST[sid].stale
        assert (r.cadence, r.limit, r.unit) == (Cadence.CALENDAR_DAILY, 5, "business days")
        assert "step series" in r.why and "last row" in r.why
    assert MANIFEST["DFEDTAR"].stale.ended == "2008-12-15"
    assert MANIFEST["SAHMREALTIME"].stale.cadence is Cadence.MONTHLY
    assert MANIFEST["GDP"].stale.cadence is Cadence.QUARTERLY
    assert MANIFEST["USREC"].stale.limit is None
    with pytest.raises(ValueError, match="unit"):
        StaleRule(Cadence.WEEKLY, 13, "weeks", "bad unit")


# ---------------------------------------------------------------- the expected observation


@pytest.mark.parametrize(
    ("sid", "day", "expected"),
    [
        # H.4.1: Wednesday W is public Thursday W+1 16:30, so from Friday's decision.
        ("WALCL", "2026-08-27", "2026-08-19"),
        ("WALCL", "2026-08-28", "2026-08-26"),
        # Thanksgiving 2023-11-23: the release moves to Friday 16:30, used from Monday.
        ("WALCL", "2023-11-24", "2023-11-15"),
        ("WALCL", "2023-11-27", "2023-11-22"),
        # H.15: day t is public on t+1 16:15, after that day's 16:00 decision.
        ("DGS10", "2026-08-28", "2026-08-26"),
        ("DGS10", "2026-08-31", "2026-08-27"),
        # ON RRP: same day 16:30, after the decision.
        ("RRPONTSYD", "2026-08-28", "2026-08-27"),
        # The target range: the effective day itself, public at 00:00.
        ("DFEDTARU", "2026-08-28", "2026-08-28"),
        # Real-time Sahm rule: month M on the 10th of M+1.
        ("SAHMREALTIME", "2026-08-07", "2026-06-01"),
        ("SAHMREALTIME", "2026-08-10", "2026-07-01"),
        # GDP's conservative lag: quarter Q from the first business day two quarters later.
        ("GDP", "2026-08-28", "2026-01-01"),
        ("GDP", "2026-06-30", "2025-10-01"),
        # Month-end closes: the last business day of the month, public at its close.
        ("SP500TR_monthly", "2026-08-28", "2026-07-31"),
        ("SP500TR_monthly", "2026-07-31", "2026-07-31"),
    ],
)
def test_expected_observation(sid: str, day: str, expected: str) -> None:
    (got,) = expected_obs(MANIFEST[sid], pd.DatetimeIndex([day]))
    assert pd.Timestamp(got) == pd.Timestamp(expected)


# ---------------------------------------------------------------- the bundled data


def test_bundled_data_at_its_last_close(store: Store) -> None:
    """DTB3 ends 2026-07-09, DGS5/DGS3MO 2026-07-22: stale; DGS30 (2026-08-20, 4 business days
    behind) and the SOMA series (2026-08-19, one Wednesday behind) are not."""
    s = _one(store, "DTB3", BUNDLED_LAST)
    assert (s.status, s.last_obs, s.age_days, s.expected_obs) == (
        STALE,
        "2026-07-09",
        50,
        "2026-08-26",
    )
    assert (s.behind, s.limit, s.unit) == (34, 5, "business days")
    assert "DTB3: last 2026-07-09 (50 days old), 34 business days behind" in s.line
    for sid in ("DGS5", "DGS3MO"):
        assert _one(store, sid, BUNDLED_LAST).stale
    d30 = _one(store, "DGS30", BUNDLED_LAST)
    assert (d30.stale, d30.behind, d30.age_days) == (False, 4, 8)
    for sid in ("TREAST", "WSHOMCB"):
        t = _one(store, sid, BUNDLED_LAST)
        assert (t.status, t.last_obs, t.age_days, t.behind) == (FRESH, "2026-08-19", 9, 7)
    up = _one(store, "DFEDTARU", BUNDLED_LAST)
    assert (up.status, up.last_obs, up.behind) == (FRESH, "2026-08-21", 5)
    assert _one(store, "DFEDTAR", BUNDLED_LAST).status == ENDED
    assert _one(store, "USREC", BUNDLED_LAST).status == EX_POST
    names = [x.series for x in stale_inputs(list(MANIFEST), BUNDLED_LAST, store=store)]
    assert {"DTB3", "DGS5", "DGS3MO", "DFF", "SAHMREALTIME", "GDP"} <= set(names)
    assert not {"WALCL", "TREAST", "DGS10", "DGS30", "DFEDTARU", "GSPC"} & set(names)


def test_not_yet_public_and_documented_gaps_are_never_stale(store: Store) -> None:
    assert _one(store, "DFEDTARU", "2005-06-01").status == NOT_YET
    # ON RRP before the daily facility (2013-09-23): occasional operations, a documented gap.
    gap = _one(store, "RRPONTSYD", "2010-06-01")
    assert (gap.status, gap.stale) == (IN_GAP, False) and gap.behind > 5
    assert _one(store, "RRPONTSYD", "2015-06-01").status == FRESH


def test_series_missing_from_the_store_are_left_out(store: Store) -> None:
    assert [s.series for s in check_inputs(["WLRRAL", "WALCL"], "2024-01-19", store=store)] == [
        "WALCL"
    ]


def test_feeds_are_carried_into_the_result(store: Store) -> None:
    (s,) = stale_inputs({"DTB3": ["cash rate"]}, BUNDLED_LAST, store=store)
    assert s.feeds == ("cash rate",)
    d = s.to_dict()
    assert d["feeds"] == ["cash rate"] and d["message"].endswith("feeds cash rate")
    assert d["age_days"] == 50 and d["stale"] is True


# ---------------------------------------------------------------- limits, from cut files


@pytest.mark.parametrize(
    ("sid", "last", "behind", "stale"),
    [
        ("WALCL", "2026-08-19", 7, False),  # one missed release is tolerated
        ("WALCL", "2026-08-12", 14, True),  # two are stale
        ("DGS10", "2026-08-19", 5, False),  # 20, 21, 24, 25, 26
        ("DGS10", "2026-08-18", 6, True),
        ("DFEDTARU", "2026-08-21", 5, False),  # the file's own last row vs the decision day
        ("DFEDTARU", "2026-08-20", 6, True),
    ],
)
def test_limits_on_truncated_files(
    tmp_path: Path, sid: str, last: str, behind: int, stale: bool
) -> None:
    _cut(tmp_path, sid, last)
    s = _one(Store(data_dir=tmp_path), sid, BUNDLED_LAST)
    assert (s.behind, s.stale, s.last_obs) == (behind, stale, last)


@pytest.mark.parametrize(
    ("sid", "day"),
    [("DTB3", "2026-07-21"), ("WALCL", "2024-01-19"), ("SAHMREALTIME", "2024-09-16")],
)
def test_no_look_ahead(tmp_path: Path, sid: str, day: str) -> None:
    """The answer at a decision is the same when the file ends on that day."""
    _cut(tmp_path, sid, day)
    days = trading_days("2023-01-01", day)
    full = staleness_frame(Store(), sid, days)
    cut = staleness_frame(Store(data_dir=tmp_path), sid, days)
    pd.testing.assert_frame_equal(full, cut)


# ---------------------------------------------------------------- the last fresh day


def test_last_fresh_day(store: Store) -> None:
    days = trading_days(store=store)
    fe = last_fresh_day({"TREAST": ["balance sheet"], "DTB3": ["cash rate"]}, days, store=store)
    # DTB3 ends 2026-07-09: 5 business days behind on 2026-07-20, 6 on 2026-07-21.
    assert fe.day == pd.Timestamp("2026-07-20") and not fe.fresh_to_the_end
    assert [s.series for s in fe.stale] == ["DTB3"] and fe.stale[0].day == "2026-07-21"
    assert "DTB3" in fe.reason and "cash rate" in fe.reason
    fresh = last_fresh_day(["WALCL", "DGS10"], days, store=store)
    assert fresh.day == days[-1] and fresh.fresh_to_the_end and fresh.reason == ""
    never = last_fresh_day(["MMMFFAQ027S"], days[days >= "2026-01-01"], store=store)
    assert never.day is None and never.stale[0].series == "MMMFFAQ027S"
