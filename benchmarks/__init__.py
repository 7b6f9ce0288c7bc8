"""Measurements of the library, not part of it: run them from the repository
root (`python -m benchmarks.<name>`), as they import each other and configs/."""
