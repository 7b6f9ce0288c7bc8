"""Launchers, run from the repository root as modules (`python -m
launch.kickstart`): the root is then on sys.path, and configs/ imports as a
package there (configs/minatar5_pbt.py builds on configs/minatar5.py)."""
