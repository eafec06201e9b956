"""Backtest a strategy with vectorbt: S&P 500 / cash with target-percent orders, shared cash.

Pipeline (the shared semantics every part agrees on: backtest == sweep kernel == vectorbt):

1. :func:`prepare`: regimes and features as known at each trading day's 16:00 ET close
   (``engine.regimes.regime_frame``, warm-up on all history), the target weight per day
   (table + overlays, clipped), the decision days, the cash asset's price (T-bill accrual) and
   the first day on which every input the strategy uses is known.
2. :func:`engine.allocation.plan_orders`: drifted weight, no-trade band, execution lag.
3. :func:`simulate`: ``vectorbt.Portfolio.from_orders`` on [index close, cash price],
   ``size_type="targetpercent"``, ``group_by=True``, ``cash_sharing=True``, ``call_seq="auto"``,
   ``init_cash=1.0``, fees and slippage on the index column only, ``freq="1D"``, long only and
   no minimum order size.
4. The performance window starts at the close of the first execution day; the benchmark buys
   and holds the same index series from that same close (same costs on its one buy).

The index is the S&P 500 *price* index (GSPC closes): dividends are excluded. Where the bundled
total-return month-ends (SP500TR, to 2024-12) overlap the window, :func:`total_return_check`
reports their CAGR beside the price index's as a labelled extra, never mixed into the daily run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from data.errors import MissingDataError
from data.manifest import INDEX_ID
from data.release import business_day
from data.store import Store
from engine.allocation import decision_mask, plan_orders, target_weights
from engine.cash import NO_CASH_RATE, cash_rate_asof
from engine.events import default_events, event_table
from engine.metrics import Metrics, compute_metrics, returns_by_regime
from engine.regime_stats import regime_statistics
from engine.relative import RelativeMetrics, relative_metrics
from engine.window import (
    INIT_CASH,
    MIN_SIZE,
    Inputs,
    cash_price,
    check_known_inside,
    input_reason,
    requested_range,
    returns,
)
from strategies.families import NAMES

if TYPE_CHECKING:
    from strategies import Strategy

CASH_ASSET = "CASH"
"""Column name of the cash asset."""

REGIME_NAMES: tuple[str, ...] = NAMES
"""Regime columns of the frame (every family of :data:`strategies.families.FAMILIES`)."""

PRICE_INDEX_NOTE = "S&P 500 price index (GSPC closes): dividends are excluded"


def _strategy(strategy: Strategy | str) -> Strategy:
    if isinstance(strategy, str):
        from strategies import load_strategy

        return load_strategy(strategy)
    return strategy


@dataclass(frozen=True)
class BacktestInputs:
    """Everything the order plan and the portfolio need, on the backtest days.

    Attributes
    ----------
    strategy : the strategy.
    days : backtest trading days, from the first day every input is known (or the user's
        later start) to the end.
    frame : regime frame on ``days`` (features, ``GSPC``, regimes and codes).
    close : index closes, shape (n_days,).
    cash_rate : the cash rate as known each day: ``value`` (percent), ``obs_date``,
        ``available_at``.
    cash_price : the cash asset's price, 1.0 on the first day, shape (n_days,).
    target : target index weight per day.
    decision : bool array of shape (n_days,), decision days.
    data_start : first day on which every input is known.
    limiting_input : the input that is known last (``balance_sheet``, ``overlay:<f>``, ...).
    start_note : one line on how the start was chosen.
    """

    strategy: Strategy
    days: pd.DatetimeIndex
    frame: pd.DataFrame
    close: np.ndarray
    cash_rate: pd.DataFrame
    cash_price: np.ndarray
    target: pd.Series
    decision: np.ndarray
    data_start: pd.Timestamp
    limiting_input: str
    start_note: str

    @property
    def ret_index(self) -> np.ndarray:
        """Close-to-close index returns (element 0 is 0)."""
        return returns(self.close)

    @property
    def ret_cash(self) -> np.ndarray:
        """Close-to-close cash-asset returns (element 0 is 0)."""
        return returns(self.cash_price)

    def plan(self) -> pd.DataFrame:
        """The order plan of these inputs with the strategy's band and execution lag.

        See :func:`engine.allocation.plan_orders` for the columns.
        """
        s = self.strategy
        return plan_orders(
            self.target,
            self.decision,
            self.ret_index,
            self.ret_cash,
            s.rebalance.band,
            s.execution_lag,
        )


def input_columns(strategy: Strategy) -> dict[str, str]:
    """Inputs the strategy uses -> the frame column that says whether each is known.

    Regimes map to their code column (known when not 0 = UNKNOWN), overlays to the feature.
    """
    out = {}
    for name in strategy.families():
        out[name] = f"{name}_code"
    for o in strategy.overlays:
        out[f"overlay:{o.feature}"] = o.feature
    return out


def prepare(
    strategy: Strategy | str,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    *,
    store: Store | None = None,
) -> BacktestInputs:
    """Regimes, target weights, decision days and the cash asset on the backtest days.

    Parameters
    ----------
    strategy : a :class:`strategies.Strategy` or a built-in name / TOML path.
    start : requested first day; moved later when an input is not known yet (see
        ``BacktestInputs.start_note``).
    end : last day (default: the last index close).
    store : the point-in-time store (default: a new :class:`data.Store`).

    Returns
    -------
    :class:`BacktestInputs`.
    """
    from engine.regimes import regime_frame

    strategy = _strategy(strategy)
    store = store or Store()
    s_req, e_req = requested_range(start, end)
    frame = regime_frame(None, e_req, strategy.regimes, store=store)
    if len(frame) == 0:
        raise MissingDataError("no trading days up to the requested end")
    days_all = pd.DatetimeIndex(frame.index)
    owner = f"strategy {strategy.name} ({strategy.source})"
    inputs = Inputs(days_all, np.isfinite(frame[INDEX_ID].to_numpy(dtype=np.float64)), owner)
    for name, col in input_columns(strategy).items():
        vals = frame[col].to_numpy()
        ok = vals != 0 if col.endswith("_code") else np.isfinite(vals.astype(np.float64))
        inputs.require(name, ok, input_reason(strategy, name))
    rate = strategy.cash_rate
    rate_all = cash_rate_asof(store, days_all, rate)
    if rate != NO_CASH_RATE:
        ok = np.isfinite(rate_all["value"].to_numpy())
        inputs.require(f"cash:{rate}", ok, input_reason(strategy, f"cash:{rate}"))
    win = inputs.window(s_req)
    i0 = win.i0
    frame = frame.iloc[i0:]
    days = pd.DatetimeIndex(frame.index)
    for o in strategy.overlays:
        check_known_inside(
            f"strategy {strategy.name}", f"overlay feature {o.feature}", frame[o.feature], days
        )
    rate_win = rate_all.iloc[i0:]
    cash_px = cash_price(days, rate, rate_win["value"].to_numpy())
    target = target_weights(strategy, frame)
    decision = decision_mask(days, strategy.rebalance.frequency)
    return BacktestInputs(
        strategy=strategy,
        days=days,
        frame=frame,
        close=frame[INDEX_ID].to_numpy(dtype=np.float64),
        cash_rate=rate_win,
        cash_price=cash_px,
        target=target,
        decision=decision,
        data_start=win.data_start,
        limiting_input=win.limiting,
        start_note=win.note,
    )


def simulate(
    days: pd.DatetimeIndex,
    close: np.ndarray,
    cash_price: np.ndarray,
    order_weight: np.ndarray,
    fees: float,
    slippage: float,
    init_cash: float = INIT_CASH,
) -> Any:
    """Run ``vectorbt.Portfolio.from_orders`` for index target weights on execution days.

    Parameters
    ----------
    days : trading days (length n).
    close : index closes, shape (n,).
    cash_price : cash-asset prices, shape (n,).
    order_weight : index target percent executed at each close, NaN where nothing executes;
        the cash asset gets ``1 - weight`` on the same days.
    fees, slippage : fractions charged on the index leg only.
    init_cash : initial cash.

    Returns
    -------
    ``vectorbt.Portfolio`` with columns [``GSPC``, ``CASH``] in one group sharing cash.
    """
    import vectorbt as vbt  # lazy: importing and compiling vectorbt takes seconds

    ow = np.asarray(order_weight, dtype=np.float64)
    prices = pd.DataFrame(
        {
            INDEX_ID: np.asarray(close, dtype=np.float64),
            CASH_ASSET: np.asarray(cash_price, dtype=np.float64),
        },
        index=days,
    )
    size = pd.DataFrame({INDEX_ID: ow, CASH_ASSET: 1.0 - ow}, index=days)
    return vbt.Portfolio.from_orders(
        prices,
        size=size,
        size_type="targetpercent",
        direction="longonly",
        fees=np.array([[fees, 0.0]]),
        slippage=np.array([[slippage, 0.0]]),
        min_size=MIN_SIZE,
        init_cash=init_cash,
        cash_sharing=True,
        group_by=True,
        call_seq="auto",
        freq="1D",
    )


@dataclass(frozen=True)
class PortfolioPath:
    """Day-by-day bookkeeping of one simulated portfolio over the backtest days.

    Attributes
    ----------
    value : portfolio value at each close.
    index_weight : end-of-day index weight (index position value / value).
    trade_fraction : |index value traded| / value before the trade (0 without a trade).
    fills : index-leg fills: ``date``, ``side`` (buy/sell), ``size`` (shares), ``price`` (with
        slippage), ``fees``.
    """

    value: pd.Series
    index_weight: pd.Series
    trade_fraction: pd.Series
    fills: pd.DataFrame


def portfolio_path(
    pf: Any,
    days: pd.DatetimeIndex,
    close: np.ndarray,
    cash_price: np.ndarray,
    init_cash: float = INIT_CASH,
) -> PortfolioPath:
    """Extract value, index weight, traded fractions and fills from a vectorbt portfolio."""
    value = np.asarray(pf.value(), dtype=np.float64)
    assets = np.asarray(pf.assets(), dtype=np.float64)
    cash = np.asarray(pf.cash(), dtype=np.float64)
    prices = np.column_stack([close, cash_price])
    before = np.empty(len(days))
    before[0] = init_cash
    before[1:] = cash[:-1] + np.sum(assets[:-1] * prices[1:], axis=1)
    rec = pf.orders.records
    rec = rec[rec["col"] == 0]
    traded = np.zeros(len(days))
    np.add.at(traded, rec["idx"], rec["size"] * rec["price"])
    fills = pd.DataFrame(
        {
            "date": days[rec["idx"]],
            "side": np.where(rec["side"] == 0, "buy", "sell"),
            "size": rec["size"],
            "price": rec["price"],
            "fees": rec["fees"],
        }
    )
    return PortfolioPath(
        value=pd.Series(value, index=days, name="value"),
        index_weight=pd.Series(assets[:, 0] * close / value, index=days, name="index_weight"),
        trade_fraction=pd.Series(traded / before, index=days, name="trade_fraction"),
        fills=fills,
    )


@dataclass(frozen=True)
class BacktestResult:
    """A backtest and its benchmark over the same window.

    Attributes
    ----------
    inputs : the prepared inputs (strategy, days, frame, target, decision days, cash asset).
    plan : per backtest day: target weight, decision flag, order weight executed, drifted
        weight, order status.
    window_start : close of the first execution day (V_0).
    value, benchmark_value : portfolio values over the window (start at ``INIT_CASH``-ish).
    weights : per window day: ``target_weight``, ``index_weight`` (end of day, strategy).
    orders : one row per order placed: ``decision_date``, ``execution_date``,
        ``target_weight``, ``drift`` (weight at the decision), ``status``, and the index fill
        (``side``, ``size``, ``price``, ``fees``) when it executed.
    metrics, benchmark_metrics : :class:`engine.metrics.Metrics` over the window.
    by_regime : returns by regime value (strategy and benchmark): annualised return and
        volatility (:func:`engine.metrics.returns_by_regime`) and the mean excess return over
        cash with its bootstrap interval and HAC t-statistic
        (:func:`engine.regime_stats.regime_statistics`), one row per (regime, value).
    events : event table (rate cuts dated on their announcement, QE/QT dates) with S&P 500
        and strategy returns and, per cut, the phase kernel's real-time recession reading.
    regimes : regime columns (strings) over the window.
    total_return_note : the SP500TR comparison line, or None when it does not overlap.
    relative : alpha, beta, information ratio, tracking error against the benchmark
        (:mod:`engine.relative`).
    leg_weights : end-of-day held weight per leg over the window, one column per leg (the
        index ``GSPC``, then ``CASH``, the remainder); rows sum to 1.
    leg_targets : target weight per leg on the same days and columns.
    """

    inputs: BacktestInputs
    plan: pd.DataFrame
    window_start: pd.Timestamp
    value: pd.Series
    benchmark_value: pd.Series
    weights: pd.DataFrame
    orders: pd.DataFrame
    metrics: Metrics
    benchmark_metrics: Metrics
    by_regime: pd.DataFrame
    events: pd.DataFrame
    regimes: pd.DataFrame
    total_return_note: str | None
    relative: RelativeMetrics
    leg_weights: pd.DataFrame
    leg_targets: pd.DataFrame
    portfolio: Any = field(repr=False, compare=False, default=None)

    @property
    def strategy(self) -> Strategy:
        return self.inputs.strategy

    @property
    def start_note(self) -> str:
        return self.inputs.start_note

    @property
    def replaced_note(self) -> str | None:
        """A line when orders were replaced before executing (lag longer than decision spacing)."""
        n = int((self.orders["status"] == "replaced").sum())
        if n == 0:
            return None
        return (
            f"{n} orders were replaced before they executed: a newer target moved more than "
            f"the band ({self.strategy.rebalance.band}) from the pending order's weight within "
            f"the execution lag ({self.strategy.execution_lag} trading days)"
        )


def with_cash_leg(weights: pd.DataFrame) -> pd.DataFrame:
    """``weights`` (one column per risky leg) with the ``CASH`` column, the remainder, last."""
    out = weights.copy()
    out[CASH_ASSET] = 1.0 - weights.sum(axis=1)
    return out


def _orders_table(
    plan: pd.DataFrame, days: pd.DatetimeIndex, lag: int, fills: pd.DataFrame
) -> pd.DataFrame:
    placed = np.flatnonzero(plan["status"].to_numpy() != "none")
    rows = []
    bday = business_day()
    fill_by_date = {d: r for d, r in zip(fills["date"], fills.itertuples(index=False), strict=True)}
    for i in placed:
        j = i + lag
        exe = days[j] if j < len(days) else days[-1] + (j - len(days) + 1) * bday
        row: dict[str, Any] = {
            "decision_date": days[i],
            "execution_date": pd.Timestamp(exe),
            "target_weight": float(plan["target_weight"].iloc[i]),
            "drift": float(plan["drift"].iloc[i]),
            "status": str(plan["status"].iloc[i]),
            "side": None,
            "size": math.nan,
            "price": math.nan,
            "fees": math.nan,
        }
        f = fill_by_date.get(exe) if row["status"] == "executed" else None
        if f is not None:
            row.update(side=f.side, size=float(f.size), price=float(f.price), fees=float(f.fees))
        rows.append(row)
    return pd.DataFrame(
        rows,
        columns=[
            "decision_date",
            "execution_date",
            "target_weight",
            "drift",
            "status",
            "side",
            "size",
            "price",
            "fees",
        ],
    )


def total_return_check(store: Store, start: pd.Timestamp, end: pd.Timestamp) -> str | None:
    """CAGR of the total-return index (SP500TR month-ends) vs the price index over the same months.

    Uses the month-ends inside [start, end] that both series have; None when fewer than 13.
    """
    if not store.has("SP500TR_monthly"):
        return None
    tr = store.observations("SP500TR_monthly")
    tr = pd.Series(tr["value"].to_numpy(), index=pd.DatetimeIndex(tr["obs_date"]))
    tr = tr[(tr.index >= start) & (tr.index <= end)]
    px = store.observations(INDEX_ID)
    px = pd.Series(px["value"].to_numpy(), index=pd.DatetimeIndex(px["obs_date"]))
    px = px.reindex(tr.index)
    both = tr[px.notna()].index
    if len(both) < 13:
        return None
    a, b = both[0], both[-1]
    years = (b - a).days / 365.25
    cagr_tr = (tr[b] / tr[a]) ** (1 / years) - 1
    cagr_px = (px[b] / px[a]) ** (1 / years) - 1
    return (
        f"Total-return S&P 500 (SP500TR month-end closes, dividends reinvested) "
        f"{a.date()} to {b.date()}: CAGR {cagr_tr:.2%} vs the price index {cagr_px:.2%} over "
        f"the same months (a labelled extra; the daily backtest uses the price index)"
    )


def run_backtest(
    strategy: Strategy | str,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    *,
    store: Store | None = None,
) -> BacktestResult:
    """Backtest ``strategy`` against buy-and-hold of the same index over the same window.

    Parameters
    ----------
    strategy : a :class:`strategies.Strategy` or a built-in name / TOML path.
    start, end : requested dates (the start moves later until every input is known).
    store : the point-in-time store (default: a new :class:`data.Store`).

    Returns
    -------
    :class:`BacktestResult`.
    """
    store = store or Store()
    inputs = prepare(strategy, start, end, store=store)
    s = inputs.strategy
    days = inputs.days
    plan = inputs.plan()
    ow = plan["order_weight"].to_numpy()
    executed = np.flatnonzero(np.isfinite(ow))
    if len(executed) == 0:
        raise MissingDataError(
            f"strategy {s.name}: no order executes between {days[0].date()} and "
            f"{days[-1].date()} (rebalance {s.rebalance.frequency}, lag {s.execution_lag}); "
            "choose a longer window"
        )
    first = int(executed[0])
    fees, slip = s.costs.fees, s.costs.slippage
    pf = simulate(days, inputs.close, inputs.cash_price, ow, fees, slip)
    path = portfolio_path(pf, days, inputs.close, inputs.cash_price)
    bench_w = np.full(len(days), np.nan)
    bench_w[first] = 1.0
    bpf = simulate(days, inputs.close, inputs.cash_price, bench_w, fees, slip)
    bpath = portfolio_path(bpf, days, inputs.close, inputs.cash_price)

    win = slice(first, None)
    wdays = days[win]
    rc = inputs.ret_cash[win]
    n_exec = int(np.isfinite(ow[win]).sum())
    metrics = compute_metrics(
        path.value.iloc[win], rc, path.index_weight.iloc[win], path.trade_fraction.iloc[win], n_exec
    )
    bmetrics = compute_metrics(
        bpath.value.iloc[win], rc, bpath.index_weight.iloc[win], bpath.trade_fraction.iloc[win], 1
    )
    regimes = inputs.frame[list(REGIME_NAMES)].astype(str)
    rets = pd.DataFrame(
        {
            "strategy": path.value.pct_change().iloc[first + 1 :],
            "benchmark": bpath.value.pct_change().iloc[first + 1 :],
        }
    )
    cash_ret = inputs.ret_cash[first + 1 :]
    families = tuple(regimes.columns)
    by_regime = returns_by_regime(rets, regimes, columns=families)
    stats = regime_statistics(rets.sub(cash_ret, axis=0), regimes, columns=families)
    if len(stats):
        by_regime = by_regime.merge(stats.drop(columns="days"), on=["regime", "value"], how="left")
    relative = relative_metrics(rets["strategy"].to_numpy(), rets["benchmark"].to_numpy(), cash_ret)
    gspc = store.observations(INDEX_ID)
    events = event_table(
        pd.Series(gspc["value"].to_numpy(), index=pd.DatetimeIndex(gspc["obs_date"])),
        default_events(store, wdays[0]),
        strategy_value=path.value.iloc[win],
        regimes=inputs.frame,
    )
    weights = pd.DataFrame(
        {"target_weight": inputs.target.iloc[win], "index_weight": path.index_weight.iloc[win]}
    )
    held = pd.DataFrame({INDEX_ID: path.index_weight.iloc[win]})
    target = pd.DataFrame({INDEX_ID: inputs.target.iloc[win]})
    return BacktestResult(
        inputs=inputs,
        plan=plan,
        window_start=wdays[0],
        value=path.value.iloc[win],
        benchmark_value=bpath.value.iloc[win],
        weights=weights,
        orders=_orders_table(plan, days, s.execution_lag, path.fills),
        metrics=metrics,
        benchmark_metrics=bmetrics,
        by_regime=by_regime,
        events=events,
        regimes=regimes.iloc[win],
        total_return_note=total_return_check(store, wdays[0], wdays[-1]),
        relative=relative,
        leg_weights=with_cash_leg(held),
        leg_targets=with_cash_leg(target),
        portfolio=pf,
    )
