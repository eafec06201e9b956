"""One exception hierarchy for the whole project.

Library code raises these; only the CLI turns them into a one-line message and a
non-zero exit code. Every message says what is wrong, where, and how to fix it.
The hierarchy lives in the lowest package (``data``) so that ``strategies`` and
``engine`` can share it without ``data`` ever importing ``engine``.
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


class StrategyError(RunoffError):
    """A strategy spec (TOML file or dataclass) is invalid."""


class ParameterError(RunoffError):
    """A parameter value is out of its valid range or of the wrong type."""


class GridError(ParameterError):
    """A sweep grid is invalid (unknown key, empty range, too large)."""
