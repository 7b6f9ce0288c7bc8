"""The distributed kickstarting agent as a Launchpad program.

Groups: `replay` (a Reverb queue), `counter` (checkpointed), `learner`
(checkpointed courier node; actors fetch its weights), `actor` (N processes,
each stepping K environments of one or several tasks with their teachers),
`evaluator`, and `stopper`, which ends the program once the actors have taken
`run.max_env_steps` env steps. With `Topology.colocate_services` (the
default) the replay, counter and evaluator nodes are threads of one process,
in group `replay`. It takes the same `ExperimentConfig` as the single-process
runner (run_experiment.py), and the `Topology` given at launch. The nodes are
learner_node.py's, counter.py's and workers.py's; launching is launching.py's.
"""

import dataclasses
import functools
from typing import Any, NamedTuple

from acme.utils import lp_utils
import launchpad as lp

from acme_kickstart.agents.kickstarting.builder import KickstartingBuilder
from acme_kickstart.experiments import counter as counter_lib
from acme_kickstart.experiments import factories
from acme_kickstart.experiments import learner_node
from acme_kickstart.experiments import workers
from acme_kickstart.experiments.config import ExperimentConfig
from acme_kickstart.experiments.config import Topology
from acme_kickstart.utils import run_dirs

# The nodes that share the 'replay' group's process under
# Topology.colocate_services.
SERVICE_GROUPS = ('replay', 'counter', 'evaluator')


def make_replay_tables(experiment: ExperimentConfig):
  """The replay node's tables (known from the suite's spec alone)."""
  spec = factories.environment_spec(experiment)
  return KickstartingBuilder(experiment.agent).make_replay_tables(
      spec, factories.make_network(experiment, spec.actions.num_values))


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
      counter_lib.CheckpointedCounter,
      learner_node.checkpoint_dir(experiment)))
  learner = add('learner', lp.CourierNode(
      learner_node.make_learner_node, experiment, topology, replay, counter))
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
