"""Aggregate statistics over runs x tasks: hand-checkable cases."""

import numpy as np
import pytest

from acme_kickstart.analysis import statistics


def test_iqm_drops_the_outer_quartiles():
  # 8 scores: the IQM is the mean of the middle four (3, 4, 5, 6).
  scores = np.array([[1.0, 100.0], [3.0, 4.0], [5.0, 6.0], [-50.0, 2.0]])
  # Sorted: -50, 1, 2, 3, 4, 5, 6, 100 -> middle four 2, 3, 4, 5.
  estimates = statistics.aggregate_estimates(scores, reps=200)
  assert estimates['iqm']['point'] == pytest.approx(3.5)
  assert estimates['mean']['point'] == pytest.approx(71 / 8)
  low, high = estimates['iqm']['ci']
  assert low <= 3.5 <= high and low < high


def test_one_run_has_a_degenerate_interval():
  estimates = statistics.aggregate_estimates(np.array([[1.0, 3.0]]))
  assert estimates['mean'] == {'point': 2.0, 'ci': [2.0, 2.0]}


def test_probability_of_improvement_is_one_when_x_dominates():
  y = np.arange(10.0).reshape(5, 2)
  x = y + 100.0
  result = statistics.probability_of_improvement(x, y, reps=200)
  assert result['p'] == pytest.approx(1.0)
  assert result['ci'] == pytest.approx([1.0, 1.0])
  reverse = statistics.probability_of_improvement(y, x, reps=200)
  assert reverse['p'] == pytest.approx(0.0)


def test_probability_of_improvement_of_equal_runs_is_one_half():
  x = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
  result = statistics.probability_of_improvement(x, x.copy(), reps=200)
  assert result['p'] == pytest.approx(0.5)
  assert result['ci'][0] < 0.5 < result['ci'][1]


def test_relative_gain_of_twice_the_scores_is_one():
  y = np.array([[10.0, 20.0], [30.0, 40.0], [50.0, 60.0]])
  result = statistics.relative_gain(2 * y, y, 'mean', reps=200)
  assert result['gain'] == pytest.approx(1.0)
  assert result['ci'][0] <= 1.0 <= result['ci'][1]
  # No gain over a baseline at or below random play.
  assert statistics.relative_gain(y, -y, 'mean')['gain'] is None


def test_normalised_scores_put_random_at_0_and_the_reference_at_100():
  scores = statistics.normalised_scores(
      {'a': [1.0, 11.0, 21.0], 'b': [2.0, 3.0, 4.0]},
      low={'a': 1.0, 'b': 2.0}, high={'a': 11.0, 'b': 3.0}, tasks=['a', 'b'])
  np.testing.assert_allclose(scores, [[0, 0], [100, 100], [200, 200]])
  with pytest.raises(ValueError, match="Task 'a': the high score 1.0 must be"):
    statistics.normalised_scores({'a': [1.0]}, {'a': 1.0}, {'a': 1.0}, ['a'])


def test_performance_profile_counts_scores_above_each_threshold():
  scores = np.array([[10.0, 60.0], [30.0, 90.0]])
  profile = statistics.performance_profiles({'v': scores},
                                            np.array([0.0, 50.0, 100.0]),
                                            reps=100)['v']
  assert profile['fraction'] == [1.0, 0.5, 0.0]
  assert all(lo <= f <= hi for lo, f, hi in zip(
      profile['ci_low'], profile['fraction'], profile['ci_high']))


def test_every_ci_is_the_same_each_time():
  """A report recomputed from the same runs gives the same CIs, and numpy's
  global generator is left as it was."""
  rng = np.random.default_rng(0)
  x, y = rng.normal(50.0, 30.0, size=(5, 5)), rng.normal(40.0, 30.0, (5, 5))
  taus = np.linspace(0.0, 100.0, 11)
  calls = {
      'aggregate': lambda seed: statistics.aggregate_estimates(
          x, reps=200, seed=seed),
      'improvement': lambda seed: statistics.probability_of_improvement(
          x, y, reps=200, seed=seed),
      'gain': lambda seed: statistics.relative_gain(x, y, reps=200, seed=seed),
      'profile': lambda seed: statistics.performance_profiles(
          {'v': x}, taus, reps=200, seed=seed),
      'curve': lambda seed: statistics.curve_estimates(
          np.stack([x, y], axis=-1), reps=100, seed=seed),
      'mean': lambda seed: statistics.mean_with_ci(x[:, 0], reps=200,
                                                   seed=seed)}
  np.random.seed(7)
  state = np.random.get_state()[1].copy()
  for name, call in calls.items():
    assert call(0) == call(0), name
    assert call(0) != call(1), name
  np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_curve_estimates_aggregate_every_point():
  # 4 runs x 1 task x 3 points; point j of run i is i + 10 j.
  curves = (np.arange(4.0)[:, None, None] +
            10.0 * np.arange(3.0)[None, None, :])
  estimates = statistics.curve_estimates(curves, reps=100)
  np.testing.assert_allclose(estimates['mean']['point'], [1.5, 11.5, 21.5])
  np.testing.assert_allclose(estimates['iqm']['point'], [1.5, 11.5, 21.5])
  assert all(lo <= p <= hi for lo, p, hi in zip(
      estimates['iqm']['ci_low'], estimates['iqm']['point'],
      estimates['iqm']['ci_high']))


def test_steps_to_reach_interpolates_between_grid_points():
  grid = np.array([100.0, 200.0, 300.0, 400.0])
  curve = np.array([0.0, 10.0, 30.0, 50.0])
  assert statistics.steps_to_reach(grid, curve, 20.0) == pytest.approx(250.0)
  assert statistics.steps_to_reach(grid, curve, -1.0) == 100.0
  assert statistics.steps_to_reach(grid, curve, 51.0) is None


def test_smoothed_on_grid_averages_neighbours_and_skips_nan():
  steps = np.array([0.0, 10.0, 20.0, 30.0])
  values = np.array([0.0, 3.0, np.nan, 6.0])
  # Without the NaN: 0, 3, 6 at 0, 10, 30 -> smoothed 1.5, 3, 4.5.
  out = statistics.smoothed_on_grid(steps, values, np.array([0.0, 10.0, 30.0]))
  np.testing.assert_allclose(out, [1.5, 3.0, 4.5])
