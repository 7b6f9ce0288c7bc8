"""What a PBT population made of lambda over the budget.

The paper's PBT let its student pass the teacher by lowering lambda_k, as a
schedule that decays to 0 does. This reads whether ours did: the mean lambda_k
over a run's members and games at fractions of the budget, from its
pbt/hyperparameters.csv, then the mean over runs.
"""

import csv
import os
from typing import Dict, List, Sequence

import numpy as np

from benchmarks.kickstarting import records

FRACTIONS = (0.05, 0.1, 0.2, 0.5, 1.0)


def mean_lambda_at(csv_path: str, env_steps: Sequence[float]) -> List[float]:
  """Per point, the mean over members of each member's mean lambda_k in its
  last row at or before those env steps (its first row if none is)."""
  with open(csv_path) as f:
    rows = list(csv.DictReader(f))
  if not rows:
    raise ValueError(f'{csv_path} has no rows: a PBT run whose controller '
                     'never recorded its members.')
  lambda_keys = [k for k in rows[0] if k.startswith('lambda/')]
  members: Dict[str, List[dict]] = {}
  for row in rows:
    members.setdefault(row['member'], []).append(row)
  means = []
  for point in env_steps:
    per_member = []
    for member_rows in members.values():
      member_rows = sorted(member_rows, key=lambda r: float(r['env_steps']))
      before = [r for r in member_rows if float(r['env_steps']) <= point]
      row = before[-1] if before else member_rows[0]
      per_member.append(np.mean([float(row[k]) for k in lambda_keys]))
    means.append(float(np.mean(per_member)))
  return means


def summarise(run_dirs: Sequence[str], budget: float) -> dict:
  """The fractions, and per fraction the mean lambda over the runs and its
  range over them."""
  per_run = np.array([
      mean_lambda_at(os.path.join(d, records.PBT_CSV),
                     [f * budget for f in FRACTIONS]) for d in run_dirs])
  return {'fractions': list(FRACTIONS),
          'mean_lambda': per_run.mean(axis=0).tolist(),
          'min_over_runs': per_run.min(axis=0).tolist(),
          'max_over_runs': per_run.max(axis=0).tolist(),
          'runs': len(run_dirs)}
