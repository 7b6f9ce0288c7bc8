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


@pytest.mark.timeout(180)
def test_learner_counts_the_real_env_steps_its_batches_hold(monkeypatch):
  """On breakout, where filler and padding rows are ~half of all rows, the
  learner's env-step clock (the anneal's, the logs') counts real transitions.

  Every sequence written is recorded; the queue is FIFO and read by one
  stream, so the learner's n batches are the first n * B sequences. A row is
  real when the actor's behaviour logits are there (the writer zeroes them on
  filler and padding rows), which does not use the learner's own mask.
  """
  from acme_kickstart.agents.kickstarting import adders  # pylint: disable=g-import-not-at-top
  written = []
  original_write = adders.BatchedSequenceAdder._write  # pylint: disable=protected-access

  def recording_write(self, row):
    written.append(np.abs(self._columns[self._logits_column][row]).sum(-1) > 0)  # pylint: disable=protected-access
    original_write(self, row)

  def allocate(self, step, leaves):
    original_allocate(self, step, leaves)
    import tree  # pylint: disable=g-import-not-at-top
    paths = [p for p, _ in tree.flatten_with_path(step)]
    self._logits_column = paths.index(('extras', 'logits'))  # pylint: disable=protected-access

  original_allocate = adders.BatchedSequenceAdder._allocate  # pylint: disable=protected-access
  monkeypatch.setattr(adders.BatchedSequenceAdder, '_write', recording_write)
  monkeypatch.setattr(adders.BatchedSequenceAdder, '_allocate', allocate)
  config = KickstartingConfig(batch_size=8, sequence_length=20)
  envs = [minatar.make_environment('breakout', seed=i) for i in range(8)]
  with KickstartingAgent(envs, MinAtarNetwork(6, lstm_size=16), config,
                         minatar.GAMES) as agent:
    agent.run(3_000)
    consumed = agent.learner.num_steps * config.batch_size
    real_rows = sum(int(real[:-1].sum()) for real in written[:consumed])
    assert agent.learner.num_steps > 5
    assert agent.learner.num_env_steps == real_rows
    # What steps * B * (T - 1) would have counted is far more on breakout.
    assert consumed * (config.sequence_length - 1) > 1.3 * real_rows
