"""The learner's optimizer, built with its slots in place before the first step."""

from typing import Sequence, Union

import sonnet as snt
import tensorflow as tf


def make_optimizer(optimizer: Union[str, snt.Optimizer],
                   learning_rate: tf.Variable,
                   variables: Sequence[tf.Variable],
                   rmsprop_decay: float = 0.99,
                   rmsprop_epsilon: float = 0.1,
                   rmsprop_initial_mean_square: float = 0.0) -> snt.Optimizer:
  """'adam' (acme's), 'rmsprop' (IMPALA's) or a given snt.Optimizer.

  Its slots are created now, eagerly. Sonnet creates them on the first apply,
  inside the learner's traced step (a tf.cond), where a retrace can later reach
  a handle of the dead first graph. Early slots also give every learner the
  same state from the start (PBT copies it).
  """
  if optimizer == 'adam':
    optimizer = snt.optimizers.Adam(learning_rate=learning_rate)
  elif optimizer == 'rmsprop':
    optimizer = snt.optimizers.RMSProp(
        learning_rate=learning_rate, decay=rmsprop_decay,
        epsilon=rmsprop_epsilon)
  elif isinstance(optimizer, str):
    raise ValueError(f"optimizer must be 'adam', 'rmsprop' or an "
                     f'snt.Optimizer, got {optimizer!r}.')
  if hasattr(optimizer, '_initialize'):
    optimizer._initialize(variables)  # pylint: disable=protected-access
  if isinstance(optimizer, snt.optimizers.RMSProp):
    # TF1's RMSPropOptimizer (IMPALA's) starts the mean square at 1, Sonnet's
    # at 0: with epsilon 0.1 the first steps then differ by up to ~3x.
    for mean_square in optimizer.ms:
      mean_square.assign(tf.fill(mean_square.shape,
                                 rmsprop_initial_mean_square))
  return optimizer
