"""Stock acme snapshots for teacher tests: a DQN on raw frames, and snapshot
directories TF cannot load."""

import os

from acme.tf import networks as acme_networks
import tensorflow as tf

from acme_kickstart.teachers import stock_acme

TAU = 0.005  # A random DQN's Q-values differ by ~0.01: a peaked policy.


def dqn_snapshot(directory, game='breakout'):
  """A feed-forward acme DQN on the game's raw frames, minimal action set.

  Seeded: how peaked softmax(Q / TAU) is depends on the random init (one
  init in ~20 gives a mean max-probability under 0.5).
  """
  tf.random.set_seed(0)
  network = acme_networks.DQNAtariNetwork(stock_acme.minimal_num_actions(game))
  path = stock_acme.write_snapshot(
      network, stock_acme.raw_observation_spec(game), str(directory))
  return network, path


def bad_snapshot(tmp_path, kind):
  path = tmp_path / kind
  path.mkdir()
  if kind == 'empty':
    (path / 'saved_model.pb').write_bytes(b'')
  elif kind == 'corrupt':
    (path / 'saved_model.pb').write_bytes(os.urandom(512))
  else:  # A Keras HDF5 file renamed: not a SavedModel at all.
    (path / 'saved_model.pb').write_bytes(b'\x89HDF\r\n\x1a\n' + b'\0' * 64)
  return str(path)
