"""Configuration of the kickstarted IMPALA agent."""

import dataclasses
from typing import Optional, Sequence


@dataclasses.dataclass
class KickstartingConfig:
  """Hyperparameters of a kickstarted IMPALA student.

  `learning_rate`, `entropy_cost` and `distillation_costs` are the initial values
  of tf.Variables in the learner: PBT (or anyone) may change them while training.
  """
  # IMPALA / V-trace.
  learning_rate: float = 1e-3
  entropy_cost: float = 0.01
  baseline_cost: float = 0.5
  discount: float = 0.99
  max_abs_reward: Optional[float] = None
  max_gradient_norm: Optional[float] = 40.0
  optimizer: str = 'adam'  # 'adam' (acme's choice) or 'rmsprop' (IMPALA paper's).
  rmsprop_decay: float = 0.99
  rmsprop_epsilon: float = 0.1
  # Kickstarting: lambda_k per task, k indexing the suite's tasks. A task with
  # no teacher trains with lambda 0 whatever is set here.
  distillation_costs: Sequence[float] = (1.0,)
  # If set, every lambda_k is scaled by max(0, 1 - frames / anneal) where frames
  # is the number of env steps the learner has consumed: a hand-made schedule.
  distillation_anneal_steps: Optional[int] = None
  # Replay (a Reverb queue) and batching.
  batch_size: int = 32
  sequence_length: int = 20
  sequence_period: Optional[int] = None  # Defaults to sequence_length - 1.
  max_queue_size: int = 2_000
  # Acting: environments stepped per policy call in one batched actor.
  num_envs_per_actor: int = 32
  seed: int = 0

  def __post_init__(self):
    if any(c < 0 for c in self.distillation_costs):
      raise ValueError(
          f'distillation_costs must be >= 0 (they weight a cross-entropy), got '
          f'{tuple(self.distillation_costs)}. Use 0 to switch a teacher off.')
    if self.optimizer not in ('adam', 'rmsprop'):
      raise ValueError(
          f"optimizer must be 'adam' or 'rmsprop', got {self.optimizer!r}.")
    if self.sequence_length < 2:
      raise ValueError('sequence_length must be >= 2 (the last step bootstraps).')
    if self.sequence_period is None:
      self.sequence_period = self.sequence_length - 1

  @property
  def env_steps_per_learner_step(self) -> int:
    """Env steps one learner step consumes (the bootstrap step is shared)."""
    return self.batch_size * (self.sequence_length - 1)
