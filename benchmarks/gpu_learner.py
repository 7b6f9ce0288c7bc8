"""The learner on a GPU: the large IMPALA ResNet on Procgen-shaped batches.

  python -m benchmarks.gpu_learner                   # batch 32, unroll 100
  python -m benchmarks.gpu_learner --batch_size=2 --unroll=4 --window_seconds=1

Times the program's own learner (KickstartingBuilder.make_learner, the
kickstarting loss with five tasks' teacher logits) on a synthetic full batch
of the Procgen suite's signature (64x64x3 frames, 15 actions), fed through a
tf.data pipeline as the Reverb dataset is. Every row is a real transition, so
one update consumes batch_size * unroll env steps. Prints one JSON line: the
device, the median wall time per update over --repeats timed windows, the env
steps consumed per second, and the GPU's share of the time (nvidia-smi's
utilisation sampled every 0.1 s while the timed updates run; null without a
GPU). CUDA 11 libraries must be importable for TF 2.8 to see a GPU: see the
README's "The learner on a GPU".
"""

import json
import os
import statistics
import subprocess
import sys
import threading
import time

from absl import flags

flags.DEFINE_integer('batch_size', 32, 'Sequences per update.')
flags.DEFINE_integer('unroll', 100, 'Transitions per sequence (T - 1).')
flags.DEFINE_string('network', 'large_impala', 'networks.BY_NAME key.')
flags.DEFINE_float('window_seconds', 20.0, 'Timed wall seconds per repeat.')
flags.DEFINE_integer('repeats', 3, 'Timed windows; the median is reported.')
FLAGS = flags.FLAGS


def experiment():
  """A five-game Procgen student with teachers' logits in every batch."""
  from acme_kickstart.agents.kickstarting.config import KickstartingConfig  # pylint: disable=g-import-not-at-top
  from acme_kickstart.experiments.config import ExperimentConfig  # pylint: disable=g-import-not-at-top
  return ExperimentConfig(
      agent=KickstartingConfig(batch_size=FLAGS.batch_size,
                               sequence_length=FLAGS.unroll + 1,
                               distillation_costs=(1.0,)),
      suite='procgen', network=FLAGS.network)


class GpuUtilisation:
  """nvidia-smi's utilisation.gpu, sampled in a thread while timing."""

  def __init__(self, period: float = 0.1):
    self._period, self._samples = period, []
    self._stop = threading.Event()
    self._thread = threading.Thread(target=self._sample, daemon=True)

  def _query(self):
    try:
      out = subprocess.run(
          ['nvidia-smi', '--query-gpu=utilization.gpu',
           '--format=csv,noheader,nounits'],
          capture_output=True, text=True, timeout=5, check=True).stdout
      return float(out.split()[0])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
      return None

  def _sample(self):
    while not self._stop.wait(self._period):
      value = self._query()
      if value is not None:
        self._samples.append(value)

  def __enter__(self):
    self._thread.start()
    return self

  def __exit__(self, *exc):
    self._stop.set()
    self._thread.join()

  @property
  def mean_fraction(self):
    return (statistics.mean(self._samples) / 100.0 if self._samples
            else None)


def measure() -> dict:
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from benchmarks import machine_limit  # pylint: disable=g-import-not-at-top
  config = experiment()
  learner, _ = machine_limit.learner_on_synthetic_batch(config)
  for _ in range(2):  # Trace and warm up.
    learner.step()
  env_steps_per_update = FLAGS.batch_size * FLAGS.unroll
  seconds_per_update, utilisation = [], []
  for _ in range(FLAGS.repeats):
    with GpuUtilisation() as gpu:
      updates, start = 0, time.perf_counter()
      while time.perf_counter() - start < FLAGS.window_seconds or updates < 2:
        learner.step()
        updates += 1
      elapsed = time.perf_counter() - start
    seconds_per_update.append(elapsed / updates)
    utilisation.append(gpu.mean_fraction)
  gpus = tf.config.list_physical_devices('GPU')
  median = statistics.median(seconds_per_update)
  shares = [u for u in utilisation if u is not None]
  return {
      'device': (tf.config.experimental.get_device_details(gpus[0]).get(
          'device_name', 'GPU') if gpus else 'CPU only'),
      'network': FLAGS.network, 'batch_size': FLAGS.batch_size,
      'unroll': FLAGS.unroll, 'repeats': FLAGS.repeats,
      'seconds_per_update': median,
      'env_steps_per_second': env_steps_per_update / median,
      'gpu_utilisation': statistics.median(shares) if shares else None,
      'command': ' '.join(['python', '-m', 'benchmarks.gpu_learner'] +
                          sys.argv[1:])}


def main():
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  print(json.dumps(measure()), flush=True)


if __name__ == '__main__':
  # Not under absl's app.run, as machine_limit.py (traced-step op registry).
  FLAGS(sys.argv)
  main()
