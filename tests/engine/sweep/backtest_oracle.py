"""The oracle of the sweep-equals-backtest tests: one combination's vectorbt backtest.

Each combination runs the backtest's own steps (:func:`engine.backtest.prepare`, target
weights, order plan, :func:`engine.backtest.simulate`, portfolio path, metrics), with the
prepared inputs cached per regime parameter set so that a test over many combinations loads
the data once per distinct set.
"""

from __future__ import annotations

import numpy as np

from engine.allocation import leg_columns, plan_orders, target_weights
from engine.backtest import portfolio_path, prepare, simulate
from engine.metrics import compute_metrics

PARITY = (
    "total_return",
    "cagr",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "calmar",
    "turnover",
    "exposure",
    "time_invested",
)
"""The float metrics a sweep row and its backtest must agree on."""


def backtest_metrics(strategy, start, end, cache: dict) -> dict[str, float]:
    """The vectorbt backtest of one strategy from ``start`` to ``end``, as
    :func:`engine.backtest.run_backtest` computes it: :data:`PARITY`, ``n_rebalances`` and
    ``n_returns`` (``cache``: regime parameters -> prepared inputs)."""
    key = strategy.regimes
    if key not in cache:
        cache[key] = prepare(strategy, start, end)
    inp = cache[key]
    target = target_weights(strategy, inp.frame)
    plan = plan_orders(
        target,
        inp.decision,
        inp.ret_legs,
        inp.ret_cash,
        strategy.rebalance.band,
        strategy.execution_lag,
    )
    ow = leg_columns(plan, "order_weight").to_numpy()
    first = int(np.flatnonzero(np.isfinite(ow[:, 0]))[0])
    fees, slip = strategy.leg_fees(), strategy.leg_slippage()
    pf = simulate(inp.days, inp.closes, inp.cash_price, ow, fees, slip)
    path = portfolio_path(pf, inp.days, inp.closes, inp.cash_price)
    win = slice(first, None)
    m = compute_metrics(
        path.value.iloc[win],
        inp.ret_cash[win],
        path.index_weight.iloc[win],
        path.trade_fraction.iloc[win],
        int(np.isfinite(ow[win, 0]).sum()),
    )
    return {k: float(getattr(m, k)) for k in (*PARITY, "n_rebalances", "n_returns")}
