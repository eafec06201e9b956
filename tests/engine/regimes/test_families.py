"""The engine side of the registry: every family's engine module follows the protocol, and the
sweep's path to a family's codes (its inputs, computed per input-field values) gives the same
codes as the regime frame's."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from data.panel import trading_days
from data.store import Store
from engine.regimes import regime_frame
from engine.regimes.families import engine_of, input_key
from strategies.families import FAMILIES, Family, RegimeParams
from strategies.regimes import FEATURE_NAMES


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    return Store(cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.mark.parametrize("fam", FAMILIES, ids=lambda f: f.name)
def test_engine_module_follows_the_protocol(fam: Family) -> None:
    impl = engine_of(fam)
    fields = {f.name for f in dataclasses.fields(fam.params)}
    assert set(impl.INPUT_FIELDS) <= fields
    assert set(impl.WINDOWED) <= set(FEATURE_NAMES)
    p = fam.params()
    assert input_key(fam, p) == tuple(getattr(p, n) for n in impl.INPUT_FIELDS)
    assert isinstance(impl.start_reason(p), str) and impl.start_reason(p)


@pytest.mark.parametrize("fam", FAMILIES, ids=lambda f: f.name)
def test_sweep_inputs_give_the_frame_codes(fam: Family, store: Store) -> None:
    days = trading_days(None, "2024-12-31", store=store)
    frame = regime_frame(None, "2024-12-31", RegimeParams(), store=store)
    impl = engine_of(fam)
    arrays = impl.inputs(store, pd.DatetimeIndex(days), fam.params())
    assert set(impl.WINDOWED) <= set(arrays)
    for name in impl.WINDOWED:
        np.testing.assert_array_equal(arrays[name], frame[name].to_numpy(), err_msg=name)
    np.testing.assert_array_equal(
        impl.codes(arrays, fam.params()), frame[f"{fam.name}_code"].to_numpy()
    )
