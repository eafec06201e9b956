"""Dotted keys: one value parser for TOML, ``--param`` and ``--grid``.

The same text is accepted or rejected the same way, with the same message, whichever way it
comes in: as ``--param KEY=TEXT`` (regimes / explain), as ``--grid KEY=TEXT`` (sweep), or as
the TOML value it spells in a strategy file (and through ``Strategy.replace``). Booleans are
``true`` / ``false`` only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import tomli_w

from data.errors import ParameterError
from engine.cli.regimes_cmd import regime_params
from strategies import expand_grid, load_strategy, parse_grid_option
from strategies.errors import GridError, StrategyError
from strategies.keys import problem as problem_kind
from strategies.keys import read_text

# (dotted key, text, accepted value or None, problem when rejected)
TABLE = [
    ("balance_sheet.window_weeks", "26", 26, None),
    ("balance_sheet.window_weeks", "+8", 8, None),
    ("balance_sheet.window_weeks", "8.5", None, "expected an integer"),
    ("balance_sheet.window_weeks", "1e3", None, "expected an integer"),
    ("balance_sheet.window_weeks", "abc", None, "expected an integer"),
    ("balance_sheet.window_weeks", "true", None, "expected an integer"),
    ("balance_sheet.window_weeks", "-3", None, "expected 1 to 520 weeks"),
    ("balance_sheet.window_weeks", "521", None, "expected 1 to 520 weeks"),
    ("net_liquidity.band_bn", "100", 100.0, None),
    ("net_liquidity.band_bn", "1e2", 100.0, None),
    ("net_liquidity.band_bn", "0.5", 0.5, None),
    ("net_liquidity.band_bn", ".5", 0.5, None),
    ("net_liquidity.band_bn", "nan", None, "expected a finite number"),
    ("net_liquidity.band_bn", "inf", None, "expected a finite number"),
    ("net_liquidity.band_bn", "high", None, "expected a number"),
    ("net_liquidity.band_bn", "false", None, "expected a number"),
    ("net_liquidity.band_bn", "-1", None, "the dead band must be >= 0"),
    ("policy.below_range", "true", True, None),
    ("policy.below_range", "false", False, None),
    ("policy.below_range", "True", None, "expected true or false"),
    ("policy.below_range", "FALSE", None, "expected true or false"),
    ("policy.below_range", "yes", None, "expected true or false"),
    ("policy.below_range", "on", None, "expected true or false"),
    ("policy.below_range", "1", None, "expected true or false"),
    ("policy.below_range", "0", None, "expected true or false"),
    ("policy.y10_drop", "0.25", 0.25, None),
    ("policy.y10_drop", "1", 1.0, None),
    ("policy.y10_drop", "0", None, "expected a positive fall in percentage points"),
]
IDS = [f"{k}={t}" for k, t, _, _ in TABLE]
FLOAT_KEYS = {"net_liquidity.band_bn", "policy.y10_drop"}


def _param(key: str, text: str) -> object:
    params = regime_params(argparse.Namespace(strategy=None, param=[f"{key}={text}"]))
    group, _, name = key.partition(".")
    return getattr(getattr(params, group), name)


def _grid(key: str, text: str) -> object:
    k, values = parse_grid_option(f"{key}={text}")
    grid = expand_grid(load_strategy("qt_aware"), {k: values}, include_sweep=False)
    group, _, name = key.partition(".")
    return getattr(getattr(grid.strategy_at(0).regimes, group), name)


def _toml(tmp_path: Path, key: str, text: str) -> object:
    group, _, name = key.partition(".")
    path = tmp_path / "t.toml"
    body = tomli_w.dumps({"name": "t", "regimes": {group: {name: read_text(text)}}})
    path.write_text(body, encoding="utf-8")
    return getattr(getattr(load_strategy(path).regimes, group), name)


def _replace(key: str, text: str) -> object:
    s = load_strategy("qt_aware").replace(**{key: read_text(text)})
    group, _, name = key.partition(".")
    return getattr(getattr(s.regimes, group), name)


@pytest.mark.parametrize(("key", "text", "value", "problem"), TABLE, ids=IDS)
def test_param_grid_and_toml_agree(
    tmp_path: Path, key: str, text: str, value: object, problem: str | None
) -> None:
    ways = {
        "--param": lambda: _param(key, text),
        "--grid": lambda: _grid(key, text),
        "toml": lambda: _toml(tmp_path, key, text),
        "replace": lambda: _replace(key, text),
    }
    if problem is None:
        for way, get in ways.items():
            got = get()
            assert got == value and type(got) is type(value), way
        return
    # The value as typed for the key (an int given for a float key shows as a float).
    raw = read_text(text)
    typed = float(raw) if key in FLOAT_KEYS and problem_kind(raw, float) is None else raw
    shown = repr(typed)
    errors = {"--param": ParameterError, "--grid": GridError, "toml": StrategyError}
    errors["replace"] = StrategyError
    messages = {}
    for way, get in ways.items():
        with pytest.raises(errors[way]) as info:
            get()
        messages[way] = msg = str(info.value)
        assert "\n" not in msg and msg.endswith(problem) and shown in msg, (way, msg)
    # --param and the file name the key and the value the same way.
    assert messages["--param"] == f"--param {key} = {shown}: {problem}"
    assert messages["toml"].endswith(f": regimes.{key} = {shown}: {problem}")


def test_text_is_read_as_the_toml_value_it_spells() -> None:
    assert read_text("13") == 13 and read_text(" 0.5 ") == 0.5 and read_text("1e-3") == 0.001
    assert read_text("true") is True and read_text("false") is False
    assert read_text(".5") == 0.5 and read_text("5.") == 5.0 and read_text("08") == 8
    assert read_text("True") == "True" and read_text("yes") == "yes"
    assert read_text('"walcl"') == "walcl" and read_text("walcl") == "walcl"


def test_parameter_errors_carry_the_key() -> None:
    with pytest.raises(ParameterError) as info:
        regime_params(argparse.Namespace(strategy=None, param=["policy.below_range=yes"]))
    err = info.value
    assert (err.key, err.value, err.problem) == (
        "policy.below_range",
        "yes",
        "expected true or false",
    )
    with pytest.raises(ParameterError) as info:
        regime_params(argparse.Namespace(strategy=None, param=["balance_sheet.window_weeks=0"]))
    assert info.value.key == "balance_sheet.window_weeks" and info.value.value == 0


# -- strategy files that say nothing, and absurd lags (issue 12) ---------------------------------


@pytest.mark.parametrize("body", ["", "\n\n", "# only a comment\n   # and another\n"])
def test_an_empty_strategy_file_is_an_error_naming_the_file(tmp_path: Path, body: str) -> None:
    path = tmp_path / "empty.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(StrategyError) as info:
        load_strategy(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: the strategy file is empty") and "\n" not in msg


@pytest.mark.parametrize("lag", [2521, 10**30])
def test_a_huge_execution_lag_names_the_file_and_the_key(tmp_path: Path, lag: int) -> None:
    path = tmp_path / "lag.toml"
    path.write_text(f'name = "lag"\n[execution]\nlag = {lag}\n', encoding="utf-8")
    with pytest.raises(StrategyError) as info:
        load_strategy(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}: execution.lag = {lag}: expected at most 2520 trading days")
    assert "\n" not in msg
    with pytest.raises(GridError, match="expected at most 2520 trading days"):
        expand_grid(load_strategy("qt_aware"), {"execution_lag": [1, lag]})
    assert load_strategy("qt_aware").replace(execution_lag=2520).execution_lag == 2520
