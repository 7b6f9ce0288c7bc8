"""Writes a stock acme network for a MinAtar game's raw frames as a snapshot.

  python -m launch.write_acme_teacher --game=breakout --network=dqn \
      --output=/tmp/acme_dqn_breakout

The network (acme.tf.networks.DQNAtariNetwork, or IMPALAAtariNetwork reading an
ObservationActionReward) reads the game's own [10, 10, C] frames and acts in its
minimal action set, and is written as acme's Snapshotter writes it. Its weights
are random: it stands in for a teacher you trained with acme, to try the
teacher options (observation_fn, action_map, q_temperature) end to end.
"""

import os

# First: it turns TF's oneDNN kernels on (acme_kickstart/__init__.py), which
# counts only before anything loads TF's library, as launchpad does.
import acme_kickstart  # pylint: disable=unused-import

from absl import app
from absl import flags
from acme.tf import networks
from acme.tf import savers as tf2_savers
from acme.tf import utils as tf2_utils
import tensorflow as tf

from acme_kickstart.environments import minatar
from acme_kickstart.teachers import stock_acme

flags.DEFINE_enum('game', 'breakout', minatar.GAMES, 'MinAtar game.')
flags.DEFINE_enum('network', 'dqn', ['dqn', 'impala'],
                  'dqn: Q-values of raw frames; impala: recurrent, reads an '
                  'ObservationActionReward of raw frames.')
flags.DEFINE_string('output', None, 'Snapshot directory to write.')
flags.mark_flag_as_required('output')
FLAGS = flags.FLAGS


def main(_):
  num_actions = stock_acme.minimal_num_actions(FLAGS.game)
  if FLAGS.network == 'dqn':
    network = networks.DQNAtariNetwork(num_actions)
    input_spec = stock_acme.raw_observation_spec(FLAGS.game)
  else:
    network = networks.IMPALAAtariNetwork(num_actions)
    input_spec = stock_acme.oar_spec(FLAGS.game)
  tf2_utils.create_variables(network, [input_spec])
  output = os.path.expanduser(FLAGS.output)
  tf.saved_model.save(tf2_savers.make_snapshot(network), output)
  print(f'Wrote an acme {type(network).__name__} for raw {FLAGS.game} frames '
        f'({num_actions} actions, the minimal set) to {output}.')


if __name__ == '__main__':
  app.run(main)
