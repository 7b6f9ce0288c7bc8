"""A real Reverb server with the queue and the distillation replay table,
and the learners the distillation replay tests compare.

`sample` and `replay` are pytest fixtures: a test module imports them by name.
"""

from acme import specs
from acme.utils import loggers
import pytest
import reverb
import tensorflow as tf
import tree

from acme_kickstart.agents.kickstarting import distillation_replay
from acme_kickstart.agents.kickstarting import learning
from acme_kickstart.agents.kickstarting.builder import KickstartingBuilder
from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.environments import minatar
from conftest import built_network, real_batch_with_teachers

SEQUENCE_LENGTH = 8


@pytest.fixture(scope='module')
def sample():
  """A real batch (sequence length 8) with real teacher logits."""
  return real_batch_with_teachers('replay_',
                                  sequence_length=SEQUENCE_LENGTH)


class Replay:
  """A real Reverb server with the queue and the distillation replay table."""

  def __init__(self, window: int = 100):
    config = KickstartingConfig(sequence_length=SEQUENCE_LENGTH, batch_size=6,
                                distillation_replay_ratio=1,
                                distillation_replay_window=window)
    spec = specs.make_environment_spec(minatar.make_environment('breakout'))
    tables = KickstartingBuilder(config).make_replay_tables(
        spec, built_network('signature'))
    self.queue = tables[0]
    self.server = reverb.Server(tables, port=None)
    self.address = f'localhost:{self.server.port}'
    self.client = reverb.Client(self.address)
    self.config = config

  def fill(self, sample, times: int = 1):
    """Writes the sample's sequences (only) to the replay table."""
    with self.client.trajectory_writer(num_keep_alive_refs=1) as writer:
      for _ in range(times):
        for b in range(sample.data.action.shape[0]):
          writer.append(tree.map_structure(lambda x: x[b].numpy(),  # pylint: disable=cell-var-from-loop
                                           sample.data))
          writer.create_item(
              distillation_replay.TABLE, 1.0,
              tree.map_structure(lambda c: c[-1], writer.history))
      writer.flush()

  def reader(self, timeout_ms: int = 2_000):
    return distillation_replay.ReverbReplayReader(self.address, 6, timeout_ms)

  def info(self, table=distillation_replay.TABLE):
    return self.client.server_info()[table]


@pytest.fixture
def replay():
  made = Replay()
  yield made
  made.server.stop()


def make_learner(network, dataset, **kwargs):
  return learning.KickstartingLearner(
      network=network, dataset=dataset, num_tasks=len(minatar.GAMES),
      task_names=minatar.GAMES, learning_rate=1e-3,
      distillation_costs=[1.0, 0.5, 0.0, 0.0, 0.0], entropy_cost=0.01,
      baseline_cost=0.5, logger=loggers.NoOpLogger(), **kwargs)


def twin_networks(name):
  first, second = built_network(f'{name}_a'), built_network(f'{name}_b')
  for s, d in zip(first.variables, second.variables):
    d.assign(s)
  return first, second


def gradients_of(learner, loss_fn, sample):
  variables = learner.network.trainable_variables
  with tf.GradientTape() as tape:
    loss = loss_fn(sample).loss
  return loss, tape.gradient(loss, variables)


class Rows(loggers.Logger):

  def __init__(self, rows):
    self._rows = rows

  def write(self, data):
    self._rows.append(dict(data))

  def close(self):
    pass
