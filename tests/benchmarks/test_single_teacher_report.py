"""The Table 2 block of the report: students of one small teacher, against
it and against each other, by hand-made scores."""

import numpy as np
import pytest

from benchmarks.kickstarting import markdown
from benchmarks.kickstarting import single_teacher

GAMES = 5


def _scores(level, runs=4, spread=2.0, seed=0):
  """Runs x games of normalised scores around `level`."""
  rng = np.random.default_rng(seed)
  return level + rng.uniform(-spread, spread, size=(runs, GAMES))


def test_the_best_scheduled_student_over_its_teacher_and_table_2():
  scores = {'constant': _scores(40.0), 'linear': _scores(60.0, seed=1),
            'pbt': _scores(55.0, seed=2), 'linear_decay40': _scores(50.0,
                                                                    seed=3),
            'constant_lam2': _scores(45.0, seed=4)}
  out = single_teacher.summarise(scores, teacher=40.0, reps=200)
  over = out['student_over_teacher']
  assert over['variant'] == 'linear'  # Constant is not scheduled.
  assert over['ratio'] == pytest.approx(1.5, abs=0.05)
  assert over['ci'][0] > 1.4 and over['ci'][1] < 1.6
  assert over['paper'] == pytest.approx(60.8 / 39.7)  # The paper's best.
  assert over['candidates'] == ['linear', 'pbt', 'linear_decay40']
  pbt = out['pbt_over_teacher']  # The paper's headline student, fixed.
  assert pbt['variant'] == 'pbt' and pbt['paper'] == pytest.approx(
      56.9 / 39.7)
  assert pbt['ratio'] == pytest.approx(out['table2'][1]['iqm'] / 40.0)
  assert out['linear_beats_constant']['p'] == 1.0
  assert out['pbt_beats_constant']['p'] == 1.0
  rows = out['table2']
  assert [r['variant'] for r in rows] == [
      'linear', 'pbt', 'linear_decay40', 'constant_lam2', 'constant']
  assert rows[-1]['paper'] == 41.2 and rows[-1]['over_teacher'] == (
      pytest.approx(1.0, abs=0.05))
  assert rows[-1]['paper_over_teacher'] == pytest.approx(41.2 / 39.7)
  # Ours: linear > pbt > linear_decay40 > constant_lam2 > constant; the
  # paper's: linear 60.8 > pbt 56.9 > linear_decay40 53.1 > constant 41.2 >
  # constant_lam2 40.8.
  assert single_teacher.order_against_paper(rows) == [
      'linear: ours 1, paper 1', 'pbt: ours 2, paper 2',
      'linear_decay40: ours 3, paper 3', 'constant_lam2: ours 4, paper 5',
      'constant: ours 5, paper 4']


def test_each_row_over_scratch_beside_the_papers_regime():
  scores = {'constant': _scores(40.0), 'linear': _scores(60.0, seed=1)}
  out = single_teacher.summarise(scores, teacher=40.0, reps=100,
                                 scratch=50.0)
  assert out['teacher_over_scratch']['ratio'] == pytest.approx(0.8)
  assert out['teacher_over_scratch']['paper'] == pytest.approx(39.7 / 51.9)
  rows = {r['variant']: r for r in out['table2']}
  assert rows['linear']['over_scratch'] == pytest.approx(
      rows['linear']['iqm'] / 50.0)
  assert rows['linear']['paper_over_scratch'] == pytest.approx(60.8 / 51.9)
  # Without scratch (a report of the small teacher's students alone).
  alone = single_teacher.summarise(scores, teacher=40.0, reps=100)
  assert 'teacher_over_scratch' not in alone
  assert 'over_scratch' not in alone['table2'][0]


def test_the_teachers_score_is_normalised_as_the_students():
  low = {f'g{i}': 0.0 for i in range(GAMES)}
  high = {f'g{i}': 10.0 for i in range(GAMES)}
  returns = {f'g{i}': r for i, r in enumerate([1.0, 2.0, 3.0, 4.0, 9.0])}
  # Normalised 10, 20, 30, 40, 90; rliable's IQM (scipy's trim_mean at 25%)
  # drops one game at each end of five: (20 + 30 + 40) / 3.
  score = single_teacher.teacher_score(returns, list(low), low, high)
  assert score == pytest.approx(30.0)


def test_without_constant_or_a_schedule_those_keys_are_absent():
  out = single_teacher.summarise({'constant': _scores(40.0)}, teacher=40.0,
                                 reps=100)
  assert 'student_over_teacher' not in out
  assert 'pbt_over_teacher' not in out
  assert 'linear_beats_constant' not in out


def test_an_unfinished_table_2_says_how_many_runs_each_variant_has():
  scores = {'constant': _scores(40.0), 'linear': _scores(60.0, runs=2,
                                                          seed=1)}
  block = single_teacher.summarise(scores, teacher=40.0, reps=100)
  block['runs_per_variant'] = {'constant': 4, 'linear': 2}
  text = '\n'.join(markdown.single_teacher(block))
  assert '- Finished runs per variant: constant 4, linear 2.' in text
  assert '| 1.04× |' in text  # The paper's constant over its teacher.
  block['runs_per_variant'] = {'constant': 4, 'linear': 4}
  assert 'Finished runs' not in '\n'.join(markdown.single_teacher(block))
