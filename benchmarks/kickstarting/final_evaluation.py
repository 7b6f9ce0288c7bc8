"""A finished run's final evaluation: its last checkpoint on fresh seeds.

A PBT run's reported member is chosen first, by a separate selection
evaluation of every member's final weights on other seeds, scored as PBT's
fitness is (capped per game: one game cannot pick the member); the reported
evaluation then plays that member on fresh seeds.
"""

from typing import List

import numpy as np

from acme_kickstart.experiments import evaluation
from acme_kickstart.experiments import factories
from acme_kickstart.experiments.config import ExperimentConfig
from acme_kickstart.utils import run_dirs
from acme_kickstart.utils import seeding
from benchmarks.kickstarting import records
from configs import minatar5

FINAL_EVAL_SEED = seeding.FINAL_EVALUATION_SEED_OFFSET  # + the run's seed.
SELECTION_SEED = 1_500_000  # + the run's seed.


def evaluate_run(experiment: ExperimentConfig, run_dir: str,
                 member_dirs: List[str], seed: int, episodes: int,
                 selection_episodes: int, pbt: bool) -> dict:
  """Writes and returns the run's final_eval.json. `experiment` is the run's
  own: its network is the one its learner saved."""
  tasks = list(experiment.tasks)
  evaluate = lambda directory, n, eval_seed: evaluation.evaluate_checkpoint(
      experiment, n, eval_seed, directory)
  result = {'member': None, 'member_dir': '.'}
  if pbt:
    selection = [evaluate(d, selection_episodes, SELECTION_SEED + seed)
                 for d in member_dirs]
    suite = factories.make_suite(experiment)
    scores = [suite.score(s['returns'], minatar5.teacher_scores(), cap=200.0)
              for s in selection]
    best = int(np.argmax(scores))
    result = {'member': best, 'member_dir': f'member_{best}', 'selection': {
        'seed': SELECTION_SEED + seed, 'scores': scores,
        'episodes_per_game': selection_episodes,
        'returns': [{t: float(np.mean(s['returns'][t])) for t in tasks}
                    for s in selection]}}
  result.update(evaluate(member_dirs[result['member'] or 0], episodes,
                         FINAL_EVAL_SEED + seed))
  records.write_json(run_dirs.join(run_dir, records.FINAL_EVAL), result)
  return result
