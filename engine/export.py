"""The export contract of ``runoff signals``: tickers, decision times, exact weights, metadata.

Requires: a strategy and its legs' asset specs (:mod:`data.assets`: each has a tradable
stand-in ticker).
Produces: the pieces :func:`engine.signals.export` writes beside the weights:

- :func:`leg_tickers`: a tradable ticker per leg (the registry's ``tradable``: SPY for the
  S&P 500 indices, IEF / TLT / SHY for the repriced 10y / 30y / 5y Treasuries, the ETF itself
  for an ETF, a user asset itself) and BIL for cash; ``--tickers role=TICKER,...`` overrides
  (:func:`parse_tickers`);
- :func:`decision_times`: the 16:00 America/New_York decision of each day as an ISO timestamp
  with its offset (``2026-08-21T16:00:00-04:00``; ``-05:00`` in winter);
- :func:`exact_weights`: weights rounded to :data:`DECIMALS` decimals with the residual in
  CASH, so that the written floats of a row sum to exactly 1.0 (left to right and with
  ``math.fsum``);
- :func:`metadata`: lag, costs per leg, band, strategy name and :func:`spec_hash` (sha256 of
  the canonical JSON of the resolved strategy), for parquet key-value metadata, the CSV's
  ``.json`` sidecar and the JSON forms.
Lag: the decision of day t executes ``execution_lag`` trading days later (business days
past the data).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from data.assets import CASH_TRADABLE
from data.errors import ParameterError

if TYPE_CHECKING:
    from data.assets import AssetSpec
    from strategies import Strategy

SCHEMA_ID = "runoff-signals/1"
"""Version of the export contract (``schema`` in the metadata and the JSON forms)."""

DECIMALS = 12
"""Weights are rounded to this many decimals; CASH takes the residual."""

DECISION_TZ = "America/New_York"
DECISION_HOUR = 16
"""Decisions are taken at the 16:00 ET close."""

SCHEMA_PATH = Path(__file__).with_name("schemas") / "signals.schema.json"
"""JSON Schema of the JSON forms (export and ``--latest``), shipped as package data."""

METADATA_KEY = b"runoff"
"""Parquet key-value metadata key holding the contract's metadata as JSON."""

TICKER = re.compile(r"[A-Z0-9][A-Z0-9.\-]{0,14}\Z")
"""A ticker: upper-case letters, digits, '.' and '-', at most 15 characters (BRK.B, BF-B)."""


def parse_tickers(text: str | None, roles: tuple[str, ...]) -> dict[str, str]:
    """``--tickers role=TICKER,...`` -> {role: ticker}; ``cash`` names the cash leg.

    Raises ParameterError (one line: what came, what is expected) for an unknown or repeated
    role, a missing ``=`` or a malformed ticker.
    """
    if text is None:
        return {}
    allowed = (*roles, "cash")
    out: dict[str, str] = {}
    for part in text.split(","):
        role, eq, ticker = (x.strip() for x in part.partition("="))
        if not eq or not role:
            raise ParameterError(
                f"--tickers {part.strip()!r}: expected role=TICKER (roles: {', '.join(allowed)})"
            )
        if role not in allowed:
            raise ParameterError(
                f"--tickers {role}={ticker}: unknown role {role!r}; this strategy's roles are "
                f"{', '.join(allowed)}"
            )
        if role in out:
            raise ParameterError(f"--tickers: role {role!r} given twice")
        if not TICKER.match(ticker):
            raise ParameterError(
                f"--tickers {role}={ticker}: {ticker!r} is not a ticker (upper-case letters, "
                "digits, '.' and '-', at most 15 characters, e.g. SPY or BRK.B)"
            )
        out[role] = ticker
    return out


def leg_tickers(
    roles: tuple[str, ...], specs: tuple[AssetSpec, ...], overrides: dict[str, str] | None = None
) -> dict[str, str]:
    """Role -> tradable ticker for each leg, then ``cash`` (overrides win)."""
    over = overrides or {}
    out = {role: over.get(role, a.tradable) for role, a in zip(roles, specs, strict=True)}
    out["cash"] = over.get("cash", CASH_TRADABLE)
    return out


def decision_times(days: pd.DatetimeIndex | pd.Series) -> list[str]:
    """The 16:00 ET decision of each day as an ISO timestamp with the America/New_York
    offset (``2026-08-21T16:00:00-04:00``)."""
    idx = pd.DatetimeIndex(days).normalize() + pd.Timedelta(hours=DECISION_HOUR)
    return [t.isoformat() for t in idx.tz_localize(DECISION_TZ)]


def exact_weights(legs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Round each leg's weight to :data:`DECIMALS` decimals and give CASH the residual.

    Parameters
    ----------
    legs : array of shape (n_rows, n_legs): the legs' target weights (sum at most 1).

    Returns
    -------
    (legs, cash): the rounded legs, array of shape (n_rows, n_legs), and CASH, array of shape
    (n_rows,), such that for every row ``sum([*legs, cash]) == 1.0`` and
    ``math.fsum([*legs, cash]) == 1.0`` exactly (NaN rows stay NaN).
    """
    w = np.round(np.asarray(legs, dtype=np.float64), DECIMALS)
    w[w == 0.0] = 0.0  # no -0.0
    cash = np.full(len(w), np.nan)
    for i, row in enumerate(w):
        if not np.isfinite(row).all():
            continue
        vals = [float(x) for x in row]
        c = _residual(vals)
        if c is None:
            # No float closes this row both ways: nudge the largest leg by a few ulps (far
            # below the rounding) until one does.
            j = int(np.argmax(row))
            down = up = float(row[j])
            for _ in range(64):
                down, up = math.nextafter(down, -math.inf), math.nextafter(up, math.inf)
                for x in (down, up):
                    vals[j] = x
                    c = _residual(vals)
                    if c is not None:
                        w[i, j] = x
                        break
                if c is not None:
                    break
        if c is None:  # pragma: no cover - never seen in 10^6 random rows
            raise AssertionError(f"weights {vals} cannot sum to 1 with a cash residual")
        cash[i] = 0.0 if c == 0.0 else c
    return w, cash


def _residual(vals: list[float]) -> float | None:
    """A cash weight ``c`` with ``sum([*vals, c]) == 1.0`` and ``math.fsum([*vals, c]) ==
    1.0``, or None when there is none.

    The rounded residual is tried first; else ``c`` must lie within the rounding interval of
    1.0 around both the left-to-right sum ``S`` and the exact sum ``T`` of ``vals``: the
    middle of the overlap of the two intervals (exact rationals), then its neighbours.
    """
    exact = sum((Fraction(v) for v in vals), Fraction(0))
    left = Fraction(sum(vals))
    below, above = Fraction(1, 2**54), Fraction(1, 2**53)  # half ulps of 1.0 either side
    lo = max(1 - left, 1 - exact) - below
    hi = min(1 - left, 1 - exact) + above
    mid = float((lo + hi) / 2)
    # The round residual first (0.2 rather than 0.20000000000000004 when both work).
    cands = [round(1.0 - math.fsum(vals), DECIMALS), 1.0 - sum(vals), mid]
    down = up = mid
    for _ in range(4):
        down, up = math.nextafter(down, -math.inf), math.nextafter(up, math.inf)
        cands += [down, up]
    for c in cands:
        if c >= 0.0 and sum([*vals, c]) == 1.0 and math.fsum([*vals, c]) == 1.0:
            return c
    return None


def spec_hash(strategy: Strategy) -> str:
    """sha256 (hex) of the canonical JSON of the resolved strategy (its TOML layout with every
    default filled in, keys sorted, no spaces): the same rules give the same hash."""
    text = json.dumps(strategy.to_dict(), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def metadata(
    strategy: Strategy,
    specs: tuple[AssetSpec, ...],
    tickers: dict[str, str],
    *,
    form: str,
    orders: bool,
) -> dict[str, Any]:
    """The contract's metadata: what a portfolio tool needs beside the weights.

    Keys: ``schema``, ``strategy``, ``source``, ``spec_sha256``, ``form`` (wide / long),
    ``orders`` (only the rows where an order executes), ``execution_lag`` (trading days),
    ``band``, ``rebalance`` (frequency), ``decision_time`` (the convention), ``legs`` (per leg:
    role, asset, ticker, title, fees, slippage; then cash with its ticker and rate),
    ``weights`` (how they are rounded).
    """
    roles = strategy.roles()
    legs: list[dict[str, Any]] = [
        {
            "role": role,
            "asset": a.id,
            "ticker": tickers[role],
            "title": a.title,
            "fees": float(f),
            "slippage": float(sl),
        }
        for role, a, f, sl in zip(
            roles, specs, strategy.leg_fees(), strategy.leg_slippage(), strict=True
        )
    ]
    legs.append(
        {
            "role": "cash",
            "asset": "CASH",
            "ticker": tickers["cash"],
            "title": f"cash accruing {strategy.cash_rate} (the remainder)",
            "fees": 0.0,
            "slippage": 0.0,
        }
    )
    return {
        "schema": SCHEMA_ID,
        "strategy": strategy.name,
        "source": strategy.source,
        "spec_sha256": spec_hash(strategy),
        "form": form,
        "orders": orders,
        "execution_lag": strategy.execution_lag,
        "band": float(strategy.rebalance.band),
        "rebalance": strategy.rebalance.frequency,
        "decision_time": f"{DECISION_HOUR}:00 {DECISION_TZ} on the decision date",
        "legs": legs,
        "weights": f"rounded to {DECIMALS} decimals; CASH is the residual (each row sums to "
        "exactly 1.0)",
    }
