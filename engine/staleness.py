"""Stale inputs of a strategy or of ``runoff explain``, and the last day every input was fresh.

Requires: a strategy (or regime parameters) and the point-in-time store.
Produces: each published series the strategy reads with what it feeds (``regime
balance_sheet``, ``overlay y10_minus_y2``, ``cash rate``), its staleness at a decision day
(:func:`data.staleness.check_inputs`: newest public observation, age, how far it is behind the
release calendar, the series' limit) and the last trading day on which none of them was stale
(:func:`last_fresh_day`). The rules themselves are the manifest's
(:class:`data.manifest.StaleRule`); :mod:`data.staleness` applies them.
Lag: staleness is judged at the 16:00 ET decision of each day, with what was public then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from data.panel import trading_days
from data.staleness import FreshEnd, Staleness, add_feed, check_inputs
from data.staleness import last_fresh_day as _last_fresh_day
from data.store import Store
from engine.cash import cash_rate_series
from engine.features import FEATURE_SERIES
from strategies.families import FAMILIES, family

if TYPE_CHECKING:
    from strategies import Strategy

Inputs = dict[str, tuple[str, ...]]
"""Published series -> what it feeds, in a stable order."""


def strategy_inputs(strategy: Strategy, *, store: Store | None = None) -> Inputs:
    """Every published series ``strategy`` reads -> what it feeds: its regime families' series
    (:attr:`strategies.families.Family.reads`), its overlays' features
    (:data:`engine.features.FEATURE_SERIES`; a balance-sheet feature reads the series of the
    strategy's measure) and its cash rate (both parts of a splice)."""
    store = store or Store()
    out: dict[str, list[str]] = {}
    for name in strategy.families():
        fam = family(name)
        add_feed(out, fam.series(strategy.regimes.of(fam)), f"regime {name}")
    for o in strategy.overlays:
        series: tuple[str, ...] = FEATURE_SERIES.get(o.feature, ())
        for fam in FAMILIES:
            p = strategy.regimes.of(fam)
            if o.feature in fam.features(p) and o.feature not in FEATURE_SERIES:
                series = fam.series(p)
        add_feed(out, series, f"overlay {o.feature}")
    # A spliced rate (``DTB3+DGS3MO``) reads both of its series.
    add_feed(out, cash_rate_series(strategy.cash_rate), "cash rate")
    # Series the store has no file of are not read (e.g. WLRRAL: RRPONTSYD stands in).
    return {sid: tuple(f) for sid, f in out.items() if store.has(sid)}


def strategy_staleness(
    strategy: Strategy, day: str | pd.Timestamp, *, store: Store | None = None
) -> list[Staleness]:
    """Staleness of every input of ``strategy`` at ``day``'s decision (stale or not)."""
    store = store or Store()
    return check_inputs(strategy_inputs(strategy, store=store), day, store=store)


def last_fresh_day(
    strategy: Strategy,
    days: pd.DatetimeIndex | None = None,
    *,
    store: Store | None = None,
) -> FreshEnd:
    """The last of ``days`` (default: every trading day of the store) on which no input of
    ``strategy`` was stale, and the inputs that are stale the day after (see
    :class:`data.staleness.FreshEnd`)."""
    store = store or Store()
    if days is None:
        days = trading_days(store=store)
    return _last_fresh_day(strategy_inputs(strategy, store=store), days, store=store)
