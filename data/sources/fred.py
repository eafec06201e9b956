"""FRED sources: the keyless CSV endpoint and the API (with ALFRED vintages).

Both return the snapshot's FRED CSV format: header ``observation_date,<ID>``, ISO dates,
ascending, an empty field for a missing value (FRED writes ``.``). The API with
vintages adds a third column ``realtime_start``: one row per (date, vintage), so each
value's ``available_at`` comes from the day it was really published.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from typing import Any

from data.errors import FetchError
from data.reader import shown
from data.sources import http
from data.sources.base import Download

FRED_CSV_URL = "https://fred.stlouisfed.org/graph/fredgraph.csv"
FRED_API_URL = "https://api.stlouisfed.org/fred/series/observations"
ALFRED_START = "1776-07-04"
"""``realtime_start`` that asks the API for every vintage (ALFRED's earliest)."""
ALFRED_END = "9999-12-31"
API_PAGE_LIMIT = 100_000
"""The API's largest page size."""

_MISSING = {"", "."}


def _csv_text(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerows(rows)
    return buf.getvalue()


def canonical_fred_csv(raw: str, series_id: str, what: str) -> str:
    """Rewrite FRED's CSV (either header style) in the snapshot's format.

    Only the layout changes: the header becomes ``observation_date,<ID>``, ``.`` becomes
    an empty field, surrounding blanks and ``\\r`` go. Values keep FRED's text. Rows
    are not checked here: the caller validates the result with the loaders.
    """
    rows = http.csv_records(raw, what)
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    if not rows:
        raise FetchError(f"{what}: empty response")
    header = [h.strip() for h in rows[0]]
    if len(header) != 2 or header[0].lower() not in ("date", "observation_date"):
        first = ",".join(header)[:80]
        raise FetchError(
            f"{what}: line 1: not a FRED CSV (header {first!r}); expected "
            f"'observation_date,{series_id}' (an unknown series id or an error page?)"
        )
    if header[1] != series_id:
        raise FetchError(
            f"{what}: line 1: the response holds {shown(header[1])}, not {series_id!r}"
        )
    out = [["observation_date", series_id]]
    for row in rows[1:]:
        cells = [c.strip() for c in row]
        if len(cells) == 2 and cells[1] in _MISSING:
            cells[1] = ""
        out.append(cells)
    return _csv_text(out)


@dataclass(frozen=True)
class FredCsv:
    """FRED's keyless CSV download (``fredgraph.csv?id=<ID>``): the latest vintage only.

    ``available_at`` then follows the series' release rule in the manifest.
    """

    url: str = field(default_factory=lambda: http.endpoint("FRED_CSV", FRED_CSV_URL))
    name: str = "fred-csv"

    def fetch(self, series_id: str) -> Download:
        params = {"id": series_id}
        what = f"FRED CSV {series_id}"
        raw = http.get_text(self.url, params, what=what)
        return Download(
            series_id,
            canonical_fred_csv(raw, series_id, what),
            self.name,
            http.display_url(self.url, params),
        )


def _api_error(payload: Any) -> str | None:
    if isinstance(payload, dict) and "error_message" in payload:
        return str(payload.get("error_message")).strip()
    return None


def observations_to_csv(
    observations: list[dict[str, Any]], series_id: str, *, vintages: bool, what: str
) -> str:
    """FRED API ``observations`` (a list of ``{date, value, realtime_start, ...}``) as CSV.

    With ``vintages`` the file has a third column ``realtime_start`` and rows are sorted
    by (date, realtime_start); without, one row per date.
    """
    rows: list[tuple[str, str, str]] = []
    for i, ob in enumerate(observations):
        if (
            not isinstance(ob, dict)
            or "date" not in ob
            or "value" not in ob
            or (vintages and "realtime_start" not in ob)
        ):
            keys = "date, value, realtime_start" if vintages else "date, value"
            raise FetchError(
                f"{what}: observation #{i + 1} is malformed ({str(ob)[:80]}); "
                f"expected the keys {keys}"
            )
        value = str(ob["value"]).strip()
        rows.append(
            (
                str(ob["date"]).strip(),
                "" if value in _MISSING else value,
                str(ob.get("realtime_start", "")).strip(),
            )
        )
    if not rows:
        raise FetchError(f"{what}: the API returned no observations")
    rows.sort(key=lambda r: (r[0], r[2]))
    if vintages:
        out = [["observation_date", series_id, "realtime_start"]] + [list(r) for r in rows]
    else:
        out = [["observation_date", series_id]] + [[d, v] for d, v, _ in rows]
    return _csv_text(out)


@dataclass(frozen=True)
class FredApi:
    """The FRED API (needs a free key: ``FRED_API_KEY``), by default with ALFRED vintages.

    With ``vintages=True`` it asks for every real-time period
    (``realtime_start=1776-07-04&realtime_end=9999-12-31``); each row's
    ``realtime_start`` becomes its ``available_at`` date. Pages of up to 100,000 rows
    are requested until the API's ``count`` is reached.
    """

    api_key: str
    vintages: bool = True
    url: str = field(default_factory=lambda: http.endpoint("FRED_API", FRED_API_URL))
    page_limit: int = API_PAGE_LIMIT

    @property
    def name(self) -> str:
        return "fred-api+vintages" if self.vintages else "fred-api"

    @classmethod
    def from_env(cls, vintages: bool = True) -> FredApi:
        """Build from ``FRED_API_KEY``; raise :class:`FetchError` if it is not set."""
        key = os.environ.get("FRED_API_KEY", "").strip()
        if not key:
            raise FetchError(
                "FRED_API_KEY is not set; get a free key at https://fred.stlouisfed.org/docs/api/"
                "api_key.html, or use the keyless source (--source fred-csv)"
            )
        return cls(key, vintages=vintages)

    def _params(self, series_id: str, offset: int) -> dict[str, str | int]:
        params: dict[str, str | int] = {
            "series_id": series_id,
            "api_key": self.api_key,
            "file_type": "json",
            "sort_order": "asc",
            "limit": self.page_limit,
            "offset": offset,
        }
        if self.vintages:
            params["realtime_start"] = ALFRED_START
            params["realtime_end"] = ALFRED_END
        return params

    def fetch(self, series_id: str) -> Download:
        what = f"FRED API {series_id}"
        observations: list[dict[str, Any]] = []
        count: int | None = None
        while count is None or len(observations) < count:
            params = self._params(series_id, len(observations))
            payload = http.get_json(self.url, params, what=what)
            err = _api_error(payload)
            if err is not None:
                raise FetchError(http.redact(f"{what}: the API says: {err}"))
            page = payload.get("observations") if isinstance(payload, dict) else None
            total = payload.get("count") if isinstance(payload, dict) else None
            if not isinstance(page, list) or not isinstance(total, int):
                raise FetchError(f"{what}: unexpected JSON (no 'observations' list or 'count')")
            count = total
            if not page:
                break
            observations.extend(page)
        if count is not None and len(observations) != count:
            raise FetchError(
                f"{what}: partial download: {len(observations)} observations, the API announced "
                f"{count}; retry later"
            )
        text = observations_to_csv(observations, series_id, vintages=self.vintages, what=what)
        shown = {
            k: v for k, v in self._params(series_id, 0).items() if k not in ("limit", "offset")
        }
        return Download(series_id, text, self.name, http.display_url(self.url, shown))
