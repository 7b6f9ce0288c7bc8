"""One real, tiny run of the kickstarting benchmark: a local_mp program, its
final evaluation from the last checkpoint, and the report. The run is the
shipped small teacher's gated student: that teacher loads on every game, the
gate reads its levels, and a report of its students alone has their block."""

import json
import os
import subprocess
import sys

from acme_kickstart.analysis import curves
from acme_kickstart.environments import minatar
from benchmarks.kickstarting import records

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
TASKS = list(minatar.GAMES)


def _benchmark(*flags):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', PYTHONPATH=ROOT)
  return subprocess.run(
      [sys.executable, '-m', 'benchmarks.kickstarting.run', *flags], env=env,
      cwd=ROOT, capture_output=True, text=True, timeout=500)


def test_one_real_tiny_run_end_to_end(tmp_path):
  """A real local_mp run (8k env steps), its final evaluation from the last
  checkpoint, the report and the run's records; a second invocation
  relaunches nothing."""
  flags = [f'--run_dir={tmp_path / "runs"}', f'--output={tmp_path / "out"}',
           '--variants=small_gated', '--seeds=1', '--budget=8000',
           '--final_episodes=2', '--bootstrap_reps=100',
           f'--records_to={tmp_path / "records"}']
  first = _benchmark(*flags)
  assert first.returncode == 0, first.stderr[-3000:]
  run_dir = tmp_path / 'runs' / 'small_gated' / 'seed_100'
  with open(run_dir / records.FINAL_EVAL) as f:
    final = json.load(f)
  assert all(len(final['returns'][t]) == 2 for t in TASKS)
  assert final['learner_env_steps'] > 0
  with open(run_dir / records.DONE) as f:
    done = json.load(f)
  assert done['env_steps'][0] >= 8_000 and done['machine']['cpu_count']
  assert done['single_teacher'] == os.path.join('teachers', 'minatar5_small')
  with open(tmp_path / 'out' / 'kickstarting.json') as f:
    report = json.load(f)
  assert report['git_commit'] == done['git_commit']
  block = report['single_teacher']
  assert block['seeds'] == [100] and block['table2'][0]['variant'] == 'gated'
  assert block['teacher_score'] > 0 and not report['variants']
  # The learner's gate ran against the small teacher's levels.
  with open(run_dir / 'logs' / 'learner' / 'logs.csv') as f:
    header = f.readline()
  assert 'gate/breakout' in header, header
  assert os.path.exists(curves.evaluator_csv(
      str(tmp_path / 'records' / 'small_gated' / 'seed_100')))
  second = _benchmark(*flags)
  assert second.returncode == 0, second.stderr[-3000:]
  assert '== small_gated' not in second.stdout
  with open(run_dir / records.DONE) as f:
    assert json.load(f) == done
