"""Env steps/s on MinAtar-5: our Launchpad program against acme's stock IMPALA.

One invocation measures, each for the same wall time after a warm-up:
  (a) acme's `acme.agents.tf.impala.IMPALA` in one process (EnvironmentLoop),
  (b) our program under local_mp with the shipped teachers (configs/minatar5.py),
  (c) the same program with teachers off.
The program's rate is the shared counter's actor_steps over the window (the
queue blocks actors when the learner falls behind, so this is the rate of the
whole system). Repeats run in turn; medians are reported.

Each repeat also measures this machine's limit for the config
(benchmarks/machine_limit.py: env and learner cost per env step on one core;
limit = cores / (env cost + learner cost)), and samples the program's memory:
the RSS summed over all its processes, every second, and its peak (and the
PSS, which counts shared library pages once). Last line:

throughput: kickstart=<steps/s> no_teacher=<steps/s> acme_impala=<steps/s> speedup_vs_acme=<x> teacher_overhead=<fraction> limit=<steps/s> fraction_of_limit=<kickstart / limit> kickstart_per_cpu_second=<steps> no_teacher_per_cpu_second=<steps> cpu_fraction_of_limit=<fraction> peak_rss_gb=<GB> peak_pss_gb=<GB>

On a machine shared with other work the wall-clock rates depend on the load;
the per-CPU-second rates (env steps / CPU seconds of all the program's nodes
in the window) and cpu_fraction_of_limit (the share of that CPU the env steps
and the learner alone would need) do not, much.
"""

import collections
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from absl import app
from absl import flags
import psutil

from acme_kickstart.analysis import curves

flags.DEFINE_float('seconds', 60.0, 'Measured wall time per variant.')
flags.DEFINE_float('warmup', 20.0, 'Seconds from the first env steps the program '
                   'logs (its start-up done) to the start of the measurement.')
flags.DEFINE_float('startup_timeout', 600.0,
                   'Seconds to wait for the program to log its first env steps.')
flags.DEFINE_integer('repeats', 3, 'Repeats per variant; medians are reported.')
flags.DEFINE_string('config', None, 'Program config (default configs/minatar5.py).')
flags.DEFINE_multi_string(
    'launch_flag', [], 'One more flag for launch/kickstart.py (repeatable), '
    'e.g. --launch_flag=--config.agent.distillation_replay_ratio=0.')
flags.DEFINE_float('limit_seconds', 10.0,
                   'Seconds for each part of the machine-limit measurement.')
flags.DEFINE_bool('quick', False, 'Smoke test: one short repeat.')
flags.DEFINE_string('baseline_root', None,
                    'Instead: compare the default program (teachers on) of '
                    'this repository with that of another checkout (e.g. a '
                    'commit before a change), interleaved.')
flags.DEFINE_list('layouts', [],
                  'Instead: compare process layouts, ACTORSxENVS each (e.g. '
                  '2x32,1x64,1x128), the program with teachers, interleaved.')
FLAGS = flags.FLAGS

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class PeakMemory:
  """Samples the memory of a process and all its descendants, summed.

  RSS counts the pages of shared libraries (TF's ~0.5 GB) once per process;
  PSS (proportional set size) splits each shared page among its processes,
  so its sum is the memory the program really holds. Both peaks are kept.
  """

  def __init__(self, pid: int, period: float = 1.0, pss_every: int = 5):
    self.peak_rss = 0
    self.peak_pss = 0
    self.cores_by_node = {}  # Node group -> CPU cores used while measured.
    self.steps_per_cpu_second = 0.0  # Env steps per CPU second, all nodes.
    self._root = psutil.Process(pid)
    self._period = period
    self._pss_every = pss_every
    self._stop = threading.Event()
    self._thread = threading.Thread(target=self._run, daemon=True)
    self._thread.start()

  def _processes(self):
    try:
      return [self._root] + self._root.children(recursive=True)
    except psutil.NoSuchProcess:
      return []

  def _run(self):
    sample = 0
    while not self._stop.wait(self._period):
      rss = pss = 0
      with_pss = sample % self._pss_every == 0
      for process in self._processes():
        try:
          if with_pss:
            info = process.memory_full_info()
            pss += info.pss
          else:
            info = process.memory_info()
          rss += info.rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
          pass
      self.peak_rss = max(self.peak_rss, rss)
      self.peak_pss = max(self.peak_pss, pss)
      sample += 1

  def stop(self):
    self._stop.set()
    self._thread.join()
    return self


def cpu_seconds_by_node(pid: int) -> dict:
  """CPU seconds (user + system) so far of each Launchpad node under `pid`.

  local_mp runs every node as a child of `decorate_output <colour> <node>`.
  """
  seconds = collections.Counter()
  try:
    processes = psutil.Process(pid).children(recursive=True)
  except psutil.NoSuchProcess:
    return seconds
  for process in processes:
    try:
      parent = process.parent().cmdline()
      if len(parent) > 3 and parent[1].endswith('decorate_output'):
        times = process.cpu_times()
        seconds[parent[3].split('/')[0]] += times.user + times.system
    except (psutil.NoSuchProcess, psutil.AccessDenied, AttributeError):
      pass
  return seconds


# launch/kickstart.py's config fields for what a measurement sets.
_CONFIG_FLAGS = dict(run_dir='config.run.run_dir',
                     max_env_steps='config.run.max_env_steps',
                     num_actors='topology.num_actors',
                     envs_per_actor='config.agent.num_envs_per_actor')


def launch_flags(values: dict) -> dict:
  """`values` as launch/kickstart.py's flags."""
  return {_CONFIG_FLAGS[key]: value for key, value in values.items()}


def measure_program(teachers: bool, extra_flags=(), root: str = ROOT):
  """(env steps/s, PeakMemory) of the program, measured after the warm-up.

  `root`: the repository whose launch/kickstart.py (and default config) runs.
  """
  run_dir = tempfile.mkdtemp(prefix='throughput_')
  command = [sys.executable, '-m', 'launch.kickstart',
             '--lp_launch_type=local_mp', '--terminal=current_terminal']
  command += [f'--{flag}={value}' for flag, value in launch_flags(dict(
      run_dir=run_dir, max_env_steps=1_000_000_000)).items()]
  if FLAGS.config:
    command.append(f'--config={FLAGS.config}')
  if not teachers:
    command.append('--no_teachers')
  command.extend(FLAGS.launch_flag)
  command.extend(extra_flags)
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', PYTHONPATH=root)
  process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=env, cwd=root,
                             start_new_session=True)
  memory = PeakMemory(process.pid)
  try:
    # Start-up (imports, teachers, tracing) takes 30-120 s on a loaded
    # machine: wait for the first logged env steps, then for the warm-up.
    started = time.time()
    while curves.actor_steps(run_dir) == 0:
      if time.time() - started > FLAGS.startup_timeout:
        raise RuntimeError(f'The program logged no env steps in '
                           f'{FLAGS.startup_timeout:.0f} s; see {run_dir}.')
      if process.poll() is not None:
        raise RuntimeError(f'The program exited ({process.returncode}) before '
                           f'its first env steps; see {run_dir}.')
      time.sleep(1.0)
    time.sleep(FLAGS.warmup)
    start_steps, start = curves.actor_steps(run_dir), time.time()
    cpu_start = cpu_seconds_by_node(process.pid)
    time.sleep(FLAGS.seconds)
    elapsed = time.time() - start
    rate = (curves.actor_steps(run_dir) - start_steps) / elapsed
    cpu = cpu_seconds_by_node(process.pid)
    memory.cores_by_node = {node: (cpu[node] - cpu_start[node]) / elapsed
                            for node in sorted(cpu)}
    memory.steps_per_cpu_second = rate / max(
        sum(memory.cores_by_node.values()), 1e-9)
    return rate, memory.stop()
  finally:
    memory.stop()
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def measure_limit() -> float:
  """This machine's env steps/s limit for the config (machine_limit.py)."""
  command = [sys.executable, '-m', 'benchmarks.machine_limit',
             f'--seconds={FLAGS.limit_seconds}']
  if FLAGS.config:
    command.append(f'--config={FLAGS.config}')
  # The program's config overrides change the limit too (e.g. the replay).
  command.extend(f for f in FLAGS.launch_flag if f.startswith('--config.'))
  out = subprocess.run(command, capture_output=True, text=True, check=True,
                       timeout=20 * FLAGS.limit_seconds + 300, cwd=ROOT)
  return json.loads(out.stdout.strip().splitlines()[-1])


def measure_acme() -> float:
  out = subprocess.run(
      [sys.executable, '-m', 'benchmarks.single_process',
       '--worker=acme_impala', f'--seconds={FLAGS.seconds}', '--warmup=15'],
      capture_output=True, text=True, check=True,
      timeout=FLAGS.seconds + 200, cwd=ROOT)
  return json.loads(out.stdout.strip().splitlines()[-1])['steps_per_second']


def compare_layouts():
  rates = {layout: [] for layout in FLAGS.layouts}
  for repeat in range(FLAGS.repeats):
    for layout in FLAGS.layouts:
      actors, envs = layout.split('x')
      rate, peak = measure_program(True, [
          f'--{flag}={value}' for flag, value in launch_flags(dict(
              num_actors=int(actors), envs_per_actor=int(envs))).items()])
      rates[layout].append(rate)
      print(f'repeat {repeat}: {layout:<8}{rate:9.0f} env steps/s, peak RSS '
            f'{peak.peak_rss / 1e9:.2f} GB', flush=True)
  print('layouts: ' + ' '.join(f'{layout}={statistics.median(values):.0f}'
                               for layout, values in rates.items()))


def compare_with_baseline():
  roots = {'baseline': os.path.abspath(FLAGS.baseline_root), 'this': ROOT}
  rates = {name: [] for name in roots}
  per_cpu = {name: [] for name in roots}
  for repeat in range(FLAGS.repeats):
    for name, root in roots.items():
      rate, peak = measure_program(True, root=root)
      rates[name].append(rate)
      per_cpu[name].append(peak.steps_per_cpu_second)
      print(f'repeat {repeat}: {name:<9}{rate:9.0f} env steps/s, '
            f'{peak.steps_per_cpu_second:.0f} per CPU second, peak RSS '
            f'{peak.peak_rss / 1e9:.2f} GB ({root})', flush=True)
  med = {name: statistics.median(values) for name, values in rates.items()}
  cpu = {name: statistics.median(values) for name, values in per_cpu.items()}
  print(f'baseline: this={med["this"]:.0f} baseline={med["baseline"]:.0f} '
        f'this_per_cpu_second={cpu["this"]:.0f} '
        f'baseline_per_cpu_second={cpu["baseline"]:.0f} '
        f'speedup={med["this"] / med["baseline"]:.2f} '
        f'speedup_per_cpu_second={cpu["this"] / cpu["baseline"]:.2f}')


def main(_):
  if FLAGS.baseline_root:
    compare_with_baseline()
    return
  if FLAGS.layouts:
    compare_layouts()
    return
  if FLAGS.quick:
    FLAGS.seconds, FLAGS.warmup, FLAGS.repeats = 15.0, 10.0, 1
    FLAGS.limit_seconds = 3.0
  rates = {'kickstart': [], 'no_teacher': [], 'acme_impala': [], 'limit': [],
           'kickstart_cpu': [], 'no_teacher_cpu': [], 'efficiency': []}
  memory = []
  for repeat in range(FLAGS.repeats):
    for name in ('kickstart', 'no_teacher'):
      rate, peak = measure_program(teachers=name == 'kickstart')
      rates[name].append(rate)
      rates[f'{name}_cpu'].append(peak.steps_per_cpu_second)
      if name == 'kickstart':
        memory.append(peak)
      print(f'repeat {repeat}: {name:<12}{rate:9.0f} env steps/s, peak '
            f'RSS {peak.peak_rss / 1e9:.2f} GB, PSS {peak.peak_pss / 1e9:.2f} '
            'GB (all processes); cores used: ' + ' '.join(
                f'{node} {cores:.2f}'
                for node, cores in peak.cores_by_node.items()) +
            f'; {peak.steps_per_cpu_second:.0f} env steps per CPU second',
            flush=True)
    rates['acme_impala'].append(measure_acme())
    print(f'repeat {repeat}: acme_impala {rates["acme_impala"][-1]:9.0f} '
          'env steps/s', flush=True)
    limit = measure_limit()
    rates['limit'].append(limit['limit'])
    # The share of the program's CPU that env steps and learning alone need.
    rates['efficiency'].append(rates['kickstart_cpu'][-1] *
                               limit['seconds_per_env_step'])
    print(f'repeat {repeat}: limit {limit["limit"]:9.0f} env steps/s '
          f'(env {limit["env_steps_per_second_per_core"]:.0f}/s and learner '
          f'{limit["learner_env_steps_per_second_per_core"]:.0f}/s per core, '
          f'{limit["cores"]} cores)', flush=True)
  med = {name: statistics.median(values) for name, values in rates.items()}
  print(f'throughput: kickstart={med["kickstart"]:.0f} '
        f'no_teacher={med["no_teacher"]:.0f} '
        f'acme_impala={med["acme_impala"]:.0f} '
        f'speedup_vs_acme={med["kickstart"] / med["acme_impala"]:.1f} '
        f'teacher_overhead={1 - med["kickstart"] / med["no_teacher"]:.3f} '
        f'limit={med["limit"]:.0f} '
        f'fraction_of_limit={med["kickstart"] / med["limit"]:.2f} '
        f'kickstart_per_cpu_second={med["kickstart_cpu"]:.0f} '
        f'no_teacher_per_cpu_second={med["no_teacher_cpu"]:.0f} '
        f'cpu_fraction_of_limit={med["efficiency"]:.2f} '
        f'peak_rss_gb={max(m.peak_rss for m in memory) / 1e9:.2f} '
        f'peak_pss_gb={max(m.peak_pss for m in memory) / 1e9:.2f}')


if __name__ == '__main__':
  app.run(main)
