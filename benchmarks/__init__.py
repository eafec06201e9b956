"""Runoff's benchmark suite (pytest-benchmark): the fused sweep against its baselines.

Run ``python -m benchmarks`` (full: 10,000 combinations on the bundled history, writes the
ratio table to ``benchmarks/README.md``) or ``python -m benchmarks --quick`` (small grid,
generous floors, what ``.ci/run`` calls). Either exits non-zero when a ratio falls below its
floor. The normal test run never collects this folder (``testpaths = ["tests"]``).
"""
