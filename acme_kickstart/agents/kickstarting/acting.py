"""Batched actor: K environments per policy call, each with its task's teacher.

The K environments are one vector environment (vector_env.py): actions go in
as one array, observations, rewards, discounts and episode ends come out as
arrays. One TF call a step runs the student on all K observations and each
teacher on the environments of its task, so the ~1.3 ms a TF call costs is
paid once per K env steps instead of once per env step. Every environment
keeps its own episode: its student and teacher core states reset exactly at
its episode starts, it has its own action-sampling generator, and its
trajectory is what its own acme `SequenceAdder` would write (one
BatchedSequenceAdder writes all K as whole columns).
"""

from typing import Dict, List, NamedTuple, Optional, Sequence

from acme.tf import variable_utils as tf2_variable_utils
import dm_env
import numpy as np
import sonnet as snt
import tensorflow as tf
import tree

from acme_kickstart.agents.kickstarting import vector_env
from acme_kickstart.teachers import TeacherSet
from acme_kickstart.utils import seeding


class Episode(NamedTuple):
  task_id: int
  env_index: int
  episode_return: float
  length: int


def extras_spec(network: snt.RNNCore, num_actions: int) -> Dict[str, tf.TensorSpec]:
  """Extras each step carries: acme IMPALA's, plus the teacher's logits."""
  core_state = tree.map_structure(
      lambda s: tf.TensorSpec(s.shape[1:], s.dtype), network.initial_state(1))
  return {
      'logits': tf.TensorSpec([num_actions], tf.float32),
      'core_state': core_state,
      'teacher_logits': tf.TensorSpec([num_actions], tf.float32),
      'teacher_mask': tf.TensorSpec([], tf.float32),
      # 1 on every step the actor takes; the writer's filler row after an
      # episode's last step and its zero padding carry 0 (the learner's mask).
      'valid': tf.TensorSpec([], tf.float32),
  }


def _reset_where(first: tf.Tensor, state, initial_state):
  """Per batch entry: initial_state where first[b], else state."""
  def select(current, initial):
    mask = tf.reshape(first, [-1] + [1] * (current.shape.rank - 1))
    return tf.where(mask, initial, current)
  return tree.map_structure(select, state, initial_state)


class BatchedActor:
  """Steps K environments, as one vector environment, with one policy call."""

  # Steps of Gumbel noise drawn at once from each environment's generator:
  # the same numbers, in the same order, as one draw per step.
  NOISE_BLOCK = 64

  def __init__(self,
               network: snt.RNNCore,
               environments: Sequence[dm_env.Environment],
               adder=None,
               teachers: Optional[TeacherSet] = None,
               variable_client: Optional[tf2_variable_utils.VariableClient] = None,
               action_seeds: Optional[Sequence[int]] = None,
               seed: int = 0,
               greedy: bool = False):
    # `adder`: one BatchedSequenceAdder (or anything with its `add_batch`)
    # for all K environments: whole columns, one call per step.
    if adder is not None and not hasattr(adder, 'add_batch'):
      raise TypeError(
          'BatchedActor writes all its environments through one '
          f'BatchedSequenceAdder (add_batch); got {type(adder).__name__}. '
          'Wrap per-environment acme Adders in one object with add_batch.')
    self._network = network
    self._vector = vector_env.VectorEnvironment(environments)
    self._adder = adder
    self._variable_client = variable_client
    self._greedy = greedy
    num_envs = self._vector.num_envs
    if action_seeds is None:
      action_seeds = seeding.spawn_seeds(seed, num_envs)
    self._rngs = [np.random.default_rng(s) for s in action_seeds]
    self._num_actions = int(environments[0].action_spec().num_values)
    self._noise = np.zeros([0, num_envs, self._num_actions])
    self._noise_step = 0

    # Each environment's first observation tells its task.
    self._task_ids = np.array(self._vector.observations['task_id'], np.int32)

    # Teachers: env indices of each task that has one.
    self._teachers = teachers
    self._teacher_groups: Dict[int, np.ndarray] = {}
    if teachers is not None:
      for task_id in teachers.task_ids:
        indices = np.flatnonzero(self._task_ids == task_id).astype(np.int32)
        if indices.size:
          self._teacher_groups[task_id] = indices
    self._valid = np.ones([num_envs], np.float32)
    self._teacher_mask = np.zeros([num_envs], np.float32)
    for indices in self._teacher_groups.values():
      self._teacher_mask[indices] = 1.0

    self._state = network.initial_state(num_envs)
    self._teacher_states = {
        task: teachers[task].initial_state(len(indices))
        for task, indices in self._teacher_groups.items()}
    self._first = np.ones([num_envs], bool)
    self._returns = np.zeros([num_envs], np.float64)
    self._lengths = np.zeros([num_envs], np.int64)
    self._episodes: List[Episode] = []
    self._policy = tf.function(self._policy_step)

  @property
  def num_envs(self) -> int:
    return self._vector.num_envs

  def _policy_step(self, observations, first, state, teacher_states):
    """Student and teachers on one batch; resets states where first is set."""
    num_envs = self._vector.num_envs
    state = _reset_where(first, state, self._network.initial_state(num_envs))
    (logits, _), new_state = self._network(observations, state)
    teacher_logits = tf.zeros([num_envs, self._num_actions], tf.float32)
    new_teacher_states = {}
    for task, indices in self._teacher_groups.items():
      teacher = self._teachers[task]
      task_first = tf.gather(first, indices)
      task_state = _reset_where(task_first, teacher_states[task],
                                teacher.initial_state(len(indices)))
      task_obs = tree.map_structure(lambda x: tf.gather(x, indices),  # pylint: disable=cell-var-from-loop
                                    observations)
      task_logits, new_teacher_states[task] = teacher.step(task_obs, task_state)
      teacher_logits = tf.tensor_scatter_nd_update(
          teacher_logits, indices[:, None], tf.cast(task_logits, tf.float32))
    return logits, teacher_logits, state, new_state, new_teacher_states

  def _sample(self, logits: np.ndarray) -> np.ndarray:
    if self._greedy:
      return np.argmax(logits, axis=-1).astype(np.int32)
    # Gumbel-max with each environment's own generator: the same seeds give the
    # same actions whatever the batch an environment is stepped in.
    if self._noise_step == len(self._noise):
      self._noise = np.stack(
          [rng.gumbel(size=(self.NOISE_BLOCK, self._num_actions))
           for rng in self._rngs], axis=1)
      self._noise_step = 0
    noise = self._noise[self._noise_step]
    self._noise_step += 1
    return np.argmax(logits + noise, axis=-1).astype(np.int32)

  def step(self, active: Optional[np.ndarray] = None) -> int:
    """Steps every environment once; returns the number of env steps taken.

    `active` ([K] bool), for actors that only play: step only those
    environments (an evaluator whose other episodes are done).
    """
    if active is not None and self._adder is not None:
      raise ValueError('step(active) would leave gaps in the trajectories '
                       'being written; it is for actors without adders.')
    observations = self._vector.observations
    logits, teacher_logits, state, self._state, self._teacher_states = (
        self._policy(observations, self._first, self._state,
                     self._teacher_states))
    logits = logits.numpy()
    actions = self._sample(logits)
    result = self._vector.step(actions, active)
    self._returns += result.rewards
    self._lengths += 1 if active is None else active

    if self._adder is not None:
      extras = {'logits': logits,
                'core_state': tree.map_structure(lambda s: s.numpy(), state),
                'teacher_logits': teacher_logits.numpy(),
                'teacher_mask': self._teacher_mask,
                'valid': self._valid}
      self._adder.add_batch(observations, self._first, actions,
                            result.rewards, result.discounts, result.last,
                            result.final_observations, extras)

    for i in np.flatnonzero(result.last).tolist():
      self._episodes.append(Episode(int(self._task_ids[i]), i,
                                    float(self._returns[i]),
                                    int(self._lengths[i])))
      self._returns[i] = 0.0
      self._lengths[i] = 0
    self._first = result.last

    if self._variable_client is not None:
      self._variable_client.update()
    return self._vector.num_envs if active is None else int(np.sum(active))

  def reset(self):
    """Starts a new episode in every environment (for actors that only play)."""
    if self._adder is not None:
      raise ValueError('reset() would cut the trajectories being written; it '
                       'is for actors without adders (evaluation).')
    self._vector.reset()
    self._first = np.ones([self._vector.num_envs], bool)
    self._returns[:] = 0.0
    self._lengths[:] = 0

  def pop_episodes(self) -> List[Episode]:
    """Episodes finished since the last call."""
    episodes, self._episodes = self._episodes, []
    return episodes

  def update(self, wait: bool = False):
    if self._variable_client is not None:
      self._variable_client.update(wait)
