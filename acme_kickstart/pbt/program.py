"""A PBT population of kickstarted students as one Launchpad program."""

import dataclasses

import launchpad as lp

from acme_kickstart.experiments import launching
from acme_kickstart.experiments import program as program_lib
from acme_kickstart.experiments.config import ExperimentConfig
from acme_kickstart.experiments.config import Topology
from acme_kickstart.pbt.config import PBTConfig
from acme_kickstart.pbt.node import PBTControllerNode
from acme_kickstart.utils import run_dirs
from acme_kickstart.utils import seeding


def member_config(config: PBTConfig, index: int) -> ExperimentConfig:
  """Member `index`: its own spawned seed and run directory."""
  member = config.member
  seed = seeding.spawn_seeds(member.seed, config.population_size)[index]
  return dataclasses.replace(
      member, seed=seed,
      run=dataclasses.replace(
          member.run, run_dir=run_dirs.join(run_dirs.resolve(config.run_dir),
                                            f'member_{index}')))


def make_pbt_program(config: PBTConfig, topology: Topology) -> lp.Program:
  """P students (replay, counter, learner, actors, evaluator each) + controller.

  Every member is laid out by `topology`.
  """
  config.validate()
  program_lib.check_experiment(config.member, topology)
  program = lp.Program(name='kickstart_pbt')
  members = [program_lib.add_member(program, member_config(config, i),
                                    topology)
             for i in range(config.population_size)]
  with program.group('controller'):
    program.add_node(lp.CourierNode(
        PBTControllerNode, config, [m.learner for m in members],
        [m.evaluator for m in members], [m.counter for m in members]))
  return program


def make_local_resources(topology: Topology):
  """local_mp resources: the members' groups, the controller like the counter."""
  resources = launching.make_local_resources(topology)
  resources['controller'] = resources['counter']
  return resources
