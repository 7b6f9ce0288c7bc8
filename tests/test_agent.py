"""The single-process agent: real Reverb queue, learner steps, cannot hang."""

import numpy as np
import pytest

from acme_kickstart.agents.kickstarting import KickstartingAgent
from acme_kickstart.agents.kickstarting import KickstartingConfig
from acme_kickstart.environments import minatar
from acme_kickstart.networks import MinAtarNetwork
from acme_kickstart.teachers import Teacher, TeacherSet
from conftest import built_network


def _agent(num_envs, config, teachers=None):
  envs = [minatar.make_environment(minatar.GAMES[i % 5], seed=i)
          for i in range(num_envs)]
  return KickstartingAgent(envs, MinAtarNetwork(6, lstm_size=32), config,
                           minatar.GAMES, teachers=teachers)


@pytest.mark.timeout(120)
@pytest.mark.parametrize('num_envs,batch_size', [(1, 4), (5, 8), (16, 3)])
def test_agent_learns_from_its_queue_and_never_waits_forever(num_envs,
                                                              batch_size):
  """Every inserted batch is consumed; a batch size larger than the number of
  environments, or a single environment, cannot starve the learner."""
  config = KickstartingConfig(batch_size=batch_size, sequence_length=5,
                              max_queue_size=10)
  with _agent(num_envs, config) as agent:
    before = [v.numpy() for v in agent.network.trainable_variables]
    agent.run(400)
    steps = agent.learner.num_steps
    # All 400 steps became sequences of 4 new steps each; at most one partial
    # batch and each environment's partial sequence is left over.
    items = 400 // (config.sequence_length - 1)
    assert steps >= (items - num_envs) // batch_size - 1
    assert steps > 0
    assert any(not np.array_equal(b, v.numpy())
               for b, v in zip(before, agent.network.trainable_variables))
    assert agent.env_steps >= 400


@pytest.mark.timeout(120)
def test_agent_with_teachers_logs_kl_per_task():
  teacher = Teacher.from_module(built_network('t', lstm_size=8))
  teachers = TeacherSet({0: teacher, 3: teacher}, 5, 6,
                        minatar.observation_spec(), minatar.GAMES)
  config = KickstartingConfig(batch_size=4, sequence_length=5,
                              distillation_costs=(1.0,))
  with _agent(5, config, teachers) as agent:
    metrics = []
    original_step = agent.learner.step
    agent.learner.step = lambda: metrics.append(original_step())
    agent.run(300)
  assert len(metrics) > 5
  # Some batch had steps of each task with a teacher ...
  assert max(m['distillation_loss'] for m in metrics) > 0
  assert max(m['kl/breakout'] for m in metrics) > 0
  assert max(m['kl/seaquest'] for m in metrics) > 0
  # ... and a task without a teacher never has a KL to it.
  assert all(m['kl/asterix'] == 0.0 for m in metrics)
