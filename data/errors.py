"""One exception hierarchy for the whole project.

Library code raises these; only the CLI turns them into a one-line message and a
non-zero exit code. Every message says what is wrong, where, and how to fix it.
The hierarchy is rooted in the lowest package (``data``) so that ``strategies`` and
``engine`` can share it without ``data`` ever importing ``engine``; strategy and grid errors
subclass it in :mod:`strategies.errors`.
"""

from __future__ import annotations


class RunoffError(Exception):
    """Base class of every error Runoff raises on purpose."""

    exit_code = 2


class DataError(RunoffError):
    """A data file or cache is malformed (bad header, row, value, order, date, bounds).

    ``check`` names the rule that failed (``file`` for the file itself or its layout;
    ``dates``, ``values``, ``bounds``, ``positive``, ``release`` as in :mod:`data.checks`).
    """

    def __init__(self, message: str = "", *, check: str = "file") -> None:
        super().__init__(message)
        self.check = check


class UnknownSeriesError(RunoffError):
    """A series id that the manifest does not know."""


class UnknownAssetError(RunoffError):
    """An asset id that is neither built in nor a valid user price file in the data dir."""


class MissingDataError(RunoffError):
    """A series or file that is needed is not available."""


class LookAheadError(RunoffError):
    """An ex-post series (e.g. NBER recession dates) was asked for as a signal input."""


class FetchError(RunoffError):
    """A live download failed or returned something unusable; the cache is untouched."""


class ParameterError(RunoffError):
    """A parameter value is out of its valid range or of the wrong type.

    When the error is about one named parameter, ``key`` names it (a dotted key such as
    ``balance_sheet.window_weeks``, or a field of a parameter dataclass), ``value`` is the value
    given and ``problem`` what is wrong with it; the message is then ``"<key> = <value!r>:
    <problem>"`` (with the dataclass name in front for a field). Callers that know where the
    value came from (a TOML key, a ``--param`` option) re-label the error from these fields,
    never by parsing the message. Errors that are not about one parameter leave them None.
    """

    def __init__(
        self,
        message: str,
        *,
        key: str | None = None,
        value: object = None,
        problem: str | None = None,
    ) -> None:
        super().__init__(message)
        self.key = key
        self.value = value
        self.problem = problem
