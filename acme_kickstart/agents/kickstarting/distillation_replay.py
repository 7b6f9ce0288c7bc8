"""Distillation replay: the recent trajectories, sampled again for the
distillation term alone.

V-trace needs (near) on-policy data, so the queue hands each sequence to the
learner once. The distillation term sum_k lambda_k H(pi_T_k || pi_S) is a
supervised loss on states the student visited, and each step already carries
its teacher's logits: it can train on a sequence many times. The actors' writer
creates one more item on the same trajectory in a second table (no data is
copied), a FIFO window of the `distillation_replay_window` newest sequences,
sampled uniformly. Its rate limiter (MinSize(1)) never blocks an insert, and
a full table drops its oldest item, so the actors never wait on it.
"""

import math
from typing import Callable, Dict, List, Mapping, Optional

import numpy as np
import reverb
import tensorflow as tf
import tree

from acme_kickstart.agents.kickstarting import losses
from acme_kickstart.agents.kickstarting import stopping
from acme_kickstart.agents.kickstarting.config import KickstartingConfig

TABLE = 'distillation_replay'


def table_name(config: KickstartingConfig) -> Optional[str]:
  """The table the actors' writer also feeds: None when replay is off."""
  return TABLE if config.distillation_replay_ratio > 0 else None


def make_table(queue: reverb.Table, window: int) -> reverb.Table:
  """A uniform FIFO window of the `window` newest items, with the queue's
  signature (the writer puts the same trajectories in both)."""
  return reverb.Table(
      name=TABLE,
      sampler=reverb.selectors.Uniform(),
      remover=reverb.selectors.Fifo(),
      max_size=window,
      rate_limiter=reverb.rate_limiters.MinSize(1),
      signature=queue.info.signature)


def make_tables(queue: reverb.Table,
                config: KickstartingConfig) -> List[reverb.Table]:
  """The replay table, or none when `distillation_replay_ratio` is 0."""
  if config.distillation_replay_ratio == 0:
    return []
  return [make_table(queue, config.distillation_replay_window)]


def replay_loss(unroll: Callable, data, valid: tf.Tensor,
                distillation_costs: tf.Tensor, burn_in: int = 0,
                reduction: str = 'mean') -> losses.LossOutput:
  """The distillation term alone on a replayed batch (time-major `data`).

  The sequence starts from the core state stored when it was acted. With
  `burn_in` b, its first b steps only carry that state forward under the
  current weights (R2D2's burn-in; no gradient flows through them) and the
  loss covers the steps after them. `valid` is [T-1, B], as the learner's.
  """
  core_state = tree.map_structure(lambda s: s[0], data.extras['core_state'])
  if burn_in:
    prefix = tree.map_structure(lambda x: x[:burn_in], data.observation)
    _, core_state = unroll(prefix, core_state)
    core_state = tree.map_structure(tf.stop_gradient, core_state)
    data = tree.map_structure(lambda x: x[burn_in:], data)
    valid = valid[burn_in:]
  (logits, _), _ = unroll(data.observation, core_state)
  return losses.distillation_term(
      student_logits=logits,
      teacher_logits=data.extras['teacher_logits'],
      teacher_mask=data.extras['teacher_mask'],
      task_ids=data.observation['task_id'],
      distillation_costs=distillation_costs,
      valid=valid,
      reduction=reduction)


class ReplayReader:
  """What the learner reads from a replay: batches, and the table's counts.

  Subclasses say where batches come from (`_make_dataset`) and how full the
  table is (`table_info`); the learner's replay loop and its logs are here.
  """

  def __init__(self, batch_size: int):
    self._batch_size = batch_size
    self._dataset = None
    self._iterator = None
    self.num_sampled = 0  # Sequences sampled by this reader.

  def dataset(self) -> tf.data.Dataset:
    """Whole batches of sequences, batch-major (as the queue's dataset)."""
    if self._dataset is None:
      self._dataset = self._make_dataset()
    return self._dataset

  def _make_dataset(self) -> tf.data.Dataset:
    raise NotImplementedError

  def table_info(self) -> Dict[str, int]:
    """'size' (items now held) and 'inserted' (items ever inserted)."""
    raise NotImplementedError

  def close(self):
    """Ends the reader's stream (its iterator); `train` opens a new one."""
    self._iterator = None

  def train(self, replay_step: Callable[..., Mapping[str, np.ndarray]],
            num_batches: int) -> Dict[str, float]:
    """Runs `replay_step(iterator)` on up to `num_batches` batches.

    Returns the learner's log entries: the table's size, the reuse factor
    (sequences sampled by this reader / sequences ever inserted) and the
    distillation loss and cross-entropy on these batches (NaN if none: an
    empty table, or a stream that timed out; its iterator is then renewed).
    """
    info = self.table_info()
    results = []
    if info['size'] > 0:
      for _ in range(num_batches):
        if self._iterator is None:
          self._iterator = iter(self.dataset())
        try:
          results.append(replay_step(self._iterator))
        except tf.errors.OutOfRangeError:
          self._iterator = None
          break
        self.num_sampled += self._batch_size
    mean = lambda key: (float(np.mean([r[key] for r in results]))
                        if results else math.nan)
    return {
        'replay/table_size': info['size'],
        'replay/reuse_factor': self.num_sampled / max(info['inserted'], 1),
        'replay/batches': len(results),
        'replay/distillation_loss': mean('distillation_loss'),
        'replay/cross_entropy': mean('cross_entropy'),
    }


class ReverbReplayReader(ReplayReader):
  """The program's reader of the distillation replay's Reverb table.

  Sampling is uniform with replacement, so once the table holds an item a
  sample never waits; an empty table is seen from `table_info` before any
  sample is asked for, and the dataset's `timeout_ms` bounds a wait anyway.
  """

  def __init__(self, server_address: str, batch_size: int,
               timeout_ms: int = 2_000, table: str = TABLE):
    super().__init__(batch_size)
    self._server_address = server_address
    self._timeout_ms = timeout_ms
    self._table = table
    self._client = None  # Made at the first table_info, again after close.

  def _make_dataset(self) -> tf.data.Dataset:
    dataset = reverb.TrajectoryDataset.from_table_signature(
        server_address=self._server_address, table=self._table,
        max_in_flight_samples_per_worker=self._batch_size,
        num_workers_per_iterator=1,
        rate_limiter_timeout_ms=self._timeout_ms)
    # The next batch is assembled (sampled, decoded, stacked) while the
    # learner computes on this one.
    return stopping.without_autotune(
        dataset.batch(self._batch_size, drop_remainder=True).prefetch(1))

  def table_info(self) -> Dict[str, int]:
    if self._client is None:
      self._client = reverb.Client(self._server_address)
    info = self._client.server_info()[self._table]
    return {'size': int(info.current_size),
            'inserted': int(info.rate_limiter_info.insert_stats.completed)}

  def close(self):
    super().close()
    self._client = None


class ReplayUpdater:
  """The learner's replayed updates: the distillation term alone, with the
  learner's optimizer and its current lambda_k.

  The value head gets a None gradient (not 0), so the optimizer leaves it and
  its slots untouched; no update counts as a learner step or env steps.
  """

  def __init__(self, reader: ReplayReader, ratio: int, loss_fn: Callable,
               variables, optimizer, max_gradient_norm: tf.Tensor,
               num_steps: Callable[[], int]):
    self._reader = reader
    self._ratio = ratio
    self._loss_fn = loss_fn
    self._variables = variables
    self._optimizer = optimizer
    self._max_gradient_norm = max_gradient_norm
    self._num_steps = num_steps

  @tf.function
  def _update(self, iterator) -> Dict[str, tf.Tensor]:
    with tf.GradientTape() as tape:
      output = self._loss_fn(next(iterator))
    gradients = tape.gradient(output.loss, self._variables)
    gradients, gradient_norm = tf.clip_by_global_norm(
        gradients, self._max_gradient_norm)
    finite = tf.math.is_finite(output.loss) & tf.math.is_finite(gradient_norm)

    def apply():
      self._optimizer.apply(gradients, self._variables)
      return tf.constant(True)

    applied = tf.cond(finite, apply, lambda: tf.constant(False))
    return {'distillation_loss': output.loss, 'applied': applied,
            'cross_entropy': output.metrics['cross_entropy']}

  def _apply(self, iterator) -> Dict[str, np.ndarray]:
    results = tree.map_structure(lambda t: t.numpy(), self._update(iterator))
    if not results['applied']:
      raise losses.NonFiniteLossError(
          f'Non-finite distillation loss on a replayed batch at learner step '
          f'{self._num_steps()}: {results["distillation_loss"]}. The update '
          'was not applied. Lower the learning rate or set max_gradient_norm.')
    return results

  def close(self):
    self._reader.close()

  def train(self, distillation_costs: np.ndarray) -> Dict[str, float]:
    """Up to `ratio` replayed updates; the 'replay/...' log entries.

    With every lambda_k of the last step at 0 (a decayed schedule, closed
    gates) it draws none: such an update has no gradient, yet Adam would
    still move the weights along its old momentum.
    """
    active = bool(np.any(np.asarray(distillation_costs) > 0))
    return self._reader.train(self._apply, self._ratio if active else 0)


def make_updater(reader: Optional[ReplayReader], ratio: int, loss_fn: Callable,
                 variables, optimizer, max_gradient_norm: tf.Tensor,
                 num_steps: Callable[[], int]) -> Optional[ReplayUpdater]:
  """The learner's replayed updates, or None at ratio 0 (nothing is read)."""
  if ratio < 0:
    raise ValueError(f'distillation_replay_ratio must be >= 0, got {ratio}.')
  if ratio == 0:
    return None
  if reader is None:
    raise ValueError('distillation_replay_ratio > 0 needs a '
                     'distillation_replay reader (distillation_replay.'
                     'make_reader) over the replay table.')
  return ReplayUpdater(reader, ratio, loss_fn, variables, optimizer,
                       max_gradient_norm, num_steps)


def make_reader(server_address: str,
                config: KickstartingConfig,
                timeout_ms: int = 2_000) -> Optional[ReplayReader]:
  """The learner's reader, or None when `distillation_replay_ratio` is 0."""
  if config.distillation_replay_ratio == 0:
    return None
  return ReverbReplayReader(server_address, config.batch_size, timeout_ms)

