"""MinAtar-5 as dm_env: one padded spec, task ids, seeds, sticky actions, limits."""

import dm_env
import minatar as minatar_lib
import numpy as np
import pytest

from acme_kickstart.environments import minatar

CHANNELS = {'breakout': 4, 'asterix': 4, 'freeway': 7, 'seaquest': 10,
            'space_invaders': 6}


@pytest.mark.parametrize('game', minatar.GAMES)
def test_game_is_padded_to_one_spec_with_task_id(game):
  env = minatar.make_environment(game, seed=1)
  ts = env.reset()
  assert ts.first()
  pixels = ts.observation['pixels']
  assert pixels.shape == (10, 10, 10) and pixels.dtype == np.uint8
  assert int(ts.observation['task_id']) == minatar.GAMES.index(game)
  # The padding channels stay zero; the game's own channels are MinAtar's state.
  raw = minatar_lib.Environment(game)
  assert raw.state_shape()[2] == CHANNELS[game]
  assert not pixels[..., CHANNELS[game]:].any()
  assert env.action_spec().num_values == 6
  assert env.observation_spec() == minatar.observation_spec()
  for _ in range(30):
    ts = env.step(np.random.randint(6))
    assert ts.reward.dtype == np.float32 and ts.discount.dtype == np.float32
    if ts.last():
      break


def test_unknown_game_is_one_clear_error():
  with pytest.raises(ValueError, match="Unknown MinAtar game 'pong'.*breakout"):
    minatar.make_environment('pong')


def test_seeds_reproduce_episodes_and_differ_across_seeds():
  def rollout(seed):
    env = minatar.make_environment('asterix', seed=seed)
    env.reset()
    rng = np.random.default_rng(0)
    frames = []
    for _ in range(200):
      ts = env.step(rng.integers(6))
      frames.append(ts.observation['pixels'].copy())
    return np.stack(frames)
  np.testing.assert_array_equal(rollout(3), rollout(3))
  assert not np.array_equal(rollout(3), rollout(4))


def test_sticky_actions_are_configurable():
  def positions(prob):
    env = minatar.make_environment('freeway', seed=0, sticky_action_prob=prob)
    env.reset()
    rows = []
    for t in range(40):
      # Alternate up and no-op: with sticky_action_prob=1 the first action
      # (no-op is MinAtar's initial last_action) repeats forever.
      ts = env.step(2 if t % 2 == 0 else 0)
      rows.append(np.argwhere(ts.observation['pixels'][..., 0])[0][0])
    return rows
  assert len(set(positions(0.0))) > 1  # The chicken moves up.
  assert len(set(positions(1.0))) == 1  # Every action is the sticky no-op.
  with pytest.raises(ValueError, match='sticky_action_prob'):
    minatar.make_environment('freeway', sticky_action_prob=1.5)


def test_episode_step_limit_truncates_with_discount_one():
  env = minatar.make_environment('freeway', seed=0, max_episode_steps=25)
  ts = env.reset()
  steps = 0
  while not ts.last():
    ts = env.step(0)
    steps += 1
  assert steps == 25
  assert ts.step_type == dm_env.StepType.LAST and ts.discount == 1.0
  assert env.step(0).first()  # Stepping after the end starts a new episode.


def test_termination_has_discount_zero():
  env = minatar.make_environment('breakout', seed=0)
  ts = env.reset()
  while not ts.last():
    ts = env.step(0)
  assert ts.discount == 0.0
