"""Workers that stop cleanly and checkpoint to the run directory.

A Launchpad stop only sets a flag here; each worker sees it between two of its
own steps and, for the learner and the counter, saves a last checkpoint in its
own thread. (acme's runtime_terminator instead saves from the signal handler
and raises SystemExit inside the worker's thread, which never arrives while the
thread is blocked in C++, e.g. in a Reverb sampler, so a program could hang at
its end.)
"""

import contextlib
import threading
from typing import Iterator

from acme.tf import savers as tf2_savers
from acme.utils import counting
import launchpad as lp


@contextlib.contextmanager
def stop_requested() -> Iterator[threading.Event]:
  """An event set when Launchpad asks this worker to stop."""
  event = threading.Event()
  lp.register_stop_handler(event.set)
  try:
    yield event
  finally:
    lp.unregister_stop_handler(event.set)


def sleep_unless_stopped(seconds: float, stop: threading.Event):
  stop.wait(timeout=seconds)


class CheckpointedCounter:
  """acme's Counter, restored from the run directory and saved periodically."""

  def __init__(self, directory: str, period_minutes: float):
    self._counter = counting.Counter()
    self._period_seconds = 60.0 * period_minutes
    self._checkpointer = tf2_savers.Checkpointer(
        {'counter': self._counter}, directory=directory,
        subdirectory='counter', add_uid=False,
        time_delta_minutes=period_minutes)

  def run(self):
    with stop_requested() as stop:
      while not stop.is_set():
        sleep_unless_stopped(self._period_seconds, stop)
        self._checkpointer.save(force=True)

  def increment(self, **counts):
    return self._counter.increment(**counts)

  def get_counts(self):
    return self._counter.get_counts()


class CheckpointedLearner:
  """Runs a learner's steps; checkpoints its state periodically and at the end.

  Every public method of the learner (get_variables, set_hyperparameters, ...)
  is reachable through this wrapper, so courier clients call them directly.
  """

  def __init__(self, learner, directory: str, period_minutes: float):
    self._learner = learner
    self._checkpointer = tf2_savers.Checkpointer(
        {'learner': learner.state}, directory=directory,
        subdirectory='learner', add_uid=False,
        time_delta_minutes=period_minutes)

  def run(self):
    with stop_requested() as stop:
      while not stop.is_set():
        self._learner.step()
        self._checkpointer.save()
      self._checkpointer.save(force=True)

  def save(self):
    self._checkpointer.save(force=True)

  def __dir__(self):
    return [n for n in dir(self._learner) if not n.startswith('_')] + [
        'run', 'save']

  def __getattr__(self, name):
    return getattr(self._learner, name)
