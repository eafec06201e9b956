"""Alpha, beta, information ratio and tracking error against independent computations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from engine.relative import relative_metrics


@pytest.fixture(scope="module")
def paths():
    """Seeded daily returns: a benchmark, a strategy with beta 0.7 and a small alpha, cash."""
    rng = np.random.default_rng(7)
    n = 1500
    rc = np.full(n, 0.0001) + rng.uniform(0, 0.00002, n)
    rb = rc + rng.normal(0.0003, 0.011, n)
    rs = rc + 0.00005 + 0.7 * (rb - rc) + rng.normal(0, 0.004, n)
    return rs, rb, rc


def test_alpha_beta_match_ols_on_excess_returns(paths) -> None:
    rs, rb, rc = paths
    m = relative_metrics(rs, rb, rc)
    es, eb = rs - rc, rb - rc
    X = np.column_stack([np.ones(len(eb)), eb])
    coef, *_ = np.linalg.lstsq(X, es, rcond=None)
    assert m.beta == pytest.approx(coef[1], rel=1e-10)
    assert m.alpha == pytest.approx(coef[0] * 252, rel=1e-9)
    fit = sm.OLS(es, sm.add_constant(eb)).fit()
    assert m.beta == pytest.approx(fit.params[1], rel=1e-10)
    assert m.alpha == pytest.approx(fit.params[0] * 252, rel=1e-9)
    assert 0.65 < m.beta < 0.75  # the simulated beta, within sampling error
    assert m.correlation == pytest.approx(np.corrcoef(es, eb)[0, 1], rel=1e-10)


def test_tracking_error_and_information_ratio_match_pandas(paths) -> None:
    rs, rb, rc = paths
    m = relative_metrics(rs, rb, rc)
    active = pd.Series(rs) - pd.Series(rb)
    assert m.tracking_error == pytest.approx(active.std() * math.sqrt(252), rel=1e-12)
    assert m.information_ratio == pytest.approx(
        active.mean() / active.std() * math.sqrt(252), rel=1e-12
    )
    assert m.active_return == pytest.approx(active.mean() * 252, rel=1e-12)
    # The cash leg cancels out of the active return: another cash series, same TE and IR.
    other = relative_metrics(rs, rb, np.zeros_like(rc))
    assert other.tracking_error == pytest.approx(m.tracking_error, rel=1e-12)
    assert other.information_ratio == pytest.approx(m.information_ratio, rel=1e-12)
    assert m.n_returns == len(rs)


def test_degenerate_conventions() -> None:
    rng = np.random.default_rng(3)
    r = rng.normal(0, 0.01, 300)
    rc = np.zeros(300)
    same = relative_metrics(r, r, rc)  # a strategy that is its benchmark
    assert same.beta == pytest.approx(1.0) and same.alpha == pytest.approx(0.0, abs=1e-15)
    assert same.tracking_error == 0.0 and math.isnan(same.information_ratio)
    flat = relative_metrics(r, np.zeros(300), rc)  # a flat benchmark: beta undefined
    assert math.isnan(flat.beta) and math.isnan(flat.alpha)
    assert flat.information_ratio == pytest.approx(r.mean() / r.std(ddof=1) * math.sqrt(252))
    short = relative_metrics(r[:1], r[:1], rc[:1])
    assert all(math.isnan(v) for k, v in short.as_dict().items() if k != "n_returns")
    # Constant positive active return (2**-11 a day, exact in binary): zero deviation -> +inf.
    assert relative_metrics(np.full(300, 2.0**-11), rc, rc).information_ratio == math.inf
