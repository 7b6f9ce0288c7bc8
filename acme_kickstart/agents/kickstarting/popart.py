"""PopArt: per-task normalisation of the value targets (Hessel et al., 2019).

Tasks score on very different scales (a DMLab level's returns may be 100x
another's), so with one network the largest-return tasks dominate the shared
gradients: their critic errors and policy-gradient advantages are the
largest. PopArt keeps running first and second moments mu_k, nu_k of each
task's value targets, trains the value head's output k on the targets of task
k normalised to unit scale, (vs - mu_k) / sigma_k, and divides the policy
gradient's advantages by sigma_k. When the statistics move, the value head's
last linear layer is rescaled so that its unnormalised outputs
V_k = sigma_k * n_k + mu_k stay exactly what they were ("Preserving Outputs
Precisely"): learning the scale never changes what the value function says.
"""

from typing import Dict, Sequence, Tuple

import sonnet as snt
import tensorflow as tf


class PopArt(snt.Module):
  """Per-task moments mu[K], nu[K] of the value targets and the rescale of a
  K-output value head. Pure TF: every method runs inside a tf.function."""

  def __init__(self, num_tasks: int, step_size: float = 3e-4,
               sigma_min: float = 1e-4, sigma_max: float = 1e6,
               name: str = 'popart'):
    super().__init__(name=name)
    if not 0 < step_size <= 1:
      raise ValueError(f'PopArt step_size must be in (0, 1], got {step_size}.')
    self._num_tasks = num_tasks
    self._step_size = step_size
    self._sigma_min = sigma_min
    self._sigma_max = sigma_max
    # Non-trainable: they move by `update` only, never by a gradient.
    self.mu = tf.Variable(tf.zeros([num_tasks]), trainable=False, name='mu')
    self.nu = tf.Variable(tf.ones([num_tasks]), trainable=False, name='nu')

  @property
  def num_tasks(self) -> int:
    return self._num_tasks

  def sigma(self) -> tf.Tensor:
    """[K] sqrt(nu - mu^2), clipped to [sigma_min, sigma_max]."""
    return self._sigma(self.mu, self.nu)

  def _sigma(self, mu: tf.Tensor, nu: tf.Tensor) -> tf.Tensor:
    variance = tf.maximum(nu - tf.square(mu), 0.0)
    return tf.clip_by_value(tf.sqrt(variance), self._sigma_min,
                            self._sigma_max)

  def statistics(self, task_ids: tf.Tensor) -> Tuple[tf.Tensor, tf.Tensor]:
    """(mu, sigma) of each step's task, shaped as `task_ids`; no gradient."""
    return (tf.stop_gradient(tf.gather(self.mu, task_ids)),
            tf.stop_gradient(tf.gather(self.sigma(), task_ids)))

  def normalise(self, values: tf.Tensor, task_ids: tf.Tensor) -> tf.Tensor:
    mu, sigma = self.statistics(task_ids)
    return (values - mu) / sigma

  def unnormalise(self, normalised: tf.Tensor,
                  task_ids: tf.Tensor) -> tf.Tensor:
    mu, sigma = self.statistics(task_ids)
    return sigma * normalised + mu

  def update(self, targets: tf.Tensor, task_ids: tf.Tensor, mask: tf.Tensor,
             value_head: snt.Linear) -> Dict[str, tf.Tensor]:
    """Moves the statistics toward a batch's targets, preserving the outputs.

    Args:
      targets: [T, B] unnormalised value targets (V-trace's vs).
      task_ids: [T, B] task of each step.
      mask: [T, B] 1 on the steps to learn from (real transitions).
      value_head: the K-output linear layer whose output k is task k's
        normalised value; its weights and bias are rescaled in place.

    Returns:
      The new 'mu' and 'sigma', [K] each.
    """
    targets = tf.stop_gradient(tf.cast(targets, tf.float32))
    steps = tf.one_hot(task_ids, self._num_tasks) * tf.cast(
        mask, tf.float32)[..., None]  # [T, B, K]
    counts = tf.reduce_sum(steps, axis=[0, 1])
    mean = tf.math.divide_no_nan(
        tf.reduce_sum(steps * targets[..., None], axis=[0, 1]), counts)
    mean_square = tf.math.divide_no_nan(
        tf.reduce_sum(steps * tf.square(targets)[..., None], axis=[0, 1]),
        counts)
    present = counts > 0  # A task absent from the batch keeps its statistics.
    beta = self._step_size
    old_mu, old_sigma = tf.identity(self.mu), self.sigma()
    new_mu = tf.where(present, (1 - beta) * old_mu + beta * mean, old_mu)
    new_nu = tf.where(present, (1 - beta) * self.nu + beta * mean_square,
                      self.nu)
    new_sigma = self._sigma(new_mu, new_nu)

    # Output k of the head is task k's: scale column k of w and entry k of b.
    value_head.w.assign(tf.where(present, value_head.w * old_sigma / new_sigma,
                                 value_head.w))
    value_head.b.assign(tf.where(
        present, (old_sigma * value_head.b + old_mu - new_mu) / new_sigma,
        value_head.b))
    self.mu.assign(new_mu)
    self.nu.assign(new_nu)
    return {'mu': new_mu, 'sigma': new_sigma}

  def logs(self, task_names: Sequence[str]) -> Dict[str, float]:
    """'popart/mu/<task>' and 'popart/sigma/<task>', for the learner's log."""
    logs = {}
    for name, mu, sigma in zip(task_names, self.mu.numpy(),
                               self.sigma().numpy()):
      logs[f'popart/mu/{name}'] = float(mu)
      logs[f'popart/sigma/{name}'] = float(sigma)
    return logs


def select(values: tf.Tensor, task_ids: tf.Tensor) -> tf.Tensor:
  """[T, B] each step's own task's output of [T, B, K] values (a one-output
  head's [T, B] values, single-task PopArt, as they are)."""
  if values.shape.rank == task_ids.shape.rank:
    return values
  return tf.gather(values, task_ids, batch_dims=task_ids.shape.rank)


def for_network(network, num_tasks: int, step_size: float) -> PopArt:
  """PopArt for `network`, whose value head must have one output per task
  (networks.py: num_values=num_tasks; experiments/factories.py sets it)."""
  head = getattr(network, 'value_head', None)
  outputs = getattr(head, 'output_size', None)
  if outputs != num_tasks:
    raise ValueError(
        f'PopArt needs a value head with one output per task ({num_tasks}); '
        f'the network has {outputs if head is not None else "no value_head"}. '
        f'Build it with num_values={num_tasks}.')
  return PopArt(num_tasks, step_size)
