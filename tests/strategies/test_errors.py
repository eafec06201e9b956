"""Bad strategy files: each mistake gives one StrategyError line naming the file and the key."""

from __future__ import annotations

import pytest

from strategies import builtin_names, load_strategy
from strategies.errors import StrategyError

RULE = '[[allocation.rules]]\nname = "qt"\nbalance_sheet = "CONTRACTION"\nweight = 0.5\n'
TWO = '[assets]\nequity = "SP500TR"\ntreasury = "UST10Y"\n'
"""Two risky legs (issue 10): the S&P 500 total return and the 10-year Treasury."""

# (case id, TOML body after `name = "bad"`, key the message must name, another fragment)
CASES = [
    (
        "misspelled top-level key",
        "[rebalanse]\nband = 0.05\n",
        "rebalanse",
        "did you mean 'rebalance'",
    ),
    (
        "misspelled regime param",
        "[regimes.balance_sheet]\nwindow_week = 8\n",
        "regimes.balance_sheet.window_week",
        "did you mean 'window_weeks'",
    ),
    (
        "unknown regime group",
        "[regimes.phase]\ny10_drop = 0.5\n",
        "regimes.phase",
        "known keys here: balance_sheet, net_liquidity, policy",
    ),
    (
        "misspelled rule key",
        '[[allocation.rules]]\nphase = "HIKING"\nwieght = 0.5\n',
        "allocation.rules[0].wieght",
        "did you mean 'weight'",
    ),
    (
        "misspelled allocation key",
        "[allocation]\ndefualt = 0.5\n",
        "allocation.defualt",
        "did you mean 'default'",
    ),
    (
        "rule without weight",
        '[[allocation.rules]]\nphase = "HIKING"\n',
        "allocation.rules[0].weight",
        "missing",
    ),
    (
        "unknown regime name",
        RULE + '[[allocation.rules]]\nbalance_sheet = "CONTRACTON"\nweight = 0.2\n',
        "allocation.rules[1].balance_sheet",
        "expected one of UNKNOWN, EXPANSION, PLATEAU, CONTRACTION or '*'",
    ),
    (
        "unknown phase",
        '[[allocation.rules]]\nphase = "CUTING"\nweight = 0.2\n',
        "allocation.rules[0].phase",
        "did you mean 'CUTTING'",
    ),
    (
        "weight above max",
        "[allocation]\nmax_weight = 0.8\ndefault = 0.8\n" + RULE.replace("0.5", "0.9"),
        "allocation.rules[0].weight = 0.9",
        "outside [min_weight, max_weight] = [0.0, 0.8]",
    ),
    (
        "weight below min",
        "[allocation]\nmin_weight = 0.6\n" + RULE,
        "allocation.rules[0].weight = 0.5",
        "outside [min_weight, max_weight]",
    ),
    (
        "default outside bounds",
        "[allocation]\ndefault = 1.0\nmax_weight = 0.7\n",
        "allocation.default = 1.0",
        "outside",
    ),
    (
        "max bound above 1",
        "[allocation]\nmax_weight = 1.5\n",
        "allocation.max_weight = 1.5",
        "outside [0, 1]",
    ),
    (
        "min bound below 0",
        "[allocation]\nmin_weight = -0.1\ndefault = 0.5\n",
        "allocation.min_weight = -0.1",
        "outside [0, 1]",
    ),
    (
        "min above max",
        "[allocation]\nmin_weight = 0.6\nmax_weight = 0.4\n",
        "allocation.min_weight = 0.6",
        "above allocation.max_weight",
    ),
    (
        "duplicate rule name",
        RULE + RULE.replace("CONTRACTION", "PLATEAU"),
        "allocation.rules[1].name = 'qt'",
        "already used by allocation.rules[0]",
    ),
    (
        "shadowed rule",
        RULE.replace('name = "qt"\n', "") + "[[allocation.rules]]\n"
        'balance_sheet = "CONTRACTION"\nphase = "HIKING"\nweight = 0.1\n',
        "allocation.rules[1]",
        "never matches",
    ),
    (
        "overlay feature",
        '[[overlays]]\nfeature = "y10_minus_2y"\nslope = 0.1\n',
        "overlays[0].feature = 'y10_minus_2y'",
        "did you mean 'y10_minus_y2'",
    ),
    ("overlay without slope", '[[overlays]]\nfeature = "vix"\n', "overlays[0].slope", "missing"),
    (
        "bad frequency",
        '[rebalance]\nfrequency = "Q"\n',
        "rebalance.frequency = 'Q'",
        "expected 'D'",
    ),
    ("band of 1", "[rebalance]\nband = 1.0\n", "rebalance.band = 1.0", "[0, 1)"),
    ("negative band", "[rebalance]\nband = -0.01\n", "rebalance.band = -0.01", "[0, 1)"),
    ("negative fees", "[costs]\nfees = -0.001\n", "costs.fees = -0.001", "[0, 1)"),
    ("negative slippage", "[costs]\nslippage = -0.0002\n", "costs.slippage = -0.0002", "[0, 1)"),
    ("lag 0", "[execution]\nlag = 0\n", "execution.lag = 0", "look-ahead"),
    ("unknown cash rate", '[cash]\nrate = "DGS3M"\n', "cash.rate = 'DGS3M'", "'DGS3MO'"),
    (
        "weight as string",
        '[[allocation.rules]]\nphase = "HIKING"\nweight = "0.5"\n',
        "allocation.rules[0].weight = '0.5'",
        "expected a number",
    ),
    (
        "weight as bool",
        '[[allocation.rules]]\nphase = "HIKING"\nweight = true\n',
        "allocation.rules[0].weight = True",
        "expected a number",
    ),
    ("lag as float", "[execution]\nlag = 1.5\n", "execution.lag = 1.5", "expected an integer"),
    (
        "frequency as number",
        "[rebalance]\nfrequency = 1\n",
        "rebalance.frequency = 1",
        "expected 'D'",
    ),
    ("section as value", 'rebalance = "D"\n', "rebalance = 'D'", "expected a table"),
    (
        "rules as table",
        "[allocation.rules]\nweight = 0.5\n",
        "allocation.rules",
        "expected an array of tables",
    ),
    ("description as number", "description = 3\n", "description = 3", "expected a string"),
    ("nan weight", "[allocation]\ndefault = nan\n", "allocation.default = nan", "finite"),
    (
        "regime param out of range",
        "[regimes.balance_sheet]\nwindow_weeks = 0\n",
        "regimes.balance_sheet.window_weeks = 0",
        "expected 1 to 520 weeks",
    ),
    (
        "regime param float for int",
        "[regimes.net_liquidity]\nwindow_weeks = 13.5\n",
        "regimes.net_liquidity.window_weeks = 13.5",
        "expected an integer",
    ),
    (
        "exit threshold inside band",
        "[regimes.balance_sheet]\nexpand_enter = 0.05\nexpand_exit = 0.08\n",
        "regimes.balance_sheet.expand_exit = 0.08",
        "<= expand_enter",
    ),
    (
        "unknown measure",
        '[regimes.balance_sheet]\nmeasure = "gdp"\n',
        "regimes.balance_sheet.measure = 'gdp'",
        "unknown measure",
    ),
    (
        "policy bool as string",
        '[regimes.policy]\nbelow_range = "yes"\n',
        "regimes.policy.below_range = 'yes'",
        "true or false",
    ),
    ("empty sweep list", RULE + '[sweep]\n"weights.qt" = []\n', 'sweep."weights.qt"', "empty"),
    (
        "empty sweep values table",
        RULE + '[sweep]\n"weights.qt" = { values = [] }\n',
        'sweep."weights.qt"',
        "empty",
    ),
    (
        "unknown sweep key",
        RULE + '[sweep]\n"balance_sheet.window_week" = [8, 13]\n',
        'sweep."balance_sheet.window_week"',
        "did you mean 'balance_sheet.window_weeks'",
    ),
    (
        "sweep weight of unknown rule",
        RULE + '[sweep]\n"weights.contraction" = [0.2]\n',
        'sweep."weights.contraction"',
        "unknown sweep key",
    ),
    (
        "sweep of a string setting",
        RULE + '[sweep]\n"rebalance.frequency" = ["D", "W"]\n',
        'sweep."rebalance.frequency"',
        "not sweepable",
    ),
    (
        "sweep float for int",
        RULE + '[sweep]\n"balance_sheet.window_weeks" = [8.5, 13]\n',
        'sweep."balance_sheet.window_weeks"',
        "value 8.5 (position 0): expected an integer",
    ),
    (
        "sweep float range for int",
        '[sweep]\n"execution_lag" = { start = 1, stop = 3, step = 0.5 }\n',
        'sweep."execution_lag"',
        "expected an integer",
    ),
    (
        "sweep value out of range",
        RULE + '[sweep]\n"weights.qt" = [0.5, 1.5]\n',
        'sweep."weights.qt"',
        "value 1.5 (position 1): outside [0, 1]",
    ),
    (
        "sweep duplicate value",
        RULE + '[sweep]\n"weights.qt" = [0.5, 0.5]\n',
        'sweep."weights.qt"',
        "listed twice",
    ),
    (
        "sweep scalar",
        RULE + '[sweep]\n"weights.qt" = 0.5\n',
        'sweep."weights.qt"',
        "expected a list of values",
    ),
    (
        "sweep step zero",
        RULE + '[sweep]\n"weights.qt" = { start = 0.0, stop = 1.0, step = 0.0 }\n',
        'sweep."weights.qt"',
        "expected step > 0",
    ),
    (
        "sweep negative step",
        RULE + '[sweep]\n"weights.qt" = { start = 0.0, stop = 1.0, step = -0.1 }\n',
        'sweep."weights.qt"',
        "expected step > 0",
    ),
    (
        "sweep stop below start",
        RULE + '[sweep]\n"weights.qt" = { start = 0.5, stop = 0.2, step = 0.1 }\n',
        'sweep."weights.qt"',
        "the range is empty",
    ),
    (
        "sweep range missing step",
        RULE + '[sweep]\n"weights.qt" = { start = 0.0, stop = 1.0 }\n',
        'sweep."weights.qt"',
        "expected {start, stop, step}",
    ),
    (
        "sweep weights below swept min",
        RULE + '[sweep]\n"min_weight" = [0.0, 0.3]\n"weights.qt" = [0.2, 0.5]\n',
        "sweep",
        "weights.qt ranges over [0.2, 0.5]",
    ),
    # -- legs (issue 10): the spec checks roles, shapes, bounds and sums; ids are the engine's
    (
        "asset id in lower case",
        '[assets]\nequity = "sp500tr"\n',
        "assets.equity = 'sp500tr'",
        "upper case: 'SP500TR'?",
    ),
    ("asset id not a string", "[assets]\nequity = 500\n", "assets.equity = 500", "asset id"),
    (
        "cash as a role",
        TWO + 'cash = "BIL"\n',
        "assets.cash = 'BIL'",
        "cash is the remainder",
    ),
    (
        "five risky legs",
        '[assets]\na = "SPY"\nb = "IEF"\nc = "TLT"\nd = "SHY"\ne = "BIL"\n',
        "assets",
        "at most 4",
    ),
    (
        "same asset twice",
        '[assets]\nequity = "SPY"\nother = "SPY"\n',
        "assets.other = 'SPY'",
        "already held by assets.equity",
    ),
    (
        "role weight without its asset",
        '[[allocation.rules]]\nphase = "HIKING"\nweights = { equity = 0.5, treasury = 0.4 }\n',
        "allocation.rules[0].weights.treasury",
        "no asset for role 'treasury'",
    ),
    (
        "equity weight without an equity leg",
        '[assets]\ntreasury = "UST10Y"\n[allocation]\ndefault = 0.5\n',
        "allocation.default = 0.5",
        "no equity leg",
    ),
    (
        "weights sum above 1",
        TWO
        + '[[allocation.rules]]\nphase = "HIKING"\nweights = { equity = 0.7, treasury = 0.4 }\n',
        "allocation.rules[0].weights = {'equity': 0.7, 'treasury': 0.4}",
        "sum to 1.1, above 1",
    ),
    (
        "default table sums above 1",
        TWO + "[allocation]\ndefault = { equity = 0.8, treasury = 0.3 }\n",
        "allocation.default",
        "sum to 1.1",
    ),
    (
        "weight and weights",
        TWO
        + '[[allocation.rules]]\nphase = "HIKING"\nweight = 0.5\nweights = { treasury = 0.2 }\n',
        "allocation.rules[0]",
        "weight and weights both given",
    ),
    (
        "bounds above 1",
        TWO + "[allocation.bounds]\ntreasury = [0.0, 1.2]\n",
        "allocation.bounds.treasury = [0.0, 1.2]",
        "outside [0, 1]",
    ),
    (
        "bounds below 0",
        TWO + "[allocation.bounds]\ntreasury = [-0.1, 0.6]\n",
        "allocation.bounds.treasury = [-0.1, 0.6]",
        "outside [0, 1]",
    ),
    (
        "bounds not a pair",
        TWO + "[allocation.bounds]\ntreasury = 0.6\n",
        "allocation.bounds.treasury = 0.6",
        "expected [lo, hi]",
    ),
    (
        "bounds min above max",
        TWO + "[allocation.bounds]\ntreasury = [0.6, 0.2]\n",
        "allocation.bounds.treasury = [0.6, 0.2]",
        "lower bound is above",
    ),
    (
        "bounds of a role without asset",
        "[allocation.bounds]\ntreasury = [0.0, 0.6]\n",
        "allocation.bounds.treasury",
        "no asset for role 'treasury'",
    ),
    (
        "lower bounds sum above 1",
        TWO + "[allocation]\nmin_weight = 0.7\ndefault = 0.7\n[allocation.bounds]\n"
        "treasury = [0.4, 1.0]\n",
        "allocation.bounds",
        "sum to 1.1, above 1",
    ),
    (
        "role weight outside its bounds",
        TWO + "[allocation.bounds]\ntreasury = [0.0, 0.3]\n[[allocation.rules]]\n"
        'phase = "HIKING"\nweights = { equity = 0.5, treasury = 0.4 }\n',
        "allocation.rules[0].weights.treasury = 0.4",
        "outside allocation.bounds.treasury = [0.0, 0.3]",
    ),
    (
        "costs table missing a role",
        TWO + "[costs]\nfees = { equity = 0.0005 }\n",
        "costs.fees",
        "missing role 'treasury'",
    ),
    (
        "costs of a role without asset",
        "[costs]\nslippage = { equity = 0.0, bond = 0.0001 }\n",
        "costs.slippage.bond",
        "no asset for role 'bond'",
    ),
    (
        "overlay of a role without asset",
        '[[overlays]]\nfeature = "vix"\nslope = 0.1\nrole = "tresury"\n',
        "overlays[0].role = 'tresury'",
        "no asset for role 'tresury'",
    ),
    (
        "benchmark sums above 1",
        TWO + "[benchmark]\nweights = { equity = 0.7, treasury = 0.5 }\n",
        "benchmark.weights",
        "sum to 1.2, above 1",
    ),
    (
        "benchmark of a role without asset",
        "[benchmark]\nweights = { equity = 0.6, treasury = 0.4 }\n",
        "benchmark.weights.treasury",
        "no asset for role 'treasury'",
    ),
    (
        "sweep role weights summing above 1",
        TWO + '[[allocation.rules]]\nname = "hike"\nphase = "HIKING"\n'
        "weights = { equity = 0.5, treasury = 0.4 }\n"
        '[sweep]\n"weights.hike" = [0.5, 0.7]\n',
        "sweep",
        "the weights of allocation.rules[0] sum to up to 1.1",
    ),
    (
        "sweep invalid regime combination",
        '[sweep]\n"balance_sheet.expand_exit" = [0.02, 0.06]\n',
        "sweep",
        "balance_sheet.expand_exit=0.06 is invalid",
    ),
]


@pytest.mark.parametrize(("case", "body", "key", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_bad_strategy_names_file_and_key(
    tmp_path, case: str, body: str, key: str, fragment: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('name = "bad"\n' + body, encoding="utf-8")
    with pytest.raises(StrategyError) as info:
        load_strategy(path)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(f"{path}: {key}"), msg
    assert fragment in msg, msg


def test_toml_syntax_error_names_file_and_line(tmp_path) -> None:
    path = tmp_path / "syntax.toml"
    path.write_text('name = "bad"\n[allocation]\ndefault 0.5\n', encoding="utf-8")
    with pytest.raises(StrategyError, match=r"syntax\.toml: invalid TOML: .*line 3"):
        load_strategy(path)


def test_unknown_builtin_lists_the_builtins() -> None:
    with pytest.raises(StrategyError) as info:
        load_strategy("qt_awre")
    msg = str(info.value)
    assert "unknown strategy 'qt_awre'; did you mean 'qt_aware'?" in msg
    assert ", ".join(builtin_names()) in msg


def test_missing_strategy_file(tmp_path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(StrategyError, match=r"nowhere\.toml: no such strategy file"):
        load_strategy(path)
    with pytest.raises(StrategyError, match=r"nowhere\.toml: no such strategy file"):
        load_strategy(str(path))


def test_file_without_name_and_source() -> None:
    from strategies import parse_strategy

    with pytest.raises(StrategyError, match=r"name: missing"):
        parse_strategy({"allocation": {"default": 0.5}})
