"""Stock acme networks for a MinAtar game's raw frames, snapshotted the acme way.

Teachers trained outside this project read a game's own observation (not the
suite's padded dict) and often act in its minimal action set. These helpers
build the specs such a network reads and write its snapshot exactly as acme's
`Snapshotter` does (<directory>/<uid>/snapshots/network), so tests, the
benchmark and launch/write_acme_teacher.py load what a user's acme run writes.
"""

import os

from acme import specs
from acme.tf import savers as tf2_savers
from acme.tf import utils as tf2_utils
from acme.wrappers import observation_action_reward
import minatar
import numpy as np
import sonnet as snt


def raw_observation_spec(game: str) -> specs.Array:
  """A MinAtar game's own frame: [10, 10, C] float32, C its channel count."""
  shape = tuple(minatar.Environment(game).state_shape())
  return specs.Array(shape, np.float32, 'observation')


def oar_spec(game: str) -> observation_action_reward.OAR:
  """The acme ObservationActionReward an IMPALA/R2D2 network reads."""
  return observation_action_reward.OAR(
      observation=raw_observation_spec(game),
      action=specs.Array((), np.int32, 'action'),
      reward=specs.Array((), np.float32, 'reward'))


def minimal_num_actions(game: str) -> int:
  return len(minatar.Environment(game).minimal_action_set())


def write_snapshot(network: snt.Module, input_spec, directory: str) -> str:
  """Builds `network` on `input_spec`, snapshots it; returns the snapshot dir."""
  tf2_utils.create_variables(network, [input_spec])
  snapshotter = tf2_savers.Snapshotter({'network': network},
                                       directory=directory)
  snapshotter.save(force=True)
  return os.path.join(snapshotter.directory, 'network')
