"""The Launchpad program's layout and resources; what fails before launch."""

import dataclasses

import pytest

from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.experiments import launching
from acme_kickstart.experiments import program as program_lib
from acme_kickstart.experiments.config import ExperimentConfig
from acme_kickstart.experiments.config import GroupResources
from acme_kickstart.experiments.config import RunConfig
from acme_kickstart.experiments.config import Topology
import program_utils as pu


@pytest.fixture(scope='module')
def teachers(tmp_path_factory):
  return pu.write_teachers(tmp_path_factory.mktemp('teachers'))


def test_groups_node_counts_and_resources_follow_the_config(teachers, tmp_path):
  groups = {
      'learner': GroupResources(gpus=None, env={'TF_XLA_FLAGS': '--x'},
                                xm={'cpu': 8, 'gpu': 1, 'gpu_type': 'a100'}),
      'actor': GroupResources(gpus=0, args={'foo': '1'},
                              xm={'cpu': 4, 'gpu': 1}),
      'evaluator': GroupResources(gpus=0, xm={'cpu': 2}),
  }
  config = ExperimentConfig(agent=KickstartingConfig(num_envs_per_actor=4),
                            teachers=teachers,
                            run=RunConfig(run_dir=str(tmp_path)))
  topology = Topology(num_actors=7, groups=groups)
  # By default the replay table, the counter and the evaluator share the
  # replay process.
  program = program_lib.make_program(config, topology)
  assert {g: len(n) for g, n in program.groups.items()} == {
      'replay': 1, 'learner': 1, 'actor': 7, 'stopper': 1}
  apart = program_lib.make_program(
      config, dataclasses.replace(topology, colocate_services=False))
  assert {g: len(n) for g, n in apart.groups.items()} == {
      'replay': 1, 'counter': 1, 'learner': 1, 'actor': 7, 'evaluator': 1,
      'stopper': 1}
  local = launching.make_local_resources(topology)
  assert local['actor'].env == {'CUDA_VISIBLE_DEVICES': ''}
  assert local['actor'].args == {'foo': '1'}
  assert local['evaluator'].env == {'CUDA_VISIBLE_DEVICES': ''}
  assert local['learner'].env == {'TF_XLA_FLAGS': '--x'}  # GPUs stay visible.
  xm = launching.make_xm_resources(topology)
  assert xm['learner'] == {'cpu': 8, 'gpu': 1, 'gpu_type': 'a100'}
  assert xm['actor'] == {'cpu': 4}  # A CPU group never asks for a GPU.


def test_paper_layout_five_actors_per_task_is_expressible(teachers, tmp_path):
  tasks = ExperimentConfig().tasks
  config = ExperimentConfig(
      agent=KickstartingConfig(num_envs_per_actor=3), teachers=teachers,
      run=RunConfig(run_dir=str(tmp_path)))
  topology = Topology(num_actors=25,
                      actor_tasks=[[t] for t in tasks for _ in range(5)])
  program = program_lib.make_program(config, topology)
  assert len(program.groups['actor']) == 25
  assert topology.tasks_of_actor(tasks, 0, 3) == ['breakout'] * 3
  assert topology.tasks_of_actor(tasks, 24, 3) == ['space_invaders'] * 3
  # The default layout spreads every actor's environments over all tasks.
  default = ExperimentConfig()
  assert set(Topology().tasks_of_actor(
      tasks, 1, default.agent.num_envs_per_actor)) == set(tasks)


def test_missing_teacher_snapshot_fails_before_launch(tmp_path):
  config = ExperimentConfig(teachers={'breakout': str(tmp_path / 'missing')},
                            run=RunConfig(run_dir=str(tmp_path)))
  with pytest.raises(FileNotFoundError, match="teacher of task 'breakout'.*"
                     'launch.train_teacher'):
    program_lib.make_program(config, Topology())
