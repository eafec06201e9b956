"""The parity table (engine/parity.py): every kernel equals its plain-Python reference, bit for
bit, on random inputs of every size, and the reference equals an independent oracle."""

from __future__ import annotations

import numpy as np
import pytest

from engine import allocation_nb
from engine.parity import PARITY, Parity, as_tuple, same
from engine.regimes import nb as regime_nb
from engine.sweep import fills_nb, reduce_nb

SIZES = (0, 1, 2, 37, 400)


def test_every_kernel_module_is_covered() -> None:
    """The regime and allocation kernels and the fills' entry point all have an entry; names
    follow ``<name>_nb`` / ``<name>_ref``."""
    names = {p.name for p in PARITY}
    for module in (regime_nb, allocation_nb, reduce_nb):
        kernels = {n[:-3] for n in dir(module) if n.endswith("_nb") and not n.startswith("_")}
        assert kernels <= names, kernels - names
    assert fills_nb.simulate_orders_nb in {p.kernel for p in PARITY}
    assert len(names) == len(PARITY)
    for p in PARITY:
        assert p.reference.__name__ == f"{p.name}_ref"
        # The house pattern: the kernel is the reference compiled (the fills' kernel keeps
        # vectorbt's own code shape and is held to its transcription by the values).
        assert getattr(p.kernel, "py_func", None) is p.reference or p.name == "simulate_orders"


@pytest.mark.parametrize("p", PARITY, ids=lambda p: p.name)
@pytest.mark.parametrize("seed", range(4))
def test_kernel_equals_reference(p: Parity, seed: int) -> None:
    for n in SIZES:
        args = p.example(np.random.default_rng([seed, n]), n)
        fast, slow = p.kernel(*args), p.reference(*args)
        assert len(as_tuple(fast)) == len(as_tuple(slow))
        assert same(fast, slow, p.exact), f"{p.name}: n={n}"


@pytest.mark.parametrize("p", [p for p in PARITY if p.oracle], ids=lambda p: p.name)
@pytest.mark.parametrize("seed", range(4))
def test_reference_matches_the_oracle(p: Parity, seed: int) -> None:
    assert p.oracle is not None
    make = p.oracle_example or p.example
    for n in SIZES[1:] if p.name == "simulate_orders" else SIZES:
        args = make(np.random.default_rng([seed, n, 1]), n)
        got, want = as_tuple(p.reference(*args)), as_tuple(p.oracle(*args))
        for a, b in zip(got, want, strict=True):
            if np.asarray(a).dtype.kind == "f":
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=p.name)
            else:
                np.testing.assert_array_equal(a, b, err_msg=p.name)
