"""What every suite shares: its specs' shapes and dtypes, its `Suite` object,
and the return normalisation every suite's score uses."""

import dataclasses
from typing import (Any, Callable, Dict, Mapping, Optional, Sequence, Tuple,
                    Union)

from acme import specs as acme_specs
import dm_env
from dm_env import specs
import numpy as np


def action_spec(num_actions: int) -> specs.DiscreteArray:
  return specs.DiscreteArray(num_actions, name='action')


def reward_spec() -> specs.Array:
  return specs.Array((), np.float32, 'reward')


def discount_spec() -> specs.BoundedArray:
  return specs.BoundedArray((), np.float32, 0.0, 1.0, 'discount')


class SuiteEnvironment(dm_env.Environment):
  """Discrete actions, float32 rewards and discounts, a suite-wide observation.

  Subclasses set `NUM_ACTIONS`, `OBSERVATION_SPEC` (a function returning the
  suite's observation spec, shared by all its tasks) and `self._task_id`.
  """
  NUM_ACTIONS: int
  OBSERVATION_SPEC = None

  @property
  def task_id(self) -> int:
    """The task's index in its suite; it also travels in every observation."""
    return int(self._task_id)

  def observation_spec(self):
    return self.OBSERVATION_SPEC()

  def action_spec(self) -> specs.DiscreteArray:
    return action_spec(self.NUM_ACTIONS)

  def reward_spec(self) -> specs.Array:
    return reward_spec()

  def discount_spec(self) -> specs.BoundedArray:
    return discount_spec()


# ------------------------------------------------------------- normalisation
# Every suite scores the same way, only its 0 and 100 marks differ: a task's
# score is `normalised_score` of its mean return, and the suite's is the mean
# over its tasks (`Suite.score`). It lives here, beside `Suite`, so that the
# suites, the analysis and the launchers share one formula without importing
# each other.
Returns = Union[float, Sequence[float], np.ndarray]


def normalised_score(returns: Returns, low: float, high: float,
                     cap: Optional[float] = None,
                     task: Optional[str] = None) -> Union[float, np.ndarray]:
  """100 * (returns - low) / (high - low), each at most `cap`.

  0 is `low` (random play) and 100 `high` (a teacher's, human or R_max
  return), so scores of every suite read as percentages. Elementwise: a float
  for one return, an array for several. The learner's gate computes the same
  as a fraction, in TF (schedules.normalised_scores, tested against this).
  """
  if not high > low:
    where = f'Task {task!r}: the' if task is not None else 'The'
    raise ValueError(f'{where} high score {high} must be above the low score '
                     f'{low}.')
  scores = 100.0 * (np.asarray(returns, np.float64) - low) / (high - low)
  if cap is not None:
    scores = np.minimum(scores, cap)
  return float(scores) if scores.ndim == 0 else scores


def mean_return(task: str, returns: Returns) -> float:
  returns = np.asarray(returns, np.float64).reshape(-1)
  if returns.size == 0:
    raise ValueError(f'Task {task!r} has no episode returns to score.')
  return float(np.mean(returns))


def normalized_task_scores(task_returns: Mapping[str, Returns],
                           low: Mapping[str, float],
                           high: Mapping[str, float],
                           cap: Optional[float] = None) -> Dict[str, float]:
  """Per task: `normalised_score` of its mean return."""
  missing = sorted(set(low) - set(task_returns))
  if missing:
    raise ValueError(f'Missing returns for: {", ".join(missing)}.')
  unknown = sorted(set(task_returns) - set(low))
  if unknown:
    raise ValueError(f'No normalisation constants for: {", ".join(unknown)}. '
                     f'Known tasks: {", ".join(sorted(low))}.')
  return {task: normalised_score(mean_return(task, task_returns[task]),
                                 low[task], high[task], cap, task)
          for task in low}


# --------------------------------------------------------------------- Suite
MODES = ('train', 'test')


def _same_task(task: str) -> str:
  return task


@dataclasses.dataclass(frozen=True)
class Suite:
  """One benchmark suite: its tasks, its one spec, environments and score.

  Callers (the builder, workers, PBT's fitness) hold one of these instead of
  dispatching on the suite's name. Its specs and scores are constants, so a
  replay or learner host builds it without the suite's simulator, which is
  imported only by `make_environment`. `env_kwargs` (e.g. Procgen's
  distribution_mode, DMLab-30's level_cache_dir) go to every environment.
  """
  name: str
  tasks: Tuple[str, ...]  # The default tasks, in task-id order.
  num_actions: int
  observation_spec_fn: Callable[[], Any]
  make_train_environment: Callable[..., dm_env.Environment]
  # The environment the evaluator plays (DMLab-30: the held-out `_test`
  # levels); suites without a test protocol play the training one.
  make_test_environment: Callable[..., dm_env.Environment]
  # The 0 mark of each scored task: random play (Procgen: the paper's R_min).
  random_scores: Mapping[str, float]
  # The 100 mark the suite publishes (DMLab-30: human; Procgen: R_max), or
  # None where there is none (MinAtar-5: the caller's reference scores).
  max_scores: Optional[Mapping[str, float]] = None
  env_kwargs: Mapping[str, Any] = dataclasses.field(default_factory=dict)
  # The name a task is scored under (DMLab-30: a `_train` level's `_test`).
  scoring_task: Callable[[str], str] = _same_task
  # For teachers trained on a task's own game rather than the suite's
  # padded one (acme_kickstart/teachers/specs.py): its channel count and its
  # minimal action set (as suite action indices). None where the suite has
  # no such thing.
  num_raw_channels: Optional[Callable[[str], int]] = None
  minimal_action_set: Optional[Callable[[str], Sequence[int]]] = None

  def observation_spec(self) -> Any:
    return self.observation_spec_fn()

  def environment_spec(self) -> acme_specs.EnvironmentSpec:
    """Every task's spec, known without building an environment."""
    return acme_specs.EnvironmentSpec(
        observations=self.observation_spec(),
        actions=action_spec(self.num_actions),
        rewards=reward_spec(), discounts=discount_spec())

  def make_environment(self, task: str, task_id: Optional[int] = None,
                       seed: Optional[int] = None,
                       mode: str = 'train') -> dm_env.Environment:
    """`task` as actors ('train') or the evaluator ('test') play it."""
    if mode not in MODES:
      raise ValueError(f'Unknown mode {mode!r}: use one of {MODES}.')
    make = (self.make_train_environment if mode == 'train'
            else self.make_test_environment)
    return make(task, task_id=task_id, seed=seed, **self.env_kwargs)

  def random_score(self, task: str) -> float:
    """The 0 mark of `task` as it is played (e.g. for the gated schedule)."""
    return float(self.random_scores[self.scoring_task(task)])

  def by_scoring_task(self, task_returns: Mapping[str, Returns]) -> dict:
    """`task_returns` keyed by the name each task is scored under."""
    renamed = {}
    for task, returns in task_returns.items():
      name = self.scoring_task(task)
      if name in renamed:
        raise ValueError(f'Returns for {name!r} were given twice (as its train '
                         'and its test level); pass one of them.')
      renamed[name] = returns
    return renamed

  def task_scores(self, task_returns: Mapping[str, Returns],
                  reference_scores: Optional[Mapping[str, float]] = None,
                  cap: Optional[float] = None) -> Dict[str, float]:
    """Per task (by scoring name), the normalised score that `score` averages.

    Each task normalised between its random score and the suite's max score,
    or, in a suite without one, `reference_scores` (e.g. the teachers'; only
    tasks that have one are scored); capped at `cap`. A suite with its own
    max scores ignores `reference_scores`.
    """
    returns = self.by_scoring_task(task_returns)
    high = self.max_scores
    if high is None:
      high = reference_scores or {}
      returns = {t: r for t, r in returns.items() if t in high}
    unknown = sorted(set(returns) - set(self.random_scores))
    if unknown:
      raise ValueError(
          f'Suite {self.name!r} has no task {", ".join(unknown)}; its tasks: '
          f'{", ".join(sorted(self.random_scores))}.')
    low = {t: self.random_scores[t] for t in returns}
    return normalized_task_scores(returns, low, {t: high[t] for t in returns},
                                  cap)

  def score(self, task_returns: Mapping[str, Returns],
            reference_scores: Optional[Mapping[str, float]] = None,
            cap: Optional[float] = None) -> float:
    """The suite's score over the tasks in `task_returns` (any subset): the
    mean of `task_scores`. In a suite without max scores and without
    `reference_scores`: the mean raw return."""
    if self.max_scores is None and not reference_scores:
      returns = self.by_scoring_task(task_returns)
      return float(np.mean([mean_return(t, r) for t, r in returns.items()]))
    scores = self.task_scores(task_returns, reference_scores, cap)
    return float(np.mean(list(scores.values())))
