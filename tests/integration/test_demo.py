"""`make demo`'s script end to end under local_mp: progress, table, curve."""

import json
import os
import re

import numpy as np
import pytest

from acme_kickstart.analysis import curves
from acme_kickstart.environments import minatar
import program_utils as pu


@pytest.mark.timeout(400)
def test_demo_under_local_mp_prints_progress_and_the_per_game_table(tmp_path):
  teachers = pu.write_teachers(tmp_path / 'teachers')
  reference = {g: 2.0 * (i + 1) for i, g in enumerate(minatar.GAMES)}
  config = pu.write_config(tmp_path / 'config.py', tmp_path / 'unused', teachers,
                           reference_scores=reference)
  run_dir = tmp_path / 'demo'
  os.makedirs(run_dir / 'old_file_marker')  # a previous run: kept, moved aside
  log = str(tmp_path / 'log.txt')
  process = pu.launch_script('demo', config, 'local_mp', log,
                             f'--config.run.run_dir={run_dir}',
                             '--config.run.max_env_steps=16000',
                             '--final_episodes=3', '--progress_seconds=2')
  try:
    assert process.wait(timeout=360) == 0, pu._tail(log)  # pylint: disable=protected-access
  finally:
    pu.kill_program(process)
  output = open(log).read()
  assert 'Moved the previous demo run to' in output
  assert [d for d in os.listdir(tmp_path) if d.startswith('demo.')]
  assert '[demo ' in output and 'env steps' in output  # progress lines
  table = output[output.index('normalised: 0% = random'):]
  for game in minatar.GAMES:
    assert game in table
  png = run_dir / 'learning_curve.png'
  assert png.exists() and str(png) in output
  # lambda_k of the demo's schedule (the config's: constant) over env steps.
  lambdas = run_dir / 'lambdas.png'
  assert lambdas.exists() and str(lambdas) in output
  curve = curves.read_curve(str(run_dir), minatar.GAMES)
  assert len(curve) >= 2
  # The budget is the program's: whichever actor's count crossed it stopped
  # it, and the other may have logged last just before (counts are global).
  actors = [r for i in range(2) for r in pu.read_csv(run_dir, f'actor_{i}')]
  assert max(float(r['actor_steps']) for r in actors) >= 16000
  saved = json.load(open(run_dir / 'results.json'))
  assert re.fullmatch(r'[0-9a-f]{40}(\+dirty)?', saved['git_commit'])
  # The table's student column: the last checkpoint, 3 episodes per game.
  final = saved['final_evaluation']
  assert final['episodes_per_game'] == 3 and final['learner_env_steps'] > 0
  assert f"After {final['learner_env_steps']:,} env steps trained on" in output
  for game in minatar.GAMES:
    assert len(final['returns'][game]) == 3
    expected = float(np.mean(final['returns'][game]))
    assert f'{expected:>9.2f}' in table
    assert saved['student'][game] == pytest.approx(expected)
    assert saved['teacher'][game] == reference[game]
    random = minatar.make_suite().random_score(game)
    assert saved['normalised'][game] == pytest.approx(
        100 * (expected - random) / (reference[game] - random))
