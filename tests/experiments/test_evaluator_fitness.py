"""PBT's fitness of an evaluator never counts a round an exploit overtook."""

import threading

from acme.tf import utils as tf2_utils
from acme.utils import counting

from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.experiments import factories
from acme_kickstart.experiments import workers
from acme_kickstart.experiments.config import ExperimentConfig
from acme_kickstart.experiments.config import RunConfig
from acme_kickstart.pbt import fitness
from acme_kickstart.pbt.config import PBTConfig


class GatedVariableSource:
  """A real network's weights, served only once the test opens the gate."""

  def __init__(self, network):
    self._network = network
    self.fetching = threading.Event()
    self.gate = threading.Event()
    self.gate.set()

  def get_variables(self, names):
    del names
    self.fetching.set()
    assert self.gate.wait(timeout=120), 'The test never opened the gate.'
    return [tf2_utils.to_numpy(self._network.variables)]


def test_reset_returns_during_a_round_drops_that_round(tmp_path):
  config = ExperimentConfig(
      agent=KickstartingConfig(num_envs_per_actor=2),
      network_kwargs=dict(hidden_size=32, lstm_size=16),
      suite_kwargs=dict(max_episode_steps=30),
      run=RunConfig(evaluator_episodes_per_task=1, run_dir=str(tmp_path)))
  pbt = PBTConfig(member=config)
  spec = factories.environment_spec(config)
  source = GatedVariableSource(factories.build_network(
      factories.make_network(config, spec.actions.num_values), spec))
  evaluator = workers.EvaluatorWorker(config, source, counting.Counter())

  def member_fitness():
    return fitness.member_fitness(config, evaluator, pbt.fitness_rounds,
                                  pbt.fitness_cap)
  evaluator.evaluate_once()
  assert member_fitness() is not None  # An undisturbed round counts.

  # The next round waits for its weights; meanwhile PBT exploits this member.
  source.fetching.clear()
  source.gate.clear()
  round_thread = threading.Thread(target=evaluator.evaluate_once)
  round_thread.start()
  assert source.fetching.wait(timeout=120)
  evaluator.reset_returns()
  source.gate.set()
  round_thread.join(timeout=120)
  assert not round_thread.is_alive()
  assert member_fitness() is None  # That round may have had the old weights.

  evaluator.evaluate_once()
  assert member_fitness() is not None  # A round begun after it counts.


def test_a_teachers_own_level_moves_the_gate_not_pbts_fitness():
  # One small teacher at 4.0 on breakout, scored against an expert at 10.0.
  config = ExperimentConfig(
      teachers={'breakout': '/small_teacher'},
      reference_scores={'breakout': 10.0, 'asterix': 8.0},
      teacher_levels={'breakout': 4.0})
  random_return = factories.make_suite(config).random_score('breakout')
  assert factories.score_ranges(config) == {'breakout': (random_return, 4.0)}
  returns = {'breakout': [4.0], 'asterix': [8.0]}
  expert_scored = factories.make_suite(config).score(
      returns, {'breakout': 10.0, 'asterix': 8.0}, 200.0)
  assert fitness.fitness(config, returns, 200.0) == expert_scored
  # Without teacher_levels the gate's 100% is the reference.
  plain = ExperimentConfig(teachers={'breakout': '/t'},
                           reference_scores={'breakout': 10.0})
  assert factories.score_ranges(plain) == {'breakout': (random_return, 10.0)}
