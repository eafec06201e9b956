"""Measurements that need a fresh process: peak memory of a sweep, cold / warm start-up.

``python -m benchmarks.probe memory N [START END]`` prints JSON with the peak resident memory
(``ru_maxrss``) before and after sweeping N combinations of the benchmark grid, and the peak
of the memory traced by ``tracemalloc`` (Python objects and NumPy buffers) during the sweep.
``python -m benchmarks.probe startup [START END]`` imports Runoff and runs a one-combination
sweep; run it with an empty ``NUMBA_CACHE_DIR`` (cold: every kernel compiles) and again with
the same directory (warm: loaded from numba's cache). It also reports the seconds each kernel
the sweep calls spent compiling (numba's ``numba:compile`` events; none on a cache hit), the
callees' compilation included in their caller's, so the cold run says what is left to shave.
``python -m benchmarks.probe stream N OUT [START END] [DASK]`` is ``runoff sweep note_thesis``
over N combinations sampled from :data:`benchmarks.cases.BIG_GRID` with ``--out OUT`` (and
``--dask DASK``): the CLI's own code path, in a process the caller times from start to exit.
It prints the sweep's timings and this process's peak resident memory (on Dask: the client's).
``python -m benchmarks.probe kernel N [START END]`` runs the same combinations through the
kernel alone (the chunks' set-up untimed) and prints the kernel's seconds.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import tracemalloc


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def memory(n: int, start: str | None, end: str | None) -> dict:
    from benchmarks.cases import bench_grid
    from engine.sweep.run import plan_sweep, run_plan

    warm = plan_sweep(bench_grid(1).strategy, bench_grid(1), start=start, end=end)
    run_plan(warm)
    base = _rss_mb()
    tracemalloc.start()
    grid = bench_grid(n)
    plan = plan_sweep(grid.strategy, grid, start=start, end=end)
    df = run_plan(plan)
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    assert len(df) == n
    return {
        "combos": n,
        "n_days": plan.inputs.n_days,
        "base_mb": base,
        "peak_mb": _rss_mb(),
        "traced_mb": traced,
    }


def _compile_listener() -> dict[str, float]:
    """Record the compile time of every kernel compiled from Python (not from another kernel):
    qualified name -> seconds, callees included."""
    from numba.core import event

    compiled: dict[str, float] = {}
    stack: list[float] = []

    class Listener(event.Listener):
        def on_start(self, ev: event.Event) -> None:
            stack.append(time.perf_counter())

        def on_end(self, ev: event.Event) -> None:
            t0 = stack.pop()
            if not stack:
                f = ev.data["dispatcher"].py_func
                name = f"{f.__module__}.{f.__name__}"
                compiled[name] = compiled.get(name, 0.0) + time.perf_counter() - t0

    event.register("numba:compile", Listener())
    return compiled


def startup(start: str | None, end: str | None) -> dict:
    t = time.perf_counter()
    compiled = _compile_listener()
    from benchmarks.cases import bench_grid
    from engine.sweep.run import plan_sweep, run_plan

    grid = bench_grid(1)
    run_plan(plan_sweep(grid.strategy, grid, start=start, end=end))
    return {"seconds": time.perf_counter() - t, "compiled": compiled}


def _window_args(start: str | None, end: str | None) -> list[str]:
    return [*(["--start", start] if start else []), *(["--end", end] if end else [])]


def stream(n: int, out: str, start: str | None, end: str | None, dask: str | None) -> dict:
    import contextlib
    import io

    from benchmarks.cases import BENCH_STRATEGY, big_grid_options
    from engine.cli import main as runoff

    argv = ["sweep", BENCH_STRATEGY, *big_grid_options(), "--sample", str(n), "--out", out]
    argv += [*_window_args(start, end), "--no-progress", "--json"]
    if dask:
        argv += ["--dask", dask]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = runoff(argv)
    if code != 0:
        raise SystemExit(f"runoff sweep exited {code}")
    doc = json.loads(buf.getvalue())
    return {
        "combos": doc["combinations"],
        "n_days": doc["window"]["days"],
        "seconds": doc["seconds"],
        "kernel_seconds": doc["kernel_seconds"],
        "peak_mb": _rss_mb(),
    }


def kernel(n: int, start: str | None, end: str | None) -> dict:
    import numba

    from benchmarks.cases import BENCH_STRATEGY, BIG_GRID
    from engine.sweep.run import plan_sweep
    from engine.sweep.stream import partition_metrics
    from strategies import expand_grid, load_strategy

    s = load_strategy(BENCH_STRATEGY)
    grid = expand_grid(s, BIG_GRID, include_sweep=False, sample=n)
    plan = plan_sweep(s, grid, start=start, end=end)
    partition_metrics(plan.inputs, plan.strategy, plan.grid, 0, min(n, 64))  # warm-up
    _, seconds = partition_metrics(plan.inputs, plan.strategy, plan.grid, 0, n)
    return {
        "combos": n,
        "n_days": plan.inputs.n_days,
        "kernel_seconds": seconds,
        "threads": numba.get_num_threads(),
    }


def main(argv: list[str]) -> int:
    kind, rest = argv[0], argv[1:]
    if kind == "memory":
        n = int(rest[0])
        start, end = (rest[1], rest[2]) if len(rest) > 2 else (None, None)
        out = memory(n, start, end)
    elif kind == "stream":
        n, path = int(rest[0]), rest[1]
        start, end = (rest[2] or None, rest[3] or None) if len(rest) > 3 else (None, None)
        out = stream(n, path, start, end, rest[4] if len(rest) > 4 else None)
    elif kind == "kernel":
        start, end = (rest[1] or None, rest[2] or None) if len(rest) > 2 else (None, None)
        out = kernel(int(rest[0]), start, end)
    else:
        start, end = (rest[0], rest[1]) if len(rest) > 1 else (None, None)
        out = startup(start, end)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
