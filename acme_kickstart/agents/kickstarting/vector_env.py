"""K dm_env environments as one vector environment: arrays in, arrays out.

A batched actor spends its time per env step, so the vector environment keeps
the per-step Python work to the one call each game needs: observations live
in preallocated [K, ...] arrays (two sets, alternating, so the observations
an action was taken on stay readable after the step), and rewards,
discounts and episode ends come back as [K] arrays. An environment whose
episode ends is reset at once: its final observation is kept in
`final_observations` and its row of `observations` holds the next episode's
first observation.

Environments with `act_into` / `reset_into` (MinAtar) write their
observation straight into their row of the [K, ...] arrays; any other dm_env
goes through `step` and `reset` and its TimeStep is copied in. Such an
environment names, in `into_keys`, every observation key that those two keep
current; the fast path is taken only when they are all of its observation's
keys, so a wrapper that adds a key (and forwards the inner environment's
attributes) gets the generic path unless it writes its key too
(wrappers.PreviousActionReward does).
"""

from typing import NamedTuple, Sequence

from acme import specs
import dm_env
import numpy as np
import tree


def check_environments(
    environments: Sequence[dm_env.Environment]) -> specs.EnvironmentSpec:
  """Their one spec: the K rows of a vector environment must share it (each
  suite pads its tasks to one)."""
  spec = specs.make_environment_spec(environments[0])
  for env in environments[1:]:
    if specs.make_environment_spec(env) != spec:
      raise ValueError('All environments of one actor must share one spec; '
                       f'{env} differs from {environments[0]}.')
  return spec


class NonFiniteEnvironmentError(ValueError):
  """An environment gave a NaN or infinite reward or observation."""


def _describe(env) -> str:
  """The task an environment plays, for error messages."""
  for name in ('game', 'level', 'task_id'):
    try:
      return f'{name} {getattr(env, name)!r}'
    except AttributeError:
      continue
  return type(env).__name__


def _fills_whole_observation(env, observation) -> bool:
  """Whether `env`'s act_into/reset_into keep every observation key current."""
  if not (hasattr(env, 'act_into') and hasattr(env, 'reset_into') and
          isinstance(observation, dict)):
    return False
  try:
    keys = set(env.into_keys)
  except AttributeError:
    return False
  return keys == set(observation)


class VectorStep(NamedTuple):
  """What one step of all K environments gave."""
  rewards: np.ndarray  # [K] float32.
  discounts: np.ndarray  # [K] float32.
  last: np.ndarray  # [K] bool: the step ended the environment's episode.
  # Nest of [K, ...]: on rows where `last`, the episode's final observation
  # (other rows hold stale data).
  final_observations: object


class VectorEnvironment:
  """Steps K environments with one array of actions."""

  def __init__(self, environments: Sequence[dm_env.Environment]):
    self._envs = list(environments)
    first = [env.reset() for env in self._envs]
    self._structure = first[0].observation
    stacked = [np.stack(leaves) for leaves in zip(
        *[tree.flatten(ts.observation) for ts in first])]
    # Two observation buffers: the one the actions were taken on, and the
    # one the step writes. `final` holds the last observation of an episode.
    self._buffers = [stacked, [np.copy(x) for x in stacked]]
    self._final = [np.copy(x) for x in stacked]
    self._nests = [tree.unflatten_as(self._structure, leaves)
                   for leaves in self._buffers + [self._final]]
    self._current = 0
    self._fast = all(_fills_whole_observation(env, self._structure)
                     for env in self._envs)
    # Float leaves are checked for NaN/inf as they arrive (integer ones, e.g.
    # MinAtar's uint8 pixels, cannot hold them).
    self._float_leaves = [
        i for i, leaf in enumerate(stacked)
        if np.issubdtype(leaf.dtype, np.floating)]
    for i in range(len(self._envs)):
      self._check_observation(i, stacked, 'its first observation')
    self._rewards = np.zeros([len(self._envs)], np.float32)
    self._discounts = np.ones([len(self._envs)], np.float32)
    self._last = np.zeros([len(self._envs)], bool)

  @property
  def num_envs(self) -> int:
    return len(self._envs)

  @property
  def environments(self):
    return self._envs

  @property
  def observations(self):
    """Nest of [K, ...]: what the next actions are taken on."""
    return self._nests[self._current]

  def reset(self):
    """Starts a new episode in every environment."""
    leaves = self._buffers[self._current]
    for i, env in enumerate(self._envs):
      self._write_row(leaves, i, env.reset().observation)
      self._check_observation(i, leaves, 'its first observation')
    return self.observations

  def step(self, actions: np.ndarray, active=None) -> VectorStep:
    """Steps every environment (or those where `active`); resets those whose
    episode ended. An inactive one keeps its observation, reward 0, not last."""
    source = self._buffers[self._current]
    self._current = 1 - self._current
    target = self._buffers[self._current]
    rows = range(len(self._envs))
    if active is not None:
      rows = np.flatnonzero(active).tolist()
      for leaf, source_leaf in zip(target, source):
        leaf[:] = source_leaf
      self._rewards[:] = 0.0
      self._discounts[:] = 1.0
      self._last[:] = False
    if self._fast:
      self._step_fast(actions, self._nests[self._current], target, rows)
    else:
      self._step_generic(actions, target, rows)
    self._check_step(target, rows)
    return VectorStep(self._rewards.copy(), self._discounts.copy(),
                      self._last.copy(), self._nests[2])

  def _step_fast(self, actions, target_nest, target, rows):
    # Each environment keeps every key of its row current (`into_keys`).
    rewards, discounts, last = self._rewards, self._discounts, self._last
    envs, actions = self._envs, actions.tolist()
    for i in rows:
      rewards[i], terminal, last[i] = envs[i].act_into(actions[i],
                                                       target_nest, i)
      discounts[i] = 0.0 if terminal else 1.0
    for i in np.flatnonzero(last).tolist():
      for final, leaf in zip(self._final, target):
        final[i] = leaf[i]
      self._envs[i].reset_into(target_nest, i)

  def _check_step(self, target, rows):
    """One clear error for a NaN/inf reward or observation, where it enters.

    Training on it would make the loss, the gated schedule's scores and the
    checkpoints non-finite, and the learner could only blame its learning
    rate; the environment (or a wrapper) is what must change. The actor
    writes nothing of a step that fails here.
    """
    if not np.isfinite(self._rewards).all():
      i = int(np.flatnonzero(~np.isfinite(self._rewards))[0])
      raise NonFiniteEnvironmentError(
          f'Environment {i} ({_describe(self._envs[i])}) returned the '
          f'non-finite reward {self._rewards[i]}. Fix the environment, or '
          'wrap it so that its rewards are finite.')
    for leaves in (target, self._final):
      for leaf_index in self._float_leaves:
        if not np.isfinite(leaves[leaf_index]).all():
          for i in rows:
            self._check_observation(i, leaves, 'an observation')

  def _check_observation(self, row: int, leaves, what: str):
    paths = [path for path, _ in tree.flatten_with_path(self._structure)]
    for leaf_index in self._float_leaves:
      if not np.isfinite(leaves[leaf_index][row]).all():
        key = '/'.join(map(str, paths[leaf_index]))
        raise NonFiniteEnvironmentError(
            f'Environment {row} ({_describe(self._envs[row])}) returned '
            f'{what} with non-finite values in {key!r}. Fix the environment, '
            'or wrap it so that its observations are finite.')

  def _step_generic(self, actions, target, rows):
    for i in rows:
      env = self._envs[i]
      timestep = env.step(actions[i])
      self._rewards[i] = timestep.reward
      self._discounts[i] = timestep.discount
      self._last[i] = timestep.last()
      if timestep.last():
        self._write_row(self._final, i, timestep.observation)
        timestep = env.reset()
      self._write_row(target, i, timestep.observation)

  @staticmethod
  def _write_row(leaves, row: int, observation):
    for leaf, value in zip(leaves, tree.flatten(observation)):
      leaf[row] = value
