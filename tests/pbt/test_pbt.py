"""PBT: search space, explore bounds, truncation selection, reproducibility."""

import json

import numpy as np
import pytest

from acme_kickstart.pbt.controller import PopulationController
from acme_kickstart.pbt.search_space import Hyperparameters
from acme_kickstart.pbt.search_space import SearchSpace
from acme_kickstart.pbt.search_space import truncation_selection

SPACE = SearchSpace(num_tasks=5)


def test_samples_and_explored_values_stay_in_bounds_and_reach_zero():
  rng = np.random.default_rng(0)
  hyper = SPACE.sample(rng)
  zeros = 0
  for _ in range(3000):
    hyper = SPACE.explore(hyper, rng)
    assert SPACE.contains(hyper), hyper
    zeros += sum(v == 0.0 for v in hyper.distillation_costs)
  assert zeros > 0  # lambda = 0 is reachable ...
  # ... and from 0 a lambda can come back (resampling).
  start = Hyperparameters(1e-3, 1e-2, (0.0,) * 5)
  assert any(any(v > 0 for v in SPACE.explore(start, rng).distillation_costs)
             for _ in range(50))


def test_perturbation_is_by_0_8_or_1_2_without_resampling():
  space = SearchSpace(num_tasks=2, resample_probability=0.0, lambda_max=4.0,
                      entropy_cost=(1e-4, 3e-2))
  rng = np.random.default_rng(1)
  hyper = Hyperparameters(1e-3, 1e-3, (1.0, 2.0))
  for _ in range(100):
    new = space.explore(hyper, rng)
    assert new.learning_rate / hyper.learning_rate == pytest.approx(
        0.8) or new.learning_rate / hyper.learning_rate == pytest.approx(1.2)
    for a, b in zip(new.distillation_costs, hyper.distillation_costs):
      assert a / b in (pytest.approx(0.8), pytest.approx(1.2))
  # Clipped at the range's edge.
  top = Hyperparameters(3e-3, 3e-2, (4.0, 4.0))
  assert all(space.contains(space.explore(top, rng)) for _ in range(50))


def test_truncation_selection_bottom_copies_top():
  rng = np.random.default_rng(2)
  fitness = [5.0, 1.0, 9.0, 3.0, 7.0, 2.0, 8.0, 0.5, 6.0, 4.0]
  pairs = truncation_selection(fitness, 0.2, rng)
  assert set(pairs) == {7, 1}  # The two worst.
  assert set(pairs.values()) <= {2, 6}  # Copy from the two best.
  assert truncation_selection([1.0, 2.0], 0.2, rng) == {0: 1}


def test_controller_exploits_only_ready_members_and_resets_their_clock():
  controller = PopulationController(4, SPACE, seed=3, fraction=0.25,
                                    ready_env_steps=1000)
  assert controller.step([1, 2, 3, 4], [500] * 4) == []  # Nobody ready.
  decisions = controller.step([1.0, 2.0, 3.0, 4.0], [1500] * 4)
  assert len(decisions) == 1
  (d,) = decisions
  assert (d.loser, d.winner) == (0, 3)
  assert controller.hyperparameters[0] == d.hyperparameters
  assert SPACE.contains(d.hyperparameters)
  assert controller.last_change[0] == 1500
  assert controller.step([1.0, 2.0, 3.0, 4.0], [2000] * 4) == []  # 0 not ready.


def _decisions(seed, fitness_sequence):
  controller = PopulationController(4, SPACE, seed=seed, fraction=0.25,
                                    ready_env_steps=10)
  out = []
  for t, fitness in enumerate(fitness_sequence):
    out.append([(d.loser, d.winner, d.hyperparameters)
                for d in controller.step(fitness, [20 * (t + 1)] * 4)])
  return controller, out


def test_decisions_are_reproducible_and_state_round_trips():
  rng = np.random.default_rng(4)
  sequence = [rng.normal(size=4).tolist() for _ in range(12)]
  a, decisions_a = _decisions(7, sequence)
  _, decisions_b = _decisions(7, sequence)
  assert decisions_a == decisions_b
  assert any(decisions_a)
  # A restarted controller resumes from its saved state (through JSON).
  first, _ = _decisions(7, sequence[:6])
  restored = PopulationController(4, SPACE, seed=999, fraction=0.25,
                                  ready_env_steps=10)
  restored.load_state_dict(json.loads(json.dumps(first.state_dict())))
  resumed = [[(d.loser, d.winner, d.hyperparameters)
              for d in restored.step(f, [20 * (t + 7)] * 4)]
             for t, f in enumerate(sequence[6:])]
  assert resumed == decisions_a[6:]
  assert restored.hyperparameters == a.hyperparameters


def test_members_without_fitness_take_no_part_and_decisions_can_be_reverted():
  controller = PopulationController(3, SPACE, seed=5, fraction=0.34,
                                    ready_env_steps=0)
  before = list(controller.hyperparameters)
  assert controller.step([None, 1.0, None], [10, 10, 10]) == []
  (d,) = controller.step([None, 1.0, 2.0], [10, 10, 10])
  assert (d.loser, d.winner) == (1, 2)
  controller.revert(d)
  assert controller.hyperparameters == before
  assert controller.last_change == [0, 0, 0]
  (d,) = controller.step([float('nan'), 1.0, 2.0], [10, 10, 10])
  assert d.loser == 0  # NaN fitness ranks last.
