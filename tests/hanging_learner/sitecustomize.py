"""Every process started with this folder on PYTHONPATH (a launcher and its
local_mp nodes) gets a learner whose step in flight at the stop never returns,
as one waiting for a batch when the replay server stops (Reverb retries an
unavailable server without end).

The learner's node then falls back on its last resort: after
stopping.STOP_GRACE_SECONDS it saves without the step's lock and exits. In a
local_mp program that must happen within the notice Launchpad gives the
learner's own process, or that process is killed first and the training since
the last periodic checkpoint is lost.
"""

import threading

import acme_kickstart  # pylint: disable=unused-import  # Before TF loads.
import launchpad as lp

from acme_kickstart.agents.kickstarting import learning

_step = learning.KickstartingLearner.step
_stopped = threading.Event()


def _step_that_hangs_once_stopped(self):
  lp.register_stop_handler(_stopped.set)  # A set: registered once.
  result = _step(self)
  # Each step lingers a little, so the stop comes in a step, which then hangs.
  if _stopped.wait(timeout=0.2):
    threading.Event().wait()  # Never returns.
  return result


learning.KickstartingLearner.step = _step_that_hangs_once_stopped
