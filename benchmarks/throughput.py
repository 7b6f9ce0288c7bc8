"""Env steps/s on MinAtar-5: our Launchpad program against acme's stock IMPALA.

One invocation measures, each for the same wall time after a warm-up:
  (a) acme's `acme.agents.tf.impala.IMPALA` in one process (EnvironmentLoop),
  (b) our program under local_mp with the shipped teachers (configs/minatar5.py),
  (c) the same program with teachers off.
The program's rate is the shared counter's actor_steps over the window (the
queue blocks actors when the learner falls behind, so this is the rate of the
whole system). Repeats run in turn; medians are reported. Last line:

throughput: kickstart=<steps/s> no_teacher=<steps/s> acme_impala=<steps/s> speedup_vs_acme=<x> teacher_overhead=<fraction>
"""

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from absl import app
from absl import flags

from acme_kickstart import results

flags.DEFINE_float('seconds', 60.0, 'Measured wall time per variant.')
flags.DEFINE_float('warmup', 45.0, 'Seconds before measuring (process start-up).')
flags.DEFINE_integer('repeats', 3, 'Repeats per variant; medians are reported.')
flags.DEFINE_string('config', None, 'Program config (default configs/minatar5.py).')
FLAGS = flags.FLAGS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def measure_program(teachers: bool) -> float:
  run_dir = tempfile.mkdtemp(prefix='throughput_')
  command = [sys.executable, os.path.join(ROOT, 'launch', 'kickstart.py'),
             '--lp_launch_type=local_mp', f'--run_dir={run_dir}',
             '--max_env_steps=1000000000', '--terminal=current_terminal']
  if FLAGS.config:
    command.append(f'--config={FLAGS.config}')
  if not teachers:
    command.append('--no_teachers')
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2')
  process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=env, cwd=ROOT,
                             start_new_session=True)
  try:
    time.sleep(FLAGS.warmup)
    start_steps, start = results.actor_steps(run_dir), time.time()
    time.sleep(FLAGS.seconds)
    return (results.actor_steps(run_dir) - start_steps) / (time.time() - start)
  finally:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def measure_acme() -> float:
  script = os.path.join(ROOT, 'benchmarks', 'single_process.py')
  out = subprocess.run(
      [sys.executable, script, '--worker=acme_impala',
       f'--seconds={FLAGS.seconds}', '--warmup=15'],
      capture_output=True, text=True, check=True,
      timeout=FLAGS.seconds + 200)
  return json.loads(out.stdout.strip().splitlines()[-1])['steps_per_second']


def main(_):
  rates = {'kickstart': [], 'no_teacher': [], 'acme_impala': []}
  for repeat in range(FLAGS.repeats):
    for name, measure in (('kickstart', lambda: measure_program(True)),
                          ('no_teacher', lambda: measure_program(False)),
                          ('acme_impala', measure_acme)):
      rates[name].append(measure())
      print(f'repeat {repeat}: {name:<12}{rates[name][-1]:9.0f} env steps/s',
            flush=True)
  med = {name: statistics.median(values) for name, values in rates.items()}
  print(f'throughput: kickstart={med["kickstart"]:.0f} '
        f'no_teacher={med["no_teacher"]:.0f} '
        f'acme_impala={med["acme_impala"]:.0f} '
        f'speedup_vs_acme={med["kickstart"] / med["acme_impala"]:.1f} '
        f'teacher_overhead={1 - med["kickstart"] / med["no_teacher"]:.3f}')


if __name__ == '__main__':
  app.run(main)
