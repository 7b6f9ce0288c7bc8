"""The hyperparameters PBT schedules, their ranges, and how they are explored.

Learning rate and entropy cost are log-uniform; every lambda_k is uniform in
[0, lambda_max]. Explore perturbs each value by x0.8 or x1.2, or resamples it
from its prior with probability `resample_probability`, and clips to the range.
lambda = 0 is reachable: a resample lands at 0 with probability
`lambda_zero_probability`, and a perturbed lambda below `lambda_floor` snaps to 0
(a multiplicative perturbation alone never reaches 0).

Two spaces for lambda (`lambdas`):
  * 'independent': one lambda_k per task, each explored on its own.
  * 'factorised': the paper's lambda_k = alpha * rho_k (section 4.2): one
    overall distillation strength alpha in [0, lambda_max], and per task a
    share rho_k in [0, 1]. PBT can then switch all teachers down at once
    (alpha) while keeping their relative weights, which one perturbation of
    K independent values rarely does.

Default ranges, and why (results/kickstarting_without_popart/
kickstarting.json, results/pbt_minatar5):
  * learning_rate (3e-4, 3e-3): half a decade either side of the 1e-3 that
    every fixed-lambda MinAtar-5 run trains well with. With a floor of 1e-4,
    an unlucky first draw can win the first, noise-dominated exploits and
    pull the whole population down (results/pbt_minatar5: to ~3e-4 and 22%).
  * entropy_cost (1e-3, 3e-2): around IMPALA's 1e-2; with a floor of 1e-4,
    every member of a population can end at the floor, its policy collapsing
    early (results/pbt_minatar5).
  * lambda_max 2.0: the paper's largest hand-set lambda (Table 2: 2 scores as
    1); beyond it distillation swamps the V-trace loss (results/
    kickstarting_without_popart: lambda 1 already holds students near their
    teachers).
"""

import dataclasses
from typing import Dict, List, Optional

import numpy as np


LAMBDA_SPACES = ('independent', 'factorised')


@dataclasses.dataclass(frozen=True)
class Hyperparameters:
  learning_rate: float
  entropy_cost: float
  distillation_costs: tuple  # lambda_k, one per task.
  # The factorised space's coordinates (lambda_k = alpha * rho_k), else None.
  alpha: Optional[float] = None
  rho: Optional[tuple] = None

  @classmethod
  def factorised(cls, learning_rate: float, entropy_cost: float, alpha: float,
                 rho) -> 'Hyperparameters':
    rho = tuple(float(r) for r in rho)
    return cls(learning_rate, entropy_cost,
               tuple(float(alpha) * r for r in rho), float(alpha), rho)

  def as_dict(self) -> Dict[str, object]:
    """What a learner's set_hyperparameters takes."""
    return {'learning_rate': self.learning_rate,
            'entropy_cost': self.entropy_cost,
            'distillation_costs': list(self.distillation_costs)}

  def state_dict(self) -> Dict[str, object]:
    """as_dict, plus alpha and rho in the factorised space (JSON-able)."""
    state = self.as_dict()
    if self.alpha is not None:
      state.update(alpha=self.alpha, rho=list(self.rho))
    return state

  @classmethod
  def from_dict(cls, state: Dict[str, object]) -> 'Hyperparameters':
    if state.get('alpha') is not None:
      return cls.factorised(state['learning_rate'], state['entropy_cost'],
                            state['alpha'], state['rho'])
    return cls(state['learning_rate'], state['entropy_cost'],
               tuple(state['distillation_costs']))


@dataclasses.dataclass(frozen=True)
class SearchSpace:
  """Ranges and explore rules of the scheduled hyperparameters."""
  num_tasks: int
  learning_rate: tuple = (3e-4, 3e-3)
  entropy_cost: tuple = (1e-3, 3e-2)
  lambda_max: float = 2.0  # lambda_k, or alpha in the factorised space.
  lambdas: str = 'independent'  # Or 'factorised': lambda_k = alpha * rho_k.
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
    if self.lambdas not in LAMBDA_SPACES:
      raise ValueError(f'lambdas must be one of {LAMBDA_SPACES}, got '
                       f'{self.lambdas!r}.')

  def sample(self, rng: np.random.Generator) -> Hyperparameters:
    """A draw from the prior (a new member)."""
    if self.lambdas == 'factorised':
      return Hyperparameters.factorised(
          learning_rate=self._log_uniform(rng, self.learning_rate),
          entropy_cost=self._log_uniform(rng, self.entropy_cost),
          alpha=self._sample_lambda(rng),
          rho=[self._sample_lambda(rng, 1.0) for _ in range(self.num_tasks)])
    return Hyperparameters(
        learning_rate=self._log_uniform(rng, self.learning_rate),
        entropy_cost=self._log_uniform(rng, self.entropy_cost),
        distillation_costs=tuple(self._sample_lambda(rng)
                                 for _ in range(self.num_tasks)))

  def explore(self, hyper: Hyperparameters,
              rng: np.random.Generator) -> Hyperparameters:
    """Perturbs (x0.8 / x1.2) or resamples each value; stays in range.

    (In the factorised space: alpha and each rho_k, snapped to 0 below
    lambda_floor as a lambda is.)"""
    def scalar(value, bounds):
      if rng.random() < self.resample_probability:
        return self._log_uniform(rng, bounds)
      return float(np.clip(value * rng.choice(self.perturb_factors), *bounds))

    def lam(value, high=self.lambda_max):
      if rng.random() < self.resample_probability:
        return self._sample_lambda(rng, high)
      value = float(np.clip(value * rng.choice(self.perturb_factors), 0.0,
                            high))
      return 0.0 if value < self.lambda_floor else value

    if self.lambdas == 'factorised':
      if hyper.alpha is None:
        raise ValueError('The factorised space explores alpha and rho: this '
                         'member has only independent lambda_k.')
      return Hyperparameters.factorised(
          learning_rate=scalar(hyper.learning_rate, self.learning_rate),
          entropy_cost=scalar(hyper.entropy_cost, self.entropy_cost),
          alpha=lam(hyper.alpha), rho=[lam(r, 1.0) for r in hyper.rho])
    return Hyperparameters(
        learning_rate=scalar(hyper.learning_rate, self.learning_rate),
        entropy_cost=scalar(hyper.entropy_cost, self.entropy_cost),
        distillation_costs=tuple(lam(v) for v in hyper.distillation_costs))

  def contains(self, hyper: Hyperparameters) -> bool:
    inside = (
        self.learning_rate[0] <= hyper.learning_rate <= self.learning_rate[1]
        and self.entropy_cost[0] <= hyper.entropy_cost <= self.entropy_cost[1]
        and len(hyper.distillation_costs) == self.num_tasks
        and all(0.0 <= v <= self.lambda_max
                for v in hyper.distillation_costs))
    if self.lambdas == 'factorised':
      inside = inside and (
          hyper.alpha is not None and 0.0 <= hyper.alpha <= self.lambda_max
          and len(hyper.rho) == self.num_tasks
          and all(0.0 <= r <= 1.0 for r in hyper.rho) and np.allclose(
              hyper.distillation_costs, np.multiply(hyper.alpha, hyper.rho)))
    return inside

  def _sample_lambda(self, rng, high: Optional[float] = None) -> float:
    if rng.random() < self.lambda_zero_probability:
      return 0.0
    return float(rng.uniform(0.0, self.lambda_max if high is None else high))

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
