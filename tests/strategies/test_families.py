"""The regime registry and the types generic over it: RegimeParams and Rule."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import pytest

from data.errors import ParameterError
from strategies import Rule, Strategy, load_strategy
from strategies.errors import StrategyError
from strategies.families import FAMILIES, GROUPS, NAMES, RegimeParams, by_group, family
from strategies.regimes import FEATURE_NAMES, BalanceSheetParams, PolicyParams


def test_registry_is_consistent() -> None:
    assert len(set(NAMES)) == len(NAMES) and len(set(GROUPS)) == len(GROUPS)
    assert NAMES == ("balance_sheet", "net_liquidity", "phase", "rrp")
    assert by_group("policy").name == "phase" and family("rrp").group == "rrp"
    for f in FAMILIES:
        assert list(f.enum)[0].value == "UNKNOWN" and f.size == len(f.enum)
        assert all(f.code(m.value) == m.code for m in f.enum)  # type: ignore[attr-defined]
        assert dataclasses.is_dataclass(f.params) and f.params.__dataclass_params__.frozen
        assert f.engine.startswith("engine.regimes.families.")
        features, series = f.reads(f.params())
        assert set(features) <= set(FEATURE_NAMES) and series
    with pytest.raises(ParameterError, match="unknown regime"):
        family("rpp")


def test_regime_params_is_generic_immutable_hashable_and_picklable() -> None:
    p = RegimeParams(balance_sheet=BalanceSheetParams(window_weeks=26))
    assert p.balance_sheet.window_weeks == 26 and p.policy == PolicyParams()
    assert [g for g, _ in p.items()] == list(GROUPS) == list(p)
    assert p == RegimeParams(balance_sheet=BalanceSheetParams(window_weeks=26))
    assert hash(p) == hash(copy.deepcopy(p)) and p != RegimeParams()
    assert pickle.loads(pickle.dumps(p)) == p
    q = p.replace(policy=PolicyParams(y10_drop=1.0))
    assert q.policy.y10_drop == 1.0 and p.policy.y10_drop == 0.5
    assert p.of("phase") is p.policy and p.of(family("rrp")) is p.rrp
    with pytest.raises(AttributeError, match="immutable"):
        p.policy = PolicyParams()  # type: ignore[misc]
    with pytest.raises(AttributeError, match="no group"):
        _ = p.phase  # the phase family's group is "policy"
    with pytest.raises(ParameterError, match="unknown group 'phase'"):
        RegimeParams(phase=PolicyParams())


def test_rule_is_generic_over_the_registry() -> None:
    r = Rule(0.5, rrp="DRAINING", balance_sheet="CONTRACTION", phase="*", name="x")
    assert r.conditions() == {"balance_sheet": "CONTRACTION", "rrp": "DRAINING"}  # registry order
    assert r.rrp == "DRAINING" and r.phase is None and r.net_liquidity is None
    assert pickle.loads(pickle.dumps(r)) == r and hash(r) == hash(pickle.loads(pickle.dumps(r)))
    assert r.replace(weight=0.25).weight == 0.25 and r.weight == 0.5
    assert repr(r) == "Rule(weight=0.5, balance_sheet='CONTRACTION', rrp='DRAINING', name='x')"
    with pytest.raises(StrategyError, match="did you mean 'rrp'"):
        Rule(0.5, rpp="DRAINING")
    with pytest.raises(AttributeError):
        r.weight = 1.0  # type: ignore[misc]


def test_compact_tables_follow_the_rules_families() -> None:
    assert load_strategy("buy_and_hold").table_shape() == ()
    assert load_strategy("qt_aware").table_shape() == (4,)
    assert load_strategy("note_thesis").table_shape() == (4, 4, 7)
    s = Strategy(name="s", rules=(Rule(0.2, rrp="DEPLETED", phase="HIKING"),))
    assert s.families() == ("phase", "rrp") and s.table_shape() == (7, 5)
    assert s.table()[family("phase").code("HIKING"), family("rrp").code("DEPLETED")] == 0.2
    assert s.table().sum() == 0.2 + 34 * 1.0
