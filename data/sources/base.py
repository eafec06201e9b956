"""What every live source returns: a file's text in the snapshot's format, ready to validate."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Download:
    """One downloaded series, converted to the bundled snapshot's file format.

    Attributes
    ----------
    series_id : the manifest id.
    text : the whole file: a FRED CSV (``observation_date,<ID>`` or, with vintages,
        ``observation_date,<ID>,realtime_start``) or an index CSV
        (``date,open,high,low,close,volume``).
    source : the source's name (``fred-csv``, ``fred-api``, ``fred-api+vintages``,
        ``yahoo``, ``stooq``).
    url : the request URL, API key redacted (names the download in error messages).
    """

    series_id: str
    text: str
    source: str
    url: str


class Source(Protocol):
    """A live source: ``fetch(series_id)`` downloads one series or raises ``FetchError``."""

    @property
    def name(self) -> str:
        """Short name shown in summaries (``fred-csv``, ``yahoo``, ...)."""
        ...

    def fetch(self, series_id: str) -> Download: ...
