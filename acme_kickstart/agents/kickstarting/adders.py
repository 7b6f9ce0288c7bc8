"""A sequence writer for batched actors, item-for-item equal to acme's.

acme's `SequenceAdder` appends every env step to a Reverb `TrajectoryWriter`,
which costs ~0.8 ms of Python per step here, more than the policy and the
environment together. This writer keeps the current window of all K
environments in column buffers shaped [K, T, ...]: a batched step is one
indexed assignment per column, and a full window becomes one Reverb append and
one item. The items are the ones acme's `SequenceAdder(sequence_length,
period)` writes with its default ZERO_PAD end of episode: the same windows on
the same period grid, the same zero-filled dummy step after the last
observation and the same zero padding, under the same signature
(`SequenceAdder.signature`), so acme's datasets and learners read them.
"""

import threading
from typing import Dict, List, Optional, Sequence

from acme.adders import reverb as acme_adders
from acme.adders.reverb import base as acme_base
import dm_env
import numpy as np
import reverb
import tree

from acme_kickstart.agents.kickstarting import stopping

# How long a flush into a full table waits before it looks at the stop flag.
_FLUSH_POLL_MS = 250


class BatchedSequenceAdder:
  """Writes fixed-length, overlapping sequences of K environments to Reverb."""

  def __init__(self,
               client: reverb.Client,
               num_envs: int,
               sequence_length: int,
               period: int,
               table: str = acme_adders.DEFAULT_PRIORITY_TABLE,
               max_in_flight_items: int = 8,
               replay_table: Optional[str] = None):
    """`replay_table`, if set, gets one more item on each window's trajectory
    (the distillation replay: distillation_replay.py); no data is copied."""
    if not 0 < period <= sequence_length:
      raise ValueError(f'period must be in [1, sequence_length], got {period}.')
    # acme's adders wait as long: at a program's start the replay server can
    # come up after the actors (a loaded machine, or a process it shares with
    # the counter and evaluator); Reverb's own default, 3 s, then fails.
    self._writer = client.trajectory_writer(
        num_keep_alive_refs=1, get_signature_timeout_ms=300_000)
    self._table = table
    self._replay_table = replay_table
    self._num_envs = num_envs
    self._length = sequence_length
    self._period = period
    self._max_in_flight_items = max_in_flight_items
    self._positions = np.zeros([num_envs], np.int64)  # Steps in each window.
    # One [K, T, ...] buffer per leaf of a Step, in tree.flatten order,
    # allocated at the first step.
    self._columns: List[np.ndarray] = []
    self._history = None  # The writer's column histories, flat.
    self._num_observation_leaves = 0
    # Items created in `table`; each reaches Reverb without our help.
    self.num_items = 0
    self._stop = None  # See give_up_when.

  def give_up_when(self, stop: threading.Event):
    """Makes a write that waits on a full table raise
    `stopping.ProgramStopped` once `stop` is set.

    At a program's end the learner stops sampling, and a write waiting for
    room in the full queue would wait forever (and a thread left blocked in
    Reverb at the interpreter's exit can abort the process). Its items are
    dropped: no learner would read them.
    """
    self._stop = stop

  def add_first(self, index: int, timestep: dm_env.TimeStep):
    """Starts environment `index`'s episode (its window is empty)."""
    del timestep  # The first observation arrives with the first add_batch.
    self.reset(index)

  def add_batch(self, observations, starts: np.ndarray, actions: np.ndarray,
                rewards: np.ndarray, discounts: np.ndarray, last: np.ndarray,
                final_observations, extras,
                indices: Optional[Sequence[int]] = None):
    """Adds one step of N environments (all K by default), as whole columns.

    Args:
      observations: nest of [N, ...]: the observations the actions were taken on.
      starts: [N] bool, whether each observation starts an episode.
      actions: [N] actions.
      rewards, discounts: [N], of the timesteps that followed.
      last: [N] bool, whether that timestep ended the episode.
      final_observations: nest of [N, ...]: on rows where `last`, the
        episode's final observation (other rows are not read).
      extras: nest of [N, ...] extras of each step (logits, core state, ...).
      indices: which environments the N rows are (defaults to all, in order).
    """
    step = acme_base.Step(observation=observations, action=actions,
                          reward=rewards, discount=discounts,
                          start_of_episode=starts, extras=extras)
    leaves = tree.flatten(step)
    if not self._columns:
      self._allocate(step, leaves)
    if indices is None:
      positions = self._positions
      for column, leaf in zip(self._columns, leaves):
        column[self._all_rows, positions] = leaf
      self._positions += 1
      rows = self._all_rows
    else:
      rows = np.asarray(indices)
      positions = self._positions[rows]
      for column, leaf in zip(self._columns, leaves):
        column[rows, positions] = leaf
      self._positions[rows] += 1

    full = self._positions[rows] == self._length
    last = np.asarray(last, bool)
    if not (full.any() or last.any()):
      return
    final_leaves = None
    for n in np.flatnonzero(full | last).tolist():
      row = int(rows[n])
      if full[n]:
        self._write(row)
        self._shift(row)
      if last[n]:
        if final_leaves is None:
          final_leaves = tree.flatten(final_observations)
        self._end_episode(row, [leaf[n] for leaf in final_leaves])
    self._flush_in_flight()

  def _flush_in_flight(self):
    """Waits until at most `max_in_flight_items` items are unconfirmed."""
    if self._stop is None:
      self._writer.flush(self._max_in_flight_items)
      return
    while True:
      try:
        self._writer.flush(self._max_in_flight_items,
                           timeout_ms=_FLUSH_POLL_MS)
        return
      except reverb.errors.DeadlineExceededError:
        if self._stop.is_set():
          raise stopping.ProgramStopped(
              'a write to the replay waits on a full table after the '
              'stop') from None

  def _allocate(self, step, leaves):
    self._num_observation_leaves = len(tree.flatten(step.observation))
    self._columns = [
        np.zeros((self._num_envs, self._length) + np.shape(leaf)[1:],
                 np.asarray(leaf).dtype) for leaf in leaves]
    self._all_rows = np.arange(self._num_envs)

  def _end_episode(self, row: int, observation_leaves):
    """The last observation with zero action, reward, discount and extras;
    then zeros up to the window's end (acme's ZERO_PAD); then one item."""
    position = self._positions[row]
    for c, column in enumerate(self._columns):
      column[row, position:] = 0
      if c < self._num_observation_leaves:
        column[row, position] = observation_leaves[c]
    self._write(row)
    self._positions[row] = 0

  def _shift(self, row: int):
    keep = self._length - self._period
    for column in self._columns:
      column[row, :keep] = column[row, self._period:]
    self._positions[row] = keep

  def _write(self, row: int):
    # The Step's leaves go in flat, in tree.flatten order: Reverb stores and
    # checks columns by their flat index against the table's signature, so
    # the item is the one the Step nest gives, without packing and
    # flattening the nest again on every write (the actor's main thread: 36
    # against 43 us per env step, measured).
    self._writer.append([column[row].copy() for column in self._columns])
    if self._history is None:
      self._history = tree.flatten(self._writer.history)
    item = [column[-1] for column in self._history]
    self._writer.create_item(self._table, priority=1.0, trajectory=item)
    if self._replay_table is not None:
      self._writer.create_item(self._replay_table, priority=1.0,
                               trajectory=item)
    self.num_items += 1

  def reset(self, index: int):
    self._positions[index] = 0

  def flush(self, timeout_ms: Optional[int] = None):
    self._writer.flush(0, timeout_ms=timeout_ms)

  def close(self):
    self._writer.close()
