"""Point-in-time features against independent pandas computations on the bundled data.

The oracles read the snapshot CSVs with ``pandas.read_csv``, compute each feature on the
weekly series with ``shift``, and carry it to the trading days with ``merge_asof`` on
``available_at`` (H.4.1: Thursday 16:30 ET, next business day after a holiday), as
DESIGN.md ("Time and look-ahead") fixes.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.tseries.holiday import USFederalHolidayCalendar
from pandas.tseries.offsets import CustomBusinessDay

from data.errors import LookAheadError, ParameterError
from data.panel import trading_days
from data.paths import SNAPSHOT_DIR
from data.store import Store
from engine import features as F
from engine.regimes.api import balance_sheet_codes
from strategies.families import RegimeParams
from strategies.regimes import FEATURE_NAMES, BalanceSheetParams


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    s = Store(data_dir=None, cache_dir=tmp_path_factory.mktemp("empty-cache"))
    return s


@pytest.fixture(scope="module")
def days(store: Store) -> pd.DatetimeIndex:
    return trading_days("2002-06-01", None, store=store)


@pytest.fixture(scope="module")
def frame(store: Store, days: pd.DatetimeIndex) -> pd.DataFrame:
    return F.feature_frame(store, days, RegimeParams())


# ------------------------------------------------------------------ the independent oracle


def _csv(series_id: str) -> pd.Series:
    raw = pd.read_csv(SNAPSHOT_DIR / f"{series_id}.csv", na_values=["."])
    return pd.Series(
        raw.iloc[:, 1].to_numpy(dtype=float), index=pd.to_datetime(raw.iloc[:, 0]), name=series_id
    ).dropna()


def _h41_available(wednesdays: pd.DatetimeIndex) -> pd.DatetimeIndex:
    bday = CustomBusinessDay(calendar=USFederalHolidayCalendar())
    thursday = wednesdays + pd.Timedelta(days=1)
    return pd.DatetimeIndex([bday.rollforward(d) for d in thursday]) + pd.Timedelta(
        hours=16, minutes=30
    )


def _carry(weekly: pd.Series, days: pd.DatetimeIndex) -> np.ndarray:
    """merge_asof of a weekly (Wednesday-indexed) series on its H.4.1 available_at."""
    right = pd.DataFrame(
        {"available_at": _h41_available(pd.DatetimeIndex(weekly.index)), "v": weekly.to_numpy()}
    ).sort_values("available_at")
    left = pd.DataFrame({"decision": days + pd.Timedelta(hours=16)})
    left["decision"] = left["decision"].astype(right["available_at"].dtype)
    return pd.merge_asof(left, right, left_on="decision", right_on="available_at")["v"].to_numpy()


def _soma_oracle() -> pd.Series:
    both = pd.concat([_csv("TREAST"), _csv("WSHOMCB")], axis=1, join="inner")
    return both.sum(axis=1) / 1000.0


# ------------------------------------------------------------------ features == oracle


@pytest.mark.parametrize(("measure", "window"), [("soma", 13), ("soma", 4), ("walcl", 26)])
def test_growth_and_pace_match_pandas_oracle(store, days, measure: str, window: int) -> None:
    x = _soma_oracle() if measure == "soma" else _csv("WALCL") / 1000.0
    growth = np.log(x / x.shift(window)) * 52 / window
    pace = (x - x.shift(window)) / window * 52 / 12
    np.testing.assert_allclose(
        F.bs_growth(store, days, measure, window), _carry(growth, days), rtol=1e-9, atol=1e-12
    )
    np.testing.assert_allclose(
        F.bs_pace(store, days, measure, window), _carry(pace, days), rtol=1e-12, atol=1e-9
    )


def test_net_liquidity_matches_pandas_oracle(store, days) -> None:
    walcl, tga = _csv("WALCL") / 1000.0, _csv("WDTGAL") / 1000.0
    w = pd.concat([walcl, tga], axis=1, join="inner")
    ops = _csv("RRPONTSYD").rename("rrp").to_frame().rename_axis("date").reset_index()
    wed = pd.DataFrame({"date": w.index})
    rrp = (
        pd.merge_asof(wed, ops, on="date", direction="backward", tolerance=pd.Timedelta(days=4))[
            "rrp"
        ]
        .fillna(0.0)
        .to_numpy()
    )
    nl = pd.Series(w.iloc[:, 0].to_numpy() - w.iloc[:, 1].to_numpy() - rrp, index=w.index)
    np.testing.assert_allclose(F.net_liquidity(store, days), _carry(nl, days), rtol=1e-12)
    for k in (1, 13):
        np.testing.assert_allclose(
            F.net_liquidity_change(store, days, k),
            _carry(nl - nl.shift(k), days),
            rtol=1e-9,
            atol=1e-9,
        )


def test_frame_has_every_feature_and_matches_the_functions(store, days, frame) -> None:
    assert tuple(frame.columns) == FEATURE_NAMES
    assert frame.index.equals(days)
    p = RegimeParams()
    np.testing.assert_array_equal(
        frame["bs_growth"].to_numpy(),
        F.bs_growth(store, days, p.balance_sheet.measure, p.balance_sheet.window_weeks),
    )
    np.testing.assert_array_equal(
        frame["net_liquidity_change_bn"].to_numpy(),
        F.net_liquidity_change(store, days, p.net_liquidity.window_weeks),
    )
    np.testing.assert_allclose(frame["y10_minus_y2"], frame["y10"] - frame["y2"])
    np.testing.assert_allclose(frame["y10_drawdown"], frame["y10"] - frame["y10_cycle_high"])


def test_walcl_of_2024_01_03_is_visible_from_friday(frame) -> None:
    """WALCL for Wednesday 2024-01-03 (7,681,024) is released Thursday 16:30: visible Friday."""
    ta = frame["total_assets_bn"]
    assert ta["2024-01-03"] == pytest.approx(7712.781)  # the 2023-12-27 level
    assert ta["2024-01-04"] == pytest.approx(7712.781)
    assert ta["2024-01-05"] == pytest.approx(7681.024)


def test_growth_calibration_qe3_and_qt2(frame) -> None:
    """DESIGN.md: QE3 ~ +30%/yr, QT2 at $95B/month ~ -13%/yr, the 2015-16 plateau ~ 0."""
    g = frame["bs_growth"]
    assert 0.25 <= g["2013"].median() <= 0.40
    assert -0.15 <= g["2023"].median() <= -0.11
    assert abs(g["2015-06":"2016-12"].median()) < 0.01


def test_policy_range_is_spliced(frame) -> None:
    """DFEDTAR as both ends to 2008-12-15, DFEDTARU/L from 2008-12-16 (FRED effective days)."""
    assert frame.loc["2008-12-15", ["policy_lower", "policy_upper"]].tolist() == [1.0, 1.0]
    assert frame.loc["2008-12-16", ["policy_lower", "policy_upper"]].tolist() == [0.0, 0.25]
    assert frame.loc["2024-09-18", ["policy_lower", "policy_upper"]].tolist() == [5.25, 5.5]
    assert frame.loc["2024-09-19", ["policy_lower", "policy_upper"]].tolist() == [4.75, 5.0]
    assert frame.loc["2006-07-03", "policy_upper"] == 5.25


def test_yield_features_on_2024_01_19(frame) -> None:
    """DESIGN.md: DGS10 4.98 on 2023-10-19 is the cycle high of the last hold."""
    r = frame.loc["2024-01-19"]
    assert r["y10"] == 4.10  # DGS10 of 2024-01-17: the 01-18 value is public 01-19 16:15
    assert r["y10_cycle_high"] == 4.98
    assert r["y10_drawdown"] == pytest.approx(-0.88)
    assert r["y10_minus_lower"] == pytest.approx(-1.15)
    assert r["y10_minus_upper"] == pytest.approx(-1.40)
    assert r["y10_minus_y2"] == pytest.approx(4.10 - 4.34)
    assert (
        frame.loc["2023-10-20", "y10_cycle_high"]
        < 4.98
        <= frame.loc["2023-10-23", "y10_cycle_high"]
    )


def test_money_levels_and_ratios(frame) -> None:
    r = frame.loc["2024-01-19"]
    assert r["total_assets_bn"] == pytest.approx(7673.741)
    assert r["soma_bn"] == pytest.approx(4724.025 + 2431.710)
    assert r["bs_to_gdp"] == pytest.approx(7673.741 / 28074.846)
    assert r["reserves_bn"] == pytest.approx(3611.719)
    assert r["on_rrp_bn"] == pytest.approx(618.234)
    assert r["sahm"] == 0.23 and r["tbill"] == 5.24 and r["dff"] == 5.33


def test_on_rrp_daily_is_zero_without_recent_operations(frame) -> None:
    rrp = frame["on_rrp_bn"]
    assert rrp["2023-01-03"] == pytest.approx(2553.716)  # the 2022-12-30 record, public 16:30
    assert rrp["2022-12-30"] != pytest.approx(2553.716)
    assert rrp["2012-06-01":"2012-12-31"].eq(0).mean() > 0.9  # sparse operations before 2013
    assert rrp.notna().all()


def test_btfp_is_unavailable_in_the_bundled_data(frame) -> None:
    assert frame["btfp_bn"].isna().all()
    assert frame.attrs["unavailable"] == ("btfp_bn",)
    assert frame.attrs["rrp_source"] == "RRPONTSYD"


def test_downloaded_btfp_and_wlrral_are_used(tmp_path: Path) -> None:
    """With H41RESPPALDKNWW and WLRRAL in the data dir, btfp_bn and net liquidity use them."""
    weds = pd.date_range("2023-03-15", "2023-06-28", freq="W-WED")
    (tmp_path / "H41RESPPALDKNWW.csv").write_text(
        "observation_date,H41RESPPALDKNWW\n"
        + "".join(f"{d.date()},{10000 + 1000 * i}\n" for i, d in enumerate(weds))
    )
    (tmp_path / "WLRRAL.csv").write_text(
        "observation_date,WLRRAL\n"
        + "".join(f"{d.date()},{2000000 + i}\n" for i, d in enumerate(weds))
    )
    s = Store(data_dir=tmp_path)
    days = trading_days("2023-03-01", "2023-07-31", store=s)
    f = F.feature_frame(s, days)
    assert f.attrs["unavailable"] == () and f.attrs["rrp_source"] == "WLRRAL"
    assert np.isnan(f.loc["2023-03-16", "btfp_bn"])  # 03-15 is public on 03-16 16:30
    assert f.loc["2023-03-17", "btfp_bn"] == pytest.approx(10.0)
    assert f.loc["2023-07-31", "btfp_bn"] == pytest.approx(10.0 + len(weds) - 1)
    walcl, tga = _csv("WALCL") / 1000.0, _csv("WDTGAL") / 1000.0
    w = pd.Timestamp("2023-04-12")
    assert f.loc["2023-04-14", "net_liquidity_bn"] == pytest.approx(walcl[w] - tga[w] - 2000.004)
    assert np.isnan(f.loc["2023-03-10", "net_liquidity_bn"])  # no WLRRAL for those Wednesdays


def test_first_release_wins_for_vintages() -> None:
    obs = pd.DataFrame(
        {
            "obs_date": pd.to_datetime(["2024-01-03", "2024-01-03", "2024-01-10"]),
            "value": [2.0, 1.0, 3.0],
            "available_at": pd.to_datetime(
                ["2024-01-20 09:00", "2024-01-04 16:30", "2024-01-11 16:30"]
            ),
        }
    )
    out = F.first_releases(obs)
    assert out["value"].tolist() == [1.0, 3.0]
    assert out["available_at"].iloc[0] == pd.Timestamp("2024-01-04 16:30")


class _NoExPost(Store):
    def load(self, series_id: str):
        if series_id == "USREC":
            raise LookAheadError("USREC must never feed a feature")
        return super().load(series_id)


def test_features_never_touch_nber_dates(store) -> None:
    s = _NoExPost(cache_dir=store.cache_dir)
    f = F.feature_frame(s, trading_days("2019-01-01", "2020-12-31", store=s))
    assert f["sahm"].notna().all()


# ------------------------------------------------------------------ properties


class _Scaled(Store):
    """The same data with every balance-sheet level multiplied by ``factor``."""

    def __init__(self, base: Store, factor: float) -> None:
        super().__init__(cache_dir=base.cache_dir)
        self._base, self._factor = base, factor

    def load(self, series_id: str):
        d = self._base.load(series_id)
        if series_id not in ("WALCL", "TREAST", "WSHOMCB"):
            return d
        rows = d.rows.copy()
        rows["value"] = rows["value"] * self._factor
        return dataclasses.replace(d, rows=rows)


@settings(max_examples=8, deadline=None)
@given(
    factor=st.floats(1e-3, 1e3),
    window=st.sampled_from([4, 13, 26]),
    measure=st.sampled_from(["soma", "walcl"]),
)
def test_scaling_levels_does_not_change_growth_regimes(
    store, days, factor, window, measure
) -> None:
    base = F.bs_growth(store, days, measure, window)
    scaled = F.bs_growth(_Scaled(store, factor), days, measure, window)
    np.testing.assert_allclose(scaled, base, rtol=1e-9, atol=1e-12)
    p = BalanceSheetParams(measure=measure, window_weeks=window)
    np.testing.assert_array_equal(balance_sheet_codes(scaled, p), balance_sheet_codes(base, p))


# ------------------------------------------------------------------ bad parameters


@pytest.mark.parametrize("window", [-1, 0, 521, 2.5, True])
def test_bad_window_names_the_field(store, days, window) -> None:
    with pytest.raises(ParameterError, match="window_weeks"):
        F.bs_growth(store, days[:5], "soma", window)
    with pytest.raises(ParameterError, match="window_weeks"):
        F.net_liquidity_change(store, days[:5], window)


def test_unknown_measure_names_the_field(store, days) -> None:
    with pytest.raises(ParameterError, match=r"measure = 'm2': unknown measure"):
        F.bs_growth(store, days[:5], "m2", 13)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"window_weeks": -4}, "window_weeks"),
        ({"measure": "walcl2"}, "measure"),
        ({"contract_enter": -0.005}, "contract_exit"),  # enter inside the exit band
        ({"expand_enter": 0.01}, "expand_exit"),  # enter inside the exit band
        ({"contract_exit": 0.03}, "contract_exit"),  # exit inside the expansion band
        ({"min_dwell_days": -1}, "min_dwell_days"),
    ],
)
def test_bad_balance_sheet_params_name_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(ParameterError, match=rf"BalanceSheetParams\.{field} = "):
        BalanceSheetParams(**kwargs)


def test_days_must_increase(store, days) -> None:
    with pytest.raises(ParameterError, match="strictly increasing"):
        F.feature_frame(store, days[:10][::-1])
    with pytest.raises(ParameterError, match="RegimeParams"):
        F.feature_frame(store, days[:10], BalanceSheetParams())  # type: ignore[arg-type]
