"""Calls to other nodes that return once the program stops.

At a program's end Launchpad asks every node to stop at once, and they stop in
no set order: the counter's courier server stops as soon as its node sees the
stop, and so does the learner's once its last step is saved. A courier call
to a server that has stopped never returns: courier's clients wait for the
server to come back. A worker's step that makes such a call after the stop
(the learner's step syncing its counts, an actor's weight fetch) then never
ends, its node is left behind (checkpointing.run_until_stopped) and the stop
takes its whole grace. `StopAwareClient` makes such a call raise
`ProgramStopped` instead, a short while after the stop; the worker's loop
ends on it as on its stop flag.
"""

from concurrent import futures
import threading
import time

import courier
import launchpad as lp
import tensorflow as tf


class ProgramStopped(Exception):
  """A call to another node was given up: the program is stopping."""


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


def without_autotune(dataset: tf.data.Dataset) -> tf.data.Dataset:
  """`dataset` without tf.data's autotuning, whose parameters it sets itself.

  An autotuned iterator runs a model thread that waits between two
  optimisations for a period that doubles up to 60 s, and in TF 2.8 deleting
  the iterator waits for that wait to end: a learner closing its Reverb
  streams at a program's end waited 11-60 s (py-spy, gdb: ~Iterator ->
  ~LogicalThreadWrapper, tf_data_model thread in Model::OptimizeLoop). These
  datasets set their parallelism and buffers explicitly, so autotuning had
  nothing to tune.
  """
  options = tf.data.Options()
  options.autotune.enabled = False
  return dataset.with_options(options)
