"""No look-ahead, as properties: data cut at D gives the same panel up to D as all data.

Prefix stability is the data layer's no-look-ahead guarantee (STYLE.md): if removing
everything after D changed any value on or before D, that value used the future.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from data import Store, load_panel
from data.manifest import spec
from data.paths import SNAPSHOT_DIR
from data.release import available_at

# Every release rule of the panel is represented: H.4.1 weekly, H.15, fed funds, target,
# ON RRP same day 16:30, monthly 10th, quarterly lag; plus the index itself.
SERIES = ["WALCL", "WTREGEN", "DGS10", "DFF", "DFEDTARU", "RRPONTSYD", "SAHMREALTIME", "GDP"]
WINDOW = ("2014-01-01", "2025-06-30")
HISTORY_FROM = "2012-01-01"  # files keep some history before the window (warm-up rows)


def _rows(sid: str) -> tuple[str, list[str], np.ndarray]:
    lines = (SNAPSHOT_DIR / spec(sid).filename).read_text().splitlines()
    body = [ln for ln in lines[1:] if ln[:10] >= HISTORY_FROM]
    return lines[0], body, np.array([ln[:10] for ln in body], dtype="datetime64[D]")


@pytest.fixture(scope="module")
def files() -> dict[str, tuple[str, list[str], np.ndarray]]:
    return {sid: _rows(sid) for sid in [*SERIES, "GSPC"]}


def _store(folder: Path) -> Store:
    return Store(
        data_dir=folder, cache_dir=folder / "no-cache", snapshot_dir=folder / "no-snapshot"
    )


def _write(folder: Path, files: dict, keep: dict[str, np.ndarray] | None = None) -> None:
    for sid, (header, body, _) in files.items():
        rows = body if keep is None else [ln for ln, k in zip(body, keep[sid], strict=True) if k]
        (folder / spec(sid).filename).write_text("\n".join([header, *rows]) + "\n")


@pytest.fixture(scope="module")
def full_panel(files: dict, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("full")
    _write(folder, files)
    return load_panel(*WINDOW, SERIES, store=_store(folder))


@settings(max_examples=25, deadline=None)
@given(
    cut=st.dates(min_value=dt.date(2014, 1, 6), max_value=dt.date(2025, 6, 30)),
    mode=st.sampled_from(["observed", "published"]),
)
def test_panel_on_data_cut_at_d_equals_full_panel_up_to_d(
    files: dict, full_panel: pd.DataFrame, cut: dt.date, mode: str
) -> None:
    """``observed``: rows dated after D removed; ``published``: rows not yet public at D 16:00
    removed (what a download on D after the close would hold)."""
    d = np.datetime64(cut, "D")
    decision = np.datetime64(cut, "ns") + np.timedelta64(16, "h")
    keep = {}
    for sid, (_, _, dates) in files.items():
        if mode == "observed":
            keep[sid] = dates <= d
        else:
            keep[sid] = available_at(dates, spec(sid).release) <= decision
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _write(folder, files, keep)
        cut_panel = load_panel(WINDOW[0], str(cut), SERIES, store=_store(folder))
    expected = full_panel.loc[: str(cut)]
    pd.testing.assert_frame_equal(cut_panel, expected, check_freq=False)


def _vintage_table(seed: int) -> pd.DataFrame:
    """Random weekly series with first releases and later revisions (ALFRED-like)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 25))
    weds = pd.date_range("2023-01-04", periods=n, freq="7D")
    rows = []
    for w in weds:
        rt = w + pd.Timedelta(days=int(rng.integers(1, 3)))
        value = float(rng.integers(7_000_000, 8_000_000))
        rows.append((w, value, rt))
        for _ in range(int(rng.integers(0, 3))):
            rt = rt + pd.Timedelta(days=int(rng.integers(1, 90)))
            value += float(rng.integers(-5_000, 5_000))
            rows.append((w, value, rt))
    return pd.DataFrame(rows, columns=["obs_date", "value", "realtime_start"])


def _vintage_csv(t: pd.DataFrame) -> str:
    lines = ["observation_date,WALCL,realtime_start"] + [
        f"{o.date()},{v:.0f},{r.date()}" for o, v, r in t.itertuples(index=False)
    ]
    return "\n".join(lines) + "\n"


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), cut_offset=st.integers(0, 300))
def test_vintages_cut_at_d_never_change_earlier_days(seed: int, cut_offset: int) -> None:
    """Revisions published after D (realtime_start > D) never change what was known up to D."""
    t = _vintage_table(seed)
    cut = t["realtime_start"].min() + pd.Timedelta(days=cut_offset)
    days = pd.bdate_range("2023-01-02", cut)
    with tempfile.TemporaryDirectory() as tmp:
        full_dir, cut_dir = Path(tmp) / "full", Path(tmp) / "cut"
        full_dir.mkdir()
        cut_dir.mkdir()
        (full_dir / "WALCL.csv").write_text(_vintage_csv(t))
        kept = t[t["realtime_start"] <= cut]  # never empty: cut >= the first vintage
        (cut_dir / "WALCL.csv").write_text(_vintage_csv(kept))
        full = _store(full_dir).asof("WALCL", days)
        part = _store(cut_dir).asof("WALCL", days)
    pd.testing.assert_frame_equal(full, part)
    # And every value used was public by that day's 16:00.
    has = full["available_at"].notna()
    assert (full.loc[has, "available_at"] <= full.index[has] + pd.Timedelta(hours=16)).all()
