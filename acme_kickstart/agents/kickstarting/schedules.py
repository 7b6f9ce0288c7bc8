"""Schedules of the distillation weights lambda_k: a config value, TF maths.

The effective weight of task k at learner time t (real env steps trained on) is

  lambda_k(t) = lambda_k^0 * decay(t) * gate_k(t)

* lambda_k^0: the learner's `distillation_costs` variable (PBT's to change).
* decay(t), the `kind` of the schedule:
  - 'constant': 1.
  - 'linear': from 1 to `final_fraction` over `decay_env_steps`, then held
    (lambda_k^0 -> final_fraction * lambda_k^0, the paper's Table 2 anneal).
  - 'exponential': `decay_rate` ** t, a multiplicative decay per env step
    (hackrl's), never below `final_fraction`.
  - 'pbt': 1; PBT owns lambda_k^0 and changes it between rounds
    (launch/pbt.py).
  - 'gated': shorthand for 'constant' with `gated=True`.
* gate_k(t), when `gated` (on top of any kind): clip(1 - s_k / s_k^T, 0, 1),
  with s_k the student's recent return on task k and s_k^T its teacher's
  reference, both normalised between random play (0) and the teacher (1), so
  s_k / s_k^T = (return - random) / (teacher - random). Distillation fades as
  the student nears its teacher and stops once it plays at the teacher's level.
  Hysteresis: once s_k >= 1 (the teacher is surpassed) the gate stays shut
  until s_k falls below 1 - `gate_hysteresis`, then reopens at
  1 - s_k >= `gate_hysteresis`; without it the noise of a moving average around
  1 would switch the teacher on and off every few updates.

The functions below are pure TF of (env steps, scores, gate state); the learner
evaluates them inside its compiled step from tf.Variables, so changing a score
or lambda^0 never retraces.
"""

import dataclasses
from typing import Optional, Sequence, Union

import numpy as np
import tensorflow as tf

KINDS = ('constant', 'linear', 'exponential', 'gated', 'pbt')


@dataclasses.dataclass
class LambdaSchedule:
  """How lambda_k moves while training (see the module docstring)."""
  kind: str = 'constant'
  # 'linear': env steps to reach final_fraction * lambda^0.
  decay_env_steps: Optional[int] = None
  # 'linear' / 'exponential': where the decay ends, as a fraction of lambda^0.
  final_fraction: float = 0.0
  # 'exponential': the factor applied per real env step (e.g. 1 - 1e-6).
  decay_rate: Optional[float] = None
  # Performance gate on top of the kind (implied by kind 'gated').
  gated: bool = False
  # The gate reopens only when s_k < 1 - gate_hysteresis (after a crossing).
  gate_hysteresis: float = 0.05
  # The moving average of returns behind s_k weighs an episode that is
  # `score_window_episodes` episodes old by exp(-1) (per task).
  score_window_episodes: float = 50.0

  def __post_init__(self):
    if self.kind not in KINDS:
      raise ValueError(f'Unknown lambda schedule kind {self.kind!r}; use one '
                       f'of {KINDS}.')
    if self.kind == 'gated':  # 'gated' is 'constant' with the gate on.
      object.__setattr__(self, 'kind', 'constant')
      object.__setattr__(self, 'gated', True)
    if self.kind == 'linear' and not (self.decay_env_steps and
                                      self.decay_env_steps > 0):
      raise ValueError("A 'linear' lambda schedule needs decay_env_steps > 0 "
                       f'(got {self.decay_env_steps}).')
    if self.kind == 'exponential' and not (
        self.decay_rate is not None and 0 < self.decay_rate <= 1):
      raise ValueError("An 'exponential' lambda schedule needs a decay_rate in "
                       f'(0, 1] per env step (got {self.decay_rate}).')
    if not 0 <= self.final_fraction <= 1:
      raise ValueError(f'final_fraction must be in [0, 1], got '
                       f'{self.final_fraction}.')
    if not 0 <= self.gate_hysteresis < 1:
      raise ValueError(f'gate_hysteresis must be in [0, 1), got '
                       f'{self.gate_hysteresis}.')
    if self.score_window_episodes < 1:
      raise ValueError('score_window_episodes must be >= 1.')

  @property
  def name(self) -> str:
    """e.g. 'linear+gated' (for logs and file names)."""
    return self.kind + ('+gated' if self.gated else '')


def decay(schedule: LambdaSchedule, env_steps: tf.Tensor) -> tf.Tensor:
  """The time factor decay(t) in [final_fraction, 1] (scalar float32)."""
  steps = tf.cast(env_steps, tf.float32)
  final = tf.constant(schedule.final_fraction, tf.float32)
  if schedule.kind == 'linear':
    progress = tf.minimum(1.0, steps / float(schedule.decay_env_steps))
    return 1.0 + (final - 1.0) * progress
  if schedule.kind == 'exponential':
    # rate ** t as exp(t log rate): no overflow or underflow to NaN.
    value = tf.exp(steps * tf.math.log(tf.constant(schedule.decay_rate,
                                                   tf.float32)))
    return tf.maximum(final, value)
  return tf.constant(1.0, tf.float32)


def normalised_scores(returns: tf.Tensor, low: tf.Tensor,
                      high: tf.Tensor) -> tf.Tensor:
  """s_k / s_k^T = (return - random) / (teacher - random), per task.

  environments/base.normalised_score / 100, in TF for the learner's compiled
  step (a test holds the two equal). No guard for high <= low here: TaskGate
  refuses such ranges when it is built.
  """
  return (returns - low) / (high - low)


def update_gate_off(scores: tf.Tensor, gate_off: tf.Tensor,
                    hysteresis: float) -> tf.Tensor:
  """The hysteresis latch: shut at s >= 1, reopened below 1 - hysteresis."""
  return tf.where(scores >= 1.0, True,
                  tf.where(scores < 1.0 - hysteresis, False, gate_off))


def gate(scores: tf.Tensor, gate_off: tf.Tensor, gated: tf.Tensor) -> tf.Tensor:
  """Per task: 0 while latched off, else clip(1 - s_k, 0, 1); 1 where the
  task is not gated (no teacher reference, or no score measured yet)."""
  open_gate = tf.clip_by_value(1.0 - scores, 0.0, 1.0)
  value = tf.where(gate_off, tf.zeros_like(scores), open_gate)
  return tf.where(gated, value, tf.ones_like(scores))


def effective_lambdas(schedule: LambdaSchedule, base: tf.Tensor,
                      env_steps: tf.Tensor, gate_values: tf.Tensor) -> tf.Tensor:
  """lambda_k^0 * decay(t) * gate_k (the gate is 1 unless `schedule.gated`)."""
  lambdas = base * decay(schedule, env_steps)
  if schedule.gated:
    lambdas = lambdas * gate_values
  return lambdas


def per_task_lambdas(costs: Union[float, Sequence[float]],
                     num_tasks: int) -> np.ndarray:
  """lambda^0 as one value per task (a scalar or a 1-sequence is broadcast);
  checks lambda_k >= 0. The one place where lambda is broadcast."""
  costs = np.asarray(costs, dtype=np.float32)
  if costs.ndim == 0 or costs.shape == (1,):
    costs = np.full([num_tasks], costs.reshape(()), np.float32)
  if costs.shape != (num_tasks,):
    raise ValueError(f'Expected one distillation cost per task ({num_tasks}), '
                     f'got {costs.tolist()}.')
  if not np.all(np.isfinite(costs)) or np.any(costs < 0):
    raise ValueError(
        f'Distillation costs (lambda_k) must be finite and >= 0, got '
        f'{costs.tolist()}. Use 0 to switch a teacher off.')
  return costs


def teacher_mask(task_names: Sequence[str],
                 teacher_tasks: Optional[Sequence[str]]) -> tf.Tensor:
  """1 for a task with a teacher, 0 for one without (None: every task has
  one); it multiplies lambda_k, so a task without a teacher is never
  distilled whatever its lambda."""
  unknown = sorted(set(teacher_tasks or ()) - set(task_names))
  if unknown:
    raise ValueError(f'teacher_tasks names unknown tasks {unknown}; the tasks '
                     f'are {list(task_names)}.')
  return tf.constant(
      [teacher_tasks is None or t in teacher_tasks for t in task_names],
      tf.float32)


def linear_decay(env_steps: tf.Variable, horizon: Optional[int]) -> tf.Tensor:
  """max(0, 1 - env_steps / horizon); 1 without a horizon."""
  if horizon is None:
    return tf.constant(1.0)
  return tf.maximum(0.0, 1.0 - tf.cast(env_steps, tf.float32) / float(horizon))
