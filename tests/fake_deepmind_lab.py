"""A fake `deepmind_lab` module for tests, following DeepMind Lab's Python API.

It mirrors the documented behaviour the adapter relies on (DeepMind Lab
docs/users/python_api.md): `Lab(level, observations, config={},
renderer='software', level_cache=None)` with string config values;
`reset(episode=-1, seed=None)`; `step(action, num_steps=1)` takes an np.intc
action of the action_spec's length and returns the reward summed over the
frames; `observations()` is only valid while `is_running()`; a level cache
object gets `fetch(key, pk3_path)` and, after a compile, `write(key, pk3_path)`.
Levels held out for evaluation (DMLab-30's `_test` levels) load only with
config allowHoldOutLevels 'true' (DeepMind Lab CHANGES.md, release-2019-02-04).
Each Lab keeps its level and config, so tests can check what was built.

The fake game: an episode lasts `episode_frames` frames; every frame pays
MOVE_BACK_FORWARD + 10 * FIRE of the action; the frame's pixels all equal
(seed + frame) % 256, so tests can tell episodes and steps apart.
"""

import os

import numpy as np

ACTION_NAMES = ('LOOK_LEFT_RIGHT_PIXELS_PER_FRAME',
                'LOOK_DOWN_UP_PIXELS_PER_FRAME', 'STRAFE_LEFT_RIGHT',
                'MOVE_BACK_FORWARD', 'FIRE', 'JUMP', 'CROUCH')
ACTION_BOUNDS = ((-512, 512), (-512, 512), (-1, 1), (-1, 1), (0, 1), (0, 1),
                 (0, 1))
INSTRUCTION = 'Pick the red hat'


class Registry:
  """What the fake saw, for assertions (reset between tests)."""
  instances = []
  compiles = 0
  runfiles_path = None
  episode_frames = 20


def set_runfiles_path(path):
  Registry.runfiles_path = path


class Lab:
  """The fake environment."""

  def __init__(self, level, observations, config=None, renderer='software',
               level_cache=None):
    config = dict(config or {})
    for key, value in config.items():
      if not isinstance(value, str):
        raise TypeError(f'Config values must be strings: {key}={value!r}.')
    if level.endswith('_test') and config.get('allowHoldOutLevels') != 'true':
      raise RuntimeError(f'Level {level!r} is held out for evaluation; it '
                         "needs config allowHoldOutLevels='true'.")
    self.level = level
    self.config = config
    self.renderer = renderer
    self._height = int(config.get('height', '240'))
    self._width = int(config.get('width', '320'))
    names = {spec['name'] for spec in self.observation_spec()}
    for name in observations:
      if name not in names:
        raise ValueError(f'Unknown observation {name!r}.')
    self.requested = list(observations)
    self.seeds = []
    self.actions = []
    self.closed = False
    self._running = False
    self._frame = 0
    self._seed = 0
    self._load_map(level_cache)
    Registry.instances.append(self)

  def _load_map(self, level_cache):
    """Compiles the map unless the level cache has it (as DeepMind Lab does)."""
    key = self.level.replace('/', '_') + '.pk3'
    pk3_dir = os.path.join(os.environ.get('TMPDIR', '/tmp'), 'fake_dmlab_pk3')
    os.makedirs(pk3_dir, exist_ok=True)
    pk3_path = os.path.join(pk3_dir, f'{id(self)}_{key}')
    try:
      if level_cache is not None and level_cache.fetch(key, pk3_path):
        with open(pk3_path) as f:
          self.map_contents = f.read()
        return
      Registry.compiles += 1
      self.map_contents = f'compiled {self.level}'
      with open(pk3_path, 'w') as f:
        f.write(self.map_contents)
      if level_cache is not None:
        level_cache.write(key, pk3_path)
    finally:
      if os.path.exists(pk3_path):
        os.remove(pk3_path)

  def reset(self, episode=-1, seed=None):
    del episode
    self._seed = 0 if seed is None else int(seed)
    self.seeds.append(seed)
    self._frame = 0
    self._running = True

  def is_running(self):
    return self._running

  def step(self, action, num_steps=1):
    if not self._running:
      raise RuntimeError('Environment in wrong status for step.')
    action = np.asarray(action)
    if action.dtype != np.intc or action.shape != (len(ACTION_NAMES),):
      raise ValueError(f'Bad action {action!r}: needs {len(ACTION_NAMES)} '
                       'np.intc values.')
    self.actions.append((action.copy(), num_steps))
    reward = 0.0
    for _ in range(num_steps):
      reward += float(action[3] + 10 * action[4])
      self._frame += 1
      if self._frame >= Registry.episode_frames:
        self._running = False
        break
    return reward

  def observations(self):
    if not self._running:
      raise RuntimeError('Environment in wrong status for observations.')
    value = (self._seed + self._frame) % 256
    return {
        'RGB_INTERLEAVED': np.full([self._height, self._width, 3], value,
                                   np.uint8),
        'INSTR': INSTRUCTION,
    }

  def num_steps(self):
    return self._frame

  def action_spec(self):
    return [{'name': n, 'min': lo, 'max': hi}
            for n, (lo, hi) in zip(ACTION_NAMES, ACTION_BOUNDS)]

  def observation_spec(self):
    return [
        {'name': 'RGB_INTERLEAVED', 'dtype': np.uint8,
         'shape': (self._height, self._width, 3)},
        {'name': 'RGBD_INTERLEAVED', 'dtype': np.uint8,
         'shape': (self._height, self._width, 4)},
        {'name': 'INSTR', 'dtype': str, 'shape': ()},
    ]

  def close(self):
    self.closed = True
