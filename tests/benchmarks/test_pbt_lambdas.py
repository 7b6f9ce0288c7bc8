"""PBT's lambda over the budget, read from a population's hyperparameter log."""

import csv

import numpy as np
import pytest

from benchmarks.kickstarting import pbt_lambdas


def _write(directory, rows):
  """A PBT controller's hyperparameters.csv in `directory`."""
  with open(directory / 'hyperparameters.csv', 'w') as f:
    writer = csv.writer(f)
    writer.writerow(['time', 'member', 'env_steps', 'fitness',
                     'lambda/breakout', 'lambda/asterix'])
    writer.writerows(rows)
  return str(directory)


def test_each_member_counts_its_last_row_before_the_point(tmp_path):
  path = _write(tmp_path, [
      # Member 0 lowers lambda; member 1 starts late and keeps 2 and 0.
      [0, 0, 100, 1.0, 1.0, 1.0],
      [0, 1, 300, 1.0, 2.0, 0.0],
      [0, 0, 200, 1.0, 0.5, 0.0],  # Rows need not come in step order.
      [0, 0, 400, 1.0, 0.0, 0.0],
  ])
  # At 50 no row is before: the first rows (0: 1.0, 1: 1.0). At 250 member 0
  # has 0.25 and member 1 only its first row. At 1000 the last rows.
  np.testing.assert_allclose(
      pbt_lambdas.mean_lambda_at(path, [50, 250, 1000]),
      [1.0, (0.25 + 1.0) / 2, (0.0 + 1.0) / 2])


def test_runs_are_averaged_and_their_range_kept(tmp_path):
  dirs = []
  for run, value in enumerate((0.2, 0.6)):
    (tmp_path / f'run_{run}' / 'pbt').mkdir(parents=True)
    _write(tmp_path / f'run_{run}' / 'pbt',
           [[0, 0, 0, 1.0, 1.0, 1.0], [0, 0, 500, 1.0, value, value]])
    dirs.append(str(tmp_path / f'run_{run}'))
  block = pbt_lambdas.summarise(dirs, budget=1000)
  assert block['fractions'] == [0.05, 0.1, 0.2, 0.5, 1.0]
  np.testing.assert_allclose(block['mean_lambda'], [1, 1, 1, 0.4, 0.4])
  np.testing.assert_allclose(block['min_over_runs'][-1], 0.2)
  np.testing.assert_allclose(block['max_over_runs'][-1], 0.6)
  assert block['runs'] == 2


def test_an_empty_log_is_one_clear_error(tmp_path):
  path = _write(tmp_path, [])
  with pytest.raises(ValueError, match='no rows'):
    pbt_lambdas.mean_lambda_at(path, [1.0])
