"""The hyperparameters PBT schedules, their ranges, and how they are explored.

Learning rate and entropy cost are log-uniform; every lambda_k is uniform in
[0, lambda_max]. Explore perturbs each value by x0.8 or x1.2, or resamples it
from its prior with probability `resample_probability`, and clips to the range.
lambda = 0 is reachable: a resample lands at 0 with probability
`lambda_zero_probability`, and a perturbed lambda below `lambda_floor` snaps to 0
(a multiplicative perturbation alone never reaches 0).
"""

import dataclasses
from typing import Dict, List

import numpy as np


@dataclasses.dataclass(frozen=True)
class Hyperparameters:
  learning_rate: float
  entropy_cost: float
  distillation_costs: tuple  # lambda_k, one per task.

  def as_dict(self) -> Dict[str, object]:
    return {'learning_rate': self.learning_rate,
            'entropy_cost': self.entropy_cost,
            'distillation_costs': list(self.distillation_costs)}


@dataclasses.dataclass(frozen=True)
class SearchSpace:
  """Ranges and explore rules of the scheduled hyperparameters."""
  num_tasks: int
  learning_rate: tuple = (1e-4, 3e-3)
  entropy_cost: tuple = (1e-4, 3e-2)
  lambda_max: float = 4.0
  perturb_factors: tuple = (0.8, 1.2)
  resample_probability: float = 0.25
  lambda_zero_probability: float = 0.1
  lambda_floor: float = 0.02

  def __post_init__(self):
    for name in ('learning_rate', 'entropy_cost'):
      low, high = getattr(self, name)
      if not 0 < low <= high:
        raise ValueError(f'{name} range must satisfy 0 < low <= high, got '
                         f'{(low, high)}.')
    if self.lambda_max < 0:
      raise ValueError(f'lambda_max must be >= 0, got {self.lambda_max}.')
    if not 0 <= self.resample_probability <= 1:
      raise ValueError('resample_probability must be in [0, 1].')

  def sample(self, rng: np.random.Generator) -> Hyperparameters:
    """A draw from the prior (a new member)."""
    return Hyperparameters(
        learning_rate=self._log_uniform(rng, self.learning_rate),
        entropy_cost=self._log_uniform(rng, self.entropy_cost),
        distillation_costs=tuple(self._sample_lambda(rng)
                                 for _ in range(self.num_tasks)))

  def explore(self, hyper: Hyperparameters,
              rng: np.random.Generator) -> Hyperparameters:
    """Perturbs (x0.8 / x1.2) or resamples each value; stays in range."""
    def scalar(value, bounds):
      if rng.random() < self.resample_probability:
        return self._log_uniform(rng, bounds)
      return float(np.clip(value * rng.choice(self.perturb_factors), *bounds))

    def lam(value):
      if rng.random() < self.resample_probability:
        return self._sample_lambda(rng)
      value = float(np.clip(value * rng.choice(self.perturb_factors), 0.0,
                            self.lambda_max))
      return 0.0 if value < self.lambda_floor else value

    return Hyperparameters(
        learning_rate=scalar(hyper.learning_rate, self.learning_rate),
        entropy_cost=scalar(hyper.entropy_cost, self.entropy_cost),
        distillation_costs=tuple(lam(v) for v in hyper.distillation_costs))

  def contains(self, hyper: Hyperparameters) -> bool:
    return (self.learning_rate[0] <= hyper.learning_rate <= self.learning_rate[1]
            and self.entropy_cost[0] <= hyper.entropy_cost <= self.entropy_cost[1]
            and len(hyper.distillation_costs) == self.num_tasks
            and all(0.0 <= v <= self.lambda_max
                    for v in hyper.distillation_costs))

  def _sample_lambda(self, rng) -> float:
    if rng.random() < self.lambda_zero_probability:
      return 0.0
    return float(rng.uniform(0.0, self.lambda_max))

  @staticmethod
  def _log_uniform(rng, bounds) -> float:
    low, high = bounds
    return float(np.exp(rng.uniform(np.log(low), np.log(high))))


def truncation_selection(fitness: List[float], fraction: float,
                         rng: np.random.Generator) -> Dict[int, int]:
  """Exploit: each member of the bottom `fraction` copies one of the top.

  Returns {loser: winner}. Ties keep the lower index first (deterministic).
  """
  if not 0 < fraction <= 0.5:
    raise ValueError(f'fraction must be in (0, 0.5], got {fraction}.')
  size = len(fitness)
  count = max(1, int(round(fraction * size))) if size >= 2 else 0
  key = lambda i: (-np.inf if np.isnan(fitness[i]) else fitness[i], i)
  order = sorted(range(size), key=key)
  bottom, top = order[:count], order[size - count:]
  return {loser: int(rng.choice(top)) for loser in bottom}
