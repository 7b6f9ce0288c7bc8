"""Teachers from stock acme: snapshots of acme.tf.networks, loaded from a config."""

import os

from acme.tf import networks as acme_networks
from acme.tf import utils as tf2_utils
from acme.wrappers import observation_action_reward
import numpy as np
import pytest
import tensorflow as tf

from acme_kickstart.agents.kickstarting import program as program_lib
from acme_kickstart.environments import minatar
from acme_kickstart.experiments import factories
from acme_kickstart.experiments import single_game
from acme_kickstart.experiments.config import ExperimentConfig
from acme_kickstart.experiments.config import RunConfig
from acme_kickstart.experiments.config import Topology
from acme_kickstart import stock_acme
from acme_kickstart.teacher_specs import TeacherSpec

BREAKOUT_MINIMAL = (0, 1, 3)  # noop, left, right.
TAU = 0.005  # A random DQN's Q-values differ by ~0.01: a peaked policy.


def dqn_snapshot(directory, game='breakout'):
  """A feed-forward acme DQN on the game's raw frames, minimal action set.

  Seeded: how peaked softmax(Q / TAU) is depends on the random init (one
  init in ~20 gives a mean max-probability under 0.5).
  """
  tf.random.set_seed(0)
  network = acme_networks.DQNAtariNetwork(stock_acme.minimal_num_actions(game))
  path = stock_acme.write_snapshot(
      network, stock_acme.raw_observation_spec(game), str(directory))
  return network, path


def _episode_observations(config, task, steps, seed=0):
  env = factories.make_environment(config, task, seed=seed)
  timestep = env.reset()
  rng = np.random.default_rng(seed)
  observations = [timestep.observation]
  for _ in range(steps):
    timestep = env.step(rng.integers(minatar.NUM_ACTIONS))
    if timestep.first():
      break
    observations.append(timestep.observation)
  return observations


def test_acme_q_network_snapshot_is_a_softmax_q_teacher(tmp_path):
  network, path = dqn_snapshot(tmp_path)
  assert path.endswith(os.path.join('snapshots', 'network'))  # acme's layout.
  config = ExperimentConfig(teachers={'breakout': TeacherSpec(
      path, observation_fn='raw_channels', action_map='minimal',
      q_temperature=TAU)})
  teachers = factories.load_teachers(config)
  observations = _episode_observations(config, 'breakout', 20)
  batch = tf2_utils.stack_sequence_fields(observations)
  probs = tf.nn.softmax(teachers[0].step(batch, ())[0]).numpy()
  q_values = network(tf.cast(batch['pixels'][..., :4], tf.float32))
  np.testing.assert_allclose(probs[:, BREAKOUT_MINIMAL],
                             tf.nn.softmax(q_values / TAU).numpy(),
                             rtol=1e-4, atol=1e-6)
  assert np.all(probs[:, [2, 4, 5]] == 0.0)
  assert probs.max(-1).mean() > 0.5  # Peaked enough to be worth distilling.


def test_acme_impala_network_reads_an_observation_action_reward(tmp_path):
  game = 'space_invaders'  # Minimal set: noop, left, right, fire.
  network = acme_networks.IMPALAAtariNetwork(
      stock_acme.minimal_num_actions(game))
  path = stock_acme.write_snapshot(network, stock_acme.oar_spec(game),
                                   str(tmp_path))
  config = ExperimentConfig(
      previous_action_reward=True,
      teachers={game: TeacherSpec(path, observation_fn='oar:raw_channels',
                                  action_map='minimal')})
  teachers = factories.load_teachers(config)
  teacher = teachers[config.tasks.index(game)]
  assert teacher.recurrent
  observations = _episode_observations(config, game, 12, seed=1)
  teacher_state = teacher.initial_state(1)
  state = network.initial_state(1)
  minimal = [0, 1, 3, 5]
  for observation in observations:
    batch = tf2_utils.add_batch_dim(observation)
    logits, teacher_state = teacher.step(batch, teacher_state)
    # What an acme IMPALA actor would feed the network: its own action index.
    previous = int(observation['prev_action'])
    oar = observation_action_reward.OAR(
        observation=tf.cast(batch['pixels'][..., :6], tf.float32),
        action=tf.constant([minimal.index(previous) if previous in minimal
                            else -1]),
        reward=batch['prev_reward'])
    (own_logits, _), state = network(oar, state)
    np.testing.assert_allclose(
        tf.nn.softmax(logits).numpy()[:, minimal],
        tf.nn.softmax(own_logits).numpy(), rtol=1e-4, atol=1e-6)
  assert any(int(o['prev_action']) in (1, 3, 5) for o in observations)


def _bad_snapshot(tmp_path, kind):
  path = tmp_path / kind
  path.mkdir()
  if kind == 'empty':
    (path / 'saved_model.pb').write_bytes(b'')
  elif kind == 'corrupt':
    (path / 'saved_model.pb').write_bytes(os.urandom(512))
  else:  # A Keras HDF5 file renamed: not a SavedModel at all.
    (path / 'saved_model.pb').write_bytes(b'\x89HDF\r\n\x1a\n' + b'\0' * 64)
  return str(path)


@pytest.mark.parametrize('kind', ['empty', 'corrupt', 'not_a_saved_model'])
def test_unloadable_snapshot_fails_before_the_program_is_built(tmp_path, kind):
  path = _bad_snapshot(tmp_path, kind)
  config = ExperimentConfig(teachers={'freeway': path},
                            run=RunConfig(run_dir=str(tmp_path)))
  with pytest.raises(ValueError, match=f"teacher of task 'freeway' "
                     f"\\({path}\\).*cannot be loaded as a SavedModel"):
    program_lib.make_program(config, Topology())


def test_map_that_does_not_fit_the_teacher_fails_before_launch(tmp_path):
  _, path = dqn_snapshot(tmp_path)  # Three Q-values.
  config = ExperimentConfig(teachers={'breakout': TeacherSpec(
      path, observation_fn='raw_channels', action_map=(0, 1, 3, 5))})
  with pytest.raises(ValueError, match=r"outputs 3 action values, but its "
                     r'action map \[0, 1, 3, 5\] names 4'):
    program_lib.make_program(config, Topology())


@pytest.mark.timeout(240)
def test_short_run_from_an_acme_q_network_teacher_distils_it(tmp_path):
  """Kickstarting from a stock acme DQN (raw frames, minimal actions, softmax
  of Q / tau): the distillation loss and the KL to the teacher fall."""
  tf.random.set_seed(0)
  _, path = dqn_snapshot(tmp_path)
  config = ExperimentConfig(teachers={'breakout': TeacherSpec(
      path, observation_fn='raw_channels', action_map='minimal',
      q_temperature=TAU)})
  # ~40 learner steps (each takes 8 sequences of 9 new env steps).
  metrics = single_game.distil_on_breakout(config.teachers['breakout'], 3_000)
  assert len(metrics) >= 40
  kl = np.array([m['kl'] for m in metrics])
  distillation = np.array([m['distillation_loss'] for m in metrics])
  assert np.all(np.isfinite(kl)) and np.all(np.isfinite(distillation))
  # The student starts uniform over 6 actions, the teacher on 3 of them.
  assert kl[:3].mean() > 0.5
  assert kl[-5:].mean() < 0.4 * kl[:3].mean()
  assert distillation[-5:].mean() < 0.7 * distillation[:3].mean()


def _launch_fails(tmp_path, *flags):
  """Runs launch/kickstart.py, which must exit with an error before launching."""
  import subprocess  # pylint: disable=g-import-not-at-top
  import sys  # pylint: disable=g-import-not-at-top
  import program_utils as pu  # pylint: disable=g-import-not-at-top
  config = pu.write_config(tmp_path / 'config.py', tmp_path / 'run', {})
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2',
             PYTHONPATH=os.pathsep.join([pu.ROOT, os.path.join(pu.ROOT, 'tests')]))
  result = subprocess.run(
      [sys.executable, os.path.join(pu.ROOT, 'launch', 'kickstart.py'),
       f'--config={config}', '--lp_launch_type=local_mt', *flags],
      capture_output=True, text=True, env=env, cwd=pu.ROOT, timeout=180)
  assert result.returncode != 0
  assert 'Launching' not in result.stdout  # No node started.
  assert not os.path.exists(tmp_path / 'run')
  return result.stderr.strip().splitlines()[-1]


@pytest.mark.timeout(400)
def test_launcher_rejects_bad_teachers_before_any_node_starts(tmp_path):
  corrupt = _bad_snapshot(tmp_path, 'corrupt')
  error = _launch_fails(tmp_path, f'--teacher=seaquest:{corrupt}')
  assert error.startswith(f"kickstart.py: The teacher of task 'seaquest' "
                          f'({corrupt}): Teacher snapshot')
  assert 'cannot be loaded as a SavedModel' in error
  _, path = dqn_snapshot(tmp_path / 'dqn')
  error = _launch_fails(tmp_path, f'--teacher=breakout:{path}',
                        '--teacher_observation_fn=breakout:raw_channels',
                        '--teacher_action_map=breakout:0,1')
  assert error.startswith("kickstart.py: Teacher 'breakout_teacher' for task "
                          '0 (breakout) outputs 3 action values, but its action '
                          'map [0, 1] names 2 actions.')
  # Unknown tasks and missing directories: test_teacher_options and
  # test_program check the same errors without a subprocess.
