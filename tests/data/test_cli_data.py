"""``runoff data status | update | verify | show`` end to end, including bad input."""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from data import MANIFEST, paths
from tests.data.conftest import CliResult, FakeWeb, dir_listing, fixture_text, respond

Run = Callable[..., CliResult]
BUNDLED = [s.id for s in MANIFEST.values() if s.in_snapshot]


def _csv_oracle(path: Path) -> tuple[str, str, int, int]:
    """First and last dated row with a value, data rows and empty values, read with csv only."""
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))[1:]
    col = 4 if rows and len(rows[0]) == 6 else (1 if len(rows[0]) == 2 else -1)
    valued = [r[0] for r in rows if r[col].strip() not in ("", ".")]
    return valued[0], valued[-1], len(rows), len(rows) - len(valued)


# ---------------------------------------------------------------- status


@pytest.fixture(scope="module")
def status_rows(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    from contextlib import redirect_stdout

    from engine.cli import main

    buf = io.StringIO()
    # Module-scoped, so set up before the per-test isolation: isolate by hand.
    with pytest.MonkeyPatch.context() as mp, redirect_stdout(buf):
        mp.setenv("RUNOFF_CACHE_DIR", str(tmp_path_factory.mktemp("status-cache")))
        mp.delenv("RUNOFF_DATA_DIR", raising=False)
        assert main(["data", "status", "--json"]) == 0
    return json.loads(buf.getvalue())


def test_status_lists_every_series_with_ranges_from_the_files(status_rows: list[dict]) -> None:
    by_id = {r["id"]: r for r in status_rows}
    assert list(by_id) == list(MANIFEST)
    for sid in BUNDLED:
        r = by_id[sid]
        first, last, rows, missing = _csv_oracle(paths.SNAPSHOT_DIR / f"{sid}.csv")
        assert r["origin"] == "snapshot", sid
        assert (r["first"], r["last"], r["rows"]) == (first, last, rows), sid
        if sid not in ("GSPC", "SP500TR_monthly"):
            assert r["missing"] == missing, sid
        assert r["units"] == MANIFEST[sid].units and r["to_bn"] == MANIFEST[sid].to_bn
        assert r["release"] == MANIFEST[sid].release.value


def test_status_golden_rows(status_rows: list[dict]) -> None:
    """Golden values from data/snapshot/SOURCES.md's summary table."""
    by_id = {r["id"]: r for r in status_rows}
    assert (by_id["WALCL"]["first"], by_id["WALCL"]["last"], by_id["WALCL"]["rows"]) == (
        "2002-12-18",
        "2026-08-26",
        1237,
    )
    assert by_id["WALCL"]["units"] == "$ millions" and by_id["WALCL"]["to_bn"] == 0.001
    assert by_id["RRPONTSYD"]["units"] == "$ billions" and by_id["RRPONTSYD"]["to_bn"] == 1.0
    assert (by_id["GSPC"]["first"], by_id["GSPC"]["last"]) == ("1987-11-19", "2026-08-28")
    assert by_id["GSPC"]["last_value"] == 7711.76 and by_id["GSPC"]["age_vs_index_days"] == 0
    assert by_id["DGS10"]["missing"] == 301
    assert by_id["WTREGEN"]["last"] == "2026-05-27" and by_id["WTREGEN"]["age_vs_index_days"] == 93
    for sid in ("WLRRAL", "H41RESPPALDKNWW"):
        assert by_id[sid]["origin"] == "missing" and by_id[sid]["file"] is None


def test_status_table_is_aligned(run: Run) -> None:
    res = run("data", "status")
    assert res.code == 0 and res.err == ""
    lines = res.out.splitlines()
    header = lines[0]
    body = [ln for ln in lines[2:] if ln and ln.split()[0] in MANIFEST]
    assert [ln.split()[0] for ln in body] == list(MANIFEST)
    col = header.index("origin")
    first = header.index("first")
    for ln in body:
        assert ln[col:].split()[0] in ("snapshot", "missing"), ln
        tok = ln[first:].split()[0]
        assert tok == "-" or re.fullmatch(r"\d{4}-\d{2}-\d{2}", tok), ln
    assert "2002-12-18" in body[0] and "$ millions" in body[0]


def test_status_shows_user_data_dir(run: Run, tmp_path: Path) -> None:
    (tmp_path / "WALCL.csv").write_text("observation_date,WALCL\n2024-01-03,7681024\n")
    res = run("--data-dir", str(tmp_path), "data", "status", "--json")
    walcl = next(r for r in json.loads(res.out) if r["id"] == "WALCL")
    assert walcl["origin"] == "data-dir" and walcl["rows"] == 1 and walcl["last"] == "2024-01-03"


# ---------------------------------------------------------------- verify


def test_verify_bundled_snapshot_passes_with_known_gap_warnings(run: Run) -> None:
    res = run("data", "verify")
    assert res.code == 0, res.out
    assert "0 errors" in res.out and "OK" in res.out.splitlines()[-1]
    assert "WTREGEN" in res.out and "gap 2025-11-19 -> 2026-01-07" in res.out
    js = json.loads(run("data", "verify", "--json").out)
    assert js["ok"] and js["errors"] == 0
    wtregen = next(s for s in js["series"] if s["series"] == "WTREGEN")
    assert wtregen["status"] == "warning" and wtregen["findings"][0]["check"] == "gaps"
    btfp = next(s for s in js["series"] if s["series"] == "H41RESPPALDKNWW")
    assert btfp["status"] == "info" and btfp["origin"] == "missing"


@pytest.mark.parametrize(
    ("name", "text", "check", "needle"),
    [
        (
            "WALCL.csv",
            "observation_date,WALCL\n2024-01-03,7681024\n2024-01-10,7686.71\n",
            "bounds",
            "line 3, 2024-01-10: value 7686.71 outside the sanity bounds",
        ),
        (
            "WALCL.csv",
            "observation_date,WALCL\n2024-01-03,7681024\n2024-02-07,7630000\n",
            "gaps",
            "gap 2024-01-03 -> 2024-02-07 (35 days > 7)",
        ),
        (
            "SAHMREALTIME.csv",
            "observation_date,SAHMREALTIME,realtime_start\n"
            "2024-06-01,0.43,2024-07-05\n2024-07-01,0.53,2024-07-20\n",
            "release",
            "line 3, 2024-07-01: available_at 2024-07-20 09:00:00 is before the end",
        ),
        (
            "WALCL.csv",
            "observation_date,WALCL\n2024-01-10,7686710\n2024-01-03,7681024\n",
            "file",
            "line 3: date out of order",
        ),
        (
            "GSPC.csv",
            "date,open,high,low,close,volume\n2024-01-19,,,,4839.81,\n2024-01-22,,,,0.5,\n",
            "bounds",
            "2024-01-22: value 0.5 outside",
        ),
    ],
)
def test_verify_reports_errors_and_exits_non_zero(
    run: Run, tmp_path: Path, name: str, text: str, check: str, needle: str
) -> None:
    (tmp_path / name).write_text(text)
    before = (tmp_path / name).read_bytes()
    res = run("--data-dir", str(tmp_path), "data", "verify")
    assert res.code == 1
    errors = [ln for ln in res.out.splitlines() if ln.startswith("error")]
    assert len(errors) >= 1 and check in errors[0] and needle in errors[0], res.out
    assert str(tmp_path / name) in errors[0]
    assert "FAILED" in res.out.splitlines()[-1]
    assert (tmp_path / name).read_bytes() == before


# ---------------------------------------------------------------- show


def test_show_walcl_around_its_release(run: Run) -> None:
    res = run("data", "show", "WALCL", "--as-of", "2024-01-04", "--last", "2")
    assert res.code == 0
    assert "latest: 7,712,781 for 2023-12-27, public since 2023-12-28 16:30" in res.out
    assert "2024-01-03" not in res.out
    js = json.loads(run("data", "show", "WALCL", "--as-of", "2024-01-05", "--json").out)
    assert js["value"] == 7681024 and js["obs_date"] == "2024-01-03"
    assert js["available_at"] == "2024-01-04T16:30:00" and js["decision"] == "2024-01-05T16:00:00"
    assert len(js["history"]) == 5 and js["history"][-1]["obs_date"] == "2024-01-03"
    assert all(h["available_at"] <= "2024-01-05T16:00:00" for h in js["history"])


def test_show_target_range_on_its_effective_day(run: Run) -> None:
    js = json.loads(run("data", "show", "DFEDTARU", "--as-of", "2024-09-19", "--json").out)
    assert js["value"] == 5.0 and js["obs_date"] == "2024-09-19"
    js = json.loads(run("data", "show", "DFEDTARU", "--as-of", "2024-09-18", "--json").out)
    assert js["value"] == 5.5


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["data", "show", "NOPE", "--as-of", "2024-01-04"], "unknown series id 'NOPE'"),
        (["data", "show", "WALCL", "--as-of", "2024-02-30"], "--as-of: bad date '2024-02-30'"),
        (["data", "show", "WALCL", "--as-of", "2024-01-04", "--last", "0"], "--last: 0"),
        (["data", "show", "USREC", "--as-of", "2024-01-04"], "USREC is an ex-post label"),
        (["data", "update", "NOPE"], "unknown series id 'NOPE'"),
        (["data", "update", "SP500TR_monthly"], "has no live source"),
        (
            ["--data-dir", "/nonexistent-runoff-dir", "data", "status"],
            "data dir /nonexistent-runoff-dir does not exist",
        ),
        (["data", "update", "WALCL", "--source", "fred-api"], "FRED_API_KEY is not set"),
    ],
)
def test_bad_arguments_give_one_line(run: Run, web: FakeWeb, argv: list[str], needle: str) -> None:
    res = run(*argv)
    assert res.code == 2 and res.out == ""
    assert res.err.count("\n") == 1 and res.err.startswith("runoff: error: ") and needle in res.err
    assert web.calls == []


# ---------------------------------------------------------------- bad files


BAD_FILES = {
    "malformed row": (
        "observation_date,WALCL\n2024-01-03,7681024\n2024-01-10,7686710,1\n",
        "line 3: malformed row",
    ),
    "duplicated date": (
        "observation_date,WALCL\n2024-01-03,7681024\n2024-01-03,7681024\n",
        "line 3: duplicated date 2024-01-03",
    ),
    "unsorted dates": (
        "observation_date,WALCL\n2024-01-10,7686710\n2024-01-03,7681024\n",
        "line 3: date out of order 2024-01-03 after 2024-01-10",
    ),
    "non-numeric value": (
        "observation_date,WALCL\n2024-01-03,7681024\n2024-01-10,n/a\n",
        "line 3: non-numeric value 'n/a'",
    ),
    "empty file": ("", "file is empty"),
    "header only": ("observation_date,WALCL\n", "no data rows"),
    "wrong series": ("observation_date,TREAST\n2024-01-03,1\n", "line 1: the file holds 'TREAST'"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
@pytest.mark.parametrize(
    "command", [["data", "show", "WALCL", "--as-of", "2024-01-10"], ["data", "status"]]
)
def test_bad_user_file_one_line_and_untouched(
    run: Run, tmp_path: Path, case: str, command: list[str]
) -> None:
    text, needle = BAD_FILES[case]
    f = tmp_path / "WALCL.csv"
    f.write_text(text)
    before = f.read_bytes()
    res = run("--data-dir", str(tmp_path), *command)
    assert res.code == 2 and res.out == ""
    assert res.err.count("\n") == 1 and res.err.startswith("runoff: error: ")
    assert str(f) in res.err and needle in res.err, res.err
    assert f.read_bytes() == before
    assert dir_listing(tmp_path) == ["WALCL.csv"]


def test_missing_snapshot_file(run: Run, snapshot_copy: Path) -> None:
    (snapshot_copy / "WALCL.csv").unlink()
    res = run("data", "show", "WALCL", "--as-of", "2024-01-10")
    assert res.code == 2 and res.err.count("\n") == 1
    assert str(snapshot_copy / "WALCL.csv") in res.err and "restore the bundled snapshot" in res.err
    assert run("data", "status").code == 2
    res = run("data", "verify")
    assert res.code == 1
    assert any(
        ln.startswith("error") and "bundled file missing" in ln for ln in res.out.splitlines()
    )
    assert not (snapshot_copy / "WALCL.csv").exists()


def test_corrupted_cache_file(run: Run) -> None:
    cached = paths.cache_dir() / "WALCL.csv"
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(b"observation_date,WALCL\n2024-01-03,7681024\n2024-01-10,76\x00\xff\xfe\n")
    before = cached.read_bytes()
    res = run("data", "show", "WALCL", "--as-of", "2024-01-10")
    assert res.code == 2 and res.err.count("\n") == 1
    assert str(cached) in res.err and "not a UTF-8 text file" in res.err
    assert "delete the cached file" in res.err
    cached.write_bytes(b"observation_date,WALCL\n2024-01-03,7681024\n2024-01-10,768")
    before = cached.read_bytes()
    res = run("data", "show", "WALCL", "--as-of", "2024-01-10")
    # A truncated number parses, but loading runs verify's bounds check (issue 12): one line
    # naming the file, the line and the rule, for any command.
    assert res.code == 2 and res.out == "" and res.err.count("\n") == 1
    assert f"{cached}: line 3, 2024-01-10: value 768 outside the sanity bounds" in res.err
    res = run("data", "verify")
    assert res.code == 1 and "value 768 outside the sanity bounds" in res.out
    assert cached.read_bytes() == before


# ---------------------------------------------------------------- update


def test_update_cli_summary_and_exit_code(run: Run, web: FakeWeb, empty_snapshot: Path) -> None:
    web.add("fred-csv", "WALCL", respond(fixture_text("fredgraph_WALCL.csv")))
    web.add("fred-csv", "DGS10", respond("Service Unavailable", 503))
    cache = paths.cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "DGS10.csv").write_text("observation_date,DGS10\n2026-06-22,4.51\n")
    before = (cache / "DGS10.csv").read_bytes()
    res = run("data", "update", "WALCL", "DGS10", "--no-progress")
    assert res.code == 1
    lines = res.out.splitlines()
    assert lines[0].startswith("WALCL") and "updated 11 rows (+11 new dates" in lines[0]
    assert lines[1].startswith("DGS10") and "failed: FRED CSV DGS10: HTTP 503" in lines[1]
    assert lines[-1].startswith("1 updated, 0 unchanged, 1 failed (DGS10)")
    assert (cache / "DGS10.csv").read_bytes() == before
    res = run("data", "update", "WALCL", "--no-progress")
    assert res.code == 0 and "unchanged" in res.out.splitlines()[0]


def test_update_default_is_every_fred_series_and_gspc(
    run: Run, web: FakeWeb, empty_snapshot: Path
) -> None:
    res = run("data", "update", "--no-progress")  # nothing routed: every request gets a 404
    assert res.code == 1
    fred = [s.id for s in MANIFEST.values() if s.source == "fred"]
    assert [c["params"].get("id") for c in web.calls[:-1]] == fred
    assert "finance/chart" in web.calls[-1]["url"]
    assert res.out.splitlines()[-1].startswith(f"0 updated, 0 unchanged, {len(fred) + 1} failed")
    assert dir_listing(paths.cache_dir()) == []


def test_update_with_api_key_uses_vintages(
    run: Run, web: FakeWeb, empty_snapshot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FRED_API_KEY", "SECRETKEY123")
    web.add("fred-api", "WALCL", respond(fixture_text("fred_api_WALCL_vintages.json")))
    res = run("data", "update", "WALCL", "--no-progress")
    assert res.code == 0 and "[fred-api+vintages]" in res.out
    assert "SECRETKEY123" not in res.out + res.err
    js = json.loads(run("data", "show", "WALCL", "--as-of", "2024-01-04", "--json").out)
    assert js["vintages"] and js["value"] == 7712795 and js["origin"] == "cache"


def test_every_command_documents_an_example(run: Run, capsys: pytest.CaptureFixture[str]) -> None:
    from engine.cli import main

    for cmd in (
        ["data"],
        ["data", "status"],
        ["data", "update"],
        ["data", "verify"],
        ["data", "show"],
    ):
        with pytest.raises(SystemExit) as exc:
            main([*cmd, "--help"])
        assert exc.value.code == 0
        out = capsys.readouterr().out
        assert "example" in out and "runoff data" in out, cmd


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_update_progress_bar_goes_to_stderr(
    web: FakeWeb,
    empty_snapshot: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from engine.cli import main

    web.add("fred-csv", "WALCL", respond(fixture_text("fredgraph_WALCL.csv")))
    term = _Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert main(["data", "update", "WALCL"]) == 0
    bar = term.getvalue()
    assert "1/1" in bar and "series" in bar and "WALCL" in bar
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("WALCL") and "updated" in out
    assert "1/1" not in out


def test_update_goes_on_after_any_failure_and_ends_with_a_summary(
    run: Run, web: FakeWeb, empty_snapshot: Path
) -> None:
    """One huge line (a csv field-limit traceback before issue 12), a cache entry that is a
    directory, then a good series: every series gets its line, the summary says which
    failed, exit 1; --json gives the same per series."""
    web.add("fred-csv", "WALCL", respond("observation_date,WALCL\n" + "9" * 300_000))
    web.add("fred-csv", "DGS10", respond(fixture_text("fredgraph_WALCL.csv")))
    web.add("fred-csv", "DGS2", respond("observation_date,DGS2\n2026-06-22,4.51\n"))
    cache = paths.cache_dir()
    (cache / "DGS10.csv").mkdir(parents=True)
    res = run("data", "update", "WALCL", "DGS10", "DGS2", "--no-progress")
    assert res.code == 1 and res.err == ""
    lines = res.out.splitlines()
    assert (
        lines[0].startswith("WALCL")
        and "failed: FRED CSV WALCL: line 2: 300,000 characters" in lines[0]
    )
    assert (
        lines[1].startswith("DGS10") and f"failed: {cache / 'DGS10.csv'}: a directory" in lines[1]
    )
    assert lines[2].startswith("DGS2") and "updated 1 rows" in lines[2]
    assert lines[3] == (
        "1 updated, 0 unchanged, 2 failed (WALCL, DGS10); their previous files were kept"
    )
    res = run("data", "update", "WALCL", "DGS10", "DGS2", "--json")
    assert res.code == 1 and res.err == ""
    js = json.loads(res.out)
    assert (js["ok"], js["updated"], js["unchanged"], js["failed"]) == (False, 0, 1, 2)
    by_id = {r["series"]: r for r in js["series"]}
    assert list(by_id) == ["WALCL", "DGS10", "DGS2"]
    assert by_id["WALCL"]["status"] == "failed" and "300,000 characters" in by_id["WALCL"]["reason"]
    assert by_id["DGS2"]["status"] == "unchanged" and by_id["DGS2"]["path"] == str(
        cache / "DGS2.csv"
    )
    assert sorted(p.name for p in cache.iterdir()) == ["DGS10.csv", "DGS2.csv"]


def test_status_and_verify_list_unknown_data_dir_files(run: Run, tmp_path: Path) -> None:
    (tmp_path / "walcl.csv").write_text("observation_date,WALCL\n2024-01-03,7681024\n")
    (tmp_path / "README.md").write_text("my data\n")
    (tmp_path / ".hidden").write_text("x\n")
    res = run("--data-dir", str(tmp_path), "data", "status")
    assert res.code == 0
    warned = [ln for ln in res.out.splitlines() if "unknown-file" in ln]
    assert len(warned) == 2 and all(ln.startswith("warning") for ln in warned)
    assert f"{tmp_path / 'README.md'}: not a series of the manifest" in warned[0]
    assert "did you mean WALCL.csv? (file names are case-sensitive)" in warned[1]
    res = run("--data-dir", str(tmp_path), "data", "status", "--json")
    assert res.code == 0 and len(json.loads(res.out)) == len(MANIFEST)  # still a list
    assert res.err.splitlines() == [
        f"runoff: warning: {tmp_path / 'README.md'}: not a series of the manifest; ignored; "
        "name a file <SERIES>.csv after a manifest series (runoff data status lists them)",
        f"runoff: warning: {tmp_path / 'walcl.csv'}: not a series of the manifest; ignored; "
        "did you mean WALCL.csv? (file names are case-sensitive)",
    ]
    js = json.loads(run("--data-dir", str(tmp_path), "data", "verify", "--json").out)
    assert js["ok"] and [f["message"].split(":")[0] for f in js["unknown_files"]] == [
        str(tmp_path / "README.md"),
        str(tmp_path / "walcl.csv"),
    ]
    assert js["warnings"] >= 2
