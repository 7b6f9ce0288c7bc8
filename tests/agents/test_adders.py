"""The batched sequence writer writes exactly what acme's SequenceAdder writes."""

import numpy as np
import pytest

from acme_kickstart.agents.kickstarting import acting
from acme_kickstart.agents.kickstarting.adders import BatchedSequenceAdder
from acme_kickstart.environments import minatar
from adder_adapters import actor_with_adders
from adder_adapters import WriterRow
from conftest import built_network
from test_acting import _assert_same_sequences


@pytest.mark.parametrize('sequence_length,period', [(6, 5), (5, 2), (4, 4)])
def test_batched_writer_items_equal_acme_sequence_adder(sequence_length, period,
                                                        per_env_tables):
  network = built_network('student')
  num_envs = 3
  # Episode limits around and below the sequence length: padding, exact fits
  # and windows that end on the last step are all exercised.
  limits = [sequence_length - 2, sequence_length + 1, 3 * sequence_length]

  def envs():
    return [minatar.make_environment('breakout', seed=i,
                                     max_episode_steps=limits[i])
            for i in range(num_envs)]

  acme_tables = per_env_tables(network, num_envs, sequence_length)
  acme_actor = actor_with_adders(
      network, envs(), [acme_tables.adder(i, period) for i in range(num_envs)],
      seed=5)
  ours_tables = per_env_tables(network, num_envs, sequence_length)
  writers = [ours_tables.batched_adder(i, 1, period) for i in range(num_envs)]
  ours_actor = actor_with_adders(
      network, envs(), [WriterRow(w, 0) for w in writers], seed=5)
  for _ in range(60):
    acme_actor.step()
    ours_actor.step()
  for w in writers:
    w.flush()
  padded = 0
  for i in range(num_envs):
    acme_seqs = acme_tables.drain(i)
    _assert_same_sequences(ours_tables.drain(i), acme_seqs)
    padded += sum(not s.observation['pixels'][-1].any() for s in acme_seqs)
  assert padded > 0  # Zero-padded episode ends were compared too.


def test_one_writer_serves_many_environments(per_env_tables):
  network = built_network('student')
  tables = per_env_tables(network, 1, 5)
  writer = tables.batched_adder(0, 4, 4)
  envs = [minatar.make_environment(g, seed=1) for g in minatar.GAMES[:4]]
  actor = actor_with_adders(network, envs,
                            [WriterRow(writer, i) for i in range(4)])
  for _ in range(41):
    actor.step()
  writer.flush()
  seqs = tables.drain(0)
  assert len(seqs) >= 4 * 10
  for seq in seqs:  # Each sequence is one environment's, one task throughout.
    real = seq.extras['logits'].any(-1)
    assert len(set(seq.observation['task_id'][real].tolist())) == 1


def _key(sequence):
  return b''.join(np.ascontiguousarray(x).tobytes()
                  for x in __import__('tree').flatten(sequence))


def test_batched_path_writes_the_items_of_k_acme_adders(per_env_tables):
  """One add_batch call a step for K environments (the actor's fast path)
  writes the same items as K acme SequenceAdders, as a multiset."""
  network = built_network('student')
  num_envs, length, period = 4, 6, 5

  def envs():
    return [minatar.make_environment(minatar.GAMES[i], seed=i,
                                     max_episode_steps=9 + 4 * i)
            for i in range(num_envs)]

  acme_tables = per_env_tables(network, 1, length)
  acme_actor = actor_with_adders(
      network, envs(), [acme_tables.adder(0, period) for _ in range(num_envs)],
      seed=2)
  ours_tables = per_env_tables(network, 1, length)
  writer = ours_tables.batched_adder(0, num_envs, period)
  ours_actor = acting.BatchedActor(network, envs(), writer, seed=2)
  for _ in range(50):
    acme_actor.step()
    ours_actor.step()
  writer.flush()
  acme_seqs = sorted(acme_tables.drain(0), key=_key)
  ours_seqs = sorted(ours_tables.drain(0), key=_key)
  assert len(acme_seqs) > 30
  _assert_same_sequences(ours_seqs, acme_seqs)


def test_writer_waits_for_a_replay_server_that_starts_after_it():
  """At a program's start an actor can come up before the replay node."""
  import socket  # pylint: disable=g-import-not-at-top
  import threading  # pylint: disable=g-import-not-at-top
  import reverb  # pylint: disable=g-import-not-at-top
  with socket.socket() as s:
    s.bind(('localhost', 0))
    port = s.getsockname()[1]
  servers = []
  starter = threading.Timer(5.0, lambda: servers.append(reverb.Server(
      [reverb.Table.queue('env_0', 10)], port=port)))
  starter.start()
  try:
    writer = BatchedSequenceAdder(reverb.Client(f'localhost:{port}'), 1, 5, 5,
                                  table='env_0')
    assert servers  # It waited past Reverb's 3 s default for the server.
    del writer
  finally:
    starter.join()
    for server in servers:
      server.stop()
