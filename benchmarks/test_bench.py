"""The benchmarks: fused sweep vs baselines (cases), time per combination-day, memory, cache.

Each test stores what ``python -m benchmarks`` needs in ``benchmark.extra_info``: ``kind``
(``case`` or ``limit``), the measured value and the ratio the floors apply to.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from benchmarks.cases import (
    CASES,
    CLI_CASES,
    CLI_ROUNDS,
    KERNEL_ROWS,
    LIMITS,
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
