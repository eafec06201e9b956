"""Runoff's data layer: series manifest, sources, point-in-time store and daily panel.

The error classes are imported at once (every package raises them, and they need nothing);
the other names below are imported on first use (PEP 562), so ``from data.errors import
RunoffError`` or ``runoff --help`` never load pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from data.errors import (
    DataError,
    FetchError,
    LookAheadError,
    MissingDataError,
    ParameterError,
    RunoffError,
    UnknownAssetError,
    UnknownSeriesError,
)

if TYPE_CHECKING:
    from data.known import KnownAt, known_at
    from data.manifest import INDEX_ID, MANIFEST, KnownGap, Release, SeriesSpec, spec
    from data.panel import DEFAULT_SERIES, load_panel, trading_days
    from data.staleness import Staleness, stale_inputs
    from data.status import SeriesStatus, series_status
    from data.store import SeriesData, Store
    from data.verify import VerifyReport, verify_store

_LAZY: dict[str, str] = {
    "KnownAt": "data.known",
    "known_at": "data.known",
    "INDEX_ID": "data.manifest",
    "MANIFEST": "data.manifest",
    "KnownGap": "data.manifest",
    "Release": "data.manifest",
    "SeriesSpec": "data.manifest",
    "spec": "data.manifest",
    "DEFAULT_SERIES": "data.panel",
    "load_panel": "data.panel",
    "trading_days": "data.panel",
    "Staleness": "data.staleness",
    "stale_inputs": "data.staleness",
    "SeriesStatus": "data.status",
    "series_status": "data.status",
    "SeriesData": "data.store",
    "Store": "data.store",
    "VerifyReport": "data.verify",
    "verify_store": "data.verify",
}
"""Public name -> the module that defines it (imported on first access)."""


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'data' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "DEFAULT_SERIES",
    "INDEX_ID",
    "MANIFEST",
    "DataError",
    "FetchError",
    "KnownAt",
    "KnownGap",
    "LookAheadError",
    "MissingDataError",
    "ParameterError",
    "Release",
    "RunoffError",
    "SeriesData",
    "SeriesSpec",
    "SeriesStatus",
    "Staleness",
    "Store",
    "UnknownAssetError",
    "UnknownSeriesError",
    "VerifyReport",
    "known_at",
    "load_panel",
    "series_status",
    "spec",
    "stale_inputs",
    "trading_days",
    "verify_store",
]
