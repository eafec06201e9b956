"""Measurements that need a fresh process: peak memory of a sweep, cold / warm start-up.

``python -m benchmarks.probe memory N [START END]`` prints JSON with the peak resident memory
(``ru_maxrss``) before and after sweeping N combinations of the benchmark grid, and the peak
of the memory traced by ``tracemalloc`` (Python objects and NumPy buffers) during the sweep.
``python -m benchmarks.probe startup [START END]`` imports Runoff and runs a one-combination
sweep; run it with an empty ``NUMBA_CACHE_DIR`` (cold: every kernel compiles) and again with
the same directory (warm: loaded from numba's cache). It also reports the seconds each kernel
the sweep calls spent compiling (numba's ``numba:compile`` events; none on a cache hit), the
callees' compilation included in their caller's, so the cold run says what is left to shave.
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


def main(argv: list[str]) -> int:
    kind, rest = argv[0], argv[1:]
    if kind == "memory":
        n = int(rest[0])
        start, end = (rest[1], rest[2]) if len(rest) > 2 else (None, None)
        out = memory(n, start, end)
    else:
        start, end = (rest[0], rest[1]) if len(rest) > 1 else (None, None)
        out = startup(start, end)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
