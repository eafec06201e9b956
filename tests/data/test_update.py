"""The download cache: validate before replacing, atomic writes, a failed download keeps the old file."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
import requests

from data import Store, paths
from data.errors import FetchError, UnknownSeriesError
from data.paths import atomic_write_text
from data.sources import UPDATABLE, FredApi, FredCsv, Sources, Yahoo, fetch_to_cache, update
from tests.data.conftest import FakeWeb, dir_listing, fixture_text, respond

WALCL_CSV = fixture_text("fredgraph_WALCL.csv")
WALCL_LINES = WALCL_CSV.splitlines()


def _cache() -> Path:
    return paths.cache_dir()


def _seed_cache(text: str, name: str = "WALCL.csv") -> Path:
    target = _cache() / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return target


def test_updatable_covers_every_fred_series_and_the_index() -> None:
    assert "GSPC" in UPDATABLE and "WALCL" in UPDATABLE and "H41RESPPALDKNWW" in UPDATABLE
    assert "SP500TR_monthly" not in UPDATABLE


def test_first_download_is_written_and_read_by_the_store(
    web: FakeWeb, empty_snapshot: Path
) -> None:
    web.add("fred-csv", "WALCL", respond(WALCL_CSV))
    res = fetch_to_cache("WALCL", FredCsv())
    assert res.status == "updated" and res.rows == 11 and res.new_dates == 11
    assert (res.first, res.last) == ("2026-06-24", "2026-09-02")
    assert res.path == _cache() / "WALCL.csv"
    assert dir_listing(_cache()) == ["WALCL.csv"]  # no temp file left behind
    st = Store()
    assert st.load("WALCL").origin == "cache"
    assert st.observations("WALCL")["value"].iloc[-1] == 6722018


def test_newer_download_replaces_and_same_download_is_unchanged(
    web: FakeWeb, empty_snapshot: Path
) -> None:
    _seed_cache("\n".join(WALCL_LINES[:-1]) + "\n")
    web.add("fred-csv", "WALCL", respond(WALCL_CSV))
    res = fetch_to_cache("WALCL", FredCsv())
    assert res.status == "updated" and res.new_dates == 1
    stamp = (_cache() / "WALCL.csv").stat().st_mtime_ns
    res = fetch_to_cache("WALCL", FredCsv())
    assert res.status == "unchanged"
    assert (_cache() / "WALCL.csv").stat().st_mtime_ns == stamp
    assert "unchanged" in res.line()


FAILURES = {
    "http 500": respond("Internal Server Error", 500),
    "connection": requests.ConnectionError("connection reset by peer"),
    "timeout": requests.ReadTimeout("read timed out (read timeout=60)"),
    "html": respond("<html><head><title>Maintenance</title></head></html>"),
    "cut mid-date": respond(WALCL_CSV[: WALCL_CSV.index("2026-08-19") + 8]),
    "cut mid-number": respond(WALCL_CSV[: WALCL_CSV.index("2026-08-19") + 14]),
    "cut at a row end": respond("\n".join(WALCL_LINES[:6]) + "\n"),
    "ends earlier": respond(
        "observation_date,WALCL\n2026-06-17,6741000\n" + "\n".join(WALCL_LINES[1:-1]) + "\n"
    ),
    "units changed": respond(
        "observation_date,WALCL\n"
        + "".join(f"{ln[:10]},{int(ln[11:]) / 1000:.3f}\n" for ln in WALCL_LINES[1:])
    ),
    "non-numeric": respond(WALCL_CSV.replace("6745699", "6,745,699")),
    "duplicate": respond(WALCL_CSV + WALCL_LINES[-1] + "\n"),
    "all missing": respond(
        "observation_date,WALCL\n" + "".join(f"{ln[:10]},.\n" for ln in WALCL_LINES[1:])
    ),
}


EXPECTED = {
    "http 500": "HTTP 500 from fred.stlouisfed.org",
    "connection": "ConnectionError",
    "timeout": "ReadTimeout",
    "html": "not a FRED CSV",
    "cut mid-date": "line 10: malformed row '2026-08-'",
    "cut mid-number": "2026-08-19: value 674 outside the sanity bounds",
    "cut at a row end": "partial download (5 observation dates",
    "ends earlier": "ends 2026-08-26, before 2026-09-02",
    "units changed": "2026-06-24: value 6735.65 outside the sanity bounds [500,000, 10,000,000]",
    "non-numeric": "line 10: malformed row",
    "duplicate": "line 13: duplicated date 2026-09-02",
    "all missing": "the download has no values",
}


@pytest.mark.parametrize("case", list(FAILURES))
def test_failed_or_partial_download_keeps_the_cache(
    web: FakeWeb, empty_snapshot: Path, case: str
) -> None:
    old = _seed_cache(WALCL_CSV)
    before = old.read_bytes()
    web.add("fred-csv", "WALCL", FAILURES[case])
    with pytest.raises(FetchError) as exc:
        fetch_to_cache("WALCL", FredCsv())
    assert "\n" not in str(exc.value)
    assert EXPECTED[case] in str(exc.value)
    assert old.read_bytes() == before
    assert dir_listing(_cache()) == ["WALCL.csv"]


def test_partial_download_message_names_what_is_lost(web: FakeWeb, empty_snapshot: Path) -> None:
    _seed_cache(WALCL_CSV)
    web.add("fred-csv", "WALCL", FAILURES["cut at a row end"])
    with pytest.raises(
        FetchError,
        match=r"partial download \(5 observation dates, the cached "
        r"file .* has 11; ends 2026-07-22, before 2026-09-02\)",
    ):
        fetch_to_cache("WALCL", FredCsv())


def test_download_is_compared_with_the_bundled_file_when_nothing_is_cached(web: FakeWeb) -> None:
    """With no cache, a short download must not shadow the longer bundled snapshot."""
    web.add("fred-csv", "WALCL", respond(WALCL_CSV))
    with pytest.raises(FetchError, match=r"partial download .*the bundled file .*WALCL.csv"):
        fetch_to_cache("WALCL", FredCsv())
    assert dir_listing(_cache()) == []


def test_a_corrupted_cache_is_replaced_by_a_good_download(
    web: FakeWeb, empty_snapshot: Path
) -> None:
    _seed_cache("observation_date,WALCL\n2026-06-24,67356\x00\x00garbage\n")
    web.add("fred-csv", "WALCL", respond(WALCL_CSV))
    assert fetch_to_cache("WALCL", FredCsv()).status == "updated"
    assert (_cache() / "WALCL.csv").read_text() == WALCL_CSV


def test_vintage_download_feeds_the_point_in_time_store(web: FakeWeb, empty_snapshot: Path) -> None:
    web.add("fred-api", "WALCL", respond(fixture_text("fred_api_WALCL_vintages.json")))
    fetch_to_cache("WALCL", FredApi("k"))
    st = Store()
    assert st.load("WALCL").vintages
    got = st.asof("WALCL", pd.DatetimeIndex(["2024-01-04", "2024-01-05"]))
    # 2024-01-04 16:00: the first release of 2023-12-27 (the revision comes out at 16:30).
    assert got["value"].tolist() == [7712795, 7681024]
    assert got["available_at"].iloc[1] == pd.Timestamp("2024-01-04 16:30")


def test_index_download_via_yahoo(web: FakeWeb, empty_snapshot: Path) -> None:
    web.add("yahoo", "GSPC", respond(fixture_text("yahoo_chart_GSPC.json")))
    res = fetch_to_cache("GSPC", Yahoo(now=pd.Timestamp("2026-08-31 12:00")))
    assert res.status == "updated" and res.last == "2026-08-28"
    assert Store().observations("GSPC")["value"].iloc[-1] == 7711.76


def test_update_many_keeps_going_after_a_failure(web: FakeWeb, empty_snapshot: Path) -> None:
    dgs10 = _seed_cache("observation_date,DGS10\n2026-06-22,4.51\n", "DGS10.csv")
    before = dgs10.read_bytes()
    web.add("fred-csv", "WALCL", respond(WALCL_CSV))
    web.add("fred-csv", "DGS10", respond("oops", 503))
    seen: list[str] = []
    results = update(["WALCL", "DGS10"], sources=Sources(FredCsv(), Yahoo()), on_start=seen.append)
    assert seen == ["WALCL", "DGS10"]
    assert [r.status for r in results] == ["updated", "failed"]
    assert "HTTP 503" in results[1].reason and results[1].line().startswith("DGS10")
    assert dgs10.read_bytes() == before
    assert (_cache() / "WALCL.csv").read_text() == WALCL_CSV


def test_update_rejects_unknown_or_bundled_only_series_before_downloading(web: FakeWeb) -> None:
    with pytest.raises(UnknownSeriesError, match="unknown series id 'NOPE'"):
        update(["WALCL", "NOPE"], sources=Sources(FredCsv(), Yahoo()))
    with pytest.raises(UnknownSeriesError, match="SP500TR_monthly has no live source"):
        update(["SP500TR_monthly"], sources=Sources(FredCsv(), Yahoo()))
    assert web.calls == []


def test_default_sources_follow_the_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(Sources.default().fred, FredCsv)
    monkeypatch.setenv("FRED_API_KEY", "abc")
    s = Sources.default()
    assert isinstance(s.fred, FredApi) and s.fred.vintages
    assert Sources.default(vintages=False).fred.name == "fred-api"
    assert Sources.default(index="stooq").index.name == "stooq"


def test_atomic_write_failure_leaves_the_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "WALCL.csv"
    target.write_text("old\n")

    def boom(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write_text(target, "new\n")
    assert target.read_text() == "old\n"
    assert dir_listing(tmp_path) == ["WALCL.csv"]


def test_atomic_write_success_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "WALCL.csv"
    atomic_write_text(target, "a,b\n")
    atomic_write_text(target, "c,d\n")
    assert target.read_text() == "c,d\n"
    assert dir_listing(target.parent) == ["WALCL.csv"]


def test_cache_write_error_is_a_fetch_error(
    web: FakeWeb, empty_snapshot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _seed_cache("\n".join(WALCL_LINES[:-1]) + "\n")
    before = old.read_bytes()
    web.add("fred-csv", "WALCL", respond(WALCL_CSV))

    def boom(src: str, dst: str) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(FetchError, match=r"cannot write the cache \(Permission denied\)"):
        fetch_to_cache("WALCL", FredCsv())
    assert old.read_bytes() == before
    assert dir_listing(_cache()) == ["WALCL.csv"]
