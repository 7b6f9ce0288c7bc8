"""Run directories on remote filesystems (gs://; TF's in-memory ram:// here)."""

import json
import os
import subprocess
import sys

import pytest

from acme_kickstart import loggers
from acme_kickstart import plotting
from acme_kickstart import results
from acme_kickstart import run_dirs
from acme_kickstart.agents.kickstarting import program as program_lib
from acme_kickstart.experiments import factories
from acme_kickstart.experiments.config import ExperimentConfig
from acme_kickstart.experiments.config import RunConfig
from acme_kickstart.pbt import node as pbt_node
from acme_kickstart.pbt import program as pbt_program
from acme_kickstart.pbt.config import PBTConfig
import program_utils as pu


def test_remote_run_dir_is_kept_and_local_one_made_absolute(monkeypatch,
                                                            tmp_path):
  monkeypatch.chdir(tmp_path)
  remote = ExperimentConfig(run=RunConfig(run_dir='gs://bucket/run'))
  assert program_lib._checkpoint_dir(remote) == 'gs://bucket/run'  # pylint: disable=protected-access
  population = PBTConfig(member=remote, run_dir='gs://bucket/run')
  assert pbt_node.pbt_dir(population) == 'gs://bucket/run/pbt'
  assert (pbt_program.member_config(population, 1).run.run_dir ==
          'gs://bucket/run/member_1')
  local = ExperimentConfig(run=RunConfig(run_dir='runs/x'))
  assert program_lib._checkpoint_dir(local) == str(tmp_path / 'runs' / 'x')  # pylint: disable=protected-access
  assert run_dirs.resolve('~/r') == os.path.expanduser('~/r')


def test_logger_writes_csv_and_tensorboard_to_the_remote_run_dir(monkeypatch,
                                                                 tmp_path):
  monkeypatch.chdir(tmp_path)
  run_dir = 'ram://logger_test'
  logger = loggers.make_logger(run_dir, 'learner', terminal_seconds=None)
  logger.write({'steps': 1, 'loss': 0.5})
  logger.write({'steps': 2, 'loss': 0.25, 'later': 3.0})  # Columns are fixed.
  # A restarted node appends to the same file, without a second header.
  loggers.make_logger(run_dir, 'learner', terminal_seconds=None).write(
      {'steps': 3, 'loss': 0.125})
  rows = run_dirs.read_csv(run_dirs.join(run_dir, 'logs', 'learner',
                                         'logs.csv'))
  assert rows == [{'loss': '0.5', 'steps': '1'}, {'loss': '0.25', 'steps': '2'},
                  {'loss': '0.125', 'steps': '3'}]
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
                       match="teacher of task 'breakout'.*train_teacher.py"):
      check()


@pytest.mark.timeout(480)
def test_local_mt_program_writes_and_resumes_from_a_ram_run_dir(tmp_path):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', PYTHONPATH=os.pathsep.join(
      [pu.ROOT, os.path.join(pu.ROOT, 'tests')]))
  out = subprocess.run(
      [sys.executable,
       os.path.join(pu.ROOT, 'tests', 'ram_run_dir_program.py')],
      capture_output=True, text=True, env=env, cwd=tmp_path, timeout=450,
      check=False)
  assert out.returncode == 0, out.stderr[-3000:]
  report = json.loads(out.stdout.strip().splitlines()[-1])
  first, second = report['first'], report['second']
  assert first['files'] == ['checkpoints', 'logs', 'pids', 'tb']
  assert first['checkpoints'] == ['counter', 'learner']
  assert max(first['actor_steps']) >= 4_000 - 8 * 60
  assert first['learner_steps'] >= 5
  # The relaunch restored the counter: its actor counted on from the first
  # run's steps.
  assert second['actor_steps']
  assert min(second['actor_steps']) >= 0.9 * max(first['actor_steps'])
  # And the learner: its own step count is the total the counter saw over
  # both runs, not the second run's share (which is short of it by the first
  # run's steps).
  counted = second['counted_learner_steps']
  assert second['learner_steps'] >= counted - first['learner_steps'] / 2
  assert not os.listdir(tmp_path)  # Nothing went to a local 'ram:' folder.


def test_results_and_plots_read_and_write_a_remote_run_dir(monkeypatch,
                                                           tmp_path):
  monkeypatch.chdir(tmp_path)
  run_dir = 'ram://results_test'
  evaluator = loggers.make_logger(run_dir, 'evaluator', terminal_seconds=None)
  for steps, breakout in [(1000, 1.0), (2000, 3.0)]:
    evaluator.write({'actor_steps': steps, 'return/breakout': breakout})
  loggers.make_logger(run_dir, 'actor_0', terminal_seconds=None).write(
      {'actor_steps': 1500})
  assert results.actor_steps(run_dir) == 1500
  curve = results.read_curve(run_dir, ['breakout'])
  assert list(curve.env_steps) == [1000, 2000]
  png = results.plot_curve(curve, {'breakout': 10.0},
                           run_dirs.join(run_dir, 'curve.png'))
  assert png == 'ram://results_test/curve.png' and run_dirs.size(png) > 1000
  pbt_dir = run_dirs.join(run_dir, 'pbt')
  run_dirs.makedirs(pbt_dir)
  with run_dirs.open(run_dirs.join(pbt_dir, 'hyperparameters.csv'), 'w') as f:
    f.write('member,env_steps,lambda/breakout\n0,0,1.0\n0,100,0.5\n')
  assert run_dirs.size(plotting.plot_lambdas(run_dir)) > 1000
  assert not os.listdir(tmp_path)  # Nothing went to a local 'ram:' folder.
