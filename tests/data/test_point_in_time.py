"""Point-in-time store and panel on the real snapshot, file precedence and vintages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data import LookAheadError, MissingDataError, Store, load_panel
from data.known import known_at


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    # Module-scoped: built before the per-test isolation, so pin every folder by hand.
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("RUNOFF_DATA_DIR", raising=False)
        return Store(cache_dir=tmp_path_factory.mktemp("empty-cache"))


@pytest.fixture(scope="module")
def jan_panel(store: Store) -> pd.DataFrame:
    return load_panel(
        "2023-12-20", "2024-01-31", ["WALCL", "DGS10", "DFEDTARU", "SAHMREALTIME"], store=store
    )


def test_walcl_2024_01_03_visible_only_from_friday(jan_panel: pd.DataFrame) -> None:
    """DESIGN.md / the note: WALCL 7,681,024 for Wednesday 2024-01-03, released Thursday
    2024-01-04 at 16:30 ET (after that day's 16:00 decision), so first usable on Friday."""
    walcl = jan_panel["WALCL"]
    assert walcl.loc["2024-01-03"] != 7_681_024
    assert walcl.loc["2024-01-04"] != 7_681_024
    assert walcl.loc["2024-01-04"] == 7_712_781  # still the 2023-12-27 level
    assert walcl.loc["2024-01-05"] == 7_681_024


def test_panel_columns_and_trading_days(jan_panel: pd.DataFrame) -> None:
    assert list(jan_panel.columns) == ["GSPC", "WALCL", "DGS10", "DFEDTARU", "SAHMREALTIME"]
    assert pd.Timestamp("2024-01-15") not in jan_panel.index  # MLK day: no S&P close
    assert jan_panel.loc["2024-01-19", "GSPC"] == 4839.81
    # H.15: the 10y of Friday 2024-01-12 is public Tuesday 2024-01-16 16:15 -> used Wednesday.
    assert jan_panel.loc["2024-01-16", "DGS10"] == pytest.approx(3.98)  # the 2024-01-11 value
    assert jan_panel.loc["2024-01-17", "DGS10"] == pytest.approx(3.96)  # the 2024-01-12 value


def test_panel_matches_an_independent_merge_asof(store: Store) -> None:
    """Oracle: pandas merge_asof on available_at <= day 16:00.

    Ties (e.g. Thursday's and Friday's H.15 values both public Monday after a Friday
    federal holiday) go to the newer observation: sort by (available_at, obs_date) and
    merge_asof takes the last of equal keys.
    """
    p = load_panel("2015-01-01", "2024-12-31", ["WALCL", "DGS10", "GDP"], store=store)
    left = pd.DataFrame({"t": p.index + pd.Timedelta(hours=16)})
    for sid in ["WALCL", "DGS10", "GDP"]:
        obs = store.observations(sid).sort_values(["available_at", "obs_date"])
        m = pd.merge_asof(left, obs, left_on="t", right_on="available_at", direction="backward")
        np.testing.assert_array_equal(m["value"].to_numpy(), p[sid].to_numpy(), err_msg=sid)


def test_usrec_is_refused_as_a_signal(store: Store) -> None:
    with pytest.raises(LookAheadError, match="USREC"):
        load_panel("2020-01-01", "2020-12-31", ["USREC"], store=store)
    p = load_panel("2020-01-01", "2020-12-31", ["USREC"], store=store, allow_ex_post=True)
    assert p.loc["2020-04-01", "USREC"] == 1.0


def test_known_at_never_shows_later_observations(store: Store) -> None:
    k = known_at("WALCL", "2024-01-04", last=3, store=store)
    assert k.value == 7_712_781 and k.obs_date == pd.Timestamp("2023-12-27")
    assert k.available_at == pd.Timestamp("2023-12-28 16:30")
    assert list(k.history["obs_date"].dt.strftime("%Y-%m-%d")) == [
        "2023-12-13",
        "2023-12-20",
        "2023-12-27",
    ]
    k = known_at("WALCL", "2024-01-05", last=2, store=store)
    assert k.value == 7_681_024
    assert (k.history["available_at"] <= pd.Timestamp("2024-01-05 16:00")).all()
    assert k.history["obs_date"].max() == pd.Timestamp("2024-01-03")


def test_known_at_before_the_first_value(store: Store) -> None:
    k = known_at("WALCL", "2002-12-18", store=store)
    assert k.value is None and k.history.empty


def _walcl(folder: Path, rows: list[tuple[str, int]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    body = "".join(f"{d},{v}\n" for d, v in rows)
    (folder / "WALCL.csv").write_text("observation_date,WALCL\n" + body)


def test_a_missing_data_dir_is_an_error_not_a_silent_fallback(tmp_path: Path) -> None:
    with pytest.raises(MissingDataError, match=r"data dir .*nope does not exist"):
        Store(data_dir=tmp_path / "nope")


def test_data_dir_beats_cache_beats_snapshot(tmp_path: Path) -> None:
    data_dir, cache = tmp_path / "mine", tmp_path / "cache"
    st = Store(cache_dir=cache)
    assert st.locate("WALCL")[1] == "snapshot"
    _walcl(cache, [("2024-01-03", 1_000_000)])
    st = Store(cache_dir=cache)
    assert st.locate("WALCL")[1] == "cache"
    assert st.observations("WALCL")["value"].tolist() == [1_000_000]
    _walcl(data_dir, [("2024-01-03", 2_000_000)])
    st = Store(data_dir=data_dir, cache_dir=cache)
    assert st.load("WALCL").origin == "data-dir"
    assert st.observations("WALCL")["value"].tolist() == [2_000_000]


VINTAGES = """observation_date,WALCL,realtime_start
2023-12-20,7724063,2023-12-21
2023-12-27,7712795,2023-12-28
2023-12-27,7712781,2024-01-04
2024-01-03,7681024,2024-01-04
2024-01-10,7686710,2024-01-11
2024-01-10,7686999,2024-02-01
2024-01-17,7673741,2024-01-18
"""


@pytest.fixture
def vintage_store(tmp_path: Path) -> Store:
    (tmp_path / "WALCL.csv").write_text(VINTAGES)
    return Store(data_dir=tmp_path, cache_dir=tmp_path / "cache")


def test_vintages_revision_never_leaks_back(vintage_store: Store) -> None:
    assert vintage_store.load("WALCL").vintages
    days = pd.DatetimeIndex(
        ["2024-01-02", "2024-01-04", "2024-01-05", "2024-01-12", "2024-02-01", "2024-02-02"]
    )
    got = vintage_store.asof("WALCL", days)
    # 2024-01-04 16:00: the revision of 2023-12-27 (public 16:30) is not yet known.
    assert got["value"].tolist() == [7712795, 7712795, 7681024, 7686710, 7673741, 7673741]
    # The late revision of 2024-01-10 (2024-02-01) never replaces the newer 2024-01-17 value,
    # but shows in the history once public.
    k = known_at("WALCL", "2024-01-31", last=5, store=vintage_store)
    hist = dict(zip(k.history["obs_date"].dt.strftime("%Y-%m-%d"), k.history["value"], strict=True))
    assert hist["2024-01-10"] == 7686710 and hist["2023-12-27"] == 7712781
    # The revision's vintage date is 2024-02-01: public at 16:30, after that day's decision.
    for day, want in [("2024-02-01", 7686710), ("2024-02-02", 7686999)]:
        k = known_at("WALCL", day, last=5, store=vintage_store)
        hist = dict(
            zip(k.history["obs_date"].dt.strftime("%Y-%m-%d"), k.history["value"], strict=True)
        )
        assert hist["2024-01-10"] == want, day
    assert k.value == 7673741


def test_vintage_history_as_of_the_first_release(vintage_store: Store) -> None:
    k = known_at("WALCL", "2024-01-03", last=5, store=vintage_store)
    assert k.history["value"].tolist() == [7724063, 7712795]
    assert k.available_at == pd.Timestamp("2023-12-28 16:30")
