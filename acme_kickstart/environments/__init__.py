"""Environment suites as dm_env environments."""
