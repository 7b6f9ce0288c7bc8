"""What every suite's dm_env adapter shares: its specs' shapes and dtypes."""

import dm_env
from dm_env import specs
import numpy as np


def action_spec(num_actions: int) -> specs.DiscreteArray:
  return specs.DiscreteArray(num_actions, name='action')


def reward_spec() -> specs.Array:
  return specs.Array((), np.float32, 'reward')


def discount_spec() -> specs.BoundedArray:
  return specs.BoundedArray((), np.float32, 0.0, 1.0, 'discount')


class SuiteEnvironment(dm_env.Environment):
  """Discrete actions, float32 rewards and discounts, a suite-wide observation.

  Subclasses set `NUM_ACTIONS`, `OBSERVATION_SPEC` (a function returning the
  suite's observation spec, shared by all its tasks) and `self._task_id`.
  """
  NUM_ACTIONS: int
  OBSERVATION_SPEC = None

  @property
  def task_id(self) -> int:
    """The task's index in its suite; it also travels in every observation."""
    return int(self._task_id)

  def observation_spec(self):
    return self.OBSERVATION_SPEC()

  def action_spec(self) -> specs.DiscreteArray:
    return action_spec(self.NUM_ACTIONS)

  def reward_spec(self) -> specs.Array:
    return reward_spec()

  def discount_spec(self) -> specs.BoundedArray:
    return discount_spec()
