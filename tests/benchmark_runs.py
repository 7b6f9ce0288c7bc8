"""Synthetic finished benchmark runs: what a run directory holds at its end
(the evaluator's CSV rows, launch.json, final_eval.json and DONE.json; PBT:
per member),
for the reports' tests."""

import csv
import os

import numpy as np

from acme_kickstart.analysis import curves
from acme_kickstart.environments import minatar
from acme_kickstart.utils import provenance
from benchmarks.kickstarting import records

TASKS = list(minatar.GAMES)
LOW = {t: minatar.make_suite().random_score(t) for t in TASKS}
HIGH = {t: LOW[t] + 10.0 for t in TASKS}
BUDGET = 10_000
# Fraction of the teacher each variant ends at; how fast it gets there.
LEVELS = {'scratch': (0.5, 1.0), 'constant': (0.9, 4.0), 'linear': (1.3, 4.0),
          'gated': (1.1, 4.0), 'pbt': (1.2, 3.0), 'linear_replay2': (1.5, 5.0)}


def _write_evaluator_csv(run_dir, level, speed, rng):
  path = curves.evaluator_csv(run_dir)
  os.makedirs(os.path.dirname(path), exist_ok=True)
  with open(path, 'w', newline='') as f:
    writer = csv.writer(f)
    writer.writerow(['actor_steps', 'evaluator_episodes'] +
                     [f'return/{t}' for t in TASKS] + ['return/mean',
                                                       'fitness'])
    for i, steps in enumerate(np.linspace(500, BUDGET, 20)):
      fraction = level * min(1.0, speed * steps / BUDGET)
      returns = [LOW[t] + fraction * (HIGH[t] - LOW[t]) + rng.normal(0, 0.3)
                 for t in TASKS]
      writer.writerow([int(steps), 5 * (i + 1)] + returns +
                      [np.mean(returns), ''])


def _write_pbt_hyperparameters(run_dir, members):
  """The PBT controller's pbt/hyperparameters.csv: lambda_k over env steps."""
  os.makedirs(os.path.join(run_dir, 'pbt'))
  with open(os.path.join(run_dir, 'pbt', 'hyperparameters.csv'), 'w') as f:
    writer = csv.writer(f)
    writer.writerow(['time', 'member', 'env_steps', 'fitness', 'learning_rate',
                     'entropy_cost'] + [f'lambda/{t}' for t in TASKS])
    for steps in (0, BUDGET // 2, BUDGET):
      for member in range(members):
        writer.writerow([0.0, member, steps, 50.0, 1e-3, 0.01] +
                        [1.0 - steps / BUDGET / (member + 1)] * len(TASKS))


def write_run(root, variant, seed, commit='abc123', members=1, level=None):
  """A finished run of `variant` (a PBT population if members > 1), ending
  at LEVELS[variant]'s fraction of the teacher or at `level`."""
  rng = np.random.default_rng(seed)
  level, speed = (level, 2.0) if level is not None else LEVELS[variant]
  run_dir = os.path.join(str(root), variant, f'seed_{seed}')
  dirs = ([os.path.join(run_dir, f'member_{i}') for i in range(members)]
          if members > 1 else [run_dir])
  for i, d in enumerate(dirs):
    _write_evaluator_csv(d, level * (1.0 - 0.1 * i), speed, rng)
  final = {'member': None, 'member_dir': '.', 'seed': 1_000_000 + seed,
           'episodes_per_game': 30, 'learner_env_steps': BUDGET,
           'returns': {t: list(LOW[t] + level * (HIGH[t] - LOW[t]) +
                               rng.normal(0, 0.5, 30)) for t in TASKS}}
  if members > 1:
    _write_pbt_hyperparameters(run_dir, members)
    final.update(member=0, member_dir='member_0', selection={
        'seed': 1_500_000 + seed, 'episodes_per_game': 30,
        'scores': [100 * level * (1.0 - 0.1 * i) for i in range(members)],
        'returns': [{t: 0.0 for t in TASKS}] * members})
  records.write_json(os.path.join(run_dir, records.LAUNCH), {
      'git_commit': commit, 'machine': provenance.machine(),
      'train_seconds': [60.0]})
  records.write_json(os.path.join(run_dir, records.FINAL_EVAL), final)
  records.write_json(os.path.join(run_dir, records.DONE), {
      'variant': variant, 'seed': seed, 'git_commit': commit,
      'budget_env_steps': BUDGET, 'env_steps': [BUDGET * 1.01] * members,
      'resumed': False, 'machine': provenance.machine(),
      'wall_seconds': {'train': 60.0, 'final_eval': 5.0}})
  return run_dir
