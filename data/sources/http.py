"""The one place where Runoff talks to the network (``requests`` with timeouts).

Every live source calls :func:`get_text`; tests replace ``requests.get`` here with
recorded responses, so the network is never touched in the test suite. Errors become
:class:`~data.errors.FetchError` with one line that never contains an API key.

A response body is read as a stream and given up beyond :data:`MAX_BODY_BYTES` (a
runaway or decompression-bomb body never fills the memory); CSV bodies then go through
the guarded reader's line limits (:func:`csv_records`).

Endpoints: each source's base URL can be replaced with an environment variable
(:func:`endpoint`), e.g. ``RUNOFF_FRED_CSV_URL=http://127.0.0.1:8000/fredgraph.csv`` for
a local mirror or a test server.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from data import reader
from data.errors import DataError, FetchError

TIMEOUT: tuple[float, float] = (10.0, 60.0)
"""(connect, read) timeouts in seconds for every request."""

USER_AGENT = "Mozilla/5.0 (compatible; runoff/0.1; +https://pypi.org/project/runoff/)"
"""Yahoo answers 429 to clients without a browser-like User-Agent."""

MAX_BODY_BYTES = reader.MAX_FILE_BYTES
"""Largest response body read (the same limit as a data file)."""

_SECRET = re.compile(r"(api_key=)[^&\s'\"]+", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with any ``api_key=...`` value replaced by ``***``."""
    return _SECRET.sub(r"\1***", text)


Params = Mapping[str, str | int | float]


def display_url(url: str, params: Params | None = None) -> str:
    """The full request URL for messages, with the API key redacted."""
    if params:
        url = f"{url}{'&' if '?' in url else '?'}{urlencode(dict(params), safe='^:,')}"
    return redact(url)


def endpoint(name: str, default: str) -> str:
    """``RUNOFF_<NAME>_URL`` if set (a mirror or a test server), else ``default``."""
    return os.environ.get(f"RUNOFF_{name}_URL", "").strip() or default


def csv_records(raw: str, what: str) -> list[list[str]]:
    """The records of a CSV body, through the guarded reader's limits (FetchError if not)."""
    try:
        rows, _ = reader.csv_rows(reader.check_text(raw, what), what)
    except DataError as exc:
        raise FetchError(str(exc)) from None
    return rows


def _read_body(resp: requests.Response, what: str, host: str, limit: int) -> bytes:
    chunks = []
    size = 0
    for chunk in resp.iter_content(chunk_size=1 << 16):
        size += len(chunk)
        if size > limit:
            raise FetchError(
                f"{what}: the response from {host} is larger than {limit:,} bytes; "
                f"not a data file (or a runaway download), nothing was kept"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def get_text(
    url: str,
    params: Params | None = None,
    *,
    what: str,
    timeout: tuple[float, float] = TIMEOUT,
    limit: int = MAX_BODY_BYTES,
) -> str:
    """GET ``url`` and return the body as text (UTF-8, BOM stripped).

    Parameters
    ----------
    url, params : the request.
    what : what is being downloaded, for error messages (e.g. ``"FRED CSV WALCL"``).
    timeout : (connect, read) timeouts in seconds.
    limit : the largest body read, in bytes.

    Raises
    ------
    FetchError : network failure, timeout, a status other than 200, an empty, oversized
        or undecodable body. The message names ``what`` and the host, never the key.
    """
    host = urlsplit(url).netloc
    try:
        resp = requests.get(
            url,
            params=dict(params or {}),
            headers={"User-Agent": USER_AGENT},
            timeout=timeout,
            stream=True,
        )
        try:
            status = resp.status_code
            content = _read_body(resp, what, host, limit)
        finally:
            resp.close()
    except requests.RequestException as exc:
        raise FetchError(
            redact(
                f"{what}: download from {host} failed ({type(exc).__name__}: {exc}); "
                f"check the network and retry"
            )
        ) from None
    if status != 200:
        body = " ".join(content[:4096].decode("utf-8", "replace").split())[:160]
        raise FetchError(
            redact(
                f"{what}: HTTP {status} from {host}"
                + (f" ({body})" if body else "")
                + "; check the series id, or retry later"
            )
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FetchError(
            f"{what}: the response from {host} is not UTF-8 text ({exc.reason})"
        ) from None
    if not text.strip():
        raise FetchError(f"{what}: empty response from {host}; retry later")
    return text


def get_json(
    url: str,
    params: Params | None = None,
    *,
    what: str,
    timeout: tuple[float, float] = TIMEOUT,
) -> Any:
    """GET ``url`` and parse the body as JSON (FetchError as :func:`get_text`, and when the
    body is not valid JSON: a download cut short or an error page)."""
    raw = get_text(url, params, what=what, timeout=timeout)
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise FetchError(
            f"{what}: the response is not valid JSON (line {exc.lineno}, column {exc.colno}: "
            f"{exc.msg}); the download was cut short or is an error page"
        ) from None
    except (ValueError, RecursionError) as exc:  # a 5,000-digit number, nesting 10^5 deep
        first = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        raise FetchError(f"{what}: the response is not usable JSON ({first})") from None
