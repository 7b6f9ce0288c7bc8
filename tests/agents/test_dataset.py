"""The learner's dataset: no queue item is lost to a stream timeout."""

from acme.adders import reverb as adders
import numpy as np
import reverb
import tensorflow as tf

from acme_kickstart.agents.kickstarting.builder import KickstartingBuilder
from acme_kickstart.agents.kickstarting.config import KickstartingConfig

BATCH_SIZE = 4


def _insert(client, ids):
  with client.trajectory_writer(num_keep_alive_refs=1) as writer:
    for i in ids:
      writer.append({'id': np.int64(i)})
      writer.create_item(adders.DEFAULT_PRIORITY_TABLE, priority=1.0,
                         trajectory={'id': writer.history['id'][-1]})
    writer.flush()


@tf.function
def _next(iterator):
  return next(iterator)  # As the learner's compiled step takes its batch.


def _batches_until_timeout(dataset):
  """Batches of a fresh iterator until the streams time out (as the learner)."""
  iterator, batches = iter(dataset), []
  while True:
    try:
      batches.append(_next(iterator).data['id'].numpy())
    except tf.errors.OutOfRangeError:
      return batches


def test_a_stream_timeout_drops_no_queue_item():
  server = reverb.Server([reverb.Table.queue(
      adders.DEFAULT_PRIORITY_TABLE, max_size=100,
      signature={'id': tf.TensorSpec([], tf.int64)})], port=None)
  try:
    client = reverb.Client(f'localhost:{server.port}')
    dataset = KickstartingBuilder(
        KickstartingConfig(batch_size=BATCH_SIZE)).make_dataset(
            client.server_address, num_streams=2, timeout_ms=300)
    _insert(client, range(11))  # Not a multiple of the batch size.
    first = _batches_until_timeout(dataset)
    _insert(client, range(11, 20))
    second = _batches_until_timeout(dataset)
    # Full batches, but for an iterator's last before its timeout.
    assert [len(b) for b in first] == [BATCH_SIZE, BATCH_SIZE, 3]
    assert all(len(b) == BATCH_SIZE for b in second[:-1])
    # Every item taken from the queue was yielded, exactly once.
    ids = np.concatenate(first + second).tolist()
    assert sorted(ids) == list(range(20))
    assert client.server_info()[adders.DEFAULT_PRIORITY_TABLE].current_size == 0
  finally:
    server.stop()
