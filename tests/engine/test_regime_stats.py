"""Regime statistics: the bootstrap interval's coverage and the HAC t-statistic's arithmetic."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from engine.regime_stats import (
    MIN_DAYS,
    SEED,
    block_length,
    bootstrap_mean_ci,
    hac_difference,
    hac_maxlags,
    regime_statistics,
)


def test_bootstrap_interval_covers_the_true_mean_about_90_percent_of_the_time() -> None:
    """400 seeded i.i.d. samples (t-distributed, 5 df, n = 250): the 90% interval should miss
    the true mean about 40 times. Coverage c over m = 400 trials has binomial s.d.
    sqrt(0.9 * 0.1 / 400) = 0.015; we accept 0.90 +/- 3 s.d. = [0.855, 0.945] (a wrong
    interval, e.g. a 68% or a 99% one, lands far outside)."""
    rng = np.random.default_rng(2024)
    m, n, mu = 400, 250, 0.0004
    hits = 0
    for _ in range(m):
        x = mu + 0.01 * rng.standard_t(5, size=n)
        lo, hi, block = bootstrap_mean_ci(x, reps=500, seed=rng)
        assert block >= 1.0
        hits += bool(lo[0] <= mu <= hi[0])
    coverage = hits / m
    assert 0.855 <= coverage <= 0.945, coverage


def test_bootstrap_is_seeded_and_paired() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(300, 2))
    a = bootstrap_mean_ci(x, seed=11)
    b = bootstrap_mean_ci(x, seed=11)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    # Two identical columns resampled on the same days give identical intervals.
    same = bootstrap_mean_ci(np.column_stack([x[:, 0], x[:, 0]]), seed=3)
    assert same[0][0] == same[0][1] and same[1][0] == same[1][1]
    assert np.all(a[0] < x.mean(axis=0)) and np.all(x.mean(axis=0) < a[1])


def test_block_length_grows_with_autocorrelation() -> None:
    """Politis-White picks about one day for i.i.d. data and longer blocks for an AR(1)."""
    rng = np.random.default_rng(9)
    e = rng.normal(size=3000)
    ar = np.empty_like(e)
    ar[0] = e[0]
    for t in range(1, len(e)):
        ar[t] = 0.6 * ar[t - 1] + e[t]
    assert block_length(e) < 3.0 < block_length(ar)
    assert block_length(np.zeros(50)) == 1.0  # a constant series: no blocks to speak of


def newey_west_t(y: np.ndarray, d: np.ndarray, lags: int) -> float:
    """Hand-written Newey-West t-statistic of the dummy's slope (Bartlett weights
    1 - l / (lags + 1), small-sample factor n / (n - k))."""
    n = len(y)
    X = np.column_stack([np.ones(n), d.astype(float)])
    xtx_inv = np.linalg.inv(X.T @ X)
    b = xtx_inv @ X.T @ y
    g = X * (y - X @ b)[:, None]
    s = g.T @ g
    for lag in range(1, lags + 1):
        w = 1.0 - lag / (lags + 1.0)
        gam = g[lag:].T @ g[:-lag]
        s += w * (gam + gam.T)
    v = xtx_inv @ s @ xtx_inv * n / (n - 2)
    return float(b[1] / math.sqrt(v[1, 1]))


def test_hac_t_matches_a_hand_written_newey_west_and_statsmodels() -> None:
    rng = np.random.default_rng(17)
    n = 2000
    u = rng.normal(0, 0.01, n)
    y = np.convolve(u, [1.0, 0.5, 0.25])[:n] + 0.0002  # MA(2): autocorrelated
    d = np.zeros(n, dtype=bool)
    d[300:700] = d[1200:1500] = True  # two long spells, as regimes come
    y[d] += 0.001
    lags = hac_maxlags(n)
    assert lags == math.floor(4 * (n / 100) ** (2 / 9)) == 7
    diff, t, p = hac_difference(y, d)
    assert diff == pytest.approx(y[d].mean() - y[~d].mean(), rel=1e-10)
    assert t == pytest.approx(newey_west_t(y, d, lags), rel=1e-10)
    direct = sm.OLS(y, sm.add_constant(d.astype(float))).fit(
        cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}
    )
    assert t == pytest.approx(direct.tvalues[1], rel=1e-12)
    assert p == pytest.approx(direct.pvalues[1], rel=1e-12)
    # The HAC standard error is not the plain OLS one here (the errors are autocorrelated).
    assert abs(t) < abs(sm.OLS(y, sm.add_constant(d.astype(float))).fit().tvalues[1])


def test_hac_needs_enough_days_on_both_sides() -> None:
    y = np.random.default_rng(1).normal(size=200)
    d = np.zeros(200, dtype=bool)
    d[: MIN_DAYS - 1] = True
    assert all(math.isnan(v) for v in hac_difference(y, d))
    assert all(math.isnan(v) for v in hac_difference(y, np.ones(200, dtype=bool)))


@pytest.fixture(scope="module")
def synthetic():
    """Two regimes over 1,200 days: A earns +0.2%/day over cash, B -0.1%/day."""
    rng = np.random.default_rng(31)
    n = 1201
    days = pd.bdate_range("2015-01-01", periods=n)
    spells = np.repeat(["A", "B", "A", "B", "C"], [400, 300, 300, 190, 11])
    regimes = pd.DataFrame(
        {"phase": spells, "custom": np.where(spells == "A", "x", "y")}, index=days
    )
    prev = regimes["phase"].shift(1).to_numpy()[1:]
    drift = np.select([prev == "A", prev == "B"], [0.002, -0.001], 0.0)
    excess = pd.DataFrame(
        {
            "strategy": drift + rng.normal(0, 0.008, n - 1),
            "benchmark": drift / 2 + rng.normal(0, 0.01, n - 1),
        },
        index=days[1:],
    )
    return excess, regimes


def test_regime_statistics_are_the_building_blocks_on_the_regimes_days(synthetic) -> None:
    excess, regimes = synthetic
    out = regime_statistics(excess, regimes, reps=300)
    assert list(zip(out["regime"], out["value"], strict=True)) == [
        ("phase", "A"),
        ("phase", "B"),
        ("phase", "C"),
        ("custom", "x"),
        ("custom", "y"),
    ]
    a = out.iloc[0]
    # The return of day t belongs to the regime at t-1.
    sel = (regimes["phase"].shift(1).reindex(excess.index) == "A").to_numpy()
    assert a["days"] == sel.sum() == 700
    sub = excess.to_numpy()[sel]
    assert a["strategy_excess"] == pytest.approx(sub[:, 0].mean() * 252, rel=1e-12)
    assert a["benchmark_excess"] == pytest.approx(sub[:, 1].mean() * 252, rel=1e-12)
    assert a["strategy_excess_ci_low"] < a["strategy_excess"] < a["strategy_excess_ci_high"]
    diff, t, p = hac_difference(excess["strategy"].to_numpy(), sel)
    assert a["strategy_excess_diff"] == pytest.approx(diff * 252, rel=1e-12)
    assert a["strategy_hac_t"] == pytest.approx(t, rel=1e-12) and a["strategy_hac_p"] == p
    assert a["strategy_hac_t"] > 2  # a real effect of 0.3%/day against B is found
    # Too few days (C: 10 returns): no interval, no t-statistic, the mean still shown.
    c = out.iloc[2]
    assert c["days"] == 10 and math.isfinite(c["strategy_excess"])
    assert math.isnan(c["strategy_excess_ci_low"]) and math.isnan(c["strategy_hac_t"])
    assert (out["hac_maxlags"] == hac_maxlags(len(excess))).all()


def test_a_regime_that_fills_the_window_has_an_interval_but_no_t(synthetic) -> None:
    excess, regimes = synthetic
    one = regimes.assign(phase="A")
    row = regime_statistics(excess, one, columns=("phase",), reps=200).iloc[0]
    assert row["days"] == len(excess)
    assert row["strategy_excess_ci_low"] < row["strategy_excess"] < row["strategy_excess_ci_high"]
    assert math.isnan(row["strategy_hac_t"]) and math.isnan(row["strategy_excess_diff"])


def test_regime_statistics_do_not_depend_on_the_order_of_regimes(synthetic) -> None:
    excess, regimes = synthetic
    one = regime_statistics(excess, regimes, reps=200).set_index(["regime", "value"])
    two = regime_statistics(excess, regimes[["custom", "phase"]], reps=200)
    pd.testing.assert_frame_equal(one, two.set_index(["regime", "value"]).loc[one.index])
    again = regime_statistics(excess, regimes, reps=200, seed=SEED)
    pd.testing.assert_frame_equal(one, again.set_index(["regime", "value"]))
