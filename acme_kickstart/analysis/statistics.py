"""Aggregate statistics of scores over runs and tasks, with rliable.

Scores are arranged as rliable expects: a (runs, tasks) matrix of normalised
final scores, or (runs, tasks, points) for curves. Few runs per task (5 seeds)
make point estimates alone misleading (Agarwal et al., 2021), so every
aggregate comes with a 95% stratified bootstrap confidence interval: runs are
resampled with replacement within each task. The interquartile mean (IQM) is
the headline aggregate: unlike the median it uses half the runs, and unlike
the mean one game far above its teacher cannot carry it.
"""

from typing import Callable, Dict, Mapping, Optional, Sequence

import numpy as np
from rliable import library as rly
from rliable import metrics
import scipy.stats

from acme_kickstart.environments import base

AGGREGATES: Dict[str, Callable[[np.ndarray], float]] = {
    'iqm': metrics.aggregate_iqm,
    'mean': metrics.aggregate_mean,
}


def normalised_scores(returns: Mapping[str, Sequence[float]],
                      low: Mapping[str, float], high: Mapping[str, float],
                      tasks: Sequence[str]) -> np.ndarray:
  """(runs, tasks): base.normalised_score of each run's return, uncapped.

  `returns[task]` holds one return per run (e.g. a run's final-evaluation
  mean); 0 is random play and 100 the reference (the teacher).
  """
  return np.stack([base.normalised_score(list(returns[task]), low[task],
                                         high[task], task=task)
                   for task in tasks], axis=1)


def _bootstrap(score_dict, func, reps: int, seed: int):
  """rliable's interval estimates, the same for the same seed.

  rliable 1.2's stratified bootstraps draw their resamples from numpy's
  global generator (`np.random.choice` in `update_indices`), whatever
  `random_state` they are given, so the global generator is seeded for the
  call and restored after it; arch's own draws take the RandomState.
  """
  state = np.random.get_state()
  np.random.seed(seed)
  try:
    return rly.get_interval_estimates(
        score_dict, func, reps=reps, random_state=np.random.RandomState(seed))
  finally:
    np.random.set_state(state)


def _interval(point, ci) -> dict:
  point = np.asarray(point, np.float64).reshape(-1)
  ci = np.asarray(ci, np.float64).reshape(2, -1)
  return {'point': float(point[0]), 'ci': [float(ci[0, 0]), float(ci[1, 0])]}


def aggregate_estimates(scores: np.ndarray, reps: int = 2000,
                        seed: int = 0) -> Dict[str, dict]:
  """IQM and mean of a (runs, tasks) matrix, each {'point', 'ci': [lo, hi]}."""
  out = {}
  for name, aggregate in AGGREGATES.items():
    if len(scores) < 2:  # One run: nothing to resample.
      value = float(aggregate(scores))
      out[name] = {'point': value, 'ci': [value, value]}
      continue
    points, cis = _bootstrap(
        {name: scores}, lambda s, f=aggregate: np.array([f(s)]), reps, seed)
    out[name] = _interval(points[name], cis[name])
  return out


def probability_of_improvement(scores_x: np.ndarray, scores_y: np.ndarray,
                               reps: int = 2000, seed: int = 0) -> dict:
  """P(X > Y): the chance that a run of X beats a run of Y on a random task
  (Mann-Whitney per task, averaged over tasks), {'p', 'ci': [lo, hi]}.
  X and Y are resampled independently, each stratified by task."""
  func = lambda x, y: np.array([metrics.probability_of_improvement(x, y)])
  point, ci = _paired(func, scores_x, scores_y, reps, seed)
  return {'p': point, 'ci': ci}


def relative_gain(scores_x: np.ndarray, scores_y: np.ndarray,
                  aggregate: str = 'iqm', reps: int = 2000,
                  seed: int = 0) -> dict:
  """aggregate(X) / aggregate(Y) - 1 (0.42 is +42%), {'gain', 'ci'}.

  None where aggregate(Y) <= 0: a gain over a score at or below random play
  has no meaning.
  """
  f = AGGREGATES[aggregate]
  if f(scores_y) <= 0:
    return {'gain': None, 'ci': None}
  func = lambda x, y: np.array([f(x) / f(y) - 1.0 if f(y) > 0 else np.nan])
  point, ci = _paired(func, scores_x, scores_y, reps, seed)
  return {'gain': point, 'ci': ci}


def _paired(func, scores_x: np.ndarray, scores_y: np.ndarray, reps: int,
            seed: int):
  """func(X, Y)'s point and 95% CI, X and Y resampled independently; with
  fewer than two runs on a side there is nothing to resample: no spread."""
  if min(len(scores_x), len(scores_y)) < 2:
    value = float(func(scores_x, scores_y)[0])
    return value, [value, value]
  points, cis = _bootstrap({'xy': [scores_x, scores_y]}, func, reps, seed)
  estimate = _interval(points['xy'], cis['xy'])
  return estimate['point'], estimate['ci']


def performance_profiles(score_dict: Mapping[str, np.ndarray],
                         taus: np.ndarray, reps: int = 2000,
                         seed: int = 0) -> Dict[str, dict]:
  """Per method, the fraction of (run, task) scores above each tau, with CIs:
  {'taus', 'fraction', 'ci_low', 'ci_high'} (lists)."""
  out = {}
  for name, scores in score_dict.items():
    profile = np.array([np.mean(scores > tau) for tau in taus])
    if len(scores) < 2:
      low = high = profile
    else:
      _, cis = _bootstrap(
          {name: scores}, lambda s: rly.score_distributions(s, taus), reps,
          seed)
      low, high = cis[name]
    out[name] = {'taus': np.asarray(taus).tolist(),
                 'fraction': profile.tolist(),
                 'ci_low': np.asarray(low).tolist(),
                 'ci_high': np.asarray(high).tolist()}
  return out


def _curve_aggregates(scores: np.ndarray) -> np.ndarray:
  """[IQM per point, mean per point] of a (runs, tasks, points) array."""
  flat = scores.reshape(-1, scores.shape[-1])
  return np.concatenate([scipy.stats.trim_mean(flat, 0.25, axis=0),
                         flat.mean(axis=0)])


def curve_estimates(curves: np.ndarray, reps: int = 500,
                    seed: int = 0) -> Dict[str, dict]:
  """IQM and mean over runs x tasks at every point of a (runs, tasks, points)
  array, each {'point': [...], 'ci_low': [...], 'ci_high': [...]}; one
  stratified bootstrap serves all points."""
  points = curves.shape[-1]
  value = _curve_aggregates(curves)
  if len(curves) < 2:
    low = high = value
  else:
    _, cis = _bootstrap({'c': curves}, _curve_aggregates, reps, seed)
    low, high = cis['c']
  out = {}
  for i, name in enumerate(('iqm', 'mean')):
    part = slice(i * points, (i + 1) * points)
    out[name] = {'point': value[part].tolist(), 'ci_low': low[part].tolist(),
                 'ci_high': high[part].tolist()}
  return out


def mean_with_ci(values: Sequence[float], reps: int = 2000,
                 seed: int = 0) -> dict:
  """The mean of `values` (e.g. one game's final return over seeds) with a
  95% bootstrap CI over them: {'point', 'ci'}."""
  values = np.asarray(values, np.float64).reshape(-1, 1)
  if len(values) < 2:
    value = float(values.mean())
    return {'point': value, 'ci': [value, value]}
  points, cis = _bootstrap({'v': values}, lambda v: np.array([v.mean()]),
                           reps, seed)
  return _interval(points['v'], cis['v'])


def smoothed_on_grid(env_steps: np.ndarray, values: np.ndarray,
                     grid: np.ndarray) -> np.ndarray:
  """A curve, each point averaged with its two neighbours, on `grid`.

  Centred, so a rising curve is not delayed (a trailing mean would move every
  crossing later, and most for the fastest learners). NaN points are dropped;
  before the first point the curve holds its first value.
  """
  env_steps, values = np.asarray(env_steps), np.asarray(values)
  keep = ~np.isnan(values)
  env_steps, values = env_steps[keep], values[keep]
  if not len(values):
    return np.full(len(grid), np.nan)
  smooth = np.array([values[max(0, i - 1):i + 2].mean()
                     for i in range(len(values))])
  return np.interp(grid, env_steps, smooth)


def steps_to_reach(grid: np.ndarray, curve: np.ndarray,
                   target: float) -> Optional[float]:
  """First env step where `curve` reaches `target` (linear between points);
  None if it never does."""
  above = np.nonzero(np.asarray(curve) >= target)[0]
  if not above.size:
    return None
  i = above[0]
  if i == 0:
    return float(grid[0])
  x0, x1, y0, y1 = grid[i - 1], grid[i], curve[i - 1], curve[i]
  return float(x0 + (target - y0) * (x1 - x0) / (y1 - y0))
