"""A local_mp learner whose step hangs at the stop still saves its last
checkpoint before Launchpad kills its process.

Each node's process gets Launchpad's default 10 s notice, whatever the
launcher's, and is killed after it; the learner's last resort (a save without
the step's lock, stopping.STOP_GRACE_SECONDS after the stop) must come first.
tests/hanging_learner/ makes the hang certain in every process of the launch.
"""

import os
import subprocess
import sys

import pytest

import program_utils as pu

TEACHER = os.path.join(pu.ROOT, 'teachers', 'minatar5', 'breakout')
_SAVE = 'Saving checkpoint'


@pytest.mark.timeout(600)
def test_a_hanging_learner_saves_within_its_process_notice(tmp_path):
  config_path = pu.write_config(
      tmp_path / 'config.py', tmp_path / 'run', {'breakout': TEACHER},
      tasks=('breakout',), suite_kwargs=dict(max_episode_steps=60),
      num_actors=1, num_dataset_streams=1, max_env_steps=2_000,
      evaluator_period_seconds=2.0,
      checkpoint_minutes=60.0)  # Saves: its first step's, then the last.
  env = dict(pu.launcher_env(), LAUNCHPAD_LOGGING_DIR=str(tmp_path / 'workers'),
             PYTHONPATH=os.pathsep.join([
                 os.path.join(pu.ROOT, 'tests', 'hanging_learner'), pu.ROOT,
                 os.path.join(pu.ROOT, 'tests')]))
  with open(tmp_path / 'log.txt', 'w') as log:
    process = subprocess.Popen(
        [sys.executable, '-m', 'launch.kickstart', f'--config={config_path}',
         '--lp_launch_type=local_mp', '--terminal=output_to_files'],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=pu.ROOT,
        start_new_session=True)
    try:
      process.wait(timeout=480)
    finally:
      pu.kill_program(process)
  learner = (tmp_path / 'workers' / 'learner' / '0').read_text(
      errors='replace')
  failed = f'learner log tail:\n{learner[-3000:]}'
  assert 'left behind' in learner, failed  # The hang, then the last resort.
  after_hang = learner[learner.index('left behind'):]
  assert _SAVE in after_hang, failed
  assert 'did not terminate in time' not in learner, failed
