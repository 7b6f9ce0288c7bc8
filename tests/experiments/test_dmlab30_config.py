"""configs/dmlab30.py: the paper's DMLab-30 setup and IMPALA's hyperparameters."""

import dataclasses
import os
import shutil
import sys

from acme.tf import savers as tf2_savers
from acme.tf import utils as tf2_utils
import pytest

from acme_kickstart import networks
from acme_kickstart.environments import dmlab30
from acme_kickstart.experiments import factories
from acme_kickstart.experiments import program as program_lib
from configs import dmlab30 as dmlab30_config
import fake_deepmind_lab as fake


def _actor_levels(topology):
  """The level of each single-level actor, in actor order."""
  levels = []
  for tasks in topology.actor_tasks:
    (level,) = tasks
    levels.append(level)
  return levels


def test_topology_is_one_learner_and_five_actors_per_level():
  experiment = dmlab30_config.make_experiment()
  topology = dmlab30_config.make_topology()
  # Teachers are checked at make_program; the layout does not depend on them.
  program = program_lib.make_program(
      dataclasses.replace(experiment, teachers={}), topology)
  assert len(program.groups['learner']) == 1
  assert topology.num_actors == 150 == 5 * 30
  assert experiment.tasks == dmlab30.LEVELS
  levels = _actor_levels(topology)
  assert len(levels) == 150
  assert all(levels.count(level) == 5 for level in dmlab30.LEVELS)
  assert experiment.network == 'large_impala'
  assert experiment.previous_action_reward
  assert experiment.network_kwargs['use_previous_action_reward']
  assert experiment.suite_kwargs['action_repeat'] == 4


def test_agent_has_impala_published_dmlab30_hyperparameters():
  agent = dmlab30_config.make_experiment().agent
  assert agent == dmlab30_config.impala_dmlab30_agent_config()
  assert agent.batch_size == 32
  # Unrolls of 100 agent steps: 100 transitions per sequence.
  assert agent.sequence_length == 101 and agent.sequence_period == 100
  assert agent.period == 100
  assert agent.optimizer == 'rmsprop'
  assert agent.rmsprop_decay == 0.99 and agent.rmsprop_epsilon == 0.1
  assert agent.learning_rate == pytest.approx(0.00031866995608948655)
  assert agent.entropy_cost == pytest.approx(0.0033391318945337044)
  # scalable_agent: baseline_cost 0.5 on 0.5 * sum(advantage^2), summed losses,
  # TF1 RMSProp's mean square starting at 1, lr decayed to 0 over 10^10 frames.
  assert agent.baseline_cost == 0.25 and agent.loss_reduction == 'sum'
  assert agent.rmsprop_initial_mean_square == 1.0
  assert agent.learning_rate_decay_env_steps == 10**10 // 4
  assert agent.discount == 0.99
  assert agent.max_gradient_norm is None and agent.max_abs_reward is None
  experiment = dmlab30_config.make_experiment()
  assert experiment.agent.reward_clipping == 'soft_asymmetric'
  # The run's env-step budget is IMPALA's 10^10 frames, 4 frames a step.
  assert (experiment.run.max_env_steps *
          experiment.suite_kwargs['action_repeat']) == 10**10


def test_inconsistent_topologies_are_rejected():
  topology = dmlab30_config.make_topology()
  with pytest.raises(ValueError,
                     match='actor_tasks lists 150 actors but num_actors is 100'):
    dataclasses.replace(topology, num_actors=100).validate(dmlab30.LEVELS)
  with pytest.raises(ValueError, match='network'):
    dmlab30_config.make_experiment(network='huge')
  with pytest.raises(ValueError, match='Unknown DMLab-30 level'):
    dmlab30_config.make_experiment(levels=('lt_chasm',))
  small = dmlab30_config.make_topology(levels=dmlab30.LEVELS[:2],
                                       actors_per_level=5)
  assert small.num_actors == 10
  assert _actor_levels(small) == list(dmlab30.LEVELS[:2]) * 5


def test_network_and_environments_share_one_spec(monkeypatch, tmp_path):
  monkeypatch.setitem(sys.modules, 'deepmind_lab', fake)
  monkeypatch.setattr(fake.Registry, 'instances', [])
  experiment = dmlab30_config.make_experiment(
      level_cache_dir=str(tmp_path / 'cache'))
  topology = dmlab30_config.make_topology()
  network = factories.make_network(experiment)
  assert isinstance(network, networks.LargeImpalaNetwork)
  spec = factories.environment_spec(experiment)
  tf2_utils.create_variables(network, [spec.observations])
  (level,) = topology.tasks_of_actor(experiment.tasks, 31,
                                     experiment.agent.num_envs_per_actor)
  env = factories.make_environment(experiment, level)  # Actor 31: level 1.
  assert env.level == dmlab30.LEVELS[1] and env.task_id == 1
  assert env.observation_spec() == spec.observations
  timestep = env.reset()
  assert timestep.observation['prev_action'] == -1
  (logits, _), _ = network(tf2_utils.add_batch_dim(timestep.observation),
                           network.initial_state(1))
  assert logits.shape == (1, 9)
  assert (tmp_path / 'cache').is_dir()


def test_one_teacher_per_level_from_the_snapshot_directory(tmp_path):
  levels = dmlab30.LEVELS[:2]
  experiment = dmlab30_config.make_experiment(
      levels=levels, teacher_snapshot_dir=str(tmp_path / 't'))
  teacher = networks.SmallImpalaNetwork(
      dmlab30.NUM_ACTIONS, hidden_size=16, lstm_size=16,
      use_previous_action_reward=True)
  tf2_utils.create_variables(
      teacher, [factories.environment_spec(experiment).observations])
  snapshotter = tf2_savers.Snapshotter({'network': teacher},
                                       directory=str(tmp_path / 'run'),
                                       time_delta_minutes=0)
  snapshotter.save(force=True)
  with pytest.raises(FileNotFoundError, match='saved_model.pb'):
    factories.load_teachers(experiment)
  for level in levels:
    shutil.copytree(f'{snapshotter.directory}/network',
                    experiment.teachers[level])
  teachers = factories.load_teachers(experiment)
  assert teachers.task_ids == [0, 1]
  assert [teachers[k].name for k in teachers.task_ids] == [
      f'{level}_teacher' for level in levels]


def test_make_program_builds_the_paper_layout_without_launching(tmp_path):
  """1 learner, 150 actors (5 per level), each actor on its own level."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from acme_kickstart.environments import dmlab30 as dmlab  # pylint: disable=g-import-not-at-top
  from acme_kickstart.networks import SmallImpalaNetwork  # pylint: disable=g-import-not-at-top
  experiment = dmlab30_config.make_experiment(
      teacher_snapshot_dir=str(tmp_path), run_dir=str(tmp_path / 'run'))
  topology = dmlab30_config.make_topology()
  # The teacher reads what the student reads (with previous action and reward):
  # make_program loads and dry-runs every teacher before launching.
  teacher = SmallImpalaNetwork(dmlab.NUM_ACTIONS, pixel_scale=1 / 255)
  tf2_utils.create_variables(
      teacher, [factories.environment_spec(experiment).observations])
  snapshot = tmp_path / 'one_teacher'
  tf.saved_model.save(tf2_savers.make_snapshot(teacher), str(snapshot))
  for level in dmlab.LEVELS:  # One snapshot directory per level.
    os.symlink(snapshot, tmp_path / level)
  program = program_lib.make_program(experiment, topology)
  assert {g: len(n) for g, n in program.groups.items()} == {
      'replay': 1, 'counter': 1, 'learner': 1, 'actor': 150, 'evaluator': 1,
      'stopper': 1}
  assert experiment.network == 'large_impala'
  assert experiment.agent.batch_size == 32
  num_envs = experiment.agent.num_envs_per_actor
  assert topology.tasks_of_actor(experiment.tasks, 0, num_envs) == [
      dmlab.LEVELS[0]]
  per_level = {}
  for actor in range(150):
    (level,) = topology.tasks_of_actor(experiment.tasks, actor, num_envs)
    per_level[level] = per_level.get(level, 0) + 1
  assert per_level == {level: 5 for level in dmlab.LEVELS}
  assert set(experiment.teachers) == set(dmlab.LEVELS)
  # The launcher's entry point reads the same config.
  assert dmlab30_config.get_config('topology').num_actors == 150
  assert dmlab30_config.get_config() == dmlab30_config.make_experiment()
