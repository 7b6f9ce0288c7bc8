"""Configuration of the kickstarted IMPALA agent."""

import dataclasses
from typing import Optional, Tuple

from acme_kickstart.agents.kickstarting.schedules import LambdaSchedule


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
  # None, or 'soft_asymmetric' (IMPALA's DMLab-30: 5 tanh(r/5), negatives x0.3).
  reward_clipping: Optional[str] = None
  optimizer: str = 'adam'  # 'adam' (acme's choice) or 'rmsprop' (IMPALA paper's).
  rmsprop_decay: float = 0.99
  rmsprop_epsilon: float = 0.1
  # Sonnet's RMSProp starts its mean square at 0; TF1's (IMPALA's) at 1.
  rmsprop_initial_mean_square: float = 0.0
  # 'mean' over the real steps of a batch (acme) or 'sum' (scalable_agent,
  # whose published hyperparameters assume summed losses).
  loss_reduction: str = 'mean'
  # If set, the learning rate decays linearly to 0 over this many real env
  # steps consumed by the learner (IMPALA's DMLab-30 schedule).
  learning_rate_decay_env_steps: Optional[int] = None
  # PopArt (popart.py): per-task normalised value targets, so that tasks with
  # large returns do not dominate the shared gradients. The network then has
  # one value output per task; `popart_step_size` is the moments' beta.
  popart: bool = False
  popart_step_size: float = 3e-4
  # Kickstarting: lambda_k per task, k indexing the suite's tasks. A task with
  # no teacher trains with lambda 0 whatever is set here.
  distillation_costs: Tuple[float, ...] = (1.0,)
  # How lambda_k moves over the real env steps the learner trains on:
  # constant, linear, exponential, gated (on top of any), or pbt
  # (schedules.py).
  distillation_schedule: LambdaSchedule = dataclasses.field(
      default_factory=LambdaSchedule)
  # Replay (a Reverb queue) and batching.
  batch_size: int = 32
  sequence_length: int = 20
  # Steps between the starts of consecutive sequences; None means
  # sequence_length - 1 (consecutive sequences share their bootstrap step).
  sequence_period: Optional[int] = None
  max_queue_size: int = 2_000
  # Distillation replay (distillation_replay.py): per V-trace batch, this many
  # more batches drawn uniformly from the `distillation_replay_window` newest
  # sequences, trained on the distillation term alone. 0: no replay table.
  distillation_replay_ratio: int = 0
  distillation_replay_window: int = 1_000
  # Steps at the start of a replayed sequence that only rebuild the student's
  # core state with its current weights (no loss, no gradient; R2D2).
  distillation_replay_burn_in: int = 0
  # Acting: environments stepped per policy call in one batched actor.
  num_envs_per_actor: int = 32

  def __post_init__(self):
    self.validate()

  def validate(self) -> 'KickstartingConfig':
    """Checks every field once (config files call it after overrides)."""
    self.distillation_costs = tuple(self.distillation_costs)
    # Re-runs the schedule's own checks on overridden fields.
    self.distillation_schedule = dataclasses.replace(self.distillation_schedule)
    if any(c < 0 for c in self.distillation_costs):
      raise ValueError(
          f'distillation_costs must be >= 0 (they weight a cross-entropy), got '
          f'{tuple(self.distillation_costs)}. Use 0 to switch a teacher off.')
    if self.optimizer not in ('adam', 'rmsprop'):
      raise ValueError(
          f"optimizer must be 'adam' or 'rmsprop', got {self.optimizer!r}.")
    if self.loss_reduction not in ('mean', 'sum'):
      raise ValueError(f"loss_reduction must be 'mean' or 'sum', got "
                       f'{self.loss_reduction!r}.')
    if not 0 < self.popart_step_size <= 1:
      raise ValueError(f'popart_step_size must be in (0, 1], got '
                       f'{self.popart_step_size}.')
    if self.sequence_length < 2:
      raise ValueError('sequence_length must be >= 2 (the last step bootstraps).')
    if self.sequence_period is not None and not (
        1 <= self.sequence_period <= self.sequence_length - 1):
      raise ValueError(
          f'sequence_period must be in [1, sequence_length - 1] so that every '
          f'step is trained on, got {self.sequence_period}.')
    self._check_distillation_replay()
    if self.num_envs_per_actor < 1 or self.batch_size < 1:
      raise ValueError('num_envs_per_actor and batch_size must be >= 1, got '
                       f'{self.num_envs_per_actor} and {self.batch_size}.')
    return self

  def _check_distillation_replay(self):
    if self.distillation_replay_ratio < 0:
      raise ValueError(
          f'distillation_replay_ratio must be >= 0 (replayed batches per '
          f'V-trace batch; 0 turns the replay off), got '
          f'{self.distillation_replay_ratio}.')
    if self.distillation_replay_window < self.batch_size:
      raise ValueError(
          f'distillation_replay_window ({self.distillation_replay_window} '
          f'sequences) must hold at least one batch (batch_size='
          f'{self.batch_size}); raise it.')
    if not 0 <= self.distillation_replay_burn_in <= self.sequence_length - 2:
      raise ValueError(
          f'distillation_replay_burn_in must be in [0, sequence_length - 2] '
          f'= [0, {self.sequence_length - 2}] so that a replayed sequence '
          f'keeps a step to train on, got {self.distillation_replay_burn_in}.')

  @property
  def period(self) -> int:
    """Steps between sequence starts (sequence_length - 1 by default)."""
    return self.sequence_period or self.sequence_length - 1
