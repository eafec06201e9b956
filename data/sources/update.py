"""Download series into the cache: validate first, write atomically, never make it worse.

A download replaces the cached file only when it passes, in order:

1. the same guarded reader and loader that read the store (size and line limits, header,
   every row, dates sorted, unique and in range, finite numeric values, positive index
   closes);
2. the value checks of :mod:`data.checks` that every load runs: at least one value,
   every value inside the manifest's sanity ``bounds`` (a units change such as millions
   -> billions fails here), vintage dates not before the period they refer to;
3. no loss against the data the store reads now (the cached file, or the bundled one
   when nothing is cached): not fewer observation dates, not starting later, not
   ending earlier. A truncated download fails here even when its CSV is well formed.

Anything else raises :class:`~data.errors.FetchError` and leaves every file as it was.
Each series is compared, validated and written under a lock on the cache folder
(:func:`data.paths.folder_lock`), so two ``runoff data update`` processes take turns
instead of one replacing the other's newer file with an older download.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from data import paths, reader
from data.checks import value_problems
from data.errors import DataError, FetchError, RunoffError, UnknownSeriesError
from data.manifest import INDEX_ID, MANIFEST, SeriesSpec, spec
from data.sources.base import Download, Source
from data.sources.fred import FredApi, FredCsv
from data.sources.index import Stooq, Yahoo
from data.store import read_series_file

UPDATABLE: tuple[str, ...] = tuple(s.id for s in MANIFEST.values() if s.source == "fred") + (
    INDEX_ID,
)
"""Series with a live source: every FRED series of the manifest and the S&P 500."""


@dataclass(frozen=True)
class Sources:
    """Which live source serves which series.

    Attributes
    ----------
    fred : FRED series (:class:`FredCsv` or :class:`FredApi`).
    index : the S&P 500 (:class:`Yahoo` or :class:`Stooq`).
    """

    fred: Source
    index: Source

    @classmethod
    def default(cls, fred: str = "auto", index: str = "yahoo", vintages: bool = True) -> Sources:
        """Sources by name: ``fred`` in auto | fred-csv | fred-api, ``index`` in yahoo | stooq.

        ``auto`` uses the API (with vintages) when ``FRED_API_KEY`` is set, else the CSV.
        """
        if fred == "auto":
            fred = "fred-api" if os.environ.get("FRED_API_KEY", "").strip() else "fred-csv"
        if fred == "fred-csv":
            f: Source = FredCsv()
        elif fred == "fred-api":
            f = FredApi.from_env(vintages=vintages)
        else:
            raise FetchError(f"unknown FRED source {fred!r}; expected auto, fred-csv or fred-api")
        if index == "yahoo":
            i: Source = Yahoo()
        elif index == "stooq":
            i = Stooq()
        else:
            raise FetchError(f"unknown index source {index!r}; expected yahoo or stooq")
        return cls(f, i)

    def for_series(self, series_id: str) -> Source:
        s = spec(series_id)
        if s.source == "fred":
            return self.fred
        if s.id == INDEX_ID:
            return self.index
        raise UnknownSeriesError(
            f"series {series_id} has no live source (it is bundled only); updatable series: "
            f"{', '.join(UPDATABLE)}"
        )


@dataclass(frozen=True)
class UpdateResult:
    """The outcome of updating one series.

    Attributes
    ----------
    series_id : the series.
    status : ``updated``, ``unchanged`` or ``failed``.
    rows : data rows in the new file (0 when failed).
    new_dates : observation dates the previous data did not have.
    first, last : the new file's first and last observation date with a value (ISO).
    source : the live source's name.
    path : the cached file.
    reason : why it failed (``""`` otherwise).
    note : extra information (e.g. a data-dir file still takes precedence).
    """

    series_id: str
    status: str
    rows: int = 0
    new_dates: int = 0
    first: str | None = None
    last: str | None = None
    source: str = ""
    path: Path | None = None
    reason: str = ""
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def to_dict(self) -> dict[str, object]:
        """The result as JSON-ready values (``path`` as a string)."""
        return {
            "series": self.series_id,
            "status": self.status,
            "rows": self.rows,
            "new_dates": self.new_dates,
            "first": self.first,
            "last": self.last,
            "source": self.source,
            "path": None if self.path is None else str(self.path),
            "reason": self.reason,
            "note": self.note,
        }

    def line(self) -> str:
        """One summary line, e.g. ``WALCL  updated 1,238 rows (+1 new dates) ...``."""
        if self.status == "failed":
            return f"{self.series_id:<16} failed: {self.reason}"
        span = f"{self.first}..{self.last}"
        if self.status == "unchanged":
            text = f"{self.series_id:<16} unchanged ({self.rows:,} rows, {span}) [{self.source}]"
        else:
            text = (
                f"{self.series_id:<16} updated {self.rows:,} rows (+{self.new_dates:,} new "
                f"dates, {span}) [{self.source}]"
            )
        return f"{text}; {self.note}" if self.note else text


def _dates(frame: pd.DataFrame) -> np.ndarray:
    return np.unique(frame["obs_date"].values)


def _previous(
    s: SeriesSpec, cache_file: Path, snapshot_dir: Path
) -> tuple[pd.DataFrame | None, str]:
    """The data the store reads today without a data dir: the cached file, else the snapshot.

    A cached file whose content does not parse does not count (the download may replace
    it); a cache entry that is not a regular file (a directory, a FIFO, a dangling symlink)
    is an error naming it.
    """
    if reader.is_file(cache_file):
        try:
            return read_series_file(cache_file, s), f"the cached file {cache_file}"
        except DataError:
            pass
    bundled = snapshot_dir / s.filename
    if s.in_snapshot and bundled.is_file():
        try:
            return read_series_file(bundled, s), f"the bundled file {bundled}"
        except DataError:
            pass
    return None, ""


def validate_download(
    download: Download, previous: pd.DataFrame | None = None, previous_label: str = ""
) -> pd.DataFrame:
    """Check a download as the module docstring lists; return its parsed rows.

    Raises
    ------
    FetchError : naming the download (its URL) and, for a bad row, the line.
    """
    s = spec(download.series_id)
    where = download.url.split("://", 1)[-1]
    try:
        frame = read_series_file(Path(where), s, text=download.text, with_lines=True)
    except DataError as exc:
        raise FetchError(f"malformed download: {exc}") from None
    failed = value_problems(
        s,
        where,
        frame["obs_date"].to_numpy(),
        frame["value"].to_numpy(dtype=np.float64),
        frame["available_at"].to_numpy(),
        frame.pop("line").to_numpy(),
    )
    if failed:
        p = failed[0]
        what = "the download has no values" if p.check == "values" else "rejected download"
        raise FetchError(f"{what}: {p.message}")
    if previous is not None and len(previous):
        new_d, old_d = _dates(frame), _dates(previous)
        problems = []
        if len(new_d) < len(old_d):
            problems.append(
                f"{len(new_d):,} observation dates, {previous_label} has {len(old_d):,}"
            )
        if new_d[0] > old_d[0]:
            problems.append(f"starts {str(new_d[0])[:10]}, after {str(old_d[0])[:10]}")
        if new_d[-1] < old_d[-1]:
            problems.append(f"ends {str(new_d[-1])[:10]}, before {str(old_d[-1])[:10]}")
        if problems:
            raise FetchError(
                f"{where}: partial download ({'; '.join(problems)}); kept "
                f"{previous_label} (delete it to accept a shorter history)"
            )
    return frame


def fetch_to_cache(
    series_id: str,
    source: Source,
    *,
    cache_dir: str | Path | None = None,
    snapshot_dir: str | Path | None = None,
    data_dir: str | Path | None = None,
    on_wait: Callable[[Path], None] | None = None,
) -> UpdateResult:
    """Download ``series_id`` from ``source`` into the cache, or raise and change nothing.

    The comparison with the cached file, the download, its validation and the write
    happen under :func:`data.paths.folder_lock` on the cache folder.

    Parameters
    ----------
    series_id : a series of :data:`UPDATABLE`.
    source : the live source.
    cache_dir : the cache (default: ``RUNOFF_CACHE_DIR`` or the user cache dir).
    snapshot_dir : the bundled snapshot, compared against when nothing is cached.
    data_dir : the user's data dir (``--data-dir``); only used to say that its file
        still takes precedence over the cache.
    on_wait : called with the cache folder if another process holds its lock.

    Returns
    -------
    UpdateResult with status ``updated`` or ``unchanged``.

    Raises
    ------
    FetchError : the download failed or did not validate; the cache is untouched.
    DataError : the cache entry of the series is not a regular file (named).
    """
    s = spec(series_id)
    cdir = Path(cache_dir) if cache_dir is not None else paths.cache_dir()
    sdir = Path(snapshot_dir) if snapshot_dir is not None else paths.SNAPSHOT_DIR
    wait = None if on_wait is None else (lambda: on_wait(cdir))
    with paths.folder_lock(cdir, on_wait=wait):
        return _fetch_locked(s, source, cdir / s.filename, sdir, data_dir)


def _fetch_locked(
    s: SeriesSpec, source: Source, target: Path, sdir: Path, data_dir: str | Path | None
) -> UpdateResult:
    series_id = s.id
    previous, label = _previous(s, target, sdir)
    download = source.fetch(series_id)
    frame = validate_download(download, previous, label)
    dates = _dates(frame)
    new_dates = len(np.setdiff1d(dates, _dates(previous))) if previous is not None else len(dates)
    note = ""
    user_dir = paths.user_data_dir(data_dir)
    if user_dir is not None and (user_dir / s.filename).is_file():
        note = f"{user_dir / s.filename} still takes precedence over the cache"
    valued = _dates(frame[frame["value"].notna()])
    common = dict(
        rows=len(frame),
        new_dates=new_dates,
        first=str(valued[0])[:10],
        last=str(valued[-1])[:10],
        source=download.source,
        path=target,
        note=note,
    )
    try:
        unchanged = target.is_file() and target.read_bytes() == download.text.encode("utf-8")
    except OSError:
        unchanged = False
    if unchanged:
        return UpdateResult(series_id, "unchanged", **common)  # type: ignore[arg-type]
    try:
        paths.atomic_write_text(target, download.text)
    except OSError as exc:
        raise FetchError(
            f"{target}: cannot write the cache ({exc.strerror or exc}); "
            f"check the folder's permissions or set RUNOFF_CACHE_DIR"
        ) from None
    return UpdateResult(series_id, "updated", **common)  # type: ignore[arg-type]


def resolve_ids(series_ids: Iterable[str] | None) -> list[str]:
    """The series to update: ``series_ids`` (checked) or every updatable series."""
    if not series_ids:
        return list(UPDATABLE)
    out: list[str] = []
    for sid in series_ids:
        s = spec(sid)
        if s.id not in UPDATABLE:
            raise UnknownSeriesError(
                f"series {sid} has no live source (it is bundled only); updatable series: "
                f"{', '.join(UPDATABLE)}"
            )
        if s.id not in out:
            out.append(s.id)
    return out


def update(
    series_ids: Iterable[str] | None = None,
    *,
    sources: Sources | None = None,
    cache_dir: str | Path | None = None,
    snapshot_dir: str | Path | None = None,
    data_dir: str | Path | None = None,
    on_start: Callable[[str], None] | None = None,
    on_result: Callable[[UpdateResult], None] | None = None,
    on_wait: Callable[[Path], None] | None = None,
) -> list[UpdateResult]:
    """Update several series; a failure is recorded and the others go on.

    Parameters
    ----------
    series_ids : ids to update (default: :data:`UPDATABLE`); unknown ids or bundled-only
        series raise :class:`UnknownSeriesError` before any download.
    sources : live sources (default: :meth:`Sources.default`).
    cache_dir, snapshot_dir, data_dir : as in :func:`fetch_to_cache`.
    on_start, on_result : called before and after each series (progress display).
    on_wait : called with the cache folder when another process holds its lock.

    Returns
    -------
    One :class:`UpdateResult` per series, in order; a series whose download, validation,
    cache entry or write fails (any :class:`~data.errors.RunoffError` or ``OSError``) is
    ``failed`` with the one-line reason, and the next series is still updated.
    """
    ids = resolve_ids(series_ids)
    sources = sources or Sources.default()
    results = []
    for sid in ids:
        if on_start is not None:
            on_start(sid)
        try:
            res = fetch_to_cache(
                sid,
                sources.for_series(sid),
                cache_dir=cache_dir,
                snapshot_dir=snapshot_dir,
                data_dir=data_dir,
                on_wait=on_wait,
            )
        except (RunoffError, OSError) as exc:
            reason = str(exc) if isinstance(exc, RunoffError) else f"{type(exc).__name__}: {exc}"
            res = UpdateResult(sid, "failed", source=sources.for_series(sid).name, reason=reason)
        results.append(res)
        if on_result is not None:
            on_result(res)
    return results
