"""The fused sweep kernel: vectorbt-identical fills, kernel == reference, == the backtest.

Oracles, from the inside out:

* fills: :func:`engine.sweep.fills_nb.simulate_orders_nb` against the backtest's own vectorbt call
  (:func:`engine.backtest.simulate`, ``Portfolio.from_orders``) on random prices and plans;
* the fused pass: :func:`engine.sweep.nb.sweep_nb` against the per-combination reference
  (:func:`engine.sweep.reference.run_combo_ref`: allocation references, plain-Python fills,
  :func:`engine.metrics.compute_metrics`) on synthetic regimes, tables and overlays;
* the whole sweep on the bundled data: each combination's row against the vectorbt backtest of
  that combination over the sweep's window.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.allocation import table_cells
from engine.backtest import prepare, run_backtest, simulate
from engine.sweep import METRICS, run_sweep
from engine.sweep.fills_nb import simulate_orders_nb
from engine.sweep.nb import centered_ss_nb, sweep_nb
from engine.sweep.reference import run_combo_ref
from engine.sweep.run import plan_sweep, results_frame
from strategies import Overlay, Rebalance, expand_grid, load_strategy
from strategies.errors import GridError, StrategyError
from tests.engine.sweep.backtest_oracle import PARITY, backtest_metrics

# ---------------------------------------------------------------- fills == vectorbt


def _random_plan(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    close = 1000.0 * np.exp(np.cumsum(rng.normal(0.0003, 0.012, n)))
    cash = np.cumprod(1.0 + rng.uniform(0.0, 0.0002, n))
    target = np.full(n, np.nan)
    when = rng.random(n) < rng.uniform(0.05, 0.6)
    w = rng.uniform(0.0, 1.0, n)
    w[rng.random(n) < 0.2] = 1.0
    w[rng.random(n) < 0.1] = 0.0
    tiny = rng.random(n) < 0.15  # near-zero rebalances: vectorbt's tolerances decide
    w[tiny] = np.clip(0.5 + rng.choice([1e-13, 1e-10, 1e-7], tiny.sum()), 0, 1)
    target[when] = w[when]
    return close, cash, target


@pytest.mark.parametrize("seed", range(12))
def test_fills_equal_vectorbt(seed: int) -> None:
    """Value, positions and cash at every close equal vectorbt's from_orders (same bits)."""
    rng = np.random.default_rng(seed)
    n = 250
    close, cash_px, target = _random_plan(rng, n)
    fees = float(rng.choice([0.0, 0.0005, 0.01]))
    slip = float(rng.choice([0.0, 0.0002, 0.005]))
    days = pd.bdate_range("2001-01-02", periods=n)
    pf = simulate(days, close, cash_px, target, fees, slip)
    value, cash, pos, pos_c = simulate_orders_nb(
        close[:, None], cash_px, target[:, None], np.array([fees]), np.array([slip]), 1.0, 0.0
    )
    np.testing.assert_allclose(value, pf.value().to_numpy(), rtol=1e-13, atol=0)
    np.testing.assert_allclose(cash, pf.cash().to_numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(
        np.column_stack([pos[:, 0], pos_c]), pf.assets().to_numpy(), rtol=1e-12, atol=1e-18
    )


# ---------------------------------------------------------------- kernel == reference


def _runs(rng: np.random.Generator, n: int, k: int, n_codes: int) -> np.ndarray:
    out = np.empty((n, k), dtype=np.int64)
    for j in range(k):
        change = np.cumsum(rng.random(n) < 0.01)
        out[:, j] = rng.integers(0, n_codes, change[-1] + 1)[change]
    return out


@pytest.fixture(scope="module")
def synthetic() -> dict:
    """Random regimes (runs), tables, overlays (some NaN), costs, bands, lags, decisions."""
    rng = np.random.default_rng(7)
    n, k = 700, 30
    close = 1000.0 * np.exp(np.cumsum(rng.normal(0.0003, 0.012, n)))
    cash = np.cumprod(1.0 + rng.uniform(0.0, 0.0002, n))
    ret_i, ret_c = np.zeros(n), np.zeros(n)
    ret_i[1:] = close[1:] / close[:-1] - 1.0
    ret_c[1:] = cash[1:] / cash[:-1] - 1.0
    bs, nl, ph = _runs(rng, n, 3, 4), _runs(rng, n, 2, 4), _runs(rng, n, 4, 7)
    features = np.asfortranarray(rng.normal(0.0, 1.0, (n, 3)))
    features[:60, 0] = np.nan
    features[300:305, 2] = np.nan
    combo = {
        "b": rng.integers(0, 3, k),
        "m": rng.integers(0, 2, k),
        "p": rng.integers(0, 4, k),
        "lo": rng.choice([0.0, 0.2], k),
        "hi": rng.choice([0.8, 1.0], k),
        "band": rng.choice([0.0, 0.02, 0.1], k),
        "lag": rng.integers(1, 4, k),
        "fees": rng.choice([0.0, 0.0005, 0.002], k),
        "slip": rng.choice([0.0, 0.0003], k),
        "n_ov": rng.integers(0, 3, k),
    }
    raw = rng.choice([0.0, 0.3, 0.5, 0.9, 1.0], (k, 4, 4, 7))
    tables = np.clip(raw, combo["lo"][:, None, None, None], combo["hi"][:, None, None, None])
    decide = rng.random(n) < 0.5
    decide[:5] = True
    cells = {}
    code_idx = np.empty(k, dtype=np.int64)
    for j in range(k):
        key = (combo["b"][j], combo["m"][j], combo["p"][j])
        code_idx[j] = cells.setdefault(key, len(cells))
    codes = np.empty((n, len(cells)), dtype=np.int32, order="F")
    for (b, m, p), c in cells.items():
        per_family = np.column_stack([bs[:, b], nl[:, m], ph[:, p]])
        codes[:, c] = table_cells(per_family, (4, 4, 7))[:, 0]
    ov_feat = rng.integers(0, 3, (k, 2))
    ov_slope = rng.normal(0.0, 0.1, (k, 2))
    return dict(
        n=n,
        k=k,
        close=close,
        cash=cash,
        ret_c=ret_c,
        gross_i=1.0 + ret_i,
        gross_c=1.0 + ret_c,
        day_number=(11000 + np.arange(n) * 7 // 5).astype(np.int64),
        decide=decide,
        bs=bs,
        nl=nl,
        ph=ph,
        features=features,
        combo=combo,
        tables=tables,
        codes=codes,
        code_idx=code_idx,
        ov_feat=ov_feat,
        ov_slope=ov_slope,
        ov_center=np.array([0.1, -0.2]),
    )


def _kernel_args(
    s: dict, n_ov: int, first: int, last: int, returns_out: np.ndarray | None = None
) -> tuple:
    c = s["combo"]
    return (
        (s["close"],),
        s["cash"],
        (s["gross_i"],),
        s["gross_c"],
        s["ret_c"],
        s["day_number"],
        s["decide"],
        s["codes"],
        s["tables"].reshape(s["k"], -1, 1),
        s["features"],
        s["ov_center"][:n_ov],
        np.zeros(n_ov, np.int64),
        s["code_idx"],
        np.arange(s["k"]),
        np.ascontiguousarray(s["ov_feat"][:, :n_ov]),
        np.ascontiguousarray(s["ov_slope"][:, :n_ov]),
        c["lo"].astype(float)[:, None],
        c["hi"].astype(float)[:, None],
        c["band"].astype(float),
        c["lag"].astype(np.int64),
        c["fees"].astype(float)[:, None],
        c["slip"].astype(float)[:, None],
        first,
        last,
        1.0,
        0.0,
        np.empty((0, 0)) if returns_out is None else returns_out,
    )


def _reference(s: dict, j: int, n_ov: int, first: int, last: int):
    c = s["combo"]
    x = np.ascontiguousarray(s["features"][:, s["ov_feat"][j, :n_ov]])
    return run_combo_ref(
        s["close"][:, None],
        s["cash"],
        s["day_number"],
        s["decide"],
        s["tables"][j][..., None],
        np.column_stack([s["bs"][:, c["b"][j]], s["nl"][:, c["m"][j]], s["ph"][:, c["p"][j]]]),
        x,
        s["ov_slope"][j, :n_ov],
        s["ov_center"][:n_ov],
        lo=np.array([float(c["lo"][j])]),
        hi=np.array([float(c["hi"][j])]),
        band=float(c["band"][j]),
        lag=int(c["lag"][j]),
        fees=np.array([float(c["fees"][j])]),
        slippage=np.array([float(c["slip"][j])]),
        first=first,
        last=last,
    )


@pytest.mark.parametrize("n_ov", [0, 2])
@pytest.mark.parametrize("window", [(0, 699), (123, 540)])
def test_kernel_equals_reference(synthetic: dict, n_ov: int, window: tuple[int, int]) -> None:
    """Every metric of every combination equals the step-by-step reference."""
    first, last = window
    out = sweep_nb(*_kernel_args(synthetic, n_ov, first, last))
    for j in range(synthetic["k"]):
        ref = _reference(synthetic, j, n_ov, first, last).metrics
        want = np.array([ref[m] for m in METRICS])
        np.testing.assert_allclose(out[j], want, rtol=1e-9, atol=1e-14, err_msg=f"combination {j}")


def test_returns_variant_matches(synthetic: dict) -> None:
    """With a returns array, the kernel gives the same metrics and the reference's daily
    returns (NaN before each combination's window)."""
    rets = np.full((synthetic["k"], synthetic["n"]), np.nan)
    metrics = sweep_nb(*_kernel_args(synthetic, 2, 0, 699, rets))
    rets = rets.T
    np.testing.assert_array_equal(metrics, sweep_nb(*_kernel_args(synthetic, 2, 0, 699)))
    for j in (0, 5, 17):
        ref = _reference(synthetic, j, 2, 0, 699)
        np.testing.assert_allclose(rets[:, j], ref.returns, rtol=1e-12, atol=1e-15)


def test_blocks_do_not_change_results(synthetic: dict) -> None:
    """Combinations run side by side in blocks of LANES (grouped by band, padded at the end):
    a combination's metrics and returns are the same bits whatever shares its block."""
    args = _kernel_args(synthetic, 2, 0, 699)
    full = sweep_nb(*args)
    rng = np.random.default_rng(3)
    for size in (1, 7, 17):
        pick = rng.permutation(synthetic["k"])[:size]
        sub = list(args)
        for i in range(12, 22):  # per-combination arrays: code_idx .. slippage
            sub[i] = np.ascontiguousarray(args[i][pick])
        rets = np.full((size, synthetic["n"]), np.nan)
        sub[26] = rets
        np.testing.assert_array_equal(sweep_nb(*sub), full[pick], err_msg=f"{size} combinations")
        alone = np.full((1, synthetic["n"]), np.nan)
        sub1 = list(sub)
        for i in range(12, 22):
            sub1[i] = np.ascontiguousarray(sub[i][-1:])
        sub1[26] = alone
        sweep_nb(*sub1)
        np.testing.assert_array_equal(rets[-1], alone[0])


def test_overlay_target_is_not_fused() -> None:
    """The kernel may fuse multiply-adds in its metrics, never in targets: 0.5 + s * f is the
    separately rounded sum (0.7940303786842906; a fused multiply-add gives ...907), so with
    the band set to exactly |w - 0.5| no order replaces the first one, as in the reference."""
    n = 30
    s_, f_ = 0.2991908813788712, 0.982751804898607
    band = abs((0.5 + s_ * f_) - 0.5)
    feats = np.full((n, 1), f_, order="F")
    feats[0, 0] = 0.0  # day 0: no overlay, order 0.5 (due day 2 with lag 2)
    close, cash, dn = np.full(n, 100.0), np.ones(n), np.arange(n, dtype=np.int64)
    decide = np.ones(n, dtype=bool)
    table = np.full((4, 4, 7), 0.5)
    zeros = np.zeros((n, 3), dtype=np.int64)
    ref = run_combo_ref(
        close[:, None],
        cash,
        dn,
        decide,
        table[..., None],
        zeros,
        feats,
        np.array([s_]),
        np.zeros(1),
        lo=np.zeros(1),
        hi=np.ones(1),
        band=band,
        lag=2,
        fees=np.zeros(1),
        slippage=np.zeros(1),
        first=0,
        last=n - 1,
    )
    out = sweep_nb(
        (close,),
        cash,
        (np.ones(n),),
        np.ones(n),
        np.zeros(n),
        dn,
        decide,
        np.zeros((n, 1), dtype=np.int32, order="F"),
        table.reshape(1, -1, 1),
        feats,
        np.zeros(1),
        np.zeros(1, np.int64),
        np.zeros(1, np.int64),
        np.zeros(1, np.int64),
        np.zeros((1, 1), np.int64),
        np.array([[s_]]),
        np.zeros((1, 1)),
        np.ones((1, 1)),
        np.array([band]),
        np.array([2]),
        np.zeros((1, 1)),
        np.zeros((1, 1)),
        0,
        n - 1,
        1.0,
        0.0,
        np.empty((0, 0)),
    )[0]
    m = dict(zip(METRICS, out, strict=True))
    assert np.flatnonzero(np.isfinite(ref.plan)).tolist() == [2]
    assert m["n_rebalances"] == 1 and m["n_returns"] == n - 3


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-0.2, 0.2), min_size=2, max_size=300), st.floats(-1.0, 1.0))
def test_streaming_moments(x: list[float], shift: float) -> None:
    """Shifted sums give the sum of squared deviations (exactly 0 when shifted by the value
    of a constant series)."""
    a = np.asarray(x) + shift
    d = a - a[0]
    got = centered_ss_nb(float(d.sum()), float((d * d).sum()), len(a))
    want = float(np.sum((a - a.mean()) ** 2))
    assert got == pytest.approx(want, rel=1e-9, abs=1e-15)
    c = np.full(len(a), a[0])
    assert centered_ss_nb(float((c - c[0]).sum()), 0.0, len(c)) == 0.0


def test_degenerate_metrics() -> None:
    """Too short: NaN; all cash at 0%: Sharpe 0/0 = NaN, drawdown 0 so Calmar is +inf or NaN."""
    n = 40
    close = np.linspace(100.0, 140.0, n)  # a steady rise: never a drawdown
    cash = np.ones(n)
    g = np.ones(n)
    g[1:] = close[1:] / close[:-1]
    rc = np.zeros(n)
    codes = np.zeros((n, 1), dtype=np.int32, order="F")
    feats = np.empty((n, 0), order="F")

    def run(weight: float, first: int, last: int) -> np.ndarray:
        table = np.full((1, 1, 1), weight)  # a one-cell table, one leg
        return sweep_nb(
            (close,),
            cash,
            (g,),
            np.ones(n),
            rc,
            np.arange(n, dtype=np.int64),
            np.ones(n, dtype=bool),
            codes,
            table,
            feats,
            np.zeros(0),
            np.zeros(0, np.int64),
            np.zeros(1, np.int64),
            np.zeros(1, np.int64),
            np.zeros((1, 0), np.int64),
            np.zeros((1, 0)),
            np.zeros((1, 1)),
            np.ones((1, 1)),
            np.full(1, 0.05),
            np.ones(1, np.int64),
            np.zeros((1, 1)),
            np.zeros((1, 1)),
            first,
            last,
            1.0,
            0.0,
            np.empty((0, 0)),
        )[0]

    m = dict(zip(METRICS, run(1.0, 0, n - 1), strict=True))
    assert m["max_drawdown"] == 0.0 and m["calmar"] == math.inf and m["time_invested"] == 1.0
    m = dict(zip(METRICS, run(0.0, 0, n - 1), strict=True))  # all cash, 0% rate: flat value
    assert m["total_return"] == 0.0 and math.isnan(m["sharpe"]) and math.isnan(m["calmar"])
    assert m["exposure"] == 0.0 and m["time_invested"] == 0.0
    m = dict(zip(METRICS, run(1.0, 0, 2), strict=True))  # executes day 1: one return
    assert m["n_returns"] == 1 and all(math.isnan(m[k]) for k in PARITY)


# ---------------------------------------------------------------- sweep == backtest


PARITY_GRIDS = {
    "note_thesis": {
        "balance_sheet.window_weeks": [8, 26],
        "policy.sahm_threshold": [0.3, 0.5],
        "weights.qt": [0.25, 0.5, 0.75],
        "weights.recession": [0.0, 0.3],
        "weights.drain": [0.6, 0.9],
        "rebalance.band": [0.0, 0.05, 0.1],
        "costs.fees": [0.0005, 0.002],
        "costs.slippage": [0.0, 0.0005],
        "execution_lag": [1, 2],
    },
    "qt_aware": {
        "balance_sheet.contract_enter": [-0.06, -0.02],
        "weights.contraction": [0.0, 0.5, 0.9],
        "weights.plateau": [0.75, 1.0],
        "rebalance.band": [0.0, 0.1],
        "costs.fees": [0.0, 0.001],
        "costs.slippage": [0.0002, 0.001],
    },
    "net_liquidity_trend": {  # weekly decisions
        "net_liquidity.window_weeks": [4, 13],
        "net_liquidity.band_bn": [50.0, 250.0],
        "weights.down": [0.0, 0.5],
        "rebalance.band": [0.0, 0.05],
        "execution_lag": [1, 3],
    },
}
MONTHLY = {
    "weights.hiking": [0.4, 1.0],
    "weights.recession": [0.0, 0.3],
    "policy.y10_drop": [0.25, 0.75],
    "rebalance.band": [0.0, 0.05],
}


@pytest.fixture(scope="module")
def parity() -> list[tuple[dict, dict, str]]:
    """26 random combinations of four strategies (daily, weekly and monthly decisions): (sweep
    row, backtest metrics, label)."""
    out = []
    monthly = dataclasses.replace(load_strategy("yield_phase"), rebalance=Rebalance("M", 0.0))
    for base, grid, n in (
        (load_strategy("note_thesis"), PARITY_GRIDS["note_thesis"], 12),
        (load_strategy("qt_aware"), PARITY_GRIDS["qt_aware"], 6),
        (load_strategy("net_liquidity_trend"), PARITY_GRIDS["net_liquidity_trend"], 4),
        (monthly, MONTHLY, 4),
    ):
        g = expand_grid(base, grid, sample=n, seed=3)
        df = run_sweep(base, g)
        name = base.name
        cache: dict = {}
        for _, row in df.iterrows():
            s = g.strategy_at(int(row["combo"]))
            want = backtest_metrics(s, df.attrs["start"], df.attrs["end"], cache)
            out.append((row.to_dict(), want, f"{name} {g.combination(int(row['combo']))}"))
    return out


def test_sweep_equals_backtest(parity: list) -> None:
    """For 26 random combinations with fees, slippage, bands and lags: every metric of the
    sweep row equals the vectorbt backtest of that combination over the same window."""
    assert len(parity) >= 20
    for row, want, label in parity:
        for k in PARITY:
            assert row[k] == pytest.approx(want[k], rel=1e-9, abs=1e-12), f"{label}: {k}"
        assert row["n_rebalances"] == want["n_rebalances"], label
        assert row["n_returns"] == want["n_returns"], label


def test_sweep_row_equals_run_backtest() -> None:
    """The public backtest (run_backtest) of a combination gives the sweep's row."""
    grid = {"weights.contraction": [0.3], "rebalance.band": [0.02], "costs.slippage": [0.001]}
    g = expand_grid(load_strategy("qt_aware"), grid, include_sweep=False)
    df = run_sweep(g.strategy, g, start="2015-01-01", end="2020-12-31")
    assert len(df) == 1
    res = run_backtest(g.strategy_at(0), df.attrs["start"], df.attrs["end"])
    for k in PARITY:
        assert df[k].iloc[0] == pytest.approx(getattr(res.metrics, k), rel=1e-9), k
    assert df["n_rebalances"].iloc[0] == res.metrics.n_rebalances


def test_overlays_and_windowed_features_equal_backtest() -> None:
    """Overlays on a fixed feature and on a window-dependent one (bs_growth), slopes swept."""
    base = load_strategy("qt_aware")
    s = dataclasses.replace(
        base,
        overlays=(Overlay("y10_minus_y2", 0.1, 0.5), Overlay("bs_growth", -0.5, 0.0)),
        sweep={},
    )
    grid = {
        "balance_sheet.window_weeks": [8, 26],
        "overlays.0.slope": [0.0, 0.2],
        "overlays.1.slope": [-1.0, 1.0],
        "rebalance.band": [0.03],
    }
    df = run_sweep(s, grid, start="2008-01-01")
    g = expand_grid(s, grid)
    cache: dict = {}
    for _, row in df.iterrows():
        want = backtest_metrics(
            g.strategy_at(int(row["combo"])), df.attrs["start"], df.attrs["end"], cache
        )
        for k in PARITY:
            assert row[k] == pytest.approx(want[k], rel=1e-9, abs=1e-12), k


def test_window_is_common_and_minimal() -> None:
    """The sweep starts on the first day every combination's inputs are known: the latest of
    the combinations' own backtest starts."""
    g = expand_grid(
        load_strategy("qt_aware"), {"balance_sheet.window_weeks": [4, 26, 52]}, include_sweep=False
    )
    df = run_sweep(g.strategy, g, top=1)
    starts = [prepare(g.strategy_at(i)).data_start for i in range(g.size)]
    assert df.attrs["start"] == str(max(starts).date())


# ---------------------------------------------------------------- the Python API


@pytest.fixture(scope="module")
def qt_full() -> pd.DataFrame:
    return run_sweep("qt_aware")


def test_results_sorted_best_first(qt_full: pd.DataFrame) -> None:
    """One row per combination, sorted by the metric (NaN last); ascending for volatility."""
    assert len(qt_full) == expand_grid(load_strategy("qt_aware")).size
    assert qt_full["combo"].is_unique
    sh = qt_full["sharpe"].to_numpy()
    assert np.all(np.diff(sh[np.isfinite(sh)]) <= 0)
    plan = plan_sweep("qt_aware")
    metrics = qt_full.sort_values("combo")[list(METRICS)].to_numpy(dtype=float)
    vol = results_frame(plan.grid, metrics, "volatility", 5)
    assert len(vol) == 5 and np.all(np.diff(vol["volatility"]) >= 0)
    assert vol["volatility"].iloc[0] == qt_full["volatility"].min()


def test_chunks_and_samples_agree(qt_full: pd.DataFrame) -> None:
    """Chunk size does not change results; a sample's rows equal the full grid's rows."""
    small = run_sweep("qt_aware", chunk_size=7)
    pd.testing.assert_frame_equal(small, qt_full)
    sample = run_sweep("qt_aware", sample=40, seed=5)
    again = run_sweep("qt_aware", sample=40, seed=5)
    pd.testing.assert_frame_equal(sample, again)
    keys = list(load_strategy("qt_aware").sweep)
    merged = sample.merge(qt_full, on=keys, suffixes=("", "_full"))
    assert len(merged) == 40
    np.testing.assert_array_equal(merged["sharpe"], merged["sharpe_full"])


class _NoStore:
    """A store that fails the test if anything is loaded."""

    def __getattr__(self, name: str):
        raise AssertionError(f"data was loaded ({name}) before the grid was validated")


@pytest.mark.parametrize(
    "grid,kwargs,match",
    [
        ({"balance_sheet.window_wekes": [8]}, {}, "unknown sweep key"),
        ({"weights.contraction": []}, {}, "empty"),
        ({"balance_sheet.window_weeks": [8.5]}, {}, "expected an integer"),
        ({"weights.contraction": ["high"]}, {}, "expected a number"),
        (
            {
                "weights.contraction": list(np.linspace(0, 1, 1000)),
                "weights.plateau": list(np.linspace(0, 1, 1000)),
                "rebalance.band": list(np.linspace(0, 0.99, 1000)),
            },
            {},
            "sample it",
        ),
        (None, {"metric": "shrape"}, "unknown metric"),
        (None, {"top": 0}, "positive integer"),
    ],
)
def test_bad_grids_fail_before_work(grid, kwargs, match) -> None:
    with pytest.raises(GridError, match=match):
        run_sweep("qt_aware", grid, store=_NoStore(), **kwargs)


def test_unknown_strategy_fails_before_work() -> None:
    with pytest.raises(StrategyError, match="qt_awar"):
        run_sweep("qt_awar", store=_NoStore())
