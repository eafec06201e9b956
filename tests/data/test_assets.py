"""The asset registry: built-in ids and ranges, prices on trading days, user files, errors,
and the repriced Treasury legs against the Treasury ETFs."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data import Store, UnknownAssetError
from data.assets import (
    BUILTIN_ASSETS,
    CASH_TRADABLE,
    DEFAULT_EQUITY,
    AssetKind,
    asset_info,
    asset_prices,
    asset_range,
    asset_series,
    asset_spec,
)
from data.cmt import cmt_total_return_index
from data.errors import DataError
from data.panel import trading_days

BUILTINS = ["SP500TR", "GSPC", "SPY", "UST5Y", "UST10Y", "UST30Y", "IEF", "TLT", "SHY", "VUSTX"]
BUILTINS.append("BIL")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("RUNOFF_DATA_DIR", raising=False)
        return Store(cache_dir=tmp_path_factory.mktemp("empty-cache"))


def _user_store(folder: Path, tmp_path: Path) -> Store:
    return Store(data_dir=folder, cache_dir=tmp_path / "no-cache")


# ---------------------------------------------------------------- registry


def test_builtin_ids_kinds_and_tradable_stand_ins() -> None:
    assert list(BUILTIN_ASSETS) == BUILTINS
    assert DEFAULT_EQUITY == "SP500TR" and CASH_TRADABLE == "BIL"
    # Stand-ins as issue 14 fixes them: SPY for the S&P 500 assets, the ETF itself for ETF
    # assets, IEF for UST10Y, TLT for UST30Y, SHY for UST5Y (BIL for cash).
    tradable = {a.id: a.tradable for a in BUILTIN_ASSETS.values()}
    assert tradable == {
        "SP500TR": "SPY",
        "GSPC": "SPY",
        "SPY": "SPY",
        "UST5Y": "SHY",
        "UST10Y": "IEF",
        "UST30Y": "TLT",
        "IEF": "IEF",
        "TLT": "TLT",
        "SHY": "SHY",
        "VUSTX": "VUSTX",
        "BIL": "BIL",
    }
    kinds = {a.id: (a.kind, a.series, a.maturity_years) for a in BUILTIN_ASSETS.values()}
    assert kinds["UST5Y"] == (AssetKind.CMT, "DGS5", 5.0)
    assert kinds["UST10Y"] == (AssetKind.CMT, "DGS10", 10.0)
    assert kinds["UST30Y"] == (AssetKind.CMT, "DGS30", 30.0)
    assert kinds["SP500TR"] == (AssetKind.INDEX, "SP500TR", None)
    assert kinds["IEF"] == (AssetKind.FUND, "IEF", None)
    assert [a.id for a in BUILTIN_ASSETS.values() if not a.total_return] == ["GSPC"]
    assert {a.group for a in BUILTIN_ASSETS.values()} == {"equity", "treasury", "bills"}
    assert asset_spec("UST10Y").built.startswith("10-year par bond repriced daily from DGS10")
    assert asset_spec("IEF").built == "adj_close of IEF.csv"
    assert asset_spec("GSPC").built == "close of GSPC.csv"


# Ranges of the bundled files (data/snapshot/README.md, SOURCES3/4); CMT assets start on the
# first yield of their file and end on its last yield.
RANGES = {
    "SP500TR": ("1988-01-04", "2026-08-21"),
    "GSPC": ("1987-11-19", "2026-08-28"),
    "SPY": ("1993-01-29", "2026-07-01"),
    "UST5Y": ("1962-01-02", "2026-07-22"),
    "UST10Y": ("1998-09-11", "2026-08-28"),
    "UST30Y": ("1977-02-15", "2026-08-20"),
    "IEF": ("2002-07-30", "2026-01-30"),
    "TLT": ("2002-07-30", "2026-07-01"),
    "SHY": ("2002-07-30", "2026-01-30"),
    "VUSTX": ("1986-05-19", "2026-07-01"),
    "BIL": ("2007-05-30", "2025-12-05"),
}


def test_ranges_come_from_the_store(store: Store) -> None:
    for aid, (first, last) in RANGES.items():
        assert asset_range(store, aid) == (pd.Timestamp(first), pd.Timestamp(last)), aid
        info = asset_info(store, aid).to_dict()
        assert (info["first"], info["last"], info["tradable"]) == (
            first,
            last,
            BUILTIN_ASSETS[aid].tradable,
        )


def test_prices_on_trading_days(store: Store) -> None:
    days = trading_days("2024-01-16", "2024-01-19", store=store)
    gspc = asset_prices(store, "GSPC", days)
    assert gspc[-1] == 4839.81  # the price index: the old equity leg, unchanged
    np.testing.assert_array_equal(gspc, store.asof("GSPC", days)["value"].to_numpy())
    tr = asset_prices(store, "SP500TR", days)
    obs = store.observations("SP500TR").set_index("obs_date")["value"]
    np.testing.assert_array_equal(tr, obs.reindex(days).to_numpy())
    ief = asset_prices(store, "IEF", days)
    np.testing.assert_array_equal(
        ief, store.observations("IEF").set_index("obs_date")["value"].reindex(days).to_numpy()
    )
    assert np.isfinite(asset_prices(store, "UST10Y", days)).all()


def test_nan_outside_the_range_and_dtype(store: Store) -> None:
    days = pd.DatetimeIndex(["2002-07-29", "2002-07-30", "2026-01-30", "2026-02-02"])
    p = asset_prices(store, "IEF", days)
    assert p.dtype == np.float64 and p.shape == (4,)
    assert np.isnan(p[0]) and np.isnan(p[3]) and p[1] == 41.094532 and p[2] == 95.662926
    # SP500TR ends 2026-08-21, a week before the price index: the last week is unknown.
    last = trading_days("2026-08-20", "2026-08-28", store=store)
    tr = asset_prices(store, "SP500TR", last)
    assert np.isfinite(tr[:2]).all() and np.isnan(tr[2:]).all()


def test_cmt_asset_is_the_repriced_index_without_the_publication_lag(store: Store) -> None:
    rows = store.load("DGS10").rows
    full = pd.Series(
        cmt_total_return_index(rows["obs_date"].to_numpy(), rows["value"].to_numpy(), 10.0),
        index=pd.DatetimeIndex(rows["obs_date"]),
    )
    s = asset_series(store, "UST10Y")
    assert s.iloc[0] == 1.0 and s.index[0] == pd.Timestamp("1998-09-11")
    pd.testing.assert_series_equal(s, full.dropna(), check_names=False, check_freq=False)
    # 2024-01-12: DGS10 3.96 after 3.98 on 2024-01-11. The asset moves on the 12th itself,
    # while the signal input (H.15, public t+1 16:15) still shows the 2024-01-10 value then.
    days = pd.DatetimeIndex(["2024-01-11", "2024-01-12"])
    p = asset_prices(store, "UST10Y", days)
    assert p[1] / p[0] - 1 > 0.001  # a 2bp fall: about +0.16%
    assert store.asof("DGS10", days)["obs_date"].iloc[1] == pd.Timestamp("2024-01-10")


def test_holidays_of_the_bond_market_earn_the_carry(store: Store) -> None:
    # Columbus Day 2023-10-09: stocks trade, DGS10 is blank. The asset earns the carry only.
    days = pd.DatetimeIndex(["2023-10-06", "2023-10-09"])
    assert store.load("DGS10").rows.set_index("obs_date")["value"].isna().loc["2023-10-09"]
    p = asset_prices(store, "UST10Y", days)
    y = store.observations("DGS10").set_index("obs_date")["value"].loc["2023-10-06"] / 100
    assert p[1] / p[0] - 1 == pytest.approx(y * 3 / 365.25, rel=1e-12)


def test_sp500tr_buy_and_hold_is_its_own_ratio(store: Store) -> None:
    days = trading_days("2003-03-24", "2026-08-21", store=store)
    p = asset_prices(store, "SP500TR", days)
    obs = store.observations("SP500TR").set_index("obs_date")["value"]
    assert p[-1] / p[0] == obs.loc["2026-08-21"] / obs.loc["2003-03-24"]
    assert np.isfinite(p).all()


# ---------------------------------------------------------------- user files

ETF = "date,open,high,low,close,adj_close,volume\n"
INDEX = "date,open,high,low,close,volume\n"


def test_user_etf_file_is_an_asset(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "AGG.csv").write_text(
        ETF + "2024-01-16,,,,99,95.5,1\n2024-01-17,,,,99,95.75,1\n2024-01-19,,,,99,96.0,1\n"
    )
    store = _user_store(folder, tmp_path)
    a = asset_spec("AGG", store)
    assert (a.kind, a.tradable, a.path, a.group, a.total_return) == (
        AssetKind.USER,
        "AGG",
        folder / "AGG.csv",
        "user",
        None,
    )
    days = pd.DatetimeIndex(["2024-01-12", "2024-01-16", "2024-01-17", "2024-01-18", "2024-01-19"])
    p = asset_prices(store, "AGG", days)
    assert math.isnan(p[0]) and p[1:].tolist() == [95.5, 95.75, 95.75, 96.0]  # adj_close
    assert asset_range(store, "AGG") == (pd.Timestamp("2024-01-16"), pd.Timestamp("2024-01-19"))


def test_user_index_file_reads_the_close(tmp_path: Path) -> None:
    (tmp_path / "NDX.csv").write_text(INDEX + "2024-01-18,,,,17000,\n2024-01-19,,,,17300.5,\n")
    store = _user_store(tmp_path, tmp_path)
    assert asset_series(store, "NDX").tolist() == [17000.0, 17300.5]


def test_data_dir_file_of_a_builtin_fund_replaces_the_bundled_one(tmp_path: Path) -> None:
    (tmp_path / "IEF.csv").write_text(ETF + "2024-01-18,,,,,90,1\n2024-01-19,,,,,91,1\n")
    store = _user_store(tmp_path, tmp_path)
    assert asset_spec("IEF", store).kind is AssetKind.FUND
    assert asset_range(store, "IEF") == (pd.Timestamp("2024-01-18"), pd.Timestamp("2024-01-19"))


@pytest.mark.parametrize(
    ("asset", "files", "pattern"),
    [
        ("FOO", {}, r"unknown asset 'FOO': not a built-in asset \(SP500TR, GSPC, .*BIL\) and "),
        ("ief", {}, r"asset ids are upper case: did you mean 'IEF'"),
        ("DGS10", {}, r"DGS10 is a series of the manifest .* not an asset"),
        ("WALCL", {"WALCL.csv": "observation_date,WALCL\n2024-01-03,1\n"}, r"not an asset"),
        ("A/B", {}, r"unknown asset 'A/B'; use a built-in asset"),
        ("X" * 33, {}, r"at most 32"),
    ],
)
def test_unknown_ids_are_one_clear_error(
    tmp_path: Path, asset: str, files: dict[str, str], pattern: str
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    store = _user_store(tmp_path, tmp_path)
    with pytest.raises(UnknownAssetError, match=pattern) as exc:
        asset_prices(store, asset, pd.DatetimeIndex(["2024-01-19"]))
    assert "\n" not in str(exc.value)


def test_unknown_id_names_the_missing_file_or_data_dir(tmp_path: Path) -> None:
    store = _user_store(tmp_path, tmp_path)
    with pytest.raises(UnknownAssetError, match=r"FOO.csv does not exist; add a daily price"):
        asset_spec("FOO", store)
    (tmp_path / "BAR.csv").mkdir()
    with pytest.raises(UnknownAssetError, match=r"BAR.csv is not a regular file"):
        asset_spec("BAR", store)
    no_dir = Store(cache_dir=tmp_path / "no-cache")  # RUNOFF_DATA_DIR is unset (conftest)
    assert no_dir.data_dir is None
    with pytest.raises(UnknownAssetError, match=r"no data dir is set; .* --data-dir"):
        asset_spec("FOO", no_dir)
    with pytest.raises(UnknownAssetError, match=r"no data dir is set"):
        asset_spec("FOO")


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        (ETF + "2024-01-18,,,,,90,1\n2024-01-19,,,,,0,1\n", r"line 3: non-positive adj_close"),
        (ETF + "2024-01-19,,,,,90,1\n2024-01-18,,,,,91,1\n", r"line 3: date out of order"),
        (ETF + "2024-01-19,,,,,90,1\n", r"only 1 price; an asset needs daily closes"),
        (
            INDEX + "2024-01-02,,,,90,\n2024-01-19,,,,91,\n",
            r"gap 2024-01-02 -> 2024-01-19 \(17 days > 8\)",
        ),
        ("observation_date,MYFUND\n2024-01-18,90\n", r"line 1: bad header"),
        ("", r"file is empty"),
    ],
)
def test_bad_user_files_name_the_file(tmp_path: Path, text: str, pattern: str) -> None:
    f = tmp_path / "MYFUND.csv"
    f.write_text(text)
    before = f.read_bytes()
    store = _user_store(tmp_path, tmp_path)
    with pytest.raises(DataError, match=pattern) as exc:
        asset_prices(store, "MYFUND", pd.DatetimeIndex(["2024-01-19"]))
    assert str(f) in str(exc.value) and "\n" not in str(exc.value)
    assert f.read_bytes() == before


# ---------------------------------------------------------------- against the ETFs


def _compare(store: Store, synthetic: str, etf: str) -> dict[str, float]:
    """Daily and month-end return correlations and annualised returns over the overlap,
    on the ETF's own trading days (both prices as of each day's close)."""
    first = max(asset_range(store, synthetic)[0], asset_range(store, etf)[0])
    last = min(asset_range(store, synthetic)[1], asset_range(store, etf)[1])
    days = asset_series(store, etf).loc[first:last].index
    both = pd.DataFrame(
        {"s": asset_prices(store, synthetic, days), "e": asset_prices(store, etf, days)},
        index=days,
    )
    assert both.notna().all().all()
    daily = both.pct_change().dropna()
    monthly = both.resample("ME").last().pct_change().dropna()
    years = (days[-1] - days[0]).days / 365.25
    growth = both.iloc[-1] / both.iloc[0]
    return {
        "daily": float(daily.corr().iloc[0, 1]),
        "monthly": float(monthly.corr().iloc[0, 1]),
        "ann_s": float(growth["s"] ** (1 / years) - 1),
        "ann_e": float(growth["e"] ** (1 / years) - 1),
    }


def test_ust10y_tracks_ief(store: Store) -> None:
    """Issue 10's bar: daily correlation >= 0.95, monthly >= 0.98, annualised returns within
    1 point over the overlap 2002-07-30..2026-01-30.

    Provenance: an independent repricing (SOURCES4.md, synthetic_bond_check.py: duration and
    convexity of the 10y par bond on DGS10) gives daily 0.965 (0.960 in the issue text),
    monthly 0.990, 3.15% vs IEF 3.67%. This repricing measures 0.9602, 0.9897 and 3.150% vs
    3.660% (annualised over calendar days / 365.25); IEF is shorter (about 7.5 years of
    duration), hence its lower volatility and the gap in returns.
    """
    c = _compare(store, "UST10Y", "IEF")
    assert c["daily"] >= 0.95 and c["monthly"] >= 0.98
    assert abs(c["ann_s"] - c["ann_e"]) <= 0.01
    assert c["daily"] == pytest.approx(0.9602, abs=5e-4)
    assert c["monthly"] == pytest.approx(0.9897, abs=5e-4)
    assert c["ann_s"] == pytest.approx(0.03150, abs=5e-5)
    assert c["ann_e"] == pytest.approx(0.03660, abs=5e-5)


def test_ust30y_tracks_tlt(store: Store) -> None:
    """Issue 10's bar: monthly correlation >= 0.98 and annualised returns within 1 point over
    the overlap 2002-07-30..2026-07-01. Measured here: monthly 0.9897 (daily 0.9452),
    3.797% vs TLT 3.703%."""
    c = _compare(store, "UST30Y", "TLT")
    assert c["monthly"] >= 0.98
    assert abs(c["ann_s"] - c["ann_e"]) <= 0.01
    assert c["monthly"] == pytest.approx(0.9897, abs=5e-4)
    assert c["daily"] == pytest.approx(0.9452, abs=5e-4)
    assert c["ann_s"] == pytest.approx(0.03797, abs=5e-5)
    assert c["ann_e"] == pytest.approx(0.03703, abs=5e-5)
