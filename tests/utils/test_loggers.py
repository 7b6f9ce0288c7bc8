"""A run directory's CSV logs keep one header through resumes and new keys."""

from acme_kickstart.analysis import curves
from acme_kickstart.analysis import plotting
from acme_kickstart.utils import loggers
from acme_kickstart.utils import run_dirs


def _launch(run_dir, label, rows):
  logger = loggers.CSVLogger(str(run_dir), label)
  for row in rows:
    logger.write(row)
  logger.close()
  return logger.file_path


def test_a_resume_with_more_keys_keeps_every_column_in_place(tmp_path):
  path = _launch(tmp_path, 'learner', [
      {'learner_steps': 1, 'loss': 0.5},
      {'learner_steps': 2, 'loss': 0.25}])
  _launch(tmp_path, 'learner', [
      {'evaluator_episodes': 7, 'learner_steps': 3, 'loss': 0.125},
      {'evaluator_episodes': 8, 'learner_steps': 4, 'loss': 0.0625}])
  rows = run_dirs.read_csv(path)
  assert [r['learner_steps'] for r in rows] == ['1', '2', '3', '4']
  assert [r['loss'] for r in rows] == ['0.5', '0.25', '0.125', '0.0625']
  assert [r['evaluator_episodes'] for r in rows] == ['', '', '7', '8']
  with open(path) as f:
    assert f.read().count('learner_steps') == 1  # One header.


def test_keys_that_appear_within_a_launch_are_kept_too(tmp_path):
  path = _launch(tmp_path, 'learner', [
      {'learner_steps': 1, 'loss': 0.5},
      {'learner_actor_steps': 640, 'learner_steps': 2, 'loss': 0.25},
      {'learner_steps': 3, 'loss': 0.125}])
  rows = run_dirs.read_csv(path)
  assert [r['learner_actor_steps'] for r in rows] == ['', '640', '']
  assert [r['loss'] for r in rows] == ['0.5', '0.25', '0.125']


def test_the_readers_read_a_resumed_runs_logs(tmp_path):
  """plotting's lambda reader and the evaluator curve read the right values
  after a second launch logged counter keys the first did not."""
  first = {'learner_env_steps': 100, 'lambda/breakout': 1.0,
           'score/breakout': 0.1, 'learner_steps': 1, 'loss': 2.0}
  _launch(tmp_path, 'learner', [first])
  _launch(tmp_path, 'learner', [dict(
      first, learner_env_steps=200, learner_steps=2, **{
          'lambda/breakout': 0.5, 'score/breakout': 0.5},
      learner_actor_steps=300, learner_walltime=12.0)])
  lambdas = plotting.read_learner_lambdas(str(tmp_path))
  assert [r['learner_env_steps'] for r in lambdas] == [100.0, 200.0]
  assert [r['lambda/breakout'] for r in lambdas] == [1.0, 0.5]
  assert [r['score/breakout'] for r in lambdas] == [0.1, 0.5]
  _launch(tmp_path, 'evaluator', [{'actor_steps': 10, 'return/breakout': 1.5}])
  _launch(tmp_path, 'evaluator', [{'actor_steps': 20, 'evaluator_episodes': 4,
                                   'return/breakout': 2.5}])
  curve = curves.read_curve(str(tmp_path), ['breakout'])
  assert curve.env_steps.tolist() == [10.0, 20.0]
  assert curve.returns['breakout'].tolist() == [1.5, 2.5]
