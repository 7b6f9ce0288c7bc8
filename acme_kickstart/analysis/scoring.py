"""Suite scores: per-task normalised returns, averaged over the suite's tasks.

Every suite has the same shape: a task's score is
100 * (mean return - low) / (high - low) (environments/base.py's
`normalised_score`), optionally capped at `cap` per task, and the suite's
score is the mean over its tasks. Each suite's `Suite.score` uses it with the
suite's own marks (PBT's fitness is `Suite.score`); only `low` and `high`
differ:
  * DMLab-30: the random and human returns (scalable_agent dmlab30.py);
    `human_normalized_score(..., cap=100)` is IMPALA's capped score.
  * MinAtar-5: the random returns measured in environments/minatar.py, and a
    reference return that the caller supplies (e.g. the teachers' scores).
  * Procgen: the Procgen paper's R_min and R_max (Cobbe et al., 2020), x100 so
    that all suites read as percentages (divide by 100 for the paper's units).
This module keeps the whole-suite scores that results and tests report.
"""

from typing import Mapping, Optional

import numpy as np

from acme_kickstart.environments import dmlab30
from acme_kickstart.environments import minatar
from acme_kickstart.environments import procgen
from acme_kickstart.environments.base import (Returns, normalized_task_scores,
                                              suite_score)


# ------------------------------------------------------------------ DMLab-30
def human_normalized_scores(level_returns: Mapping[str, Returns],
                            cap: Optional[float] = 100.0) -> dict:
  """Per DMLab-30 level (keyed by scoring name): the human-normalised score.

  `level_returns` maps each of the 30 levels to its episode returns. A level
  trained on its `_train` variant may be given under either name; it is scored
  with the `_test` level's human and random returns, as IMPALA did.
  """
  suite = dmlab30.make_suite()
  return normalized_task_scores(suite.by_scoring_task(level_returns),
                                suite.random_scores, suite.max_scores, cap)


def human_normalized_score(level_returns: Mapping[str, Returns],
                           cap: Optional[float] = 100.0) -> float:
  """DMLab-30's mean human-normalised score, capped per level at `cap`.

  Per level 100 * (mean return - random) / (human - random), capped when `cap`
  is set (IMPALA reports cap=100 and cap=None), then the mean over levels.
  """
  scores = human_normalized_scores(level_returns, cap)
  return float(np.mean(list(scores.values())))


# ----------------------------------------------------------------- MinAtar-5
def minatar_normalized_score(game_returns: Mapping[str, Returns],
                             reference_scores: Mapping[str, float],
                             cap: Optional[float] = None) -> float:
  """MinAtar-5: 100 * (mean - random) / (reference - random), mean over games.

  The random returns are the suite's (measured); `reference_scores` (the 100%
  mark, e.g. the teachers' returns) are the caller's: there are no published
  MinAtar-5 reference scores. The games scored are those of
  `reference_scores`, and each needs returns.
  """
  for game in reference_scores:
    minatar.check_game(game)
  suite = minatar.make_suite()
  low = {game: suite.random_score(game) for game in reference_scores}
  return suite_score(game_returns, low, reference_scores, cap)


# ------------------------------------------------------------------ Procgen
def procgen_normalized_score(game_returns: Mapping[str, Returns],
                             distribution_mode: str = 'easy',
                             cap: Optional[float] = None) -> float:
  """Procgen: 100 * (mean - R_min) / (R_max - R_min), mean over the games given.

  The games scored are those in `game_returns` (a suite or all 16).
  """
  suite = procgen.make_suite(distribution_mode)
  for game in game_returns:
    procgen.check_game(game)
  return suite.score(game_returns, cap=cap)
