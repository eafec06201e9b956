"""Stale inputs through the CLI: ``signals --latest`` (``stale_inputs``, ``--fail-on-stale``
exits 3), ``explain`` (text and JSON) and ``data status`` (the stale column)."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from data.paths import SNAPSHOT_DIR
from engine.cli import main
from engine.cli.signals_cmd import STALE_EXIT


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def fresh_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir whose S&P 500 closes end on 2026-07-15, when every qt_aware input is fresh
    (DTB3 of 2026-07-09 is 2 business days behind the 2026-07-13 value it could have)."""
    d = tmp_path_factory.mktemp("fresh")
    lines = (SNAPSHOT_DIR / "GSPC.csv").read_text().splitlines()
    keep = [lines[0]] + [ln for ln in lines[1:] if ln[:10] <= "2026-07-15"]
    (d / "GSPC.csv").write_text("\n".join(keep) + "\n")
    return d


def test_latest_lists_the_stale_inputs_with_their_ages() -> None:
    """Issue 14 Must-show: on the bundled data, qt_aware's last decision, 2026-08-21 (the last
    close of SP500TR, its equity), rests on a 3-month bill rate of 2026-07-09; SOMA
    (2026-08-19, published the next day) is fresh."""
    code, out, err = run("signals", "qt_aware", "--latest", "--format", "json")
    assert code == 0
    doc = json.loads(out)
    assert doc["decision_date"] == "2026-08-21"
    (dtb3,) = doc["stale_inputs"]
    assert dtb3["series"] == "DTB3" and dtb3["feeds"] == ["cash rate"]
    assert (dtb3["last_obs"], dtb3["age_days"], dtb3["behind"], dtb3["limit"]) == (
        "2026-07-09",
        43,
        29,
        5,
    )
    assert dtb3["unit"] == "business days" and dtb3["expected_obs"] == "2026-08-19"
    assert doc["input_series"]["TREAST"]["age_days"] == 2
    assert "runoff: warning: stale input at 2026-08-21: DTB3" in err


def test_fail_on_stale_exits_3() -> None:
    code, out, err = run("signals", "qt_aware", "--latest", "--fail-on-stale")
    assert code == STALE_EXIT == 3
    assert json.loads(out)["stale_inputs"][0]["series"] == "DTB3"
    assert "DTB3" in err


def test_fresh_data_lists_none_and_exits_0(fresh_dir: Path) -> None:
    code, out, err = run(
        "--data-dir", str(fresh_dir), "signals", "qt_aware", "--latest", "--fail-on-stale"
    )
    assert code == 0, err
    doc = json.loads(out)
    assert doc["decision_date"] == "2026-07-15" and doc["stale_inputs"] == []
    assert "stale" not in err


def test_export_with_fail_on_stale_writes_then_exits_3(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    code, _, err = run(
        "signals", "qt_aware", "--format", "csv", "--out", str(path), "--fail-on-stale"
    )
    assert code == 3 and path.exists() and "DTB3" in err


def test_explain_lists_stale_inputs() -> None:
    code, out, _ = run("explain", "2026-08-28", "--json")
    assert code == 0
    stale = {x["series"]: x for x in json.loads(out)["stale"]}
    assert {"DTB3", "DFF", "SAHMREALTIME", "GDP"} <= set(stale)
    assert stale["SAHMREALTIME"]["feeds"] == ["regime phase"]
    assert stale["DTB3"]["age_days"] == 50 and stale["DTB3"]["feeds"] == ["3m bill"]
    assert not {"WALCL", "TREAST", "DGS10", "DFEDTARU"} & set(stale)
    code, text, _ = run("explain", "2026-08-28")
    assert "Stale on 2026-08-28" in text
    assert "  DTB3: last 2026-07-09 (50 days old), 34 business days behind" in text
    assert "SAHMREALTIME" in text.split("Balance sheet:")[0]


def test_explain_of_a_fresh_day_lists_none() -> None:
    code, out, _ = run("explain", "2024-01-19", "--json")
    assert code == 0 and json.loads(out)["stale"] == []
    code, text, _ = run("explain", "2024-01-19")
    assert "Stale on" not in text


def test_data_status_has_a_stale_column() -> None:
    code, out, _ = run("data", "status", "--json")
    assert code == 0
    by_id = {r["id"]: r for r in json.loads(out)}
    assert by_id["DTB3"]["stale"] is True and by_id["DTB3"]["behind"] == 34
    assert by_id["DTB3"]["stale_at"] == "2026-08-28"
    assert by_id["DGS30"]["stale"] is False and by_id["DGS30"]["behind"] == 4
    assert by_id["DFEDTAR"]["stale_status"] == "ended"
    assert by_id["WLRRAL"]["stale"] is None  # not downloaded: nothing to judge
    assert (by_id["WALCL"]["cadence"], by_id["WALCL"]["stale_limit"]) == ("weekly", 13)
    code, text, _ = run("data", "status")
    rows = {ln.split()[0]: ln for ln in text.splitlines() if ln.strip()}
    assert rows["series"].rstrip().endswith("stale")
    assert rows["DTB3"].rstrip().endswith("YES 34/5bd")
    assert rows["TREAST"].rstrip().endswith("no 7/13d")
    assert rows["DFEDTAR"].rstrip().endswith("ended")


def test_explain_marks_a_stale_balance_sheet_input(tmp_path: Path) -> None:
    """SOMA data cut three Wednesdays early: TREAST and WSHOMCB are stale on 2026-08-28 and the
    growth line says so."""
    for sid in ("TREAST", "WSHOMCB"):
        lines = (SNAPSHOT_DIR / f"{sid}.csv").read_text().splitlines()
        keep = [lines[0]] + [ln for ln in lines[1:] if ln[:10] <= "2026-08-05"]
        (tmp_path / f"{sid}.csv").write_text("\n".join(keep) + "\n")
    code, out, _ = run("--data-dir", str(tmp_path), "explain", "2026-08-28", "--json")
    stale = {x["series"]: x for x in json.loads(out)["stale"]}
    assert stale["TREAST"]["behind"] == 21 and stale["TREAST"]["feeds"] == ["regime balance_sheet"]
    code, text, _ = run("--data-dir", str(tmp_path), "explain", "2026-08-28")
    assert code == 0
    (soma,) = [ln for ln in text.splitlines() if ln.startswith("  SOMA growth")]
    assert soma.endswith("(Wednesday 2026-08-05; stale: 23 days old)")
