"""Backtest a strategy with vectorbt: its risky legs and cash, target-percent orders, shared cash.

Pipeline (the shared semantics every part agrees on: backtest == sweep kernel == vectorbt):

1. :func:`prepare`: regimes and features as known at each trading day's 16:00 ET close
   (``engine.regimes.regime_frame``, warm-up on all history), the legs' closes from the asset
   registry (:mod:`engine.legs`: ``equity = "SP500TR"`` unless the strategy's ``[assets]``
   says otherwise), the target weight of each leg per day (table + overlays, clipped, scaled
   when they sum above 1), the decision days, the cash asset's price (T-bill accrual), the
   first day on which every input the strategy uses (each leg included) is known and the
   last day every leg has a price.
2. :func:`engine.allocation.plan_orders`: drifted weights, no-trade band on the largest drift
   of any leg, execution lag.
3. :func:`simulate`: ``vectorbt.Portfolio.from_orders`` on [leg_1 .. leg_n, cash price],
   ``size_type="targetpercent"`` (cash: 1 - the sum of the legs), ``group_by=True``,
   ``cash_sharing=True``, ``call_seq="auto"`` (sells before buys), ``init_cash=1.0``, fees and
   slippage per leg and none on the cash column, ``freq="1D"``, long only and no minimum
   order size.
4. The performance window starts at the close of the first execution day; the benchmark buys
   and holds the equity leg (the first leg without one) from that same close, or holds the
   strategy's ``[benchmark]`` mix rebalanced monthly (decided on the last trading day of each
   month, executed with the strategy's lag and costs).

The default equity asset is the S&P 500 *total return* index (SP500TR: dividends
reinvested); ``equity = "GSPC"`` gives the price index, the engine's equity before issue 10.
:func:`total_return_check` reports the other of the two over the same window as a labelled
extra line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from data.assets import asset_prices
from data.errors import MissingDataError
from data.manifest import INDEX_ID
from data.release import business_day
from data.store import Store
from engine.allocation import decision_mask, leg_columns, plan_orders, target_weights, total_weight
from engine.cash import NO_CASH_RATE, cash_rate_asof
from engine.events import default_events, event_table
from engine.legs import Legs, load_legs
from engine.metrics import Metrics, compute_metrics, returns_by_regime
from engine.regime_stats import regime_statistics
from engine.relative import RelativeMetrics, relative_metrics
from engine.window import (
    INIT_CASH,
    MIN_SIZE,
    Inputs,
    cash_price,
    check_known_inside,
    fresh_end,
    input_reason,
    requested_range,
    returns,
)
from strategies.families import NAMES

if TYPE_CHECKING:
    from data.staleness import Staleness
    from strategies import Strategy

CASH_ASSET = "CASH"
"""Column name of the cash asset."""

REGIME_NAMES: tuple[str, ...] = NAMES
"""Regime columns of the frame (every family of :data:`strategies.families.FAMILIES`)."""

SHORT_NAMES: dict[str, str] = {
    "SP500TR": "S&P 500 total return",
    "GSPC": "S&P 500 price index",
    "SPY": "SPY",
}
"""Short names of assets in labels (the id itself for the others)."""


def short_name(asset: str) -> str:
    """How labels name an asset: ``S&P 500 total return`` for SP500TR, else its id."""
    return SHORT_NAMES.get(asset, asset)


def _strategy(strategy: Strategy | str) -> Strategy:
    if isinstance(strategy, str):
        from strategies import load_strategy

        return load_strategy(strategy)
    return strategy


def leg_returns(prices: np.ndarray) -> np.ndarray:
    """Close-to-close returns of each column of an array of shape (n, n_legs) (row 0 is 0)."""
    p = np.asarray(prices, dtype=np.float64)
    return np.column_stack([returns(p[:, j]) for j in range(p.shape[1])])


@dataclass(frozen=True)
class BacktestInputs:
    """Everything the order plan and the portfolio need, on the backtest days.

    Attributes
    ----------
    strategy : the strategy.
    days : backtest trading days, from the first day every input is known (or the user's
        later start) to the last day every leg has a price (or the user's earlier end).
    frame : regime frame on ``days`` (features, ``GSPC``, regimes and codes).
    legs : the risky legs on ``days`` (:class:`engine.legs.Legs`: roles, asset specs, closes).
    cash_rate : the cash rate as known each day: ``value`` (percent), ``obs_date``,
        ``available_at``.
    cash_price : the cash asset's price, 1.0 on the first day, shape (n_days,).
    target : target weight of each leg per day, one column per leg (the asset ids).
    decision : bool array of shape (n_days,), decision days.
    data_start : first day on which every input is known.
    limiting_input : the input that is known last (``balance_sheet``, ``overlay:<f>``,
        ``asset:<role>``, ...).
    start_note : one line on how the start was chosen.
    end_note : one line when the window ends before the trading days do: on the last day
        every input was fresh (an input went stale after it), or on the last day of a leg's
        prices (None otherwise).
    stale_warning : one line when an explicit end runs past the last day every input was
        fresh (the window runs there anyway), None otherwise.
    stale_inputs : the inputs that are stale on the day after the window's default end
        (``end_note``) or on the requested end (``stale_warning``); empty otherwise.
    """

    strategy: Strategy
    days: pd.DatetimeIndex
    frame: pd.DataFrame
    legs: Legs
    cash_rate: pd.DataFrame
    cash_price: np.ndarray
    target: pd.DataFrame
    decision: np.ndarray
    data_start: pd.Timestamp
    limiting_input: str
    start_note: str
    end_note: str | None = None
    stale_warning: str | None = None
    stale_inputs: tuple[Staleness, ...] = ()

    @property
    def labels(self) -> list[str]:
        """The legs' column labels (asset ids), in leg order."""
        return list(self.legs.ids)

    @property
    def closes(self) -> np.ndarray:
        """The legs' closes: array of shape (n_days, n_legs)."""
        return self.legs.prices

    @property
    def close(self) -> np.ndarray:
        """The first leg's closes (the equity leg when there is one), shape (n_days,)."""
        return self.legs.prices[:, 0]

    @property
    def ret_legs(self) -> np.ndarray:
        """Close-to-close returns of each leg, shape (n_days, n_legs) (row 0 is 0)."""
        return leg_returns(self.legs.prices)

    @property
    def ret_index(self) -> np.ndarray:
        """Close-to-close returns of the first leg (element 0 is 0)."""
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
            self.ret_legs,
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
    stale_end: bool = True,
) -> BacktestInputs:
    """Regimes, legs, target weights, decision days and the cash asset on the backtest days.

    Parameters
    ----------
    strategy : a :class:`strategies.Strategy` or a built-in name / TOML path.
    start : requested first day; moved later when an input is not known yet (see
        ``BacktestInputs.start_note``).
    end : last day (default: the last day every leg has a price and every input of the
        strategy was fresh, :func:`engine.window.fresh_end`; an explicit end after a leg's
        last price is an error naming the file and key, one past the last fresh day runs with
        ``stale_warning``).
    store : the point-in-time store (default: a new :class:`data.Store`).
    stale_end : False: the default end ignores stale inputs (the signal export runs to the
        last decision and flags them instead).

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
    legs = load_legs(strategy, store, pd.DatetimeIndex(frame.index))
    last, end_note = legs.end(e_req)
    legs.check_start(s_req)
    owner = f"strategy {strategy.name} ({strategy.source})"
    wend = None
    if stale_end:
        wend = fresh_end(strategy, pd.DatetimeIndex(frame.index[: last + 1]), e_req, store=store)
        wend.check_start(s_req, owner)
        if wend.note is not None:
            last, end_note = wend.i1, wend.note
    frame = frame.iloc[: last + 1]
    legs = legs.cut(last + 1)
    days_all = pd.DatetimeIndex(frame.index)
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
    legs.require(inputs)
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
    legs = Legs(legs.label, legs.roles, legs.specs, days, legs.prices[i0:])
    target = target_weights(strategy, frame, list(legs.ids))
    decision = decision_mask(days, strategy.rebalance.frequency)
    return BacktestInputs(
        strategy=strategy,
        days=days,
        frame=frame,
        legs=legs,
        cash_rate=rate_win,
        cash_price=cash_px,
        target=target,
        decision=decision,
        data_start=win.data_start,
        limiting_input=win.limiting,
        start_note=win.note,
        end_note=end_note,
        stale_warning=wend.warning if wend is not None else None,
        stale_inputs=wend.stale if wend is not None and (wend.note or wend.warning) else (),
    )


def _columns(a: Any) -> np.ndarray:
    """An array of shape (n,) or (n, n_legs) as (n, n_legs) float64."""
    x = np.asarray(a, dtype=np.float64)
    return x[:, None] if x.ndim == 1 else x


def simulate(
    days: pd.DatetimeIndex,
    closes: np.ndarray,
    cash_price: np.ndarray,
    order_weight: np.ndarray,
    fees: float | np.ndarray,
    slippage: float | np.ndarray,
    init_cash: float = INIT_CASH,
    labels: list[str] | None = None,
) -> Any:
    """Run ``vectorbt.Portfolio.from_orders`` for the legs' target weights on execution days.

    Parameters
    ----------
    days : trading days (length n).
    closes : the legs' closes, shape (n, n_legs) (or (n,) for one leg).
    cash_price : cash-asset prices, shape (n,).
    order_weight : target percent of each leg executed at each close, shape (n, n_legs) (or
        (n,)), a NaN row where nothing executes; the cash asset gets ``1 -`` the legs' sum
        (:func:`engine.allocation.total_weight`) on the same days.
    fees, slippage : fractions per leg (shape (n_legs,), or one number for every leg); the
        cash column trades free.
    init_cash : initial cash.
    labels : column names of the legs (default ``leg1``, ``leg2``, ...).

    Returns
    -------
    ``vectorbt.Portfolio`` with columns [legs..., ``CASH``] in one group sharing cash.
    """
    import vectorbt as vbt  # lazy: importing and compiling vectorbt takes seconds

    c = _columns(closes)
    ow = _columns(order_weight)
    n_legs = c.shape[1]
    names = labels if labels is not None else [f"leg{j + 1}" for j in range(n_legs)]
    prices = pd.DataFrame(c, index=days, columns=names)
    prices[CASH_ASSET] = np.asarray(cash_price, dtype=np.float64)
    size = pd.DataFrame(ow, index=days, columns=names)
    size[CASH_ASSET] = 1.0 - total_weight(ow)
    f = np.broadcast_to(np.asarray(fees, dtype=np.float64), (n_legs,))
    sl = np.broadcast_to(np.asarray(slippage, dtype=np.float64), (n_legs,))
    return vbt.Portfolio.from_orders(
        prices,
        size=size,
        size_type="targetpercent",
        direction="longonly",
        fees=np.array([[*f, 0.0]]),
        slippage=np.array([[*sl, 0.0]]),
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
    index_weight : end-of-day total risky weight (the legs' position values / value; the
        index weight when the one leg is the index).
    leg_weights : end-of-day weight of each leg, one column per leg.
    trade_fraction : |value traded in the legs| / value before the trade (0 without a trade).
    fills : the legs' fills: ``date``, ``asset``, ``side`` (buy/sell), ``size`` (units),
        ``price`` (with slippage), ``fees``.
    """

    value: pd.Series
    index_weight: pd.Series
    leg_weights: pd.DataFrame
    trade_fraction: pd.Series
    fills: pd.DataFrame


def portfolio_path(
    pf: Any,
    days: pd.DatetimeIndex,
    closes: np.ndarray,
    cash_price: np.ndarray,
    init_cash: float = INIT_CASH,
    labels: list[str] | None = None,
) -> PortfolioPath:
    """Extract value, weights, traded fractions and fills from a vectorbt portfolio of
    :func:`simulate` (``closes`` of shape (n, n_legs), or (n,) for one leg)."""
    c = _columns(closes)
    n_legs = c.shape[1]
    names = labels if labels is not None else [f"leg{j + 1}" for j in range(n_legs)]
    value = np.asarray(pf.value(), dtype=np.float64)
    assets = np.asarray(pf.assets(), dtype=np.float64)
    cash = np.asarray(pf.cash(), dtype=np.float64)
    prices = np.column_stack([c, cash_price])
    before = np.empty(len(days))
    before[0] = init_cash
    before[1:] = cash[:-1] + np.sum(assets[:-1] * prices[1:], axis=1)
    rec = pf.orders.records
    rec = rec[rec["col"] < n_legs]
    traded = np.zeros(len(days))
    np.add.at(traded, rec["idx"], rec["size"] * rec["price"])
    fills = pd.DataFrame(
        {
            "date": days[rec["idx"]],
            "asset": np.asarray(names, dtype=object)[rec["col"]],
            "side": np.where(rec["side"] == 0, "buy", "sell"),
            "size": rec["size"],
            "price": rec["price"],
            "fees": rec["fees"],
        }
    )
    held = assets[:, 0] * c[:, 0]
    for j in range(1, n_legs):
        held = held + assets[:, j] * c[:, j]
    legs = pd.DataFrame(assets[:, :n_legs] * c / value[:, None], index=days, columns=names)
    return PortfolioPath(
        value=pd.Series(value, index=days, name="value"),
        index_weight=pd.Series(held / value, index=days, name="index_weight"),
        leg_weights=legs,
        trade_fraction=pd.Series(traded / before, index=days, name="trade_fraction"),
        fills=fills,
    )


@dataclass(frozen=True)
class BacktestResult:
    """A backtest and its benchmark over the same window.

    Attributes
    ----------
    inputs : the prepared inputs (strategy, days, frame, legs, target, decision days, cash).
    plan : per backtest day: target weights, decision flag, order weights executed, drifted
        weights, order status (:func:`engine.allocation.plan_orders`).
    window_start : close of the first execution day (V_0).
    value, benchmark_value : portfolio values over the window (start at ``INIT_CASH``-ish).
    weights : per window day: ``target_weight`` and ``risky_weight`` (end of day), the total
        of the risky legs (the one leg's weight with one leg).
    orders : one row per order placed: ``decision_date``, ``execution_date``,
        ``target_weight`` (total risky), ``drift`` (total risky weight at the decision),
        ``status``, per leg ``target:<asset>``, and for an executed order the fills summed
        over the legs: ``traded`` (value traded, $ per $1 initial) and ``fees``.
    metrics, benchmark_metrics : :class:`engine.metrics.Metrics` over the window (exposure =
        mean total risky weight; ``leg_exposure`` per leg).
    by_regime : returns by regime value (strategy and benchmark): annualised return and
        volatility (:func:`engine.metrics.returns_by_regime`) and the mean excess return over
        cash with its bootstrap interval and HAC t-statistic
        (:func:`engine.regime_stats.regime_statistics`), one row per (regime, value).
    events : event table (rate cuts dated on their announcement, QE/QT dates) with S&P 500
        and strategy returns and, per cut, the phase kernel's real-time recession reading.
    regimes : regime columns (strings) over the window.
    total_return_note : the S&P 500 total return vs price index line, or None.
    relative : alpha, beta, information ratio, tracking error against the benchmark
        (:mod:`engine.relative`).
    leg_weights : end-of-day held weight per leg over the window, one column per leg (the
        asset ids, in leg order, then ``CASH``, the remainder); rows sum to 1.
    leg_targets : target weight per leg on the same days and columns.
    benchmark_label : what the benchmark holds (``buy & hold S&P 500 total return``, or the
        ``[benchmark]`` mix rebalanced monthly).
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
    benchmark_label: str = "buy & hold S&P 500"
    portfolio: Any = field(repr=False, compare=False, default=None)

    @property
    def strategy(self) -> Strategy:
        return self.inputs.strategy

    @property
    def start_note(self) -> str:
        return self.inputs.start_note

    @property
    def end_note(self) -> str | None:
        return self.inputs.end_note

    @property
    def stale_warning(self) -> str | None:
        """One line when the window runs past the last day every input was fresh."""
        return self.inputs.stale_warning

    @property
    def replaced_note(self) -> str | None:
        """A line when orders were replaced before executing (lag longer than decision spacing)."""
        n = int((self.orders["status"] == "replaced").sum())
        if n == 0:
            return None
        return (
            f"{n} orders were replaced before they executed: a newer target moved more than "
            f"the band ({self.strategy.rebalance.band}) from the pending order's weights within "
            f"the execution lag ({self.strategy.execution_lag} trading days)"
        )

    def legs_text(self) -> str:
        """One line on what the strategy holds: each leg's role and asset, and the cash leg."""
        s = self.strategy
        legs = "; ".join(
            f"{role}: {a.id} ({a.title})"
            for role, a in zip(s.roles(), self.inputs.legs.specs, strict=True)
        )
        return f"{legs}; cash: {s.cash_rate} accrual (ACT/360)"

    def costs_text(self) -> str:
        """One line on the costs per leg and the rebalance rule."""
        s = self.strategy
        per_leg = ", ".join(
            f"{a} fees {f:.4%} slippage {sl:.4%}"
            for a, f, sl in zip(self.inputs.labels, s.leg_fees(), s.leg_slippage(), strict=True)
        )
        return (
            f"Costs per leg: {per_leg} (cash free); rebalance {s.rebalance.frequency}, band "
            f"{s.rebalance.band:g} on the largest drift of any leg, lag {s.execution_lag}"
        )


def with_cash_leg(weights: pd.DataFrame) -> pd.DataFrame:
    """``weights`` (one column per risky leg) with the ``CASH`` column, the remainder, last."""
    out = weights.copy()
    out[CASH_ASSET] = 1.0 - total_weight(weights.to_numpy(dtype=np.float64))
    return out


def _orders_table(
    plan: pd.DataFrame, days: pd.DatetimeIndex, lag: int, fills: pd.DataFrame
) -> pd.DataFrame:
    placed = np.flatnonzero(plan["status"].to_numpy() != "none")
    targets = leg_columns(plan, "target_weight")
    rows = []
    bday = business_day()
    by_date = fills.groupby("date")
    traded = (fills["size"] * fills["price"]).groupby(fills["date"]).sum()
    fees = by_date["fees"].sum()
    for i in placed:
        j = i + lag
        exe = days[j] if j < len(days) else days[-1] + (j - len(days) + 1) * bday
        row: dict[str, Any] = {
            "decision_date": days[i],
            "execution_date": pd.Timestamp(exe),
            "target_weight": float(plan["target_weight"].iloc[i]),
            "drift": float(plan["drift"].iloc[i]),
            "status": str(plan["status"].iloc[i]),
        }
        for leg in targets.columns:
            row[f"target:{leg}"] = float(targets[leg].iloc[i])
        done = row["status"] == "executed" and exe in traded.index
        row["traded"] = float(traded[exe]) if done else math.nan
        row["fees"] = float(fees[exe]) if done else math.nan
        rows.append(row)
    columns = [
        "decision_date",
        "execution_date",
        "target_weight",
        "drift",
        "status",
        *(f"target:{leg}" for leg in targets.columns),
        "traded",
        "fees",
    ]
    return pd.DataFrame(rows, columns=columns)


def total_return_check(store: Store, equity: str | None, days: pd.DatetimeIndex) -> str | None:
    """The S&P 500 total return (SP500TR, dividends reinvested) beside the price index (GSPC)
    over the window days both have a price, when the equity leg is one of the two: a labelled
    extra line (the backtest holds only its own equity asset). None otherwise or when they
    share fewer than two days."""
    if equity not in ("SP500TR", "GSPC") or len(days) < 2:
        return None
    tr = asset_prices(store, "SP500TR", days)
    px = asset_prices(store, "GSPC", days)
    both = np.flatnonzero(np.isfinite(tr) & np.isfinite(px))
    if len(both) < 2:
        return None
    a, b = int(both[0]), int(both[-1])
    years = (days[b] - days[a]).days / 365.25
    cagr_tr = (tr[b] / tr[a]) ** (1 / years) - 1
    cagr_px = (px[b] / px[a]) ** (1 / years) - 1
    held = "the total return" if equity == "SP500TR" else "the price index (dividends excluded)"
    return (
        f"S&P 500 {days[a].date()} to {days[b].date()}: total return (SP500TR, dividends "
        f"reinvested) CAGR {cagr_tr:.2%}, price index (GSPC) {cagr_px:.2%}; the equity leg here "
        f"is {held}"
    )


def benchmark_plan(strategy: Strategy, days: pd.DatetimeIndex, first: int) -> np.ndarray:
    """The benchmark's order weights per leg: array of shape (n_days, n_legs), NaN rows where
    nothing executes.

    Buy-and-hold (no ``[benchmark]``): the equity leg at 100% (the first leg without one)
    bought at the close of ``first`` (the strategy's first execution) and held. A
    ``[benchmark]`` mix: bought at that close, then rebalanced to the mix on the last trading
    day of each month, executed ``execution_lag`` trading days later (same costs).
    """
    mix = strategy.benchmark_legs()
    out = np.full((len(days), len(mix)), np.nan)
    out[first] = mix
    if strategy.benchmark is not None:
        for t in np.flatnonzero(decision_mask(days, "M")):
            j = t + strategy.execution_lag
            if t >= first and j < len(days):
                out[j] = mix
    return out


def benchmark_label(strategy: Strategy) -> str:
    """How tables name the benchmark."""
    ids = strategy.asset_ids()
    if strategy.benchmark is None:
        roles = strategy.roles()
        held = ids[roles.index("equity")] if "equity" in roles else ids[0]
        return f"buy & hold {short_name(held)}"
    mix = strategy.benchmark_legs()
    parts = "/".join(f"{w:.0%} {a}" for w, a in zip(mix, ids, strict=True) if w > 0)
    cash = 1.0 - float(mix.sum())
    if cash > 1e-9:
        parts += f"/{cash:.0%} cash"
    return f"{parts}, monthly"


def run_backtest(
    strategy: Strategy | str,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    *,
    store: Store | None = None,
) -> BacktestResult:
    """Backtest ``strategy`` against its benchmark (buy-and-hold of the equity leg, or the
    ``[benchmark]`` mix rebalanced monthly) over the same window.

    Parameters
    ----------
    strategy : a :class:`strategies.Strategy` or a built-in name / TOML path.
    start, end : requested dates (the start moves later until every input is known; the end
        is the last day every leg has a price and every input was fresh unless given: see
        ``end_note`` and ``stale_warning``).
    store : the point-in-time store (default: a new :class:`data.Store`).

    Returns
    -------
    :class:`BacktestResult`.
    """
    store = store or Store()
    inputs = prepare(strategy, start, end, store=store)
    s = inputs.strategy
    days = inputs.days
    labels = inputs.labels
    plan = inputs.plan()
    ow = leg_columns(plan, "order_weight").to_numpy()
    executed = np.flatnonzero(np.isfinite(ow[:, 0]))
    if len(executed) == 0:
        raise MissingDataError(
            f"strategy {s.name}: no order executes between {days[0].date()} and "
            f"{days[-1].date()} (rebalance {s.rebalance.frequency}, lag {s.execution_lag}); "
            "choose a longer window"
        )
    first = int(executed[0])
    fees, slip = s.leg_fees(), s.leg_slippage()
    closes = inputs.closes
    pf = simulate(days, closes, inputs.cash_price, ow, fees, slip, labels=labels)
    path = portfolio_path(pf, days, closes, inputs.cash_price, labels=labels)
    bench_w = benchmark_plan(s, days, first)
    bpf = simulate(days, closes, inputs.cash_price, bench_w, fees, slip, labels=labels)
    bpath = portfolio_path(bpf, days, closes, inputs.cash_price, labels=labels)

    win = slice(first, None)
    wdays = days[win]
    rc = inputs.ret_cash[win]
    n_exec = int(np.isfinite(ow[win, 0]).sum())
    metrics = compute_metrics(
        path.value.iloc[win],
        rc,
        path.index_weight.iloc[win],
        path.trade_fraction.iloc[win],
        n_exec,
        path.leg_weights.iloc[win],
    )
    bmetrics = compute_metrics(
        bpath.value.iloc[win],
        rc,
        bpath.index_weight.iloc[win],
        bpath.trade_fraction.iloc[win],
        int(np.isfinite(bench_w[win, 0]).sum()),
        bpath.leg_weights.iloc[win],
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
        {
            "target_weight": plan["target_weight"].iloc[win],
            "risky_weight": path.index_weight.iloc[win],
        }
    )
    roles = s.roles()
    equity = labels[roles.index("equity")] if "equity" in roles else None
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
        total_return_note=total_return_check(store, equity, wdays),
        relative=relative,
        leg_weights=with_cash_leg(path.leg_weights.iloc[win]),
        leg_targets=with_cash_leg(inputs.target.iloc[win]),
        benchmark_label=benchmark_label(s),
        portfolio=pf,
    )
