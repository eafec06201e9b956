"""Streamed sweeps: the reductions equal the full table's, the medians are exact, the written
rows are complete, in grid order and atomic."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.sweep import run_sweep
from engine.sweep.dataset import (
    MANIFEST,
    Staging,
    commit_dataset,
    out_kind,
    partition_name,
    write_partition,
)
from engine.sweep.guards import sweep_deflated_sharpe
from engine.sweep.heatmap import default_pairs as table_pairs
from engine.sweep.heatmap import pivot
from engine.sweep.nb import ANNUAL, METRICS
from engine.sweep.reduce import Groups, Reduction, exact_medians, heatmaps, marginals, top_frame
from engine.sweep.run import SORT_METRICS, plan_sweep
from engine.sweep.stream import SweepSummary, default_pairs, stream_plan
from strategies import expand_grid, load_strategy
from strategies.errors import GridError

# ---------------------------------------------------------------- reductions == full table


def _check_against_table(s: SweepSummary, df: pd.DataFrame, metric: str, top: int) -> None:
    """Best rows, marginals, heatmaps and Sharpe statistics of a streamed sweep against the
    same numbers computed from the full table ``df`` (every row, from run_sweep)."""
    pd.testing.assert_frame_equal(s.top, df.head(top).reset_index(drop=True))
    keys = list(s.attrs["keys"])
    for key in keys:
        ref = df.groupby(key)[metric].agg(["size", "median", "min", "max"])
        got = s.marginals[s.marginals["key"] == key]
        assert got["value"].tolist() == ref.index.tolist()
        np.testing.assert_array_equal(got["count"].to_numpy(), ref["size"].to_numpy())
        for c in ("median", "min", "max"):
            np.testing.assert_array_equal(got[c].to_numpy(), ref[c].to_numpy(), err_msg=c)
    assert s.heatmaps
    for h in s.heatmaps:
        pd.testing.assert_frame_equal(h.best, pivot(df, h.x, h.y, metric, "best"))
        pd.testing.assert_frame_equal(h.median, pivot(df, h.x, h.y, metric, "median"))
    sr = df["sharpe"].to_numpy() / math.sqrt(ANNUAL)
    ok = np.isfinite(sr)
    assert s.sharpe.n_trials == ok.sum()
    assert s.sharpe.variance == pytest.approx(np.var(sr[ok], ddof=1), rel=1e-12)
    assert s.sharpe.sharpe == sr[ok].max()
    best = df["combo"].to_numpy()[ok][sr[ok] == sr[ok].max()].min()
    assert s.sharpe.combo == best


@pytest.fixture(scope="module")
def qt_plan():
    return plan_sweep("qt_aware", start="2015-01-01")


@pytest.mark.parametrize("metric", ["sharpe", "volatility", "max_drawdown"])
def test_streamed_reductions_equal_the_full_table(qt_plan, metric: str) -> None:
    """The qt_aware [sweep] table (270 combinations, many ties) in partitions of 37 and
    kernel calls of 5: every reduction equals the full table's (medians exactly)."""
    df = run_sweep("qt_aware", start="2015-01-01", metric=metric)
    s = stream_plan(
        qt_plan, metric=metric, top=15, pairs=default_pairs(qt_plan.grid), partition=37, chunk=5
    )
    _check_against_table(s, df, metric, 15)
    assert s.attrs["combinations"] == 270 and s.out is None
    # The grid's default pairs are the ones the full table's report would draw.
    assert default_pairs(qt_plan.grid) == table_pairs(df, list(qt_plan.grid.keys))


def test_streamed_sample_of_a_huge_grid_equals_the_full_table(tmp_path: Path) -> None:
    """A block-drawn sample (partitions cut across its blocks) gives the rows run_sweep gives
    for the same sample, in grid order, and reductions equal to that table's."""
    s = load_strategy("qt_aware")
    values = tuple(i / 1000 for i in range(1000))
    grid = expand_grid(
        s,
        {"costs.fees": values, "costs.slippage": values[:100], "weights.contraction": values},
        include_sweep=False,
        sample=600,
        seed=2,
    )
    assert grid.full_size == 10**8 and type(grid.drawn).__name__ == "BlockSample"
    plan = plan_sweep(s, grid, start="2019-01-01")
    pairs = [("costs.fees", "weights.contraction"), ("costs.slippage", "costs.fees")]
    summary = stream_plan(
        plan, out=tmp_path / "rows", top=600, pairs=pairs, partition=128, chunk=50
    )
    df = run_sweep(s, grid, start="2019-01-01")
    _check_against_table(summary, df, "sharpe", 600)
    rows = pd.read_parquet(tmp_path / "rows")
    pd.testing.assert_frame_equal(rows, df.sort_values("combo").reset_index(drop=True))


def test_dsr_from_streamed_statistics_equals_the_table_one(qt_plan) -> None:
    df = run_sweep("qt_aware", start="2015-01-01")
    s = stream_plan(qt_plan, partition=100)
    a, b = sweep_deflated_sharpe(qt_plan, df), sweep_deflated_sharpe(qt_plan, s.sharpe)
    assert (a.n_trials, a.sharpe, a.n_obs, a.skew, a.kurtosis) == (
        b.n_trials,
        b.sharpe,
        b.n_obs,
        b.skew,
        b.kurtosis,
    )
    assert a.dsr == pytest.approx(b.dsr, rel=1e-12)


# ---------------------------------------------------------------- exact medians


def _synthetic(rng: np.random.Generator, n: int) -> tuple[Groups, np.ndarray, np.ndarray]:
    values = ((1, 2, 3), (0.5, 0.1, 0.2, 0.3), (True, False), tuple(range(7)))
    shape = tuple(len(v) for v in values)
    idx = np.column_stack([rng.integers(0, s, n) for s in shape])
    m = rng.normal(size=(n, len(METRICS)))
    col = m[:, METRICS.index("sharpe")]
    col[::2] = np.round(col[::2], 1)  # duplicates
    col[1::5] = 1.0 + rng.integers(0, 2**20, len(col[1::5])) * 2.0**-52  # differ in low bits
    col[3::11] *= 1e-300
    for share, v in ((0.05, np.nan), (0.01, np.inf), (0.01, -np.inf), (0.03, -0.0), (0.03, 0.0)):
        col[rng.random(n) < share] = v
    groups = Groups(("a", "b", "c", "d"), values, ((0, 1), (3, 2), (1, 3)))
    return groups, idx, m


@pytest.mark.parametrize("collect,budget", [(1, 1), (3, 50), (1000, 10**6)])
def test_exact_medians_equal_pandas(collect: int, budget: int) -> None:
    """Radix selection over the order keys, however small the collection buckets (1 forces
    every bit level), equals pandas' median for every group, with NaN, infinities, signed
    zeros, duplicates and values that differ only in their last bits."""
    rng = np.random.default_rng(7)
    groups, idx, m = _synthetic(rng, 4000)
    col = m[:, METRICS.index("sharpe")]
    red = Reduction(groups, "sharpe", False, 5)
    parts = [(a, min(a + 333, len(idx))) for a in range(0, len(idx), 333)]
    pieces = []
    for a, b in parts:
        r = Reduction(groups, "sharpe", False, 5)
        r.add(a, idx[a:b], m[a:b])
        pieces.append(r)
    for r in pieces[::-1]:  # merged in any order
        red.merge(r)
    passes = []

    def scan(visit) -> list:
        passes.append(1)
        return [visit(idx[a:b], col[a:b]) for a, b in parts]

    med = exact_medians(red, scan, collect=collect, budget=budget)
    df = pd.DataFrame(
        {
            k: np.asarray(v)[idx[:, j]]
            for j, (k, v) in enumerate(zip(groups.keys, groups.values, strict=True))
        }
    )
    df["sharpe"] = col
    table = marginals(red, med)
    for key in groups.keys:
        ref = df.groupby(key)["sharpe"].agg(["size", "median", "min", "max"])
        got = table[table["key"] == key]
        np.testing.assert_array_equal(
            got[["count", "median", "min", "max"]].to_numpy(), ref.to_numpy()
        )
    for h in heatmaps(red, med):
        pd.testing.assert_frame_equal(h.median, pivot(df, h.x, h.y, "sharpe", "median"))
        pd.testing.assert_frame_equal(h.best, pivot(df, h.x, h.y, "sharpe", "best"))
    # 12 streamed bits, then 8 per pass: at most 7 passes; 2 or 3 with room to collect.
    assert 1 <= len(passes) <= (7 if collect < 1000 else 3)
    key = np.where(np.isnan(-col), np.inf, -col)
    assert top_frame(red)["combo"].tolist() == np.argsort(key, kind="stable")[:5].tolist()


def test_medians_of_a_group_without_values_are_nan() -> None:
    groups = Groups(("a",), ((1, 2),))
    m = np.full((4, len(METRICS)), np.nan)
    m[:2, METRICS.index("sharpe")] = [0.5, 0.7]
    red = Reduction(groups, "sharpe", False, 3)
    idx = np.array([[0], [0], [1], [1]])
    red.add(0, idx, m)
    med = exact_medians(red, lambda visit: [visit(idx, m[:, METRICS.index("sharpe")])])
    assert med[0] == 0.6 and math.isnan(med[1])
    table = marginals(red, med)
    assert table["count"].tolist() == [2, 2] and math.isnan(table["min"].iloc[1])


# ---------------------------------------------------------------- the dataset on disk


def test_dataset_reads_as_one_table_with_pandas_pyarrow_and_dask(qt_plan, tmp_path: Path) -> None:
    import dask.dataframe as dd
    import pyarrow.dataset as ds

    out = tmp_path / "rows"
    s = stream_plan(qt_plan, out=str(out) + "/", partition=100)
    assert s.out == out
    names = sorted(p.name for p in out.iterdir())
    assert names == [MANIFEST, *(partition_name(i, 3) for i in range(3))]
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["rows"] == 270 and manifest["partitions"] == 3
    assert manifest["columns"] == ["combo", *qt_plan.grid.keys, *METRICS]
    a = pd.read_parquet(out)
    b = ds.dataset(out, format="parquet").to_table().to_pandas()
    c = dd.read_parquet(str(out)).compute().reset_index(drop=True)
    assert a["combo"].tolist() == list(range(270))
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a, c, check_dtype=False)
    df = run_sweep("qt_aware", start="2015-01-01")
    pd.testing.assert_frame_equal(a, df.sort_values("combo").reset_index(drop=True))


def test_partition_writes_are_idempotent_and_atomic(tmp_path: Path) -> None:
    """Writing a partition twice (a retried task) leaves one file with the second write's
    rows; a temporary file left by a lost writer is hidden from readers and removed on
    commit."""
    import pyarrow as pa

    staging = Staging(tmp_path / "rows")
    write_partition(staging.path, "part-000000.parquet", pa.table({"combo": [0, 1]}))
    write_partition(staging.path, "part-000000.parquet", pa.table({"combo": [0, 1]}))
    (staging.path / ".part-000001.parquet.abc.tmp").write_bytes(b"PAR1 half")
    assert pd.read_parquet(staging.path)["combo"].tolist() == [0, 1]
    out = commit_dataset(staging, tmp_path / "rows", {"rows": 2})
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "part-000000.parquet"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows"]


@pytest.mark.parametrize("where", ["write_partition", "chunk_arrays", "sweep_nb"])
def test_failed_sweep_leaves_the_previous_dataset(
    qt_plan, tmp_path: Path, monkeypatch, where: str
) -> None:
    """An error in the middle of a sweep, on any of its threads (writing the third partition,
    preparing a chunk, in the kernel) is raised, leaves the previous dataset untouched and no
    staging folder; a finished sweep then replaces it."""
    import engine.sweep.stream as stream

    out = tmp_path / "rows"
    stream_plan(qt_plan, out=out, partition=200)
    before = sorted((p.name, p.read_bytes()) for p in out.iterdir())
    real = getattr(stream, where)
    calls = []

    def fail_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise OSError(f"{where} failed")
        return real(*args, **kwargs)

    monkeypatch.setattr(stream, where, fail_third)
    with pytest.raises(OSError, match=f"{where} failed"):
        stream_plan(qt_plan, out=out, partition=50, chunk=25)
    assert sorted((p.name, p.read_bytes()) for p in out.iterdir()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows"]
    monkeypatch.setattr(stream, where, real)
    stream_plan(qt_plan, out=out, partition=50)
    assert len(list(out.glob("part-*.parquet"))) == 6
    assert len(pd.read_parquet(out)) == 270


def test_out_kinds_and_refusals(tmp_path: Path) -> None:
    assert out_kind(tmp_path / "rows") == "dir" and out_kind(f"{tmp_path}/x.v2/") == "dir"
    assert out_kind(tmp_path / "r.parquet") == ".parquet" and out_kind("r.CSV") == ".csv"
    with pytest.raises(GridError, match="unknown format"):
        out_kind("rows.xlsx")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("keep me")
    with pytest.raises(GridError, match="not a sweep dataset"):
        out_kind(tmp_path / "notes")
    (tmp_path / "file").write_text("x")
    with pytest.raises(GridError, match="a file exists"):
        out_kind(tmp_path / "file")
    (tmp_path / "empty").mkdir()
    assert out_kind(tmp_path / "empty") == "dir"


def test_sort_direction_of_best_rows() -> None:
    assert SORT_METRICS["volatility"] and not SORT_METRICS["sharpe"]


def test_stream_options_fail_before_work(qt_plan) -> None:
    from data.errors import ParameterError

    with pytest.raises(ParameterError, match="give --out on a file system the workers share"):
        stream_plan(qt_plan, dask="tcp://10.0.0.5:8786")
    with pytest.raises(GridError, match="two different swept keys"):
        stream_plan(qt_plan, pairs=[("rebalance.band", "rebalance.band")])
    with pytest.raises(GridError, match="unknown metric"):
        stream_plan(qt_plan, metric="shrape")
