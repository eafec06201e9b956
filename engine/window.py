"""The start window shared by the backtest and the sweep, and the portfolio constants both use.

A strategy's window starts on the first trading day on which every input it uses is known
(each regime past its warm-up, each overlay feature, the cash rate, the index close), or on a
later start the user asks for, and ends on the requested end. :class:`Inputs` collects when
each input becomes known; :meth:`Inputs.window` picks the start and says why in one line.
The backtest (:func:`engine.backtest.prepare`) registers the inputs of one strategy, the
sweep (:func:`engine.sweep.prepare.prepare_sweep`) those of every combination, so a sweep row
covers the same days as the backtest of that combination started on the sweep's first day.

Inside the window a regime may still read UNKNOWN (its table cell applies), but an unknown
overlay feature or cash rate would leave a weight or a price undefined:
:func:`check_known_inside` and :func:`cash_price` refuse rather than carry on.

The end: :func:`fresh_end` says where a window ends when an input goes stale (the last day
every input was fresh, :func:`engine.staleness.last_fresh_day`) and what to tell the user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from data.dates import parse_optional_day
from data.errors import MissingDataError, ParameterError
from data.staleness import check_inputs
from data.staleness import last_fresh_day as _last_fresh_day
from data.store import Store
from engine.cash import cash_price_from_yield, cash_yield
from engine.regimes.families import engine_of
from engine.staleness import strategy_inputs
from strategies.families import NAMES

if TYPE_CHECKING:
    from data.staleness import Staleness
    from strategies import Strategy

INIT_CASH = 1.0
"""Initial cash of every simulated portfolio (results are ratios, any constant gives the same)."""

MIN_SIZE = 0.0
"""vectorbt ``min_size`` of every ``Portfolio.from_orders`` call and of the sweep's fills: no
minimum order size."""


def returns(price: np.ndarray) -> np.ndarray:
    """Close-to-close returns of a price series: array of shape (n,), element 0 is 0."""
    p = np.asarray(price, dtype=np.float64)
    out = np.zeros(len(p))
    out[1:] = p[1:] / p[:-1] - 1.0
    return out


def requested_range(
    start: str | pd.Timestamp | None, end: str | pd.Timestamp | None
) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """``--start`` / ``--end`` as days (None when not given); ParameterError when start > end."""
    s, e = parse_optional_day(start, "--start"), parse_optional_day(end, "--end")
    if s is not None and e is not None and s > e:
        raise ParameterError(f"start {s.date()} is after end {e.date()}")
    return s, e


def input_reason(strategy: Strategy, name: str, params: object | None = None) -> str:
    """Why input ``name`` of ``strategy`` is unknown before some day: a regime family
    (``balance_sheet``, with ``params`` its parameters when they differ from the strategy's),
    ``overlay:<feature>`` or ``cash:<series>``."""
    if name in NAMES:
        p = params if params is not None else strategy.regimes.of(name)
        return engine_of(name).start_reason(p)
    if name.startswith("overlay:"):
        return f"overlay feature {name.removeprefix('overlay:')} is unknown before"
    if name.startswith("cash:"):
        return f"the cash rate {name.removeprefix('cash:')} is first published (H.15, next business day)"
    return f"{name} is unknown before"


@dataclass(frozen=True)
class Window:
    """The chosen window.

    Attributes
    ----------
    i0 : position of the first window day in the history the inputs were given on.
    data_start : first day every input is known.
    limiting : the input known last (its name), or ``"index"`` when there are none.
    note : one line on how the start was chosen.
    """

    i0: int
    data_start: pd.Timestamp
    limiting: str
    note: str


class Inputs:
    """When each input of a strategy (or of every combination of a sweep) becomes known.

    Parameters
    ----------
    days : the history's trading days (the inputs' rows).
    index_known : bool array of shape (n_days,): the index close is known.
    owner : names the strategy in errors, e.g. ``"strategy qt_aware (builtin:qt_aware)"``.
    scope : what "every input" covers, for the note (``"every input"``, ``"every input of
        every combination"``).
    """

    def __init__(
        self,
        days: pd.DatetimeIndex,
        index_known: np.ndarray,
        owner: str,
        scope: str = "every input",
    ) -> None:
        self.days = days
        self.owner = owner
        self.scope = scope
        self.known = np.asarray(index_known, dtype=bool).copy()
        self.first: dict[str, int] = {}
        self.reasons: dict[str, str] = {}

    def require(self, name: str, ok: np.ndarray, reason: str) -> None:
        """Input ``name`` is known on the days where ``ok``; ``reason`` says why it is not
        before (``"balance-sheet growth needs 13 weeks of SOMA history"``). MissingDataError
        when it is never known."""
        ok = np.asarray(ok, dtype=bool)
        if not ok.any():
            raise MissingDataError(
                f"{self.owner}: input {name} is never known up to {self.days[-1].date()}; {reason}"
            )
        self.first[name] = int(np.argmax(ok))
        self.reasons[name] = reason
        self.known &= ok

    def window(self, requested: pd.Timestamp | None) -> Window:
        """The first day every input is known, or ``requested`` when later (see the module).

        Raises MissingDataError when the inputs are never all known on one day, or when fewer
        than two trading days remain.
        """
        days = self.days
        if not self.known.any():
            raise MissingDataError(
                f"{self.owner}: its inputs ({', '.join(self.first) or 'the index'}) are "
                f"never all known on the same day up to {days[-1].date()}"
            )
        i0 = int(np.argmax(self.known))
        data_start = days[i0]
        if self.first:
            limiting = max(self.first, key=lambda k: self.first[k])
            reason = self.reasons[limiting]
        else:
            limiting, reason = "index", "the index history starts"
        if requested is not None and requested > data_start:
            i0 = int(days.searchsorted(requested))
            note = f"start {days[min(i0, len(days) - 1)].date()} (as requested)"
        elif requested is not None:
            note = (
                f"start moved from {requested.date()} to {data_start.date()}: first day "
                f"{self.scope} is known ({reason})"
            )
        else:
            note = f"start {data_start.date()}: first day {self.scope} is known ({reason})"
        if i0 >= len(days) - 1:
            raise MissingDataError(
                f"fewer than two trading days between {days[min(i0, len(days) - 1)].date()} "
                f"and {days[-1].date()}; choose an earlier --start or a later --end"
            )
        return Window(i0=i0, data_start=data_start, limiting=limiting, note=note)


def check_known_inside(owner: str, name: str, values: np.ndarray, days: pd.DatetimeIndex) -> None:
    """MissingDataError when ``values`` (an overlay input over the window ``days``) is not known
    on some window day: the weight would be undefined there."""
    bad = ~np.isfinite(np.asarray(values, dtype=np.float64))
    if bad.any():
        raise MissingDataError(
            f"{owner}: {name} is unknown on {days[int(np.argmax(bad))].date()} inside the "
            "window; use --end before that day"
        )


def cash_price(days: pd.DatetimeIndex, rate: str, rate_values: np.ndarray) -> np.ndarray:
    """The cash asset's price over the window (1.0 on the first day), accruing ``rate`` as
    known each day; MissingDataError when the rate is unknown inside the window."""
    px = cash_price_from_yield(days, cash_yield(rate, rate_values))
    if not np.isfinite(px).all():
        bad = int(np.argmax(~np.isfinite(px)))
        raise MissingDataError(f"cash rate {rate} is unknown on {days[max(bad - 1, 0)].date()}")
    return px


@dataclass(frozen=True)
class WindowEnd:
    """Where a window ends, given when the strategy's inputs go stale (see :func:`fresh_end`).

    Attributes
    ----------
    i1 : position of the last window day in the days given.
    end : that day.
    last_fresh : the last day every input was fresh (None: no such day).
    note : one line when the window ends before the data does because an input went stale.
    warning : one line when the requested end runs past the last fresh day (the window runs
        there anyway: terminal, JSON and report should show it).
    stale : the inputs stale on the day after ``last_fresh`` (with a ``warning`` for a
        requested end: those stale on that end).
    """

    i1: int
    end: pd.Timestamp
    last_fresh: pd.Timestamp | None
    note: str | None
    warning: str | None
    stale: tuple[Staleness, ...]

    def check_start(self, requested: pd.Timestamp | None, owner: str) -> None:
        """MissingDataError when ``requested`` (an explicit ``--start``) is after a default end
        that an input's staleness chose (``note`` set): the window would be empty."""
        if requested is None or self.note is None or requested <= self.end:
            return
        raise MissingDataError(
            f"{owner}: --start {requested.date()} is after {self.end.date()}, the last day every "
            f"input was fresh ({'; '.join(x.line for x in self.stale)}); give --end to run past "
            "it with a warning, or update the data (runoff data update)"
        )


def fresh_end(
    strategy: Strategy,
    days: pd.DatetimeIndex,
    requested_end: pd.Timestamp | None,
    *,
    store: Store | None = None,
) -> WindowEnd:
    """The end of a window over ``days`` (the history up to the requested end, if any).

    Without a requested end the window ends on the last day every input of ``strategy`` was
    fresh, and ``note`` says why; with one (``days`` already end there) it runs to it, and
    ``warning`` says so when it is past the last fresh day. Staleness follows each series'
    rule in the manifest (:mod:`data.staleness`), applied to the series the strategy reads
    (:func:`engine.staleness.strategy_inputs`).
    """
    store = store or Store()
    mapping = strategy_inputs(strategy, store=store)
    fe = _last_fresh_day(mapping, days, store=store)
    last = len(days) - 1
    why = fe.reason
    if fe.fresh_to_the_end:
        return WindowEnd(last, days[last], fe.day, None, None, fe.stale)
    if fe.day is None:
        warning = (
            f"no day up to {days[last].date()} has every input fresh; the results use stale "
            f"inputs: {why}"
        )
        return WindowEnd(last, days[last], None, None, warning, fe.stale)
    if requested_end is None:
        i1 = int(days.get_loc(fe.day))
        note = (
            f"end {fe.day.date()}: the last day every input was fresh; after it {why} "
            f"(--end runs past it, with a warning)"
        )
        return WindowEnd(i1, fe.day, fe.day, note, None, fe.stale)
    at_end = tuple(x for x in check_inputs(mapping, days[last], store=store) if x.stale)
    warning = (
        f"the window runs to {days[last].date()}, past {fe.day.date()}, the last day every "
        f"input was fresh; stale on {days[last].date()}: "
        + "; ".join(x.line for x in at_end or fe.stale)
    )
    return WindowEnd(last, days[last], fe.day, None, warning, at_end or fe.stale)
