"""``runoff data show``: what was known of a series at one day's 16:00 ET decision time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.dates import parse_past_day
from data.errors import LookAheadError, ParameterError
from data.manifest import SeriesSpec, spec
from data.pit import asof_positions
from data.release import DECISION_TIME
from data.store import Store


@dataclass(frozen=True)
class KnownAt:
    """A series as it was known at ``decision`` (naive New York wall time).

    Attributes
    ----------
    spec : the manifest entry.
    decision : the decision time (the day's 16:00 ET).
    value, obs_date, available_at : the latest value public by then (``None`` if none yet).
    history : the last observations public by then, one row per observation date with
        the newest vintage public by then: ``obs_date``, ``value``, ``available_at``
        (ascending). No observation published after ``decision`` appears.
    path, origin : where the data came from.
    vintages : ``available_at`` comes from ALFRED ``realtime_start`` dates.
    """

    spec: SeriesSpec
    decision: pd.Timestamp
    value: float | None
    obs_date: pd.Timestamp | None
    available_at: pd.Timestamp | None
    history: pd.DataFrame
    path: str
    origin: str
    vintages: bool

    def to_dict(self) -> dict[str, object]:
        def iso(t: pd.Timestamp | None) -> str | None:
            return None if t is None else t.isoformat()

        return {
            "series": self.spec.id,
            "title": self.spec.title,
            "units": self.spec.units,
            "to_bn": self.spec.to_bn,
            "release": self.spec.release.value,
            "decision": iso(self.decision),
            "value": self.value,
            "obs_date": None if self.obs_date is None else str(self.obs_date.date()),
            "available_at": iso(self.available_at),
            "history": [
                {
                    "obs_date": str(pd.Timestamp(r.obs_date).date()),
                    "value": float(r.value),
                    "available_at": pd.Timestamp(r.available_at).isoformat(),
                }
                for r in self.history.itertuples(index=False)
            ],
            "file": self.path,
            "origin": self.origin,
            "vintages": self.vintages,
        }


def known_at(
    series_id: str, as_of: str | pd.Timestamp, *, last: int = 5, store: Store | None = None
) -> KnownAt:
    """What was public of ``series_id`` at ``as_of`` 16:00 ET.

    Parameters
    ----------
    series_id : a manifest id.
    as_of : the decision day (``YYYY-MM-DD``).
    last : how many observations to list (>= 1).
    store : the point-in-time store (default: a new :class:`Store`).

    Raises
    ------
    LookAheadError : ``series_id`` is ex post (never public as a signal).
    ParameterError : a bad date, a date in the future (after today in New York) or
        outside the accepted range, or a bad ``last``.
    """
    s = spec(series_id)
    if last < 1:
        raise ParameterError(f"--last: {last} is not a positive number of observations")
    if s.ex_post:
        raise LookAheadError(
            f"series {s.id} is an ex-post label ({s.title}): it was never public at a decision "
            f"time; load it with load_panel(..., allow_ex_post=True) for evaluation only"
        )
    decision = parse_past_day(as_of, "--as-of") + DECISION_TIME
    store = store or Store()
    data = store.load(s.id)
    obs = data.observations
    od = obs["obs_date"].values
    av = obs["available_at"].values
    pos = int(
        asof_positions(od, av, np.array([decision.to_datetime64()], dtype="datetime64[ns]"))[0]
    )
    public = obs[av <= decision.to_datetime64()]
    # One row per observation date: its newest vintage public by then.
    public = public.sort_values(["obs_date", "available_at"], kind="stable")
    history = public.drop_duplicates("obs_date", keep="last").tail(last).reset_index(drop=True)
    if pos < 0:
        value = obs_date = avail = None
    else:
        value = float(obs["value"].iloc[pos])
        obs_date = pd.Timestamp(od[pos])
        avail = pd.Timestamp(av[pos])
    return KnownAt(
        s, decision, value, obs_date, avail, history, str(data.path), data.origin, data.vintages
    )
