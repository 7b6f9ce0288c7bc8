"""What every part of a run shares: its directory (run_dirs.py), its logs
(loggers.py), its random streams (seeding.py) and its provenance
(provenance.py)."""
