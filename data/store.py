"""The point-in-time store: every observation with the time it became public.

Rows are ``(series, obs_date, value, available_at)``. Files are looked up, per series,
in the user's data dir (``--data-dir`` / ``RUNOFF_DATA_DIR``), then the download cache
(``runoff data update``), then the bundled snapshot. The first place that has an entry
of the series' name wins: an entry that is not a readable regular file (a directory, a
named pipe, a dangling symlink, a symlink loop) is an error naming it, never a silent
fallback to the next place. Every file read passes the checks of :mod:`data.checks`
(one line naming the file, the line and the rule otherwise).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from data import paths, reader
from data.checks import Problem, value_problems
from data.errors import DataError, MissingDataError
from data.loaders import read_fred_csv, read_index_csv
from data.manifest import MANIFEST, SeriesSpec, spec
from data.pit import asof_positions
from data.release import available_at, decision_times, with_vintage


@dataclass(frozen=True)
class SeriesData:
    """One loaded series.

    Attributes
    ----------
    spec : its manifest entry.
    path : the file it was read from.
    origin : ``data-dir``, ``cache`` or ``snapshot``.
    rows : every data row, missing values included: ``obs_date``, ``value``, ``available_at``.
    vintages : True when ``available_at`` comes from ALFRED ``realtime_start`` dates.
    lines : the 1-based line in the file of each row of ``rows`` (``None``: not known).
    """

    spec: SeriesSpec
    path: Path
    origin: str
    rows: pd.DataFrame
    vintages: bool
    lines: np.ndarray | None = None

    @property
    def observations(self) -> pd.DataFrame:
        """Rows with a value (missing markers dropped)."""
        return self.rows[self.rows["value"].notna()].reset_index(drop=True)


def read_series_file(
    path: Path, s: SeriesSpec, *, text: str | None = None, with_lines: bool = False
) -> pd.DataFrame:
    """Read ``path`` (or ``text``, labelled ``path``) as series ``s`` and attach ``available_at``.

    Only the loaders' parse rules (and the ``dates`` rule) apply here; see
    :func:`series_problems` for the value checks.

    Returns
    -------
    DataFrame with ``obs_date``, ``value`` and ``available_at``, one row per data row in
    file order; vintage files (a ``realtime_start`` column) also keep ``realtime_start``;
    with ``with_lines`` a ``line`` column gives each row's line in the file.
    """
    if s.price_column is not None:
        frame = read_index_csv(path, text=text, price=s.price_column, with_lines=with_lines)
    else:
        frame = read_fred_csv(path, s.id, text=text, with_lines=with_lines)
    if "realtime_start" in frame:
        frame["available_at"] = with_vintage(frame["realtime_start"].values, s.release)
    else:
        frame["available_at"] = available_at(frame["obs_date"].values, s.release)
    return frame


def series_problems(data: SeriesData) -> list[Problem]:
    """Every value check of :mod:`data.checks` that ``data`` fails (empty: it passes)."""
    return value_problems(
        data.spec,
        str(data.path),
        data.rows["obs_date"].to_numpy(),
        data.rows["value"].to_numpy(dtype=np.float64),
        data.rows["available_at"].to_numpy(),
        data.lines,
    )


_FIX_BY_ORIGIN = {
    "data-dir": "fix the file, or remove it from the data dir to fall back to the cache or snapshot",
    "cache": "delete the cached file or run 'runoff data update {id}' to replace it",
    "snapshot": "restore the bundled snapshot (reinstall runoff or git checkout data/snapshot)",
}


def _with_fix(exc: DataError, origin: str, series_id: str) -> DataError:
    fix = _FIX_BY_ORIGIN[origin].format(id=series_id)
    return DataError(f"{exc} ({origin} file: {fix})", check=exc.check)


class Store:
    """Point-in-time access to every series of the manifest.

    Parameters
    ----------
    data_dir : the user's own files (default: ``RUNOFF_DATA_DIR`` if set); it must exist,
        and an empty string is an error (it would silently mean the current folder).
    cache_dir : the download cache (default: ``RUNOFF_CACHE_DIR`` or the user cache dir).
    snapshot_dir : the bundled snapshot.
    """

    def __init__(
        self,
        data_dir: str | Path | None = None,
        cache_dir: str | Path | None = None,
        snapshot_dir: str | Path | None = None,
    ) -> None:
        self.data_dir = paths.user_data_dir(data_dir)
        if self.data_dir is not None and not self.data_dir.is_dir():
            raise MissingDataError(
                f"data dir {self.data_dir} does not exist or is not a folder; create it, or fix "
                f"--data-dir / RUNOFF_DATA_DIR"
            )
        self.cache_dir = Path(cache_dir) if cache_dir is not None else paths.cache_dir()
        if os.path.lexists(self.cache_dir) and not self.cache_dir.is_dir():
            raise DataError(
                f"cache dir {self.cache_dir} is not a folder (a file, a dangling symlink or a "
                f"loop); remove it, or point RUNOFF_CACHE_DIR at a folder"
            )
        self.snapshot_dir = Path(snapshot_dir) if snapshot_dir is not None else paths.SNAPSHOT_DIR
        self._loaded: dict[str, SeriesData] = {}

    def _candidates(self, s: SeriesSpec) -> list[tuple[Path, str]]:
        out = []
        if self.data_dir is not None:
            out.append((self.data_dir / s.filename, "data-dir"))
        out.append((self.cache_dir / s.filename, "cache"))
        if s.in_snapshot:
            out.append((self.snapshot_dir / s.filename, "snapshot"))
        return out

    def locate(self, series_id: str) -> tuple[Path, str] | None:
        """The file that would be read for ``series_id`` and its origin (None: no file).

        Raises
        ------
        DataError : the first place with an entry of the series' name holds something that
            is not a regular file (a directory, a named pipe, a dangling symlink, a loop).
        """
        s = spec(series_id)
        for path, origin in self._candidates(s):
            try:
                if reader.is_file(path):
                    return path, origin
            except DataError as exc:
                raise _with_fix(exc, origin, s.id) from None
        return None

    def has(self, series_id: str) -> bool:
        """True when a file for ``series_id`` exists in any of the three places."""
        return self.locate(series_id) is not None

    def unknown_files(self) -> list[Path]:
        """Entries of the data dir that are not a manifest series' file (sorted; hidden
        entries, whose names start with ``.``, are left out). They are never read."""
        if self.data_dir is None:
            return []
        known = {s.filename for s in MANIFEST.values()}
        return [
            self.data_dir / name
            for name in reader.entry_names(self.data_dir)
            if name not in known and not name.startswith(".")
        ]

    def _missing(self, s: SeriesSpec) -> MissingDataError:
        where = ", ".join(str(p) for p, _ in self._candidates(s))
        hint = (
            f"run 'runoff data update {s.id}' to download it"
            if not s.in_snapshot
            else "restore the bundled snapshot (git checkout data/snapshot) or run "
            f"'runoff data update {s.id}'"
        )
        return MissingDataError(f"series {s.id}: no file found (looked in {where}); {hint}")

    def read(self, series_id: str) -> SeriesData:
        """Read ``series_id``'s file with the parse rules only (no value checks, not cached).

        ``runoff data verify`` uses this to list every failed check; everything else
        uses :meth:`load`.
        """
        s = spec(series_id)
        found = self.locate(series_id)
        if found is None:
            raise self._missing(s)
        path, origin = found
        try:
            rows = read_series_file(path, s, with_lines=True)
        except DataError as exc:
            raise _with_fix(exc, origin, s.id) from None
        lines = rows.pop("line").to_numpy()
        vintages = "realtime_start" in rows
        if vintages:
            rows = rows.drop(columns="realtime_start")
        return SeriesData(s, path, origin, rows, vintages, lines)

    def load(self, series_id: str) -> SeriesData:
        """Load (once) and return ``series_id``, checked by every rule of :mod:`data.checks`.

        Raises
        ------
        MissingDataError : no file holds it.
        DataError : the file breaks a rule: one line naming the file, the line and the rule.
        """
        if series_id in self._loaded:
            return self._loaded[series_id]
        data = self.read(series_id)
        problems = series_problems(data)
        if problems:
            raise _with_fix(problems[0].error(), data.origin, data.spec.id)
        self._loaded[series_id] = data
        return data

    def observations(self, series_id: str) -> pd.DataFrame:
        """Observations with a value: ``obs_date``, ``value`` (published units), ``available_at``."""
        return self.load(series_id).observations

    def asof(self, series_id: str, days: pd.DatetimeIndex) -> pd.DataFrame:
        """What was known of ``series_id`` at each day's 16:00 ET decision time.

        Returns
        -------
        DataFrame indexed by ``days`` with ``value``, ``obs_date`` and ``available_at`` of
        the latest value public by then (NaN / NaT before the first release).
        """
        obs = self.observations(series_id)
        pos = asof_positions(
            obs["obs_date"].values, obs["available_at"].values, decision_times(days)
        )
        has = pos >= 0
        value = np.full(len(days), np.nan)
        od = np.full(len(days), np.datetime64("NaT"), dtype="datetime64[ns]")
        av = od.copy()
        value[has] = obs["value"].values[pos[has]]
        od[has] = obs["obs_date"].values[pos[has]]
        av[has] = obs["available_at"].values[pos[has]]
        return pd.DataFrame({"value": value, "obs_date": od, "available_at": av}, index=days)

    def available_ids(self) -> list[str]:
        """Manifest ids that have a file in one of the three places, in manifest order."""
        return [sid for sid in MANIFEST if self.has(sid)]
