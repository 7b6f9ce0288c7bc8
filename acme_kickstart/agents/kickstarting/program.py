"""The distributed kickstarting agent as a Launchpad program.

Groups: `replay` (a Reverb queue), `counter` (checkpointed), `learner`
(checkpointed courier node; actors fetch its weights), `actor` (N processes,
each stepping K environments of one or several tasks with their teachers),
`evaluator`, and `stopper`, which ends the program once the actors have taken
`run.max_env_steps` env steps. With `Topology.colocate_services` (the
default) the replay, counter and evaluator nodes are threads of one process,
in group `replay`. It takes the same `ExperimentConfig` as the single-process
runner (experiments/run_experiment.py), and the `Topology` given at launch.
Launching is launching.py's.
"""

import dataclasses
import functools
from typing import Any, NamedTuple

from acme.utils import counting
from acme.utils import lp_utils
import launchpad as lp
import reverb

from acme_kickstart import loggers
from acme_kickstart import run_dirs
from acme_kickstart.agents.kickstarting import checkpointing
from acme_kickstart.agents.kickstarting import stopping
from acme_kickstart.agents.kickstarting import workers
from acme_kickstart.agents.kickstarting.builder import KickstartingBuilder
from acme_kickstart.experiments import factories
from acme_kickstart.experiments.config import ExperimentConfig
from acme_kickstart.experiments.config import Topology

# How long a learner's dataset streams wait for data before they end and the
# learner returns to Python (so it can stop): builder.make_dataset.
DATASET_TIMEOUT_MS = 2_000

# The nodes that share the 'replay' group's process under
# Topology.colocate_services.
SERVICE_GROUPS = ('replay', 'counter', 'evaluator')


def _checkpoint_dir(experiment: ExperimentConfig) -> str:
  """The Checkpointer adds 'checkpoints/<subdirectory>' to this."""
  return run_dirs.resolve(experiment.run.run_dir)


def make_replay_tables(experiment: ExperimentConfig):
  """The replay node's tables (known from the suite's spec alone)."""
  spec = factories.environment_spec(experiment)
  return KickstartingBuilder(experiment.agent).make_replay_tables(
      spec, factories.make_network(experiment, spec.actions.num_values))


def make_learner_node(experiment: ExperimentConfig, topology: Topology,
                      replay: reverb.Client,
                      counter) -> checkpointing.LearnerNode:
  """The learner, checkpointing network, optimizer and hyperparameters."""
  run = experiment.run
  workers.write_pid(run.run_dir, 'learner')
  builder = KickstartingBuilder(experiment.agent)
  spec = factories.environment_spec(experiment)
  network = factories.build_network(
      factories.make_network(experiment, spec.actions.num_values), spec)
  dataset = builder.make_dataset(replay.server_address,
                                 topology.num_dataset_streams,
                                 timeout_ms=DATASET_TIMEOUT_MS)
  learner = builder.make_learner(
      network, dataset, experiment.tasks,
      # Its sync gives up once the program stops: the counter may stop
      # first (stopping.py).
      counter=counting.Counter(stopping.stop_aware(counter), prefix='learner'),
      logger=loggers.make_logger(run.run_dir, 'learner',
                                 terminal_seconds=None,
                                 min_seconds=run.progress_period_seconds),
      score_ranges=factories.score_ranges(experiment),
      teacher_tasks=list(experiment.teachers),
      events_logger=loggers.make_events_logger(run.run_dir),
      replay_reader=builder.make_replay_reader(replay.server_address,
                                               DATASET_TIMEOUT_MS))
  return checkpointing.LearnerNode(learner, _checkpoint_dir(experiment),
                                   run.checkpoint_minutes)


class MemberHandles(NamedTuple):
  """Courier handles of one student's nodes (for a PBT controller)."""
  learner: Any
  evaluator: Any
  counter: Any


def add_member(program: lp.Program, experiment: ExperimentConfig,
               topology: Topology) -> MemberHandles:
  """Adds one student's nodes (replay, counter, learner, actors, evaluator).

  With `topology.colocate_services` the replay table, the counter and the
  evaluator run as threads of one process (group 'replay'): each process
  loads TF's ~0.45 GB of libraries, and these three nodes use little CPU.
  """
  experiment = dataclasses.replace(
      experiment, run=dataclasses.replace(
          experiment.run, run_dir=run_dirs.resolve(experiment.run.run_dir)))
  services = []

  def add(group: str, node):
    if topology.colocate_services and group in SERVICE_GROUPS:
      services.append(node)
      return node.create_handle()
    with program.group(group):
      return program.add_node(node)
  replay = add('replay', lp.ReverbNode(
      functools.partial(make_replay_tables, experiment)))
  counter = add('counter', lp.CourierNode(
      checkpointing.CheckpointedCounter, _checkpoint_dir(experiment)))
  learner = add('learner', lp.CourierNode(
      make_learner_node, experiment, topology, replay, counter))
  for actor_id in range(topology.num_actors):
    add('actor', lp.CourierNode(
        workers.ActorWorker, experiment, topology, actor_id, replay,
        learner, counter))
  evaluator = add('evaluator', lp.CourierNode(
      workers.EvaluatorWorker, experiment, learner, counter,
      topology.actor_tf_threads))
  if services:
    with program.group('replay'):
      program.add_node(lp.MultiThreadingColocation(services))
  return MemberHandles(learner, evaluator, counter)


def check_experiment(experiment: ExperimentConfig, topology: Topology):
  """Everything that can fail before launch fails here, with one message."""
  experiment.validate()
  topology.validate(experiment.tasks)
  factories.check_teacher_snapshots(experiment)
  factories.score_ranges(experiment)  # A gated schedule needs references.


def make_program(experiment: ExperimentConfig,
                 topology: Topology) -> lp.Program:
  """Lays the experiment out as a Launchpad program."""
  check_experiment(experiment, topology)
  if experiment.agent.distillation_schedule.kind == 'pbt':
    raise ValueError("The 'pbt' lambda schedule needs a PBT controller: launch "
                     'it with launch/pbt.py, or choose another schedule kind.')
  program = lp.Program(name='kickstart')
  member = add_member(program, experiment, topology)
  with program.group('stopper'):
    program.add_node(lp.CourierNode(
        lp_utils.StepsLimiter, member.counter, experiment.run.max_env_steps,
        'actor_steps'))
  return program
