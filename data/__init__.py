"""Runoff's data layer: series manifest, sources, point-in-time store and daily panel."""

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
from data.known import KnownAt, known_at
from data.manifest import INDEX_ID, MANIFEST, KnownGap, Release, SeriesSpec, spec
from data.panel import DEFAULT_SERIES, load_panel, trading_days
from data.status import SeriesStatus, series_status
from data.store import SeriesData, Store
from data.verify import VerifyReport, verify_store

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
    "Store",
    "UnknownAssetError",
    "UnknownSeriesError",
    "VerifyReport",
    "known_at",
    "load_panel",
    "series_status",
    "spec",
    "trading_days",
    "verify_store",
]
