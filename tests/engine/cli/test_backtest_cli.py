"""``runoff backtest`` and ``runoff signals`` through the CLI entry point."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from engine.cli import main
from strategies.families import NAMES

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def bh_json() -> dict:
    """One JSON run (buy_and_hold) shared by the tests that read it."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["backtest", "buy_and_hold", "--json"]) == 0
    return json.loads(buf.getvalue())


def test_help_is_fast_because_vectorbt_loads_lazily() -> None:
    code = (
        "import sys, engine.cli; engine.cli.build_parser(); "
        "print(sorted(m for m in ('vectorbt', 'plotly') if m in sys.modules))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
    helptext = subprocess.run(
        [sys.executable, "-m", "engine", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    assert "backtest" in helptext and "signals" in helptext


def test_backtest_json(bh_json) -> None:
    m = bh_json["metrics"]
    assert bh_json["strategy"] == "buy_and_hold"
    (leg,) = bh_json["legs"]
    assert leg["role"] == "equity" and leg["asset"] == "SP500TR"
    assert "dividends reinvested" in leg["title"]
    assert m["strategy"]["cagr"] == pytest.approx(m["benchmark"]["cagr"], rel=1e-9)
    assert m["strategy"]["n_rebalances"] == 1
    assert bh_json["start_note"].startswith("start 2001-04-")
    assert bh_json["events"] and bh_json["by_regime"]


@pytest.fixture(scope="module")
def qt_json() -> dict:
    """``runoff backtest qt_aware --json --series``, read once."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(["backtest", "qt_aware", "--json", "--series"]) == 0
    return json.loads(buf.getvalue())


def test_backtest_json_holds_relative_metrics_and_regime_statistics(qt_json) -> None:
    """Issue 11 Must-show: alpha, beta, information_ratio, tracking_error and, per regime value,
    the bootstrap interval and the HAC t-statistic."""
    rel = qt_json["relative"]
    for key in ("alpha", "beta", "information_ratio", "tracking_error"):
        assert isinstance(rel[key], float), key
    assert 0.5 < rel["beta"] < 1.0 and rel["tracking_error"] > 0  # ~87% exposure to the index
    assert "252" in rel["conventions"] and "cash" in rel["conventions"]
    rows = qt_json["by_regime"]
    assert {r["regime"] for r in rows} == set(NAMES)  # every family of the registry
    for r in rows:
        for who in ("strategy", "benchmark"):
            lo, mid, hi = (r[f"{who}_excess{k}"] for k in ("_ci_low", "", "_ci_high"))
            assert lo < mid < hi, (r["regime"], r["value"], who)
            assert isinstance(r[f"{who}_hac_t"], float) and 0 <= r[f"{who}_hac_p"] <= 1
    worst = qt_json["drawdowns"]["strategy"]
    assert len(worst) == 5 and worst[0]["depth"] == pytest.approx(
        qt_json["metrics"]["strategy"]["max_drawdown"]
    )
    assert worst[0]["peak"] == qt_json["metrics"]["strategy"]["max_drawdown_peak"]
    stats = qt_json["regime_stats"]
    assert stats["confidence"] == 0.9 and "StationaryBootstrap" in stats["bootstrap"]
    assert "HAC" in stats["hac"] and "maxlags" in stats["hac"]


def test_backtest_json_series(qt_json) -> None:
    s = qt_json["series"]
    n = len(s["date"])
    assert s["date"][0] == qt_json["window"]["start"] and s["date"][-1] == qt_json["window"]["end"]
    for key in ("strategy_value", "benchmark_value", "strategy_return", "benchmark_return"):
        assert len(s[key]) == n, key
    assert s["strategy_return"][0] is None and s["strategy_return"][1] == pytest.approx(
        s["strategy_value"][1] / s["strategy_value"][0] - 1
    )
    assert list(s["weights"]) == ["SP500TR", "CASH"]
    for i in (0, n // 2, n - 1):
        assert s["weights"]["SP500TR"][i] + s["weights"]["CASH"][i] == pytest.approx(1.0)
    total = s["strategy_value"][-1] / s["strategy_value"][0] - 1
    assert total == pytest.approx(qt_json["metrics"]["strategy"]["total_return"], rel=1e-12)


def test_series_needs_json(capsys) -> None:
    assert main(["backtest", "buy_and_hold", "--series"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("runoff: error: --series") and "--json" in err


def test_backtest_prints_tables_and_writes_the_report(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(
        ["backtest", "qt_aware", "--start", "1990-01-01", "--end", "2019-12-31", "--report"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "start moved from 1990-01-01 to 2003-03-21" in out
    assert "SP500TR (S&P 500 total return index (dividends reinvested))" in out
    for row in ("CAGR", "Sharpe (vs T-bill)", "Max drawdown", "Turnover (per year)", "Rebalances"):
        assert row in out
    assert "buy & hold S&P 500" in out and "Returns by regime" in out and "QT1 runoff starts" in out
    for row in ("Alpha (per year, vs cash)", "Beta", "Information ratio", "Tracking error"):
        assert row in out
    assert "Regime statistics" in out and "excess/yr [90% CI]" in out and "t (HAC)" in out
    assert "First cut of a cycle, to 4.75%" in out  # 2007-09-18
    assert "no (Sahm 0.10)" in out
    assert "2019-12-31" in out
    report = tmp_path / "runoff-report-qt_aware.html"  # the documented default path
    assert report.is_file() and f"Report: {report.name}" in out


def test_unknown_builtin_is_one_line(capsys) -> None:
    assert main(["backtest", "qt_awre"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("runoff: error:") and "\n" not in err
    assert "qt_awre" in err and "qt_aware" in err  # names the built-ins


@pytest.mark.parametrize("command", [["backtest"], ["signals", "--latest"]])
def test_misspelled_key_names_the_file_and_key(command, tmp_path, capsys) -> None:
    src = (REPO / "strategies" / "builtin" / "qt_aware.toml").read_text()
    bad = tmp_path / "mine.toml"
    bad.write_text(src.replace("[rebalance]\nfrequency", "[rebalance]\nfrequncy"))
    assert main([command[0], str(bad), *command[1:]]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "mine.toml" in err and "frequncy" in err


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ("# nothing but a comment\n", "the strategy file is empty"),
        ('name = "x"\n[execution]\nlag = 1000000000000000000000000000000\n', "execution.lag = "),
    ],
)
@pytest.mark.parametrize("command", ["backtest", "sweep"])
def test_empty_file_and_huge_lag_are_one_line(command, body, needle, tmp_path, capsys) -> None:
    path = tmp_path / "x.toml"
    path.write_text(body)
    assert main([command, str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"runoff: error: {path}: ") and err.count("\n") == 1
    assert needle in err and "Traceback" not in err


def test_signals_cli(tmp_path, capsys) -> None:
    out = tmp_path / "s.parquet"
    assert main(["signals", "qt_aware", "--format", "parquet", "--long", "--out", str(out)]) == 0
    t = pd.read_parquet(out)
    assert list(t.columns[:4]) == ["date", "asset", "weight", "role"]
    assert main(["signals", "qt_aware", "--latest"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["strategy"] == "qt_aware" and "decision_date" in doc
    assert main(["signals", "qt_aware", "--format", "parquet"]) == 2
    assert "--out" in capsys.readouterr().err
    assert main(["signals", "qt_aware"]) == 2
    assert "--format" in capsys.readouterr().err
