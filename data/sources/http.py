"""The one place where Runoff talks to the network (``requests`` with timeouts).

Every live source calls :func:`get_text`; tests replace ``requests.get`` here with
recorded responses, so the network is never touched in the test suite. Errors become
:class:`~data.errors.FetchError` with one line that never contains an API key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests

from data.errors import FetchError

TIMEOUT: tuple[float, float] = (10.0, 60.0)
"""(connect, read) timeouts in seconds for every request."""

USER_AGENT = "Mozilla/5.0 (compatible; runoff/0.1; +https://pypi.org/project/runoff/)"
"""Yahoo answers 429 to clients without a browser-like User-Agent."""

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


def get_text(
    url: str,
    params: Params | None = None,
    *,
    what: str,
    timeout: tuple[float, float] = TIMEOUT,
) -> str:
    """GET ``url`` and return the body as text (UTF-8, BOM stripped).

    Parameters
    ----------
    url, params : the request.
    what : what is being downloaded, for error messages (e.g. ``"FRED CSV WALCL"``).
    timeout : (connect, read) timeouts in seconds.

    Raises
    ------
    FetchError : network failure, timeout, a status other than 200, an empty or
        undecodable body. The message names ``what`` and the host, never the key.
    """
    host = urlsplit(url).netloc
    try:
        resp = requests.get(
            url, params=dict(params or {}), headers={"User-Agent": USER_AGENT}, timeout=timeout
        )
    except requests.RequestException as exc:
        raise FetchError(
            redact(
                f"{what}: download from {host} failed ({type(exc).__name__}: {exc}); "
                f"check the network and retry"
            )
        ) from None
    if resp.status_code != 200:
        body = " ".join(resp.text.split())[:160] if resp.text else ""
        raise FetchError(
            redact(
                f"{what}: HTTP {resp.status_code} from {host}"
                + (f" ({body})" if body else "")
                + "; check the series id, or retry later"
            )
        )
    try:
        text = resp.content.decode("utf-8-sig")
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
