"""Reading an evaluator log back: curves, normalised scores, final returns, plot."""

import csv
import os

import numpy as np
import pytest

from acme_kickstart.analysis import curves
from acme_kickstart.environments import get_suite

TASKS = ('breakout', 'freeway')
TEACHERS = {'breakout': 10.49, 'freeway': 1.155}
RANDOM = get_suite('minatar5').random_scores  # breakout 0.49, freeway 0.155


def _write_log(run_dir, rows):
  path = curves.evaluator_csv(str(run_dir))
  os.makedirs(os.path.dirname(path))
  with open(path, 'w', newline='') as f:
    writer = csv.DictWriter(f, fieldnames=['actor_steps', 'return/breakout',
                                           'return/freeway', 'return/mean'])
    writer.writeheader()
    for steps, breakout, freeway in rows:
      writer.writerow({'actor_steps': steps, 'return/breakout': breakout,
                       'return/freeway': freeway,
                       'return/mean': (breakout + freeway) / 2})


def test_curve_is_normalised_between_random_and_teacher(tmp_path):
  _write_log(tmp_path, [(1000, 0.49, 0.155), (2000, 5.49, 2.155),
                        (3000, 10.49, float('nan'))])
  curve = curves.read_curve(str(tmp_path), TASKS)
  np.testing.assert_array_equal(curve.env_steps, [1000, 2000, 3000])
  per_task = curves.normalized_curves(curve, RANDOM, TEACHERS)
  # (5.49 - 0.49) / (10.49 - 0.49) = 50%; (2.155 - 0.155) / 1 = 200%.
  np.testing.assert_allclose(per_task['breakout'][:2], [0.0, 50.0])
  np.testing.assert_allclose(per_task['freeway'][:2], [0.0, 200.0])
  assert np.isnan(per_task['breakout'][2])  # a round missing a task: no score
  mean = curves.mean_normalized_curve(curve, RANDOM, TEACHERS)
  np.testing.assert_allclose(mean[:2], [0.0, 125.0])
  capped = curves.mean_normalized_curve(curve, RANDOM, TEACHERS, cap=100.0)
  np.testing.assert_allclose(capped[:2], [0.0, 75.0])
  assert mean[1] == pytest.approx(get_suite('minatar5').score(
      {'breakout': 5.49, 'freeway': 2.155}, TEACHERS))


def test_plot_writes_a_png(tmp_path):
  _write_log(tmp_path, [(1000, 1.0, 0.2), (2000, 3.0, 0.4)])
  curve = curves.read_curve(str(tmp_path), TASKS)
  path = curves.plot_curve(curve, RANDOM, TEACHERS,
                           str(tmp_path / 'out' / 'c.png'))
  with open(path, 'rb') as f:
    assert f.read(8) == b'\x89PNG\r\n\x1a\n'


def test_missing_log_and_missing_task_are_named(tmp_path):
  with pytest.raises(FileNotFoundError, match='No evaluator log'):
    curves.read_curve(str(tmp_path), TASKS)
  _write_log(tmp_path, [(1000, 1.0, 0.2)])
  with pytest.raises(ValueError, match='no returns for seaquest'):
    curves.read_curve(str(tmp_path), ('breakout', 'seaquest'))


def test_actor_steps_is_the_newest_count_of_any_actor(tmp_path):
  assert curves.actor_steps(str(tmp_path)) == 0.0  # No logs yet.
  for label, counts in (('actor_0', [100, 250]), ('actor_1', [180, 300]),
                        ('evaluator', [900])):
    path = tmp_path / 'logs' / label
    os.makedirs(path)
    with open(path / 'logs.csv', 'w') as f:
      f.write('actor_steps,episodes\n' + ''.join(f'{c},1\n' for c in counts))
  assert curves.actor_steps(str(tmp_path)) == 300.0


def test_actor_steps_of_a_starting_program_is_zero(tmp_path):
  """An actor's log directory exists before its first row: no count yet
  (a benchmark polls a program that has just started)."""
  os.makedirs(tmp_path / 'logs' / 'actor_0')
  assert curves.actor_steps(str(tmp_path)) == 0


def test_a_resumed_runs_curve_keeps_each_range_from_its_newest_launch(
    tmp_path):
  # Launch 1 logged up to 4000 env steps; its counter's checkpoint held 2500,
  # so launch 2 counted 2500..4000 again. Then a third launch, restored at
  # 2900 (behind launch 2's last row).
  _write_log(tmp_path, [(1000, 1.0, 0.0), (2000, 2.0, 0.0), (3000, 3.0, 0.0),
                        (4000, 4.0, 0.0),
                        (2600, 20.0, 0.0), (3600, 30.0, 0.0),
                        (2950, 300.0, 0.0), (3950, 400.0, 0.0)])
  curve = curves.read_curve(str(tmp_path), TASKS)
  np.testing.assert_array_equal(curve.env_steps, [1000, 2000, 2600, 2950,
                                                  3950])
  np.testing.assert_array_equal(curve.returns['breakout'],
                                [1.0, 2.0, 20.0, 300.0, 400.0])
  assert np.all(np.diff(curve.env_steps) > 0)


def test_actor_steps_of_a_resumed_run_is_the_newest_launchs_count(tmp_path):
  path = tmp_path / 'logs' / 'actor_0'
  os.makedirs(path)
  with open(path / 'logs.csv', 'w') as f:
    # Killed at 4000; the relaunch restored 2500 and was killed at 3100.
    f.write('actor_steps,episodes\n' + ''.join(
        f'{c},1\n' for c in (1000, 2000, 3000, 4000, 2600, 3100)))
  assert curves.actor_steps(str(tmp_path)) == 3100.0
