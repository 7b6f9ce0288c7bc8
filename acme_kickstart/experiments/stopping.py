"""How a worker stops: a flag Launchpad sets, seen between two of its steps.

A Launchpad stop only sets a flag here; each worker sees it between two of its
own steps and, for the learner, saves a last checkpoint in its own thread (the
counter saves every change as it comes). (acme's runtime_terminator instead
saves from the signal handler and raises SystemExit inside the worker's thread,
which never arrives while the thread is blocked in C++, e.g. in a Reverb
sampler, so a program could hang at its end.)

At a program's end Launchpad asks every node to stop at once, and they stop in
no set order: the counter's courier server stops as soon as its node sees the
stop, and so does the learner's once its last step is saved. A courier call to
a server that has stopped never returns (courier's clients wait for it to come
back), so a worker's calls to other nodes go through `StopAwareClient`, which
gives up a short while after the stop, and its Reverb writes give up too
(adders.py): its step then ends with `ProgramStopped`, which ends its loop as
its stop flag does. The learner closes its Reverb streams before its node
returns, so none is open when the replay server stops.
"""

from concurrent import futures
import contextlib
import threading
import time
from typing import Callable, Iterator, Optional

from absl import logging
import courier
import launchpad as lp
from launchpad import context as lp_context

from acme_kickstart.agents.kickstarting.stopping import ProgramStopped


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


# How long a stopped worker's loop may take to see the stop; more means a
# call that never returns (e.g. a batch read from a replay server that has
# stopped: Reverb's sampler retries it without end). A local_mp node's
# process gets Launchpad's default 10 s notice whatever the launcher's
# (launching.py): its process is killed then, so the learner's last-resort
# save must come well before.
STOP_GRACE_SECONDS = 7.0


def run_until_stopped(loop: Callable[[threading.Event], None], name: str,
                      grace_seconds: Optional[float] = None) -> bool:
  """Runs `loop(stop)` in a daemon thread; whether it ended by the grace.

  At a program's end the nodes stop in no set order, and a courier call to a
  node that has stopped (the learner for weights, the counter) waits for it
  forever, unless made through a `StopAwareClient`: such a call raises
  `ProgramStopped` after the stop, and the loop ends on it as on its flag. A
  loop still blocked after `grace_seconds` (a call made otherwise) is left
  behind as a daemon thread, so that it cannot keep Launchpad from stopping
  (after its notice it kills the whole process): the last resort. The
  calling thread stays in Python, where Launchpad's SIGTERM handler runs.
  The loop gets the node's launch context, which Launchpad keeps per thread,
  so that it may call `lp.stop()` itself, and its error is raised here, so
  that a failed worker still fails its node.
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
    except ProgramStopped as e:
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


# How long a call may still wait once the program is stopping: a node that
# still serves answers in milliseconds (the counter's save takes ~15 ms), and
# one that has stopped never does. A live node's answer given up on costs
# nothing but that call (at the end, one count of the counter's).
CALL_SECONDS_AFTER_STOP = 1.0
# How often a waiting call looks at the stop flag.
_POLL_SECONDS = 0.1


class StopAwareClient:
  """A courier client whose calls give up once the program has stopped.

  Each call goes through courier's futures and waits as a plain call does
  (with no deadline) until the program's stop; from then on it waits at most
  `seconds_after_stop` more, then cancels the call and raises
  `ProgramStopped`.
  """

  def __init__(self, client: courier.Client,
               seconds_after_stop: float = CALL_SECONDS_AFTER_STOP):
    self._client = client
    self._seconds_after_stop = seconds_after_stop
    self._stopped = threading.Event()
    lp.register_stop_handler(self._stopped.set)

  def __getattr__(self, method: str):
    if method.startswith('_'):
      raise AttributeError(method)
    call_async = getattr(self._client.futures, method)

    def call(*args, **kwargs):
      return self._result(call_async(*args, **kwargs), method)
    setattr(self, method, call)
    return call

  def _result(self, future: futures.Future, method: str):
    deadline = None
    while True:
      try:
        return future.result(timeout=_POLL_SECONDS)
      except futures.TimeoutError:
        pass
      if self._stopped.is_set():
        now = time.monotonic()
        if deadline is None:
          deadline = now + self._seconds_after_stop
        elif now >= deadline:
          future.cancel()
          raise ProgramStopped(
              f'{method} on {self._client.address}: no answer '
              f'{self._seconds_after_stop:.0f} s after the program stopped.')


def stop_aware(node):
  """`node` (a dereferenced courier handle) as a StopAwareClient; anything
  else (an in-process object: tests, single-process tools) as it is."""
  if isinstance(node, courier.Client):
    return StopAwareClient(node)
  return node
