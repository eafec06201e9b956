"""The fused sweep with several risky legs (issue 10): kernel == reference for 2 to 4 legs, the
two fill paths agree bit for bit on one leg, and on the bundled data every row of a three-leg
sweep (equity, 10-year Treasuries, cash) equals the vectorbt backtest of its combination."""

from __future__ import annotations

import numpy as np
import pytest

from engine.sweep import METRICS, run_sweep
from engine.sweep.fills_nb import rebalance_legs_nb, rebalance_nb
from engine.sweep.nb import sweep_nb
from engine.sweep.reference import run_combo_ref
from strategies import expand_grid, parse_strategy
from tests.engine.sweep.backtest_oracle import PARITY, backtest_metrics

# ---------------------------------------------------------------- kernel == reference


def _legs_case(seed: int, n_legs: int) -> dict:
    """Random closes per leg, regime runs, tables with a weight per leg, per-leg bounds and
    costs, overlays moving different legs, bands, lags."""
    rng = np.random.default_rng(seed)
    n, k, cells = 500, 24, 6
    closes = 100.0 * np.exp(np.cumsum(rng.normal(0.0002, 0.01, (n, n_legs)), axis=0))
    cash = np.cumprod(1.0 + rng.uniform(0.0, 0.0002, n))
    change = np.cumsum(rng.random(n) < 0.02)
    codes = rng.integers(0, cells, change[-1] + 1)[change]
    tables = rng.choice([0.0, 0.1, 0.25, 0.4, 0.6], (k, cells, n_legs))
    lo = rng.choice([0.0, 0.05], (k, n_legs))
    hi = rng.choice([0.5, 0.8, 1.0], (k, n_legs))
    features = np.asfortranarray(rng.normal(0.0, 1.0, (n, 2)))
    features[:40, 1] = np.nan
    return dict(
        n=n,
        k=k,
        n_legs=n_legs,
        closes=closes,
        cash=cash,
        codes=codes,
        tables=tables,
        lo=lo,
        hi=hi,
        band=rng.choice([0.0, 0.02, 0.08], k),
        lag=rng.integers(1, 4, k),
        fees=rng.choice([0.0, 0.0005, 0.002], (k, n_legs)),
        slip=rng.choice([0.0, 0.0003], (k, n_legs)),
        features=features,
        ov_feat=rng.integers(0, 2, (k, 2)),
        ov_slope=rng.normal(0.0, 0.1, (k, 2)),
        ov_leg=np.array([0, n_legs - 1], dtype=np.int64),
        ov_center=np.array([0.2, -0.1]),
        decide=rng.random(n) < 0.6,
        day_number=(12000 + np.arange(n) * 7 // 5).astype(np.int64),
    )


def _sweep(c: dict, first: int, last: int) -> np.ndarray:
    closes = tuple(np.ascontiguousarray(c["closes"][:, j]) for j in range(c["n_legs"]))
    gross = tuple(np.r_[1.0, x[1:] / x[:-1]] for x in closes)
    rc = np.r_[0.0, c["cash"][1:] / c["cash"][:-1] - 1.0]
    return sweep_nb(
        closes,
        c["cash"],
        gross,
        1.0 + rc,
        rc,
        c["day_number"],
        c["decide"],
        np.asfortranarray(c["codes"].astype(np.int32)[:, None]),
        c["tables"],
        c["features"],
        c["ov_center"],
        c["ov_leg"],
        np.zeros(c["k"], np.int64),
        np.arange(c["k"]),
        np.ascontiguousarray(c["ov_feat"]),
        np.ascontiguousarray(c["ov_slope"]),
        c["lo"],
        c["hi"],
        c["band"].astype(float),
        c["lag"].astype(np.int64),
        c["fees"],
        c["slip"],
        first,
        last,
        1.0,
        0.0,
        np.empty((0, 0)),
    )


@pytest.mark.parametrize("n_legs", [2, 3, 4])
@pytest.mark.parametrize("window", [(0, 499), (77, 420)])
def test_kernel_equals_reference_with_legs(n_legs: int, window: tuple[int, int]) -> None:
    c = _legs_case(n_legs, n_legs)
    first, last = window
    out = _sweep(c, first, last)
    for j in range(c["k"]):
        ref = run_combo_ref(
            c["closes"],
            c["cash"],
            c["day_number"],
            c["decide"],
            c["tables"][j],
            c["codes"][:, None],
            np.ascontiguousarray(c["features"][:, c["ov_feat"][j]]),
            c["ov_slope"][j],
            c["ov_center"],
            overlay_leg=c["ov_leg"],
            lo=c["lo"][j],
            hi=c["hi"][j],
            band=float(c["band"][j]),
            lag=int(c["lag"][j]),
            fees=c["fees"][j],
            slippage=c["slip"][j],
            first=first,
            last=last,
        ).metrics
        want = np.array([ref[m] for m in METRICS])
        np.testing.assert_allclose(out[j], want, rtol=1e-9, atol=1e-14, err_msg=f"combo {j}")
    assert (out[:, METRICS.index("n_rebalances")] > 3).all()


@pytest.mark.parametrize("seed", range(6))
def test_one_leg_fill_paths_are_the_same_bits(seed: int) -> None:
    """The sweep's scalar one-leg fills and the N-leg fills with one leg: same bits."""
    rng = np.random.default_rng(seed)
    ov, seq, traded = np.empty(2), np.empty(2, np.int64), np.empty(1)
    for _ in range(300):
        cash = float(rng.choice([0.0, 1e-13, rng.uniform(0, 2)]))
        pos = float(rng.choice([0.0, rng.uniform(0, 0.02)]))
        pos_c = float(rng.choice([0.0, rng.uniform(0, 2)]))
        p, p_c = rng.uniform(50, 150), rng.uniform(0.9, 1.1)
        w = float(rng.choice([0.0, 1.0, rng.uniform(), 0.5 + 1e-12]))
        fees, slip = float(rng.choice([0.0, 0.001])), float(rng.choice([0.0, 0.0005]))
        a = rebalance_nb(cash, pos, pos_c, p, p_c, w, fees, slip, 0.0)
        pos_arr = np.array([pos])
        b = rebalance_legs_nb(
            cash,
            pos_arr,
            pos_c,
            np.array([p]),
            p_c,
            np.array([w]),
            np.array([fees]),
            np.array([slip]),
            0.0,
            ov,
            seq,
            traded,
        )
        assert (a[0], a[1], a[2], a[3], a[4]) == (b[0], pos_arr[0], b[1], traded[0], b[2])


# ---------------------------------------------------------------- sweep == vectorbt backtest

THREE = {
    "name": "three_legs_sweep",
    "assets": {"equity": "SP500TR", "treasury": "UST10Y"},
    "allocation": {
        "default": 1.0,
        "bounds": {"treasury": [0.0, 0.7]},
        "rules": [
            {"name": "hiking", "phase": "HIKING", "weight": 0.6},
            {
                "name": "first_half",
                "phase": "FIRST_HALF",
                "weights": {"equity": 0.4, "treasury": 0.5},
            },
            {
                "name": "recession",
                "phase": "CUTTING_RECESSION",
                "weights": {"equity": 0.1, "treasury": 0.6},
            },
            {"name": "qt", "balance_sheet": "CONTRACTION", "weight": 0.5},
        ],
    },
    "overlays": [{"feature": "y10_minus_y2", "slope": 0.05, "role": "treasury"}],
    "rebalance": {"frequency": "D", "band": 0.03},
    "costs": {"fees": {"equity": 0.0005, "treasury": 0.0002}, "slippage": 0.0002},
}

GRID = {
    "balance_sheet.window_weeks": [8, 26],
    "policy.y10_drop": [0.25, 0.75],
    "weights.hiking": [0.4, 0.8],
    "weights.first_half": [0.2, 0.4],
    "weights.first_half.treasury": [0.3, 0.6],
    "weights.recession.treasury": [0.4, 0.7],
    "default_weight.treasury": [0.0, 0.2],
    "default_weight": [0.7, 0.8],
    "max_weight.treasury": [0.7, 1.0],
    "overlays.0.slope": [0.0, 0.1],
    "rebalance.band": [0.0, 0.03, 0.1],
    "costs.fees": [0.0, 0.001],
    "costs.fees.treasury": [0.0001, 0.0005],
    "costs.slippage": [0.0, 0.0005],
    "execution_lag": [1, 2],
}


@pytest.fixture(scope="module")
def three_leg_rows() -> list[tuple[dict, dict, str]]:
    base = parse_strategy(THREE, "test:three_legs_sweep")
    g = expand_grid(base, GRID, sample=24, seed=10)
    df = run_sweep(base, g)
    cache: dict = {}
    out = []
    for _, row in df.iterrows():
        s = g.strategy_at(int(row["combo"]))
        want = backtest_metrics(s, df.attrs["start"], df.attrs["end"], cache)
        out.append((row.to_dict(), want, str(g.combination(int(row["combo"])))))
    return out


def test_three_leg_sweep_rows_equal_their_vectorbt_backtests(three_leg_rows) -> None:
    """24 random combinations of a three-leg strategy (weights per role, bounds, per-leg fees,
    slippage, bands, lags, an overlay on the Treasury leg, regime windows): every metric of the
    sweep row equals the vectorbt backtest of that combination within 1e-9 relative."""
    assert len(three_leg_rows) >= 20
    for row, want, label in three_leg_rows:
        for k in PARITY:
            assert row[k] == pytest.approx(want[k], rel=1e-9, abs=1e-12), f"{label}: {k}"
        assert row["n_rebalances"] == want["n_rebalances"], label
        assert row["n_returns"] == want["n_returns"], label
    assert max(w["n_rebalances"] for _, w, _ in three_leg_rows) > 200  # band 0 trades often
