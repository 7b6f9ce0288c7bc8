"""A local_mp learner starved for data when its program stops still saves its
last checkpoint before Launchpad kills its process.

The learner's step waits for a batch; when the replay server stops under it,
Reverb's sampler retries the stopped server without end, so the step never
returns. Each node's process gets Launchpad's default 10 s notice, whatever
the launcher's, and is killed after it; the learner's last resort (a save
without the step's lock, stopping.STOP_GRACE_SECONDS after the stop) must
come first. Here the hang is the real one: the actor is paused (SIGSTOP), so
the learner drains the queue and waits, and the program is stopped as a user
stops it (SIGINT to the launcher).
"""

import os
import signal
import time

import pytest
import tensorflow as tf

import program_utils as pu

TEACHER = os.path.join(pu.ROOT, 'teachers', 'minatar5', 'breakout')
# Longer than the learner's dataset timeout (learner_node.DATASET_TIMEOUT_MS):
# no new learner row for this long means the queue is empty.
_STARVED_SECONDS = 5.0


def _wait_until_starved(run_dir):
  rows, since = -1, time.time()
  while time.time() - since < _STARVED_SECONDS:
    now = len(pu.read_csv(run_dir, 'learner'))
    if now != rows:
      rows, since = now, time.time()
    time.sleep(0.5)


def _checkpointed_learner_steps(run_dir):
  directory = os.path.join(str(run_dir), 'checkpoints', 'learner')
  reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(directory))
  name = next(n for n in reader.get_variable_to_shape_map()
              if n.startswith('learner/num_learner_steps/'))
  return int(reader.get_tensor(name))


def _launch_and_stop_starved(tmp_path):
  """The learner's log after a stop that found it waiting for data."""
  run_dir = tmp_path / 'run'
  config_path = pu.write_config(
      tmp_path / 'config.py', run_dir, {'breakout': TEACHER},
      tasks=('breakout',), suite_kwargs=dict(max_episode_steps=60),
      num_actors=1, num_dataset_streams=1, max_env_steps=10**9,
      evaluator_period_seconds=2.0,
      checkpoint_minutes=60.0)  # Saves: its first step's, then the last.
  log_path = tmp_path / 'log.txt'
  process = pu.launch_script(
      'kickstart', config_path, 'local_mp', log_path,
      '--terminal=output_to_files',
      extra_env=dict(LAUNCHPAD_LOGGING_DIR=str(tmp_path / 'workers')))
  try:
    pu.wait_for(lambda: len(pu.read_csv(run_dir, 'learner')) >= 3, 300,
                'three learner log rows', process, log_path)
    actor = pu.pid(run_dir, 'actor_0')
    os.kill(actor, signal.SIGSTOP)
    _wait_until_starved(run_dir)
    os.kill(process.pid, signal.SIGINT)
    os.kill(actor, signal.SIGCONT)  # It sees the stop as any actor.
    process.wait(timeout=120)
  finally:
    pu.kill_program(process)
  return (tmp_path / 'workers' / 'learner' / '0').read_text(errors='replace')


@pytest.mark.timeout(900)
def test_a_learner_starved_at_the_stop_saves_within_its_process_notice(
    tmp_path):
  # The stop may fall between two of the starved learner's 2 s waits (a few
  # milliseconds of Python): then it stops cleanly, without the hang, and
  # the launch is repeated once to see the hang.
  for attempt in range(2):
    attempt_path = tmp_path / f'attempt_{attempt}'
    attempt_path.mkdir()
    learner = _launch_and_stop_starved(attempt_path)
    failed = f'learner log tail:\n{learner[-3000:]}'
    assert 'did not terminate in time' not in learner, failed
    if 'left behind' in learner:
      break
  assert 'left behind' in learner, failed  # The hang, then the last resort.
  assert 'Saving checkpoint' in learner[learner.index('left behind'):], failed
  logged = pu.read_csv(attempt_path / 'run', 'learner')
  # The last resort saved the learner as it was: every logged step, not
  # only the first step's checkpoint.
  assert _checkpointed_learner_steps(attempt_path / 'run') >= int(
      logged[-1]['learner_steps']) >= 3
