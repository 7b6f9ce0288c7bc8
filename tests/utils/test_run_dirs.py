"""Run directories on remote filesystems (gs://; TF's in-memory ram:// here)."""

import os

import pytest

from acme_kickstart.analysis import curves
from acme_kickstart.analysis import plotting
from acme_kickstart.experiments import factories
from acme_kickstart.experiments import learner_node
from acme_kickstart.experiments.config import ExperimentConfig
from acme_kickstart.experiments.config import RunConfig
from acme_kickstart.pbt import node as pbt_node
from acme_kickstart.pbt import program as pbt_program
from acme_kickstart.pbt.config import PBTConfig
from acme_kickstart.utils import loggers
from acme_kickstart.utils import run_dirs
import program_utils as pu


def test_remote_run_dir_is_kept_and_local_one_made_absolute(monkeypatch,
                                                            tmp_path):
  monkeypatch.chdir(tmp_path)
  remote = ExperimentConfig(run=RunConfig(run_dir='gs://bucket/run'))
  assert learner_node.checkpoint_dir(remote) == 'gs://bucket/run'
  population = PBTConfig(member=remote, run_dir='gs://bucket/run')
  assert pbt_node.pbt_dir(population) == 'gs://bucket/run/pbt'
  assert (pbt_program.member_config(population, 1).run.run_dir ==
          'gs://bucket/run/member_1')
  local = ExperimentConfig(run=RunConfig(run_dir='runs/x'))
  assert learner_node.checkpoint_dir(local) == str(tmp_path / 'runs' / 'x')
  assert run_dirs.resolve('~/r') == os.path.expanduser('~/r')


def test_logger_writes_csv_and_tensorboard_to_the_remote_run_dir(monkeypatch,
                                                                 tmp_path):
  monkeypatch.chdir(tmp_path)
  run_dir = 'ram://logger_test'
  logger = loggers.make_logger(run_dir, 'learner', terminal_seconds=None)
  logger.write({'steps': 1, 'loss': 0.5})
  logger.write({'steps': 2, 'loss': 0.25, 'later': 3.0})  # Widens the file.
  # A restarted node appends to the same file, without a second header.
  loggers.make_logger(run_dir, 'learner', terminal_seconds=None).write(
      {'steps': 3, 'loss': 0.125})
  rows = run_dirs.read_csv(run_dirs.join(run_dir, 'logs', 'learner',
                                         'logs.csv'))
  assert rows == [{'steps': '1', 'loss': '0.5', 'later': ''},
                  {'steps': '2', 'loss': '0.25', 'later': '3.0'},
                  {'steps': '3', 'loss': '0.125', 'later': ''}]
  assert run_dirs.listdir(run_dirs.join(run_dir, 'tb', 'learner'))
  assert not os.listdir(tmp_path)  # Nothing went to a local 'ram:' folder.


def test_teacher_snapshots_on_a_remote_path_are_checked_where_they_load():
  paths = pu.write_teachers('ram://teachers_test', ['breakout'])
  config = ExperimentConfig(teachers=paths)
  factories.check_teacher_snapshots(config)  # Found through tf.io.gfile.
  teachers = factories.load_teachers(config)
  assert teachers is not None
  # The node that loads the teachers checks too, with the launcher's error.
  missing = ExperimentConfig(teachers={'breakout': 'ram://teachers_test/gone'})
  for check in (lambda: factories.check_teacher_snapshots(missing),
                lambda: factories.load_teachers(missing)):
    with pytest.raises(FileNotFoundError,
                       match="teacher of task 'breakout'.*launch.train_teacher"):
      check()


def test_results_and_plots_read_and_write_a_remote_run_dir(monkeypatch,
                                                           tmp_path):
  monkeypatch.chdir(tmp_path)
  run_dir = 'ram://results_test'
  evaluator = loggers.make_logger(run_dir, 'evaluator', terminal_seconds=None)
  for steps, breakout in [(1000, 1.0), (2000, 3.0)]:
    evaluator.write({'actor_steps': steps, 'return/breakout': breakout})
  loggers.make_logger(run_dir, 'actor_0', terminal_seconds=None).write(
      {'actor_steps': 1500})
  assert curves.actor_steps(run_dir) == 1500
  curve = curves.read_curve(run_dir, ['breakout'])
  assert list(curve.env_steps) == [1000, 2000]
  png = curves.plot_curve(curve, {'breakout': 0.49}, {'breakout': 10.0},
                           run_dirs.join(run_dir, 'curve.png'))
  assert png == 'ram://results_test/curve.png' and run_dirs.size(png) > 1000
  pbt_dir = run_dirs.join(run_dir, 'pbt')
  run_dirs.makedirs(pbt_dir)
  with run_dirs.open(run_dirs.join(pbt_dir, 'hyperparameters.csv'), 'w') as f:
    f.write('member,env_steps,lambda/breakout\n0,0,1.0\n0,100,0.5\n')
  assert run_dirs.size(plotting.plot_lambdas(run_dir)) > 1000
  assert not os.listdir(tmp_path)  # Nothing went to a local 'ram:' folder.
