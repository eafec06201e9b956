"""One parity table: every kernel with its plain-Python reference, an independent oracle and the
inputs to run them on.

Each ``*_nb`` kernel is the ``*_ref`` loop compiled by numba (the house pattern: the same
statements, so kernel == reference checks the compilation), and the oracle reaches the same
outputs another way (a pandas expression, NumPy fancy indexing, a closed form, vectorbt), so
reference == oracle checks the rule. The table drives ``tests/engine/test_parity.py`` (kernel
== reference on the examples, bit for bit; reference == oracle) and the kernel row of the
benchmark suite (``benchmarks/cases.py``: the reference's time over the kernel's). The
rule-by-rule scenarios live in the tests of each package; the fused sweep kernel is held to
its reference (:func:`engine.sweep.reference.run_combo_ref`) by its own tests and benchmark
case.

A regime family with its own kernel lists its entries in its engine module
(:mod:`engine.regimes.families`) as ``PARITY``, a tuple of :class:`Parity` keyword
arguments; :data:`PARITY` collects them from every family of the registry.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.allocation_nb import (
    STATUS_EXECUTED,
    STATUS_NONE,
    STATUS_PENDING,
    STATUS_REPLACED,
    cell_codes_nb,
    cell_codes_ref,
    plan_orders_nb,
    plan_orders_ref,
    target_weights_nb,
    target_weights_ref,
)
from engine.regimes import nb, reference
from engine.regimes.reference import (
    BS_CONTRACTION,
    BS_EXPANSION,
    BS_PLATEAU,
    BS_UNKNOWN,
    NL_DOWN,
    NL_FLAT,
    NL_UNKNOWN,
    NL_UP,
)
from engine.sweep.fills_nb import simulate_orders_nb
from engine.sweep.nb import stable_order_nb, stable_order_ref
from engine.sweep.reduce_nb import STEP, refine_nb, refine_ref
from engine.sweep.reference import simulate_orders_ref
from strategies.families import FAMILIES

Example = Callable[[np.random.Generator, int], tuple]
"""``example(rng, n)``: positional arguments of one call on ``n`` rows (random but valid)."""


@dataclass(frozen=True)
class Parity:
    """One kernel, its reference and its oracle.

    Attributes
    ----------
    name : the kernel's name without ``_nb``.
    kernel, reference : the compiled kernel and the plain-Python loop it compiles.
    example : inputs to run both on (see :data:`Example`).
    oracle : an independent implementation with the same arguments and outputs, or None when
        the rules are checked scenario by scenario (the policy phase).
    oracle_example : inputs on which the oracle holds, when narrower than ``example`` (a
        classification oracle needs the machine without hysteresis); default ``example``.
    exact : kernel and reference agree bit for bit (else within 1e-12 relative).
    """

    name: str
    kernel: Callable
    reference: Callable
    example: Example
    oracle: Callable | None = None
    oracle_example: Example | None = None
    exact: bool = True


def as_tuple(out: Any) -> tuple:
    """A kernel's output as a tuple of arrays (one array for single-output kernels)."""
    return tuple(out) if isinstance(out, tuple) else (out,)


def same(a: Any, b: Any, exact: bool = True) -> bool:
    """Outputs equal: same dtype and values (NaN == NaN), bit for bit or within 1e-12."""
    for x, y in zip(as_tuple(a), as_tuple(b), strict=True):
        x, y = np.asarray(x), np.asarray(y)
        if x.shape != y.shape or (exact and x.dtype != y.dtype):
            return False
        ok = np.array_equal(x, y, equal_nan=x.dtype.kind == "f")
        if not ok and not exact:
            ok = np.allclose(x, y, rtol=1e-12, atol=1e-15, equal_nan=True)
        if not ok:
            return False
    return True


# ---------------------------------------------------------------- inputs


def with_gaps(rng: np.random.Generator, x: np.ndarray, p_nan: float) -> np.ndarray:
    """``x`` with NaN rows (unknown inputs), about ``p_nan`` of them."""
    x = np.array(x, dtype=np.float64)
    x[rng.random(len(x)) < p_nan] = np.nan
    return x


def growth_series(rng: np.random.Generator, n: int) -> np.ndarray:
    """Annualised growth that crosses every usual threshold, with NaN gaps."""
    g = 0.12 * np.sin(np.arange(n) / rng.uniform(2.0, 12.0)) + rng.normal(0, 0.03, n)
    return with_gaps(rng, g, 0.1)


def policy_inputs(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    """A random policy path (hikes, holds, cuts), 10y, Sahm rule and calendar days."""
    steps = rng.choice([0.0] * 12 + [0.25, 0.25, 0.5, -0.25, -0.25, -0.5, -1.0], n)
    upper = with_gaps(rng, np.round(3.0 + np.cumsum(steps), 2), 0.05)
    lower = upper - rng.choice([0.0, 0.25])
    y10 = with_gaps(rng, 3.0 + np.cumsum(rng.normal(0, 0.15, n)), 0.05)
    sahm = np.clip(np.cumsum(rng.normal(0, 0.1, n)), -0.5, 3.0)
    day = (np.cumsum(rng.integers(1, 5, n)) + 10_000).astype(np.int64)
    return upper, lower, y10, sahm, day


def _bs_example(rng: np.random.Generator, n: int) -> tuple:
    lo2, lo1, hi1, hi2 = np.sort(rng.choice([-0.1, -0.04, -0.02, -0.01, 0.0, 0.02, 0.05], 4))
    return growth_series(rng, n), hi2, hi1, lo2, lo1, int(rng.integers(0, 10))


def _bs_bands_example(rng: np.random.Generator, n: int) -> tuple:
    enter = float(rng.choice([0.0, 0.02, 0.05]))
    exit_ = enter - float(rng.choice([0.01, 0.05]))
    return growth_series(rng, n), enter, enter, exit_, exit_, 0


def _nl_example(rng: np.random.Generator, n: int) -> tuple:
    return with_gaps(rng, rng.normal(0, 200, n).round(-1), 0.2), float(rng.choice([0, 50, 150]))


def _phase_example(rng: np.random.Generator, n: int) -> tuple:
    return (
        *policy_inputs(rng, n),
        int(rng.integers(1, 40)),
        int(rng.integers(1, 80)),
        float(rng.choice([0.1, 0.25, 0.5, 1.0])),
        bool(rng.integers(0, 2)),
        float(rng.choice([0.3, 0.5, 0.6])),
        int(rng.integers(0, 30)),
        float(rng.choice([25.0, 100.0, 150.0])),
        int(rng.integers(1, 60)),
    )


def _cycle_high_example(rng: np.random.Generator, n: int) -> tuple:
    return policy_inputs(rng, n)[:3]


SHAPE = tuple(f.size for f in FAMILIES[:3])
"""Table shape of the allocation examples (a strategy using the first three families)."""


def _cells_example(rng: np.random.Generator, n: int) -> tuple:
    """Codes of several parameter sets per family side by side, and the sets to combine."""
    per_family = [int(rng.integers(1, 4)) for _ in SHAPE]
    blocks = [rng.integers(0, s, (n, w)) for s, w in zip(SHAPE, per_family, strict=True)]
    codes = np.asfortranarray(np.concatenate(blocks, axis=1).astype(np.int8))
    starts = np.cumsum([0, *per_family[:-1]])
    sets = np.column_stack([rng.integers(0, w, 5) for w in per_family]) + starts
    return codes, sets.astype(np.int64), np.array(SHAPE, dtype=np.int64)


def _legs(rng: np.random.Generator) -> int:
    """A number of risky legs, 1 to 4 (the one-leg case half of the time)."""
    return int(rng.choice([1, 1, 2, 3, 4]))


def _weights_example(rng: np.random.Generator, n: int) -> tuple:
    k = int(rng.integers(0, 3))
    n_legs = _legs(rng)
    x = with_gaps(rng, rng.normal(0, 2, (n, k)).ravel(), 0.05).reshape(n, k)
    cells = np.ascontiguousarray(cell_codes_nb(*_cells_example(rng, n))[:, 0])
    table = rng.uniform(0, 1, (int(np.prod(SHAPE)), n_legs)) / rng.choice([1.0, n_legs])
    lo = rng.uniform(0, 0.2, n_legs) * (rng.random(n_legs) < 0.5)
    hi = np.maximum(lo, rng.uniform(0.5, 1.0, n_legs))
    ov_leg = rng.integers(0, n_legs, k).astype(np.int64)
    return table, cells, x, rng.normal(0, 0.3, k), rng.normal(0, 1, k), ov_leg, lo, hi


def _plan_example(rng: np.random.Generator, n: int) -> tuple:
    n_legs = _legs(rng)
    w = np.round(rng.uniform(0, 1, (n, n_legs)) * 4) / (4 * n_legs)
    w[rng.random(n) < 0.1] = np.nan
    dec = rng.uniform(size=n) < rng.choice([0.3, 1.0])
    re = rng.normal(0.0003, 0.012, (n, n_legs))
    rc = np.abs(rng.normal(0.0001, 0.00005, n))
    if n:
        re[0] = rc[0] = 0.0
    return w, dec, re, rc, float(rng.choice([0.0, 0.02, 0.1])), int(rng.integers(1, 4))


def _fills_example(rng: np.random.Generator, n: int) -> tuple:
    n_legs = _legs(rng)
    closes = 1000.0 * np.exp(np.cumsum(rng.normal(0.0003, 0.012, (n, n_legs)), axis=0))
    cash = np.cumprod(1.0 + rng.uniform(0.0, 0.0002, n))
    w = rng.uniform(0.0, 1.0, (n, n_legs)) / n_legs
    w[rng.random(n) < 0.2] = 1.0 / n_legs
    w[rng.random(n) < 0.1] = 0.0
    tiny = rng.random(n) < 0.15  # near-zero rebalances: vectorbt's tolerances decide
    w[tiny] = np.clip(0.5 / n_legs + rng.choice([1e-13, 1e-10, 1e-7], (tiny.sum(), 1)), 0, 1)
    target = np.where((rng.random(n) < rng.uniform(0.05, 0.6))[:, None], w, np.nan)
    fees = rng.choice([0.0, 0.0005, 0.01], n_legs)
    slip = rng.choice([0.0, 0.0002, 0.005], n_legs)
    return closes, cash, target, fees, slip, 1.0, 0.0


# ---------------------------------------------------------------- oracles


_REFINE_SHAPE = (3, 4, 2)
_REFINE_LAYOUT = (  # grouping x, y, width: each key's values, then the pair (key 0, key 1)
    np.array([0, 1, 2, 0], dtype=np.int64),
    np.array([-1, -1, -1, 1], dtype=np.int64),
    np.array([3, 4, 2, 3], dtype=np.int64),
)


def _order_keys(x: np.ndarray) -> np.ndarray:
    u = np.ascontiguousarray(x, dtype=np.float64).view(np.uint64)
    return np.where(u >= np.uint64(1 << 63), ~u, u | np.uint64(1 << 63))


def _refine_example(rng: np.random.Generator, n: int) -> tuple:
    """Rows of a 3 x 4 x 2 grid with a metric (ties, NaN, signed zeros), and targets with
    prefixes taken from rows of their group (so they match), of every width and kind."""
    gx, gy, gwidth = _REFINE_LAYOUT
    gstart = np.cumsum([0, *(gwidth * np.where(gy < 0, 1, 4))]).astype(np.int64)
    idx = np.column_stack([rng.integers(0, s, n) for s in _REFINE_SHAPE]).astype(np.uint8)
    values = rng.normal(0.5, 0.3, n)
    values[rng.random(n) < 0.3] = 0.5  # ties
    values = with_gaps(rng, values, 0.1)
    values[rng.random(n) < 0.05] = -0.0
    keys = _order_keys(values)
    gids = gstart[:-1] + idx[:, gx] + np.where(gy < 0, 0, idx[:, np.maximum(gy, 0)] * gwidth)
    n_groups = int(gstart[-1])
    first = np.full(n_groups, -1, dtype=np.int64)
    second = np.full(n_groups, -1, dtype=np.int64)
    shift: list[int] = []
    prefix: list[int] = []
    step: list[int] = []
    collect: list[bool] = []
    for g in range(n_groups):
        members = np.flatnonzero((gids == g).any(axis=1))
        for table in (first, second):
            if rng.random() < 0.3 or len(members) == 0:
                break
            bits = int(rng.choice([12, 20, 28, 60, 64]))
            row = int(rng.choice(members))
            table[g] = len(shift)
            shift.append(64 - bits)
            prefix.append(int(keys[row]) >> (64 - bits) if bits < 64 else int(keys[row]))
            step.append(min(STEP, 64 - bits))
            collect.append(bool(rng.random() < 0.5) or bits == 64)
    return (
        idx,
        gx,
        gy,
        gstart,
        gwidth,
        keys,
        ~np.isnan(values),
        first,
        second,
        np.array(shift, dtype=np.uint64),
        np.array(prefix, dtype=np.uint64),
        np.array(step, dtype=np.uint64),
        np.array(collect, dtype=np.bool_),
    )


def held(labels: np.ndarray, valid: np.ndarray, unknown: int) -> np.ndarray:
    """Labels where ``valid``, carried forward over invalid rows, ``unknown`` before the first
    valid row: the NaN rule every regime kernel follows, as a pandas expression."""
    s = pd.Series(np.where(valid, labels, np.nan).astype(float))
    return s.ffill().fillna(unknown).to_numpy(dtype=np.int8)


def balance_sheet_bands(
    growth: np.ndarray, expand_enter: float, expand_exit: float, contract_enter: float, *_: Any
) -> np.ndarray:
    """Oracle of the balance-sheet machine without hysteresis or dwell (exit == enter, dwell
    0): each valid day's band of the growth."""
    g = pd.Series(growth)
    band = np.select(
        [g >= expand_enter, g <= contract_enter], [BS_EXPANSION, BS_CONTRACTION], BS_PLATEAU
    )
    return held(band, g.notna().to_numpy(), BS_UNKNOWN)


def net_liquidity_bands(change_bn: np.ndarray, band_bn: float) -> np.ndarray:
    """Oracle of the net-liquidity trend: the dead band as np.select, NaN rows carried."""
    c = pd.Series(change_bn)
    lab = np.select([c > band_bn, c < -band_bn], [NL_UP, NL_DOWN], NL_FLAT)
    return held(lab, c.notna().to_numpy(), NL_UNKNOWN)


def cycle_high_pandas(upper: np.ndarray, lower: np.ndarray, y10: np.ndarray) -> np.ndarray:
    """Oracle of the 10y cycle high: running max of the 10y since the first hike after a cut
    (or the first change seen), by pandas groupby over cycles."""
    mid = pd.Series((upper + lower) / 2).ffill()
    d = mid.diff()
    direction = pd.Series(np.select([d > 1e-9, d < -1e-9], [1, -1], 0))
    prev_dir = direction.replace(0, np.nan).ffill().shift(1).fillna(0)
    start = (direction == 1) & (prev_dir != 1)
    cycle = start.cumsum()
    high = pd.Series(y10).groupby(cycle).cummax().groupby(cycle).ffill()  # a NaN 10y keeps it
    return high.where(cycle > 0).to_numpy()


def cells_ravel(codes: np.ndarray, columns: np.ndarray, shape: np.ndarray) -> np.ndarray:
    """Oracle of the table cells: ``np.ravel_multi_index`` (C order) of each set's columns."""
    out = np.zeros((len(codes), len(columns)), dtype=np.int32, order="F")
    for u, cols in enumerate(columns):
        if len(cols):
            out[:, u] = np.ravel_multi_index(tuple(codes[:, cols].T), tuple(shape))
    return out


def weights_matrix(
    table: np.ndarray,
    cells: np.ndarray,
    x: np.ndarray,
    slopes: np.ndarray,
    centers: np.ndarray,
    overlay_leg: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> np.ndarray:
    """Oracle of the target weights: fancy indexing + a one-hot matrix product per leg, then
    np.clip, then rows above 1 divided by their sum; a NaN anywhere in a row: a NaN row."""
    onehot = np.zeros((len(slopes), table.shape[1]))
    onehot[np.arange(len(slopes)), overlay_leg] = 1.0
    w = table[cells] + ((x - centers) * slopes) @ onehot
    w = np.clip(w, lo, hi)
    total = w.sum(axis=1, keepdims=True)
    w = np.divide(w, total, out=w.copy(), where=total > 1.0)
    return np.where(np.isnan(w).any(axis=1, keepdims=True), np.nan, w)


def plan_oracle(
    target: np.ndarray,
    is_decision: np.ndarray,
    re: np.ndarray,
    rc: np.ndarray,
    band: float,
    lag: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Oracle of the order plan: the drifted weights in closed form from cumulative growth since
    the last execution, orders kept in a dict {execution day: (weights, decision day)}."""
    n, n_legs = target.shape
    order_weight = np.full((n, n_legs), np.nan)
    drift = np.full((n, n_legs), np.nan)
    status = {}
    pending: dict[int, tuple[np.ndarray, int]] = {}
    last_w: np.ndarray | None = None
    last_t = 0
    growth_e = np.cumprod(1 + np.asarray(re), axis=0)
    growth_c = np.cumprod(1 + np.asarray(rc))
    for t in range(n):
        if t in pending:
            w, src = pending.pop(t)
            order_weight[t] = w
            status[src] = "executed"
            last_w, last_t = w, t
        if last_w is not None:
            ge = growth_e[t] / growth_e[last_t]
            gc = growth_c[t] / growth_c[last_t]
            held = last_w * ge
            d = held / (held.sum() + (1 - last_w.sum()) * gc)
        else:
            d = np.full(n_legs, np.nan)
        if is_decision[t] and not np.isnan(target[t]).any():
            ref = next(iter(pending.values()))[0] if pending else d
            if (last_w is None and not pending) or np.max(np.abs(target[t] - ref)) > band:
                for src in [s for _, s in pending.values()]:
                    status[src] = "replaced"
                pending = {t + lag: (target[t].copy(), t)}
        drift[t] = d
    for _, src in pending.values():
        status[src] = "pending"
    codes = {"executed": STATUS_EXECUTED, "replaced": STATUS_REPLACED, "pending": STATUS_PENDING}
    st_arr = np.full(n, STATUS_NONE, dtype=np.int8)
    for k, v in status.items():
        st_arr[k] = codes[v]
    return order_weight, drift, st_arr


def refine_numpy(
    idx: np.ndarray,
    gx: np.ndarray,
    gy: np.ndarray,
    gstart: np.ndarray,
    gwidth: np.ndarray,
    keys: np.ndarray,
    ok: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    shift: np.ndarray,
    prefix: np.ndarray,
    step: np.ndarray,
    collect: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """The refinement pass with NumPy fancy indexing: every (row, grouping) pair's group and
    targets at once, a bincount for the histogram, a stable sort for the collected keys."""
    n_t = len(shift)
    per = 1 << STEP
    idx = idx.astype(np.int64)
    gids = gstart[:-1] + idx[:, gx] + np.where(gy < 0, 0, idx[:, np.maximum(gy, 0)] * gwidth)
    gids, rows = gids[ok].ravel(), np.repeat(np.flatnonzero(ok), len(gx))
    hist = np.zeros(n_t * per, dtype=np.int64)
    lo = np.full(n_t, np.iinfo(np.uint64).max, dtype=np.uint64)
    hi = np.zeros(n_t, dtype=np.uint64)
    got_t, got_r = [], []
    for table in (first, second):
        t = table[gids] if len(gids) else np.zeros(0, dtype=np.int64)
        m = t >= 0
        t, r = t[m], rows[m]
        key = keys[r]
        m = (key >> shift[t]) == prefix[t]
        t, r, key = t[m], r[m], key[m]
        c = collect[t]
        got_t.append(t[c])
        got_r.append(r[c])
        th, kh = t[~c], key[~c]
        digit = (kh >> (shift[th] - step[th])) & ((np.uint64(1) << step[th]) - np.uint64(1))
        hist += np.bincount(th * per + digit.astype(np.int64), minlength=n_t * per)
        np.minimum.at(lo, th, kh)
        np.maximum.at(hi, th, kh)
    t, r = np.concatenate(got_t), np.concatenate(got_r)
    order = np.lexsort((r, t))
    offsets = np.zeros(n_t + 1, dtype=np.int64)
    np.cumsum(np.bincount(t, minlength=n_t), out=offsets[1:])
    return hist, lo, hi, offsets, keys[r[order]]


def fills_vectorbt(
    closes: np.ndarray,
    close_c: np.ndarray,
    target: np.ndarray,
    fees: np.ndarray,
    slippage: np.ndarray,
    init_cash: float,
    min_size: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Oracle of the fills: the backtest's own vectorbt ``Portfolio.from_orders`` call
    (:func:`engine.backtest.simulate`) over the legs and the cash asset."""
    from engine.backtest import simulate

    days = pd.bdate_range("2001-01-02", periods=len(closes))
    pf = simulate(days, closes, close_c, target, fees, slippage, init_cash)
    assets = pf.assets().to_numpy()
    return pf.value().to_numpy(), pf.cash().to_numpy(), assets[:, :-1], assets[:, -1]


def _order_example(rng: np.random.Generator, n: int) -> tuple:
    """Keys with many ties (a sweep's no-trade bands), in random order."""
    return (rng.choice(np.array([0.0, 0.02, 0.05, 0.1, 0.25]), size=n),)


def order_argsort(keys: np.ndarray) -> np.ndarray:
    """Oracle of the block order: NumPy's stable argsort."""
    return np.argsort(keys, kind="stable").astype(np.int64)


# ---------------------------------------------------------------- the table

_CORE: tuple[Parity, ...] = (
    Parity(
        "cell_codes",
        cell_codes_nb,
        cell_codes_ref,
        _cells_example,
        oracle=cells_ravel,
    ),
    Parity(
        "target_weights",
        target_weights_nb,
        target_weights_ref,
        _weights_example,
        oracle=weights_matrix,
    ),
    Parity("plan_orders", plan_orders_nb, plan_orders_ref, _plan_example, oracle=plan_oracle),
    Parity("refine", refine_nb, refine_ref, _refine_example, oracle=refine_numpy),
    Parity(
        "simulate_orders",
        simulate_orders_nb,
        simulate_orders_ref,
        _fills_example,
        oracle=fills_vectorbt,
        exact=False,
    ),
    Parity(
        "balance_sheet",
        nb.balance_sheet_nb,
        reference.balance_sheet_ref,
        _bs_example,
        oracle=balance_sheet_bands,
        oracle_example=_bs_bands_example,
    ),
    Parity(
        "net_liquidity",
        nb.net_liquidity_nb,
        reference.net_liquidity_ref,
        _nl_example,
        oracle=net_liquidity_bands,
    ),
    Parity(
        "cycle_high",
        nb.cycle_high_nb,
        reference.cycle_high_ref,
        _cycle_high_example,
        oracle=cycle_high_pandas,
    ),
    Parity("stable_order", stable_order_nb, stable_order_ref, _order_example, oracle=order_argsort),
    Parity("phase", nb.phase_nb, reference.phase_ref, _phase_example),
    Parity("phase_trace", nb.phase_trace_nb, reference.phase_trace_ref, _phase_example),
)


def _family_entries() -> tuple[Parity, ...]:
    """The entries the families' engine modules declare: their ``PARITY``, a tuple of keyword
    arguments of :class:`Parity` (plain dicts, so those modules need not import this one)."""
    out: list[Parity] = []
    for f in FAMILIES:
        module = importlib.import_module(f.engine)
        out.extend(Parity(**entry) for entry in getattr(module, "PARITY", ()))
    return tuple(out)


PARITY: tuple[Parity, ...] = _CORE + _family_entries()
"""Every kernel of the allocation, fills and regime modules with its reference and oracle."""


def parity(name: str) -> Parity:
    """The entry of kernel ``name`` (without ``_nb``)."""
    for p in PARITY:
        if p.name == name:
            return p
    raise KeyError(f"no parity entry {name!r}; entries: {', '.join(p.name for p in PARITY)}")
