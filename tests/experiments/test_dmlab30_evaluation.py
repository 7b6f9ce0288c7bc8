"""DMLab-30 evaluation follows IMPALA's test protocol; actors keep training.

IMPALA (scalable_agent experiment.py) trains on dmlab30.LEVEL_MAPPING's keys
and, with --mode=test, evaluates on its values with create_environment(...,
is_test=True): the `_test` levels, allowHoldOutLevels and a fixed mixerSeed.
These tests build the program's real workers against the fake deepmind_lab.
"""

import sys

from acme import core
from acme.utils import counting
import numpy as np
import pytest
import reverb

from acme_kickstart.agents.kickstarting.builder import KickstartingBuilder
from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.environments import dmlab30
from acme_kickstart.experiments import factories
from acme_kickstart.experiments import workers
from acme_kickstart.experiments.config import ExperimentConfig
from acme_kickstart.experiments.config import RunConfig
from acme_kickstart.experiments.config import Topology
from acme_kickstart.pbt import fitness
import fake_deepmind_lab as fake

LEVELS = ('rooms_collect_good_objects_train', 'rooms_watermaze')


@pytest.fixture
def lab(monkeypatch):
  monkeypatch.setitem(sys.modules, 'deepmind_lab', fake)
  monkeypatch.setattr(fake.Registry, 'instances', [])
  monkeypatch.setattr(fake.Registry, 'episode_frames', 8)  # 2 agent steps.
  return fake.Registry


class NetworkSource(core.VariableSource):
  """The latest weights of a real network, standing in for the learner."""

  def __init__(self, network):
    self._network = network

  def get_variables(self, names):
    return [[v.numpy() for v in self._network.variables] for _ in names]


def _config(tmp_path) -> ExperimentConfig:
  return ExperimentConfig(
      agent=KickstartingConfig(num_envs_per_actor=1, batch_size=2,
                               sequence_length=5, max_queue_size=8),
      suite='dmlab30', tasks=LEVELS, network='small_impala',
      network_kwargs=dict(pixel_scale=1 / 255, hidden_size=16, lstm_size=16,
                          use_previous_action_reward=True),
      previous_action_reward=True,
      suite_kwargs=dict(dataset_path='/data/brady'),
      run=RunConfig(evaluator_episodes_per_task=1,
                    run_dir=str(tmp_path / 'run')))


TOPOLOGY = Topology(num_actors=2)


def _source(config):
  spec = factories.environment_spec(config)
  network = factories.build_network(
      factories.make_network(config, spec.actions.num_values), spec)
  return NetworkSource(network), network, spec


def test_evaluator_plays_test_levels_in_test_mode_and_scores_them(
    lab, tmp_path):
  config = _config(tmp_path)
  source, _, _ = _source(config)
  evaluator = workers.EvaluatorWorker(config, source, counting.Counter())
  made = {lab_.level: lab_.config for lab_ in lab.instances}
  assert sorted(made) == ['contributed/dmlab30/rooms_collect_good_objects_test',
                          'contributed/dmlab30/rooms_watermaze']
  for lab_config in made.values():
    assert lab_config['allowHoldOutLevels'] == 'true'
    assert lab_config['mixerSeed'] == str(dmlab30.TEST_MIXER_SEED)
    assert lab_config['datasetPath'] == '/data/brady'
  assert dmlab30.TEST_MIXER_SEED == 0x600D5EED
  record = evaluator.evaluate_once()
  # The test level's human and random returns score its episodes.
  expected = []
  for task in LEVELS:
    test_level = dmlab30.TRAIN_TO_TEST.get(task, task)
    low, high = dmlab30.RANDOM_SCORES[test_level], dmlab30.HUMAN_SCORES[
        test_level]
    expected.append(100 * (record[f'return/{task}'] - low) / (high - low))
  assert np.isfinite(expected).all()
  # PBT's fitness of the round (uncapped) is their mean.
  assert fitness.member_fitness(config, evaluator, rounds=1,
                                cap=None) == pytest.approx(np.mean(expected))


def test_actors_keep_the_training_levels(lab, tmp_path):
  config = _config(tmp_path)
  source, network, spec = _source(config)
  server = reverb.Server(KickstartingBuilder(config.agent).make_replay_tables(
      spec, network))
  try:
    client = reverb.Client(f'localhost:{server.port}')
    actors = [workers.ActorWorker(config, TOPOLOGY, actor_id, client, source,
                                  counting.Counter())
              for actor_id in range(TOPOLOGY.num_actors)]
    for actor in actors:  # An open writer holds the server's stop for 5 s.
      actor._writer.close()  # pylint: disable=protected-access
  finally:
    server.stop()
  made = {lab_.level: lab_.config for lab_ in lab.instances}
  assert sorted(made) == [
      'contributed/dmlab30/rooms_collect_good_objects_train',
      'contributed/dmlab30/rooms_watermaze']
  for lab_config in made.values():
    assert 'allowHoldOutLevels' not in lab_config
    assert 'mixerSeed' not in lab_config


def test_other_suites_play_the_same_environment_in_test_mode(tmp_path):
  config = ExperimentConfig(run=RunConfig(run_dir=str(tmp_path)))  # MinAtar-5.
  train = factories.make_environment(config, 'breakout', seed=3)
  test = factories.make_environment(config, 'breakout', seed=3, mode='test')
  assert type(train) is type(test)
  for env in (train, test):
    env.reset()
  for action in [0, 1, 2, 0, 1] * 4:
    a, b = train.step(action), test.step(action)
    assert a.step_type == b.step_type and a.reward == b.reward
    np.testing.assert_array_equal(a.observation['pixels'],
                                  b.observation['pixels'])
  with pytest.raises(ValueError, match="Unknown mode 'eval'"):
    factories.make_environment(config, 'breakout', mode='eval')
