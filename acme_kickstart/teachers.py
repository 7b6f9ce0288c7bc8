"""Frozen teachers: load them, check them against the suite, route task -> teacher.

A teacher is any policy that maps an observation batch (and, if recurrent, its own
core state) to action logits. Its architecture is independent of the student's.
Teachers run inside the actors, next to the environment of their task, so a
recurrent teacher carries its own core state through the whole episode exactly;
the actor writes the teacher's logits into the trajectory for the learner.
"""

import os
from typing import Any, Callable, Dict, Mapping, Optional, Sequence

from acme.tf import utils as tf2_utils
import numpy as np
import sonnet as snt
import tensorflow as tf
import tree

State = Any


def _logits_of(output) -> tf.Tensor:
  """Action logits from a policy output: logits, (logits, value), or a dist."""
  if hasattr(output, 'logits'):
    return output.logits
  if isinstance(output, (tuple, list)):
    return _logits_of(output[0])
  return output


class Teacher:
  """A frozen policy. `step` is traceable: actors call it inside tf.function."""

  def __init__(self,
               call: Callable[..., Any],
               initial_state: Optional[Callable[[int], State]] = None,
               name: str = 'teacher',
               keep_alive: Any = None):
    self._call = call
    self._initial_state = initial_state
    self.name = name
    self._keep_alive = keep_alive  # Owns the variables of a loaded teacher.

  @property
  def recurrent(self) -> bool:
    return self._initial_state is not None

  def initial_state(self, batch_size: int) -> State:
    if not self.recurrent:
      return ()
    return self._initial_state(batch_size)

  def step(self, observations, state: State):
    """Returns (logits [B, A], new state) for a batch of observations."""
    if not self.recurrent:
      return tf.stop_gradient(_logits_of(self._call(observations))), ()
    output, new_state = self._call(observations, state)
    return tf.stop_gradient(_logits_of(output)), new_state

  def unroll(self, observations, state: State = None):
    """Logits over a [T, B, ...] episode from a fresh state (a reference)."""
    num_steps = tree.flatten(observations)[0].shape[0]
    batch_size = tree.flatten(observations)[0].shape[1]
    state = self.initial_state(batch_size) if state is None else state
    logits = []
    for t in range(num_steps):
      step_logits, state = self.step(
          tree.map_structure(lambda x: x[t], observations), state)  # pylint: disable=cell-var-from-loop
      logits.append(step_logits)
    return tf.stack(logits)

  # --------------------------------------------------------------- factories
  @classmethod
  def from_module(cls, module: snt.Module, name: Optional[str] = None):
    """A teacher held in memory: an snt.RNNCore or a feed-forward module."""
    if isinstance(module, snt.RNNCore):
      return cls(module, module.initial_state, name or module.name, module)
    return cls(module, None, name or getattr(module, 'name', 'teacher'), module)

  @classmethod
  def from_snapshot(cls, directory: str, name: Optional[str] = None):
    """Loads an acme `Snapshotter` SavedModel (e.g. .../snapshots/network)."""
    directory = os.path.expanduser(directory)
    if not tf.io.gfile.exists(os.path.join(directory, 'saved_model.pb')):
      what = ('does not exist' if not tf.io.gfile.exists(directory) else
              'holds no saved_model.pb')
      raise FileNotFoundError(
          f'Teacher snapshot directory {directory!r} {what}. Pass the '
          'directory an acme Snapshotter wrote for the network (it contains '
          'saved_model.pb), e.g. <run_dir>/snapshots/network, or train a '
          'teacher first (launch/train_teacher.py).')
    loaded = tf.saved_model.load(directory)
    initial_state = getattr(loaded, 'initial_state', None)
    return cls(loaded, initial_state, name or os.path.basename(directory),
               loaded)

  @classmethod
  def from_checkpoint(cls, checkpoint_path: str,
                      network_factory: Callable[[], snt.Module],
                      observation_spec, name: Optional[str] = None):
    """Builds a network with `network_factory` and restores a TF checkpoint.

    The checkpoint must hold the network under the key 'network', as
    `tf.train.Checkpoint(network=...)` and acme's Checkpointer (learner state)
    write it. `checkpoint_path` may be a file prefix or a directory.
    """
    path = os.path.expanduser(checkpoint_path)
    if os.path.isdir(path):
      path = tf.train.latest_checkpoint(path)
    if not path or not tf.io.gfile.exists(path + '.index'):
      raise FileNotFoundError(
          f'No TF checkpoint at {checkpoint_path!r}. Pass a checkpoint prefix '
          '(the path without .index) or a directory with a "checkpoint" file.')
    network = network_factory()
    tf2_utils.create_variables(network, [observation_spec])
    try:
      status = tf.train.Checkpoint(network=network).restore(path)
      status.expect_partial()
      status.assert_existing_objects_matched()
    except (AssertionError, ValueError) as e:
      raise ValueError(
          f'Checkpoint {path!r} does not match the network that '
          f'network_factory builds: {e}') from e
    return cls.from_module(network, name)


class TeacherSet:
  """Maps task id -> Teacher. A task with no teacher trains with lambda = 0."""

  def __init__(self,
               teachers: Mapping[int, Teacher],
               num_tasks: int,
               num_actions: int,
               observation_spec,
               task_names: Optional[Sequence[str]] = None):
    self._teachers: Dict[int, Teacher] = dict(teachers)
    self.num_tasks = num_tasks
    self.num_actions = num_actions
    self.task_names = list(task_names or [f'task_{k}' for k in range(num_tasks)])
    for task_id, teacher in self._teachers.items():
      if not 0 <= task_id < num_tasks:
        raise ValueError(f'Teacher {teacher.name!r} is for task {task_id}, but '
                         f'the suite has tasks 0..{num_tasks - 1}.')
      self._check(task_id, teacher, observation_spec)

  def _check(self, task_id: int, teacher: Teacher, observation_spec):
    """Runs the teacher once on a dummy batch and checks its action count."""
    dummy = tf2_utils.add_batch_dim(tf2_utils.zeros_like(observation_spec))
    try:
      logits, _ = teacher.step(dummy, teacher.initial_state(1))
    except (TypeError, ValueError, tf.errors.InvalidArgumentError) as e:
      raise ValueError(
          f'Teacher {teacher.name!r} for task {task_id} '
          f'({self.task_names[task_id]}) cannot read this suite\'s '
          f'observations: {e}') from e
    if logits.shape[-1] != self.num_actions:
      raise ValueError(
          f'Teacher {teacher.name!r} for task {task_id} '
          f'({self.task_names[task_id]}) outputs {logits.shape[-1]} action '
          f'logits, but the suite has {self.num_actions} actions. Teacher and '
          'student must share one action set: use a teacher trained on this '
          "suite's action set (MinAtar: the full 6-action set).")

  def __contains__(self, task_id: int) -> bool:
    return task_id in self._teachers

  def __getitem__(self, task_id: int) -> Teacher:
    return self._teachers[task_id]

  def __len__(self) -> int:
    return len(self._teachers)

  @property
  def task_ids(self):
    return sorted(self._teachers)

  def mask(self) -> np.ndarray:
    """[num_tasks] 1.0 where the task has a teacher."""
    return np.array([float(k in self._teachers) for k in range(self.num_tasks)],
                    np.float32)
