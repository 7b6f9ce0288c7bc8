"""Test-only adapters between acme's per-environment Adder interface and the
batched actor's one writer (`add_batch`), so tests can check the batched path
against acme's own `SequenceAdder`, one per environment, as the reference.

Production actors write through one BatchedSequenceAdder; nothing here is
needed to run the agent.
"""

from typing import Sequence

import dm_env
import numpy as np
import tree

from acme_kickstart.agents.kickstarting import acting
from acme_kickstart.agents.kickstarting.adders import BatchedSequenceAdder


def _row(nest, i: int):
  return tree.map_structure(lambda x: np.copy(x[i]), nest)


class PerEnvAdders:
  """K acme Adders behind `add_batch`: each gets the TimeSteps an acme
  EnvironmentLoop would give it (add_first at every episode start, then add).

  `add_batch` does not carry the observation that follows a step that is not
  an episode's last, so `start` binds the actor's vector environment, which
  holds it when the actor calls `add_batch`.
  """

  def __init__(self, adders: Sequence):
    self._adders = list(adders)
    self._vector = None

  def start(self, vector):
    self._vector = vector
    for i, adder in enumerate(self._adders):
      adder.add_first(dm_env.restart(_row(vector.observations, i)))

  def add_batch(self, observations, starts, actions, rewards, discounts, last,
                final_observations, extras):
    del observations, starts  # The adders saw them as the previous step's.
    for i, adder in enumerate(self._adders):
      is_last = bool(last[i])
      timestep = dm_env.TimeStep(
          dm_env.StepType.LAST if is_last else dm_env.StepType.MID,
          rewards[i], discounts[i],
          _row(final_observations if is_last else self._vector.observations,
               i))
      adder.add(actions[i], timestep, tree.map_structure(lambda x: x[i],  # pylint: disable=cell-var-from-loop
                                                         extras))
      if is_last:
        adder.add_first(dm_env.restart(_row(self._vector.observations, i)))


def actor_with_adders(network, environments, adders,
                      **kwargs) -> acting.BatchedActor:
  """A BatchedActor whose environment i writes through acme Adder `adders[i]`."""
  if len(adders) != len(environments):
    raise ValueError(f'Need one adder per environment: {len(adders)} adders '
                     f'for {len(environments)} environments.')
  fan_out = PerEnvAdders(adders)
  actor = acting.BatchedActor(network, environments, fan_out, **kwargs)
  fan_out.start(actor._vector)  # pylint: disable=protected-access
  return actor


class WriterRow:
  """One environment's row of a BatchedSequenceAdder, with acme's Adder
  interface (add_first, add), to compare it with acme's SequenceAdder."""

  def __init__(self, parent: BatchedSequenceAdder, index: int):
    self._parent = parent
    self._index = index
    self._observation = None
    self._start = False

  def add_first(self, timestep: dm_env.TimeStep):
    if not timestep.first():
      raise ValueError('add_first needs a FIRST timestep.')
    self._parent.reset(self._index)
    self._observation, self._start = timestep.observation, True

  def add(self, action, next_timestep: dm_env.TimeStep, extras=()):
    if self._observation is None:
      raise ValueError('add_first must be called before add.')
    batch = lambda x: np.asarray(x)[None]
    self._parent.add_batch(
        observations=tree.map_structure(batch, self._observation),
        starts=np.array([self._start]), actions=batch(action),
        rewards=batch(next_timestep.reward),
        discounts=batch(next_timestep.discount),
        last=np.array([next_timestep.last()]),
        final_observations=tree.map_structure(batch, next_timestep.observation),
        extras=tree.map_structure(batch, extras), indices=[self._index])
    self._observation, self._start = next_timestep.observation, False
    if next_timestep.last():
      self._observation = None

  def reset(self):
    self._parent.reset(self._index)
