"""Regimes on the bundled history with default parameters, and no look-ahead on real data.

Every episode test cites its expectation from DESIGN.md's reference timeline ("Reference
timeline", "Regimes") or issue 3's Must-show list. The real panel is loaded once per module.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data.store import Store
from engine.regimes import explain, regime_frame, regime_spans
from strategies.families import NAMES, RegimeParams
from strategies.regimes import FEATURE_NAMES, BalanceSheetParams


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return Store(cache_dir=tmp_path_factory.mktemp("empty-cache"))


@pytest.fixture(scope="module")
def full(store: Store) -> pd.DataFrame:
    return regime_frame(None, None, RegimeParams(), store=store)


def _all(frame: pd.DataFrame, col: str, start: str, end: str, value: str) -> None:
    seg = frame.loc[start:end, col]
    bad = seg[seg != value]
    assert bad.empty, (
        f"{col} not {value} on {len(bad)} days, first {bad.index[0].date()}: {bad.iloc[0]}"
    )


def _first(frame: pd.DataFrame, col: str, value: str, after: str) -> pd.Timestamp:
    seg = frame.loc[after:, col]
    return seg[seg == value].index[0]


def test_frame_layout(full: pd.DataFrame) -> None:
    # Features, the close, then one column per family of the registry and their codes.
    assert NAMES[:3] == ("balance_sheet", "net_liquidity", "phase")
    assert list(full.columns) == [
        *FEATURE_NAMES,
        "GSPC",
        *NAMES,
        *(f"{name}_code" for name in NAMES),
    ]
    assert full.index.name == "date" and full.index.is_monotonic_increasing
    assert full["phase_code"].dtype == np.int8
    assert full.loc["2024-01-19", "GSPC"] == 4839.81


def test_start_does_not_change_rows(store: Store, full: pd.DataFrame) -> None:
    """The warm-up uses all history before start: a late start gives the same rows."""
    part = regime_frame("2024-01-02", "2024-12-31", store=store)
    pd.testing.assert_frame_equal(part, full.loc["2024-01-02":"2024-12-31"])


# ------------------------------------------------------------------ balance sheet episodes


def test_expansion_through_qe3(full: pd.DataFrame) -> None:
    """DESIGN.md reference timeline: QE3 from 2012-09-13 (Treasuries added end-2012), taper from
    Jan 2014, purchases end 2014-10-29. Issue 3: "expansion through QE3 (2013)"."""
    _all(full, "balance_sheet", "2013-01-02", "2014-10-31", "EXPANSION")


def test_plateau_2015_2016(full: pd.DataFrame) -> None:
    """DESIGN.md: reinvestment plateau Nov 2014 to Sep 2017; issue 3: "plateau 2015-2016"."""
    _all(full, "balance_sheet", "2015-03-02", "2017-09-29", "PLATEAU")


def test_contraction_qt1(full: pd.DataFrame) -> None:
    """DESIGN.md: QT1 runoff from Oct 2017, ended Aug 2019; contraction "roughly 2018 to mid-2019"."""
    start = _first(full, "balance_sheet", "CONTRACTION", "2017-01-01")
    assert pd.Timestamp("2018-01-01") <= start <= pd.Timestamp("2018-06-30")
    _all(full, "balance_sheet", "2018-07-02", "2019-06-28", "CONTRACTION")
    assert (
        full.loc["2019-12-31", "balance_sheet"] != "CONTRACTION"
    )  # bill purchases from 2019-10-15


def test_contraction_qt2(full: pd.DataFrame) -> None:
    """DESIGN.md: QT2 runoff from 2022-06-01 to 2025-12-01; contraction "mid-2022 to late 2025"."""
    start = _first(full, "balance_sheet", "CONTRACTION", "2022-01-01")
    assert pd.Timestamp("2022-06-01") <= start <= pd.Timestamp("2022-09-30")
    _all(full, "balance_sheet", "2022-10-03", "2025-12-31", "CONTRACTION")
    end = _first(full, "balance_sheet", "PLATEAU", "2025-06-01")
    assert end <= pd.Timestamp("2026-01-31")  # reserve-management purchases from 2025-12-12


# ------------------------------------------------------------------ phase episodes


def test_hiking_in_2022(full: pd.DataFrame) -> None:
    """DESIGN.md: hiking cycle 2022-03-16 to 2023-07-26; FRED dates the first hike 2022-03-17."""
    assert full.loc["2022-03-16", "phase"] == "NEUTRAL"
    _all(full, "phase", "2022-03-17", "2023-07-31", "HIKING")


def test_january_2024_is_first_half(full: pd.DataFrame) -> None:
    """DESIGN.md: "Jan 2024 must read HOLD/FIRST_HALF": held at 5.25-5.50, 10y below the range."""
    jan = full.loc["2024-01"]
    assert (jan["phase"] == "FIRST_HALF").all()
    assert (jan["policy_lower"] == 5.25).all() and (jan["policy_upper"] == 5.5).all()
    assert (jan["y10"] < jan["policy_lower"]).all()


def test_cutting_from_the_2024_09_18_cut(full: pd.DataFrame) -> None:
    """DESIGN.md: "from 2024-09-18 CUTTING"; FRED's target shows the cut from 2024-09-19. Not
    recession-driven: no inter-meeting cut, 100bp within 126 days, real-time Sahm <= 0.57."""
    assert full.loc["2024-09-18", "phase"] == "FIRST_HALF"
    _all(full, "phase", "2024-09-19", "2025-12-31", "CUTTING")


def test_earlier_cycles(full: pd.DataFrame) -> None:
    """DESIGN.md: first cuts 2007-09-18, 2019-07-31 (FRED 2019-08-01), 2020-03-03; the 2020-03-15
    inter-meeting cut and the 2008 cuts piling up are recession-driven; hikes 2004-2006, 2015-2018."""
    assert full.loc["2005-06-01", "phase"] == "HIKING"
    assert full.loc["2007-09-18", "phase"] == "CUTTING"
    assert full.loc["2008-06-02", "phase"] == "CUTTING_RECESSION"
    assert full.loc["2019-08-01", "phase"] == "CUTTING"
    assert full.loc["2020-03-16", "phase"] == "CUTTING_RECESSION"
    assert full.loc["2018-06-01", "phase"] == "HIKING"
    assert full.loc["2013-06-03", "phase"] == "NEUTRAL"


def test_spans_cover_every_day(full: pd.DataFrame) -> None:
    sp = regime_spans(full.loc["2003":])
    for kind, g in sp.groupby("kind"):
        assert g["days"].sum() == len(full.loc["2003":])
        assert (g["regime"].to_numpy()[1:] != g["regime"].to_numpy()[:-1]).all(), kind
    m = regime_spans(full.loc["2022":"2024"], "M")
    hiking = m[(m["kind"] == "phase") & (m["regime"] == "HIKING")].iloc[0]
    assert hiking["start"] == pd.Timestamp("2022-03-01")  # March 2022 ends HIKING


# ------------------------------------------------------------------ explain 2024-01-19


def test_explain_2024_01_19_reproduces_the_note(store: Store) -> None:
    """Issue 3 Must-show: total assets about $7.68T, the peak about $8.97T on 2022-04-13,
    CONTRACTION, HOLD at 5.25-5.50 with the 10y below the range: FIRST_HALF."""
    e = explain("2024-01-19", store=store)
    ta = e["balance_sheet"]["total_assets"]
    assert abs(ta["value_bn"] - 7680) < 15 and ta["obs_date"] == "2024-01-17"
    assert ta["peak_bn"] == pytest.approx(8965.487) and ta["peak_date"] == "2022-04-13"
    assert ta["change_from_peak_bn"] == pytest.approx(7673.741 - 8965.487)
    assert e["balance_sheet"]["regime"] == "CONTRACTION"
    assert "<= contract_exit" in e["balance_sheet"]["why"]
    pol = e["policy"]
    assert pol["regime"] == "FIRST_HALF"
    assert (pol["lower"], pol["upper"]) == (5.25, 5.5)
    assert pol["y10"] < pol["lower"] and pol["last_hike"] == "2023-07-27"
    assert "since 2023-07-27" in pol["why"] and "< lower bound 5.25" in pol["why"]
    assert pol["y10_cycle_high"] == 4.98 and pol["y10_cycle_high_obs_date"] == "2023-10-19"
    assert e["liquidity"]["btfp"]["available"] is False
    assert "runoff data update H41RESPPALDKNWW" in e["liquidity"]["btfp"]["message"]
    used = {i["series"]: i["obs_date"] for i in e["inputs"]}
    assert used["WALCL"] == "2024-01-17" and used["DGS10"] == "2024-01-17"
    assert used["SAHMREALTIME"] == "2023-12-01" and "USREC" not in used


def test_explain_weekend_uses_the_last_trading_day(store: Store) -> None:
    e = explain("2024-01-21", store=store)
    assert e["date"] == "2024-01-19" and e["requested"] == "2024-01-21"


def test_explain_recession_reason(store: Store) -> None:
    """DESIGN.md: 2020-03-03 and 2020-03-15 cuts; the second is inter-meeting (12 days)."""
    e = explain("2020-04-01", store=store)
    assert e["policy"]["regime"] == "CUTTING_RECESSION"
    assert (
        "inter-meeting cut on 2020-03-16, 12 calendar days after the change of 2020-03-04"
        in e["policy"]["why"]
    )


# ------------------------------------------------------------------ no look-ahead on real data


class _Cut(Store):
    """The same store with every series cut at ``cut``: by observation date, or by publication
    (rows public by ``cut``'s 16:00 ET decision, i.e. exactly what was known then)."""

    def __init__(self, base: Store, cut: pd.Timestamp, by: str) -> None:
        super().__init__(cache_dir=base.cache_dir)
        self._base, self._cut, self._by = base, cut, by

    def load(self, series_id: str):
        d = self._base.load(series_id)
        if self._by == "obs_date":
            keep = d.rows["obs_date"] <= self._cut
        else:
            keep = d.rows["available_at"] <= self._cut + pd.Timedelta(hours=16)
        return dataclasses.replace(d, rows=d.rows[keep].reset_index(drop=True))


@settings(max_examples=12, deadline=None)
@given(
    offset=st.integers(0, 8400),
    by=st.sampled_from(["obs_date", "available_at"]),
    window=st.sampled_from([4, 13, 26]),
    measure=st.sampled_from(["soma", "walcl"]),
)
def test_prefix_stability_on_real_data(
    store: Store, full: pd.DataFrame, offset: int, by: str, window: int, measure: str
) -> None:
    """Regimes computed on data cut at D equal the full run up to D (no look-ahead)."""
    d = pd.Timestamp("2003-01-02") + pd.Timedelta(days=offset)
    params = RegimeParams(balance_sheet=BalanceSheetParams(measure=measure, window_weeks=window))
    ref = full if params == RegimeParams() else regime_frame(None, None, params, store=store)
    cut = regime_frame(None, d, params, store=_Cut(store, d, by))
    pd.testing.assert_frame_equal(cut, ref.loc[:d])
