"""Configuration of a PBT population of kickstarted students."""

import dataclasses
from typing import Dict, Optional

from acme_kickstart.agents.kickstarting.config import ProgramConfig


@dataclasses.dataclass
class PBTConfig:
  """A population of `population_size` students, each laid out as `member`.

  Member i runs in <run_dir>/member_<i> with seed member.agent.seed + i. The
  controller writes <run_dir>/pbt: controller.json (its state, for resuming),
  lineage.jsonl (every exploit) and hyperparameters.csv (every member's
  hyperparameters over env steps). The program stops once every member has
  taken `member.max_env_steps` env steps.
  """
  member: ProgramConfig = dataclasses.field(default_factory=ProgramConfig)
  population_size: int = 4
  run_dir: str = 'runs/pbt'
  seed: int = 0
  # Search space (acme_kickstart.pbt.search_space.SearchSpace fields).
  search_space: Dict[str, object] = dataclasses.field(default_factory=dict)
  # Exploit: the bottom `fraction` copies the top `fraction` ...
  fraction: float = 0.2
  # ... once it has taken this many env steps since its last change.
  ready_env_steps: int = 100_000
  controller_period_seconds: float = 30.0
  # Hyperparameters of member 0..P-1 at the start; None samples them.
  initial: Optional[list] = None

  def __post_init__(self):
    if self.population_size < 2:
      raise ValueError('A PBT population needs at least 2 members.')
