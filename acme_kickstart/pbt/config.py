"""Configuration of a PBT population of kickstarted students."""

import dataclasses
from typing import Dict, Optional

from acme_kickstart.experiments.config import ExperimentConfig


@dataclasses.dataclass
class PBTConfig:
  """A population of `population_size` students, each laid out as `member`.

  Member i runs in <run_dir>/member_<i> with the i-th seed spawned from
  member.seed (seeding.spawn_seeds). The
  controller writes <run_dir>/pbt: controller.json (its state, for resuming),
  lineage.jsonl (every exploit) and hyperparameters.csv (every member's
  hyperparameters over env steps). The program stops once every member has
  taken `member.run.max_env_steps` env steps.
  """
  member: ExperimentConfig = dataclasses.field(default_factory=ExperimentConfig)
  population_size: int = 4
  run_dir: str = 'runs/pbt'
  seed: int = 0
  # Search space (acme_kickstart.pbt.search_space.SearchSpace fields; its
  # defaults say why its ranges are what they are). lambdas='factorised'
  # searches the paper's lambda_k = alpha * rho_k instead of K free lambda_k.
  search_space: Dict[str, object] = dataclasses.field(default_factory=dict)
  # Exploit: the bottom `fraction` copies the top `fraction` ...
  fraction: float = 0.2
  # ... once it has taken this many env steps since its last change. Why
  # 100k: (1) the loser's fitness must be measured on its new weights only, so
  # the period must hold a whole fitness window (fitness_rounds
  # evaluator rounds; on MinAtar-5 a member takes ~30k env steps per round on
  # 2 cores, results/kickstarting_without_popart/kickstarting.json), and
  # (2) an exploit must rank members whose scores differ by more than the
  # noise: one round of 4 episodes per game varies by ~6 normalised points
  # (std of consecutive-round differences / sqrt 2 in the benchmark's
  # constant and annealed runs: 3.9 to 7.8), while at 50k env steps members
  # score 2 to 8 (results/pbt_minatar5): exploits that early copy noise, and
  # a population can follow an unlucky draw (there, to lr 3e-4).
  ready_env_steps: int = 100_000
  controller_period_seconds: float = 30.0
  # Hyperparameters of member 0..P-1 at the start; None samples them ...
  initial: Optional[list] = None
  # ... but for member 0, which starts at the member config's own
  # hyperparameters (a known-good point) unless this is False.
  anchor_first_member: bool = True

  # The fitness: the suite's score (pbt/fitness.py) of the last
  # `fitness_rounds` evaluation rounds, each task capped at `fitness_cap`.
  fitness_rounds: int = 3
  fitness_cap: Optional[float] = 200.0

  def __post_init__(self):
    self.validate()

  def validate(self) -> 'PBTConfig':
    self.member.validate()
    if self.population_size < 2:
      raise ValueError('A PBT population needs at least 2 members.')
    if not 1 <= self.fitness_rounds <= self.member.run.evaluator_rounds_kept:
      raise ValueError(
          f'fitness_rounds ({self.fitness_rounds}) must be in [1, '
          f'member.run.evaluator_rounds_kept '
          f'({self.member.run.evaluator_rounds_kept})]: the evaluator keeps '
          'only that many rounds.')
    return self
