"""A strategy's risky legs, resolved through the asset registry: their specs, their prices on the
trading days, and the days every leg has a price.

Requires: a strategy (its ``assets``: role -> asset id) and the store (``data.assets`` builds
each asset's daily close-to-close price from it: an index or fund close, a CMT yield repriced,
a user price file).
Produces: :class:`Legs`: per leg its role, asset spec and closes on the given trading days
(NaN outside the asset's range); :meth:`Legs.end` cuts the history at the last day every leg
has a price (with a note), :meth:`Legs.require` registers each leg as an input of the start
window (:class:`engine.window.Inputs`).
Lag: none: an asset's price on day t is a market price known at the close of t.

Errors name the strategy file and the key, in one line: an unknown asset id
(``qt_aware.toml: assets.treasury = 'UST11Y': unknown asset ...``), an explicit ``--end``
after an asset's last price, an asset whose prices end before the window starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from data.assets import BUILTIN_ASSETS, AssetSpec, asset_prices, asset_spec
from data.errors import MissingDataError, UnknownAssetError
from data.store import Store
from strategies.keys import did_you_mean, where

if TYPE_CHECKING:
    from engine.window import Inputs
    from strategies import Strategy


def resolve(strategy: Strategy, store: Store) -> tuple[AssetSpec, ...]:
    """The asset spec of each leg, in leg order; UnknownAssetError naming the file and key."""
    w = where(strategy.source, strategy.name)
    out = []
    for role, asset in strategy.assets.items():
        try:
            out.append(asset_spec(asset, store))
        except UnknownAssetError as e:
            hint = did_you_mean(asset, BUILTIN_ASSETS)
            raise UnknownAssetError(f"{w}: assets.{role} = {asset!r}: {e}{hint}") from None
    return tuple(out)


@dataclass(frozen=True)
class Legs:
    """The risky legs of a strategy on a run of trading days.

    Attributes
    ----------
    label : names the strategy file in errors (``strategies/builtin/qt_aware.toml``).
    roles : the roles, in leg order.
    specs : the asset spec of each leg.
    days : the trading days the prices are on.
    prices : float64 array of shape (n_days, n_legs): each leg's close (NaN outside the
        asset's range: before its first price, after its last).
    """

    label: str
    roles: tuple[str, ...]
    specs: tuple[AssetSpec, ...]
    days: pd.DatetimeIndex
    prices: np.ndarray

    @property
    def ids(self) -> tuple[str, ...]:
        """The asset ids, in leg order (the column labels of prices and weights)."""
        return tuple(a.id for a in self.specs)

    @property
    def titles(self) -> dict[str, str]:
        """Asset id -> its title."""
        return {a.id: a.title for a in self.specs}

    def _key(self, j: int) -> str:
        return f"{self.label}: assets.{self.roles[j]} = {self.ids[j]!r}"

    def _last(self, j: int) -> int:
        ok = np.flatnonzero(np.isfinite(self.prices[:, j]))
        return int(ok[-1]) if ok.size else -1

    def end(self, requested: pd.Timestamp | None) -> tuple[int, str | None]:
        """The position of the last day every leg has a price, and a note when that cuts the
        trading days short (None otherwise).

        Raises MissingDataError naming the file and key when a leg has no price at all on
        these days, or when ``requested`` (an explicit ``--end``; the days run to the last
        trading day on or before it) is after a leg's last price.
        """
        lasts = [self._last(j) for j in range(len(self.roles))]
        final = len(self.days) - 1
        for j, last in enumerate(lasts):
            if last < 0:
                raise MissingDataError(
                    f"{self._key(j)}: no price up to {self.days[-1].date()} (its prices start "
                    "later); choose a later --end or another asset"
                )
            if requested is not None and last < final:
                raise MissingDataError(
                    f"{self._key(j)}: its prices end {self.days[last].date()}, before --end "
                    f"{requested.date()}; use --end {self.days[last].date()} or earlier"
                )
        end = min(lasts)
        if end == len(self.days) - 1:
            return end, None
        j = lasts.index(end)
        return end, (
            f"end {self.days[end].date()}: last day every leg has a price ({self.ids[j]} ends "
            f"{self.days[end].date()}; the trading days run to {self.days[-1].date()})"
        )

    def cut(self, n: int) -> Legs:
        """The first ``n`` days."""
        return Legs(self.label, self.roles, self.specs, self.days[:n], self.prices[:n])

    def require(self, inputs: Inputs) -> None:
        """Register each leg as an input of the start window (known where it has a price).

        Call it after the other inputs: an asset whose prices end before the first day every
        other input is known raises MissingDataError naming the file and key.
        """
        first_other = int(np.argmax(inputs.known)) if inputs.known.any() else None
        for j, role in enumerate(self.roles):
            ok = np.isfinite(self.prices[:, j])
            last = self._last(j)
            if first_other is not None and last < first_other:
                raise MissingDataError(
                    f"{self._key(j)}: its prices end {self.days[last].date()}, before the "
                    f"window starts {self.days[first_other].date()} (the first day every other "
                    "input is known); choose another asset"
                )
            first = self.days[int(np.argmax(ok))].date()
            inputs.require(
                f"asset:{role}",
                ok,
                f"the prices of {self.ids[j]} (assets.{role}) start {first}",
            )

    def check_start(self, requested: pd.Timestamp | None) -> None:
        """MissingDataError naming the file and key when ``requested`` (an explicit
        ``--start``) is after a leg's last price."""
        if requested is None:
            return
        for j in range(len(self.roles)):
            final = self.days[self._last(j)]
            if final < requested:
                raise MissingDataError(
                    f"{self._key(j)}: its prices end {final.date()}, before the window starts "
                    f"{requested.date()}; choose an earlier --start or another asset"
                )


def load_legs(strategy: Strategy, store: Store, days: pd.DatetimeIndex) -> Legs:
    """Resolve the strategy's legs and read their closes on ``days``."""
    specs = resolve(strategy, store)
    prices = np.empty((len(days), len(specs)))
    for j, a in enumerate(specs):
        prices[:, j] = asset_prices(store, a.id, days)
    return Legs(where(strategy.source, strategy.name), strategy.roles(), specs, days, prices)
