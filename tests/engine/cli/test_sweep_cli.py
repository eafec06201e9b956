"""``runoff sweep``: output formats, files, guards, and one-line errors before any work."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import engine.sweep.run as sweep_run
from engine.cli import main
from strategies import expand_grid, load_strategy

SMALL = [
    "--grid-only",
    "--grid",
    "weights.contraction=0,0.5,1",
    "--grid",
    "rebalance.band=0.02,0.1",
    "--no-progress",
]


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", "qt_aware", *SMALL, "--top", "4", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["combinations"] == 6 and len(doc["rows"]) == 4
    assert doc["keys"] == ["weights.contraction", "rebalance.band"]
    sharpe = [r["sharpe"] for r in doc["rows"]]
    assert sharpe == sorted(sharpe, reverse=True)
    assert set(doc["rows"][0]) >= {
        "combo",
        "weights.contraction",
        "cagr",
        "max_drawdown",
        "calmar",
        "turnover",
        "exposure",
    }
    assert 0.0 <= doc["deflated_sharpe"]["dsr"] <= 1.0
    assert doc["window"]["days"] > 5000
    marginals = {(m["key"], m["value"]): m for m in doc["marginals"]}
    assert set(marginals) == {("weights.contraction", v) for v in (0, 0.5, 1)} | {
        ("rebalance.band", v) for v in (0.02, 0.1)
    }
    assert marginals[("rebalance.band", 0.1)]["count"] == 3
    assert doc["heatmaps"] == [] and doc["kernel_seconds"] > 0


def test_the_benchmark_only_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    """A plain sweep leaves the benchmark out (it loads vectorbt) and says how to get it;
    ``--benchmark`` adds its value and the excess DSR to the text and the JSON."""
    assert main(["sweep", "qt_aware", *SMALL, "--start", "2015-01-01", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["benchmark"] is None and doc["deflated_sharpe_excess"] is None
    assert doc["deflated_sharpe"] is not None
    assert main(["sweep", "qt_aware", *SMALL, "--start", "2015-01-01"]) == 0
    assert "add --benchmark" in capsys.readouterr().out
    assert main(["sweep", "qt_aware", *SMALL, "--start", "2015-01-01", "--benchmark"]) == 0
    text = capsys.readouterr().out
    assert "add --benchmark" not in text
    assert "Benchmark buy & hold S&P 500 total return over the best's days" in text
    assert "Deflated Sharpe ratio of the best in excess of the benchmark: " in text
    args = ["sweep", "qt_aware", *SMALL, "--start", "2015-01-01", "--benchmark", "--json"]
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["benchmark"]["label"] and 0.0 <= doc["deflated_sharpe_excess"]["dsr"] <= 1.0


@pytest.mark.parametrize("suffix", [".csv", ".parquet", "/"])
def test_out_gets_every_row_in_grid_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    """``--out`` gets every row (``--top`` cuts only what is printed), in grid order, equal to
    the in-memory sweep's rows: a .csv or .parquet file, or a partitioned dataset folder."""
    out = str(tmp_path / "res") + suffix
    argv = ["sweep", "qt_aware", *SMALL, "--metric", "calmar", "--top", "2", "--out", out]
    assert main(argv) == 0
    df = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    qt = load_strategy("qt_aware")
    grid = {"weights.contraction": [0, 0.5, 1], "rebalance.band": [0.02, 0.1]}
    full = sweep_run.run_sweep(qt, expand_grid(qt, grid, include_sweep=False), metric="calmar")
    expected = full.sort_values("combo").reset_index(drop=True)
    pd.testing.assert_frame_equal(df, expected, check_dtype=suffix != ".csv")
    text = capsys.readouterr().out
    assert "Best 2 of 6 by calmar" in text and out.rstrip("/") in text


def test_report_and_guards(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "sweep.html"
    argv = [
        "sweep",
        "qt_aware",
        *SMALL,
        "--report",
        str(report),
        "--heatmap",
        "weights.contraction,rebalance.band",
        "--walk-forward",
        "2",
        "--pbo",
    ]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "Deflated Sharpe ratio of the best" in text
    assert "Probability of backtest overfitting" in text and "Walk-forward" in text
    page = report.read_text()
    assert 'id="sweep-heatmaps"' in page and "plotly" in page and "weights.contraction" in page


@pytest.mark.parametrize(
    "argv,message",
    [
        (["--grid", "balance_sheet.window_wekes=8,13"], "unknown sweep key"),
        (["--grid", "balance_sheet.window_weeks="], "empty list"),
        (["--grid", "balance_sheet.window_weeks=8.5,13"], "expected an integer"),
        (
            [
                "--grid-only",
                "--grid",
                "weights.contraction=0:1:0.001",
                "--grid",
                "weights.plateau=0:1:0.001",
                "--grid",
                "rebalance.band=0:0.999:0.001",
            ],
            "1,002,001,000 combinations",
        ),
        (["--out", "results.xlsx"], "unknown format"),
        (["--dask", "somewhere"], "--dask"),
        (["--dask", "tcp://10.0.0.5:8786"], "give --out on a file system the workers share"),
        (["--out", "."], "not a sweep dataset"),
        (["--heatmap", "rebalance.band,nope"], "not a swept key"),
        (["--sample", "0"], "sample size"),
    ],
)
def test_errors_before_any_work(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    message: str,
) -> None:
    def no_work(*args: object, **kwargs: object) -> None:
        raise AssertionError("data was loaded before the options were validated")

    monkeypatch.setattr(sweep_run, "prepare_sweep", no_work)
    assert main(["sweep", "qt_aware", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("runoff: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err
