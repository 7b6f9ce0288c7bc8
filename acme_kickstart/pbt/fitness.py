"""PBT's fitness: a member's recent evaluation returns, scored by its suite.

The evaluator only plays and keeps returns (workers.EvaluatorWorker); what
counts as better is PBT's choice, so it is made here: the suite's normalised
score (e.g. MinAtar-5: 100 * (return - random) / (teacher - random) per task,
each capped at `cap`, averaged over tasks).
"""

from typing import Dict, List, Optional

from acme_kickstart.experiments import factories
from acme_kickstart.experiments.config import ExperimentConfig


def fitness(experiment: ExperimentConfig,
            returns: Optional[Dict[str, List[float]]],
            cap: Optional[float]) -> Optional[float]:
  """The suite's score of `returns` (None before the first kept round)."""
  if not returns:
    return None
  return factories.make_suite(experiment).score(
      returns, experiment.reference_scores, cap)


def member_fitness(experiment: ExperimentConfig, evaluator, rounds: int,
                   cap: Optional[float]) -> Optional[float]:
  """Fitness over a member evaluator's last `rounds` rounds (a courier call)."""
  return fitness(experiment, evaluator.recent_returns(rounds), cap)
