"""A real local_mp program with the gated lambda schedule: lambda falls, and
the learner logs a 'surpassed' event when the student passes a teacher."""

import csv
import os

import pytest

from acme_kickstart.analysis import plotting

from acme_kickstart.agents.kickstarting.schedules import LambdaSchedule
from acme_kickstart.environments import minatar
import program_utils as pu


@pytest.mark.timeout(300)
def test_local_mp_gated_lambda_falls_and_logs_surpassed(tmp_path):
  teachers = pu.write_teachers(tmp_path / 'teachers')
  run_dir = tmp_path / 'run'
  # Weak teachers: each reference is a hair above random play, which a
  # near-uniform untrained student reaches on some game within a few episodes
  # (a short moving-average window makes its score swing).
  suite = minatar.make_suite()
  weak = {game: suite.random_score(game) + 0.01 for game in minatar.GAMES}
  config = pu.write_config(
      tmp_path / 'config.py', run_dir, teachers, max_env_steps=10**9,
      reference_scores=weak, agent_fields=dict(
          distillation_schedule=LambdaSchedule('gated',
                                               score_window_episodes=2.0)))
  log = str(tmp_path / 'log.txt')
  process = pu.launch(config, 'local_mp', log)

  def fallen_games():
    rows = pu.read_csv(run_dir, 'learner')
    return [g for g in minatar.GAMES
            if rows and float(rows[0][f'lambda/{g}']) == 1.0 and
            any(float(r[f'lambda/{g}']) < 1.0 for r in rows)]

  def surpassed_game_fell():
    # The row that first shows a shut gate still logs the lambda its step
    # used (1.0): wait for the surpassed game's own lambda to fall.
    events = pu.read_csv(run_dir, 'events')
    return events and events[0]['task'] in fallen_games()

  try:
    pu.wait_for(surpassed_game_fell, 240,
                "a 'surpassed' event and that game's lambda falling", process,
                log)
  finally:
    pu.kill_program(process)
  events = pu.read_csv(run_dir, 'events')
  assert events[0]['event'] == 'surpassed'
  assert events[0]['task'] in minatar.GAMES
  assert float(events[0]['score']) >= 1.0
  rows = pu.read_csv(run_dir, 'learner')
  game = events[0]['task']
  # After the crossing, that game's gate is shut for a while: lambda 0.
  assert any(float(r[f'gate/{game}']) == 0.0 for r in rows)
  # plotting draws lambda_k of any run from its learner CSV.
  png = plotting.plot_learner_lambdas(str(run_dir))
  assert os.path.getsize(png) > 10_000
  table = plotting.write_learner_lambdas_csv(str(run_dir),
                                             str(tmp_path / 'lambdas.csv'))
  with open(table) as f:
    written = list(csv.DictReader(f))
  assert {f'lambda/{game}', f'gate/{game}', f'score/{game}',
          'learner_env_steps'} <= set(written[0])
  assert min(float(r[f'lambda/{game}']) for r in written) < 1.0
