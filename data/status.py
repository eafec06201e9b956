"""``runoff data status``: what the store holds for every series of the manifest."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from data.manifest import INDEX_ID, MANIFEST, spec
from data.staleness import staleness_frame
from data.store import Store


@dataclass(frozen=True)
class SeriesStatus:
    """One series as the store sees it.

    Attributes
    ----------
    id, title, units : from the manifest.
    to_bn : factor to $bn (``None``: not money).
    release : the release rule's name.
    origin : ``data-dir``, ``cache``, ``snapshot`` or ``missing`` (no file, e.g. the
        not-bundled WLRRAL and H41RESPPALDKNWW before ``runoff data update``).
    file : the file read (``None`` when missing).
    first, last : first and last observation date with a value (ISO).
    rows : data rows in the file (vintage files: one per date and vintage).
    missing : rows whose value is missing (``.`` or empty).
    last_value : the value of the last observation (latest vintage), published units.
    vintages : ``available_at`` comes from ALFRED ``realtime_start`` dates.
    age_days : calendar days from ``last`` to today.
    age_vs_index_days : calendar days from ``last`` to the S&P 500's last date
        (how stale the series is on the last trading day of the panel).
    cadence, stale_limit, stale_unit : the series' stale rule (:class:`data.manifest.StaleRule`;
        ``stale_limit`` None: never stale).
    stale_at : the decision day staleness is judged at: the S&P 500's last date (ISO).
    expected_obs : the newest observation the release rule makes public by then (ISO).
    behind : how far ``last`` public then is behind ``expected_obs``, in ``stale_unit``.
    stale_status : ``fresh``, ``stale``, ``not yet public``, ``in a documented gap``,
        ``ended``, ``ex post`` (:mod:`data.staleness`); None without an index or a file.
    stale : ``stale_status == "stale"`` (None when not judged).
    """

    id: str
    title: str
    origin: str
    file: str | None
    first: str | None
    last: str | None
    rows: int
    missing: int
    last_value: float | None
    units: str
    to_bn: float | None
    release: str
    vintages: bool
    age_days: int | None
    age_vs_index_days: int | None
    cadence: str
    stale_limit: int | None
    stale_unit: str
    stale_at: str | None = None
    expected_obs: str | None = None
    behind: int | None = None
    stale_status: str | None = None
    stale: bool | None = None

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        if d["last_value"] is not None and not math.isfinite(d["last_value"]):
            d["last_value"] = None
        return d


def series_status(
    store: Store | None = None,
    *,
    today: dt.date | str | None = None,
    series: list[str] | tuple[str, ...] | None = None,
) -> list[SeriesStatus]:
    """Status of every manifest series (or ``series``), in manifest order.

    Parameters
    ----------
    store : the store (default: a new :class:`Store`).
    today : the reference day for ``age_days`` (default: today's date).
    series : ids to report (default: the whole manifest).

    Raises
    ------
    DataError : a file exists but cannot be read (names the file and line).
    MissingDataError : a bundled series has no file at all.
    """
    store = store or Store()
    ref = pd.Timestamp(today if today is not None else dt.date.today()).normalize()
    ids = list(series) if series is not None else list(MANIFEST)
    index_last: pd.Timestamp | None = None
    if store.has(INDEX_ID):
        index_last = pd.Timestamp(store.observations(INDEX_ID)["obs_date"].iloc[-1])
    out = []
    for sid in ids:
        s = spec(sid)
        base: dict[str, Any] = dict(
            id=s.id,
            title=s.title,
            units=s.units,
            to_bn=s.to_bn,
            release=s.release.value,
            cadence=s.stale.cadence.value,
            stale_limit=s.stale.limit,
            stale_unit=s.stale.unit,
        )
        if not store.has(sid) and not s.in_snapshot:
            out.append(
                SeriesStatus(
                    origin="missing",
                    file=None,
                    first=None,
                    last=None,
                    rows=0,
                    missing=0,
                    last_value=None,
                    vintages=False,
                    age_days=None,
                    age_vs_index_days=None,
                    **base,
                )
            )
            continue
        data = store.load(sid)  # raises MissingDataError for a lost bundled file
        obs = data.observations
        if obs.empty:
            first = last = None
            last_value = None
            age = age_idx = None
        else:
            last_ts = pd.Timestamp(obs["obs_date"].iloc[-1])
            first = str(pd.Timestamp(obs["obs_date"].iloc[0]).date())
            last = str(last_ts.date())
            # Vintage files: the last row of the last date is its latest vintage.
            last_value = float(obs["value"].iloc[-1])
            age = int((ref - last_ts).days)
            age_idx = int((index_last - last_ts).days) if index_last is not None else None
        if index_last is not None:
            f = staleness_frame(store, sid, pd.DatetimeIndex([index_last])).iloc[0]
            behind = None if pd.isna(f["behind"]) else int(f["behind"])
            expected = None if pd.isna(f["expected_obs"]) else str(f["expected_obs"].date())
            base.update(
                stale_at=str(index_last.date()),
                expected_obs=expected,
                behind=behind,
                stale_status=str(f["status"]),
                stale=bool(f["stale"]),
            )
        out.append(
            SeriesStatus(
                origin=data.origin,
                file=str(data.path),
                first=first,
                last=last,
                rows=len(data.rows),
                missing=int(data.rows["value"].isna().sum()),
                last_value=last_value,
                vintages=data.vintages,
                age_days=age,
                age_vs_index_days=age_idx,
                **base,
            )
        )
    return out
