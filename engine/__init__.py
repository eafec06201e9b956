"""Runoff's engine: features, regime kernels, allocation, backtests, sweeps, reports, CLI."""

from engine import jit_cache

jit_cache.configure()
