"""Launches distributed kickstarting with Launchpad.

  python launch/kickstart.py --lp_launch_type=local_mp              # processes
  python launch/kickstart.py --lp_launch_type=local_mt              # threads
  python launch/kickstart.py --config=configs/dmlab30.py --lp_launch_type=vertex_ai

--config names a Python file with `get_config() -> ProgramConfig`; the flags
below override its fields. The program stops by itself after max_env_steps.

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

import dataclasses
import os

from absl import app
from absl import flags
import launchpad  # pylint: disable=unused-import  # Defines --lp_launch_type.

from acme_kickstart import run_dirs
from acme_kickstart import teacher_specs
from acme_kickstart.agents.kickstarting import program as program_lib
from acme_kickstart.agents.kickstarting import schedules
from acme_kickstart.config_files import load_config
from acme_kickstart.agents.kickstarting.config import ProgramConfig

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
flags.DEFINE_string('config', os.path.join(_REPO, 'configs', 'minatar5.py'),
                    'Python file defining get_config().')
flags.DEFINE_string('run_dir', None, 'Run directory (logs, checkpoints).')
flags.DEFINE_integer('max_env_steps', None, 'Stop after this many env steps.')
flags.DEFINE_integer('num_actors', None, 'Actor processes.')
flags.DEFINE_integer('envs_per_actor', None, 'Environments per actor.')
flags.DEFINE_string('lambda_schedule', None,
                    "Overrides the config's lambda schedule: 'constant', "
                    "'gated', 'linear:ENV_STEPS', 'exponential:RATE', "
                    "optionally with '+gated' (schedules.parse).")
flags.DEFINE_boolean('no_teachers', False, 'Train without teachers (lambda=0).')
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
FLAGS = flags.FLAGS


def apply_flags(config: ProgramConfig) -> ProgramConfig:
  agent = config.agent
  if FLAGS.envs_per_actor:
    agent = dataclasses.replace(agent, num_envs_per_actor=FLAGS.envs_per_actor)
  if FLAGS.lambda_schedule:
    agent = dataclasses.replace(
        agent, distillation_schedule=schedules.parse(FLAGS.lambda_schedule))
  overrides = {'agent': agent}
  if FLAGS.run_dir:
    overrides['run_dir'] = FLAGS.run_dir
  if FLAGS.max_env_steps:
    overrides['max_env_steps'] = FLAGS.max_env_steps
  if FLAGS.num_actors:
    overrides['num_actors'] = FLAGS.num_actors
    overrides['actor_tasks'] = None
  try:
    overrides['teachers'] = teacher_specs.parse_teacher_flags(
        config.tasks, {} if FLAGS.no_teachers else config.teachers,
        FLAGS.teacher, FLAGS.teacher_observation_fn, FLAGS.teacher_action_map,
        FLAGS.teacher_q_temperature)
  except ValueError as e:
    raise SystemExit(f'kickstart.py: {e}') from e
  return dataclasses.replace(config, **overrides)


def main(_):
  config = apply_flags(load_config(FLAGS.config))
  config.run_dir = run_dirs.resolve(config.run_dir)  # gs:// stays gs://.
  try:
    program = program_lib.make_program(config)
  except (FileNotFoundError, ValueError) as e:
    raise SystemExit(f'kickstart.py: {e}') from e
  print(f'Launching {config.num_actors} actors x '
        f'{config.agent.num_envs_per_actor} envs ({FLAGS.lp_launch_type}), '
        f'lambda schedule {config.agent.distillation_schedule.name}; '
        f'run dir {config.run_dir}; stops after {config.max_env_steps} steps.')
  program_lib.launch_and_wait(
      program, FLAGS.lp_launch_type,
      local_resources=program_lib.make_local_resources(config),
      xm_resources=program_lib.make_xm_resources(config),
      terminal=FLAGS.terminal)


if __name__ == '__main__':
  app.run(main)
