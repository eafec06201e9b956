"""Errors of strategy specs and sweep grids, in the one hierarchy rooted at
:class:`data.errors.RunoffError` (library code raises them; the CLI prints one line)."""

from __future__ import annotations

from data.errors import ParameterError, RunoffError


class StrategyError(RunoffError):
    """A strategy spec (TOML file or dataclass) is invalid; the message names the file and key."""


class GridError(ParameterError):
    """A sweep grid is invalid (unknown key, empty range, wrong type, too large)."""


__all__ = ["GridError", "ParameterError", "StrategyError"]
