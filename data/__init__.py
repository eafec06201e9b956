"""Runoff's data layer: series manifest, sources, point-in-time store and daily panel."""

from data.errors import (
    DataError,
    FetchError,
    GridError,
    LookAheadError,
    MissingDataError,
    ParameterError,
    RunoffError,
    StrategyError,
    UnknownSeriesError,
)
from data.manifest import INDEX_ID, MANIFEST, Release, SeriesSpec, spec
from data.panel import DEFAULT_SERIES, load_panel, trading_days
from data.store import SeriesData, Store

__all__ = [
    "DEFAULT_SERIES",
    "INDEX_ID",
    "MANIFEST",
    "DataError",
    "FetchError",
    "GridError",
    "LookAheadError",
    "MissingDataError",
    "ParameterError",
    "Release",
    "RunoffError",
    "SeriesData",
    "SeriesSpec",
    "Store",
    "StrategyError",
    "UnknownSeriesError",
    "load_panel",
    "spec",
    "trading_days",
]
