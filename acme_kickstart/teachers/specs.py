"""Teachers named in a config or on the command line, and their named inputs.

A config (or `launch.kickstart --teacher=...`) names each task's teacher by a
`TeacherSpec`: its snapshot directory or ONNX file plus the options of
`Teacher.from_snapshot` and `Teacher.from_onnx`.
The options are names, not code, so a config pickles to Launchpad's worker
processes and fits on a command line: `observation_fn` is a name from
`OBSERVATION_FNS` (or a picklable callable), and `action_map` may be 'minimal',
the game's minimal action set. A plain path is a spec with no options.
"""

import dataclasses
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Union

from acme.wrappers import observation_action_reward
import tensorflow as tf

from acme_kickstart.environments import base
from acme_kickstart.teachers.teacher import check_action_map


@dataclasses.dataclass(frozen=True)
class TeacherSpec:
  """One task's teacher: where it is and how to read it."""
  # An acme snapshot directory (saved_model.pb), or an ONNX file (*.onnx).
  snapshot: str
  # A name from OBSERVATION_FNS ('pixels', 'raw_channels', 'oar',
  # 'oar:raw_channels'), a picklable callable, or None: the suite's observation.
  observation_fn: Union[str, Callable[[Any], Any], None] = None
  # The suite action of each teacher action, or 'minimal' (MinAtar: the game's
  # minimal action set). None: the teacher acts in the suite's action set.
  action_map: Union[str, Sequence[int], None] = None
  # Set for a Q-network: its policy is softmax(Q / q_temperature).
  q_temperature: Optional[float] = None


def is_onnx(path: str) -> bool:
  """Whether a teacher path names an ONNX model rather than a SavedModel."""
  return path.lower().endswith('.onnx')


def as_spec(value: Union[str, TeacherSpec, Mapping[str, Any]]) -> TeacherSpec:
  """A config's teacher entry (a path, a dict of fields or a spec) as a spec."""
  if isinstance(value, TeacherSpec):
    return value
  if isinstance(value, str):
    return TeacherSpec(value)
  if isinstance(value, Mapping):
    return TeacherSpec(**value)
  raise TypeError(f'A teacher is a snapshot path or a TeacherSpec, got '
                  f'{type(value).__name__}: {value!r}.')


# ------------------------------------------------------ named observation fns
class Pixels:
  """The suite's pixels, as float32."""

  def __call__(self, observation):
    return tf.cast(observation['pixels'], tf.float32)


class RawChannels:
  """A game's own channels, without the suite's zero padding, as float32.

  MinAtar-5 pads every game to 10 channels; a teacher trained on the raw game
  reads its first `num_channels` only.
  """

  def __init__(self, num_channels: int):
    self.num_channels = num_channels

  def __call__(self, observation):
    return tf.cast(observation['pixels'][..., :self.num_channels], tf.float32)


class ObservationActionReward:
  """An acme `ObservationActionReward` from the suite's observation.

  Needs `ExperimentConfig.previous_action_reward=True` (the suite's 'prev_action'
  and 'prev_reward'). The previous action is given as the teacher's own action
  index; a suite action outside its action map, and no previous action at an
  episode's start, are -1 (one-hot: zeros).
  """

  def __init__(self, observation_fn: Callable[[Any], Any],
               action_map: Optional[Sequence[int]] = None):
    self.observation_fn = observation_fn
    self.action_map = None if action_map is None else tuple(action_map)

  def __call__(self, observation):
    if 'prev_action' not in observation or 'prev_reward' not in observation:
      raise KeyError(
          "observation_fn 'oar' needs the previous action and reward in the "
          "suite's observation: set previous_action_reward=True in the "
          'ExperimentConfig')
    action = tf.cast(observation['prev_action'], tf.int32)
    if self.action_map is not None:
      matches = tf.equal(action[..., None], tf.constant(self.action_map))
      action = tf.where(tf.reduce_any(matches, -1),
                        tf.argmax(tf.cast(matches, tf.int32), -1,
                                  output_type=tf.int32), -1)
    return observation_action_reward.OAR(
        observation=self.observation_fn(observation), action=action,
        reward=tf.cast(observation['prev_reward'], tf.float32))


def _num_channels(suite: base.Suite, task: str) -> int:
  if suite.num_raw_channels is None:
    raise ValueError(f"observation_fn 'raw_channels' is for minatar5, whose "
                     f'games are zero-padded; suite {suite.name!r} is not '
                     "padded: use 'pixels'.")
  return suite.num_raw_channels(task)


OBSERVATION_FNS: Dict[str, str] = {
    'pixels': "the suite's pixels, as float32",
    'raw_channels': "a MinAtar game's own channels, unpadded, as float32",
    'oar': 'acme ObservationActionReward of the pixels (previous_action_reward)',
    'oar:raw_channels': 'acme ObservationActionReward of the raw channels',
}


def make_observation_fn(name: str, suite: base.Suite, task: str,
                        action_map: Optional[Sequence[int]] = None):
  """The named observation function for `task`'s teacher."""
  if name == 'pixels':
    return Pixels()
  if name == 'raw_channels':
    return RawChannels(_num_channels(suite, task))
  if name == 'oar' or name.startswith('oar:'):
    inner = name[len('oar:'):] if ':' in name else 'pixels'
    if inner.startswith('oar'):
      raise ValueError(f'observation_fn {name!r} nests oar in oar.')
    return ObservationActionReward(
        make_observation_fn(inner, suite, task), action_map)
  raise ValueError(f'Unknown observation_fn {name!r} for the teacher of task '
                   f'{task!r}; known: ' + ', '.join(
                       f'{k} ({v})' for k, v in OBSERVATION_FNS.items()) + '.')


def minimal_action_set(suite: base.Suite, task: str) -> Sequence[int]:
  """The game's minimal action set, as indices into the suite's actions."""
  if suite.minimal_action_set is None:
    raise ValueError(f"action_map 'minimal' is for minatar5; for suite "
                     f'{suite.name!r} give the indices of the teacher\'s '
                     'actions.')
  return suite.minimal_action_set(task)


def teacher_options(spec: TeacherSpec, suite: base.Suite, task: str) -> dict:
  """The keyword options of `Teacher.from_snapshot` that `spec` names, for
  `task` of `suite` (which knows its games' raw channels and actions)."""
  action_map = spec.action_map
  if isinstance(action_map, str):
    if action_map != 'minimal':
      raise ValueError(f'Unknown action_map {action_map!r} for the teacher of '
                       f"task {task!r}: give 'minimal' or suite action indices.")
    action_map = minimal_action_set(suite, task)
  if action_map is not None:
    action_map = check_action_map(action_map, name=f'{task} teacher')
  observation_fn = spec.observation_fn
  if isinstance(observation_fn, str):
    observation_fn = make_observation_fn(observation_fn, suite, task,
                                         action_map)
  return dict(observation_fn=observation_fn, action_map=action_map,
              q_temperature=spec.q_temperature)


# ----------------------------------------------------------- command line
def _split(flag: str, value: str, tasks: Sequence[str]):
  task, sep, rest = value.partition(':')
  if not sep or not rest:
    raise ValueError(f'--{flag}={value!r}: give TASK:VALUE, e.g. '
                     f'--{flag}={tasks[0]}:...')
  if task not in tasks:
    raise ValueError(f'--{flag}={value!r} names task {task!r}, which is not in '
                     f"the suite; its tasks are {', '.join(tasks)}.")
  return task, rest


def parse_teacher_flags(tasks: Sequence[str],
                        teachers: Mapping[str, Any],
                        snapshots: Sequence[str] = (),
                        observation_fns: Sequence[str] = (),
                        action_maps: Sequence[str] = (),
                        q_temperatures: Sequence[str] = ()) -> Dict[str, TeacherSpec]:
  """Applies TASK:VALUE flags to a config's `teachers`; returns the new dict.

  --teacher sets a task's snapshot (options reset); the option flags set one
  option of a task's teacher, given on the command line or in the config.
  """
  specs = {task: as_spec(value) for task, value in teachers.items()}
  for value in snapshots:
    task, path = _split('teacher', value, tasks)
    specs[task] = TeacherSpec(path)
  options = []
  for value in observation_fns:
    options.append(('observation_fn',) + _split('teacher_observation_fn',
                                                 value, tasks))
  for value in action_maps:
    task, text = _split('teacher_action_map', value, tasks)
    try:
      parsed = (text if text == 'minimal' else
                tuple(int(a) for a in text.split(',')))
    except ValueError:
      raise ValueError(f'--teacher_action_map={value!r}: give suite action '
                       "indices, e.g. 0,1,3, or 'minimal'.") from None
    options.append(('action_map', task, parsed))
  for value in q_temperatures:
    task, text = _split('teacher_q_temperature', value, tasks)
    try:
      options.append(('q_temperature', task, float(text)))
    except ValueError:
      raise ValueError(f'--teacher_q_temperature={value!r}: give a number, '
                       'e.g. 0.1.') from None
  for field, task, option in options:
    if task not in specs:
      raise ValueError(f'--teacher_{field} names task {task!r}, which has no '
                       f'teacher: add --teacher={task}:/path/to/snapshot.')
    specs[task] = dataclasses.replace(specs[task], **{field: option})
  return specs
