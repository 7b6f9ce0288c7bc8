"""launch.kickstart from the command line: what it refuses before any node
starts, and the same experiment in one process."""

import os
import subprocess
import sys

import pytest

import acme_snapshots
import program_utils as pu


def _kickstart(*flags, timeout=300):
  return subprocess.run(
      [sys.executable, '-m', 'launch.kickstart', *flags], capture_output=True,
      text=True, env=pu.launcher_env(), cwd=pu.ROOT, timeout=timeout)


def test_the_launcher_names_a_bad_override_and_launches_nothing(tmp_path):
  run_dir = tmp_path / 'never'
  result = _kickstart('--lp_launch_type=local_mt',
                      f'--config.run.run_dir={run_dir}',
                      '--config.agent.distillation_costs=(-1.0,)')
  assert result.returncode != 0
  assert 'distillation_costs must be >= 0' in result.stderr
  assert not run_dir.exists()


def _launch_fails(tmp_path, *flags):
  """launch.kickstart must exit with an error before launching."""
  config = pu.write_config(tmp_path / 'config.py', tmp_path / 'run', {})
  result = _kickstart(f'--config={config}', '--lp_launch_type=local_mt',
                      *flags, timeout=180)
  assert result.returncode != 0
  assert 'Launching' not in result.stdout  # No node started.
  assert not os.path.exists(tmp_path / 'run')
  return result.stderr.strip().splitlines()[-1]


@pytest.mark.timeout(400)
def test_launcher_rejects_bad_teachers_before_any_node_starts(tmp_path):
  corrupt = acme_snapshots.bad_snapshot(tmp_path, 'corrupt')
  error = _launch_fails(tmp_path, f'--teacher=seaquest:{corrupt}')
  assert error.startswith(f"kickstart.py: The teacher of task 'seaquest' "
                          f'({corrupt}): Teacher snapshot')
  assert 'cannot be loaded as a SavedModel' in error
  _, path = acme_snapshots.dqn_snapshot(tmp_path / 'dqn')
  error = _launch_fails(tmp_path, f'--teacher=breakout:{path}',
                        '--teacher_observation_fn=breakout:raw_channels',
                        '--teacher_action_map=breakout:0,1')
  assert error.startswith("kickstart.py: Teacher 'breakout_teacher' for task "
                          f'0 (breakout) from {path} outputs 3 action values, '
                          'but its action map [0, 1] names 2 actions.')
  # An ONNX model that reads another input: the task, the file, what it
  # expects and what the suite gives, in one line.
  onnx = os.path.join(pu.ROOT, 'tests', 'teachers', 'onnx_fixtures',
                      'wrong_shape.onnx')
  error = _launch_fails(tmp_path, f'--teacher=breakout:{onnx}',
                        '--teacher_observation_fn=breakout:pixels')
  assert error.startswith("kickstart.py: Teacher 'breakout_teacher' for task "
                          f"0 (breakout) from {onnx}: the model expects 'obs': "
                          'float32 [batch, 84, 84, 4], and is given float32 '
                          '[batch, 10, 10, 10].')
  # Unknown tasks, missing files and the other ONNX errors:
  # test_teacher_options, test_onnx_teachers and test_program check them
  # without a subprocess.


@pytest.mark.timeout(400)
def test_single_process_runs_the_same_experiment_without_launchpad(tmp_path):
  teachers = pu.write_teachers(tmp_path / 'teachers', ['breakout'])
  run_dir = tmp_path / 'run'
  config = pu.write_config(tmp_path / 'config.py', run_dir, teachers,
                           max_env_steps=600, progress_period_seconds=0.0)
  result = _kickstart(f'--config={config}', '--single_process')
  assert result.returncode == 0, result.stderr[-3000:]
  assert 'Running in this process' in result.stdout
  assert 'Launching' not in result.stdout
  learner = pu.read_csv(run_dir, 'learner')
  assert learner and 'kl/breakout' in learner[0]
  assert not os.path.exists(run_dir / 'checkpoints')  # No program's nodes.
