"""Live sources for ``runoff data update``: FRED (CSV or API with ALFRED vintages), Yahoo, Stooq.

Every source returns a :class:`Download` in the bundled snapshot's file format;
:func:`fetch_to_cache` validates it with the store's own loaders and writes it
atomically into the cache, or raises :class:`~data.errors.FetchError` and keeps the
previous file. All network access goes through :mod:`data.sources.http`.
"""

from data.sources.base import Download, Source
from data.sources.fred import FredApi, FredCsv
from data.sources.index import Stooq, Yahoo
from data.sources.update import (
    UPDATABLE,
    Sources,
    UpdateResult,
    fetch_to_cache,
    resolve_ids,
    update,
    validate_download,
)

__all__ = [
    "UPDATABLE",
    "Download",
    "FredApi",
    "FredCsv",
    "Source",
    "Sources",
    "Stooq",
    "UpdateResult",
    "Yahoo",
    "fetch_to_cache",
    "resolve_ids",
    "update",
    "validate_download",
]
