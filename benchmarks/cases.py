"""The benchmark cases as data: what is timed, against what, on which inputs, and the floors.

The kernel row times every entry of the parity table (:mod:`engine.parity`, the table the
kernel tests run) against its reference; the cases pit the fused sweep against baselines.

A :class:`Case` pits the fused sweep (``fast``) against a baseline (``slow``) on the same
combinations and checks that both give the same numbers; its ratio is the baseline's time per
combination over the sweep's. A :class:`Limit` compares one measurement with a target (ratio =
target / measured, or measured / target for "at least" targets). Every ratio has a floor in the
full run and a more generous one in ``--quick`` mode; a ratio below its floor fails the run.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from strategies import Grid, Strategy, expand_grid, load_strategy, parse_strategy

BENCH_STRATEGY = "note_thesis"
"""All three regimes: the built-in with the most per-day work. The two-leg row (one risky leg
and cash) runs its pre-issue-10 form (:func:`two_leg_strategy`), the three-leg row the
built-in itself (S&P 500 total return, 10-year Treasuries, cash)."""

BENCH_GRID: dict[str, list] = {
    "balance_sheet.window_weeks": [8, 13, 26, 52],
    "balance_sheet.contract_enter": [-0.06, -0.04, -0.02],
    "policy.sahm_threshold": [0.3, 0.5, 0.7],
    "net_liquidity.band_bn": [100.0, 150.0, 250.0],
    "weights.recession": [0.0, 0.1, 0.3],
    "weights.qt_first_half": [0.5, 0.7, 0.9],
    "weights.qt": [0.25, 0.5, 0.75],
    "weights.drain": [0.6, 0.8, 1.0],
    "rebalance.band": [0.0, 0.02, 0.05, 0.1],
    "costs.fees": [0.0005, 0.001],
    "costs.slippage": [0.0, 0.0002],
}
"""139,968 combinations: regime windows and thresholds, rule weights, bands and costs."""

BENCH_GRID3: dict[str, list] = {
    "balance_sheet.window_weeks": [8, 13, 26, 52],
    "balance_sheet.contract_enter": [-0.06, -0.04, -0.02],
    "policy.sahm_threshold": [0.3, 0.5, 0.7],
    "net_liquidity.band_bn": [100.0, 150.0, 250.0],
    "weights.recession": [0.0, 0.1, 0.3],
    "weights.qt_first_half": [0.4, 0.5, 0.7],
    "weights.qt_first_half.treasury": [0.0, 0.3],
    "weights.qt": [0.25, 0.5, 0.75],
    "weights.drain": [0.6, 0.8, 1.0],
    "rebalance.band": [0.0, 0.02, 0.05, 0.1],
    "costs.fees": [0.0005, 0.001],
    "costs.slippage": [0.0, 0.0002],
}
"""The three-leg grid (note_thesis as built in: equity, UST10Y, cash): the two-leg grid's
keys, the first-half rule's Treasury weight too (its equity weights lowered so that a rule never
sums above 1): 279,936 combinations."""


def two_leg_strategy() -> Strategy:
    """note_thesis before issue 10: its four rules with their equity weights only, on the
    S&P 500 price index (GSPC) and cash: the benchmark of the one-asset kernel, unchanged."""
    d = load_strategy(BENCH_STRATEGY).to_dict()
    d["assets"] = {"equity": "GSPC"}
    rules = []
    for rule in d["allocation"]["rules"]:
        if rule.get("name") == "cutting":
            continue
        weights = rule.pop("weights", None)
        if weights is not None:
            rule["weight"] = weights.get("equity", 0.0)
        rules.append(rule)
    d["allocation"]["rules"] = rules
    d["allocation"].pop("bounds", None)
    d.pop("sweep", None)
    return parse_strategy(d, "benchmarks:note_thesis_two_legs")


BIG_GRID: dict[str, list] = {
    **BENCH_GRID,
    "weights.recession": [round(0.025 * i, 3) for i in range(13)],
    "weights.qt_first_half": [round(0.3 + 0.05 * i, 2) for i in range(9)],
    "weights.qt": [round(0.25 + 0.05 * i, 2) for i in range(11)],
    "weights.drain": [round(0.4 + 0.05 * i, 2) for i in range(13)],
}
"""The benchmark grid with finer rule weights on the built-in note_thesis (equity, UST10Y and
cash): 28,911,168 combinations (the same regime parameters, bands and costs: a quarter of the
combinations trade daily; the first-half rule's equity weight from 0.3 to 0.7, so that with its
Treasury weight of 0.3 it never sums above 1), sampled for the streamed rows (10^5 to 10^7
combinations: block-drawn samples, :mod:`strategies.sample`)."""


@dataclass(frozen=True)
class Mode:
    """Sizes of one benchmark run."""

    name: str
    combos: int
    start: str | None
    end: str | None
    vbt_sample: int
    ref_sample: int
    memory_sizes: tuple[int, ...]
    stream_combos: int = 1_000_000
    """Combinations of the end-to-end streamed run (sampled from :data:`BIG_GRID`)."""
    stream_memory: tuple[int, ...] = (100_000, 1_000_000, 10_000_000)
    """Sizes of the streamed peak-memory rows (local, then the Dask client at the first and
    last size), on :data:`STREAM_MEMORY_WINDOW`."""


STREAM_MEMORY_WINDOW = ("2024-01-01", None)
"""Window of the streamed memory rows: memory does not grow with the days (state per
combination is O(1)), and 10^7 combinations over the whole history would take minutes."""

FULL = Mode(
    "full", 10_000, None, None, vbt_sample=50, ref_sample=4, memory_sizes=(1_000, 10_000, 100_000)
)
QUICK = Mode(
    "quick",
    1_000,
    "2015-01-01",
    "2024-12-31",
    vbt_sample=10,
    ref_sample=2,
    memory_sizes=(1_000, 10_000),
    stream_combos=100_000,
    stream_memory=(100_000, 300_000),
)


def bench_grid(n: int, seed: int = 0, legs: int = 1) -> Grid:
    """``n`` combinations drawn from :data:`BENCH_GRID` on :func:`two_leg_strategy`
    (``legs=1``: one risky leg and cash) or from :data:`BENCH_GRID3` on the built-in
    note_thesis (``legs=2``: two risky legs and cash), reproducibly."""
    if legs == 1:
        return expand_grid(two_leg_strategy(), BENCH_GRID, include_sweep=False, sample=n, seed=seed)
    s = load_strategy(BENCH_STRATEGY)
    return expand_grid(s, BENCH_GRID3, include_sweep=False, sample=n, seed=seed)


def big_grid_options() -> list[str]:
    """:data:`BIG_GRID` as ``runoff sweep`` options (``--grid-only --grid KEY=V1,...``)."""
    opts = ["--grid-only"]
    for k, v in BIG_GRID.items():
        opts += ["--grid", f"{k}={','.join(str(x) for x in v)}"]
    return opts


@dataclass
class Inputs:
    """A planned sweep, its results, and a sample of its combinations decoded for baselines."""

    plan: Any
    results: np.ndarray  # (n_combos, n_metrics) in grid order
    seconds: float  # wall time of the fused sweep (best of the rounds)
    threads: int


@dataclass(frozen=True)
class Case:
    """Fused sweep vs a baseline on the same combinations.

    Attributes
    ----------
    name : row label.
    baseline : what ``slow`` runs.
    slow : (inputs, rows) -> metrics array of shape (len(rows), n_metrics), timed.
    sample : number of combinations the baseline runs (per mode: full, quick).
    check : (sweep rows, baseline rows) -> None, raises if they differ.
    floor : minimum ratio (full run, quick run): the regression guard.
    target : the issue's target ratio (full run), or None.
    """

    name: str
    baseline: str
    slow: Callable[[Inputs, np.ndarray], np.ndarray]
    sample: Callable[[Mode], int]
    check: Callable[[np.ndarray, np.ndarray], None]
    floor: tuple[float, float]
    target: float | None = None


@dataclass(frozen=True)
class Limit:
    """One measurement against a target; ratio >= 1 means the target is met."""

    name: str
    unit: str
    reference: float
    higher_is_better: bool
    floor: tuple[float, float]
    target: float | None = 1.0

    def ratio(self, measured: float) -> float:
        """``measured / reference`` or ``reference / measured``: above 1 is better."""
        if self.higher_is_better:
            return measured / self.reference
        return self.reference / measured if measured > 0 else math.inf


# ---------------------------------------------------------------- baselines


def _decoded(plan: Any, k: int) -> dict[str, Any]:
    """Combination ``k``'s kernel inputs, decoded back to per-regime codes and per-leg values."""
    from engine.sweep.prepare import chunk_arrays

    ch = chunk_arrays(plan.inputs, plan.strategy, plan.grid, k, k + 1)
    cells = ch.codes[:, ch.code_idx[0]].astype(np.int64)
    n_legs = ch.tables.shape[2]
    return {
        "cells": cells,
        "codes": np.column_stack(np.unravel_index(cells, ch.shape)) if ch.shape else None,
        "table": ch.tables[0],
        "table_nd": ch.tables[0].reshape((*ch.shape, n_legs)),
        "x": np.ascontiguousarray(ch.features[:, ch.ov_feat[0]]),
        "slopes": ch.ov_slope[0],
        "centers": ch.ov_center,
        "ov_leg": ch.ov_leg,
        "lo": ch.lo[0],
        "hi": ch.hi[0],
        "band": float(ch.band[0]),
        "lag": int(ch.lag[0]),
        "fees": ch.fees[0],
        "slippage": ch.slippage[0],
    }


def _plan_weights(plan: Any, d: dict[str, Any]) -> np.ndarray:
    """The executed target weights of a decoded combination: array of shape (n_days, n_legs)."""
    from engine.allocation_nb import plan_orders_nb, target_weights_nb

    inp = plan.inputs
    w = target_weights_nb(
        d["table"], d["cells"], d["x"], d["slopes"], d["centers"], d["ov_leg"], d["lo"], d["hi"]
    )
    return plan_orders_nb(w, inp.decide, inp.ret_legs, inp.ret_c, d["band"], d["lag"])[0]


def _metrics_row(
    value: np.ndarray, weight: np.ndarray, fraction: np.ndarray, ow: np.ndarray, inp: Any
) -> np.ndarray:
    from engine.metrics import compute_metrics
    from engine.sweep.nb import METRICS

    executed = np.isfinite(ow[:, 0])
    first = int(np.flatnonzero(executed)[0])
    win = slice(first, None)
    m = compute_metrics(
        pd.Series(value[win], index=inp.days[win]),
        inp.ret_c[win],
        weight[win],
        fraction[win],
        int(executed[win].sum()),
    )
    return np.array([float(getattr(m, k)) for k in METRICS])


def vectorbt_wide(inputs: Inputs, rows: np.ndarray) -> np.ndarray:
    """vectorbt's sweep form: one ``from_orders`` call over len(rows) x (n_legs + 1) columns
    (N x K arrays), grouped per combination with shared cash, then the same metric
    definitions."""
    import vectorbt as vbt

    from engine.allocation import total_weight
    from engine.window import INIT_CASH, MIN_SIZE

    plan = inputs.plan
    inp = plan.inputs
    k = len(rows)
    n_legs = inp.n_legs
    width = n_legs + 1
    decoded = [_decoded(plan, int(r)) for r in rows]
    ows = [_plan_weights(plan, d) for d in decoded]
    size = np.empty((inp.n_days, width * k))
    close = np.empty((inp.n_days, width * k))
    fees = np.zeros((1, width * k))
    slip = np.zeros((1, width * k))
    for j, (d, ow) in enumerate(zip(decoded, ows, strict=True)):
        size[:, j * width : j * width + n_legs] = ow
        size[:, j * width + n_legs] = 1.0 - total_weight(ow)
        close[:, j * width : j * width + n_legs] = inp.closes
        close[:, j * width + n_legs] = inp.cash_price
        fees[0, j * width : j * width + n_legs] = d["fees"]
        slip[0, j * width : j * width + n_legs] = d["slippage"]
    pf = vbt.Portfolio.from_orders(
        close,
        size,
        size_type="targetpercent",
        direction="longonly",
        fees=fees,
        slippage=slip,
        min_size=MIN_SIZE,
        init_cash=INIT_CASH,
        cash_sharing=True,
        group_by=np.repeat(np.arange(k), width),
        call_seq="auto",
        freq="1D",
    )
    value = np.asarray(pf.value()).reshape(inp.n_days, k)
    assets = np.asarray(pf.assets()).reshape(inp.n_days, width * k)
    cash = np.asarray(pf.cash()).reshape(inp.n_days, k)
    held = (assets * close).reshape(inp.n_days, k, width)
    weight = held[:, :, :n_legs].sum(axis=2) / value
    rec = pf.orders.records
    rec = rec[rec["col"] % width < n_legs]
    traded = np.zeros((inp.n_days, k))
    np.add.at(traded, (rec["idx"], rec["col"] // width), rec["size"] * rec["price"])
    before = np.empty((inp.n_days, k))
    before[0] = INIT_CASH
    before[1:] = cash[:-1] + (assets[:-1] * close[1:]).reshape(inp.n_days - 1, k, width).sum(axis=2)
    return np.vstack(
        [
            _metrics_row(value[:, j], weight[:, j], traded[:, j] / before[:, j], ows[j], inp)
            for j in range(k)
        ]
    )


def vectorbt_per_combination(inputs: Inputs, rows: np.ndarray) -> np.ndarray:
    """The backtest's own path, one combination at a time: order plan, ``from_orders`` on
    [legs..., cash], the portfolio path and the metrics (engine.backtest)."""
    from engine.backtest import portfolio_path, simulate

    inp = inputs.plan.inputs
    out = []
    for r in rows:
        d = _decoded(inputs.plan, int(r))
        ow = _plan_weights(inputs.plan, d)
        pf = simulate(inp.days, inp.closes, inp.cash_price, ow, d["fees"], d["slippage"])
        path = portfolio_path(pf, inp.days, inp.closes, inp.cash_price)
        out.append(
            _metrics_row(
                path.value.to_numpy(),
                path.index_weight.to_numpy(),
                path.trade_fraction.to_numpy(),
                ow,
                inp,
            )
        )
    return np.vstack(out)


def numpy_reference(inputs: Inputs, rows: np.ndarray) -> np.ndarray:
    """The plain NumPy / Python reference of the fused pass (engine.sweep.reference)."""
    from engine.sweep.nb import METRICS
    from engine.sweep.reference import run_combo_ref

    inp = inputs.plan.inputs
    out = []
    for r in rows:
        d = _decoded(inputs.plan, int(r))
        run = run_combo_ref(
            inp.closes,
            inp.cash_price,
            inp.day_number,
            inp.decide,
            d["table_nd"],
            d["codes"] if d["codes"] is not None else np.zeros((inp.n_days, 0), np.int64),
            d["x"],
            d["slopes"],
            d["centers"],
            overlay_leg=d["ov_leg"],
            lo=d["lo"],
            hi=d["hi"],
            band=d["band"],
            lag=d["lag"],
            fees=d["fees"],
            slippage=d["slippage"],
            first=0,
            last=inp.n_days - 1,
        )
        out.append([run.metrics[k] for k in METRICS])
    return np.asarray(out, dtype=np.float64)


def same_metrics(fast: np.ndarray, slow: np.ndarray) -> None:
    """Total return, CAGR, Sharpe and max drawdown agree within 1e-6 relative (the issue's
    parity bar); every metric within 1e-8."""
    from engine.sweep.nb import METRICS

    for name in ("total_return", "cagr", "sharpe", "max_drawdown"):
        j = METRICS.index(name)
        np.testing.assert_allclose(fast[:, j], slow[:, j], rtol=1e-6, err_msg=name)
    np.testing.assert_allclose(fast, slow, rtol=1e-8, atol=1e-12)


CASES: tuple[Case, ...] = (
    Case(
        "fused sweep vs vectorbt (wide from_orders)",
        "vectorbt Portfolio.from_orders over a sample as N x K columns + the same metrics",
        vectorbt_wide,
        lambda m: m.vbt_sample,
        same_metrics,
        floor=(100.0, 10.0),
        target=100.0,
    ),
    Case(
        "fused sweep vs vectorbt backtest per combination",
        "engine.backtest path (plan, from_orders, portfolio path, metrics) per combination",
        vectorbt_per_combination,
        lambda m: max(m.vbt_sample // 5, 2),
        same_metrics,
        floor=(300.0, 30.0),
    ),
    Case(
        "fused sweep vs NumPy reference",
        "engine.sweep.reference.run_combo_ref (plain Python / NumPy) per combination",
        numpy_reference,
        lambda m: m.ref_sample,
        same_metrics,
        floor=(300.0, 30.0),
    ),
)

HELP_TIMES = 4.0
"""``runoff --help`` must take under this many times a bare ``python -c "import json"``."""
EXPLAIN_TIMES = 60.0
"""Regression guard of ``runoff explain 2024-01-19`` (warm numba cache), in bare processes:
it loads 17 series and computes every regime, so it has no target."""

BARE = ("-c", "import json")
"""The bare Python process the CLI's latency is compared with."""
CONSOLE = ("-c", "import sys; from engine.cli import main; sys.exit(main())")
"""What the ``runoff`` console script runs (``engine.cli:main``), with the arguments after it."""
CLI_CASES: dict[str, tuple[str, ...]] = {
    "help": ("--help",),
    "explain": ("explain", "2024-01-19"),
}
"""Latency rows: key of :data:`LIMITS` -> ``runoff`` arguments."""
CLI_ROUNDS = {"full": 7, "quick": 3}
"""Runs of each process per mode (the best one counts)."""


def process_seconds(args: tuple[str, ...], rounds: int, cwd: str | None = None) -> float:
    """Best wall time of ``rounds`` runs of ``python <args>`` (output discarded; a failing
    process raises)."""
    import subprocess
    import sys

    best = math.inf
    for _ in range(rounds):
        t = time.perf_counter()
        subprocess.run(
            [sys.executable, *args], cwd=cwd, check=True, capture_output=True, timeout=600
        )
        best = min(best, time.perf_counter() - t)
    return best


def cli_latency(rounds: int, cwd: str | None = None) -> dict[str, float]:
    """Best wall times (seconds) of a bare Python process (``bare``) and of each ``runoff``
    command of :data:`CLI_CASES`, measured in turns in the same run (one warm-up of each first:
    the numba cache and the OS file cache are warm)."""
    cases = {"bare": BARE, **{k: (*CONSOLE, *a) for k, a in CLI_CASES.items()}}
    for args in cases.values():
        process_seconds(args, 1, cwd)
    best = dict.fromkeys(cases, math.inf)
    for _ in range(rounds):
        for k, args in cases.items():
            best[k] = min(best[k], process_seconds(args, 1, cwd))
    return best


LIMITS: dict[str, Limit] = {
    "ns": Limit(
        "5 ns / fused sweep time per combination-day per core (two legs: index + cash)",
        "ns",
        5.0,
        False,
        floor=(1.0, 0.1),
    ),
    "ns3": Limit(
        "8 ns / fused sweep time per combination-day per core (three legs: equity + UST10Y + cash)",
        "ns",
        8.0,
        False,
        floor=(1.0, 0.1),
    ),
    "memory": Limit(
        "1.5 GB / peak memory of 100,000 combinations (quick: 10,000)",
        "MB",
        1536.0,
        False,
        floor=(1.0, 1.0),
    ),
    "scaling": Limit(
        "N x K bytes per combination / measured bytes per combination",
        "x",
        1.0,
        True,
        floor=(10.0, 2.0),
        target=None,
    ),
    "kernels": Limit(
        "kernel vs its plain-Python reference (worst entry of engine.parity.PARITY)",
        "x",
        1.0,
        True,
        floor=(10.0, 5.0),
        target=None,
    ),
    "stream": Limit(
        "1.2 / (streamed sweep end to end / kernel alone), 10^6 combinations (quick: 10^5)",
        "x",
        1.2,
        False,
        # Quick: 10^5 combinations on 2015-2024 keep the kernel near a second, so the fixed
        # costs of a process (interpreter, imports, data, numba's cache: about 2 s) dominate;
        # a loaded CI machine measured 0.52. The quick floor guards against a 5x regression.
        floor=(0.9, 0.25),
    ),
    "stream_10s": Limit(
        "10 s / streamed sweep end to end, 10^6 combinations (quick: 10^5; target full only)",
        "s",
        10.0,
        False,
        floor=(0.2, 0.2),
    ),
    "stream_memory": Limit(
        "1 GB / peak RSS of a streamed sweep of 10^7 sampled combinations (quick: 3 x 10^5)",
        "MB",
        1024.0,
        False,
        floor=(1.0, 1.0),
    ),
    "stream_flat": Limit(
        "1.2 x peak RSS at 10^5 / peak RSS at 10^7 (quick: 3 x 10^5): flat within 20%",
        "x",
        1.0,
        True,
        floor=(1.0, 0.9),
    ),
    "dask_client": Limit(
        "600 MB / --dask local:2 client peak RSS at 10^7 (quick: 3 x 10^5)",
        "MB",
        600.0,
        False,
        floor=(1.0, 1.0),
    ),
    "dask_flat": Limit(
        "1.2 x client peak RSS at 10^5 / at 10^7 (quick: 3 x 10^5)",
        "x",
        1.0,
        True,
        floor=(1.0, 0.9),
    ),
    "cache": Limit(
        "first sweep: cold process (empty numba cache) / warm process",
        "x",
        1.0,
        True,
        floor=(1.5, 1.2),
        target=None,
    ),
    "help": Limit(
        "4 x bare python / runoff --help",
        "x",
        HELP_TIMES,
        False,
        floor=(1.0, 1.0),
        target=1.0,
    ),
    "explain": Limit(
        "60 x bare python / runoff explain 2024-01-19 (warm)",
        "x",
        EXPLAIN_TIMES,
        False,
        floor=(1.0, 0.5),
        target=None,
    ),
}
"""Measurements against a reference value; ``floor`` guards regressions, ``target`` is the
issue's."""

KERNEL_ROWS = {"full": 20_000, "quick": 5_000}
"""Rows of the parity examples timed per kernel (per mode)."""


def kernel_ratios(n: int, seed: int = 5) -> dict[str, tuple[float, float]]:
    """Every entry of the parity table (:data:`engine.parity.PARITY`): the kernel and its
    plain-Python reference on the same example of ``n`` rows, checked equal, timed (best of 3
    after a warm-up). Returns name -> (reference seconds, kernel seconds)."""
    from engine.parity import PARITY, same

    out = {}
    for p in PARITY:
        args = p.example(np.random.default_rng(seed), n)
        p.kernel(*args)  # warm-up: compilation or the numba cache
        fast_s, fast = time_best(lambda p=p, args=args: p.kernel(*args), 3)
        slow_s, slow = time_best(lambda p=p, args=args: p.reference(*args), 1)
        if not same(fast, slow, p.exact):
            raise AssertionError(f"{p.name}: the kernel differs from its reference")
        out[p.name] = (slow_s, fast_s)
    return out


def time_best(fn: Callable[[], Any], rounds: int) -> tuple[float, Any]:
    """Best wall time of ``rounds`` calls and the last result."""
    best = math.inf
    out = None
    for _ in range(rounds):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out
