"""MinAtar-5 as dm_env environments, one spec for all five games.

Every game's observation is zero-padded from 10x10xC to 10x10x10 (C = 4, 4, 7, 10, 6),
and every game uses MinAtar's full 6-action set, so one multi-task student can play
all of them. The task id travels with the observation, as `observation['task_id']`,
which is how the learner knows which teacher's weight applies to each step.
"""

from typing import Optional, Sequence

import dm_env
from dm_env import specs
import minatar
import numpy as np

from acme_kickstart.environments import base

GAMES = ('breakout', 'asterix', 'freeway', 'seaquest', 'space_invaders')
NUM_ACTIONS = 6
NUM_CHANNELS = 10
OBSERVATION_SHAPE = (10, 10, NUM_CHANNELS)
_ZERO = np.float32(0.0)
_ONE = np.float32(1.0)

# Mean episode return of a uniform-random policy on MinAtar-5, measured with
# scripts/measure_minatar_random.py: 200 episodes per game through
# make_environment (sticky_action_prob=0.1, difficulty ramping on, 10k-step
# cap), seed 0. Standard errors: breakout 0.048, asterix 0.061, freeway 0.027,
# seaquest 0.026, space_invaders 0.150. No published MinAtar-5 reference (max)
# scores are used: callers pass their own, e.g. the teachers' returns.
RANDOM_SCORES = {
    'breakout': 0.49,
    'asterix': 0.41,
    'freeway': 0.155,
    'seaquest': 0.11,
    'space_invaders': 2.98,
}

def observation_spec() -> dict:
  """The observation spec shared by all MinAtar-5 games."""
  return {
      'pixels': specs.BoundedArray(OBSERVATION_SHAPE, np.uint8, 0, 1, 'pixels'),
      'task_id': specs.Array((), np.int32, 'task_id'),
  }


def check_game(game: str) -> None:
  if game not in GAMES:
    raise ValueError(
        f'Unknown MinAtar game {game!r}. MinAtar-5 has: {", ".join(GAMES)}. '
        'Pass one of these names.')


class MinAtarEnvironment(base.SuiteEnvironment):
  """One MinAtar game as a dm_env, with padded channels and the task id."""

  NUM_ACTIONS = NUM_ACTIONS
  OBSERVATION_SPEC = staticmethod(observation_spec)

  def __init__(self,
               game: str,
               task_id: int = 0,
               seed: Optional[int] = None,
               sticky_action_prob: float = 0.1,
               max_episode_steps: Optional[int] = 10_000,
               difficulty_ramping: bool = True):
    check_game(game)
    if not 0.0 <= sticky_action_prob <= 1.0:
      raise ValueError(
          f'sticky_action_prob must be in [0, 1], got {sticky_action_prob}.')
    self._game = game
    self._env = minatar.Environment(
        game, sticky_action_prob=sticky_action_prob,
        difficulty_ramping=difficulty_ramping)
    self._env.seed(seed if seed is not None else
                   np.random.SeedSequence().entropy % (2**31))
    self._num_channels = self._env.state_shape()[2]
    self._task_id = np.int32(task_id)
    self._max_episode_steps = max_episode_steps
    self._episode_steps = 0
    self._reset_next_step = True

  @property
  def game(self) -> str:
    return self._game

  def _observation(self) -> dict:
    pixels = np.zeros(OBSERVATION_SHAPE, np.uint8)
    pixels[:, :, :self._num_channels] = self._env.state()
    return {'pixels': pixels, 'task_id': self._task_id}

  # A vector environment (agents/kickstarting/vector_env.py) steps many games
  # through these two, writing each observation into its row of preallocated
  # [K, ...] arrays: no TimeStep, no new array per step. They keep these keys
  # current: the pixels, and the task id, which never changes. The channels
  # past this game's are never written: they stay zero.
  into_keys = ('pixels', 'task_id')

  def reset_into(self, observations: dict, row: int):
    self._env.reset()
    self._episode_steps = 0
    self._reset_next_step = False
    observations['pixels'][row, :, :, :self._num_channels] = self._env.state()

  def act_into(self, action, observations: dict, row: int):
    """Steps the game; returns (reward, terminal, last)."""
    reward, terminal = self._env.act(action)
    observations['pixels'][row, :, :, :self._num_channels] = self._env.state()
    self._episode_steps += 1
    last = terminal or (self._max_episode_steps is not None and
                        self._episode_steps >= self._max_episode_steps)
    self._reset_next_step = last
    return reward, terminal, last

  def reset(self) -> dm_env.TimeStep:
    self._env.reset()
    self._episode_steps = 0
    self._reset_next_step = False
    return dm_env.TimeStep(dm_env.StepType.FIRST, None, None,
                           self._observation())

  def step(self, action) -> dm_env.TimeStep:
    if self._reset_next_step:
      return self.reset()
    pixels = np.zeros((1,) + OBSERVATION_SHAPE, np.uint8)
    reward, terminal, last = self.act_into(int(action), {'pixels': pixels}, 0)
    return dm_env.TimeStep(
        step_type=dm_env.StepType.LAST if last else dm_env.StepType.MID,
        reward=np.float32(reward),
        discount=_ZERO if terminal else _ONE,
        observation={'pixels': pixels[0], 'task_id': self._task_id})


def make_environment(game: str, task_id: Optional[int] = None,
                     **kwargs) -> MinAtarEnvironment:
  """Makes a MinAtar-5 game; its task id defaults to its index in GAMES."""
  check_game(game)
  if task_id is None:
    task_id = GAMES.index(game)
  return MinAtarEnvironment(game, task_id=task_id, **kwargs)


def num_raw_channels(game: str) -> int:
  """The game's own channels, before the suite pads them to NUM_CHANNELS."""
  check_game(game)
  return int(minatar.Environment(game).state_shape()[2])


def minimal_action_set(game: str) -> Sequence[int]:
  """The game's minimal action set, as indices into the suite's actions.

  The suite's actions are MinAtar's full set, in MinAtar's order.
  """
  check_game(game)
  return [int(a) for a in minatar.Environment(game).minimal_action_set()]


def make_suite(**env_kwargs) -> base.Suite:
  """MinAtar-5; `env_kwargs` (e.g. max_episode_steps) go to every game."""
  return base.Suite(
      name='minatar5', tasks=GAMES, num_actions=NUM_ACTIONS,
      observation_spec_fn=observation_spec,
      make_train_environment=make_environment,
      make_test_environment=make_environment,
      random_scores=RANDOM_SCORES, max_scores=None, env_kwargs=env_kwargs,
      num_raw_channels=num_raw_channels,
      minimal_action_set=minimal_action_set)
