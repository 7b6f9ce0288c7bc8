"""Real launches of the program: it learns and stops by itself (local_mt),
resumes after its learner is killed, and goes on when an actor dies
(local_mp)."""

import glob
import os
import signal
import time

import numpy as np
import pytest

from acme_kickstart.analysis import curves
from acme_kickstart.experiments.config import ExperimentConfig
import program_utils as pu

SB3_BREAKOUT = os.path.join(pu.ROOT, 'teachers', 'sb3_breakout', 'policy.onnx')

@pytest.fixture(scope='module')
def teachers(tmp_path_factory):
  return pu.write_teachers(tmp_path_factory.mktemp('teachers'))


@pytest.mark.timeout(300)
def test_local_mt_program_learns_from_actors_and_stops_itself(teachers,
                                                              tmp_path):
  """With the distillation replay on: the replay node serves both tables,
  the actors feed both, the learner replays and logs it. Breakout's teacher
  is a Stable-Baselines3 policy trained outside this project and exported to
  ONNX (teachers/sb3_breakout), the others acme SavedModels."""
  run_dir = tmp_path / 'run'
  teachers = dict(teachers, breakout=dict(
      snapshot=SB3_BREAKOUT, observation_fn='raw_channels',
      action_map='minimal'))
  config = pu.write_config(
      tmp_path / 'config.py', run_dir, teachers, max_env_steps=15_000,
      agent_fields=dict(distillation_replay_ratio=2,
                        distillation_replay_window=64))
  pu.run_to_end(config, 'local_mt', str(tmp_path / 'log.txt'))
  learner = pu.read_csv(run_dir, 'learner')
  assert learner and int(float(learner[-1]['learner_steps'])) > 5
  # It learned from real actors' trajectories, with the teachers in them.
  assert max(float(r['kl/breakout']) for r in learner) > 0
  # The student moves towards the ONNX teacher: its KL falls.
  kl = [float(r['kl/breakout']) for r in learner if float(r['kl/breakout'])]
  assert len(kl) >= 6 and np.mean(kl[-3:]) < 0.7 * np.mean(kl[:3]), kl
  assert max(float(r['distillation_loss']) for r in learner) > 0
  actor_steps = [float(r['actor_steps']) for r in pu.read_csv(run_dir, 'actor_0')]
  assert max(actor_steps) >= 15_000 - 2 * 8 * 50
  evaluator = pu.read_csv(run_dir, 'evaluator')
  assert evaluator and 'return/breakout' in evaluator[0]
  assert glob.glob(str(run_dir / 'tb' / 'learner' / 'events.*'))
  assert os.path.isdir(run_dir / 'checkpoints' / 'learner')
  assert os.path.isdir(run_dir / 'checkpoints' / 'counter')
  replayed = [r for r in learner if float(r['replay/batches']) == 2]
  assert replayed, learner[-1]
  assert 0 < float(replayed[-1]['replay/table_size']) <= 64
  assert float(replayed[-1]['replay/reuse_factor']) > 0.5
  assert float(replayed[-1]['replay/distillation_loss']) > 0
  # Only V-trace rows are env steps: with replayed rows counted, the learner
  # would claim ~3x the env steps the actors took. (The actor's last row
  # lags its last steps by up to one progress period: hence the margin.)
  assert 0 < float(learner[-1]['learner_env_steps']) <= 1.5 * max(actor_steps)


@pytest.mark.timeout(420)
def test_local_mp_resumes_after_learner_sigkill(teachers, tmp_path):
  run_dir = tmp_path / 'run'
  config = pu.write_config(tmp_path / 'config.py', run_dir, teachers,
                           max_env_steps=10**9, checkpoint_minutes=0.05)
  log = str(tmp_path / 'log.txt')
  process = pu.launch(config, 'local_mp', log)
  try:
    def learner_checkpointed_twice():
      # acme keeps the newest checkpoint only: ckpt-2 is the second save.
      saves = [int(p.split('ckpt-')[1].split('.')[0]) for p in glob.glob(
          str(run_dir / 'checkpoints' / 'learner' / 'ckpt-*.index'))]
      actor_rows = pu.read_csv(run_dir, 'actor_0')
      return (pu.pid(run_dir, 'learner') and
              len(pu.read_csv(run_dir, 'learner')) > 3 and
              max(saves or [0]) >= 2 and actor_rows and
              float(actor_rows[-1]['actor_steps']) > 60_000 and
              pu.read_csv(run_dir, 'evaluator'))
    pu.wait_for(learner_checkpointed_twice, 240, 'learner checkpoints',
                process, log)
    os.kill(pu.pid(run_dir, 'learner'), signal.SIGKILL)
    time.sleep(1.0)
    learner_steps_at_kill = max(float(r['learner_steps'])
                                for r in pu.read_csv(run_dir, 'learner'))
  finally:
    pu.kill_program(process)  # Everything else dies without a goodbye too.
  rows_before = {label: len(pu.read_csv(run_dir, label))
                 for label in ('actor_0', 'actor_1', 'evaluator', 'learner')}

  process = pu.launch(config, 'local_mp', log)
  try:
    pu.wait_for(lambda: all(len(pu.read_csv(run_dir, label)) > n + 2
                            for label, n in rows_before.items()), 240,
                'the resumed learner, actors and evaluator', process, log)
  finally:
    pu.kill_program(process)
  # The counter came back at or past every count logged before the crash, so
  # every log goes on from where it was: no env-step range is logged twice.
  for label in ('actor_0', 'actor_1', 'evaluator'):
    steps = [float(r['actor_steps']) for r in pu.read_csv(run_dir, label)]
    assert steps == sorted(steps), (label, rows_before[label], steps)
  curve = curves.read_curve(str(run_dir), ExperimentConfig().tasks)
  assert len(curve) == len(pu.read_csv(run_dir, 'evaluator'))
  # The learner came back from its checkpoint, not from step 0.
  resumed_learner = pu.read_csv(run_dir, 'learner')[rows_before['learner']]
  assert float(resumed_learner['learner_steps']) > 0.5 * learner_steps_at_kill


@pytest.mark.timeout(360)
def test_local_mp_goes_on_when_an_actor_dies(teachers, tmp_path):
  run_dir = tmp_path / 'run'
  config = pu.write_config(tmp_path / 'config.py', run_dir, teachers,
                           max_env_steps=10**9)
  log = str(tmp_path / 'log.txt')
  process = pu.launch(config, 'local_mp', log)
  try:
    pu.wait_for(lambda: len(pu.read_csv(run_dir, 'actor_1')) > 3 and
                len(pu.read_csv(run_dir, 'learner')) > 3, 240,
                'both actors and the learner', process, log)
    os.kill(pu.pid(run_dir, 'actor_1'), signal.SIGKILL)
    time.sleep(2.0)
    actor_rows = len(pu.read_csv(run_dir, 'actor_0'))
    learner_steps = float(pu.read_csv(run_dir, 'learner')[-1]['learner_steps'])
    time.sleep(15.0)
    assert process.poll() is None, 'The program stopped with its actor.'
    assert len(pu.read_csv(run_dir, 'actor_0')) > actor_rows + 5
    assert float(pu.read_csv(run_dir, 'learner')[-1]['learner_steps']) > (
        learner_steps)
  finally:
    pu.kill_program(process)
