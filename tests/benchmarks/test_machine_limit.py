"""benchmarks/machine_limit.py on the default config, whose learner replays."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def test_machine_limit_counts_the_distillation_replay_of_the_default_config():
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', PYTHONPATH=ROOT)
  process = subprocess.run(
      [sys.executable, '-m', 'benchmarks.machine_limit',
       '--seconds=0.2', '--config.agent.batch_size=2',
       '--config.agent.sequence_length=4'],
      env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
  assert process.returncode == 0, process.stderr[-3000:]
  result = json.loads(process.stdout.strip().splitlines()[-1])
  cost = (1 / result['env_steps_per_second_per_core'] +
          1 / result['learner_env_steps_per_second_per_core'])
  assert result['limit'] == pytest.approx(result['cores'] / cost)
