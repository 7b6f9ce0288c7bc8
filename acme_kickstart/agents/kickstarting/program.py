"""The distributed kickstarting agent as a Launchpad program.

Groups: `replay` (a Reverb queue), `counter` (checkpointed), `learner`
(checkpointed courier node; actors fetch its weights), `actor` (N processes,
each stepping K environments of one or several tasks with their teachers),
`evaluator`, and `stopper`, which ends the program once the actors have taken
`max_env_steps` env steps.
"""

import dataclasses
import functools
from typing import Any, Dict, NamedTuple, Optional

from acme.utils import counting
from acme.utils import lp_utils
import launchpad as lp
import reverb

from acme_kickstart import loggers
from acme_kickstart import run_dirs
from acme_kickstart.agents.kickstarting import builder
from acme_kickstart.agents.kickstarting import checkpointing
from acme_kickstart.agents.kickstarting import distillation_replay
from acme_kickstart.agents.kickstarting import workers
from acme_kickstart.agents.kickstarting.config import ProgramConfig


def _checkpoint_dir(config: ProgramConfig) -> str:
  """The Checkpointer adds 'checkpoints/<subdirectory>' to this."""
  return run_dirs.resolve(config.run_dir)


def make_learner(config: ProgramConfig, replay: reverb.Client, counter):
  """The learner, wrapped to checkpoint network, optimizer and hyperparameters."""
  workers.write_pid(config.run_dir, 'learner')
  spec = builder.environment_spec(config)
  network = builder.build_network(
      builder.make_network(config, spec.actions.num_values), spec)
  dataset = builder.make_dataset(
      replay.server_address, config.agent.batch_size,
      config.num_dataset_streams, timeout_ms=2_000)
  learner = builder.make_learner(
      network, dataset, config.agent, config.tasks,
      counter=counting.Counter(counter, prefix='learner'),
      logger=loggers.make_logger(config.run_dir, 'learner',
                                 terminal_seconds=None,
                                 min_seconds=config.progress_period_seconds),
      score_ranges=builder.score_ranges(config),
      events_logger=loggers.make_events_logger(config.run_dir),
      replay_reader=distillation_replay.make_reader(
          replay.server_address, config.agent, timeout_ms=2_000))
  return checkpointing.CheckpointedLearner(
      learner, _checkpoint_dir(config), config.checkpoint_minutes)


class MemberHandles(NamedTuple):
  """Courier handles of one student's nodes (for a PBT controller)."""
  learner: Any
  evaluator: Any
  counter: Any


def add_member(program: lp.Program, config: ProgramConfig) -> MemberHandles:
  """Adds one student's nodes (replay, counter, learner, actors, evaluator)."""
  config = dataclasses.replace(config, run_dir=run_dirs.resolve(config.run_dir))
  with program.group('replay'):
    replay = program.add_node(lp.ReverbNode(
        functools.partial(builder.make_replay_tables, config)))
  with program.group('counter'):
    counter = program.add_node(lp.CourierNode(
        checkpointing.CheckpointedCounter, _checkpoint_dir(config)))
  with program.group('learner'):
    learner = program.add_node(
        lp.CourierNode(make_learner, config, replay, counter))
  with program.group('actor'):
    for actor_id in range(config.num_actors):
      program.add_node(lp.CourierNode(
          workers.ActorWorker, config, actor_id, replay, learner, counter))
  with program.group('evaluator'):
    evaluator = program.add_node(lp.CourierNode(
        workers.EvaluatorWorker, config, learner, counter))
  return MemberHandles(learner, evaluator, counter)


def make_program(config: ProgramConfig) -> lp.Program:
  """Lays the experiment out as a Launchpad program."""
  builder.check_teacher_snapshots(config)
  builder.score_ranges(config)  # A gated schedule without references fails now.
  if config.agent.distillation_schedule.kind == 'pbt':
    raise ValueError("The 'pbt' lambda schedule needs a PBT controller: launch "
                     'it with launch/pbt.py, or choose another schedule kind.')
  program = lp.Program(name='kickstart')
  member = add_member(program, config)
  with program.group('stopper'):
    program.add_node(lp.CourierNode(
        lp_utils.StepsLimiter, member.counter, config.max_env_steps,
        'actor_steps'))
  return program


def launch_and_wait(program: lp.Program, launch_type: str,
                    local_resources: Optional[Dict[str, Any]] = None,
                    xm_resources: Optional[Dict[str, Any]] = None,
                    terminal: str = 'current_terminal',
                    termination_notice_secs: int = 60):
  """Launches `program` and returns when it has ended.

  Resources go to the launch types that take them (`local_resources` and
  `terminal` to local_mp, `xm_resources` to vertex_ai). Workers get
  `termination_notice_secs` (Launchpad's default is 10) to stop: on a loaded
  machine a learner still tracing its first step, or saving its last
  checkpoint, can take longer, and Launchpad then SIGKILLs the whole runtime,
  this launcher included, losing its work after the run (the demo's table).
  An explicit --lp_termination_notice_secs still wins.
  """
  from absl import flags  # pylint: disable=g-import-not-at-top
  flags.FLAGS.set_default('lp_termination_notice_secs', termination_notice_secs)
  launch_type = lp.LaunchType(launch_type)
  kwargs = {}
  if launch_type == lp.LaunchType.LOCAL_MULTI_PROCESSING:
    kwargs = dict(local_resources=local_resources or {}, terminal=terminal)
  elif launch_type == lp.LaunchType.VERTEX_AI:
    kwargs = dict(xm_resources=xm_resources or {})
  manager = lp.launch(program, launch_type=launch_type, **kwargs)
  if manager is not None and hasattr(manager, 'wait'):
    manager.wait()


def make_local_resources(config: ProgramConfig) -> Dict[str, Any]:
  """Launchpad local_mp resources: per-group environment and arguments."""
  from launchpad.nodes.python import local_multi_processing  # pylint: disable=g-import-not-at-top
  resources = {}
  for group, group_resources in config.topology.items():
    env = dict(group_resources.env)
    if group_resources.gpus == 0:
      env['CUDA_VISIBLE_DEVICES'] = ''
    resources[group] = local_multi_processing.PythonProcess(
        env=env, args=dict(group_resources.args))
  return resources


def make_xm_resources(config: ProgramConfig) -> Dict[str, Dict[str, Any]]:
  """Per-group XManager resources for a multi-host (Vertex AI) launch."""
  resources = {}
  for group, group_resources in config.topology.items():
    xm = dict(group_resources.xm)
    if group_resources.gpus == 0:
      xm.pop('gpu', None)
    resources[group] = xm
  return resources
