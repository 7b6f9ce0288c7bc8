"""PBT decisions: when a member is ready, who copies whom, what it explores to.

`PopulationController` is pure bookkeeping over fitness reports: given the same
seed and the same sequence of (fitness, env steps) it makes the same decisions.
Its state (hyperparameters, last-change steps, generator state) round-trips
through `state_dict`, so a restarted controller resumes without re-randomising
the population. Applying a decision (copying weights, optimizer state and
hyperparameters between learners) is the program's job (pbt/program.py).
"""

import copy
import dataclasses
from typing import Dict, List, Optional, Sequence

import numpy as np

from acme_kickstart.pbt.search_space import Hyperparameters
from acme_kickstart.pbt.search_space import SearchSpace
from acme_kickstart.pbt.search_space import truncation_selection


@dataclasses.dataclass(frozen=True)
class Exploit:
  """Member `loser` takes `winner`'s weights, then explores to `hyperparameters`."""
  loser: int
  winner: int
  env_steps: int
  winner_hyperparameters: Hyperparameters
  hyperparameters: Hyperparameters
  previous_hyperparameters: Hyperparameters  # The loser's, to revert.
  previous_last_change: int


class PopulationController:
  """Truncation-selection PBT over a population of students."""

  def __init__(self, population_size: int, space: SearchSpace, seed: int = 0,
               fraction: float = 0.2, ready_env_steps: int = 100_000,
               initial: Optional[Sequence[Hyperparameters]] = None,
               anchor: Optional[Hyperparameters] = None):
    """`anchor`, if given (and `initial` is not), is member 0's starting
    point: the config's own, known-good hyperparameters, so that one unlucky
    prior draw cannot leave the whole population without a sane member."""
    if population_size < 2:
      raise ValueError('PBT needs a population of at least 2.')
    self._space = space
    self._fraction = fraction
    self._ready_env_steps = ready_env_steps
    self._rng = np.random.default_rng(seed)
    self.hyperparameters: List[Hyperparameters] = (
        list(initial) if initial is not None else
        [space.sample(self._rng) for _ in range(population_size)])
    if len(self.hyperparameters) != population_size:
      raise ValueError('initial must give one Hyperparameters per member.')
    if initial is None and anchor is not None:
      if not space.contains(anchor):
        raise ValueError(f'The anchor member {anchor} is outside the search '
                         f'space {space}; widen the space or change the '
                         'member config.')
      self.hyperparameters[0] = anchor
    self.last_change = [0] * population_size

  def ready(self, env_steps: Sequence[int]) -> List[bool]:
    return [steps - last >= self._ready_env_steps
            for steps, last in zip(env_steps, self.last_change)]

  def step(self, fitness: Sequence[Optional[float]],
           env_steps: Sequence[int],
           copyable: Optional[Sequence[bool]] = None) -> List[Exploit]:
    """One round: the ready members of the bottom fraction exploit the top.

    Members whose fitness is None (not measured yet), or that are not
    `copyable` (their learner has no checkpoint or no step yet: what a copy
    would take may be initial weights, not those their fitness measured),
    take no part this round; a NaN fitness ranks last.
    """
    ready = self.ready(env_steps)
    copyable = [True] * len(fitness) if copyable is None else list(copyable)
    members = [i for i, f in enumerate(fitness)
               if f is not None and copyable[i]]
    if not any(ready[i] for i in members) or len(members) < 2:
      return []
    scores = [-np.inf if np.isnan(fitness[i]) else float(fitness[i])
              for i in members]
    pairs = truncation_selection(scores, self._fraction, self._rng)
    decisions = []
    for loser, winner in sorted(pairs.items()):
      loser, winner = members[loser], members[winner]
      if not ready[loser] or loser == winner:
        continue
      source = self.hyperparameters[winner]
      explored = self._space.explore(source, self._rng)
      decisions.append(Exploit(loser, winner, int(env_steps[loser]), source,
                               explored, self.hyperparameters[loser],
                               self.last_change[loser]))
      self.hyperparameters[loser] = explored
      self.last_change[loser] = int(env_steps[loser])
    return decisions

  def revert(self, decision: Exploit):
    """Undoes a decision that could not be applied to the learners."""
    self.revert_member(decision.loser, decision.previous_hyperparameters,
                       decision.previous_last_change)

  def revert_member(self, member: int, hyperparameters: Hyperparameters,
                    last_change: int):
    """Gives `member` back the hyperparameters and last change it had."""
    self.hyperparameters[member] = hyperparameters
    self.last_change[member] = int(last_change)

  def state_dict(self) -> Dict[str, object]:
    return {'hyperparameters': [h.state_dict() for h in self.hyperparameters],
            'last_change': list(self.last_change),
            'rng': copy.deepcopy(self._rng.bit_generator.state)}

  def load_state_dict(self, state: Dict[str, object]):
    self.hyperparameters = [Hyperparameters.from_dict(h)
                            for h in state['hyperparameters']]
    self.last_change = list(state['last_change'])
    self._rng.bit_generator.state = state['rng']
