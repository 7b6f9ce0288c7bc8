"""DMLab-30 as dm_env environments, one spec for all 30 levels.

Facts about the suite, and where they come from:
  * Level names and their order, the two levels trained on a `_train` variant
    and scored on its `_test` variant, and the human and random reference
    scores: scalable_agent (the IMPALA release, Espeholt et al., 2018),
    `dmlab30.py` (LEVEL_MAPPING, HUMAN_SCORES, RANDOM_SCORES),
    https://github.com/deepmind/scalable_agent/blob/master/dmlab30.py
  * The 9-action set (each action a 7-int DMLab action vector): scalable_agent
    `environments.py` (DEFAULT_ACTION_SET).
  * Action repeat 4, 96x72 (width x height) frames, 'RGB_INTERLEAVED' and
    'INSTR' observations, a fresh random seed for every `reset`, the level path
    prefix 'contributed/dmlab30/', and the test-mode config (allowHoldOutLevels,
    mixerSeed 0x600D5EED): scalable_agent `experiment.py` (flags
    num_action_repeats, width, height; create_environment) and
    `environments.py` (PyProcessDmLab).
  * The test protocol (make_test_environment): scalable_agent `experiment.py`,
    main() with --mode=test plays the LEVEL_MAPPING values (the `_test`
    levels) and test() builds each with create_environment(is_test=True);
    DeepMind Lab's release notes (release-2019-02-04) add allowHoldOutLevels
    to run levels held out from training.
  * The `deepmind_lab.Lab` API (level, observations, config, renderer,
    level_cache; reset(seed=), step(action, num_steps=), observations(),
    is_running(), action_spec(), observation_spec(), close()) and the level
    cache protocol (fetch(key, pk3_path) -> bool, write(key, pk3_path)):
    DeepMind Lab `docs/users/python_api.md`,
    https://github.com/deepmind/lab/blob/master/docs/users/python_api.md

The instruction string is turned into a fixed-length vector of hashed word ids
here, in the adapter, so observations stay numeric (Reverb, acme's specs and
`tf2_utils.zeros_like` all handle them) and the network needs no string ops.
Id 0 is padding; words hash (stably, with CRC-32) into ids 1..NUM_WORD_BUCKETS-1.
IMPALA hashed words into 1000 buckets in-graph (scalable_agent `experiment.py`,
Agent._instruction); we keep its bucket count.

`deepmind_lab` is imported only when an environment is made, so the suite's
facts and scoring work without it.
"""

import os
import shutil
import tempfile
import zlib
from typing import Any, Mapping, Optional

import dm_env
from dm_env import specs
import numpy as np

from acme_kickstart.environments import base

# The levels and their reference scores (a module of their own: scoring and
# configs read them without this adapter's machinery).
from acme_kickstart.environments.dmlab30_levels import (  # pylint: disable=g-bad-import-order,unused-import
    HUMAN_SCORES, LEVELS, RANDOM_SCORES, TEST_LEVELS, TRAIN_TO_TEST,
    actor_levels, check_level, scoring_level)

# IMPALA's action set: indices into 7-int DMLab actions, whose components are
# (LOOK_LEFT_RIGHT_PIXELS_PER_FRAME, LOOK_DOWN_UP_PIXELS_PER_FRAME,
#  STRAFE_LEFT_RIGHT, MOVE_BACK_FORWARD, FIRE, JUMP, CROUCH)
# (scalable_agent environments.py, DEFAULT_ACTION_SET; the component order is
# DeepMind Lab's action_spec(), docs/users/python_api.md).
ACTION_SET = np.array([
    [0, 0, 0, 1, 0, 0, 0],    # Forward.
    [0, 0, 0, -1, 0, 0, 0],   # Backward.
    [0, 0, -1, 0, 0, 0, 0],   # Strafe left.
    [0, 0, 1, 0, 0, 0, 0],    # Strafe right.
    [-20, 0, 0, 0, 0, 0, 0],  # Look left.
    [20, 0, 0, 0, 0, 0, 0],   # Look right.
    [-20, 0, 0, 1, 0, 0, 0],  # Look left and forward.
    [20, 0, 0, 1, 0, 0, 0],   # Look right and forward.
    [0, 0, 0, 0, 1, 0, 0],    # Fire.
], dtype=np.intc)
NUM_ACTIONS = len(ACTION_SET)
ACTION_REPEAT = 4  # scalable_agent experiment.py, --num_action_repeats.

# Frames are 72 high, 96 wide, RGB (scalable_agent experiment.py, --height and
# --width), read as DeepMind Lab's 'RGB_INTERLEAVED' (H x W x 3 uint8).
HEIGHT = 72
WIDTH = 96
PIXELS_OBSERVATION = 'RGB_INTERLEAVED'
INSTRUCTION_OBSERVATION = 'INSTR'

# Hashed instruction words (see the module docstring). DMLab-30 instructions
# are short sentences; longer ones are cut to their first MAX_INSTRUCTION_WORDS.
NUM_WORD_BUCKETS = 1000
MAX_INSTRUCTION_WORDS = 16

LEVEL_PREFIX = 'contributed/dmlab30/'
# The mixer seed scalable_agent sets to evaluate on held-out level layouts
# (experiment.py, create_environment with is_test=True).
TEST_MIXER_SEED = 0x600D5EED

_BUILD_HELP = (
    'DMLab-30 needs the `deepmind_lab` Python module, which is not on PyPI: '
    'build its wheel from https://github.com/deepmind/lab with bazel, against '
    'this virtualenv\'s Python 3.10 and NumPy (point python.BUILD at their '
    'include directories), and install it here:\n'
    '  git clone https://github.com/deepmind/lab && cd lab\n'
    '  bazel build -c opt //python/pip_package:build_pip_package\n'
    '  ./bazel-bin/python/pip_package/build_pip_package /tmp/dmlab_pkg\n'
    '  .venv/bin/pip install /tmp/dmlab_pkg/deepmind_lab-*.whl\n'
    'docs/dmlab30.md lists the system packages and the python.BUILD edit.')


def import_deepmind_lab():
  """Imports deepmind_lab, or raises one ImportError that says how to get it."""
  try:
    import deepmind_lab  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise ImportError(f'Cannot import deepmind_lab ({e}). {_BUILD_HELP}') from e
  return deepmind_lab


def hash_word(word: str) -> int:
  """A stable word id in [1, NUM_WORD_BUCKETS); 0 is padding."""
  return 1 + zlib.crc32(word.encode('utf-8')) % (NUM_WORD_BUCKETS - 1)


def encode_instruction(instruction) -> np.ndarray:
  """The instruction as MAX_INSTRUCTION_WORDS int32 word ids, zero-padded."""
  if isinstance(instruction, bytes):
    instruction = instruction.decode('utf-8')
  words = str(instruction).split()[:MAX_INSTRUCTION_WORDS]
  ids = np.zeros([MAX_INSTRUCTION_WORDS], np.int32)
  ids[:len(words)] = [hash_word(w) for w in words]
  return ids


def observation_spec() -> dict:
  """The observation spec shared by all DMLab-30 levels."""
  return {
      'pixels': specs.BoundedArray((HEIGHT, WIDTH, 3), np.uint8, 0, 255,
                                   'pixels'),
      'instruction': specs.BoundedArray(
          (MAX_INSTRUCTION_WORDS,), np.int32, 0, NUM_WORD_BUCKETS - 1,
          'instruction'),
      'task_id': specs.Array((), np.int32, 'task_id'),
  }


class LocalLevelCache:
  """DeepMind Lab's level cache protocol over a local (or shared) directory.

  DeepMind Lab compiles a map the first time a level layout is used, which
  takes seconds to minutes; with a cache every actor after the first copies
  the compiled .pk3 instead. Writes go through a temporary file and a rename,
  so actors sharing the directory never read a partly written map.
  """

  def __init__(self, directory: str):
    self._directory = os.path.expanduser(directory)
    os.makedirs(self._directory, exist_ok=True)

  @property
  def directory(self) -> str:
    return self._directory

  def fetch(self, key: str, pk3_path: str) -> bool:
    path = os.path.join(self._directory, key)
    if not os.path.isfile(path):
      return False
    shutil.copyfile(path, pk3_path)
    return True

  def write(self, key: str, pk3_path: str) -> None:
    path = os.path.join(self._directory, key)
    if os.path.isfile(path):
      return
    handle, temporary = tempfile.mkstemp(dir=self._directory, prefix='.tmp_')
    os.close(handle)
    try:
      shutil.copyfile(pk3_path, temporary)
      os.replace(temporary, path)
    finally:
      if os.path.exists(temporary):
        os.remove(temporary)


class DMLabEnvironment(base.SuiteEnvironment):
  """One DMLab-30 level as a dm_env, with IMPALA's actions and observations.

  An episode ends when DeepMind Lab stops running (`is_running()` is False):
  its last timestep carries the reward of the last step and discount 0, as
  IMPALA treats every episode end; DeepMind Lab has no observation once the
  episode is over, so the last timestep repeats the previous observation.
  Every `reset` seeds the level with a new seed drawn from this environment's
  own generator, so a fixed `seed` gives a fixed sequence of episodes.
  """

  NUM_ACTIONS = NUM_ACTIONS
  OBSERVATION_SPEC = staticmethod(observation_spec)

  def __init__(self,
               level: str,
               task_id: int = 0,
               seed: Optional[int] = None,
               level_cache: Any = None,
               level_cache_dir: Optional[str] = None,
               dataset_path: Optional[str] = None,
               is_test: bool = False,
               action_repeat: int = ACTION_REPEAT,
               renderer: str = 'software',
               runfiles_path: Optional[str] = None,
               extra_config: Optional[Mapping[str, Any]] = None):
    check_level(level)
    if action_repeat < 1:
      raise ValueError(f'action_repeat must be >= 1, got {action_repeat}.')
    if level_cache is not None and level_cache_dir is not None:
      raise ValueError('Pass level_cache or level_cache_dir, not both.')
    lab = import_deepmind_lab()
    if runfiles_path:
      lab.set_runfiles_path(runfiles_path)
    if level_cache_dir is not None:
      level_cache = LocalLevelCache(level_cache_dir)

    config = {'width': WIDTH, 'height': HEIGHT, 'logLevel': 'WARN'}
    if dataset_path:
      # The psychlab_* levels read the Brady et al. (2008) images from here.
      config['datasetPath'] = dataset_path
    if is_test:
      config['allowHoldOutLevels'] = 'true'
      config['mixerSeed'] = TEST_MIXER_SEED
    config.update(extra_config or {})
    self._config = {k: str(v) for k, v in config.items()}

    self._level = level
    self._task_id = np.int32(task_id)
    self._action_repeat = action_repeat
    self._rng = np.random.RandomState(
        seed if seed is not None else np.random.SeedSequence().entropy % 2**31)
    self._lab = lab.Lab(
        level=LEVEL_PREFIX + level,
        observations=[PIXELS_OBSERVATION, INSTRUCTION_OBSERVATION],
        config=self._config,
        renderer=renderer,
        level_cache=level_cache)
    self._check_lab_specs()
    self._last_observation = None
    self.last_instruction = ''
    self._reset_next_step = True

  def _check_lab_specs(self):
    """Fails early if the module's specs are not the ones this adapter needs."""
    num_components = len(self._lab.action_spec())
    if num_components != ACTION_SET.shape[1]:
      raise ValueError(
          f'DeepMind Lab reports {num_components} action components; IMPALA\'s '
          f'action set needs {ACTION_SET.shape[1]}.')
    names = {spec['name']: spec for spec in self._lab.observation_spec()}
    for name in (PIXELS_OBSERVATION, INSTRUCTION_OBSERVATION):
      if name not in names:
        raise ValueError(f'Level {self._level!r} has no {name!r} observation.')

  @property
  def level(self) -> str:
    return self._level

  @property
  def lab_config(self) -> Mapping[str, str]:
    return dict(self._config)

  def _observation(self) -> dict:
    raw = self._lab.observations()
    pixels = np.asarray(raw[PIXELS_OBSERVATION], np.uint8)
    if pixels.shape != (HEIGHT, WIDTH, 3):
      raise ValueError(f'Expected {PIXELS_OBSERVATION} frames of shape '
                       f'{(HEIGHT, WIDTH, 3)}, got {pixels.shape}.')
    instruction = raw[INSTRUCTION_OBSERVATION]
    if isinstance(instruction, bytes):
      instruction = instruction.decode('utf-8')
    self.last_instruction = str(instruction)
    return {'pixels': pixels,
            'instruction': encode_instruction(instruction),
            'task_id': self._task_id}

  def reset(self) -> dm_env.TimeStep:
    self._lab.reset(seed=int(self._rng.randint(0, 2**31 - 1)))
    self._reset_next_step = False
    self._last_observation = self._observation()
    return dm_env.restart(self._last_observation)

  def step(self, action) -> dm_env.TimeStep:
    if self._reset_next_step:
      return self.reset()
    action = int(action)
    if not 0 <= action < NUM_ACTIONS:
      raise ValueError(f'Action must be in [0, {NUM_ACTIONS}), got {action}.')
    reward = np.float32(self._lab.step(ACTION_SET[action],
                                       num_steps=self._action_repeat))
    if not self._lab.is_running():
      self._reset_next_step = True
      return dm_env.TimeStep(dm_env.StepType.LAST, reward, np.float32(0.0),
                             self._last_observation)
    self._last_observation = self._observation()
    return dm_env.TimeStep(dm_env.StepType.MID, reward, np.float32(1.0),
                           self._last_observation)


  def close(self):
    self._lab.close()


def _task_id(level: str, task_id: Optional[int]) -> int:
  """`task_id`, or by default the level's index in LEVELS (or TEST_LEVELS)."""
  check_level(level)
  if task_id is not None:
    return task_id
  return LEVELS.index(level) if level in LEVELS else TEST_LEVELS.index(level)


def make_environment(level: str, task_id: Optional[int] = None,
                     **kwargs) -> DMLabEnvironment:
  """Makes a DMLab-30 level; its task id defaults to its index in LEVELS."""
  return DMLabEnvironment(level, task_id=_task_id(level, task_id), **kwargs)


def make_test_environment(level: str, task_id: Optional[int] = None,
                          **kwargs) -> DMLabEnvironment:
  """Level `level` as IMPALA's test mode plays it, for evaluation.

  Evaluating on the training layouts would score `_train` play with `_test`
  constants. IMPALA's test mode (scalable_agent experiment.py: main() with
  --mode=test takes dmlab30.LEVEL_MAPPING's values; test() calls
  create_environment(..., is_test=True)) instead plays the `_test` level of
  each `_train` level (every other level is its own test level), with
  allowHoldOutLevels 'true' and the fixed mixerSeed 0x600D5EED, so every
  evaluation sees the same held-out layouts. The task id stays the given
  level's, so the student and teachers see the task they were trained on.
  """
  if 'is_test' in kwargs:
    raise ValueError('make_test_environment always sets is_test; use '
                     'make_environment(..., is_test=...) to choose it.')
  return DMLabEnvironment(scoring_level(level),
                          task_id=_task_id(level, task_id), is_test=True,
                          **kwargs)


def make_suite(**env_kwargs) -> base.Suite:
  """DMLab-30, human-normalised; evaluation plays IMPALA's test protocol.
  `env_kwargs` (level_cache_dir, dataset_path, action_repeat, ...) go to every
  level. Building the suite does not import deepmind_lab."""
  return base.Suite(
      name='dmlab30', tasks=LEVELS, num_actions=NUM_ACTIONS,
      observation_spec_fn=observation_spec,
      make_train_environment=make_environment,
      make_test_environment=make_test_environment,
      random_scores=RANDOM_SCORES, max_scores=HUMAN_SCORES,
      env_kwargs=env_kwargs, scoring_task=scoring_level)
