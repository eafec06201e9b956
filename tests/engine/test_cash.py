"""Cash rates: DTB3 unchanged, DGS3MO's bond-equivalent conversion, the DTB3+DGS3MO splice."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from data.errors import UnknownSeriesError
from data.panel import trading_days
from data.release import decision_times
from data.store import Store
from engine.cash import (
    CASH_RATES,
    bond_equivalent_to_money_market,
    cash_price,
    cash_price_from_yield,
    cash_rate_asof,
    cash_rate_series,
    cash_yield,
    money_market_to_discount,
    money_market_yield,
)

SPLICE = "DTB3+DGS3MO"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("RUNOFF_DATA_DIR", raising=False)
        return Store(cache_dir=tmp_path_factory.mktemp("empty-cache"))


def test_cash_rates_and_their_series() -> None:
    assert CASH_RATES == ("DTB3", "DGS3MO", "DTB3+DGS3MO", "none")
    assert cash_rate_series("DTB3") == ("DTB3",)
    assert cash_rate_series("DGS3MO") == ("DGS3MO",)
    assert cash_rate_series(SPLICE) == ("DTB3", "DGS3MO")
    assert cash_rate_series("none") == ()


def test_dtb3_cash_price_is_bit_identical(store: Store) -> None:
    """Golden: the DTB3 cash price over 2003-03-24..2026-08-28 as engine/cash.py computed it
    before DGS3MO and the splice were added (commit 79e67fb): last value and a hash of all."""
    days = trading_days("2003-03-24", "2026-08-28", store=store)
    p = cash_price(store, days, "DTB3").to_numpy()
    assert p[-1] == 1.51268814485721
    digest = hashlib.sha256(p.tobytes()).hexdigest()
    assert digest == "39968fd16a327191bb4f5ae0670a8acbe3bf68cd5d70368d2fd4ca4f27dbfd3b"
    assert "series" not in cash_rate_asof(store, days, "DTB3").columns


def test_bond_equivalent_conversion_golden() -> None:
    # A 91-day bill at a 5.00% discount: bey = 365 d / (360 - 91 d), money market 360 d / (...),
    # so the money-market yield is bey * 360 / 365 (and equals money_market_yield of d).
    d = 0.05
    bey_pct = 100 * 365 * d / (360 - 91 * d)
    assert bond_equivalent_to_money_market(np.array([bey_pct]))[0] == pytest.approx(
        money_market_yield(np.array([5.0]))[0], rel=1e-14
    )
    assert cash_yield("DGS3MO", np.array([3.65]))[0] == pytest.approx(0.036, rel=1e-15)
    # The inverse used by the splice: money-market yield -> discount rate of the 91-day bill.
    assert money_market_to_discount(money_market_yield(np.array([5.0])))[0] == pytest.approx(
        5.0, rel=1e-14
    )


def test_dgs3mo_cash_accrues_from_1981(store: Store) -> None:
    days = trading_days("1987-11-19", "1987-11-24", store=store)
    known = store.asof("DGS3MO", days)["value"].to_numpy()
    p = cash_price(store, days, "DGS3MO").to_numpy()
    gap = np.diff(days.to_numpy()).astype("timedelta64[D]").astype(float)
    np.testing.assert_allclose(p[1:] / p[:-1], 1 + known[:-1] / 100 * 360 / 365 * gap / 360)


def test_splice_switches_to_dtb3_once_it_is_public(store: Store) -> None:
    days = trading_days("2001-04-12", "2001-04-24", store=store)
    r = cash_rate_asof(store, days, SPLICE)
    # DTB3 starts 2001-04-17 (Tue); public Wed 2001-04-18 16:15, after that day's decision,
    # so the first DTB3 day is Thu 2001-04-19 (2001-04-13 was Good Friday: no S&P close).
    assert [str(d.date()) for d in days[:5]] == [
        "2001-04-12",
        "2001-04-16",
        "2001-04-17",
        "2001-04-18",
        "2001-04-19",
    ]
    assert r["series"].tolist() == ["DGS3MO"] * 4 + ["DTB3"] * 4
    dtb3 = store.asof("DTB3", days)
    pd.testing.assert_series_equal(r["value"].iloc[4:], dtb3["value"].iloc[4:])
    assert (r["obs_date"].iloc[4:] == dtb3["obs_date"].iloc[4:]).all()
    # Before the switch: DGS3MO as known, quoted as the 91-day bill's discount rate.
    g = store.asof("DGS3MO", days)
    want = money_market_to_discount(g["value"].to_numpy()[:4] / 100 * 360 / 365)
    np.testing.assert_allclose(r["value"].to_numpy()[:4], want, rtol=1e-15)
    assert (r["obs_date"].iloc[:4] == g["obs_date"].iloc[:4]).all()
    # Never a value that was not public at the decision (both parts are H.15, t+1 16:15).
    assert (r["available_at"].to_numpy() <= decision_times(days)).all()


def test_splice_accruals_equal_dtb3_after_the_switch(store: Store) -> None:
    days = trading_days("1990-01-02", "2026-07-09", store=store)
    spliced = cash_price(store, days, SPLICE).to_numpy()
    assert np.isfinite(spliced).all()
    i = int(days.searchsorted(pd.Timestamp("2001-04-19")))
    plain = cash_price(store, days[i:], "DTB3").to_numpy()
    np.testing.assert_allclose(spliced[i + 1 :] / spliced[i], plain[1:], rtol=1e-13)
    # The accrual rates themselves are bit-identical to DTB3's from the switch on.
    y_splice = cash_yield(SPLICE, cash_rate_asof(store, days, SPLICE)["value"].to_numpy())
    y_dtb3 = cash_yield("DTB3", store.asof("DTB3", days)["value"].to_numpy())
    np.testing.assert_array_equal(y_splice[i:], y_dtb3[i:])
    assert np.isnan(y_dtb3[i - 1])
    # The splice accrues DGS3MO before: the same growth as cash.rate = "DGS3MO" there.
    d3 = cash_price(store, days[: i + 1], "DGS3MO").to_numpy()
    np.testing.assert_allclose(spliced[: i + 1], d3, rtol=1e-13)


def test_dgs3mo_and_dtb3_agree_on_the_discount_basis(store: Store) -> None:
    """On 2001-04-19..2026-07-09 DGS3MO converted to the discount basis differs from DTB3 by
    +0.9bp on average (sd 2.6bp, at most 12.6bp): the splice joins like with like. Raw DGS3MO
    is ~5bp above DTB3 (the basis difference the conversion removes)."""
    days = trading_days("2001-04-19", "2026-07-09", store=store)
    a = store.asof("DTB3", days)["value"].to_numpy()
    b = store.asof("DGS3MO", days)["value"].to_numpy()
    conv = money_market_to_discount(cash_yield("DGS3MO", b))
    diff = conv - a
    assert abs(diff.mean()) < 0.02 and diff.std() < 0.04 and np.abs(diff).max() < 0.15
    assert (b - a).mean() > 0.04


def test_splice_before_any_rate_is_unknown(store: Store) -> None:
    days = pd.DatetimeIndex(["1981-08-31", "1981-09-01", "1981-09-02"])
    r = cash_rate_asof(store, days, SPLICE)
    # DGS3MO of 1981-09-01 is public on 1981-09-02 16:15: nothing known on these three days.
    assert r["series"].tolist() == ["", "", ""] and r["value"].isna().all()
    p = cash_price_from_yield(days, cash_yield(SPLICE, r["value"].to_numpy()))
    assert p[0] == 1.0 and np.isnan(p[1:]).all()


def test_unknown_cash_rate_is_an_unknown_series(store: Store) -> None:
    with pytest.raises(UnknownSeriesError, match="unknown series id 'DGS4MO'"):
        cash_rate_asof(store, pd.DatetimeIndex(["2024-01-19"]), "DGS4MO")
