"""A program under local_mt, run twice on a ram:// run directory (TF's
in-memory filesystem, as gs:// would be): what it writes, and how it resumes."""

import json
import os
import subprocess
import sys

import pytest

import program_utils as pu


@pytest.mark.timeout(480)
def test_local_mt_program_writes_and_resumes_from_a_ram_run_dir(tmp_path):
  out = subprocess.run(
      [sys.executable,
       os.path.join(pu.ROOT, 'tests', 'ram_run_dir_program.py')],
      capture_output=True, text=True, env=pu.launcher_env(), cwd=tmp_path,
      timeout=450, check=False)
  assert out.returncode == 0, out.stderr[-3000:]
  report = json.loads(out.stdout.strip().splitlines()[-1])
  first, second = report['first'], report['second']
  assert first['files'] == ['checkpoints', 'logs', 'pids', 'tb']
  assert first['checkpoints'] == ['counter', 'learner']
  assert max(first['actor_steps']) >= 4_000 - 8 * 60
  assert first['learner_steps'] >= 5
  # The relaunch restored the counter: its actor counted on from the first
  # run's steps.
  assert second['actor_steps']
  assert min(second['actor_steps']) >= 0.9 * max(first['actor_steps'])
  # And the learner: its own step count is the total the counter saw over
  # both runs, not the second run's share (which is short of it by the first
  # run's steps).
  counted = second['counted_learner_steps']
  assert second['learner_steps'] >= counted - first['learner_steps'] / 2
  assert not os.listdir(tmp_path)  # Nothing went to a local 'ram:' folder.
