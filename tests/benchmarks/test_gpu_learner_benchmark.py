"""benchmarks/gpu_learner.py on CPU: a tiny batch, its one JSON line."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def test_gpu_learner_benchmark_times_the_large_resnet_learner():
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', PYTHONPATH=ROOT,
             CUDA_VISIBLE_DEVICES='')
  process = subprocess.run(
      [sys.executable, '-m', 'benchmarks.gpu_learner',
       '--batch_size=2', '--unroll=3', '--window_seconds=0.5', '--repeats=1'],
      env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
  assert process.returncode == 0, process.stderr[-3000:]
  result = json.loads(process.stdout.strip().splitlines()[-1])
  assert result['device'] == 'CPU only' and result['network'] == 'large_impala'
  assert result['gpu_utilisation'] is None
  # An update consumes batch_size x unroll env steps.
  assert result['env_steps_per_second'] == pytest.approx(
      2 * 3 / result['seconds_per_update'])
