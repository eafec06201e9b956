"""Shared fixtures: every test runs offline against the bundled snapshot, never a user's cache."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Point the download cache at an empty temp folder and ignore a user's RUNOFF_DATA_DIR."""
    monkeypatch.setenv("RUNOFF_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("RUNOFF_DATA_DIR", raising=False)
    monkeypatch.delenv("FRED_API_KEY", raising=False)
