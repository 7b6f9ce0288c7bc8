"""Suite scores (Suite.task_scores, Suite.score) against hand-computed values,
and base.normalised_score, the one formula behind them."""

import numpy as np
import pytest

from acme_kickstart.environments import base
from acme_kickstart.environments import dmlab30
from acme_kickstart.environments import get_suite
from acme_kickstart.environments import procgen


def test_normalised_score_is_0_at_low_100_at_high_elementwise_and_capped():
  assert base.normalised_score(5.0, 0.0, 10.0) == 50.0
  assert isinstance(base.normalised_score(5.0, 0.0, 10.0), float)
  np.testing.assert_allclose(
      base.normalised_score([-10.0, 0.0, 10.0, 30.0], 0.0, 10.0),
      [-100.0, 0.0, 100.0, 300.0])
  np.testing.assert_allclose(
      base.normalised_score(np.array([5.0, 30.0]), 0.0, 10.0, cap=150.0),
      [50.0, 150.0])
  with pytest.raises(ValueError, match="Task 'pong': the high score 1.0"):
    base.normalised_score(1.0, 1.0, 1.0, task='pong')
  # Procgen's paper reports the same score as a fraction.
  assert procgen.normalized_return('coinrun', 7.5) == 0.5


def _dmlab_returns():
  """Human returns on 27 levels (100 each) plus three hand-picked levels."""
  returns = {}
  for level in dmlab30.LEVELS:
    returns[level] = [dmlab30.HUMAN_SCORES[dmlab30.scoring_level(level)]]
  # rooms_watermaze: random 4.065, human 54; mean of [4.065, 54] = 29.0325,
  # 100 * (29.0325 - 4.065) / (54 - 4.065) = 50.
  returns['rooms_watermaze'] = [4.065, 54.0]
  # language_select_described_object: random -0.07, human 389.5;
  # 100 * (779.07 + 0.07) / (389.5 + 0.07) = 200 (100 when capped).
  returns['language_select_described_object'] = [779.07]
  # Trained on _train, scored on _test: random 0.073 -> 0.
  returns['rooms_collect_good_objects_train'] = [0.073, 0.073]
  return returns


def test_dmlab30_scores_are_human_normalised_capped_or_not():
  suite = get_suite('dmlab30')
  returns = _dmlab_returns()
  per_level = suite.task_scores(returns)
  assert len(per_level) == 30
  assert per_level['rooms_watermaze'] == pytest.approx(50.0)
  assert per_level['language_select_described_object'] == pytest.approx(200.0)
  assert per_level['rooms_collect_good_objects_test'] == pytest.approx(0.0)
  assert 'rooms_collect_good_objects_train' not in per_level
  # (27 * 100 + 50 + 100 + 0) / 30 = 95 capped (IMPALA's score);
  # (27 * 100 + 50 + 200) / 30 uncapped.
  assert suite.score(returns, cap=100.0) == pytest.approx(95.0)
  assert suite.score(returns) == pytest.approx(2950.0 / 30.0)
  # Cap 50: 29 levels at 50 (watermaze exactly), rooms_collect at 0.
  assert suite.score(returns, cap=50.0) == pytest.approx(29 * 50.0 / 30.0)
  # The teachers' reference scores (the gate's) do not change DMLab's score.
  assert suite.score(returns, {'rooms_watermaze': 1.0}) == pytest.approx(
      2950.0 / 30.0)


def test_dmlab30_accepts_test_names_and_rejects_bad_input():
  suite = get_suite('dmlab30')
  returns = _dmlab_returns()
  renamed = dict(returns)
  renamed['rooms_collect_good_objects_test'] = renamed.pop(
      'rooms_collect_good_objects_train')
  assert suite.score(renamed, cap=100.0) == pytest.approx(95.0)
  twice = dict(returns, rooms_collect_good_objects_test=[1.0])
  with pytest.raises(ValueError, match='given twice'):
    suite.score(twice)
  empty = dict(returns, rooms_watermaze=[])
  with pytest.raises(ValueError, match='no episode returns'):
    suite.score(empty)
  with pytest.raises(ValueError, match='Unknown DMLab-30 level'):
    suite.score(dict(returns, lt_chasm=[1.0]))


def test_minatar_score_is_between_random_and_the_callers_reference():
  suite = get_suite('minatar5')
  # breakout: 100 * (5.245 - 0.49) / (10 - 0.49) = 50; freeway: 100 * (20.155
  # - 0.155) / (10.155 - 0.155) = 200, capped at 150. Asterix has no reference.
  returns = {'breakout': [0.49, 10.0], 'freeway': [20.155],
             'asterix': [100.0]}
  reference = {'breakout': 10.0, 'freeway': 10.155}
  assert suite.task_scores(returns, reference, cap=150.0) == pytest.approx(
      {'breakout': 50.0, 'freeway': 150.0})
  assert suite.score(returns, reference) == pytest.approx(125.0)
  assert suite.score(returns, reference, cap=150.0) == pytest.approx(100.0)
  # Random play scores 0, whatever the reference.
  random = {'breakout': [suite.random_score('breakout')], 'asterix': [5.0]}
  assert suite.score(random, {'breakout': 10.0}) == pytest.approx(0.0)
  # Without reference scores: the mean raw return, (5.245 + 20.155 + 100) / 3.
  assert suite.score(returns) == pytest.approx(125.4 / 3)
  with pytest.raises(ValueError, match='must be above'):
    suite.score({'breakout': [1.0]}, {'breakout': 0.2})
  with pytest.raises(ValueError, match="Suite 'minatar5' has no task pong"):
    suite.score({'pong': [1.0]}, {'pong': 5.0})


def test_procgen_score_is_min_max_normalised_for_its_mode():
  # Easy mode: coinrun (5, 10): 7.5 -> 50; bigfish (1, 40): mean 20.5 -> 50;
  # starpilot (2.5, 64): 125.5 -> 200.
  returns = {'coinrun': [7.5], 'bigfish': [40.0, 1.0, 20.5],
             'starpilot': [125.5]}
  assert get_suite('procgen').score(returns) == pytest.approx(100.0)
  assert get_suite('procgen').score(returns, cap=100.0) == pytest.approx(
      200.0 / 3.0)
  # Hard mode: starpilot (1.5, 35): 18.25 -> 50.
  hard = get_suite('procgen', distribution_mode='hard')
  assert hard.score({'starpilot': [18.25]}) == pytest.approx(50.0)
  assert np.isfinite(hard.score({g: [0.0] for g in procgen.GAMES}))
  with pytest.raises(ValueError, match='distribution_mode'):
    get_suite('procgen', distribution_mode='memory')
  with pytest.raises(ValueError, match="Suite 'procgen' has no task pong"):
    hard.score({'pong': [1.0]})


def test_a_suite_scores_any_subset_with_the_cap_given():
  suite = get_suite('dmlab30')
  two = dmlab30.LEVELS[:2]
  human = dmlab30.HUMAN_SCORES[dmlab30.scoring_level(two[0])]
  random = dmlab30.RANDOM_SCORES[dmlab30.scoring_level(two[1])]
  assert suite.score({two[0]: [human], two[1]: [random]}) == pytest.approx(
      50.0)
  high = {two[0]: [10 * human], two[1]: [random]}
  assert suite.score(high, cap=100.0) == pytest.approx(50.0)
  assert suite.score(high, cap=None) > 100.0
