"""Workers that stop cleanly and checkpoint to the run directory.

A Launchpad stop only sets a flag here; each worker sees it between two of its
own steps and, for the learner, saves a last checkpoint in its own thread (the
counter saves every change as it comes). (acme's runtime_terminator instead
saves from the signal handler and raises SystemExit inside the worker's thread,
which never arrives while the thread is blocked in C++, e.g. in a Reverb
sampler, so a program could hang at its end.)

A worker's calls to other nodes and its Reverb writes give up once the
program has stopped (stopping.py, adders.py): its step then ends with
`stopping.ProgramStopped`, which ends its loop as its stop flag does, and the
learner closes its Reverb streams before its node returns, so none is open
when the replay server stops.
"""

import contextlib
import os
import threading
from typing import Any, Callable, Dict, Iterator, List, Optional

from acme.utils import counting
from absl import logging
import launchpad as lp
from launchpad import context as lp_context
import numpy as np

from acme_kickstart import run_dirs
from acme_kickstart.agents.kickstarting import learning
from acme_kickstart.agents.kickstarting import stopping


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


# How long a stopped worker's loop may take to see the stop, within
# Launchpad's 60 s notice (launching.py); more means a call that never returns.
STOP_GRACE_SECONDS = 20.0


def run_until_stopped(loop: Callable[[threading.Event], None], name: str,
                      grace_seconds: Optional[float] = None) -> bool:
  """Runs `loop(stop)` in a daemon thread; whether it ended by the grace.

  At a program's end the nodes stop in no set order, and a courier call to a
  node that has stopped (the learner for weights, the counter) waits for it
  forever, unless made through a `stopping.StopAwareClient`: such a call
  raises `stopping.ProgramStopped` after the stop, and the loop ends on it as
  on its flag. A loop still blocked after `grace_seconds` (a call made
  otherwise) is left behind as a daemon thread, so that it cannot keep
  Launchpad from stopping (it waits 60 s, then kills the whole runtime): the
  last resort. The calling thread stays in Python, where Launchpad's SIGTERM
  handler runs. The loop gets the node's launch context, which Launchpad keeps
  per thread, so that it may call `lp.stop()` itself, and its error is raised
  here, so that a failed worker still fails its node.
  """
  try:
    launch_context = lp_context.get_context()
  except AssertionError:
    launch_context = None  # Not in a Launchpad node (tests, tools).

  errors = []

  def run_loop(stop: threading.Event):
    if launch_context is not None:
      lp_context.set_context(launch_context)  # Thread-local: lp.stop needs it.
    try:
      loop(stop)
    except stopping.ProgramStopped as e:
      logging.info('%s stopped in its step: %s', name, e)
    except BaseException as e:  # pylint: disable=broad-except
      errors.append(e)  # Raised in the node's thread, where Launchpad sees it.

  with stop_requested() as stop:
    worker = threading.Thread(target=run_loop, args=(stop,), daemon=True)
    worker.start()
    while worker.is_alive() and not stop.is_set():
      worker.join(timeout=1.0)
    grace_seconds = STOP_GRACE_SECONDS if grace_seconds is None else (
        grace_seconds)
    worker.join(timeout=grace_seconds)
    if errors:
      raise errors[0]
    if worker.is_alive():
      logging.warning('%s still waits on a stopped node %.0f s after the stop; '
                      'left behind.', name, grace_seconds)
    return not worker.is_alive()


class CheckpointedCounter:
  """acme's Counter, restored from the run directory; every change saved at once.

  Each `increment` is checkpointed before it returns, and reads see only saved
  counts, so no worker can log a count (its CSV row's `actor_steps`) that a
  relaunch would not restore: after a crash the restored counter is at or past
  every row already written, and the curves of a resumed run go on from there,
  monotone, with no env-step range logged twice. (A periodic save, as before,
  lost up to one period: the next launch then counted those env steps again,
  under rows that overlapped the first launch's.) What a crash can still lose
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
    with stop_requested() as stop:
      stop.wait()

  def increment(self, **counts):
    with self._lock:
      self._counter.increment(**counts)
      self._checkpointer.save(force=True)
      return self._counter.get_counts()

  def get_counts(self):
    with self._lock:
      return self._counter.get_counts()


class LearnerNode:
  """The learner's Launchpad node: trains, checkpoints, serves its state.

  Its methods are what other nodes call through courier: actors and the
  evaluator `get_variables`; PBT reads `get_num_steps`, `has_checkpoint` and
  `get_hyperparameters`, and changes the learner with `set_hyperparameters`
  and, for an exploit, `get_state`/`set_state`, which copy a whole learner
  (network, optimizer state, hyperparameters) between two of its steps.
  Whatever changes the learner's state checkpoints at once, so a restarted
  learner keeps it.
  """

  def __init__(self, learner, directory: str, period_minutes: float,
               max_nonfinite_steps: int = 20,
               stop_grace_seconds: float = STOP_GRACE_SECONDS):
    self._learner = learner
    self._lock = threading.Lock()  # A step, or a state copy, at a time.
    self._max_nonfinite_steps = max_nonfinite_steps
    self._stop_grace_seconds = stop_grace_seconds
    # Set when `run` leaves its training thread behind; that thread must then
    # never save again: in one process launched twice (local_mt), its late
    # save would put this old learner into the next launch's checkpoints.
    self._abandoned = threading.Event()
    self._save_lock = threading.Lock()  # The check and the save, as one.
    self._exit = os._exit  # pylint: disable=protected-access
    self._checkpointer = run_dirs.Checkpointer(
        {'learner': learner.state}, directory=directory,
        subdirectory='learner',
        time_delta_minutes=period_minutes)

  def run(self):
    """Trains until stopped; a last checkpoint on the way out.

    The steps run in a second thread (`run_until_stopped`): a step blocked in
    C++ in the main thread would defer Launchpad's SIGTERM handler forever. At
    a program's end the replay and counter nodes stop too. A step's batch
    waits at most the dataset's timeout, and its counter.increment (through a
    `stopping.StopAwareClient`) raises `ProgramStopped` once the counter no
    longer answers; the step then has applied and saves its update, uncounted.
    Then the learner closes its Reverb streams (its iterators), before the
    replay server stops. A step blocked otherwise is the last resort: after
    `stop_grace_seconds` the learner saves without the lock and, in a process
    of its own, exits.
    Such a step has either not started its update (no batch yet) or finished
    it (it is counting), so the saved weights are whole.
    """
    if run_until_stopped(self._train, 'Learner', self._stop_grace_seconds):
      close = getattr(self._learner, 'close', None)
      if close is not None:
        with self._lock:
          close()
      return
    with self._save_lock:  # Waits out a save the thread has begun.
      self._abandoned.set()
    self._checkpointer.save(force=True)  # Without self._lock: see above.
    if threading.current_thread() is threading.main_thread():
      self._exit(0)  # This process is the learner's own (local_mp, hosts).

  def _train(self, stop: threading.Event):
    failures = 0
    while not stop.is_set():
      with self._lock:
        try:
          self._learner.step()
          failures = 0
        except stopping.ProgramStopped as e:
          # The counter stopped first: this step's update is applied, and
          # saved below; only its count is lost.
          logging.info('Learner: %s', e)
          break
        except learning.NonFiniteLossError as e:
          # The update was not applied; the batch is dropped.
          failures += 1
          logging.error('%s (%d in a row)', e, failures)
          if failures >= self._max_nonfinite_steps:
            logging.error('Stopping the program: %d non-finite losses in a '
                          'row; the last checkpoint holds finite weights.',
                          failures)
            lp.stop()
            return
        self._save_unless_abandoned(force=False)
    with self._lock:
      self._save_unless_abandoned(force=True)

  def _save_unless_abandoned(self, force: bool):
    with self._save_lock:
      if not self._abandoned.is_set():
        self._checkpointer.save(force=force)

  def save(self):
    with self._lock:
      self._checkpointer.save(force=True)

  def has_checkpoint(self) -> bool:
    """Whether this learner's state is on disk (restored or saved)."""
    return self._checkpointer._checkpoint_manager.latest_checkpoint is not None  # pylint: disable=protected-access

  def set_hyperparameters(self, **hyperparameters):
    """The learner's, then a checkpoint at once if they changed: a restart
    must never bring back values that PBT replaced after the last save."""
    with self._lock:
      before = self._learner.get_hyperparameters()
      self._learner.set_hyperparameters(**hyperparameters)
      if self._learner.get_hyperparameters() != before:
        self._checkpointer.save(force=True)

  def get_state(self) -> List[np.ndarray]:
    """Network, optimizer and hyperparameter values, read between two steps."""
    with self._lock:
      return [v.numpy() for v in self._learner.exploit_variables()]

  def set_state(self, values: List[np.ndarray],
                hyperparameters: Optional[Dict[str, Any]] = None):
    """Takes another learner's state (then `hyperparameters`), atomically."""
    with self._lock:
      variables = self._learner.exploit_variables()
      if len(values) != len(variables) or any(
          np.shape(v) != tuple(var.shape) for v, var in zip(values, variables)):
        raise ValueError('set_state got the state of a learner with another '
                         'network or optimizer; exploit needs one architecture.')
      for variable, value in zip(variables, values):
        variable.assign(value)
      if hyperparameters:
        self._learner.set_hyperparameters(**hyperparameters)
      self._checkpointer.save(force=True)

  def get_variables(self, names: List[str]) -> List[List[np.ndarray]]:
    """The latest weights, for actors' and evaluators' variable clients."""
    return self._learner.get_variables(names)

  def get_num_steps(self) -> int:
    return self._learner.get_num_steps()

  def get_hyperparameters(self) -> Dict[str, Any]:
    return self._learner.get_hyperparameters()

  @property
  def learner(self):
    """The wrapped learner (in-process use: tests, single-process tools)."""
    return self._learner
