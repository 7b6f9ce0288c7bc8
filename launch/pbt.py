"""Launches a PBT population of kickstarted students, then plots its lambdas.

  python -m launch.pbt --lp_launch_type=local_mt            # threads
  python -m launch.pbt --lp_launch_type=local_mp            # processes
  python -m launch.pbt --plot_only --config.run_dir=runs/minatar5_pbt

--config is an ml_collections config file whose `get_config()` returns a
PBTConfig (default configs/minatar5_pbt.py); --topology (default: the same
file's `get_config('topology')`) lays out each member. Override any field:
--config.population_size=2 --config.member.run.max_env_steps=100000
--config.run_dir=runs/x --topology.num_actors=2.
"""

import os

# First: it turns TF's oneDNN kernels on (acme_kickstart/__init__.py), which
# counts only before anything loads TF's library, as launchpad does.
import acme_kickstart  # pylint: disable=unused-import

from absl import app
from absl import flags
import launchpad  # pylint: disable=unused-import  # Defines --lp_launch_type.
from ml_collections import config_flags

from acme_kickstart.analysis import plotting
from acme_kickstart.experiments import launching
from acme_kickstart.pbt import program as pbt_program
from acme_kickstart.utils import run_dirs

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_DEFAULT = os.path.join(_REPO, 'configs', 'minatar5_pbt.py')
_CONFIG = config_flags.DEFINE_config_file(
    'config', _DEFAULT, 'Config file whose get_config() is a PBTConfig.')
config_flags.DEFINE_config_file(
    'topology', _DEFAULT + ':topology', 'Config file and part giving each '
    "member's Topology; default: the --config file's get_config('topology').")
flags.DEFINE_boolean('plot_only', False, 'Only draw the lambda plot of run_dir.')
flags.DEFINE_string('terminal', 'current_terminal', 'local_mp output.')
FLAGS = flags.FLAGS


def main(_):
  config = _CONFIG.value
  config.run_dir = run_dirs.resolve(config.run_dir)  # gs:// stays gs://.
  if not FLAGS.plot_only:
    try:
      topology = launching.topology_from_flags()
      program = pbt_program.make_pbt_program(config, topology)
    except (FileNotFoundError, ValueError) as e:
      raise SystemExit(f'pbt.py: {e}') from e
    print(f'Launching a population of {config.population_size} '
          f'({FLAGS.lp_launch_type}); run dir {config.run_dir}.')
    launching.launch_and_wait(
        program, FLAGS.lp_launch_type,
        local_resources=pbt_program.make_local_resources(topology),
        terminal=FLAGS.terminal)
  print(f'λ evolution: {plotting.plot_lambdas(config.run_dir)}')


if __name__ == '__main__':
  app.run(main)
