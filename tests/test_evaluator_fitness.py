"""The evaluator's fitness never counts a round that an exploit overtook."""

import threading

from acme.tf import utils as tf2_utils
from acme.utils import counting

from acme_kickstart.agents.kickstarting import builder
from acme_kickstart.agents.kickstarting import workers
from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.agents.kickstarting.config import ProgramConfig


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


def test_reset_fitness_during_a_round_drops_that_round(tmp_path):
  config = ProgramConfig(
      agent=KickstartingConfig(num_envs_per_actor=2),
      network_kwargs=dict(hidden_size=32, lstm_size=16),
      evaluator_episodes_per_task=1, env_kwargs=dict(max_episode_steps=30),
      run_dir=str(tmp_path))
  spec = builder.environment_spec(config)
  source = GatedVariableSource(builder.build_network(
      builder.make_network(config, spec.actions.num_values), spec))
  evaluator = workers.EvaluatorWorker(config, source, counting.Counter())
  evaluator.evaluate_once()
  assert evaluator.fitness() is not None  # An undisturbed round counts.

  # The next round waits for its weights; meanwhile PBT exploits this member.
  source.fetching.clear()
  source.gate.clear()
  round_thread = threading.Thread(target=evaluator.evaluate_once)
  round_thread.start()
  assert source.fetching.wait(timeout=120)
  evaluator.reset_fitness()
  source.gate.set()
  round_thread.join(timeout=120)
  assert not round_thread.is_alive()
  assert evaluator.fitness() is None  # That round may have had the old weights.

  evaluator.evaluate_once()
  assert evaluator.fitness() is not None  # A round begun after it counts.
