"""The bundled total-return, ETF/fund and extra CMT series: manifest, status, verify, panel."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data import DEFAULT_SERIES, MANIFEST, Release, Store
from data.errors import UnknownSeriesError
from data.sources.fred import FredCsv
from data.sources.index import Yahoo
from data.sources.update import UPDATABLE, Sources, update
from tests.data.conftest import CliResult, FakeWeb

Run = Callable[..., CliResult]

# Golden ranges from data/snapshot/SOURCES3.md and SOURCES4.md (summary tables):
# id -> (data rows, blank values, first, last).
GOLDEN = {
    "SP500TR": (9732, 0, "1988-01-04", "2026-08-21"),
    "SPY": (8412, 0, "1993-01-29", "2026-07-01"),
    "IEF": (5915, 0, "2002-07-30", "2026-01-30"),
    "TLT": (6019, 0, "2002-07-30", "2026-07-01"),
    "SHY": (5915, 0, "2002-07-30", "2026-01-30"),
    "BIL": (4662, 0, "2007-05-30", "2025-12-05"),
    "VUSTX": (10107, 0, "1986-05-19", "2026-07-01"),
    "DGS30": (12918, 544, "1977-02-15", "2026-08-20"),
    "DGS5": (16839, 716, "1962-01-02", "2026-07-22"),
    "DGS3MO": (11709, 488, "1981-09-01", "2026-07-22"),
}
FUNDS = ("SPY", "IEF", "TLT", "SHY", "BIL", "VUSTX")
YIELDS = ("DGS5", "DGS30", "DGS3MO")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("RUNOFF_DATA_DIR", raising=False)
        return Store(cache_dir=tmp_path_factory.mktemp("empty-cache"))


def test_manifest_entries_of_the_new_series() -> None:
    for sid in FUNDS:
        s = MANIFEST[sid]
        assert (s.source, s.price_column, s.release) == ("fund", "adj_close", Release.MARKET_CLOSE)
        assert s.units == "USD per share, dividend-adjusted" and s.to_bn is None
    sp = MANIFEST["SP500TR"]
    assert (sp.source, sp.price_column, sp.release) == ("index", "close", Release.MARKET_CLOSE)
    assert MANIFEST["GSPC"].price_column == "close"
    for sid in YIELDS:
        s = MANIFEST[sid]
        assert (s.source, s.price_column, s.release, s.units) == (
            "fred",
            None,
            Release.H15_DAILY,
            "percent",
        )


def test_status_ranges_equal_the_provenance_tables(run: Run) -> None:
    rows = {r["id"]: r for r in json.loads(run("data", "status", "--json").out)}
    for sid, (n, blank, first, last) in GOLDEN.items():
        r = rows[sid]
        assert (r["rows"], r["missing"], r["first"], r["last"]) == (n, blank, first, last), sid
        assert r["origin"] == "snapshot" and r["units"] == MANIFEST[sid].units
    # Last rows of the files (SOURCES3/4): the adjusted close, not the empty close column.
    assert rows["SP500TR"]["last_value"] == 17190.77
    assert rows["IEF"]["last_value"] == 95.662926
    assert rows["VUSTX"]["last_value"] == 7.82
    assert rows["DGS30"]["last_value"] == 5.23


def test_verify_passes_on_every_new_series_without_findings(run: Run) -> None:
    js = json.loads(run("data", "verify", "--json").out)
    assert js["ok"]
    by_id = {s["series"]: s for s in js["series"]}
    for sid in GOLDEN:
        assert by_id[sid]["status"] == "ok" and by_id[sid]["findings"] == [], sid


@pytest.mark.parametrize(
    ("body", "check", "needle"),
    [
        ("2024-01-19,,,,,92.75,1\n2024-01-22,,,,,9275,1\n", "bounds", "value 9275 outside"),
        ("2024-01-19,,,,,92.75,1\n2024-01-22,,,,,-1,1\n", "file", "non-positive adj_close"),
        ("2024-01-02,,,,,92.75,1\n2024-01-22,,,,,92.8,1\n", "gaps", "gap 2024-01-02 -> 2024-01-22"),
        ("2024-01-19,,,,92.75,,1\n", "file", "no rows with a price in column 'adj_close'"),
    ],
)
def test_verify_flags_a_bad_user_etf_file(
    run: Run, tmp_path: Path, body: str, check: str, needle: str
) -> None:
    f = tmp_path / "IEF.csv"
    f.write_text("date,open,high,low,close,adj_close,volume\n" + body)
    before = f.read_bytes()
    res = run("--data-dir", str(tmp_path), "data", "verify")
    assert res.code == 1
    errors = [ln for ln in res.out.splitlines() if ln.startswith("error")]
    assert len(errors) == 1 and errors[0].split()[1] == "IEF", res.out
    assert errors and check in errors[0] and needle in errors[0] and str(f) in errors[0], res.out
    assert f.read_bytes() == before


def test_an_index_layout_file_for_a_fund_is_one_clear_line(run: Run, tmp_path: Path) -> None:
    f = tmp_path / "TLT.csv"
    f.write_text("date,open,high,low,close,volume\n2024-01-19,,,,92.75,\n")
    res = run("--data-dir", str(tmp_path), "data", "show", "TLT", "--as-of", "2024-01-19")
    assert res.code == 2 and res.err.count("\n") == 1
    assert str(f) in res.err and "an 'adj_close' column" in res.err


def test_fund_prices_are_known_at_the_close(store: Store) -> None:
    obs = store.observations("IEF")
    assert obs["available_at"].iloc[0] == pd.Timestamp("2002-07-30 16:00")
    asof = store.asof("IEF", pd.DatetimeIndex(["2002-07-30", "2002-07-31"]))
    assert asof["value"].tolist() == [41.094532, 41.471451]
    # The 5-year CMT of day t is public on t+1 (H.15) like DGS10.
    y5 = store.asof("DGS5", pd.DatetimeIndex(["2024-01-11", "2024-01-12"]))
    assert (y5["obs_date"] < pd.DatetimeIndex(["2024-01-11", "2024-01-12"])).all()


def test_sp500tr_supersedes_the_stale_monthly_file(store: Store) -> None:
    """SOURCES3.md: 442 of 443 month-ends equal; the monthly file's 2024-12-31 row (12966.22)
    is the 2024-12-30 close, the 2024-12-31 close is 12911.82."""
    daily = store.observations("SP500TR").set_index("obs_date")["value"]
    monthly = store.observations("SP500TR_monthly").set_index("obs_date")["value"]
    at = daily.reindex(monthly.index)
    differ = monthly.index[~np.isclose(at.to_numpy(), monthly.to_numpy(), rtol=0, atol=1e-9)]
    assert list(differ) == [pd.Timestamp("2024-12-31")]
    assert daily.loc["2024-12-31"] == 12911.82 and daily.loc["2024-12-30"] == 12966.22
    assert monthly.loc["2024-12-31"] == 12966.22


def test_sp500tr_trading_days_are_those_of_gspc(store: Store) -> None:
    """SOURCES3.md: over 1988-01-04..2026-08-21 the two files have the same trading days."""
    tr = pd.DatetimeIndex(store.observations("SP500TR")["obs_date"])
    px = pd.DatetimeIndex(store.observations("GSPC")["obs_date"])
    assert tr.equals(px[(px >= tr[0]) & (px <= tr[-1])])


def test_default_panel_takes_the_new_yields_not_the_prices() -> None:
    for sid in YIELDS:
        assert sid in DEFAULT_SERIES
    for sid in (*FUNDS, "SP500TR", "SP500TR_monthly", "GSPC"):
        assert sid not in DEFAULT_SERIES


def test_only_fred_series_and_gspc_are_updatable(web: FakeWeb) -> None:
    for sid in YIELDS:
        assert sid in UPDATABLE
    for sid in (*FUNDS, "SP500TR"):
        assert sid not in UPDATABLE
        with pytest.raises(UnknownSeriesError, match=f"{sid} has no live source"):
            update([sid], sources=Sources(FredCsv(), Yahoo()))
    assert web.calls == []
