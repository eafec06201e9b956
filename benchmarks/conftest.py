"""Shared state of a benchmark run: the mode, the planned sweep and its best timing."""

from __future__ import annotations

import numba
import pytest

from benchmarks.cases import FULL, QUICK, Inputs, Mode, bench_grid, time_best


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--quick", action="store_true", help="small grid, generous floors")


@pytest.fixture(scope="session")
def mode(request: pytest.FixtureRequest) -> Mode:
    return QUICK if request.config.getoption("--quick") else FULL


def _state(mode: Mode, legs: int) -> Inputs:
    """A benchmark sweep (``legs`` risky legs and cash), planned once; the fused pass timed
    (best of 3, after a warm-up run that absorbs JIT compilation)."""
    from engine.sweep.run import iter_chunks, plan_sweep

    grid = bench_grid(mode.combos, legs=legs)
    plan = plan_sweep(grid.strategy, grid, start=mode.start, end=mode.end)

    def run() -> object:
        import numpy as np

        from engine.sweep.nb import METRICS

        out = np.empty((plan.grid.size, len(METRICS)))
        for a, b, m in iter_chunks(plan):
            out[a:b] = m
        return out

    run()
    seconds, results = time_best(run, 3)
    return Inputs(plan=plan, results=results, seconds=seconds, threads=numba.get_num_threads())


@pytest.fixture(scope="session")
def state(mode: Mode) -> Inputs:
    """The two-leg benchmark sweep (one risky leg and cash: the cases and the ns row)."""
    return _state(mode, 1)


@pytest.fixture(scope="session")
def state3(mode: Mode) -> Inputs:
    """The three-leg benchmark sweep (equity, 10-year Treasuries and cash: the ns3 row)."""
    return _state(mode, 2)
