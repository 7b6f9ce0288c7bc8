"""DMLab-30: the suite's facts, and the adapter against a fake deepmind_lab."""

import sys

import dm_env
import numpy as np
import pytest

from acme_kickstart.environments import dmlab30
import fake_deepmind_lab as fake


@pytest.fixture
def lab(monkeypatch):
  """Installs the fake deepmind_lab module and clears its registry."""
  monkeypatch.setitem(sys.modules, 'deepmind_lab', fake)
  monkeypatch.setattr(fake.Registry, 'instances', [])
  monkeypatch.setattr(fake.Registry, 'compiles', 0)
  monkeypatch.setattr(fake.Registry, 'runfiles_path', None)
  monkeypatch.setattr(fake.Registry, 'episode_frames', 20)
  return fake.Registry


# ----------------------------------------------------------------- the facts
def test_thirty_levels_in_published_order_with_two_train_test_pairs():
  assert len(dmlab30.LEVELS) == 30 == len(set(dmlab30.LEVELS))
  assert dmlab30.LEVELS[0] == 'rooms_collect_good_objects_train'
  assert dmlab30.LEVELS[5] == 'language_select_described_object'
  assert dmlab30.LEVELS[-1] == 'explore_object_rewards_many'
  assert dmlab30.TRAIN_TO_TEST == {
      'rooms_collect_good_objects_train': 'rooms_collect_good_objects_test',
      'rooms_exploit_deferred_effects_train':
          'rooms_exploit_deferred_effects_test'}
  assert [l for l in dmlab30.LEVELS if l.endswith('_train')] == list(
      dmlab30.TRAIN_TO_TEST)
  assert dmlab30.TEST_LEVELS[:2] == tuple(dmlab30.TRAIN_TO_TEST.values())
  assert dmlab30.TEST_LEVELS[2:] == dmlab30.LEVELS[2:]
  assert dmlab30.scoring_level('rooms_watermaze') == 'rooms_watermaze'
  with pytest.raises(ValueError, match='Unknown DMLab-30 level'):
    dmlab30.check_level('seekavoid_arena_01')


def test_reference_scores_are_keyed_by_scoring_levels_and_human_beats_random():
  assert set(dmlab30.HUMAN_SCORES) == set(dmlab30.TEST_LEVELS)
  assert set(dmlab30.RANDOM_SCORES) == set(dmlab30.TEST_LEVELS)
  for level in dmlab30.TEST_LEVELS:
    assert dmlab30.HUMAN_SCORES[level] > dmlab30.RANDOM_SCORES[level], level
  # Spot checks against scalable_agent dmlab30.py.
  assert dmlab30.HUMAN_SCORES['language_select_described_object'] == 389.5
  assert dmlab30.RANDOM_SCORES['language_execute_random_task'] == -5.913
  assert dmlab30.RANDOM_SCORES['rooms_exploit_deferred_effects_test'] == 8.501


def test_impala_action_set_and_observation_spec():
  assert dmlab30.ACTION_SET.shape == (9, 7)
  assert dmlab30.ACTION_SET.dtype == np.intc
  np.testing.assert_array_equal(dmlab30.ACTION_SET[0], [0, 0, 0, 1, 0, 0, 0])
  np.testing.assert_array_equal(dmlab30.ACTION_SET[6], [-20, 0, 0, 1, 0, 0, 0])
  np.testing.assert_array_equal(dmlab30.ACTION_SET[8], [0, 0, 0, 0, 1, 0, 0])
  assert len({tuple(a) for a in dmlab30.ACTION_SET}) == 9
  assert dmlab30.ACTION_REPEAT == 4
  spec = dmlab30.observation_spec()
  assert spec['pixels'].shape == (72, 96, 3)
  assert spec['pixels'].dtype == np.uint8
  assert spec['instruction'].shape == (dmlab30.MAX_INSTRUCTION_WORDS,)


def test_instruction_encoding_is_stable_padded_and_truncated():
  ids = dmlab30.encode_instruction('Pick the red hat')
  assert ids.dtype == np.int32 and ids.shape == (dmlab30.MAX_INSTRUCTION_WORDS,)
  assert np.all(ids[:4] > 0) and np.all(ids[4:] == 0)
  np.testing.assert_array_equal(ids, dmlab30.encode_instruction(b'Pick the red hat'))
  assert ids[2] == dmlab30.hash_word('red')
  # Ids are stable across processes and runs (Python's hash() is salted), so
  # teachers and students trained apart read the same ids: fixed values.
  np.testing.assert_array_equal(ids[:4], [146, 274, 346, 229])
  assert np.all(ids < dmlab30.NUM_WORD_BUCKETS)
  assert not dmlab30.encode_instruction('').any()
  long = dmlab30.encode_instruction(' '.join(['word'] * 40))
  assert np.all(long > 0)
  assert len({dmlab30.hash_word(w) for w in 'a b c d e f g h'.split()}) == 8


def test_missing_deepmind_lab_raises_one_helpful_import_error(monkeypatch):
  monkeypatch.setitem(sys.modules, 'deepmind_lab', None)  # Import fails.
  with pytest.raises(ImportError) as error:
    dmlab30.make_environment('rooms_watermaze')
  message = str(error.value)
  assert 'deepmind_lab' in message
  assert 'bazel build' in message
  assert 'pip install' in message
  assert 'github.com/deepmind/lab' in message


def test_actors_get_levels_round_robin_five_per_level():
  levels = dmlab30.actor_levels(150)
  assert levels[:30] == list(dmlab30.LEVELS)
  assert all(levels.count(level) == 5 for level in dmlab30.LEVELS)


# -------------------------------------------------------------- the adapter
def test_adapter_builds_lab_with_impala_settings(lab):
  env = dmlab30.make_environment('rooms_watermaze', seed=3,
                                 runfiles_path='/opt/dmlab',
                                 dataset_path='/data/brady')
  made = lab.instances[-1]
  assert made.level == 'contributed/dmlab30/rooms_watermaze'
  assert made.requested == ['RGB_INTERLEAVED', 'INSTR']
  assert made.config['width'] == '96' and made.config['height'] == '72'
  assert made.config['datasetPath'] == '/data/brady'
  assert 'allowHoldOutLevels' not in made.config
  assert lab.runfiles_path == '/opt/dmlab'
  assert env.task_id == dmlab30.LEVELS.index('rooms_watermaze')
  test_env = dmlab30.make_environment('rooms_collect_good_objects_test',
                                      is_test=True)
  assert test_env.task_id == 0
  config = lab.instances[-1].config
  assert config['allowHoldOutLevels'] == 'true'
  assert config['mixerSeed'] == str(0x600D5EED)


def test_test_mode_plays_held_out_test_levels_with_the_fixed_mixer_seed(lab):
  """IMPALA's --mode=test (scalable_agent experiment.py, main() and test())."""
  env = dmlab30.make_test_environment('rooms_collect_good_objects_train',
                                      seed=1, dataset_path='/data/brady')
  made = lab.instances[-1]
  assert made.level == 'contributed/dmlab30/rooms_collect_good_objects_test'
  assert env.level == 'rooms_collect_good_objects_test'
  assert env.task_id == 0  # The task the student was trained on.
  assert made.config['allowHoldOutLevels'] == 'true'
  assert made.config['mixerSeed'] == str(0x600D5EED) == '1611489005'
  assert made.config['datasetPath'] == '/data/brady'
  assert made.config['width'] == '96' and made.config['height'] == '72'
  # A level without a `_test` variant is its own test level.
  dmlab30.make_test_environment('rooms_watermaze')
  assert lab.instances[-1].level == 'contributed/dmlab30/rooms_watermaze'
  assert lab.instances[-1].config['mixerSeed'] == '1611489005'
  # Training keeps the training layouts, without the held-out settings.
  dmlab30.make_environment('rooms_collect_good_objects_train')
  assert lab.instances[-1].level.endswith('rooms_collect_good_objects_train')
  assert 'mixerSeed' not in lab.instances[-1].config
  with pytest.raises(RuntimeError, match='held out'):
    dmlab30.make_environment('rooms_collect_good_objects_test')
  with pytest.raises(ValueError, match='always sets is_test'):
    dmlab30.make_test_environment('rooms_watermaze', is_test=False)


def test_adapter_steps_with_action_repeat_and_ends_episodes(lab):
  lab.episode_frames = 10  # 3 agent steps: 4 + 4 + 2 frames.
  env = dmlab30.make_environment('language_select_described_object', seed=7)
  made = lab.instances[-1]
  first = env.reset()
  assert first.first()
  assert first.observation['pixels'].shape == (72, 96, 3)
  np.testing.assert_array_equal(first.observation['instruction'],
                                dmlab30.encode_instruction(fake.INSTRUCTION))
  assert env.last_instruction == fake.INSTRUCTION
  assert first.observation['task_id'] == 5

  forward, fire = 0, 8
  step = env.step(forward)
  assert step.mid() and step.discount == 1.0
  assert step.reward == 4.0 and step.reward.dtype == np.float32
  np.testing.assert_array_equal(made.actions[-1][0], dmlab30.ACTION_SET[0])
  assert made.actions[-1][1] == 4
  # Pixels are (seed + frame) % 256: frame 4 now.
  assert step.observation['pixels'][0, 0, 0] == (made.seeds[-1] + 4) % 256
  step = env.step(fire)
  assert step.mid() and step.reward == 40.0
  last = env.step(fire)
  # Only 2 frames were left; the episode is over and observations() would
  # raise, so the last observation is repeated, with discount 0.
  assert last.last() and last.reward == 20.0 and last.discount == 0.0
  np.testing.assert_array_equal(last.observation['pixels'],
                                step.observation['pixels'])
  restarted = env.step(forward)
  assert restarted.first() and restarted.reward is None
  assert len(made.actions) == 3  # The restart took no action.
  assert len(made.seeds) == 2 and made.seeds[0] != made.seeds[1]
  with pytest.raises(ValueError, match='Action must be in'):
    env.step(9)


def test_adapter_seeds_are_reproducible_and_per_environment(lab):
  def seeds(seed, episodes=3):
    lab.episode_frames = 4
    env = dmlab30.make_environment('rooms_watermaze', seed=seed)
    env.reset()
    for _ in range(episodes - 1):
      while not env.step(0).last():
        pass
      env.reset()
    return lab.instances[-1].seeds

  first, again, other = seeds(1), seeds(1), seeds(2)
  assert first == again
  assert first != other
  assert all(isinstance(s, int) and 0 <= s < 2**31 - 1 for s in first)


def test_level_cache_shares_compiled_maps_between_actors(lab, tmp_path):
  cache_dir = str(tmp_path / 'level_cache')
  dmlab30.make_environment('rooms_watermaze', level_cache_dir=cache_dir)
  dmlab30.make_environment('rooms_watermaze', level_cache_dir=cache_dir)
  dmlab30.make_environment('rooms_keys_doors_puzzle', level_cache_dir=cache_dir)
  assert lab.compiles == 2  # The second watermaze actor fetched the map.
  assert lab.instances[1].map_contents == 'compiled contributed/dmlab30/rooms_watermaze'
  cached = sorted(p.name for p in (tmp_path / 'level_cache').iterdir())
  assert cached == ['contributed_dmlab30_rooms_keys_doors_puzzle.pk3',
                    'contributed_dmlab30_rooms_watermaze.pk3']
  # Without a cache every actor compiles.
  dmlab30.make_environment('rooms_watermaze')
  assert lab.compiles == 3


def test_adapter_rejects_a_lab_without_the_needed_specs(lab, monkeypatch):
  monkeypatch.setattr(fake.Lab, 'action_spec',
                      lambda self: [{'name': 'FIRE', 'min': 0, 'max': 1}])
  with pytest.raises(ValueError, match='action components'):
    dmlab30.make_environment('rooms_watermaze')


def test_adapter_runs_through_dm_env_and_acme_specs(lab):
  from acme import specs  # pylint: disable=g-import-not-at-top
  env = dmlab30.make_environment('psychlab_visual_search')
  spec = specs.make_environment_spec(env)
  assert spec.actions.num_values == 9
  timestep = env.reset()
  for key, value in timestep.observation.items():
    spec.observations[key].validate(value)
  assert isinstance(timestep, dm_env.TimeStep)
  env.close()
  assert lab.instances[-1].closed


@pytest.mark.parametrize('previous_action_reward', [False, True])
def test_static_spec_equals_the_real_environments_spec(lab,
                                                       previous_action_reward):
  """Replay and learner hosts build the spec without deepmind_lab."""
  from acme import specs  # pylint: disable=g-import-not-at-top
  from acme_kickstart.experiments import factories  # pylint: disable=g-import-not-at-top
  from acme_kickstart.experiments.config import ExperimentConfig  # pylint: disable=g-import-not-at-top
  config = ExperimentConfig(suite='dmlab30', tasks=dmlab30.LEVELS,
                            previous_action_reward=previous_action_reward)
  real = specs.make_environment_spec(
      factories.make_environment(config, 'rooms_watermaze', seed=1))
  instances = len(lab.instances)
  assert factories.environment_spec(config) == real
  assert len(lab.instances) == instances  # No Lab was built for it.
