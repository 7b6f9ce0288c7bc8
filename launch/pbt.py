"""Launches a PBT population of kickstarted students, then plots its lambdas.

  python launch/pbt.py --lp_launch_type=local_mt            # threads
  python launch/pbt.py --lp_launch_type=local_mp            # processes
  python launch/pbt.py --plot_only --run_dir=runs/minatar5_pbt

--config names a Python file with `get_config() -> PBTConfig`
(default configs/minatar5_pbt.py).
"""

import dataclasses
import os

from absl import app
from absl import flags
import launchpad  # pylint: disable=unused-import  # Defines --lp_launch_type.

from acme_kickstart import plotting
from acme_kickstart import run_dirs
from acme_kickstart.config_files import load_config
from acme_kickstart.pbt import program as pbt_program
from acme_kickstart.agents.kickstarting import program as program_lib

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
flags.DEFINE_string('config', os.path.join(_REPO, 'configs', 'minatar5_pbt.py'),
                    'Python file defining get_config() -> PBTConfig.')
flags.DEFINE_string('run_dir', None, 'Run directory of the population.')
flags.DEFINE_integer('max_env_steps', None, 'Env steps of each member.')
flags.DEFINE_integer('population_size', None, 'Members.')
flags.DEFINE_boolean('plot_only', False, 'Only draw the lambda plot of run_dir.')
flags.DEFINE_string('terminal', 'current_terminal', 'local_mp output.')
FLAGS = flags.FLAGS


def main(_):
  config = load_config(FLAGS.config)
  overrides = {}
  if FLAGS.run_dir:
    overrides['run_dir'] = FLAGS.run_dir
  if FLAGS.population_size:
    overrides['population_size'] = FLAGS.population_size
  if FLAGS.max_env_steps:
    overrides['member'] = dataclasses.replace(
        config.member, max_env_steps=FLAGS.max_env_steps)
  config = dataclasses.replace(config, **overrides)
  config.run_dir = run_dirs.resolve(config.run_dir)  # gs:// stays gs://.
  if not FLAGS.plot_only:
    program = pbt_program.make_pbt_program(config)
    print(f'Launching a population of {config.population_size} '
          f'({FLAGS.lp_launch_type}); run dir {config.run_dir}.')
    program_lib.launch_and_wait(
        program, FLAGS.lp_launch_type,
        local_resources=pbt_program.make_local_resources(config),
        terminal=FLAGS.terminal)
  print(f'λ evolution: {plotting.plot_lambdas(config.run_dir)}')


if __name__ == '__main__':
  app.run(main)
