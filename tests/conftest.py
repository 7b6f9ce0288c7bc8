"""Shared test helpers: real Reverb tables, real MinAtar games."""

import os

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')

from acme.adders import reverb as adders  # pylint: disable=g-import-not-at-top
from acme.tf import utils as tf2_utils
from acme.utils import loggers
import numpy as np
import pytest
import reverb
import tensorflow as tf
import tree

from acme_kickstart.agents.kickstarting import acting
from acme_kickstart.agents.kickstarting import learning
from acme_kickstart.agents.kickstarting.adders import BatchedSequenceAdder
from acme_kickstart.environments import minatar
from acme_kickstart.networks import MinAtarNetwork
from acme_kickstart.teachers import Teacher, TeacherSet


def built_network(seed_name='student', **kwargs) -> MinAtarNetwork:
  network = MinAtarNetwork(minatar.NUM_ACTIONS, name=seed_name, **kwargs)
  tf2_utils.create_variables(network, [minatar.observation_spec()])
  return network


class PerEnvTables:
  """A real Reverb server with one queue per environment, to read back what
  each environment's adder wrote, in order."""

  def __init__(self, network, num_envs: int, sequence_length: int,
               max_size: int = 10_000):
    env = minatar.make_environment('breakout')
    from acme import specs  # pylint: disable=g-import-not-at-top
    spec = specs.make_environment_spec(env)
    signature = adders.SequenceAdder.signature(
        spec, extras_spec=acting.extras_spec(network, minatar.NUM_ACTIONS),
        sequence_length=sequence_length)
    self.names = [f'env_{i}' for i in range(num_envs)]
    self.server = reverb.Server(
        [reverb.Table.queue(n, max_size, signature=signature)
         for n in self.names], port=None)
    self.client = reverb.Client(f'localhost:{self.server.port}')
    self.sequence_length = sequence_length
    self._adders = []
    self._writers = []

  def adder(self, i: int, period: int):
    adder = adders.SequenceAdder(
        self.client, sequence_length=self.sequence_length, period=period,
        priority_fns={self.names[i]: None})
    self._adders.append(adder)
    return adder

  def batched_adder(self, i: int, num_envs: int, period: int
                    ) -> BatchedSequenceAdder:
    """Our writer of `num_envs` environments into env i's queue."""
    writer = BatchedSequenceAdder(self.client, num_envs, self.sequence_length,
                                  period, table=self.names[i])
    self._writers.append(writer)
    return writer

  def drain(self, i: int):
    """All sequences env i wrote, oldest first, as numpy nests."""
    for adder in self._adders:
      adder.reset()  # Ends the episode: flushes items still in flight.
    size = self.client.server_info()[self.names[i]].current_size
    if size == 0:
      return []
    samples = self.client.sample(self.names[i], num_samples=size,
                                 emit_timesteps=False,
                                 unpack_as_table_signature=True)
    return [tree.map_structure(np.asarray, (s[0] if isinstance(s, list) else s).data)
            for s in samples]

  def close(self):
    """Closes every writer, then stops the server: Reverb's stop waits 5 s
    for each server with a writer's stream still open."""
    for adder in self._adders:
      # acme's adder has no close(); its __del__ flushes and closes the
      # writer. Forgetting the writer then keeps the __del__ run by garbage
      # collection from flushing a closed one.
      adder.__del__()
      adder._ReverbAdder__writer = None  # pylint: disable=protected-access
    for writer in self._writers:
      writer.close()
    self.server.stop()


@pytest.fixture
def per_env_tables():
  made = []

  def make(*args, **kwargs):
    tables = PerEnvTables(*args, **kwargs)
    made.append(tables)
    return tables
  yield make
  for tables in made:
    tables.close()


def real_batch(network, teachers=None, num_envs=4, batch_size=6,
               sequence_length=8, num_actor_steps=60, seed=0):
  """One batch of real MinAtar trajectories, sampled from a real Reverb queue."""
  from acme import datasets  # pylint: disable=g-import-not-at-top
  tables = PerEnvTables(network, 1, sequence_length)
  envs = [minatar.make_environment(g, seed=seed + i)
          for i, g in enumerate(['breakout', 'asterix', 'breakout', 'freeway']
                                [:num_envs])]
  from adder_adapters import actor_with_adders  # pylint: disable=g-import-not-at-top
  actor = actor_with_adders(
      network, envs, [tables.adder(0, sequence_length - 1)
                      for _ in range(num_envs)], teachers=teachers, seed=seed)
  for _ in range(num_actor_steps):
    actor.step()
  dataset = datasets.make_reverb_dataset(
      server_address=f'localhost:{tables.server.port}', table='env_0',
      batch_size=batch_size, num_parallel_calls=1,
      max_in_flight_samples_per_worker=batch_size)
  sample = next(iter(dataset))
  tables.close()
  return sample


def real_batch_with_teachers(prefix: str = '', **kwargs):
  """A real batch whose steps on tasks 0 and 1 carry real (non-zero) teacher
  logits (one LSTM teacher for both); `kwargs` as real_batch's."""
  teacher_net = built_network(f'{prefix}teacher', lstm_size=32)
  teachers = TeacherSet({0: Teacher.from_module(teacher_net),
                         1: Teacher.from_module(teacher_net)},
                        len(minatar.GAMES), minatar.NUM_ACTIONS,
                        minatar.observation_spec())
  return real_batch(built_network(f'{prefix}behaviour'), teachers, **kwargs)


def learner_on(network, sample, **kwargs):
  """A KickstartingLearner that trains on `sample` again and again."""
  kwargs.setdefault('learning_rate', 1e-3)
  return learning.KickstartingLearner(
      network=network,
      dataset=tf.data.Dataset.from_tensors(sample).repeat(),
      num_tasks=len(minatar.GAMES), task_names=minatar.GAMES,
      logger=loggers.NoOpLogger(), **kwargs)
