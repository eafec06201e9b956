"""The sweep on a Dask cluster (``distributed.LocalCluster`` of 2 worker processes): gathered
rows, and streamed partitions with reductions merged on the client."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from data.errors import ParameterError
from engine.sweep import run_sweep
from engine.sweep.distributed import parse_address
from engine.sweep.run import SweepPlan, plan_sweep
from engine.sweep.stream import SweepSummary, default_pairs, stream_plan


def test_dask_local_cluster_equals_local_run() -> None:
    """Chunks on two worker processes give exactly the local rows, in the same order."""
    grid = {"weights.contraction": [0.0, 0.5], "rebalance.band": [0.0, 0.1]}
    local = run_sweep("qt_aware", grid, chunk_size=9)
    remote = run_sweep("qt_aware", grid, chunk_size=9, dask="local:2")
    assert len(local) == 72
    pd.testing.assert_frame_equal(remote.reset_index(drop=True), local.reset_index(drop=True))


@pytest.mark.parametrize(
    "spec,kind",
    [
        ("local:3", "local"),
        ("tcp://10.0.0.5:8786", "address"),
        ("scheduler.example:8786", "address"),
    ],
)
def test_parse_address(spec: str, kind: str) -> None:
    assert parse_address(spec)[0] == kind


@pytest.mark.parametrize("spec", ["local", "local:0", "tcp://nowhere", "yes"])
def test_bad_dask_address_fails_before_work(spec: str) -> None:
    with pytest.raises(ParameterError, match="--dask"):
        run_sweep("qt_aware", dask=spec)


# ---------------------------------------------------------------- streamed sweeps on Dask


def _same_summary(a: SweepSummary, b: SweepSummary) -> None:
    pd.testing.assert_frame_equal(a.top, b.top)
    pd.testing.assert_frame_equal(a.marginals, b.marginals)
    assert len(a.heatmaps) == len(b.heatmaps) > 0
    for x, y in zip(a.heatmaps, b.heatmaps, strict=True):
        pd.testing.assert_frame_equal(x.best, y.best)
        pd.testing.assert_frame_equal(x.median, y.median)
    assert a.sharpe == b.sharpe


@pytest.fixture(scope="module")
def plan() -> SweepPlan:
    grid = {
        "weights.contraction": [i / 20 for i in range(21)],
        "weights.plateau": [i / 20 for i in range(21)],
        "rebalance.band": [0.0, 0.05],
    }
    return plan_sweep("qt_aware", grid, start="2012-01-01")


@pytest.fixture(scope="module")
def local(plan: SweepPlan, tmp_path_factory: pytest.TempPathFactory) -> tuple[SweepSummary, Path]:
    out = tmp_path_factory.mktemp("local") / "rows"
    return stream_plan(plan, out=out, pairs=default_pairs(plan.grid), partition=50), out


def test_streamed_dask_equals_local(plan: SweepPlan, local: tuple, tmp_path: Path) -> None:
    """Each task writes its partition and returns its reductions: the dataset read back and
    the merged reductions equal the local run's, bit for bit."""
    out = tmp_path / "rows"
    remote = stream_plan(
        plan, out=out, pairs=default_pairs(plan.grid), partition=50, dask="local:2"
    )
    _same_summary(remote, local[0])
    pd.testing.assert_frame_equal(pd.read_parquet(out), pd.read_parquet(local[1]))


@pytest.mark.slow
def test_killed_worker_still_writes_every_row_once(
    plan: SweepPlan, local: tuple, tmp_path: Path
) -> None:
    """A worker process is killed (SIGKILL) as soon as the first partition is on disk: the
    scheduler runs its tasks again elsewhere, the partitions they rewrite keep their names,
    and the dataset holds every row exactly once, equal to the local run's."""
    from distributed import Client, LocalCluster

    out = tmp_path / "rows"
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
            env={"NUMBA_NUM_THREADS": "1"},
        ) as cluster,
        Client(cluster) as client,
    ):
        pids = list(client.run(os.getpid).values())
        killed: list[bool] = []

        def kill_after_first_partition() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not out.exists():
                if any(tmp_path.glob(".rows.*.part/part-*.parquet")):
                    os.kill(pids[0], signal.SIGKILL)
                    killed.append(True)
                    return
                time.sleep(0.002)

        watcher = threading.Thread(target=kill_after_first_partition)
        watcher.start()
        try:
            summary = stream_plan(
                plan,
                out=out,
                pairs=default_pairs(plan.grid),
                partition=50,
                dask=cluster.scheduler_address,
            )
        finally:
            watcher.join()
        assert killed == [True]
        assert pids[0] not in client.run(os.getpid).values()  # that worker really went away
    rows = pd.read_parquet(out)
    assert rows["combo"].is_unique and len(rows) == plan.grid.size
    pd.testing.assert_frame_equal(rows, pd.read_parquet(local[1]))
    _same_summary(summary, local[0])
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith("part-")) == ["_SUCCESS"]
