"""Teachers from stock acme: snapshots of acme.tf.networks, loaded from a config."""

import os

from acme.tf import networks as acme_networks
from acme.tf import utils as tf2_utils
from acme.wrappers import observation_action_reward
import numpy as np
import pytest
import tensorflow as tf

from acme_kickstart.environments import minatar
from acme_kickstart.experiments import factories
from acme_kickstart.experiments import program as program_lib
from acme_kickstart.experiments.config import ExperimentConfig
from acme_kickstart.experiments.config import RunConfig
from acme_kickstart.experiments.config import Topology
from acme_kickstart.teachers import stock_acme
from acme_kickstart.teachers.specs import TeacherSpec
import acme_snapshots

BREAKOUT_MINIMAL = (0, 1, 3)  # noop, left, right.
TAU = acme_snapshots.TAU


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
  network, path = acme_snapshots.dqn_snapshot(tmp_path)
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


@pytest.mark.parametrize('kind', ['empty', 'corrupt', 'not_a_saved_model'])
def test_unloadable_snapshot_fails_before_the_program_is_built(tmp_path, kind):
  path = acme_snapshots.bad_snapshot(tmp_path, kind)
  config = ExperimentConfig(teachers={'freeway': path},
                            run=RunConfig(run_dir=str(tmp_path)))
  with pytest.raises(ValueError, match=f"teacher of task 'freeway' "
                     f"\\({path}\\).*cannot be loaded as a SavedModel"):
    program_lib.make_program(config, Topology())


def test_map_that_does_not_fit_the_teacher_fails_before_launch(tmp_path):
  _, path = acme_snapshots.dqn_snapshot(tmp_path)  # Three Q-values.
  config = ExperimentConfig(teachers={'breakout': TeacherSpec(
      path, observation_fn='raw_channels', action_map=(0, 1, 3, 5))})
  with pytest.raises(ValueError, match=r"outputs 3 action values, but its "
                     r'action map \[0, 1, 3, 5\] names 4'):
    program_lib.make_program(config, Topology())
