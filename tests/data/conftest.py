"""Shared helpers for the data-layer tests: recorded HTTP responses and a CLI runner."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from data import paths
from engine.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
_REAL_GET = requests.get
"""``requests.get`` before any test replaced it."""


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@dataclass
class FakeResponse:
    """What ``requests.get`` returns, reduced to what :mod:`data.sources.http` reads."""

    status_code: int = 200
    content: bytes = b""

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def iter_content(self, chunk_size: int = 1) -> Any:
        for i in range(0, len(self.content), chunk_size):
            yield self.content[i : i + chunk_size]

    def close(self) -> None:
        pass


def respond(body: str | bytes, status: int = 200) -> FakeResponse:
    return FakeResponse(status, body.encode("utf-8") if isinstance(body, str) else body)


def route_key(url: str, params: dict[str, Any]) -> tuple[str, str]:
    """(kind, series) of a request: kind in fred-csv, fred-api, yahoo, stooq."""
    if "fredgraph" in url:
        return "fred-csv", str(params.get("id"))
    if "api.stlouisfed.org" in url:
        return "fred-api", str(params.get("series_id"))
    if "finance/chart" in url:
        return "yahoo", "GSPC"
    if "stooq" in url:
        return "stooq", "GSPC"
    raise AssertionError(f"unexpected request to {url}")


@dataclass
class FakeWeb:
    """Stands in for ``requests.get``: routes requests to recorded responses, logs calls.

    A route's answer is a :class:`FakeResponse`, an exception to raise, or a callable
    ``(url, params) -> FakeResponse``.
    """

    routes: dict[tuple[str, str], Any] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)

    def add(self, kind: str, series: str, answer: Any) -> None:
        self.routes[(kind, series)] = answer

    def __call__(
        self,
        url: str,
        params: dict[str, Any] | None = None,
        headers: Any = None,
        timeout: Any = None,
        stream: bool = False,
    ) -> FakeResponse:
        params = dict(params or {})
        self.calls.append({"url": url, "params": params, "headers": headers, "timeout": timeout})
        key = route_key(url, params)
        if key not in self.routes:
            return respond("<html><body>Not Found</body></html>", 404)
        answer = self.routes[key]
        if isinstance(answer, BaseException):
            raise answer
        if callable(answer) and not isinstance(answer, FakeResponse):
            return answer(url, params)
        return answer


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """A data test that reaches the HTTP layer without the ``web`` fixture fails loudly."""

    def refuse(url: str, *args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"a test tried to reach the network: {url}")

    monkeypatch.setattr("data.sources.http.requests.get", refuse)


def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the HTTP layer reach 127.0.0.1 only (a local test server); anything else fails."""
    real = _REAL_GET

    def guarded(url: str, *args: Any, **kwargs: Any) -> Any:
        if urlsplit(url).hostname != "127.0.0.1":
            raise AssertionError(f"a test tried to reach the network: {url}")
        return real(url, *args, **kwargs)

    monkeypatch.setattr("data.sources.http.requests.get", guarded)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("no_proxy", "127.0.0.1")


@pytest.fixture
def loopback(monkeypatch: pytest.MonkeyPatch, _no_network: None) -> None:
    """Real HTTP to 127.0.0.1 only (see :func:`loopback_only`)."""
    loopback_only(monkeypatch)


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch, _no_network: None) -> FakeWeb:
    """Replace the HTTP layer's ``requests.get``; any unrouted request gets a 404."""
    fake = FakeWeb()
    monkeypatch.setattr("data.sources.http.requests.get", fake)
    return fake


@pytest.fixture
def empty_snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the bundled snapshot at an empty folder (downloads compare with nothing)."""
    folder = tmp_path / "snapshot"
    folder.mkdir()
    monkeypatch.setattr(paths, "SNAPSHOT_DIR", folder)
    return folder


@pytest.fixture
def snapshot_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the bundled snapshot that the store reads instead."""
    folder = tmp_path / "snapshot_copy"
    shutil.copytree(paths.SNAPSHOT_DIR, folder)
    monkeypatch.setattr(paths, "SNAPSHOT_DIR", folder)
    return folder


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``runoff ARGS...`` in-process and capture its exit code, stdout and stderr."""

    def _run(*argv: str) -> CliResult:
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return _run


def cache_path() -> Path:
    return paths.cache_dir()


def dir_listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []
