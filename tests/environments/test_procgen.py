"""Procgen: suites, normalisation constants, and the adapter on real games."""

from acme import specs
import numpy as np
import pytest

from acme_kickstart.environments import procgen


def test_games_suites_and_normalisation_constants():
  assert len(procgen.GAMES) == 16 == len(set(procgen.GAMES))
  assert procgen.SUITES['all'] == procgen.GAMES
  assert set(procgen.SUITES['dense5']) <= set(procgen.GAMES)
  for mode in ('easy', 'hard'):
    assert set(procgen.RETURN_RANGES[mode]) == set(procgen.GAMES)
    for game, (low, high) in procgen.RETURN_RANGES[mode].items():
      assert high > low, (mode, game)
  assert procgen.RETURN_RANGES['easy']['fruitbot'] == (-1.5, 32.4)
  assert procgen.normalized_return('coinrun', 10.0) == 1.0
  assert procgen.normalized_return('coinrun', 7.5) == 0.5
  assert procgen.normalized_return('bigfish', 0.0, 'hard') == 0.0


def test_suite_config():
  config = procgen.ProcgenSuiteConfig()
  assert config.games == procgen.SUITES['dense5']
  assert procgen.ProcgenSuiteConfig(suite='all').task_names == procgen.GAMES
  custom = procgen.ProcgenSuiteConfig(games=['maze', 'heist'])
  assert custom.games == ('maze', 'heist')
  with pytest.raises(ValueError, match='Unknown Procgen suite'):
    procgen.ProcgenSuiteConfig(suite='atari')
  with pytest.raises(ValueError, match='Unknown Procgen game'):
    procgen.ProcgenSuiteConfig(games=['pong'])
  with pytest.raises(ValueError, match='distribution_mode'):
    procgen.ProcgenSuiteConfig(distribution_mode='extreme')


def test_suite_makes_one_spec_with_task_ids_in_suite_order():
  config = procgen.ProcgenSuiteConfig(games=['maze', 'chaser'], seed=1)
  envs = config.make_environments(num_per_game=2)
  assert [(e.game, e.task_id) for e in envs] == [
      ('maze', 0), ('maze', 0), ('chaser', 1), ('chaser', 1)]
  spec = specs.make_environment_spec(envs[0])
  assert all(specs.make_environment_spec(e) == spec for e in envs)
  assert spec.actions.num_values == 15
  first = [e.reset().observation for e in envs]
  assert [int(o['task_id']) for o in first] == [0, 0, 1, 1]
  # Two environments of one game, seeded apart, start on different levels.
  assert not np.array_equal(first[0]['pixels'], first[1]['pixels'])


def _play_episode(env, rng, max_steps=2_000):
  steps = [env.reset()]
  while not steps[-1].last() and len(steps) <= max_steps:
    steps.append(env.step(rng.integers(procgen.NUM_ACTIONS)))
  return steps


def test_real_game_episode_through_dm_env():
  env = procgen.make_environment('bigfish', seed=0)
  spec = specs.make_environment_spec(env)
  rng = np.random.default_rng(0)
  steps = _play_episode(env, rng)
  assert steps[0].first() and steps[-1].last()
  assert all(s.mid() for s in steps[1:-1])
  for step in steps:
    for key, value in step.observation.items():
      spec.observations[key].validate(value)
  assert steps[0].observation['task_id'] == procgen.GAMES.index('bigfish')
  assert all(s.discount == 1.0 for s in steps[1:-1])
  assert steps[-1].discount == 0.0
  assert all(s.reward.dtype == np.float32 for s in steps[1:])
  # Procgen gives no end-state frame: the last step repeats the one before.
  np.testing.assert_array_equal(steps[-1].observation['pixels'],
                                steps[-2].observation['pixels'])
  # The frames move (a real game is running).
  assert not np.array_equal(steps[0].observation['pixels'],
                            steps[len(steps) // 2].observation['pixels'])
  # After the end, the next step starts the episode procgen already began.
  restarted = env.step(0)
  assert restarted.first() and restarted.reward is None
  assert not np.array_equal(restarted.observation['pixels'],
                            steps[0].observation['pixels'])


def test_same_seed_same_levels_and_mid_episode_reset():
  def first_frames(seed):
    env = procgen.make_environment('coinrun', seed=seed)
    frames = [env.reset().observation['pixels']]
    for _ in range(5):
      env.step(4)  # No-op: episode continues.
    frames.append(env.reset().observation['pixels'])  # Mid-episode reset.
    return frames

  a, b, c = first_frames(3), first_frames(3), first_frames(4)
  for x, y in zip(a, b):
    np.testing.assert_array_equal(x, y)
  assert not np.array_equal(a[0], c[0])
  assert not np.array_equal(a[0], a[1])  # A new level after the reset.
