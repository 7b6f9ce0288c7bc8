"""Suite scores: per-task normalised returns, averaged over the suite's tasks.

Every suite has the same shape: a task's score is
100 * (mean return - low) / (high - low), optionally capped at `cap` per task,
and the suite's score is the mean over its tasks. Only `low` and `high` differ:
  * DMLab-30: the random and human returns (scalable_agent dmlab30.py);
    `human_normalized_score(..., cap=100)` is IMPALA's capped score.
  * MinAtar-5: the random returns measured here, and a reference return that
    the caller supplies (e.g. the teachers' scores).
  * Procgen: the Procgen paper's R_min and R_max (Cobbe et al., 2020), x100 so
    that all suites read as percentages (divide by 100 for the paper's units).
"""

from typing import Mapping, Optional, Sequence, Union

import numpy as np

from acme_kickstart.environments import dmlab30
from acme_kickstart.environments import minatar
from acme_kickstart.environments import procgen

Returns = Union[float, Sequence[float], np.ndarray]

# Mean episode return of a uniform-random policy on MinAtar-5, measured with
# scripts/measure_minatar_random.py: 200 episodes per game through
# acme_kickstart.environments.minatar.make_environment (sticky_action_prob=0.1,
# difficulty ramping on, 10k-step cap), seed 0. Standard errors: breakout
# 0.048, asterix 0.061, freeway 0.027, seaquest 0.026, space_invaders 0.150.
# No published MinAtar-5 reference (max) scores are used: callers pass their
# own, e.g. the teachers' returns.
MINATAR_RANDOM_SCORES = {
    'breakout': 0.49,
    'asterix': 0.41,
    'freeway': 0.155,
    'seaquest': 0.11,
    'space_invaders': 2.98,
}


def _mean_return(task: str, returns: Returns) -> float:
  returns = np.asarray(returns, np.float64).reshape(-1)
  if returns.size == 0:
    raise ValueError(f'Task {task!r} has no episode returns to score.')
  return float(np.mean(returns))


def normalized_task_scores(task_returns: Mapping[str, Returns],
                           low: Mapping[str, float],
                           high: Mapping[str, float],
                           cap: Optional[float] = None) -> dict:
  """Per task: 100 * (mean return - low) / (high - low), capped at `cap`."""
  missing = sorted(set(low) - set(task_returns))
  if missing:
    raise ValueError(f'Missing returns for: {", ".join(missing)}.')
  unknown = sorted(set(task_returns) - set(low))
  if unknown:
    raise ValueError(f'No normalisation constants for: {", ".join(unknown)}. '
                     f'Known tasks: {", ".join(sorted(low))}.')
  scores = {}
  for task in low:
    if not high[task] > low[task]:
      raise ValueError(f'Task {task!r}: the high score {high[task]} must be '
                       f'above the low score {low[task]}.')
    score = (100.0 * (_mean_return(task, task_returns[task]) - low[task]) /
             (high[task] - low[task]))
    scores[task] = score if cap is None else min(score, cap)
  return scores


def suite_score(task_returns: Mapping[str, Returns],
                low: Mapping[str, float],
                high: Mapping[str, float],
                cap: Optional[float] = None) -> float:
  """The mean over tasks of `normalized_task_scores`."""
  scores = normalized_task_scores(task_returns, low, high, cap)
  return float(np.mean(list(scores.values())))


# ------------------------------------------------------------------ DMLab-30
def _dmlab_scoring_names(level_returns: Mapping[str, Returns]) -> dict:
  """Keys training-level names by the level they are scored on."""
  renamed = {}
  for level, returns in level_returns.items():
    name = dmlab30.scoring_level(level)
    if name in renamed:
      raise ValueError(f'Returns for {name!r} were given twice (as its train '
                       'and its test level); pass one of them.')
    renamed[name] = returns
  return renamed


def human_normalized_scores(level_returns: Mapping[str, Returns],
                            cap: Optional[float] = 100.0) -> dict:
  """Per DMLab-30 level (keyed by scoring name): the human-normalised score.

  `level_returns` maps each of the 30 levels to its episode returns. A level
  trained on its `_train` variant may be given under either name; it is scored
  with the `_test` level's human and random returns, as IMPALA did.
  """
  return normalized_task_scores(_dmlab_scoring_names(level_returns),
                                dmlab30.RANDOM_SCORES, dmlab30.HUMAN_SCORES,
                                cap)


def human_normalized_score(level_returns: Mapping[str, Returns],
                           cap: Optional[float] = 100.0) -> float:
  """DMLab-30's mean human-normalised score, capped per level at `cap`.

  Per level 100 * (mean return - random) / (human - random), capped when `cap`
  is set (IMPALA reports cap=100 and cap=None), then the mean over levels.
  """
  scores = human_normalized_scores(level_returns, cap)
  return float(np.mean(list(scores.values())))


# ----------------------------------------------------------------- MinAtar-5
def minatar_normalized_score(
    game_returns: Mapping[str, Returns],
    reference_scores: Mapping[str, float],
    random_scores: Mapping[str, float] = MINATAR_RANDOM_SCORES,
    cap: Optional[float] = None) -> float:
  """MinAtar-5: 100 * (mean - random) / (reference - random), mean over games.

  `reference_scores` (the 100% mark, e.g. the teachers' returns) is the
  caller's: there are no published MinAtar-5 reference scores to use here.
  The games scored are those of `reference_scores`.
  """
  for game in reference_scores:
    minatar.check_game(game)
  low = {game: random_scores[game] for game in reference_scores}
  return suite_score(game_returns, low, reference_scores, cap)


# ------------------------------------------------------------------ Procgen
def procgen_normalized_score(game_returns: Mapping[str, Returns],
                             distribution_mode: str = 'easy',
                             cap: Optional[float] = None) -> float:
  """Procgen: 100 * (mean - R_min) / (R_max - R_min), mean over the games given.

  The games scored are those in `game_returns` (a suite or all 16).
  """
  procgen.check_distribution_mode(distribution_mode)
  for game in game_returns:
    procgen.check_game(game)
  ranges = procgen.RETURN_RANGES[distribution_mode]
  low = {game: ranges[game][0] for game in game_returns}
  high = {game: ranges[game][1] for game in game_returns}
  return suite_score(game_returns, low, high, cap)


def suite_fitness(suite: str, task_returns: Mapping[str, Returns],
                  reference_scores: Mapping[str, float],
                  cap: Optional[float] = None,
                  distribution_mode: str = 'easy') -> float:
  """PBT's fitness over the tasks in `task_returns` (any subset of the suite).

  MinAtar-5 with reference scores: returns normalised between random play and
  the reference (e.g. the teachers'); DMLab-30: human-normalised; Procgen: its
  min/max normalisation for `distribution_mode`. Each task capped at `cap`,
  then the mean over tasks. Without constants: the mean raw return.
  """
  if suite == 'minatar5' and reference_scores:
    tasks = [t for t in task_returns if t in reference_scores]
    low = {t: MINATAR_RANDOM_SCORES[t] for t in tasks}
    high = {t: reference_scores[t] for t in tasks}
  elif suite == 'dmlab30':
    named = _dmlab_scoring_names(task_returns)
    task_returns = named
    low = {t: dmlab30.RANDOM_SCORES[t] for t in named}
    high = {t: dmlab30.HUMAN_SCORES[t] for t in named}
  elif suite == 'procgen':
    ranges = procgen.RETURN_RANGES[distribution_mode]
    low = {t: ranges[t][0] for t in task_returns}
    high = {t: ranges[t][1] for t in task_returns}
  else:
    return float(np.mean([_mean_return(t, r) for t, r in task_returns.items()]))
  scores = normalized_task_scores({t: task_returns[t] for t in low}, low, high,
                                  cap)
  return float(np.mean(list(scores.values())))


def random_scores(suite: str, tasks: Sequence[str],
                  distribution_mode: str = 'easy') -> dict:
  """Each task's 0 mark (random play; Procgen's R_min), e.g. for the gate."""
  if suite == 'minatar5':
    return {t: MINATAR_RANDOM_SCORES[t] for t in tasks}
  if suite == 'dmlab30':
    return {t: dmlab30.RANDOM_SCORES[dmlab30.scoring_level(t)] for t in tasks}
  if suite == 'procgen':
    return {t: procgen.RETURN_RANGES[distribution_mode][t][0] for t in tasks}
  raise ValueError(f'No random scores for suite {suite!r}.')
