"""Runoff's engine: features, regime kernels, allocation, backtests, sweeps, reports, CLI."""
