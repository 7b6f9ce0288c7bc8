"""Experiments, as in acme's experiments package: one `ExperimentConfig`
(config.py) built by factories.py, run in one process (run_experiment.py) or
as a Launchpad program (program.py: its nodes in learner_node.py, counter.py
and workers.py; how they stop in stopping.py; launching.py launches it)."""
