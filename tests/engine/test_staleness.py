"""A strategy's inputs and what they feed, their staleness, the last day every input was fresh,
and where a window ends because of it (:mod:`engine.staleness`, :func:`engine.window.fresh_end`)."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from data.panel import trading_days
from data.store import Store
from engine.staleness import last_fresh_day, strategy_inputs, strategy_staleness
from engine.window import fresh_end
from strategies import Overlay, load_strategy


@pytest.fixture(scope="module")
def store() -> Store:
    return Store()


@pytest.fixture(scope="module")
def days(store: Store) -> pd.DatetimeIndex:
    return trading_days(store=store)


def test_qt_aware_reads_soma_and_the_bill(store: Store) -> None:
    assert strategy_inputs(load_strategy("qt_aware"), store=store) == {
        "TREAST": ("regime balance_sheet",),
        "WSHOMCB": ("regime balance_sheet",),
        "DTB3": ("cash rate",),
    }


def test_inputs_follow_the_registry_overlays_and_cash(store: Store) -> None:
    note = strategy_inputs(load_strategy("note_thesis"), store=store)
    assert note["DGS10"] == ("regime phase",) and note["SAHMREALTIME"] == ("regime phase",)
    assert note["WALCL"] == ("regime net_liquidity",)
    assert "WLRRAL" not in note  # not in the store: RRPONTSYD stands in
    s = load_strategy("qt_aware")
    walcl = s.replace(**{"balance_sheet.measure": "walcl"})
    assert "WALCL" in strategy_inputs(walcl, store=store) and "TREAST" not in strategy_inputs(
        walcl, store=store
    )
    with_overlays = dataclasses.replace(
        s,
        overlays=(Overlay("y10_minus_y2", 0.1, 0.5), Overlay("bs_growth", 1.0)),
        cash_rate="none",
    )
    got = strategy_inputs(with_overlays, store=store)
    assert got["DGS10"] == ("overlay y10_minus_y2",) and got["DGS2"] == ("overlay y10_minus_y2",)
    assert got["TREAST"] == ("regime balance_sheet", "overlay bs_growth")
    assert "DTB3" not in got


def test_qt_aware_at_the_last_close(store: Store) -> None:
    got = {
        x.series: x
        for x in strategy_staleness(load_strategy("qt_aware"), "2026-08-28", store=store)
    }
    assert [k for k, x in got.items() if x.stale] == ["DTB3"]
    assert got["DTB3"].age_days == 50 and got["DTB3"].feeds == ("cash rate",)
    assert got["TREAST"].age_days == 9 and not got["TREAST"].stale


def test_last_fresh_day_of_a_strategy(store: Store, days: pd.DatetimeIndex) -> None:
    fe = last_fresh_day(load_strategy("qt_aware"), days, store=store)
    assert fe.day == pd.Timestamp("2026-07-20")
    assert [x.series for x in fe.stale] == ["DTB3"]
    # Without the cash rate, SOMA (one Wednesday behind) is fresh to the end.
    no_cash = dataclasses.replace(load_strategy("qt_aware"), cash_rate="none")
    assert last_fresh_day(no_cash, days, store=store).fresh_to_the_end


def test_fresh_end_by_default_stops_at_the_last_fresh_day(
    store: Store, days: pd.DatetimeIndex
) -> None:
    end = fresh_end(load_strategy("qt_aware"), days, None, store=store)
    assert end.end == pd.Timestamp("2026-07-20") and days[end.i1] == end.end
    assert end.warning is None and end.last_fresh == end.end
    assert end.note is not None
    assert end.note.startswith("end 2026-07-20: the last day every input was fresh")
    assert "DTB3" in end.note and "cash rate" in end.note


def test_fresh_end_past_it_on_request_warns(store: Store, days: pd.DatetimeIndex) -> None:
    end = fresh_end(load_strategy("qt_aware"), days, pd.Timestamp("2026-08-28"), store=store)
    assert end.i1 == len(days) - 1 and end.note is None
    assert end.warning is not None and "past 2026-07-20" in end.warning
    assert "DTB3: last 2026-07-09 (50 days old)" in end.warning


def test_fresh_end_inside_the_fresh_stretch_says_nothing(
    store: Store, days: pd.DatetimeIndex
) -> None:
    cut = days[days <= "2024-12-31"]
    end = fresh_end(load_strategy("qt_aware"), cut, pd.Timestamp("2024-12-31"), store=store)
    assert (end.i1, end.note, end.warning, end.stale) == (len(cut) - 1, None, None, ())
