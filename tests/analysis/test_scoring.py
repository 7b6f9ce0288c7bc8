"""Suite scores against hand-computed values."""

import pytest

from acme_kickstart.analysis import scoring
from acme_kickstart.environments import dmlab30
from acme_kickstart.environments import get_suite


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


def test_dmlab30_capped_and_uncapped_scores_match_hand_computed_values():
  returns = _dmlab_returns()
  per_level = scoring.human_normalized_scores(returns, cap=None)
  assert per_level['rooms_watermaze'] == pytest.approx(50.0)
  assert per_level['language_select_described_object'] == pytest.approx(200.0)
  assert per_level['rooms_collect_good_objects_test'] == pytest.approx(0.0)
  assert 'rooms_collect_good_objects_train' not in per_level
  # (27 * 100 + 50 + 100 + 0) / 30 = 95 capped; (27 * 100 + 50 + 200) / 30.
  assert scoring.human_normalized_score(returns) == pytest.approx(95.0)
  assert scoring.human_normalized_score(returns, cap=None) == pytest.approx(
      2950.0 / 30.0)
  # Cap 50: 29 levels at 50 (watermaze exactly), rooms_collect at 0.
  assert scoring.human_normalized_score(returns, cap=50.0) == pytest.approx(
      29 * 50.0 / 30.0)


def test_dmlab30_accepts_test_names_and_rejects_bad_input():
  returns = _dmlab_returns()
  renamed = dict(returns)
  renamed['rooms_collect_good_objects_test'] = renamed.pop(
      'rooms_collect_good_objects_train')
  assert scoring.human_normalized_score(renamed) == pytest.approx(95.0)

  missing = dict(returns)
  del missing['rooms_watermaze']
  with pytest.raises(ValueError, match='Missing returns for: rooms_watermaze'):
    scoring.human_normalized_score(missing)
  twice = dict(returns, rooms_collect_good_objects_test=[1.0])
  with pytest.raises(ValueError, match='given twice'):
    scoring.human_normalized_score(twice)
  empty = dict(returns, rooms_watermaze=[])
  with pytest.raises(ValueError, match='no episode returns'):
    scoring.human_normalized_score(empty)
  with pytest.raises(ValueError, match='Unknown DMLab-30 level'):
    scoring.human_normalized_score(dict(returns, lt_chasm=[1.0]))


def test_minatar_score_uses_measured_random_and_caller_reference():
  # breakout: random 0.49, reference 10.49: mean 5.49 -> 50.
  # space_invaders: random 2.98, reference 22.98: mean of [22.98, 42.98]
  # = 32.98 -> 150 (100 capped).
  reference = {'breakout': 10.49, 'space_invaders': 22.98}
  returns = {'breakout': [5.49], 'space_invaders': [22.98, 42.98]}
  assert scoring.minatar_normalized_score(returns, reference) == pytest.approx(
      100.0)
  assert scoring.minatar_normalized_score(
      returns, reference, cap=100.0) == pytest.approx(75.0)
  with pytest.raises(ValueError, match='Missing returns for: space_invaders'):
    scoring.minatar_normalized_score({'breakout': [1.0]}, reference)
  with pytest.raises(ValueError, match='must be above'):
    scoring.minatar_normalized_score({'breakout': [1.0]}, {'breakout': 0.2})
  with pytest.raises(ValueError, match='Unknown MinAtar game'):
    scoring.minatar_normalized_score({'pong': [1.0]}, {'pong': 5.0})


def test_procgen_score_uses_published_min_max():
  # Easy mode: coinrun (5, 10): 7.5 -> 50; bigfish (1, 40): mean 20.5 -> 50;
  # starpilot (2.5, 64): 125.5 -> 200.
  returns = {'coinrun': [7.5], 'bigfish': [40.0, 1.0, 20.5],
             'starpilot': [125.5]}
  assert scoring.procgen_normalized_score(returns) == pytest.approx(100.0)
  assert scoring.procgen_normalized_score(returns, cap=100.0) == pytest.approx(
      200.0 / 3.0)
  # Hard mode: starpilot (1.5, 35): 18.25 -> 50.
  assert scoring.procgen_normalized_score(
      {'starpilot': [18.25]}, distribution_mode='hard') == pytest.approx(50.0)
  with pytest.raises(ValueError, match='distribution_mode'):
    scoring.procgen_normalized_score(returns, distribution_mode='memory')
  with pytest.raises(ValueError, match='Unknown Procgen game'):
    scoring.procgen_normalized_score({'pong': [1.0]})


def test_suite_score_scores_any_subset_with_the_cap_given():
  from acme_kickstart.environments import dmlab30 as dm  # pylint: disable=g-import-not-at-top
  two = dm.LEVELS[:2]
  returns = {two[0]: [dm.HUMAN_SCORES[dm.scoring_level(two[0])]] ,
             two[1]: [dm.RANDOM_SCORES[dm.scoring_level(two[1])]]}
  assert get_suite('dmlab30').score(returns, {}) == pytest.approx(50.0)
  high = {two[0]: [10 * dm.HUMAN_SCORES[dm.scoring_level(two[0])]],
          two[1]: [dm.RANDOM_SCORES[dm.scoring_level(two[1])]]}
  assert get_suite('dmlab30').score(high, {}, cap=100.0) == (
      pytest.approx(50.0))
  assert get_suite('dmlab30').score(high, {}, cap=None) > 100.0
  # MinAtar: only games with a reference count; random play scores 0.
  random = get_suite('minatar5').random_score('breakout')
  minatar_returns = {'breakout': [random], 'asterix': [5.0]}
  assert get_suite('minatar5').score(
      minatar_returns, {'breakout': 10.0}) == pytest.approx(0.0)
  assert get_suite('minatar5').score(
      {'breakout': [2.0], 'asterix': [4.0]}, {}) == pytest.approx(3.0)
