"""dm_env wrappers shared by the suites."""

import dm_env
from dm_env import specs
import numpy as np

NO_PREVIOUS_ACTION = -1  # At an episode's first step; one-hot gives zeros.


def with_previous_action_reward(observation_spec: dict,
                                num_actions: int) -> dict:
  """The observation spec plus 'prev_action' and 'prev_reward'."""
  spec = dict(observation_spec)
  spec['prev_action'] = specs.BoundedArray(
      (), np.int32, NO_PREVIOUS_ACTION, num_actions - 1, 'prev_action')
  spec['prev_reward'] = specs.Array((), np.float32, 'prev_reward')
  return spec


class PreviousActionReward(dm_env.Environment):
  """Adds the previous action and reward to a dict observation.

  IMPALA's core also reads the previous action and reward. acme's learner
  gives a network only observations and core state, so they travel inside the
  observation: 'prev_action' (int32, NO_PREVIOUS_ACTION at an episode's first
  step) and 'prev_reward' (float32, 0 at the first step). The trajectories in
  Reverb then carry them too, and the learner's unroll sees exactly what the
  actor saw.
  """

  def __init__(self, environment: dm_env.Environment):
    self._environment = environment
    spec = environment.observation_spec()
    if not isinstance(spec, dict):
      raise ValueError('PreviousActionReward needs a dict observation spec, '
                       f'got {type(spec).__name__}.')
    self._num_actions = int(environment.action_spec().num_values)

  def _augment(self, timestep: dm_env.TimeStep, action: int,
               reward: float) -> dm_env.TimeStep:
    observation = dict(timestep.observation)
    observation['prev_action'] = np.int32(action)
    observation['prev_reward'] = np.float32(reward)
    return timestep._replace(observation=observation)

  def reset(self) -> dm_env.TimeStep:
    return self._augment(self._environment.reset(), NO_PREVIOUS_ACTION, 0.0)

  def step(self, action) -> dm_env.TimeStep:
    timestep = self._environment.step(action)
    if timestep.first():  # The wrapped environment restarted by itself.
      return self._augment(timestep, NO_PREVIOUS_ACTION, 0.0)
    return self._augment(timestep, int(action), float(timestep.reward))

  # A vector environment's fast path (vector_env.py): the wrapped
  # environment writes its keys into the row, this wrapper its own two. Only
  # where the wrapped environment has that path (else AttributeError, and the
  # vector environment steps this one through `step`).
  @property
  def into_keys(self):
    return tuple(self._environment.into_keys) + ('prev_action', 'prev_reward')

  def reset_into(self, observations: dict, row: int):
    self._environment.reset_into(observations, row)
    observations['prev_action'][row] = NO_PREVIOUS_ACTION
    observations['prev_reward'][row] = 0.0

  def act_into(self, action, observations: dict, row: int):
    reward, terminal, last = self._environment.act_into(action, observations,
                                                        row)
    observations['prev_action'][row] = action
    observations['prev_reward'][row] = reward
    return reward, terminal, last

  def observation_spec(self) -> dict:
    return with_previous_action_reward(self._environment.observation_spec(),
                                       self._num_actions)

  def action_spec(self):
    return self._environment.action_spec()

  def reward_spec(self):
    return self._environment.reward_spec()

  def discount_spec(self):
    return self._environment.discount_spec()

  def close(self):
    self._environment.close()

  def __getattr__(self, name):
    # Properties of the wrapped environment (task_id, game, level, ...).
    if name.startswith('_'):
      raise AttributeError(name)
    return getattr(self._environment, name)
