"""Frozen teachers: load them, check them against the suite, route task -> teacher.

A teacher is any policy that maps an observation batch (and, if recurrent, its own
core state) to action logits. Its architecture is independent of the student's,
and so are its inputs and actions: `observation_fn` turns the suite's observation
into what the teacher reads, `action_map` places a teacher trained on a subset of
the actions (a minimal action set) into the suite's action set, and
`q_temperature` makes a Q-network a policy, softmax(Q / tau). Acting and the loss
only ever see logits over the suite's actions.
Teachers run inside the actors, next to the environment of their task, so a
recurrent teacher carries its own core state through the whole episode exactly;
the actor writes the teacher's logits into the trajectory for the learner.
"""

import os
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple

from acme.tf import utils as tf2_utils
import numpy as np
import sonnet as snt
import tensorflow as tf
import tree

State = Any
ObservationFn = Callable[[Any], Any]

# The logit of a suite action outside a teacher's action map. softmax gives it
# exactly 0 in float32, and log_softmax and the distillation loss stay finite,
# which -inf would not (0 * -inf is NaN).
UNMAPPED_LOGIT = -1e9


class TeacherInputError(ValueError):
  """A teacher that says itself what it expects and what it was given."""


def check_action_map(action_map: Sequence[int],
                     num_actions: Optional[int] = None,
                     name: str = 'teacher') -> Tuple[int, ...]:
  """The map as a tuple of ints; one clear error for a duplicate or a bad index."""
  mapped = tuple(int(a) for a in action_map)
  if not mapped:
    raise ValueError(f'The action map of {name!r} is empty: give one suite '
                     "action index per teacher action, e.g. (0, 1, 3).")
  duplicates = sorted({a for a in mapped if mapped.count(a) > 1})
  out_of_range = [a for a in mapped
                  if a < 0 or (num_actions is not None and a >= num_actions)]
  if duplicates or out_of_range:
    problem = (f'names suite action(s) {duplicates} more than once'
               if duplicates else f'names suite action(s) {out_of_range} that '
               f'are not in 0..{num_actions - 1 if num_actions else "A-1"}')
    raise ValueError(
        f'The action map {list(mapped)} of {name!r} {problem}. Give each '
        "teacher action i the distinct suite action it is (MinAtar's full set "
        'is 0..5: noop, left, up, right, down, fire).')
  return mapped


def _logits_of(output) -> tf.Tensor:
  """Action logits from a policy output: logits, (logits, value), or a dist."""
  if hasattr(output, 'logits'):
    return output.logits
  if isinstance(output, (tuple, list)):
    return _logits_of(output[0])
  return output


class Teacher:
  """A frozen policy. `step` is traceable: actors call it inside tf.function.

  `step` returns logits over the suite's actions. The teacher's own output
  (`own_step`) may be over fewer actions, and Q-values rather than logits.
  """

  def __init__(self,
               call: Callable[..., Any],
               initial_state: Optional[Callable[[int], State]] = None,
               name: str = 'teacher',
               keep_alive: Any = None,
               *,
               observation_fn: Optional[ObservationFn] = None,
               action_map: Optional[Sequence[int]] = None,
               q_temperature: Optional[float] = None):
    self._call = call
    self._initial_state = initial_state
    self.name = name
    self._keep_alive = keep_alive  # Owns the variables of a loaded teacher.
    self._observation_fn = observation_fn
    self.action_map = (None if action_map is None else
                       check_action_map(action_map, name=name))
    if q_temperature is not None and not q_temperature > 0:
      raise ValueError(f'q_temperature of {name!r} must be > 0 (the policy is '
                       f'softmax(Q / tau)), got {q_temperature}.')
    self.q_temperature = q_temperature
    self._suite_to_own = None  # Set by set_num_actions (a TeacherSet does).
    self.source = None  # The file or directory it was loaded from, if any.

  @property
  def recurrent(self) -> bool:
    return self._initial_state is not None

  @property
  def num_own_actions(self) -> Optional[int]:
    """The size of the teacher's output, if it has an action map."""
    return None if self.action_map is None else len(self.action_map)

  def set_num_actions(self, num_actions: int):
    """Places the mapped actions among the suite's `num_actions` actions."""
    if self.action_map is None:
      return
    check_action_map(self.action_map, num_actions, self.name)
    own_index = {a: i for i, a in enumerate(self.action_map)}
    # Index len(action_map) is the UNMAPPED_LOGIT column appended in `step`.
    self._suite_to_own = np.array(
        [own_index.get(a, len(self.action_map)) for a in range(num_actions)],
        np.int32)

  def initial_state(self, batch_size: int) -> State:
    if not self.recurrent:
      return ()
    return self._initial_state(batch_size)

  def own_step(self, observations, state: State):
    """The teacher's own (logits or Q-values [B, A_T], new state)."""
    if self._observation_fn is not None:
      observations = self._observation_fn(observations)
    if not self.recurrent:
      return _logits_of(self._call(observations)), ()
    output, new_state = self._call(observations, state)
    return _logits_of(output), new_state

  def step(self, observations, state: State):
    """Returns (logits [B, A] over the suite's actions, new state)."""
    logits, new_state = self.own_step(observations, state)
    if self.q_temperature is not None:
      logits = logits / tf.cast(self.q_temperature, logits.dtype)
    if self.action_map is not None:
      if self._suite_to_own is None:
        raise ValueError(
            f'Teacher {self.name!r} has an action map but does not know the '
            "suite's action count: put it in a TeacherSet, or call "
            'set_num_actions(num_actions) first.')
      logits = tf.cast(logits, tf.float32)  # -1e9 would be -inf in float16.
      padding = [[0, 0]] * (logits.shape.rank - 1) + [[0, 1]]
      logits = tf.gather(tf.pad(logits, padding, constant_values=UNMAPPED_LOGIT),
                         self._suite_to_own, axis=-1)
    return tf.stop_gradient(logits), new_state

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
  # Each takes the keyword-only `observation_fn`, `action_map` and
  # `q_temperature` described in the module docstring.
  @classmethod
  def from_module(cls, module: snt.Module, name: Optional[str] = None,
                  *,
                  observation_fn: Optional[ObservationFn] = None,
                  action_map: Optional[Sequence[int]] = None,
                  q_temperature: Optional[float] = None):
    """A teacher held in memory: an snt.RNNCore or a feed-forward module."""
    options = dict(observation_fn=observation_fn, action_map=action_map,
                   q_temperature=q_temperature)
    if isinstance(module, snt.RNNCore):
      return cls(module, module.initial_state, name or module.name, module,
                 **options)
    return cls(module, None, name or getattr(module, 'name', 'teacher'), module,
               **options)

  @classmethod
  def from_snapshot(cls, directory: str, name: Optional[str] = None,
                    *,
                    observation_fn: Optional[ObservationFn] = None,
                    action_map: Optional[Sequence[int]] = None,
                    q_temperature: Optional[float] = None):
    """Loads an acme `Snapshotter` SavedModel (e.g. .../snapshots/network)."""
    options = dict(observation_fn=observation_fn, action_map=action_map,
                   q_temperature=q_temperature)
    directory = os.path.expanduser(directory)
    if not tf.io.gfile.exists(os.path.join(directory, 'saved_model.pb')):
      what = ('does not exist' if not tf.io.gfile.exists(directory) else
              'holds no saved_model.pb')
      raise FileNotFoundError(
          f'Teacher snapshot directory {directory!r} {what}. Pass the '
          'directory an acme Snapshotter wrote for the network (it contains '
          'saved_model.pb), e.g. <run_dir>/snapshots/network, or train a '
          'teacher first (launch/train_teacher.py).')
    try:
      loaded = tf.saved_model.load(directory)
    except Exception as e:  # pylint: disable=broad-except
      # A corrupt or empty saved_model.pb, or another format altogether: TF
      # says e.g. "MetaGraph tags", which names neither the file nor the fix.
      raise ValueError(
          f'Teacher snapshot {directory!r} cannot be loaded as a SavedModel '
          f'({type(e).__name__}: {str(e).splitlines()[0] if str(e) else e!r}). '
          'Write it with acme.tf.savers.make_snapshot and tf.saved_model.save '
          '(or an acme Snapshotter), or point at the directory that holds a '
          'complete snapshot.') from e
    if not callable(loaded):
      raise ValueError(
          f'Teacher snapshot {directory!r} is a SavedModel with no __call__; '
          'save the network with acme.tf.savers.make_snapshot so it can be '
          'called on observations.')
    initial_state = getattr(loaded, 'initial_state', None)
    teacher = cls(loaded, initial_state, name or os.path.basename(directory),
                  loaded, **options)
    teacher.source = directory
    return teacher

  @classmethod
  def from_onnx(cls, path: str, name: Optional[str] = None,
                *,
                observation_fn: Optional[ObservationFn] = None,
                action_map: Optional[Sequence[int]] = None,
                q_temperature: Optional[float] = None,
                state: Optional[Mapping[str, str]] = None,
                output: Optional[str] = None):
    """A policy exported to ONNX by any framework (PyTorch, JAX, TF).

    Its inputs, outputs and recurrent state are read from the model
    (onnx.OnnxPolicy): `state` maps state inputs to the outputs that carry
    them where they are not named `<name>_in`/`<name>_out`, and `output`
    names the logits (or Q-values) where the model has several outputs.
    """
    from acme_kickstart.teachers import onnx  # pylint: disable=g-import-not-at-top
    policy = onnx.OnnxPolicy(path, state=state, output=output)
    options = dict(observation_fn=observation_fn, action_map=action_map,
                   q_temperature=q_temperature)
    name = name or os.path.splitext(os.path.basename(policy.path))[0]
    if policy.recurrent:
      teacher = cls(policy, policy.initial_state, name, policy, **options)
    else:
      teacher = cls(lambda observations: policy(observations)[0], None, name,
                    policy, **options)
    teacher.source = policy.path
    return teacher

  @classmethod
  def from_checkpoint(cls, checkpoint_path: str,
                      network_factory: Callable[[], snt.Module],
                      observation_spec, name: Optional[str] = None,
                      *,
                      observation_fn: Optional[ObservationFn] = None,
                      action_map: Optional[Sequence[int]] = None,
                      q_temperature: Optional[float] = None):
    """Builds a network with `network_factory` and restores a TF checkpoint.

    The checkpoint must hold the network under the key 'network', as
    `tf.train.Checkpoint(network=...)` and acme's Checkpointer (learner state)
    write it. `checkpoint_path` may be a file prefix or a directory.
    `observation_spec` is the spec of what the network reads (the output of
    `observation_fn`, if one is given).
    """
    options = dict(observation_fn=observation_fn, action_map=action_map,
                   q_temperature=q_temperature)
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
    return cls.from_module(network, name, **options)


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
    """Runs the teacher once on a dummy batch and checks its action count.

    A teacher with an action map must output one value per mapped action;
    one without must output one per suite action.
    """
    where = (f'Teacher {teacher.name!r} for task {task_id} '
             f'({self.task_names[task_id]})')
    if teacher.source:
      where += f' from {teacher.source}'

    teacher.set_num_actions(self.num_actions)
    dummy = tf2_utils.add_batch_dim(tf2_utils.zeros_like(observation_spec))
    try:
      logits, _ = teacher.own_step(dummy, teacher.initial_state(1))
    except TeacherInputError as e:
      raise ValueError(f'{where}: {e}') from e
    except (AttributeError, KeyError, TypeError, ValueError,
            tf.errors.InvalidArgumentError) as e:
      raise ValueError(
          f'{where} cannot read this suite\'s observations '
          f'({type(e).__name__}: {str(e)[:300]}). Give it an '
          'observation_fn that maps the suite\'s observation dict to its '
          'input (e.g. raw_channels or oar).') from e
    if teacher.action_map is not None:
      if logits.shape[-1] != len(teacher.action_map):
        raise ValueError(
            f'{where} outputs {logits.shape[-1]} action values, but its action '
            f'map {list(teacher.action_map)} names {len(teacher.action_map)} '
            'actions. Give one suite action per teacher output, in the order '
            "of the teacher's actions.")
    elif logits.shape[-1] != self.num_actions:
      raise ValueError(
          f'{where} outputs {logits.shape[-1]} action logits, but the suite '
          f'has {self.num_actions} actions. Give it an action_map (the suite '
          "action of each of its actions, e.g. a game's minimal action set) "
          "or use a teacher trained on this suite's action set.")

  def __contains__(self, task_id: int) -> bool:
    return task_id in self._teachers

  def __getitem__(self, task_id: int) -> Teacher:
    return self._teachers[task_id]

  def __len__(self) -> int:
    return len(self._teachers)

  @property
  def task_ids(self):
    return sorted(self._teachers)
