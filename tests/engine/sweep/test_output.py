"""Sweep output: ``--out`` is written atomically, survives interruption, and the JSON document and
text report read the metric registry."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.cli import main
from engine.metric_registry import SPECS, SWEEP_COLUMNS
from engine.sweep.output import atomic_write, check_out, formatted, write_rows
from strategies.errors import GridError

ROOT = Path(__file__).resolve().parents[3]
GRID = ["--grid-only", "--grid", "weights.contraction=0.25,0.5", "--start", "2019-01-01"]


def _rows() -> pd.DataFrame:
    return pd.DataFrame({"combo": [0, 1], "cagr": [0.05, 0.07], "sharpe": [0.4, 0.6]})


def _leftovers(folder: Path) -> list[str]:
    """Hidden staging folders (``.rows.<random>.part``) and temporary files (``.<name>.*.tmp``)."""
    return sorted(
        p.name for p in folder.iterdir() if p.name.startswith(".") and p.suffix in (".part", ".tmp")
    )


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_write_rows_round_trips_and_leaves_no_temp_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / "sub" / f"rows{suffix}"
    assert write_rows(_rows(), path) == path
    back = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, _rows())
    assert _leftovers(path.parent) == []
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600


@pytest.mark.parametrize("error", [KeyboardInterrupt(), OSError("disk full")])
def test_interrupted_write_keeps_the_previous_file(tmp_path: Path, error: BaseException) -> None:
    """Ctrl-C (or any error) in the middle of a write: the previous output stays byte for byte
    and the temporary file is removed."""
    path = tmp_path / "rows.parquet"
    write_rows(_rows(), path)
    before = path.read_bytes()

    def half_then_fail(tmp: Path) -> None:
        tmp.write_bytes(b"PAR1 half a file")
        raise error

    with pytest.raises(type(error)):
        atomic_write(path, half_then_fail)
    assert path.read_bytes() == before
    assert _leftovers(tmp_path) == []
    missing = tmp_path / "never.csv"
    with pytest.raises(type(error)):
        atomic_write(missing, half_then_fail)
    assert not missing.exists() and _leftovers(tmp_path) == []


def test_unknown_format_is_refused() -> None:
    with pytest.raises(GridError, match="unknown format"):
        check_out("rows.xlsx")


DRIVER = textwrap.dedent(
    """
    import sys, time
    import engine.sweep.stream as stream
    from engine.cli import main

    def slow_partition(folder, name, table, dictionary=()):
        with open(f"{folder}/.{name}.half.tmp", "wb") as fh:
            fh.write(b"PAR1 partial")
            fh.flush()
        print("WRITING", flush=True)
        time.sleep(3)  # the signal lands here; the write then ends and the sweep stops

    stream.write_partition = slow_partition
    sys.exit(main(sys.argv[1:]))
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["rows.parquet", "rows"])
def test_sigint_while_writing_out_leaves_the_previous_output(tmp_path: Path, name: str) -> None:
    """A real ``runoff sweep ... --out`` process gets SIGINT while it writes the rows (the
    partition writer is slowed down so the signal lands inside it; the sweep stops once that
    write ends): it exits 130
    ("interrupted"), the previous file or dataset is unchanged and no staging folder or
    temporary file is left."""
    out = tmp_path / name
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    assert main(["sweep", "qt_aware", *GRID, "--out", str(out), "--no-progress"]) == 0
    before = sorted((p.name, p.read_bytes()) for p in ([out] if out.is_file() else out.iterdir()))
    argv = [sys.executable, "-c", DRIVER, "sweep", "qt_aware", *GRID, "--out", str(out)]
    proc = subprocess.Popen(
        argv, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "WRITING", line + (proc.stderr.read() if proc.stderr else "")
        assert len(_leftovers(tmp_path)) == 1  # the hidden staging folder being written
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and "interrupted" in err
    after = sorted((p.name, p.read_bytes()) for p in ([out] if out.is_file() else out.iterdir()))
    assert after == before
    assert _leftovers(tmp_path) == [] and sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_json_and_text_read_the_metric_registry(tmp_path: Path, capsys) -> None:
    out = tmp_path / "rows.csv"
    assert main(["sweep", "qt_aware", *GRID, "--json", "--out", str(out)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert list(doc["metrics"]) == list(SWEEP_COLUMNS)
    assert doc["metrics"]["volatility"] == {
        "label": "Volatility",
        "unit": "fraction",
        "better": "lower",
    }
    assert doc["out"] == str(out) and len(pd.read_csv(out)) == 2
    assert {"combo", "weights.contraction", *SWEEP_COLUMNS} <= set(doc["rows"][0])
    shown = formatted(pd.DataFrame({"cagr": [0.0512], "sharpe": [0.5], "n_rebalances": [3]}))
    assert shown.iloc[0].tolist() == ["5.1%", "0.50", 3]
    assert SPECS["cagr"].fmt == "pct" and SPECS["sharpe"].fmt == "num"
    assert np.isfinite(doc["rows"][0]["cagr"])
