"""The benchmarks: fused sweep vs baselines (cases), time per combination-day, memory, cache,
and the streamed sweep end to end (time against the kernel alone, peak memory, Dask client).

Each test stores what ``python -m benchmarks`` needs in ``benchmark.extra_info``: ``kind``
(``case`` or ``limit``), the measured value and the ratio the floors apply to.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from benchmarks.cases import (
    CASES,
    CLI_CASES,
    CLI_ROUNDS,
    KERNEL_ROWS,
    LIMITS,
    STREAM_MEMORY_WINDOW,
    Case,
    Inputs,
    Mode,
    cli_latency,
    kernel_ratios,
)

ROOT = Path(__file__).resolve().parent.parent


def _probe(*args: str, env: dict | None = None) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.probe", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _window(mode: Mode) -> list[str]:
    return [mode.start, mode.end] if mode.start else []


def test_fused_sweep(benchmark, state: Inputs, mode: Mode) -> None:
    """The fused sweep over the mode's grid (timed again here for pytest-benchmark's table)."""
    from engine.sweep.run import iter_chunks

    def run() -> None:
        for _ in iter_chunks(state.plan):
            pass

    benchmark.pedantic(run, rounds=3, iterations=1, warmup_rounds=0)
    n = state.plan.grid.size * state.plan.inputs.n_days
    ns = state.seconds * state.threads * 1e9 / n
    benchmark.extra_info.update(
        kind="limit",
        key="ns",
        measured=ns,
        ratio=LIMITS["ns"].ratio(ns),
        detail=f"{state.plan.grid.size:,} combinations x {state.plan.inputs.n_days:,} days in "
        f"{state.seconds:.3f} s on {state.threads} threads",
    )


def test_fused_sweep_three_legs(benchmark, state3: Inputs, mode: Mode) -> None:
    """The fused sweep with two risky legs and cash (note_thesis: S&P 500 total return,
    10-year Treasuries), checked against vectorbt on a few combinations."""
    from benchmarks.cases import same_metrics, vectorbt_per_combination
    from engine.sweep.run import iter_chunks

    def run() -> None:
        for _ in iter_chunks(state3.plan):
            pass

    benchmark.pedantic(run, rounds=3, iterations=1, warmup_rounds=0)
    rows = np.sort(np.random.default_rng(13).choice(state3.plan.grid.size, 3, replace=False))
    same_metrics(state3.results[rows], vectorbt_per_combination(state3, rows))
    n = state3.plan.grid.size * state3.plan.inputs.n_days
    ns = state3.seconds * state3.threads * 1e9 / n
    benchmark.extra_info.update(
        kind="limit",
        key="ns3",
        measured=ns,
        ratio=LIMITS["ns3"].ratio(ns),
        detail=f"{state3.plan.grid.size:,} combinations x {state3.plan.inputs.n_days:,} days in "
        f"{state3.seconds:.3f} s on {state3.threads} threads",
    )


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_case(benchmark, state: Inputs, mode: Mode, case: Case) -> None:
    """A baseline on a random sample of the same combinations: same numbers, and the ratio of
    its time per combination to the fused sweep's."""
    rng = np.random.default_rng(11)
    rows = np.sort(rng.choice(state.plan.grid.size, case.sample(mode), replace=False))
    case.slow(state, rows[:1])  # warm-up: imports and JIT compilation
    slow = benchmark.pedantic(case.slow, args=(state, rows), rounds=1, iterations=1)
    case.check(state.results[rows], slow)
    per_slow = benchmark.stats.stats.min / len(rows)
    per_fast = state.seconds / state.plan.grid.size
    benchmark.extra_info.update(
        kind="case",
        key=case.name,
        measured=per_slow,
        ratio=per_slow / per_fast,
        detail=f"{case.baseline}: {per_slow * 1e3:.2f} ms vs {per_fast * 1e6:.2f} us per "
        f"combination ({len(rows)} sampled)",
    )


def test_memory(benchmark, mode: Mode) -> None:
    """Peak memory by grid size, each in a fresh process (resident set, and the Python / NumPy
    heap traced during the sweep); the traced growth per combination compared with what one
    N x K float array needs (n_days x 8 bytes per combination)."""
    runs = benchmark.pedantic(
        lambda: [_probe("memory", str(n), *_window(mode)) for n in mode.memory_sizes],
        rounds=1,
        iterations=1,
    )
    small, big = runs[0], runs[-1]
    per_combo = (
        max(big["traced_mb"] - small["traced_mb"], 1e-6) * 2**20 / (big["combos"] - small["combos"])
    )
    nk = big["n_days"] * 8.0
    benchmark.extra_info.update(
        kind="limit",
        key="memory",
        measured=big["peak_mb"],
        ratio=LIMITS["memory"].ratio(big["peak_mb"]),
        detail="; ".join(
            f"{r['combos']:,}: peak RSS {r['peak_mb']:.0f} MB, traced {r['traced_mb']:.1f} MB"
            for r in runs
        ),
        scaling=nk / per_combo,
        scaling_detail=f"{per_combo:.0f} traced bytes per combination vs {nk:,.0f} per "
        f"combination for each N x K float array ({big['n_days']:,} days)",
    )


def test_startup_cache(benchmark, mode: Mode) -> None:
    """Cold process (empty numba cache: every kernel compiles) vs warm process (cache hit)."""
    with tempfile.TemporaryDirectory() as cache:
        env = {"NUMBA_CACHE_DIR": cache}
        cold = benchmark.pedantic(
            lambda: _probe("startup", *_window(mode), env=env), rounds=1, iterations=1
        )
        warm = _probe("startup", *_window(mode), env=env)
    ratio = cold["seconds"] / warm["seconds"]
    top = sorted(cold["compiled"].items(), key=lambda kv: -kv[1])
    spent = ", ".join(f"{name.rsplit('.', 1)[-1]} {sec:.1f} s" for name, sec in top[:4])
    benchmark.extra_info.update(
        kind="limit",
        key="cache",
        measured=ratio,
        ratio=LIMITS["cache"].ratio(ratio),
        detail=f"import + one-combination sweep: cold {cold['seconds']:.1f} s (compiling "
        f"{sum(cold['compiled'].values()):.1f} s: {spent}), warm {warm['seconds']:.1f} s "
        f"({len(warm['compiled'])} kernels compiled)",
    )


def test_cli_latency(benchmark, mode: Mode) -> None:
    """``runoff --help`` and ``runoff explain 2024-01-19`` (warm numba cache) against a bare
    ``python -c "import json"``, each the best of several fresh processes run in turns."""
    best = benchmark.pedantic(
        lambda: cli_latency(CLI_ROUNDS[mode.name], str(ROOT)), rounds=1, iterations=1
    )
    bare = best["bare"]
    for key, args in CLI_CASES.items():
        times = best[key] / bare
        benchmark.extra_info[key] = {
            "kind": "limit",
            "key": key,
            "measured": times,
            "ratio": LIMITS[key].ratio(times),
            "detail": f"runoff {' '.join(args)} {best[key]:.2f} s vs bare python -c 'import "
            f"json' {bare:.2f} s: {times:.1f}x (best of {CLI_ROUNDS[mode.name]} processes each)",
        }


def test_kernels(benchmark, mode: Mode) -> None:
    """Each kernel of the parity table against its plain-Python reference (same outputs checked);
    the ratio reported is the worst one."""
    n = KERNEL_ROWS[mode.name]
    timings = benchmark.pedantic(lambda: kernel_ratios(n), rounds=1, iterations=1)
    ratios = {k: slow / max(fast, 1e-9) for k, (slow, fast) in timings.items()}
    worst = min(ratios, key=lambda k: ratios[k])
    benchmark.extra_info.update(
        kind="limit",
        key="kernels",
        measured=ratios[worst],
        ratio=LIMITS["kernels"].ratio(ratios[worst]),
        detail=f"{len(ratios)} kernels on {n:,} rows; worst {worst} "
        f"{ratios[worst]:,.0f}x; median {sorted(ratios.values())[len(ratios) // 2]:,.0f}x",
    )


def _timed_probe(*args: str) -> tuple[float, dict]:
    """Wall time of a fresh probe process, from its start to its exit, and what it printed."""
    t = time.perf_counter()
    out = _probe(*args)
    return time.perf_counter() - t, out


def test_streamed_end_to_end(benchmark, mode: Mode) -> None:
    """``runoff sweep`` over ``mode.stream_combos`` combinations sampled from the widened grid,
    ``--out DIR/`` (every row written), timed from process start to exit; against the kernel
    alone on the same combinations (a fresh process, set-up untimed)."""
    window = [mode.start or "", mode.end or ""]
    with tempfile.TemporaryDirectory() as tmp:
        wall, run = benchmark.pedantic(
            lambda: _timed_probe("stream", str(mode.stream_combos), f"{tmp}/rows/", *window),
            rounds=1,
            iterations=1,
        )
        rows = sum(1 for _ in Path(tmp, "rows").glob("part-*.parquet"))
    alone = _probe("kernel", str(mode.stream_combos), *window)
    ratio = wall / alone["kernel_seconds"]
    n = run["combos"] * run["n_days"]
    ns = wall * alone["threads"] * 1e9 / n
    benchmark.extra_info.update(
        kind="limit",
        key="stream",
        measured=ratio,
        ratio=LIMITS["stream"].ratio(ratio),
        detail=f"{run['combos']:,} combinations x {run['n_days']:,} days: {wall:.1f} s end to end "
        f"({ns:.2f} ns per combination-day per core; {rows} partitions written, peak RSS "
        f"{run['peak_mb']:.0f} MB) vs {alone['kernel_seconds']:.1f} s of kernel alone "
        f"({alone['kernel_seconds'] * alone['threads'] * 1e9 / n:.2f} ns); "
        f"streaming {run['seconds']:.1f} s of which kernel {run['kernel_seconds']:.1f} s",
        absolute=wall,
        absolute_ratio=LIMITS["stream_10s"].ratio(wall),
        absolute_detail=f"{wall:.1f} s end to end on {alone['threads']} threads",
    )


def _stream_memory(sizes: tuple[int, ...], dask: str = "") -> list[dict]:
    start, end = STREAM_MEMORY_WINDOW
    runs = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            runs.append(_probe("stream", str(n), f"{tmp}/rows/", start or "", end or "", dask))
    return runs


def test_streamed_memory(benchmark, mode: Mode) -> None:
    """Peak resident memory of a streamed sweep (fresh process per size, every row written):
    flat in the number of combinations."""
    runs = benchmark.pedantic(lambda: _stream_memory(mode.stream_memory), rounds=1, iterations=1)
    benchmark.extra_info.update(_memory_rows(runs, "stream_memory", "peak RSS"))


def test_dask_client_memory(benchmark, mode: Mode) -> None:
    """``--dask local:2``: the client's peak resident memory at the smallest and largest
    streamed size (the workers are other processes)."""
    sizes = (mode.stream_memory[0], mode.stream_memory[-1])
    runs = benchmark.pedantic(lambda: _stream_memory(sizes, "local:2"), rounds=1, iterations=1)
    benchmark.extra_info.update(_memory_rows(runs, "dask_client", "client peak RSS"))


def _memory_rows(runs: list[dict], key: str, what: str) -> dict:
    """The limit row ``key`` (peak at the largest size) and its flatness (1.2 x the peak at
    the smallest size / the peak at the largest) from probe runs in increasing size."""
    small, big = runs[0], runs[-1]
    return dict(
        kind="limit",
        key=key,
        measured=big["peak_mb"],
        ratio=LIMITS[key].ratio(big["peak_mb"]),
        detail="; ".join(f"{r['combos']:,}: {what} {r['peak_mb']:.0f} MB" for r in runs)
        + f" ({small['n_days']:,} days)",
        flat=1.2 * small["peak_mb"] / big["peak_mb"],
        flat_detail=f"{small['combos']:,}: {small['peak_mb']:.0f} MB, {big['combos']:,}: "
        f"{big['peak_mb']:.0f} MB",
    )
