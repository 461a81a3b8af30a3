"""KIDB benchmarks, run with `python -m bench` (see bench/README.md); not collected by pytest."""
