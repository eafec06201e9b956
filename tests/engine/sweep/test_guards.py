"""Overfitting guards: deflated Sharpe ratio, PBO by CSCV, walk-forward."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from data.errors import ParameterError
from engine.sweep.guards import (
    deflated_sharpe,
    expected_max_sharpe,
    pbo,
    probabilistic_sharpe,
    sweep_deflated_sharpe,
    sweep_pbo,
    walk_forward,
    walk_forward_folds,
)
from engine.sweep.nb import METRICS
from engine.sweep.run import chunk_returns, plan_sweep, run_chunk, run_plan

# ---------------------------------------------------------------- deflated Sharpe


def test_deflated_sharpe_paper_example() -> None:
    """Bailey & Lopez de Prado (2014), section 4's numerical example: 100 trials, 1,250 daily
    returns (5 years of 250 days), best annualised Sharpe 2.5, variance of the trials'
    annualised Sharpe ratios 1/2, skewness -3, kurtosis 10 -> SR0 = 0.1132 (daily) and
    DSR = 0.9004 (the paper's rounded figures)."""
    res = deflated_sharpe(2.5 / math.sqrt(250), 100, 0.5 / 250, 1250, skew=-3.0, kurtosis=10.0)
    assert res.sr0 == pytest.approx(0.1132, abs=5e-5)
    assert res.dsr == pytest.approx(0.9004, abs=5e-4)


def test_expected_max_sharpe() -> None:
    """One trial: no selection bias; more trials or more dispersion: a higher bar."""
    assert expected_max_sharpe(1, 0.01) == 0.0
    bars = [expected_max_sharpe(n, 0.01) for n in (2, 10, 100, 10_000)]
    assert all(a < b for a, b in itertools.pairwise(bars))
    assert expected_max_sharpe(100, 0.04) == pytest.approx(2 * expected_max_sharpe(100, 0.01))
    with pytest.raises(ParameterError):
        expected_max_sharpe(0, 0.01)


def test_probabilistic_sharpe() -> None:
    """At the benchmark: 1/2; above it the probability grows with the sample length."""
    assert probabilistic_sharpe(0.1, 0.1, 500, 0.0, 3.0) == pytest.approx(0.5)
    short = probabilistic_sharpe(0.1, 0.05, 100, 0.0, 3.0)
    long = probabilistic_sharpe(0.1, 0.05, 1000, 0.0, 3.0)
    assert 0.5 < short < long < 1.0
    # normal returns: sd of the Sharpe estimate = sqrt((1 + SR^2 / 2) / (T - 1))
    z = (0.1 - 0.05) * math.sqrt(999) / math.sqrt(1 + 0.1**2 / 2)
    assert long == pytest.approx(0.5 * math.erfc(-z / math.sqrt(2)))


# ---------------------------------------------------------------- PBO


def test_pbo_dominant_strategy_is_zero() -> None:
    """A column that is best in every block is best out of sample in every split: PBO 0."""
    rng = np.random.default_rng(0)
    m = rng.normal(0.0, 0.01, (400, 6))
    m[:, 2] += 0.02
    res = pbo(m, n_blocks=8)
    assert res.pbo == 0.0 and len(res.logits) == math.comb(8, 4)
    assert np.all(res.logits == pytest.approx(math.log((6 / 7) / (1 / 7))))


def test_pbo_anti_persistent_is_one() -> None:
    """Two columns that swap ranks between the two halves: the in-sample winner always loses."""
    t = np.arange(200)
    a = np.where(t < 100, 0.01, -0.01) + 0.001 * np.sin(t)
    b = -a + 0.0005 * np.cos(t)
    res = pbo(np.column_stack([a, b]), n_blocks=2)
    assert res.pbo == 1.0
    assert np.all(res.logits == pytest.approx(math.log((1 / 3) / (2 / 3))))


def test_pbo_hand_computed() -> None:
    """S = 4 blocks of two rows (mean +/- d), 3 columns, C(4, 2) = 6 splits worked by hand.

    Block means: col0 = (1, 2, 3, 4), col1 = (4, 3, 2, 1), col2 = 2.5 everywhere; d = 0.1 for
    col0 and col1, 2 for col2. Over two blocks with means m_a, m_b (delta = (m_a - m_b) / 2)
    the Sharpe ratio is ((m_a + m_b) / 2) / sqrt((4 delta^2 + 4 d^2) / 3): col2 always scores
    1.08, col0 / col1 score 5.94 / 2.55 on means {3, 4} / {1, 2}, 2.59 / 1.72 on {2, 4} / {1, 3}
    and tie at 4.25 on {2, 3} and 1.44 on {1, 4}. Train {0,1}: col1 wins, tests 2nd of 3
    (w = 2/4, logit 0); {0,2}: col1, 2nd (0); {0,3}: tie, col0 (first) wins, tests tied
    with col1 above col2 (rank 2.5, logit ln(5/3)); {1,2}: same (ln(5/3)); {1,3}: col0, 2nd
    (0); {2,3}: col0, 2nd (0). PBO = share of logits <= 0 = 4/6."""
    d = np.array([0.1, 0.1, 2.0])
    means = np.array([[1, 4, 2.5], [2, 3, 2.5], [3, 2, 2.5], [4, 1, 2.5]], dtype=float)
    rows = []
    for blk in means:
        rows.append(blk + d)
        rows.append(blk - d)
    res = pbo(np.array(rows), n_blocks=4)
    up = math.log(5 / 3)
    np.testing.assert_allclose(res.logits, [0.0, 0.0, up, up, 0.0, 0.0], atol=1e-12)
    assert res.pbo == pytest.approx(4 / 6)


def test_pbo_noise_is_near_half() -> None:
    """Pure noise: the in-sample winner is a coin flip out of sample."""
    rng = np.random.default_rng(42)
    res = pbo(rng.normal(0.0, 0.01, (1600, 40)), n_blocks=16)
    assert 0.3 < res.pbo < 0.7


def test_pbo_rejects_bad_input() -> None:
    with pytest.raises(ParameterError, match="even"):
        pbo(np.zeros((100, 3)), n_blocks=5)
    with pytest.raises(ParameterError, match="finite"):
        pbo(np.full((100, 3), np.nan), n_blocks=4)
    with pytest.raises(ParameterError, match="n_strategies"):
        pbo(np.zeros((100, 1)), n_blocks=4)


# ---------------------------------------------------------------- walk-forward folds


@pytest.mark.parametrize("mode", ["expanding", "rolling"])
def test_walk_forward_folds(mode: str) -> None:
    """Test windows tile the days after the first training window; each training window
    ends ``embargo`` days before its test window; rolling windows keep their length."""
    folds = walk_forward_folds(1000, 4, mode=mode, embargo_days=7)
    assert folds[0].test_start == 200 and folds[-1].test_end == 999
    for a, b in itertools.pairwise(folds):
        assert b.test_start == a.test_end + 1
    for f in folds:
        assert f.train_end == f.test_start - 8
        if mode == "expanding":
            assert f.train_start == 0
        else:
            assert f.train_end - f.train_start + 1 == 200 or f.train_start == 0
    with pytest.raises(ParameterError):
        walk_forward_folds(100, 10)
    with pytest.raises(ParameterError, match="mode"):
        walk_forward_folds(1000, 4, mode="sliding")


# ---------------------------------------------------------------- on a real sweep


@pytest.fixture(scope="module")
def plan():
    return plan_sweep(
        "qt_aware", {"weights.contraction": [0.0, 0.5, 1.0], "rebalance.band": [0.0, 0.1]}
    )


def test_walk_forward_picks_in_sample_best_and_reports_out_of_sample(plan) -> None:
    wf = walk_forward("qt_aware", plan=plan, folds=3, embargo_days=5)
    folds = walk_forward_folds(plan.inputs.n_days, 3, embargo_days=5)
    days = plan.inputs.days
    col = METRICS.index("sharpe")
    chained = []
    for f, row in zip(folds, wf.folds.itertuples(), strict=True):
        ins = run_chunk(
            plan.inputs, plan.strategy, plan.grid, 0, plan.grid.size, f.train_start, f.train_end
        )
        assert row.combo == int(np.nanargmax(ins[:, col]))
        assert row.is_sharpe == ins[row.combo, col]
        oos = run_chunk(
            plan.inputs, plan.strategy, plan.grid, 0, plan.grid.size, f.test_start, f.test_end
        )
        assert row.oos_sharpe == oos[row.combo, col]
        assert str(row.test_start) == str(days[f.test_start].date())
        _, r = chunk_returns(
            plan.inputs, plan.strategy, plan.grid, np.array([row.combo]), f.test_start, f.test_end
        )
        chained.append(np.nan_to_num(r[f.test_start : f.test_end + 1, 0]))
    value = np.cumprod(1.0 + np.concatenate(chained))
    np.testing.assert_allclose(wf.equity.to_numpy()[1:], value, rtol=1e-12)
    assert wf.equity.iloc[0] == 1.0
    assert wf.summary["total_return"] == pytest.approx(value[-1] - 1.0)


def test_sweep_guards_on_real_sweep(plan) -> None:
    """DSR of the best row uses every finite-Sharpe trial; PBO uses every combination."""
    df = run_plan(plan)
    res = sweep_deflated_sharpe(plan, df)
    assert res.n_trials == int(df["sharpe"].notna().sum())
    assert res.sharpe == pytest.approx(df["sharpe"].max() / math.sqrt(252))
    assert 0.0 <= res.dsr <= 1.0
    p = sweep_pbo(plan, n_blocks=8)
    assert p.n_strategies == plan.grid.size and 0.0 <= p.pbo <= 1.0
