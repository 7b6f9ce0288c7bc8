"""What a PBT population made of lambda over the budget.

The paper's PBT let its student pass the teacher by lowering lambda_k, as a
schedule that decays to 0 does. This reads whether ours did: the mean lambda_k
over a run's members and games at fractions of the budget, from its
pbt/hyperparameters.csv, then the mean over runs.
"""

import os
from typing import List, Sequence

import numpy as np

from acme_kickstart.analysis import plotting

FRACTIONS = (0.05, 0.1, 0.2, 0.5, 1.0)


def mean_lambda_at(pbt_dir: str, env_steps: Sequence[float]) -> List[float]:
  """Per point, the mean over members of each member's mean lambda_k in its
  last row at or before those env steps (its first row if none is), from
  <pbt_dir>/hyperparameters.csv."""
  rows = plotting.read_hyperparameters(pbt_dir)
  if not rows:
    raise ValueError(f'{pbt_dir}/hyperparameters.csv has no rows: a PBT run '
                     'whose controller never recorded its members.')
  lambda_keys = [k for k in rows[0] if k.startswith('lambda/')]
  members = {}
  for row in sorted(rows, key=lambda r: float(r['env_steps'])):
    members.setdefault(row['member'], []).append(
        (float(row['env_steps']),
         float(np.mean([float(row[k]) for k in lambda_keys]))))
  means = []
  for point in env_steps:
    per_member = []
    for history in members.values():
      before = [value for steps, value in history if steps <= point]
      per_member.append(before[-1] if before else history[0][1])
    means.append(float(np.mean(per_member)))
  return means


def summarise(run_dirs: Sequence[str], budget: float) -> dict:
  """The fractions, and per fraction the mean lambda over the runs and its
  range over them."""
  per_run = np.array([
      mean_lambda_at(os.path.join(d, 'pbt'), [f * budget for f in FRACTIONS])
      for d in run_dirs])
  return {'fractions': list(FRACTIONS),
          'mean_lambda': per_run.mean(axis=0).tolist(),
          'min_over_runs': per_run.min(axis=0).tolist(),
          'max_over_runs': per_run.max(axis=0).tolist(),
          'runs': len(run_dirs)}
