"""The vector environment steps K games exactly as K dm_env loops would."""

import dm_env
import numpy as np
import pytest

from acme_kickstart.agents.kickstarting import acting
from acme_kickstart.agents.kickstarting.vector_env import NonFiniteEnvironmentError
from acme_kickstart.agents.kickstarting.vector_env import VectorEnvironment
from acme_kickstart.environments import minatar
from acme_kickstart.environments import wrappers
from adder_adapters import actor_with_adders
from conftest import built_network

GAMES = ['breakout', 'asterix', 'freeway', 'seaquest', 'space_invaders']
LIMITS = [7, 12, 5, 30, 9]  # Episode ends at different steps, truncation too.


def _envs():
  return [minatar.make_environment(game, seed=3 + i,
                                   max_episode_steps=LIMITS[i])
          for i, game in enumerate(GAMES)]


class _PlainEnvironment(dm_env.Environment):
  """Hides act_into/reset_into: the vector environment's generic path."""

  def __init__(self, env):
    self._env = env

  def reset(self):
    return self._env.reset()

  def step(self, action):
    return self._env.step(action)

  def observation_spec(self):
    return self._env.observation_spec()

  def action_spec(self):
    return self._env.action_spec()


def _reference_run(envs, actions):
  """K dm_env loops: step, and reset after a LAST step (as acme's loop)."""
  timesteps = [env.reset() for env in envs]
  steps = []
  for step_actions in actions:
    observations = [ts.observation['pixels'].copy() for ts in timesteps]
    nexts = [env.step(a) for env, a in zip(envs, step_actions)]
    steps.append((observations, nexts))
    timesteps = [env.reset() if ts.last() else ts
                 for env, ts in zip(envs, nexts)]
  return steps


def _check_vector_against_loops(vector):
  rng = np.random.default_rng(0)
  actions = rng.integers(minatar.NUM_ACTIONS, size=[60, len(GAMES)])
  reference = _reference_run(_envs(), actions)
  ends, terminal_ends = 0, 0
  np.testing.assert_array_equal(vector.observations['task_id'],
                                [minatar.GAMES.index(g) for g in GAMES])
  for step_actions, (observations, nexts) in zip(actions, reference):
    np.testing.assert_array_equal(vector.observations['pixels'],
                                  np.stack(observations))
    result = vector.step(step_actions)
    np.testing.assert_array_equal(result.rewards,
                                  [ts.reward for ts in nexts])
    np.testing.assert_array_equal(result.discounts,
                                  [ts.discount for ts in nexts])
    np.testing.assert_array_equal(result.last, [ts.last() for ts in nexts])
    assert result.rewards.dtype == result.discounts.dtype == np.float32
    for i, ts in enumerate(nexts):
      if ts.last():
        ends += 1
        terminal_ends += ts.discount == 0.0
        np.testing.assert_array_equal(
            result.final_observations['pixels'][i], ts.observation['pixels'])
      else:
        np.testing.assert_array_equal(vector.observations['pixels'][i],
                                      ts.observation['pixels'])
  # Terminal (discount 0) and truncated (discount 1) ends were both seen.
  assert ends >= 15 and 0 < terminal_ends < ends


def test_minatar_vector_steps_as_dm_env_loops():
  vector = VectorEnvironment(_envs())
  assert vector._fast  # pylint: disable=protected-access
  _check_vector_against_loops(vector)


def test_generic_vector_steps_as_dm_env_loops():
  vector = VectorEnvironment([_PlainEnvironment(e) for e in _envs()])
  assert not vector._fast  # pylint: disable=protected-access
  _check_vector_against_loops(vector)


class _Recorder:
  def __init__(self):
    self.steps = []

  def add_first(self, timestep):
    del timestep

  def add(self, action, next_timestep, extras):
    del next_timestep
    self.steps.append((int(action), np.copy(extras['logits'])))

  def reset(self):
    pass


def test_sampled_actions_are_gumbel_max_with_each_envs_own_generator():
  """Noise drawn in blocks is the noise of one draw per step: an action is
  argmax(logits + gumbel) with the environment's generator, step by step."""
  envs = _envs()[:3]
  recorders = [_Recorder() for _ in envs]
  seeds = [11, 12, 13]
  actor = actor_with_adders(built_network('student'), envs, recorders,
                            action_seeds=seeds)
  num_steps = acting.BatchedActor.NOISE_BLOCK + 10  # Crosses a block.
  for _ in range(num_steps):
    actor.step()
  for seed, recorder in zip(seeds, recorders):
    rng = np.random.default_rng(seed)
    assert len(recorder.steps) == num_steps
    for action, logits in recorder.steps:
      expected = np.argmax(logits + rng.gumbel(size=minatar.NUM_ACTIONS))
      assert action == expected


def test_inactive_environments_are_not_stepped():
  """step(actions, active) steps only the active games (an evaluator's
  unfinished episodes); an inactive game resumes where it stopped."""
  rng = np.random.default_rng(1)
  actions = rng.integers(minatar.NUM_ACTIONS, size=[40, len(GAMES)])
  active = rng.random([40, len(GAMES)]) < 0.6
  reference = _envs()
  timesteps = [env.reset() for env in reference]
  vector = VectorEnvironment(_envs())
  for step_actions, step_active in zip(actions, active):
    before = vector.observations['pixels'].copy()
    result = vector.step(step_actions, step_active)
    for i, env in enumerate(reference):
      if not step_active[i]:
        np.testing.assert_array_equal(vector.observations['pixels'][i],
                                      before[i])
        assert result.rewards[i] == 0.0 and not result.last[i]
        continue
      timestep = env.step(step_actions[i])
      assert result.rewards[i] == timestep.reward
      assert result.last[i] == timestep.last()
      if timestep.last():
        timestep = env.reset()
      np.testing.assert_array_equal(vector.observations['pixels'][i],
                                    timestep.observation['pixels'])


def test_actor_counts_only_active_steps_and_episodes():
  envs = [minatar.make_environment('breakout', seed=s, max_episode_steps=5)
          for s in range(3)]
  actor = acting.BatchedActor(built_network('student'), envs, seed=0)
  active = np.array([True, False, True])
  for _ in range(10):
    assert actor.step(active) == 2
  episodes = actor.pop_episodes()
  assert {e.env_index for e in episodes} <= {0, 2}
  assert all(e.length <= 5 for e in episodes) and len(episodes) >= 4


# ------------------------------------------- every key of the observation
def _oar_envs():
  return [wrappers.PreviousActionReward(env) for env in _envs()]


def test_previous_action_and_reward_are_current_on_the_fast_path():
  """A wrapper that adds keys keeps them current through the vector
  environment: after a step the last action and reward, after an automatic
  reset no previous action; the same trajectory as the generic path."""
  fast = VectorEnvironment(_oar_envs())
  generic = VectorEnvironment([_PlainEnvironment(e) for e in _oar_envs()])
  assert fast._fast and not generic._fast  # pylint: disable=protected-access
  rng = np.random.default_rng(2)
  resets = rewarded = 0
  for _ in range(120):
    actions = rng.integers(minatar.NUM_ACTIONS, size=len(GAMES))
    for vector in (fast, generic):
      before_last = vector.step(actions)
    result = before_last
    observations = fast.observations
    for key in ('pixels', 'task_id', 'prev_action', 'prev_reward'):
      np.testing.assert_array_equal(observations[key],
                                    generic.observations[key])
    for i in range(len(GAMES)):
      if result.last[i]:
        resets += 1
        assert observations['prev_action'][i] == wrappers.NO_PREVIOUS_ACTION
        assert observations['prev_reward'][i] == 0.0
        final = result.final_observations
        assert final['prev_action'][i] == actions[i]
        assert final['prev_reward'][i] == result.rewards[i]
      else:
        assert observations['prev_action'][i] == actions[i]
        assert observations['prev_reward'][i] == result.rewards[i]
        rewarded += result.rewards[i] != 0
  assert resets >= 10 and rewarded >= 1


class _AddsAKey(dm_env.Environment):
  """A wrapper that adds an observation key and forwards everything else
  (act_into included) to the environment it wraps, as many wrappers do."""

  def __init__(self, env):
    self._env = env

  def reset(self):
    timestep = self._env.reset()
    return timestep._replace(observation=dict(timestep.observation,
                                              steps=np.int32(0)))

  def step(self, action):
    timestep = self._env.step(action)
    return timestep._replace(observation=dict(timestep.observation,
                                              steps=np.int32(7)))

  def observation_spec(self):
    return self._env.observation_spec()

  def action_spec(self):
    return self._env.action_spec()

  def __getattr__(self, name):
    return getattr(self._env, name)


def test_a_wrapper_that_does_not_write_its_key_gets_the_generic_path():
  vector = VectorEnvironment([_AddsAKey(e) for e in _envs()])
  assert not vector._fast  # pylint: disable=protected-access
  vector.step(np.zeros(len(GAMES), np.int32))
  np.testing.assert_array_equal(vector.observations['steps'], 7)


# ------------------------------------------------- non-finite environments
class _Poisoned(_PlainEnvironment):
  """Gives a NaN reward, or a NaN in a float observation, at step `at`."""

  def __init__(self, env, at, what):
    super().__init__(env)
    self._at, self._what, self._steps = at, what, 0

  def __getattr__(self, name):  # The game's name, for the error message.
    if name.startswith('_'):
      raise AttributeError(name)
    return getattr(self._env, name)

  def _add_speed(self, timestep, value):
    return timestep._replace(observation=dict(
        timestep.observation, speed=np.float32(value)))

  def reset(self):
    return self._add_speed(super().reset(), 0.0)

  def step(self, action):
    timestep = super().step(action)
    self._steps += 1
    bad = self._steps == self._at
    if bad and self._what == 'reward':
      timestep = timestep._replace(reward=np.float32(np.nan))
    return self._add_speed(timestep,
                           np.inf if bad and self._what == 'speed' else 1.0)


def test_a_non_finite_reward_or_observation_is_one_clear_error():
  for what, match in (('reward', 'non-finite reward nan'),
                      ('speed', "non-finite values in 'speed'")):
    envs = [minatar.make_environment('breakout', seed=s) for s in range(3)]
    envs = [_Poisoned(env, at=4 if i == 1 else 10**6, what=what)
            for i, env in enumerate(envs)]
    vector = VectorEnvironment(envs)
    for _ in range(3):
      vector.step(np.zeros(3, np.int32))
    with pytest.raises(NonFiniteEnvironmentError,
                       match=f"Environment 1 \\(game 'breakout'\\).*{match}"):
      vector.step(np.zeros(3, np.int32))
