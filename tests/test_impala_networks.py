"""The small and large IMPALA networks on DMLab-30, Procgen and MinAtar inputs."""

import sys

from acme.tf import utils as tf2_utils
import numpy as np
import pytest
import sonnet as snt
import tensorflow as tf
import tree

from acme_kickstart import networks
from acme_kickstart.agents.kickstarting import acting
from acme_kickstart.environments import dmlab30
from acme_kickstart.environments import minatar
from acme_kickstart.environments import procgen
from acme_kickstart.environments import wrappers
import fake_deepmind_lab as fake

SUITES = {
    # name: (observation shape, num actions, pixel scale, has instruction)
    'dmlab30': ((72, 96, 3), dmlab30.NUM_ACTIONS, 1 / 255, True),
    'procgen': ((64, 64, 3), procgen.NUM_ACTIONS, 1 / 255, False),
    'minatar': (minatar.OBSERVATION_SHAPE, minatar.NUM_ACTIONS, 1.0, False),
}
NETWORKS = {'small': networks.SmallImpalaNetwork,
            'large': networks.LargeImpalaNetwork}


def _observations(suite, leading, seed=0, previous=False):
  """Random observations of a suite with leading dims (e.g. [T, B])."""
  shape, num_actions, _, has_instruction = SUITES[suite]
  rng = np.random.default_rng(seed)
  high = 2 if suite == 'minatar' else 256
  obs = {'pixels': rng.integers(0, high, list(leading) + list(shape)).astype(np.uint8),
         'task_id': rng.integers(0, 5, leading).astype(np.int32)}
  if has_instruction:
    ids = rng.integers(1, dmlab30.NUM_WORD_BUCKETS,
                       list(leading) + [dmlab30.MAX_INSTRUCTION_WORDS])
    lengths = rng.integers(0, dmlab30.MAX_INSTRUCTION_WORDS + 1, leading)
    ids[np.arange(dmlab30.MAX_INSTRUCTION_WORDS) >= lengths[..., None]] = 0
    obs['instruction'] = ids.astype(np.int32)
  if previous:
    obs['prev_action'] = rng.integers(-1, num_actions, leading).astype(np.int32)
    obs['prev_reward'] = rng.normal(0, 2, leading).astype(np.float32)
  return tree.map_structure(tf.constant, obs)


def _network(kind, suite, previous=False, **kwargs):
  _, num_actions, scale, _ = SUITES[suite]
  return NETWORKS[kind](num_actions, pixel_scale=scale,
                        use_previous_action_reward=previous, **kwargs)


@pytest.mark.parametrize('previous', [False, True])
@pytest.mark.parametrize('suite', list(SUITES))
@pytest.mark.parametrize('kind', list(NETWORKS))
def test_shapes_and_unroll_equals_stepping(kind, suite, previous):
  num_steps, batch_size = 4, 3
  network = _network(kind, suite, previous)
  _, num_actions, _, _ = SUITES[suite]
  observations = _observations(suite, [num_steps, batch_size],
                               previous=previous)
  state = network.initial_state(batch_size)
  # A non-zero start state, as a sequence in the middle of an episode has.
  (_, _), state = network(tree.map_structure(lambda x: x[0], observations),
                          state)

  (logits, values), unrolled_state = network.unroll(observations, state)
  assert logits.shape == (num_steps, batch_size, num_actions)
  assert values.shape == (num_steps, batch_size)

  step_state = state
  for t in range(num_steps):
    (step_logits, step_values), step_state = network(
        tree.map_structure(lambda x: x[t], observations), step_state)  # pylint: disable=cell-var-from-loop
    assert step_logits.shape == (batch_size, num_actions)
    np.testing.assert_allclose(step_logits, logits[t], atol=1e-5, rtol=1e-5)
    np.testing.assert_allclose(step_values, values[t], atol=1e-5, rtol=1e-5)
  tree.map_structure(
      lambda a, b: np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-5),
      step_state, unrolled_state)
  assert all(np.all(np.isfinite(v.numpy())) for v in network.variables)


def _conv_kernels(network):
  return [v for v in network.trainable_variables
          if 'conv' in v.name and v.shape.rank == 4]


def test_architectures_match_impala():
  small = _network('small', 'dmlab30')
  large = _network('large', 'dmlab30')
  observations = _observations('dmlab30', [2])
  for network in (small, large):
    network(observations, network.initial_state(2))
  # Small: conv 8x8 (16), conv 4x4 (32). Large: 15 convs of 3x3.
  assert [tuple(k.shape) for k in _conv_kernels(small)] == [
      (8, 8, 3, 16), (4, 4, 16, 32)]
  large_kernels = _conv_kernels(large)
  assert len(large_kernels) == 15
  assert all(k.shape[:2] == (3, 3) for k in large_kernels)
  assert sorted({k.shape[-1] for k in large_kernels}) == [16, 32]
  # LSTM 256 cores; the large torso ends in FC 256 from 9 x 12 x 32 features
  # (72 x 96 halved three times, rounding up).
  assert network.initial_state(1).hidden.shape == (1, 256)
  fc = [v for v in large.trainable_variables
        if 'large_impala_torso/linear/w' in v.name]
  assert len(fc) == 1 and tuple(fc[0].shape) == (9 * 12 * 32, 256)


def test_instruction_is_encoded_and_concatenated_only_when_present():
  network = _network('small', 'dmlab30')
  observations = _observations('dmlab30', [2])
  without = {k: v for k, v in observations.items() if k != 'instruction'}
  # Procgen-like observations (no instruction): no encoder variables.
  network(without, network.initial_state(2))
  assert not [v for v in network.variables if 'instruction' in v.name]

  network = _network('small', 'dmlab30')
  (logits, _), _ = network(observations, network.initial_state(2))
  assert [v for v in network.variables if 'instruction_encoder' in v.name]
  changed = dict(observations,
                 instruction=tf.concat([observations['instruction'][:, :1] % 999 + 1,
                                        observations['instruction'][:, 1:]], 1))
  (other_logits, _), _ = network(changed, network.initial_state(2))
  assert not np.allclose(logits, other_logits)


def test_instruction_encoder_reads_up_to_the_last_word():
  encoder = networks.InstructionEncoder()
  words = tf.constant([[5, 17, 3]], tf.int32)
  padded = tf.constant([[5, 17, 3] + [0] * 13], tf.int32)
  np.testing.assert_allclose(encoder(words), encoder(padded), atol=1e-6)
  assert encoder(padded).shape == (1, 64)
  assert not np.allclose(encoder(padded), encoder(tf.constant([[5, 17] + [0] * 14])))
  empty = encoder(tf.zeros([2, 16], tf.int32))
  np.testing.assert_array_equal(empty, np.zeros([2, 64]))


def test_previous_action_and_reward_inputs():
  network = _network('small', 'procgen', previous=True)
  observations = _observations('procgen', [2], previous=True)
  without = {k: v for k, v in observations.items()
             if k not in ('prev_action', 'prev_reward')}
  with pytest.raises(ValueError, match='PreviousActionReward'):
    network(without, network.initial_state(2))

  def logits(**changes):
    (out, _), _ = network(dict(observations, **changes),
                          network.initial_state(2))
    return out.numpy()

  base = logits(prev_action=tf.constant([3, 3]),
                prev_reward=tf.constant([1.0, -1.0]))
  # Rewards are clipped to [-1, 1], as IMPALA's core input.
  np.testing.assert_allclose(
      base, logits(prev_action=tf.constant([3, 3]),
                   prev_reward=tf.constant([7.0, -3.0])), atol=1e-6)
  assert not np.allclose(base, logits(prev_action=tf.constant([4, 4]),
                                      prev_reward=tf.constant([1.0, -1.0])))
  assert not np.allclose(base, logits(prev_action=tf.constant([3, 3]),
                                      prev_reward=tf.constant([0.5, -1.0])))


def test_previous_action_reward_wrapper_on_minatar():
  env = wrappers.PreviousActionReward(minatar.make_environment('breakout',
                                                                seed=0))
  spec = env.observation_spec()
  assert spec['prev_action'].minimum == -1
  assert spec['prev_action'].maximum == minatar.NUM_ACTIONS - 1
  timestep = env.reset()
  assert timestep.observation['prev_action'] == -1
  assert timestep.observation['prev_reward'] == 0.0
  rng = np.random.default_rng(0)
  steps = 0
  while True:
    action = int(rng.integers(minatar.NUM_ACTIONS))
    timestep = env.step(action)
    steps += 1
    for key, value in timestep.observation.items():
      spec[key].validate(value)
    assert timestep.observation['prev_action'] == action
    assert timestep.observation['prev_reward'] == timestep.reward
    if timestep.last():
      break
  assert env.task_id == 0 and env.game == 'breakout'
  restarted = env.step(0)
  assert restarted.first()
  assert restarted.observation['prev_action'] == -1


def test_large_network_acts_on_fake_dmlab_with_instruction_and_previous(
    monkeypatch):
  """Adapter + wrapper + large network + batched actor, end to end."""
  monkeypatch.setitem(sys.modules, 'deepmind_lab', fake)
  monkeypatch.setattr(fake.Registry, 'episode_frames', 12)
  envs = [wrappers.PreviousActionReward(dmlab30.make_environment(level, seed=i))
          for i, level in enumerate(dmlab30.LEVELS[:2])]
  network = networks.LargeImpalaNetwork(dmlab30.NUM_ACTIONS,
                                        use_previous_action_reward=True)
  tf2_utils.create_variables(network, [envs[0].observation_spec()])
  actor = acting.BatchedActor(network, envs, seed=0)
  for _ in range(8):
    actor.step()
  episodes = actor.pop_episodes()
  # 12 frames at action repeat 4: every episode lasts 3 agent steps.
  assert len(episodes) == 4
  assert all(e.length == 3 for e in episodes)
  assert sorted({e.task_id for e in episodes}) == [0, 1]
  assert isinstance(network, snt.RNNCore)
