"""``runoff regimes`` and ``runoff explain`` through the real entry point (engine.cli.main)."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest

from data.store import Store
from engine.cli import main, regimes_cmd


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return Store(cache_dir=tmp_path_factory.mktemp("empty-cache"))


@pytest.fixture
def shared_store(monkeypatch: pytest.MonkeyPatch, loaded: Store) -> Store:
    """Reuse one loaded store (the CLI would read every CSV again on each call)."""
    monkeypatch.setattr(regimes_cmd, "Store", lambda data_dir=None: loaded)
    return loaded


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_explain_2024_01_19_text(capsys, shared_store) -> None:
    """Issue 3 Must-show: the note's picture from data."""
    rc, out, err = run(capsys, "explain", "2024-01-19")
    assert rc == 0 and err == ""
    assert "Balance sheet: CONTRACTION since 2022-09-16" in out
    assert "total assets       $7,673.7bn (WALCL of 2024-01-17)" in out
    assert "running peak       $8,965.5bn on 2022-04-13" in out
    assert "change from peak   -$1,291.7bn (-14.4%)" in out
    assert "Policy and yield phase: FIRST_HALF" in out
    assert "5.25-5.50" in out and "10y 4.10 < lower bound 5.25" in out
    assert "no hike for 121 trading days since 2023-07-27" in out
    assert (
        "BTFP               unavailable: not in the bundled data; run `runoff data update "
        "H41RESPPALDKNWW`" in out
    )
    assert "growth -13.1%/yr <= contract_exit -1%/yr" in out
    for sid in ("WALCL", "WDTGAL", "RRPONTSYD", "DFEDTARU", "DGS10", "SAHMREALTIME", "GDP"):
        assert f"\n  {sid} " in out


def test_explain_json_on_a_weekend(capsys, shared_store) -> None:
    rc, out, _ = run(capsys, "explain", "2024-01-20", "--json")
    e = json.loads(out)
    assert rc == 0 and e["date"] == "2024-01-19" and e["requested"] == "2024-01-20"
    assert e["liquidity"]["btfp"]["value_bn"] is None  # NaN -> null, valid JSON
    assert e["policy"]["regime"] == "FIRST_HALF"


def test_explain_before_the_data_says_which_series_start_when(capsys, shared_store) -> None:
    """A day inside the index history but before the H.4.1 and H.15 inputs: one line per
    missing input with its first observation, never "None"."""
    rc, out, err = run(capsys, "explain", "1995-06-01")
    assert rc == 0 and err == ""
    assert "None" not in out
    assert "Not yet published on 1995-06-01" in out
    assert "  WALCL           starts 2002-12-18, public from 2002-12-19 16:30" in out
    assert "  RRPONTSYD       starts 2003-02-07" in out
    assert "  DGS10           starts 1998-09-11" in out
    head = out.split("Balance sheet:")[0]
    assert "GSPC" not in head and "DFEDTAR" not in head  # known that day: not listed
    assert "total assets       n/a (WALCL of n/a)" in out
    assert "ON RRP             n/a (no operation published yet)" in out
    rc, out, _ = run(capsys, "explain", "1995-06-01", "--json")
    missing = {m["series"]: m["first_obs_date"] for m in json.loads(out)["missing"]}
    assert missing["WALCL"] == "2002-12-18" and "GSPC" not in missing


def test_explain_with_every_input_lists_nothing_missing(capsys, shared_store) -> None:
    rc, out, _ = run(capsys, "explain", "2024-01-19", "--json")
    assert rc == 0 and json.loads(out)["missing"] == []


def test_regimes_json_spans(capsys, shared_store) -> None:
    rc, out, _ = run(capsys, "regimes", "--start", "2022-01-01", "--end", "2024-12-31", "--json")
    spans = json.loads(out)
    assert rc == 0
    phase = [s for s in spans if s["kind"] == "phase"]
    assert {
        "kind": "phase",
        "regime": "HIKING",
        "start": "2022-03-17",
        "end": "2023-12-01",
        "days": 431,
    } in phase
    assert phase[-1]["regime"] == "CUTTING" and phase[-1]["start"] == "2024-09-19"
    assert phase[-1]["end"] == "2024-12-31"


def test_regimes_csv_covers_every_day(capsys, shared_store) -> None:
    rc, out, _ = run(
        capsys,
        "regimes",
        "--start",
        "2015-01-01",
        "--end",
        "2019-12-31",
        "--csv",
        "--kind",
        "balance_sheet",
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rc == 0 and {r["kind"] for r in rows} == {"balance_sheet"}
    n_days = len(pd.bdate_range("2015-01-01", "2019-12-31"))
    assert 0 < n_days - sum(int(r["days"]) for r in rows) < 60  # trading days = weekdays - holidays
    assert [r["regime"] for r in rows] == [
        "EXPANSION",
        "PLATEAU",
        "CONTRACTION",
        "PLATEAU",
        "EXPANSION",
    ]


def test_regimes_monthly_text(capsys, shared_store) -> None:
    rc, out, _ = run(
        capsys,
        "regimes",
        "--start",
        "2022-01-01",
        "--end",
        "2022-12-31",
        "--freq",
        "M",
        "--kind",
        "phase",
    )
    assert rc == 0
    assert "freq M" in out and "\nphase\n" in out and "\nbalance_sheet\n" not in out
    assert "  2022-03-01  2022-12-30    " in out  # March 2022 ends HIKING: the whole month counts


def test_regimes_param_override_changes_the_timeline(capsys, shared_store) -> None:
    _, base, _ = run(capsys, "regimes", "--start", "2013-01-01", "--end", "2013-12-31", "--csv")
    rc, alt, _ = run(
        capsys,
        "regimes",
        "--start",
        "2013-01-01",
        "--end",
        "2013-12-31",
        "--csv",
        "--param",
        "balance_sheet.expand_enter=0.5",
        "--param",
        "balance_sheet.expand_exit=0.45",
    )
    assert rc == 0 and "EXPANSION" in base and "EXPANSION" not in alt


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (
            ["regimes", "--param", "balance_sheet.window_weeks=-3"],
            "--param balance_sheet.window_weeks = -3: expected 1 to 520 weeks",
        ),
        (["regimes", "--param", "balance_sheet.measure=m2"], "balance_sheet.measure = 'm2'"),
        (
            ["regimes", "--param", "balance_sheet.contract_enter=-0.005"],
            "--param balance_sheet.contract_exit = -0.01",
        ),
        (["regimes", "--param", "policy.sahm=1"], "unknown field 'sahm'"),
        (["regimes", "--param", "net_liquidity.window_weeks=abc"], "expected an integer"),
        (["explain", "2024-01-19", "--param", "window_weeks"], "expected KEY=VALUE"),
    ],
)
def test_bad_parameters_give_one_line(capsys, argv: list[str], needle: str) -> None:
    rc, out, err = run(capsys, *argv)
    assert rc == 2 and out == ""
    assert err.startswith("runoff: error: ") and needle in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["explain", "2031-01-01"], "outside the data"),
        (["explain", "1950-06-01"], "outside the data"),
        (["explain", "2024-02-30"], "bad date"),
        (["regimes", "--start", "2025-01-01", "--end", "2024-01-01"], "after end"),
    ],
)
def test_bad_dates_give_one_line(capsys, shared_store, argv: list[str], needle: str) -> None:
    rc, out, err = run(capsys, *argv)
    assert rc == 2 and out == ""
    assert err.startswith("runoff: error: ") and needle in err and err.count("\n") == 1


def test_real_store_path_and_data_dir(capsys, tmp_path) -> None:
    """Without the shared store: --data-dir reaches the store (an empty folder = the snapshot)."""
    rc, out, _ = run(capsys, "--data-dir", str(tmp_path), "explain", "2024-01-19", "--json")
    assert rc == 0 and json.loads(out)["balance_sheet"]["regime"] == "CONTRACTION"
