"""The baseline search's report: its choice rule, the confirmation on the
seeds that chose nothing, and the kickstarted students beside each other, on
run directories written here (benchmark_runs.py)."""

import json
import os
import subprocess
import sys

import pytest

from benchmark_runs import BUDGET
from benchmark_runs import write_run

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _report(runs, output):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', PYTHONPATH=ROOT)
  process = subprocess.run(
      [sys.executable, '-m', 'benchmarks.baseline.report', f'--runs={runs}',
       f'--output={output}', f'--budget={BUDGET}', '--bootstrap_reps=200'],
      env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
  assert process.returncode == 0, process.stderr[-3000:]
  with open(os.path.join(output, 'baseline.json')) as f:
    return json.load(f)


def test_the_choice_is_made_on_the_choice_seeds_and_confirmed_on_others(
    tmp_path):
  runs = tmp_path / 'runs'
  # On seeds 0-1 'popart' is best; over all seeds 'batch_16' is, and 'wide'
  # is best on the one seed it has: neither may be chosen.
  levels = {'previous': {0: 0.3, 1: 0.3, 2: 0.3, 3: 0.3},
            'popart': {0: 0.6, 1: 0.6, 2: 0.5, 3: 0.5},
            'batch_16': {0: 0.5, 1: 0.5, 2: 0.95, 3: 0.95},
            'wide': {0: 0.99}}
  for config, by_seed in levels.items():
    for seed, level in by_seed.items():
      write_run(runs / config, 'scratch', seed, level=level)
  for config, level in (('popart', 0.9), ('previous', 0.7)):
    write_run(runs / f'kickstarted_{config}', 'constant', 0, level=level)
  summary = _report(runs, tmp_path / 'out')

  chosen = summary['chosen']
  assert chosen['config'] == 'popart' and chosen['seeds'] == [0, 1, 2, 3]
  assert chosen['settings'] == ['agent.popart=True',
                                'agent.popart_step_size=3e-3']
  assert chosen['on_choice_seeds']['seeds'] == [0, 1]
  # Scores are normalised by the shipped teachers, so a level is not a score;
  # the order of the levels is the order of the scores.
  confirmation = summary['confirmation']
  assert confirmation['seeds'] == [2, 3]
  assert (chosen['on_choice_seeds']['iqm'] > confirmation['x']['iqm'] >
          confirmation['y']['iqm'])
  assert confirmation['x']['seeds'] == confirmation['y']['seeds'] == [2, 3]
  assert confirmation['iqm_ratio'] == pytest.approx(
      confirmation['x']['iqm'] / confirmation['y']['iqm'])
  assert confirmation['cis_apart'] is True
  assert confirmation['probability_of_improvement']['p'] == 1.0
  # 13 scratch runs and 2 kickstarted ones, 65 s each (benchmark_runs.py).
  assert summary['compute']['runs'] == 15
  assert summary['compute']['hours'] == pytest.approx(15 * 65 / 3600)
  kickstarted = {(r['variant'], r['config']): r
                 for r in summary['kickstarted']}
  assert set(kickstarted) == {('constant', 'popart'),
                              ('constant', 'previous')}
  assert (kickstarted['constant', 'popart']['iqm'] >
          kickstarted['constant', 'previous']['iqm'])
  with open(tmp_path / 'out' / 'baseline.md') as f:
    tables = f.read()
  assert 'Confirmation on seeds [2, 3]' in tables
  assert '| constant | previous | 1 |' in tables
  assert '(1 seed)' in tables and '| wide | ' in tables
  assert '| our scratch, popart (seeds 0-3) | 2k |' in tables


def test_runs_of_two_commits_are_refused(tmp_path):
  runs = tmp_path / 'runs'
  write_run(runs / 'previous', 'scratch', 0, level=0.3)
  write_run(runs / 'kickstarted_previous', 'constant', 0, commit='def456',
            level=0.5)
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', PYTHONPATH=ROOT)
  process = subprocess.run(
      [sys.executable, '-m', 'benchmarks.baseline.report', f'--runs={runs}',
       f'--output={tmp_path}', f'--budget={BUDGET}'],
      env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
  assert process.returncode != 0
  assert 'def456' in process.stderr and 'abc123' in process.stderr


def test_one_run_a_side_has_no_ci_to_compare_and_nothing_is_chosen_early(
    tmp_path):
  runs = tmp_path / 'runs'
  for config, seeds in (('previous', (0, 1, 2)), ('popart', (0, 1, 2))):
    for seed in seeds:
      write_run(runs / config, 'scratch', seed,
                level=0.6 if config == 'popart' else 0.3)
  confirmation = _report(runs, tmp_path / 'out')['confirmation']
  assert confirmation['seeds'] == [2] and confirmation['cis_apart'] is None

  early = tmp_path / 'early'
  write_run(early / 'previous', 'scratch', 0, level=0.3)
  summary = _report(early, tmp_path / 'out_early')
  assert summary['chosen'] is None and summary['confirmation'] is None
  assert summary['previous']['seeds'] == [0]
