"""Experiments, as in acme's experiments package: one `ExperimentConfig`
(config.py) built by factories.py, run in one process (run_experiment.py) or
as a Launchpad program (agents/kickstarting/program.py)."""
