"""launch.kickstart, with a learner whose every step takes over a second.

The learner's caching counter (acme's counting.Counter) syncs with the
program's counter at most once a second, inside the step. With steps of over
a second every step ends with that courier call, so the step in flight at the
program's stop calls the counter after the counter node has stopped: the
stop that a learner slowed by a loaded machine (1-9 s steps were seen on 2
cores) or by a bigger batch meets at random, made certain. The delay is
LEARNER_STEP_DELAY_SECONDS (default 1.1) in the environment.
"""

import os
import runpy
import time

from acme_kickstart.agents.kickstarting import learning

_DELAY_SECONDS = float(os.environ.get('LEARNER_STEP_DELAY_SECONDS', '1.1'))
_step = learning.KickstartingLearner.step


def _slow_step(self):
  time.sleep(_DELAY_SECONDS)
  return _step(self)


if __name__ == '__main__':
  learning.KickstartingLearner.step = _slow_step
  runpy.run_module('launch.kickstart', run_name='__main__', alter_sys=True)
