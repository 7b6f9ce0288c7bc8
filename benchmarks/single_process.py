"""Single-process env steps/s on MinAtar: our agent against acme's stock IMPALA.

Each variant runs in a fresh process for the same wall time (after a warm-up),
on breakout, with the same network and batch shape; every env step is counted at
the environment. Variants: our agent with a teacher, without one, and acme's
`acme.agents.tf.impala.IMPALA` driven by acme's `EnvironmentLoop`. acme's agent
is measured acting alone (its `update`, the learner steps, is off): its learner
does not run in this stack, and with it on, its 12 Reverb streams each holding a
partial batch hang a single process (its upstream test is skipped for that).
Acting alone is an upper bound on acme's rate, so the speedup is conservative.

Last line:
  single_process: kickstart=<steps/s> no_teacher=<steps/s> acme_impala=<steps/s> speedup_vs_acme=<x>
"""

import json
import os
import statistics
import subprocess
import sys
import threading
import time

from absl import app
from absl import flags

flags.DEFINE_float('seconds', 45.0, 'Measured wall time per variant and repeat.')
flags.DEFINE_float('warmup', 15.0, 'Wall time before measuring.')
flags.DEFINE_integer('repeats', 3, 'Repeats; medians are reported.')
flags.DEFINE_string('worker', '', 'Internal: run one variant and print JSON.')
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLAGS = flags.FLAGS

VARIANTS = ('kickstart', 'no_teacher', 'acme_impala')


class StepCounter:
  """Wraps a dm_env and counts its steps across threads."""
  count = 0

  def __init__(self, env):
    self._env = env

  def __getattr__(self, name):
    return getattr(self._env, name)

  def step(self, action):
    StepCounter.count += 1
    return self._env.step(action)


def _worker(variant: str):
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  from acme import specs  # pylint: disable=g-import-not-at-top
  from acme_kickstart.agents.kickstarting import KickstartingAgent
  from acme_kickstart.agents.kickstarting import KickstartingConfig
  from acme_kickstart.environments import minatar
  from acme_kickstart.experiments import single_game
  from acme_kickstart.networks import MinAtarNetwork
  from acme_kickstart.teachers import Teacher

  network = MinAtarNetwork(6, hidden_size=128, lstm_size=64)
  if variant == 'acme_impala':
    import acme  # pylint: disable=g-import-not-at-top
    from acme.agents.tf import impala  # pylint: disable=g-import-not-at-top
    env = StepCounter(minatar.make_environment('breakout', seed=0))
    agent = impala.IMPALA(
        specs.make_environment_spec(env), network, sequence_length=20,
        sequence_period=19, batch_size=16, learning_rate=1e-3,
        entropy_cost=0.01, baseline_cost=0.5)
    # acme's learner step does not run in this stack (a retrace reads Adam
    # slots from a dead graph, then 'Op type not registered
    # vtrace_from_importance_weights_scan_while_cond'), so acme is measured
    # acting alone: an upper bound on its stock single-process rate.
    agent.update = lambda wait=False: None
    loop = acme.EnvironmentLoop(env, agent, logger=_quiet_logger())
    target = loop.run
  else:
    config = KickstartingConfig(batch_size=16, sequence_length=20,
                                num_envs_per_actor=16)
    envs = [StepCounter(e) for e in single_game.make_envs('breakout', 16, 0)]
    teachers = None
    if variant == 'kickstart':
      teacher = single_game.build(MinAtarNetwork(6, hidden_size=128,
                                                 lstm_size=64, name='teacher'))
      teachers = single_game.teacher_set(Teacher.from_module(teacher),
                                         'breakout')
    agent = KickstartingAgent(envs, network, config, minatar.GAMES, teachers)
    target = lambda: agent.run(10**12)

  def measure():
    time.sleep(FLAGS.warmup)
    start_count, start = StepCounter.count, time.time()
    time.sleep(FLAGS.seconds / 2)
    half_count = StepCounter.count
    time.sleep(FLAGS.seconds / 2)
    steps, elapsed = StepCounter.count - start_count, time.time() - start
    print(json.dumps({'variant': variant, 'steps_per_second': steps / elapsed,
                      'second_half_steps': StepCounter.count - half_count}))
    sys.stdout.flush()
    os._exit(0)  # pylint: disable=protected-access

  # acme's EnvironmentLoop installs signal handlers: it runs on the main thread.
  threading.Thread(target=measure, daemon=True).start()
  target()


def _quiet_logger():
  from acme.utils import loggers  # pylint: disable=g-import-not-at-top
  return loggers.NoOpLogger()


def main(_):
  rates = {v: [] for v in VARIANTS}
  for repeat in range(FLAGS.repeats):
    for variant in VARIANTS:
      out = subprocess.run(
          [sys.executable, '-m', 'benchmarks.single_process',
           f'--worker={variant}', f'--seconds={FLAGS.seconds}',
           f'--warmup={FLAGS.warmup}'],
          capture_output=True, text=True, check=True, cwd=ROOT,
          timeout=FLAGS.seconds + FLAGS.warmup + 120)
      result = json.loads(out.stdout.strip().splitlines()[-1])
      rates[variant].append(result['steps_per_second'])
      stalled = ' (stalled)' if result['second_half_steps'] == 0 else ''
      print(f'repeat {repeat}: {variant:<12} '
            f'{result["steps_per_second"]:8.0f} env steps/s{stalled}',
            flush=True)
  median = {v: statistics.median(r) for v, r in rates.items()}
  print(f'single_process: kickstart={median["kickstart"]:.0f} '
        f'no_teacher={median["no_teacher"]:.0f} '
        f'acme_impala={median["acme_impala"]:.0f} '
        f'speedup_vs_acme={median["kickstart"] / median["acme_impala"]:.1f}')


if __name__ == '__main__':
  if any(arg.startswith('--worker=') for arg in sys.argv):
    # Workers run outside absl's app.run: under it, a traced learner step in
    # this one-process harness has failed with TF function-library errors
    # ("Op type not registered ..._while_cond") that the plain path avoids.
    flags.FLAGS(sys.argv)
    _worker(flags.FLAGS.worker)
  app.run(main)
