"""Streamed sweeps: every row to disk partition by partition, only reductions in memory.

Example::

    from engine.sweep import stream_sweep
    grid = {"weights.qt": np.linspace(0, 1, 21), "weights.drain": np.linspace(0, 1, 11)}
    s = stream_sweep("note_thesis", grid, sample=2000, out="rows/", top=10)
    s.top, s.marginals          # best rows; per key and value: count, median, min, max
    pd.read_parquet("rows/")    # every row, in grid order

:func:`stream_plan` runs a planned sweep in partitions of :data:`PARTITION` combinations
(kernel calls of ``chunk_size`` inside each), here or as Dask tasks. Each partition's rows are
written to a partitioned parquet dataset (:mod:`engine.sweep.dataset`: ``--out DIR/``; a
single ``.parquet`` / ``.csv`` file is assembled from it at the end; without ``--out``, only the
metric column, in a temporary folder) and folded into a :class:`engine.sweep.reduce.Reduction`:
the best rows, the marginals, the heatmap cells and the Sharpe ratios' spread. After the last
partition the exact medians are found by passes over the written metric column. Memory grows
with the partitions in flight, the groups and ``top``, never with the grid: the grid itself is
addressed by position (a sample is drawn again per chunk, :mod:`strategies.sample`).

Locally one background thread prepares each chunk's kernel inputs, another runs the kernel
(numba releases the GIL) a partition ahead, and the calling thread writes and reduces the
previous partition; Ctrl-C stops all three (the kernel after its current call) and removes
the staged rows. On Dask (``local:N`` or a scheduler
address) each task runs one partition, writes its own file (idempotent name, atomic rename)
and returns only its reductions, which the client merges in partition order as tasks complete
(the progress bar counts completed tasks); a task lost with its worker or failing is run again
(:data:`RETRIES`) and rewrites the same file, so every row is written exactly once. With a
scheduler address the output folder must be on a file system the workers and this machine
share. Results equal the local run's.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import secrets
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from data.errors import ParameterError
from data.store import Store
from engine.metric_registry import check_metric
from engine.sweep.chunks import SweepPlan
from engine.sweep.dataset import (
    Staging,
    commit_dataset,
    commit_file,
    out_kind,
    partition_name,
    partition_table,
    read_spill,
    write_partition,
    write_spill,
)
from engine.sweep.distributed import parse_address
from engine.sweep.nb import METRICS, sweep_nb
from engine.sweep.prepare import CodeCache, SweepInputs, chunk_arrays, kernel_args
from engine.sweep.reduce import (
    Groups,
    Heatmap,
    Reduction,
    exact_medians,
    heatmaps,
    marginals,
    top_frame,
)
from engine.sweep.run import SORT_METRICS, check_top, plan_sweep
from strategies import Grid, Strategy
from strategies.errors import GridError

PARTITION = 65536
"""Combinations per partition: one file of the dataset, one Dask task."""
CHUNK = 8192
"""Combinations per kernel call inside a partition."""
RETRIES = 3
"""Dask retries of a failed partition task (a task lost with its worker is rescheduled by
the scheduler as well)."""
MAX_PAIRS = 6
"""Heatmap pairs chosen when none is given: the first pairs of swept keys with 2+ values."""


@dataclass(frozen=True)
class SharpeStats:
    """What the deflated Sharpe ratio needs of a sweep.

    Attributes
    ----------
    n_trials : combinations with a finite Sharpe ratio.
    variance : sample variance of their per-day Sharpe ratios.
    sharpe : the largest per-day Sharpe ratio; combo : its grid position (the first on ties).
    """

    n_trials: int
    variance: float
    sharpe: float
    combo: int


@dataclass(frozen=True)
class SweepSummary:
    """A streamed sweep's results.

    Attributes
    ----------
    attrs : strategy, metric, window (start, end, n_days), start_note, end_note, stale_warning, keys, combinations,
        grid_size, seconds (first partition to the last one written), kernel_seconds (time
        inside the kernel; summed over workers on Dask), ns_per_combo_day (from seconds).
    top : the best rows, as :func:`engine.sweep.run.results_frame` gives them (with ``attrs``).
    marginals : per swept key and value: count, and the metric's median, min and max.
    heatmaps : per heatmap pair, the metric's best value and median per cell.
    sharpe : see :class:`SharpeStats`.
    out : the dataset or file written, or None.
    """

    attrs: dict[str, Any]
    top: pd.DataFrame
    marginals: pd.DataFrame
    heatmaps: tuple[Heatmap, ...]
    sharpe: SharpeStats
    out: Path | None = None


def default_pairs(grid: Grid) -> list[tuple[str, str]]:
    """Heatmap pairs of a grid: keys with 2+ values, most values first, up to
    :data:`MAX_PAIRS` pairs."""
    varied = [k for k, v in zip(grid.keys, grid.values, strict=True) if len(v) > 1]
    varied.sort(key=lambda k: -len(grid.values[grid.keys.index(k)]))
    return list(itertools.combinations(varied, 2))[:MAX_PAIRS]


def partition_bounds(size: int, partition: int) -> list[tuple[int, int]]:
    """(start, stop) of each partition of ``size`` combinations."""
    if partition < 1:
        raise ParameterError(f"partition size {partition!r}: expected >= 1")
    return [(a, min(a + partition, size)) for a in range(0, size, partition)]


def partition_metrics(
    inputs: SweepInputs,
    strategy: Strategy,
    grid: Grid,
    start: int,
    stop: int,
    chunk: int = CHUNK,
    cache: CodeCache | None = None,
) -> tuple[np.ndarray, float]:
    """Metrics of combinations ``start:stop`` (kernel calls of ``chunk`` combinations) and
    the seconds spent inside the kernel (a Dask task's partition; the kernel-alone
    benchmark)."""
    cache = cache if cache is not None else CodeCache()
    out = np.empty((stop - start, len(METRICS)))
    kernel = 0.0
    last = inputs.n_days - 1
    for a in range(start, stop, chunk):
        b = min(a + chunk, stop)
        args = kernel_args(inputs, chunk_arrays(inputs, strategy, grid, a, b, cache), 0, last)
        t = time.perf_counter()
        out[a - start : b - start] = sweep_nb(*args)
        kernel += time.perf_counter() - t
    return out, kernel


@dataclass(frozen=True)
class _Job:
    """What every partition of one streamed sweep shares (sent once to Dask workers)."""

    inputs: SweepInputs
    strategy: Strategy
    grid: Grid
    groups: Groups
    metric: str
    ascending: bool
    top: int
    folder: str
    n_parts: int
    rows: bool  # write the rows (--out), else only the spill
    chunk: int

    def finish(self, part: int, start: int, metrics: np.ndarray) -> Reduction:
        """Write partition ``part`` (rows from ``start``) and its spill; return its
        reductions."""
        g = self.grid
        idx = g.indices(start, start + len(metrics))
        red = Reduction(self.groups, self.metric, self.ascending, self.top)
        red.add(start, idx, metrics)
        if self.rows:
            table = partition_table(g.keys, g.values, start, idx, metrics, METRICS)
            write_partition(self.folder, partition_name(part, self.n_parts), table, g.keys)
        write_spill(self.folder, part, idx, metrics[:, red.col], g.shape)
        return red


def _task(job: _Job, part: int, start: int, stop: int) -> tuple[Reduction, float]:
    """One Dask task: run, write and reduce one partition."""
    metrics, kernel = partition_metrics(job.inputs, job.strategy, job.grid, start, stop, job.chunk)
    return job.finish(part, start, metrics), kernel


def _bar(total: int, enabled: bool, desc: str) -> Any:
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="combo", unit_scale=True, file=sys.stderr, leave=False, desc=desc)


def _put(q: queue.Queue[Any], item: Any, stop: threading.Event) -> bool:
    """Put ``item`` on ``q`` unless ``stop`` is set first; True when it was put."""
    while not stop.is_set():
        try:
            q.put(item, timeout=0.05)
            return True
        except queue.Full:
            continue
    return False


def _get(q: queue.Queue[Any], stop: threading.Event) -> Any:
    """The next item of ``q``, or None once ``stop`` is set."""
    while not stop.is_set():
        try:
            return q.get(timeout=0.05)
        except queue.Empty:
            continue
    return None


def _run_local(job: _Job, red: Reduction, bounds: list[tuple[int, int]], progress: bool) -> float:
    """Partitions here, on three threads: one prepares the kernel's inputs chunk by chunk
    (regime codes, tables, parameters), one runs the kernel (numba releases the GIL) and
    assembles partitions, and one writes and reduces the previous partition. The set-up and
    writer threads run at a lower scheduling priority (:func:`_background`): on a machine
    whose cores the kernel's threads fill, they use the gaps instead of pre-empting a kernel
    thread, which would hold up the whole parallel call. Queues of one or two items bound the
    memory. This thread waits: Ctrl-C lands here and the others stop after their current
    step. An error on any thread is raised here."""
    chunks: queue.Queue[Any] = queue.Queue(maxsize=2)
    results: queue.Queue[Any] = queue.Queue(maxsize=1)
    stop = threading.Event()
    kernel = [0.0]
    last = job.inputs.n_days - 1

    def prepare() -> None:
        try:
            _background()
            cache = CodeCache()
            for part, (p0, p1) in enumerate(bounds):
                for a in range(p0, p1, job.chunk):
                    b = min(a + job.chunk, p1)
                    arrays = chunk_arrays(job.inputs, job.strategy, job.grid, a, b, cache)
                    if not _put(
                        chunks, (part, a, b, kernel_args(job.inputs, arrays, 0, last)), stop
                    ):
                        return
        except BaseException as e:  # handed on to this thread, which raises it
            _put(chunks, e, stop)

    def run() -> None:
        try:
            for part, (p0, p1) in enumerate(bounds):
                metrics = np.empty((p1 - p0, len(METRICS)))
                done = p0
                while done < p1:
                    item = _get(chunks, stop)
                    if item is None:
                        return
                    if isinstance(item, BaseException):
                        raise item
                    _, a, b, args = item
                    t = time.perf_counter()
                    metrics[a - p0 : b - p0] = sweep_nb(*args)
                    kernel[0] += time.perf_counter() - t
                    done = b
                if not _put(results, (part, p0, metrics), stop):
                    return
            _put(results, None, stop)
        except BaseException as e:
            _put(results, e, stop)

    bar = _bar(job.grid.size, progress, "sweep")
    failed: list[BaseException] = []

    def write() -> None:
        try:
            _background()
            while True:
                item = _get(results, stop)
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                part, a, metrics = item
                red.merge(job.finish(part, a, metrics))
                if bar is not None:
                    bar.update(len(metrics))
        except BaseException as e:
            failed.append(e)

    threads = [
        threading.Thread(target=prepare, name="runoff-sweep-setup", daemon=True),
        threading.Thread(target=run, name="runoff-sweep-kernel", daemon=True),
        threading.Thread(target=write, name="runoff-sweep-write", daemon=True),
    ]
    for th in threads:
        th.start()
    try:
        while threads[-1].is_alive():
            threads[-1].join(0.1)
    finally:
        stop.set()
        for th in threads:
            th.join()
        if bar is not None:
            bar.close()
    if failed:
        raise failed[0]
    return kernel[0]


def _background() -> None:
    """Lower the calling thread's scheduling priority (Linux: nice 10 for this thread only);
    elsewhere, or when the system refuses, leave it as it is."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


def _run_dask(
    job: _Job, red: Reduction, bounds: list[tuple[int, int]], spec: str, progress: bool
) -> float:
    from distributed import as_completed

    from engine.sweep.distributed import open_client

    bar = _bar(job.grid.size, progress, f"sweep on dask ({spec})")
    kernel = 0.0
    token = secrets.token_hex(6)
    try:
        with open_client(spec) as client:
            shared = client.scatter(job, broadcast=True)
            futures = [
                client.submit(
                    _task, shared, p, a, b, key=f"runoff-sweep-{token}-{p}", retries=RETRIES
                )
                for p, (a, b) in enumerate(bounds)
            ]
            part_of = {f.key: p for p, f in enumerate(futures)}
            waiting: dict[int, Reduction] = {}  # merged in partition order: same bits as local
            next_part = 0
            for fut in as_completed(futures):
                part_red, k = fut.result()
                p = part_of[fut.key]
                waiting[p] = part_red
                kernel += k
                while next_part in waiting:
                    red.merge(waiting.pop(next_part))
                    next_part += 1
                if bar is not None:
                    a, b = bounds[p]
                    bar.update(b - a)
                fut.release()
            del futures
    finally:
        if bar is not None:
            bar.close()
    return kernel


def stream_plan(
    plan: SweepPlan,
    *,
    metric: str = "sharpe",
    top: int = 20,
    pairs: Sequence[tuple[str, str]] = (),
    out: str | Path | None = None,
    dask: str | None = None,
    progress: bool = False,
    partition: int = PARTITION,
    chunk: int = CHUNK,
) -> SweepSummary:
    """Run a planned sweep, streaming its rows to ``out`` and keeping only reductions.

    Parameters
    ----------
    plan : from :func:`engine.sweep.run.plan_sweep`.
    metric : sort key of the best rows and metric of the marginals and heatmaps.
    top : best rows kept.
    pairs : heatmap pairs of swept keys (see :func:`default_pairs`); () for none.
    out : ``DIR`` (or ``DIR/``) for a partitioned parquet dataset, a ``.parquet`` or ``.csv``
        file, or None (nothing kept).
    dask : ``local:N`` or a scheduler address (then ``out`` is required and shared).
    progress : a progress bar on stderr.
    partition, chunk : combinations per partition (file, Dask task) and per kernel call.
    """
    check_metric(metric)
    check_top(top)
    grid = plan.grid
    kind = out_kind(out) if out is not None else None
    if dask is not None and parse_address(dask)[0] == "address" and out is None:
        raise ParameterError(
            f"--dask {dask}: give --out on a file system the workers share (each task writes "
            "its rows there)"
        )
    positions = []
    for x, y in pairs:
        if x not in grid.keys or y not in grid.keys or x == y:
            raise GridError(f"heatmap pair {x},{y}: expected two different swept keys")
        positions.append((grid.keys.index(x), grid.keys.index(y)))
    groups = Groups(grid.keys, grid.values, tuple(positions))
    ascending = SORT_METRICS[metric]
    bounds = partition_bounds(grid.size, partition)
    staging = Staging(out)
    job = _Job(
        plan.inputs,
        plan.strategy,
        grid,
        groups,
        metric,
        ascending,
        top,
        str(staging.path),
        len(bounds),
        kind is not None,
        chunk,
    )
    red = Reduction(groups, metric, ascending, top)
    t0 = time.perf_counter()
    try:
        if dask is not None:
            kernel = _run_dask(job, red, bounds, dask, progress)
        else:
            kernel = _run_local(job, red, bounds, progress)

        def scan(visit: Any) -> Iterator[Any]:
            def one(part: int) -> Any:
                return visit(*read_spill(staging.path, part))

            with ThreadPoolExecutor(2, thread_name_prefix="runoff-median") as pool:
                yield from pool.map(one, range(len(bounds)))

        medians = exact_medians(red, scan)
        attrs = _attrs(plan, metric, time.perf_counter() - t0, kernel)
        written: Path | None = None
        if kind == "dir":
            assert out is not None
            manifest = {
                **{k: v for k, v in attrs.items() if k not in ("seconds", "ns_per_combo_day")},
                "rows": grid.size,
                "partitions": len(bounds),
                "partition_rows": partition,
                "columns": ["combo", *grid.keys, *METRICS],
            }
            written = commit_dataset(staging, out, manifest)
        elif kind is not None:
            assert out is not None
            written = commit_file(staging, out)
    finally:
        staging.discard()
    attrs["seconds"] = time.perf_counter() - t0
    attrs["ns_per_combo_day"] = attrs["seconds"] * 1e9 / max(grid.size * plan.inputs.n_days, 1)
    best = top_frame(red)
    best.attrs.update(attrs)
    stats = SharpeStats(red.sr_n, red.sr_variance, red.sr_best, red.sr_best_combo)
    return SweepSummary(
        attrs,
        best,
        marginals(red, medians),
        tuple(heatmaps(red, medians)),
        stats,
        written,
    )


def stream_sweep(
    strategy: Strategy | str,
    grid: Grid | Mapping[str, Sequence] | None = None,
    *,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    sample: int | None = None,
    seed: int = 0,
    store: Store | None = None,
    **options: Any,
) -> SweepSummary:
    """Plan a sweep (:func:`engine.sweep.run.plan_sweep`: grid validated before any data is
    loaded) and stream it (:func:`stream_plan`; ``options``: metric, top, pairs, out, dask,
    progress, partition, chunk)."""
    plan = plan_sweep(strategy, grid, start=start, end=end, sample=sample, seed=seed, store=store)
    return stream_plan(plan, **options)


def _attrs(plan: SweepPlan, metric: str, seconds: float, kernel: float) -> dict[str, Any]:
    n = plan.inputs.n_days
    return {
        "strategy": plan.strategy.name,
        "metric": metric,
        "start": str(plan.inputs.days[0].date()),
        "end": str(plan.inputs.days[-1].date()),
        "n_days": n,
        "start_note": plan.inputs.start_note,
        "end_note": plan.inputs.end_note,
        "stale_warning": plan.inputs.stale_warning,
        "keys": list(plan.grid.keys),
        "combinations": plan.grid.size,
        "grid_size": plan.grid.full_size,
        "seconds": seconds,
        "kernel_seconds": kernel,
        "ns_per_combo_day": seconds * 1e9 / max(plan.grid.size * n, 1),
    }


__all__ = [
    "CHUNK",
    "PARTITION",
    "SharpeStats",
    "SweepSummary",
    "default_pairs",
    "partition_bounds",
    "partition_metrics",
    "stream_plan",
    "stream_sweep",
]
