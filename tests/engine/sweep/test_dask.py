"""The sweep on a Dask cluster (``distributed.LocalCluster`` of 2 worker processes)."""

from __future__ import annotations

import pandas as pd
import pytest

from data.errors import ParameterError
from engine.sweep import run_sweep
from engine.sweep.distributed import parse_address


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
