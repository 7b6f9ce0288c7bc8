"""The learner's hyperparameters that PBT changes while it trains.

Each lives in a tf.Variable read inside the compiled step, so a change applies
from the next step without retracing, and it is checkpointed with the weights.
"""

from typing import Dict, List, Mapping, Optional, Sequence, Union

import tensorflow as tf

from acme_kickstart.agents.kickstarting import schedules


class LearnerHyperparameters:
  """Learning rate, entropy cost and every lambda_k, as tf.Variables."""

  def __init__(self,
               learning_rate: float,
               entropy_cost: float,
               distillation_costs: Union[float, Sequence[float]],
               num_tasks: int,
               learning_rate_decay_env_steps: Optional[int] = None):
    """`learning_rate_decay_env_steps`: if set, the applied learning rate
    decays linearly to 0 over that many env steps (IMPALA's DMLab-30
    schedule); None keeps it constant."""
    if learning_rate_decay_env_steps is not None and (
        learning_rate_decay_env_steps <= 0):
      raise ValueError('learning_rate_decay_env_steps must be > 0 (or None).')
    self._num_tasks = num_tasks
    self._decay_env_steps = learning_rate_decay_env_steps
    self.learning_rate = tf.Variable(
        learning_rate, dtype=tf.float32, trainable=False, name='learning_rate')
    self.entropy_cost = tf.Variable(
        entropy_cost, dtype=tf.float32, trainable=False, name='entropy_cost')
    self.distillation_costs = tf.Variable(
        schedules.per_task_lambdas(distillation_costs, num_tasks),
        dtype=tf.float32, trainable=False, name='distillation_costs')
    # What the optimizer reads: set from learning_rate_now() before each
    # applied update. Not state: it is recomputed from the others.
    self.applied_learning_rate = tf.Variable(
        learning_rate, dtype=tf.float32, trainable=False,
        name='applied_learning_rate')

  def set(self,
          learning_rate: Optional[float] = None,
          entropy_cost: Optional[float] = None,
          distillation_costs: Optional[Union[float, Sequence[float]]] = None):
    """Sets the given ones, after checking them all, so a bad value changes
    nothing."""
    if learning_rate is not None and not learning_rate > 0:
      raise ValueError(f'learning_rate must be > 0, got {learning_rate}.')
    if entropy_cost is not None and entropy_cost < 0:
      raise ValueError(f'entropy_cost must be >= 0, got {entropy_cost}.')
    if distillation_costs is not None:
      distillation_costs = schedules.per_task_lambdas(
          distillation_costs, self._num_tasks)
    if learning_rate is not None:
      self.learning_rate.assign(learning_rate)
    if entropy_cost is not None:
      self.entropy_cost.assign(entropy_cost)
    if distillation_costs is not None:
      self.distillation_costs.assign(distillation_costs)

  def get(self) -> Dict[str, Union[float, List[float]]]:
    return {
        'learning_rate': float(self.learning_rate.numpy()),
        'entropy_cost': float(self.entropy_cost.numpy()),
        'distillation_costs': self.distillation_costs.numpy().tolist(),
    }

  def learning_rate_now(self, num_env_steps: tf.Variable) -> tf.Tensor:
    return self.learning_rate * schedules.linear_decay(
        num_env_steps, self._decay_env_steps)

  @property
  def variables(self) -> List[tf.Variable]:
    """What PBT's exploit copies (the applied rate follows from these)."""
    return [self.learning_rate, self.entropy_cost, self.distillation_costs]

  @property
  def state(self) -> Mapping[str, tf.Variable]:
    return {'learning_rate': self.learning_rate,
            'entropy_cost': self.entropy_cost,
            'distillation_costs': self.distillation_costs}
