"""How a worker stops: a flag Launchpad sets, seen between two of its steps.

A Launchpad stop only sets a flag here; each worker sees it between two of its
own steps and, for the learner, saves a last checkpoint in its own thread (the
counter saves every change as it comes). (acme's runtime_terminator instead
saves from the signal handler and raises SystemExit inside the worker's thread,
which never arrives while the thread is blocked in C++, e.g. in a Reverb
sampler, so a program could hang at its end.)
"""

import contextlib
import threading
from typing import Callable, Iterator, Optional

from absl import logging
import launchpad as lp
from launchpad import context as lp_context


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
  forever. The loop then never sees its stop flag; left as a daemon thread, it
  cannot keep Launchpad from stopping (it waits 60 s, then kills the whole
  runtime). The calling thread stays in Python, where Launchpad's SIGTERM
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
