"""Helpers for program tests: small configs, real launches, reading run dirs."""

import csv
import os
import signal
import subprocess
import sys
import textwrap
import time

from acme.tf import savers as tf2_savers
import tensorflow as tf

from acme_kickstart.environments import minatar
from conftest import built_network

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write_teachers(directory, games=minatar.GAMES):
  """Random-weight teachers as real acme snapshots, one per game."""
  paths = {}
  for game in games:
    network = built_network(f'teacher_{game}', lstm_size=16, hidden_size=32)
    path = os.path.join(str(directory), game)
    tf.saved_model.save(tf2_savers.make_snapshot(network), path)
    paths[game] = path
  return paths


_TOPOLOGY_FIELDS = ('num_actors', 'actor_tasks', 'variable_update_period',
                    'num_dataset_streams', 'actor_tf_threads')
_RUN_FIELDS = ('max_env_steps', 'checkpoint_minutes',
               'evaluator_episodes_per_task', 'evaluator_period_seconds',
               'evaluator_rounds_kept', 'progress_period_seconds')


def write_config(path, run_dir, teachers, agent_fields=None, **overrides):
  """A config file for launch.kickstart (and launch.demo), sized for tests.

  Its `get_config('experiment')` (and 'demo') is an ExperimentConfig, its
  `get_config('topology')` a Topology. `agent_fields` (KickstartingConfig
  fields) and `overrides` (Topology, RunConfig or ExperimentConfig fields)
  are written as their reprs.
  """
  fields = dict(num_actors=2, max_env_steps=20_000, checkpoint_minutes=0.05,
                evaluator_period_seconds=5.0, progress_period_seconds=1.0,
                evaluator_episodes_per_task=1, num_dataset_streams=2)
  fields.update(overrides)
  topology = {k: v for k, v in fields.items() if k in _TOPOLOGY_FIELDS}
  run = {k: v for k, v in fields.items() if k in _RUN_FIELDS}
  experiment = {k: v for k, v in fields.items()
                if k not in _TOPOLOGY_FIELDS + _RUN_FIELDS}

  def keywords(values, indent):
    return ''.join(f'{indent}{k}={v!r},\n' for k, v in values.items())
  agent = ''.join(f', {k}={v!r}' for k, v in (agent_fields or {}).items())
  text = textwrap.dedent('''\
      from acme_kickstart.agents.kickstarting.config import KickstartingConfig
      from acme_kickstart.agents.kickstarting.schedules import LambdaSchedule
      from acme_kickstart.experiments.config import ExperimentConfig
      from acme_kickstart.experiments.config import RunConfig
      from acme_kickstart.experiments.config import Topology

      def get_config(part='experiment'):
        if part == 'topology':
          return Topology(
      {topology}        )
        return ExperimentConfig(
            agent=KickstartingConfig(batch_size=8, sequence_length=10,
                                     num_envs_per_actor=8, max_queue_size=64,
                                     distillation_costs=(1.0,){agent}),
            network_kwargs=dict(hidden_size=32, lstm_size=32),
            teachers={teachers!r},
            run=RunConfig(
                run_dir={run_dir!r},
      {run}        ),
      {experiment}    )
      ''').format(teachers=teachers, run_dir=str(run_dir), agent=agent,
                   topology=keywords(topology, ' ' * 8),
                   run=keywords(run, ' ' * 10),
                   experiment=keywords(experiment, ' ' * 6))
  with open(path, 'w') as f:
    f.write(text)
  return str(path)


def launch(config_path, launch_type, log_path, *flags):
  return launch_script('kickstart', config_path, launch_type, log_path,
                       *flags)


def launcher_env():
  """The launchers' environment: this checkout's package in every Launchpad
  worker (they inherit PYTHONPATH), and the tests' helpers."""
  return dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', PYTHONUNBUFFERED='1',
              PYTHONPATH=os.pathsep.join([ROOT, os.path.join(ROOT, 'tests')]))


def launch_script(module, config_path, launch_type, log_path, *flags,
                  extra_env=None):
  """Starts `python -m launch.<module>` from the repository root; extra_env
  adds to (or overrides) launcher_env()."""
  with open(log_path, 'a') as log:  # The child keeps its own descriptor.
    return subprocess.Popen(
        [sys.executable, '-m', f'launch.{module}', f'--config={config_path}',
         f'--lp_launch_type={launch_type}', *flags],
        stdout=log, stderr=subprocess.STDOUT,
        env=dict(launcher_env(), **(extra_env or {})), cwd=ROOT,
        start_new_session=True)


def kill_program(process):
  try:
    os.killpg(process.pid, signal.SIGKILL)
  except ProcessLookupError:
    pass
  process.wait()


def read_csv(run_dir, label):
  path = os.path.join(str(run_dir), 'logs', label, 'logs.csv')
  if not os.path.exists(path):
    return []
  with open(path) as f:
    return [row for row in csv.DictReader(f)]


def pid(run_dir, label):
  path = os.path.join(str(run_dir), 'pids', label)
  return int(open(path).read()) if os.path.exists(path) else None


def wait_for(condition, timeout, what, process=None, log_path=None):
  deadline = time.time() + timeout
  while time.time() < deadline:
    if condition():
      return
    if process is not None and process.poll() is not None:
      raise AssertionError(f'Program exited ({process.returncode}) before '
                           f'{what}. Log tail:\n{_tail(log_path)}')
    time.sleep(1.0)
  raise AssertionError(f'Timed out waiting for {what}. Log tail:\n'
                       f'{_tail(log_path)}')


def _tail(log_path):
  if not log_path or not os.path.exists(log_path):
    return ''
  return open(log_path).read()[-3000:]


def run_to_end(config_path, launch_type, log_path, *flags, timeout=240):
  """Launches launch.kickstart and asserts the program ends by itself."""
  process = launch(config_path, launch_type, log_path, *flags)
  try:
    assert process.wait(timeout=timeout) == 0, _tail(log_path)
  finally:
    kill_program(process)
