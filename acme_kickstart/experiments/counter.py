"""The program's shared counter, checkpointed in the run directory."""

import threading

from acme.utils import counting

from acme_kickstart.experiments import stopping
from acme_kickstart.utils import run_dirs


class CheckpointedCounter:
  """acme's Counter, restored from the run directory; every change saved at once.

  Each `increment` is checkpointed before it returns, and reads see only saved
  counts, so no worker can log a count (its CSV row's `actor_steps`) that a
  relaunch would not restore: after a crash the restored counter is at or past
  every row already written, and the curves of a resumed run go on from there,
  monotone, with no env-step range logged twice. (A periodic save would lose
  up to one period: the next launch would count those env steps again, under
  rows that overlap the first launch's.) What a crash can still lose
  is what a worker had not yet reported (an actor's steps since its last
  row), which no row shows either.

  Saves are small (~15 ms) and rare: actors report once per progress period,
  and the learner's and evaluator's caching counters sync at most once a
  second. `launches` counts the launches of this run directory (1 for the
  first): workers mix it into their seeds, so a resumed run does not replay the
  first launch's environments.
  """

  def __init__(self, directory: str):
    self._counter = counting.Counter()
    self._lock = threading.Lock()  # An increment and its save, at a time.
    self._checkpointer = run_dirs.Checkpointer(
        {'counter': self._counter}, directory=directory,
        subdirectory='counter', time_delta_minutes=0.)  # Saves are forced.
    self.increment(launches=1)

  def run(self):
    """Nothing to do in the background: every change is saved as it comes."""
    with stopping.stop_requested() as stop:
      stop.wait()

  def increment(self, **counts):
    with self._lock:
      self._counter.increment(**counts)
      self._checkpointer.save(force=True)
      return self._counter.get_counts()

  def get_counts(self):
    with self._lock:
      return self._counter.get_counts()
