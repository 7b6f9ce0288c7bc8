"""Procgen games as dm_env environments, with suites and return normalisation.

All 16 games share one spec: 64x64x3 uint8 frames and the same 15 actions
(procgen `env.py`, ENV_NAMES and BaseProcgenEnv.get_combos), so one multi-task
student can play any suite of them; the task id travels with the observation,
as in MinAtar-5 and DMLab-30. This adapter drives procgen's gym3 interface,
`procgen.ProcgenGym3Env(num=1, env_name=..., distribution_mode=...,
num_levels=..., start_level=..., rand_seed=...)`, whose `observe()` returns
(reward, {'rgb': frames}, first) and which starts the next episode by itself
when one ends (procgen README, https://github.com/openai/procgen).

Normalisation constants: the per-game minimum and maximum returns of the
Procgen paper (Cobbe et al., 2020, "Leveraging Procedural Generation to
Benchmark Reinforcement Learning", https://arxiv.org/abs/1912.01588, appendix
table of normalization constants), for the easy and the hard distribution
modes. The suite's score of a game is 100 * (R - R_min) / (R_max - R_min)
(base.normalised_score); `normalized_return` gives it in the paper's units.
"""

import dataclasses
from typing import Dict, Optional, Sequence, Tuple

import dm_env
from dm_env import specs
import numpy as np

from acme_kickstart.environments import base

# The 16 games, in procgen's order (procgen env.py, ENV_NAMES).
GAMES = (
    'bigfish', 'bossfight', 'caveflyer', 'chaser', 'climber', 'coinrun',
    'dodgeball', 'fruitbot', 'heist', 'jumper', 'leaper', 'maze', 'miner',
    'ninja', 'plunder', 'starpilot',
)
NUM_ACTIONS = 15  # procgen env.py, BaseProcgenEnv.get_combos.
OBSERVATION_SHAPE = (64, 64, 3)

# Named suites. 'dense5' holds five games whose rewards come throughout the
# episode rather than only at its end (per the game descriptions in procgen's
# README), which makes them quick to learn on small compute.
SUITES: Dict[str, Tuple[str, ...]] = {
    'all': GAMES,
    'dense5': ('bigfish', 'bossfight', 'chaser', 'fruitbot', 'starpilot'),
}

# (R_min, R_max) per game and distribution mode: Cobbe et al. (2020), appendix
# table of normalization constants.
RETURN_RANGES: Dict[str, Dict[str, Tuple[float, float]]] = {
    'easy': {
        'coinrun': (5.0, 10.0),
        'starpilot': (2.5, 64.0),
        'caveflyer': (3.5, 12.0),
        'dodgeball': (1.5, 19.0),
        'fruitbot': (-1.5, 32.4),
        'chaser': (0.5, 13.0),
        'miner': (1.5, 13.0),
        'jumper': (3.0, 10.0),
        'leaper': (3.0, 10.0),
        'maze': (5.0, 10.0),
        'bigfish': (1.0, 40.0),
        'heist': (3.5, 10.0),
        'climber': (2.0, 12.6),
        'plunder': (4.5, 30.0),
        'ninja': (3.5, 10.0),
        'bossfight': (0.5, 13.0),
    },
    'hard': {
        'coinrun': (5.0, 10.0),
        'starpilot': (1.5, 35.0),
        'caveflyer': (2.0, 13.4),
        'dodgeball': (1.5, 19.0),
        'fruitbot': (-0.5, 27.2),
        'chaser': (0.5, 14.2),
        'miner': (1.5, 20.0),
        'jumper': (1.0, 10.0),
        'leaper': (1.5, 10.0),
        'maze': (4.0, 10.0),
        'bigfish': (0.0, 40.0),
        'heist': (2.0, 10.0),
        'climber': (1.0, 12.6),
        'plunder': (3.0, 30.0),
        'ninja': (2.0, 10.0),
        'bossfight': (0.5, 13.0),
    },
}


def check_game(game: str) -> None:
  if game not in GAMES:
    raise ValueError(f'Unknown Procgen game {game!r}. Procgen has: '
                     f'{", ".join(GAMES)}.')


def check_distribution_mode(mode: str) -> None:
  if mode not in RETURN_RANGES:
    raise ValueError(f'distribution_mode must be one of '
                     f'{sorted(RETURN_RANGES)} (the modes with published '
                     f'normalisation constants), got {mode!r}.')


def normalized_return(game: str, episode_return: float,
                      distribution_mode: str = 'easy') -> float:
  """(R - R_min) / (R_max - R_min) with the Procgen paper's constants: the
  suite's score (a percentage) in the paper's units."""
  check_game(game)
  check_distribution_mode(distribution_mode)
  low, high = RETURN_RANGES[distribution_mode][game]
  return base.normalised_score(episode_return, low, high, task=game) / 100.0


@dataclasses.dataclass
class ProcgenSuiteConfig:
  """Which Procgen games to play, and how their levels are drawn."""
  suite: str = 'dense5'  # A key of SUITES, or ignored when `games` is set.
  games: Optional[Sequence[str]] = None
  distribution_mode: str = 'easy'
  num_levels: int = 0  # 0: unlimited levels (procgen's default).
  start_level: int = 0
  seed: int = 0

  def __post_init__(self):
    if self.games is None:
      if self.suite not in SUITES:
        raise ValueError(f'Unknown Procgen suite {self.suite!r}; known: '
                         f'{sorted(SUITES)}, or pass games=[...].')
      self.games = SUITES[self.suite]
    self.games = tuple(self.games)
    for game in self.games:
      check_game(game)
    check_distribution_mode(self.distribution_mode)

  @property
  def task_names(self) -> Tuple[str, ...]:
    return self.games

  def make_environments(self, num_per_game: int = 1):
    """`num_per_game` environments of each game, task ids in suite order."""
    return [
        ProcgenEnvironment(
            game, task_id=task_id,
            seed=self.seed * 100_003 + task_id * 1_000 + i,
            distribution_mode=self.distribution_mode,
            num_levels=self.num_levels, start_level=self.start_level)
        for task_id, game in enumerate(self.games)
        for i in range(num_per_game)]


def observation_spec() -> dict:
  """The observation spec shared by all Procgen games."""
  return {
      'pixels': specs.BoundedArray(OBSERVATION_SHAPE, np.uint8, 0, 255,
                                   'pixels'),
      'task_id': specs.Array((), np.int32, 'task_id'),
  }


def _import_procgen():
  try:
    import procgen  # pylint: disable=g-import-not-at-top
  except ImportError as e:
    raise ImportError(
        f'Cannot import procgen ({e}). Install it into this virtualenv with '
        '`.venv/bin/pip install -c constraints.txt procgen` (it is pinned in '
        'constraints.txt, with gym3).') from e
  return procgen


class ProcgenEnvironment(base.SuiteEnvironment):
  """One Procgen game as a dm_env, with the task id in the observation.

  Procgen starts the next episode inside the same step that ends one, and
  gives no frame of the end state. So the last timestep of an episode repeats
  its previous observation, with discount 0 (Procgen does not tell a time-out
  from a termination), and the next `reset` returns the first frame of the
  episode procgen already started. A `reset` in the middle of an episode
  starts a new procgen environment seeded from this one's generator.
  """

  NUM_ACTIONS = NUM_ACTIONS
  OBSERVATION_SPEC = staticmethod(observation_spec)

  def __init__(self,
               game: str,
               task_id: int = 0,
               seed: Optional[int] = None,
               distribution_mode: str = 'easy',
               num_levels: int = 0,
               start_level: int = 0):
    check_game(game)
    check_distribution_mode(distribution_mode)
    self._procgen = _import_procgen()
    self._game = game
    self._task_id = np.int32(task_id)
    self._kwargs = dict(env_name=game, distribution_mode=distribution_mode,
                        num_levels=num_levels, start_level=start_level)
    self._rng = np.random.RandomState(
        seed if seed is not None else np.random.SeedSequence().entropy % 2**31)
    self._env = None
    self._pending_first = None  # A first frame procgen has already shown.
    self._last_observation = None
    self._reset_next_step = True

  @property
  def game(self) -> str:
    return self._game

  def _make_env(self):
    # num_threads=0: the game steps on the calling thread, as procgen's own
    # gym registration does for single environments.
    self._env = self._procgen.ProcgenGym3Env(
        num=1, num_threads=0,
        rand_seed=int(self._rng.randint(0, 2**31 - 1)), **self._kwargs)
    _, observation, first = self._env.observe()
    assert bool(first[0]), 'A new procgen environment starts an episode.'
    self._pending_first = observation

  def _observation(self, raw) -> dict:
    return {'pixels': np.asarray(raw['rgb'][0], np.uint8),
            'task_id': self._task_id}

  def reset(self) -> dm_env.TimeStep:
    if self._env is None or self._pending_first is None:
      self._make_env()
    self._last_observation = self._observation(self._pending_first)
    self._pending_first = None
    self._reset_next_step = False
    return dm_env.restart(self._last_observation)

  def step(self, action) -> dm_env.TimeStep:
    if self._reset_next_step:
      return self.reset()
    self._env.act(np.array([int(action)], np.int32))
    reward, observation, first = self._env.observe()
    reward = np.float32(reward[0])
    if bool(first[0]):
      self._pending_first = observation
      self._reset_next_step = True
      return dm_env.TimeStep(dm_env.StepType.LAST, reward, np.float32(0.0),
                             self._last_observation)
    self._last_observation = self._observation(observation)
    return dm_env.TimeStep(dm_env.StepType.MID, reward, np.float32(1.0),
                           self._last_observation)


def make_environment(game: str, task_id: Optional[int] = None,
                     **kwargs) -> ProcgenEnvironment:
  """Makes a Procgen game; its task id defaults to its index in GAMES."""
  check_game(game)
  if task_id is None:
    task_id = GAMES.index(game)
  return ProcgenEnvironment(game, task_id=task_id, **kwargs)


def make_suite(distribution_mode: str = 'easy', **env_kwargs) -> base.Suite:
  """Procgen's 'dense5' games by default, scored with `distribution_mode`'s
  R_min and R_max; `env_kwargs` (num_levels, start_level) go to every game."""
  check_distribution_mode(distribution_mode)
  ranges = RETURN_RANGES[distribution_mode]
  return base.Suite(
      name='procgen', tasks=SUITES['dense5'], num_actions=NUM_ACTIONS,
      observation_spec_fn=observation_spec,
      make_train_environment=make_environment,
      make_test_environment=make_environment,
      random_scores={game: low for game, (low, _) in ranges.items()},
      max_scores={game: high for game, (_, high) in ranges.items()},
      env_kwargs=dict(env_kwargs, distribution_mode=distribution_mode))
