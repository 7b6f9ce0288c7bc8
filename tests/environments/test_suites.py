"""Each suite as one object: its static spec, environments, marks and score."""

import pickle
import subprocess
import sys

from acme import specs
import numpy as np
import pytest

from acme_kickstart.environments import dmlab30
from acme_kickstart.environments import get_suite
from acme_kickstart.environments import minatar
from acme_kickstart.environments import procgen
from acme_kickstart.teachers import specs as teacher_specs
import fake_deepmind_lab as fake


@pytest.fixture
def lab(monkeypatch):
  monkeypatch.setitem(sys.modules, 'deepmind_lab', fake)
  monkeypatch.setattr(fake.Registry, 'instances', [])
  return fake.Registry


def _check_static_spec(suite, tasks, mode='train'):
  static = suite.environment_spec()
  assert static.actions.num_values == suite.num_actions
  assert static.observations == suite.observation_spec()
  for task_id, task in enumerate(tasks):
    env = suite.make_environment(task, task_id=task_id, seed=task_id,
                                 mode=mode)
    assert specs.make_environment_spec(env) == static, task
    assert int(env.reset().observation['task_id']) == task_id
    env.close()


@pytest.mark.parametrize('mode', ['train', 'test'])
def test_minatar_static_spec_equals_every_games_real_spec(mode):
  suite = get_suite('minatar5', max_episode_steps=30)
  assert suite.name == 'minatar5' and suite.tasks == minatar.GAMES
  _check_static_spec(suite, suite.tasks, mode)


def test_procgen_static_spec_and_distribution_mode_reach_the_games():
  suite = get_suite('procgen', distribution_mode='hard', num_levels=5)
  assert suite.tasks == procgen.SUITES['dense5']
  _check_static_spec(suite, ('coinrun', 'maze', 'bigfish'))
  env = suite.make_environment('coinrun', seed=0)
  game_kwargs = env._kwargs  # pylint: disable=protected-access
  assert game_kwargs['distribution_mode'] == 'hard'
  assert game_kwargs['num_levels'] == 5
  with pytest.raises(ValueError, match='distribution_mode'):
    get_suite('procgen', distribution_mode='memory')


@pytest.mark.parametrize('mode', ['train', 'test'])
def test_dmlab_static_spec_equals_every_levels_real_spec(lab, mode):
  del lab
  suite = get_suite('dmlab30')
  assert suite.tasks == dmlab30.LEVELS
  _check_static_spec(suite, suite.tasks, mode)


def test_dmlab_test_mode_plays_the_held_out_test_level(lab):
  suite = get_suite('dmlab30', dataset_path='/data/brady', action_repeat=2)
  level = 'rooms_collect_good_objects_train'
  train = suite.make_environment(level, task_id=3, seed=0, mode='train')
  test = suite.make_environment(level, task_id=3, seed=0, mode='test')
  assert train.level == level
  assert test.level == 'rooms_collect_good_objects_test'
  assert lab.instances[-1].level.endswith('rooms_collect_good_objects_test')
  assert test.lab_config['allowHoldOutLevels'] == 'true'
  assert 'allowHoldOutLevels' not in train.lab_config
  # The suite's kwargs reach both; the task id stays the trained level's.
  assert test.lab_config['datasetPath'] == '/data/brady'
  assert train.lab_config['datasetPath'] == '/data/brady'
  assert test._action_repeat == 2  # pylint: disable=protected-access
  assert int(test.reset().observation['task_id']) == 3


@pytest.mark.parametrize('name', ['minatar5', 'dmlab30', 'procgen'])
def test_a_suite_pickles_for_launchpad_workers(name):
  suite = get_suite(name)
  restored = pickle.loads(pickle.dumps(suite))
  assert restored.environment_spec() == suite.environment_spec()
  assert restored.random_score(suite.tasks[0]) == suite.random_score(
      suite.tasks[0])


def test_unknown_suite_and_mode_get_one_clear_error():
  with pytest.raises(ValueError, match=r"Unknown suite 'atari': use one of "
                     r"'minatar5', 'dmlab30', 'procgen'"):
    get_suite('atari')
  with pytest.raises(ValueError, match="Unknown mode 'eval'"):
    get_suite('minatar5').make_environment('breakout', mode='eval')


def test_building_a_suite_imports_no_simulator():
  code = (
      'import sys\n'
      'from acme_kickstart.environments import get_suite\n'
      "for name in ('dmlab30', 'procgen'):\n"
      '  suite = get_suite(name)\n'
      '  suite.environment_spec()\n'
      '  suite.score({suite.tasks[0]: [1.0]})\n'
      '  suite.random_score(suite.tasks[0])\n'
      "assert 'deepmind_lab' not in sys.modules\n"
      "assert 'procgen' not in sys.modules\n")
  subprocess.run([sys.executable, '-c', code], check=True)


def test_random_scores_are_each_tasks_zero_mark():
  assert get_suite('minatar5').random_score('freeway') == 0.155
  # A `_train` level is scored with its `_test` level's random return.
  dmlab = get_suite('dmlab30')
  assert dmlab.random_score('rooms_collect_good_objects_train') == (
      dmlab30.RANDOM_SCORES['rooms_collect_good_objects_test'])
  # Procgen's 0 mark is R_min of the suite's distribution mode.
  assert get_suite('procgen').random_score('starpilot') == 2.5
  assert get_suite('procgen', distribution_mode='hard').random_score(
      'starpilot') == 1.5


def test_only_minatar_has_raw_channels_and_minimal_action_sets():
  minatar5 = get_suite('minatar5')
  assert minatar5.num_raw_channels('freeway') == 7
  assert list(minatar5.minimal_action_set('freeway')) == [0, 2, 4]
  for name in ('dmlab30', 'procgen'):
    suite = get_suite(name)
    task = suite.tasks[0]
    with pytest.raises(ValueError, match=f"'minimal' is for minatar5; for "
                       f"suite '{name}' give the indices"):
      teacher_specs.teacher_options(
          teacher_specs.TeacherSpec('/s', action_map='minimal'), suite, task)
    with pytest.raises(ValueError, match=f"suite '{name}' is not padded"):
      teacher_specs.teacher_options(
          teacher_specs.TeacherSpec('/s', observation_fn='raw_channels'),
          suite, task)


def test_the_gates_ranges_start_at_the_suites_random_scores():
  from acme_kickstart.experiments import factories  # pylint: disable=g-import-not-at-top
  from acme_kickstart.experiments.config import ExperimentConfig  # pylint: disable=g-import-not-at-top
  config = ExperimentConfig(
      suite='procgen', tasks=('coinrun', 'starpilot'),
      teachers={'starpilot': '/t/starpilot', 'coinrun': '/t/coinrun'},
      reference_scores={'starpilot': 30.0},
      suite_kwargs=dict(distribution_mode='hard'))
  assert factories.score_ranges(config) == {'starpilot': (1.5, 30.0)}
  level = 'rooms_exploit_deferred_effects_train'
  config = ExperimentConfig(suite='dmlab30', tasks=(level,),
                            teachers={level: '/t/l'},
                            reference_scores={level: 50.0})
  assert factories.score_ranges(config) == {level: (
      dmlab30.RANDOM_SCORES['rooms_exploit_deferred_effects_test'], 50.0)}
