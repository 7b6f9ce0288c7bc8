"""A PBT population of kickstarted students as one Launchpad program."""

import dataclasses

import launchpad as lp

from acme_kickstart import run_dirs
from acme_kickstart.agents.kickstarting import builder
from acme_kickstart.agents.kickstarting import program as program_lib
from acme_kickstart.pbt.config import PBTConfig
from acme_kickstart.pbt.node import PBTControllerNode


def member_config(config: PBTConfig, index: int):
  member = config.member
  return dataclasses.replace(
      member,
      agent=dataclasses.replace(member.agent, seed=member.agent.seed + index),
      run_dir=run_dirs.join(run_dirs.resolve(config.run_dir),
                            f'member_{index}'))


def make_pbt_program(config: PBTConfig) -> lp.Program:
  """P students (replay, counter, learner, actors, evaluator each) + controller."""
  builder.check_teacher_snapshots(config.member)
  program = lp.Program(name='kickstart_pbt')
  members = [program_lib.add_member(program, member_config(config, i))
             for i in range(config.population_size)]
  with program.group('controller'):
    program.add_node(lp.CourierNode(
        PBTControllerNode, config, [m.learner for m in members],
        [m.evaluator for m in members], [m.counter for m in members]))
  return program


def make_local_resources(config: PBTConfig):
  """local_mp resources: the members' groups, the controller like the counter."""
  resources = program_lib.make_local_resources(config.member)
  resources['controller'] = resources['counter']
  return resources
