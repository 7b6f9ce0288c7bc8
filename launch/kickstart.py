"""Launches distributed kickstarting with Launchpad.

  python -m launch.kickstart --lp_launch_type=local_mp              # processes
  python -m launch.kickstart --lp_launch_type=local_mt              # threads
  python -m launch.kickstart --config=configs/dmlab30.py \
      --topology=configs/dmlab30.py:topology --lp_launch_type=vertex_ai

--config is an ml_collections config file whose `get_config()` returns an
ExperimentConfig; --topology (default: the same file's `get_config('topology')`)
gives the layout. Any field can be overridden on the command line:

  --config.agent.learning_rate=3e-4 --config.run.max_env_steps=500000
  --config.run.run_dir=runs/x --config.agent.num_envs_per_actor=64
  --config.agent.distillation_schedule.kind=linear \
      --config.agent.distillation_schedule.decay_env_steps=200000
  --topology.num_actors=2

The program stops by itself after run.max_env_steps. --single_process runs
the same experiment in this process instead (experiments/run_experiment.py:
one actor of agent.num_envs_per_actor environments and the learner, stepped
in turn), without Launchpad; --topology is then unused.

Teachers from the command line, each flag TASK:VALUE and repeatable:

  --teacher=breakout:/path/to/snapshot     # that task's teacher (acme snapshot)
  --teacher_observation_fn=breakout:raw_channels   # what it reads (see below)
  --teacher_action_map=breakout:0,1,3      # suite action of each teacher action
                                           # ('minimal': the game's minimal set)
  --teacher_q_temperature=breakout:0.05    # a Q-network: softmax(Q / 0.05)

--teacher replaces that task's teacher from the config (the other tasks keep
theirs; add --no_teachers to keep only those named here). Observation functions:
pixels, raw_channels (a MinAtar game's unpadded channels), oar and
oar:raw_channels (acme ObservationActionReward; needs previous_action_reward).
Every teacher is loaded and checked against the suite before anything starts.
"""

import os

# First: it turns TF's oneDNN kernels on (acme_kickstart/__init__.py), which
# counts only before anything loads TF's library, as launchpad does.
import acme_kickstart  # pylint: disable=unused-import

from absl import app
from absl import flags
import launchpad  # pylint: disable=unused-import  # Defines --lp_launch_type.
from ml_collections import config_flags

from acme_kickstart.experiments import launching
from acme_kickstart.experiments import program as program_lib
from acme_kickstart.experiments import run_experiment
from acme_kickstart.teachers import specs as teacher_specs
from acme_kickstart.utils import run_dirs

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_DEFAULT = os.path.join(_REPO, 'configs', 'minatar5.py')
_CONFIG = config_flags.DEFINE_config_file(
    'config', _DEFAULT, 'Config file whose get_config() is an ExperimentConfig.')
_TOPOLOGY = config_flags.DEFINE_config_file(
    'topology', _DEFAULT + ':topology', 'Config file and part giving the '
    "Topology; default: the --config file's get_config('topology').")
flags.DEFINE_boolean('no_teachers', False, 'Train without teachers (lambda=0) '
                     'and so without the distillation replay.')
flags.DEFINE_multi_string('teacher', [], 'TASK:SNAPSHOT_DIR, a teacher.')
flags.DEFINE_multi_string(
    'teacher_observation_fn', [],
    'TASK:NAME, what the teacher reads: ' + ', '.join(
        teacher_specs.OBSERVATION_FNS) + '.')
flags.DEFINE_multi_string(
    'teacher_action_map', [],
    "TASK:I,J,... the suite action of each teacher action, or TASK:minimal.")
flags.DEFINE_multi_string(
    'teacher_q_temperature', [],
    'TASK:TAU, the teacher outputs Q-values; its policy is softmax(Q / TAU).')
flags.DEFINE_string('terminal', 'current_terminal',
                    'local_mp output: current_terminal, output_to_files, ...')
flags.DEFINE_boolean('single_process', False, 'Run the experiment in this '
                     'process (no Launchpad program; --topology unused).')
FLAGS = flags.FLAGS


def with_teacher_flags(experiment):
  """The experiment with the --teacher* flags applied."""
  try:
    teachers = teacher_specs.parse_teacher_flags(
        experiment.tasks, {} if FLAGS.no_teachers else experiment.teachers,
        FLAGS.teacher, FLAGS.teacher_observation_fn, FLAGS.teacher_action_map,
        FLAGS.teacher_q_temperature)
  except ValueError as e:
    raise SystemExit(f'kickstart.py: {e}') from e
  return experiment.with_teachers(teachers)


def run_single_process(experiment):
  """The experiment in this process, its logs in its run directory."""
  try:
    agent = run_experiment.make_agent(experiment, log_to_run_dir=True)
  except (FileNotFoundError, ValueError) as e:
    raise SystemExit(f'kickstart.py: {e}') from e
  print(f'Running in this process: {experiment.agent.num_envs_per_actor} '
        f'envs, lambda schedule {experiment.agent.distillation_schedule.name}; '
        f'run dir {experiment.run.run_dir}; stops after '
        f'{experiment.run.max_env_steps} steps.')
  with agent:
    agent.run(experiment.run.max_env_steps)
  print(f'Done: {agent.env_steps} env steps, {agent.learner.num_steps} '
        'learner steps.')


def main(_):
  try:
    experiment = with_teacher_flags(_CONFIG.value).validate()
    experiment.run.run_dir = run_dirs.resolve(experiment.run.run_dir)
  except (FileNotFoundError, ValueError) as e:
    raise SystemExit(f'kickstart.py: {e}') from e
  if FLAGS.single_process:
    run_single_process(experiment)
    return
  topology = launching.topology_from_flags()
  try:
    program = program_lib.make_program(experiment, topology)
  except (FileNotFoundError, ValueError) as e:
    raise SystemExit(f'kickstart.py: {e}') from e
  print(f'Launching {topology.num_actors} actors x '
        f'{experiment.agent.num_envs_per_actor} envs ({FLAGS.lp_launch_type}), '
        f'lambda schedule {experiment.agent.distillation_schedule.name}; '
        f'run dir {experiment.run.run_dir}; stops after '
        f'{experiment.run.max_env_steps} steps.')
  launching.launch_and_wait(
      program, FLAGS.lp_launch_type,
      local_resources=launching.make_local_resources(topology),
      xm_resources=launching.make_xm_resources(topology),
      terminal=FLAGS.terminal)


if __name__ == '__main__':
  app.run(main)
