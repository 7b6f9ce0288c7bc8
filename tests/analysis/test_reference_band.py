"""The demo's scratch reference: the headline study's curve, cut and labelled."""

import json
import os

import matplotlib.pyplot as plt
import numpy as np

from acme_kickstart.analysis import plotting

STUDY = os.path.join(os.path.dirname(__file__), '..', '..', 'results',
                     'kickstarting', 'kickstarting.json')


def test_the_committed_study_gives_its_scratch_band_up_to_the_demos_budget():
  band = plotting.read_reference_band(STUDY, 'scratch', 'mean',
                                      max_env_steps=1_000_000)
  with open(STUDY) as f:
    report = json.load(f)
  grid = np.asarray(report['grid_env_steps'])
  assert band.env_steps[-1] <= 1_000_000 < grid[len(band.env_steps)]
  np.testing.assert_array_equal(band.env_steps, grid[:len(band.env_steps)])
  np.testing.assert_array_equal(
      band.point, report['variants']['scratch']['curve']['mean']['point'][
          :len(band.env_steps)])
  assert np.all(band.ci_low <= band.point) and np.all(
      band.point <= band.ci_high)
  assert report['git_commit'][:7] in band.label
  seeds = {r['seed'] for r in report['variants']['scratch']['runs']}
  assert f'{len(seeds)} seeds' in band.label


def test_the_band_is_drawn_with_its_label():
  band = plotting.ReferenceBand(np.array([0., 1.]), np.array([1., 2.]),
                                np.array([0., 1.]), np.array([2., 3.]),
                                'scratch (abc1234)')
  fig, ax = plt.subplots()
  plotting.draw_reference_band(ax, band)
  assert [line.get_label() for line in ax.lines] == ['scratch (abc1234)']
  assert len(ax.collections) == 1  # The CI.
  plt.close(fig)
