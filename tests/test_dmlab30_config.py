"""configs/dmlab30.py: the paper's DMLab-30 setup and IMPALA's hyperparameters."""

import os
import shutil
import sys

from acme.tf import savers as tf2_savers
from acme.tf import utils as tf2_utils
import numpy as np
import pytest

from acme_kickstart import networks
from acme_kickstart.environments import dmlab30
import fake_deepmind_lab as fake

# configs/ sits at the repository root, next to the package; `python -m pytest`
# puts the root on sys.path, a bare `pytest` does not.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from configs import dmlab30 as dmlab30_config  # pylint: disable=g-import-not-at-top,wrong-import-position


def test_topology_is_one_learner_and_five_actors_per_level():
  config = dmlab30_config.make_config()
  assert config.num_learners == 1
  assert config.num_actors == 150 == 5 * 30
  assert config.levels == dmlab30.LEVELS
  levels = config.actor_levels()
  assert len(levels) == 150
  assert all(levels.count(level) == 5 for level in dmlab30.LEVELS)
  assert config.network == 'large'
  assert config.use_previous_action_reward
  assert config.action_repeat == 4


def test_agent_has_impala_published_dmlab30_hyperparameters():
  agent = dmlab30_config.make_config().agent
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
  config = dmlab30_config.make_config()
  assert config.agent.reward_clipping == 'soft_asymmetric'
  assert config.total_environment_frames == 10**10


def test_inconsistent_topologies_are_rejected():
  with pytest.raises(ValueError, match='actors_per_level'):
    dmlab30_config.make_config(num_actors=100)
  with pytest.raises(ValueError, match='network'):
    dmlab30_config.make_config(network='huge')
  with pytest.raises(ValueError, match='Unknown DMLab-30 level'):
    dmlab30_config.make_config(levels=('lt_chasm',), num_actors=5)
  small = dmlab30_config.make_config(levels=dmlab30.LEVELS[:2], num_actors=10)
  assert small.actor_levels() == list(dmlab30.LEVELS[:2]) * 5


def test_network_and_environments_share_one_spec(monkeypatch, tmp_path):
  monkeypatch.setitem(sys.modules, 'deepmind_lab', fake)
  monkeypatch.setattr(fake.Registry, 'instances', [])
  config = dmlab30_config.make_config(level_cache_dir=str(tmp_path / 'cache'))
  network = config.make_network()
  assert isinstance(network, networks.LargeImpalaNetwork)
  tf2_utils.create_variables(network, [config.observation_spec()])
  env = config.make_environment(31)  # Actor 31 plays level 1.
  assert env.level == dmlab30.LEVELS[1] and env.task_id == 1
  assert env.observation_spec() == config.observation_spec()
  timestep = env.reset()
  assert timestep.observation['prev_action'] == -1
  (logits, _), _ = network(tf2_utils.add_batch_dim(timestep.observation),
                           network.initial_state(1))
  assert logits.shape == (1, 9)
  assert (tmp_path / 'cache').is_dir()


def test_one_teacher_per_level_from_the_snapshot_directory(tmp_path):
  levels = dmlab30.LEVELS[:2]
  config = dmlab30_config.make_config(
      levels=levels, num_actors=10, teacher_snapshot_dir=str(tmp_path / 't'))
  teacher = networks.SmallImpalaNetwork(
      dmlab30.NUM_ACTIONS, hidden_size=16, lstm_size=16,
      use_previous_action_reward=True)
  tf2_utils.create_variables(teacher, [config.observation_spec()])
  snapshotter = tf2_savers.Snapshotter({'network': teacher},
                                       directory=str(tmp_path / 'run'),
                                       time_delta_minutes=0)
  snapshotter.save(force=True)
  with pytest.raises(FileNotFoundError, match='saved_model.pb'):
    config.load_teachers()
  for level in levels:
    shutil.copytree(f'{snapshotter.directory}/network',
                    config.teacher_snapshot(level))
  teachers = config.load_teachers()
  assert teachers.task_ids == [0, 1]
  assert [teachers[k].name for k in teachers.task_ids] == list(levels)
  assert np.array_equal(teachers.mask(), [1.0, 1.0])


def test_make_program_builds_the_paper_layout_without_launching(tmp_path):
  """1 learner, 150 actors (5 per level), each actor on its own level."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from acme_kickstart.agents.kickstarting import program as program_lib  # pylint: disable=g-import-not-at-top
  from acme_kickstart.environments import dmlab30 as dmlab  # pylint: disable=g-import-not-at-top
  from acme_kickstart.networks import SmallImpalaNetwork  # pylint: disable=g-import-not-at-top
  from acme_kickstart.agents.kickstarting import builder  # pylint: disable=g-import-not-at-top
  experiment = dmlab30_config.make_config(teacher_snapshot_dir=str(tmp_path))
  config = experiment.to_program_config(run_dir=str(tmp_path / 'run'))
  # The teacher reads what the student reads (with previous action and reward):
  # make_program loads and dry-runs every teacher before launching.
  teacher = SmallImpalaNetwork(dmlab.NUM_ACTIONS, pixel_scale=1 / 255)
  tf2_utils.create_variables(
      teacher, [builder.environment_spec(config).observations])
  snapshot = tmp_path / 'one_teacher'
  tf.saved_model.save(tf2_savers.make_snapshot(teacher), str(snapshot))
  for level in dmlab.LEVELS:  # One snapshot directory per level.
    os.symlink(snapshot, tmp_path / level)
  program = program_lib.make_program(config)
  assert {g: len(n) for g, n in program.groups.items()} == {
      'replay': 1, 'counter': 1, 'learner': 1, 'actor': 150, 'evaluator': 1,
      'stopper': 1}
  assert config.network == 'large_impala' and config.agent.batch_size == 32
  assert config.tasks_of_actor(0) == [dmlab.LEVELS[0]]
  per_level = {}
  for actor in range(150):
    (level,) = config.tasks_of_actor(actor)
    per_level[level] = per_level.get(level, 0) + 1
  assert per_level == {level: 5 for level in dmlab.LEVELS}
  assert set(config.teachers) == set(dmlab.LEVELS)
  # The launcher's entry point reads the same config.
  assert dmlab30_config.get_config().num_actors == 150
