"""evaluation.py: the mean over complete episodes, whatever their length; a
run's final evaluation of its learner checkpoint, on its suite's games."""

import dm_env
import numpy as np
import pytest
import tensorflow as tf
import tree

from acme_kickstart.agents.kickstarting import learning
from acme_kickstart.agents.kickstarting.builder import KickstartingBuilder
from acme_kickstart.environments import base
from acme_kickstart.environments import minatar
from acme_kickstart.environments import procgen
from acme_kickstart.experiments import evaluation
from acme_kickstart.experiments import factories
from acme_kickstart.experiments import learner_node
from acme_kickstart.experiments import single_game
from acme_kickstart.experiments.config import ExperimentConfig
from acme_kickstart.experiments.config import RunConfig
from acme_kickstart.utils import seeding
from conftest import built_network


def episode_lengths(env_index: int):
  """Env i's episode lengths, in order: seeded, from 1 to 300 steps."""
  return np.random.default_rng(env_index).integers(1, 301, size=50)


class FixedLengthsEnvironment(base.SuiteEnvironment):
  """A MinAtar-shaped game with given episode lengths; return = length."""

  NUM_ACTIONS = minatar.NUM_ACTIONS
  OBSERVATION_SPEC = staticmethod(minatar.observation_spec)

  def __init__(self, lengths):
    self._task_id = np.int32(0)
    self._lengths = iter(lengths)
    self._length = self._steps = 0

  def _observation(self):
    return {'pixels': np.zeros(minatar.OBSERVATION_SHAPE, np.uint8),
            'task_id': self._task_id}

  def reset(self):
    self._length, self._steps = next(self._lengths), 0
    return dm_env.restart(self._observation())

  def step(self, action):
    self._steps += 1
    if self._steps == self._length:
      return dm_env.termination(np.float32(1.0), self._observation())
    return dm_env.transition(np.float32(1.0), self._observation())


@pytest.fixture
def fixed_length_envs(monkeypatch):
  def make_envs(game, num_envs, seed):
    del game, seed
    return [FixedLengthsEnvironment(episode_lengths(i))
            for i in range(num_envs)]
  monkeypatch.setattr(single_game, 'make_envs', make_envs)


@pytest.mark.parametrize('num_episodes, quotas',
                         [(32, [4] * 8), (30, [4] * 6 + [3] * 2)])
def test_evaluate_averages_each_environments_first_episodes(
    fixed_length_envs, num_episodes, quotas):
  network = built_network('evaluated', hidden_size=16, lstm_size=8)
  score = evaluation.evaluate(network, 'breakout', num_episodes=num_episodes,
                              num_envs=8)
  # Every environment's first episodes, as many as its quota: lengths fixed
  # before play, so their mean is the policy's true mean. The first 32
  # episodes to finish would hold mostly short ones.
  counted = np.concatenate([episode_lengths(i)[:q]
                            for i, q in enumerate(quotas)])
  assert score == pytest.approx(float(np.mean(counted)), abs=1e-9)


def test_episode_quotas():
  assert evaluation.episode_quotas(10, 4) == [3, 3, 2, 2]
  assert evaluation.episode_quotas(32, 16) == [2] * 16
  with pytest.raises(ValueError, match='num_episodes >= 1'):
    evaluation.episode_quotas(0, 16)


def _checkpointed_learner(run_dir, network, num_tasks=len(minatar.GAMES)):
  learner = learning.KickstartingLearner(
      network=network, dataset=tf.data.Dataset.range(1), num_tasks=num_tasks,
      learning_rate=1e-3)
  return learner, learner_node.LearnerNode(learner, str(run_dir), 1.0)


@pytest.fixture
def played(monkeypatch):
  """(network, environments) of each actor that an evaluation builds."""
  calls = []
  make_actor = KickstartingBuilder.make_actor

  def spy(self, network, environments, *args, **kwargs):
    calls.append((network, list(environments)))
    return make_actor(self, network, environments, *args, **kwargs)
  monkeypatch.setattr(KickstartingBuilder, 'make_actor', spy)
  return calls


def _save_learner(experiment, env_steps):
  """A learner checkpoint as the program's learner node writes it; returns
  the network saved."""
  spec = factories.environment_spec(experiment)
  network = factories.build_network(
      factories.make_network(experiment, spec.actions.num_values), spec)
  learner, checkpointed = _checkpointed_learner(
      learner_node.checkpoint_dir(experiment), network,
      len(experiment.tasks))
  learner.state['num_env_steps'].assign(env_steps)
  checkpointed.save()
  return network


def _assert_plays_saved_weights(network, saved, observation):
  for a, b in zip(saved.variables, network.variables):
    np.testing.assert_array_equal(a.numpy(), b.numpy())
  batch = tree.map_structure(lambda x: np.asarray(x)[None], observation)
  (logits, _), _ = network(batch, network.initial_state(1))
  (expected, _), _ = saved(batch, saved.initial_state(1))
  np.testing.assert_allclose(logits.numpy(), expected.numpy(), atol=1e-6)


def test_final_evaluation_plays_the_learners_checkpointed_weights(
    tmp_path, played):
  experiment = ExperimentConfig(
      tasks=('breakout',), network_kwargs=dict(hidden_size=16, lstm_size=16),
      run=RunConfig(run_dir=str(tmp_path)))
  saved = _save_learner(experiment, 4321)
  fresh = built_network('fresh', hidden_size=16, lstm_size=16)
  assert not all(np.array_equal(a.numpy(), b.numpy())
                 for a, b in zip(saved.variables, fresh.variables))
  result = evaluation.evaluate_checkpoint(experiment, episodes_per_task=3,
                                          seed=5)
  (network, envs), = played
  _assert_plays_saved_weights(network, saved, envs[0].reset().observation)
  assert result['learner_env_steps'] == 4321
  assert result['seed'] == 5 and result['episodes_per_game'] == 3
  assert len(result['returns']['breakout']) == 3


def test_final_evaluation_plays_a_procgen_checkpoint_on_procgen_games(
    tmp_path, played):
  tasks = ('bigfish', 'chaser')
  experiment = ExperimentConfig(
      suite='procgen', tasks=tasks, network='small_impala',
      network_kwargs=dict(hidden_size=16, lstm_size=16), seed=7,
      run=RunConfig(run_dir=str(tmp_path / 'run')))
  saved = _save_learner(experiment, 1234)
  # 3 episodes of each game on 2 environments: quotas of 2 and 1.
  result = evaluation.evaluate_checkpoint(experiment, episodes_per_task=3,
                                          num_envs=2)
  assert result['seed'] == 7 + seeding.FINAL_EVALUATION_SEED_OFFSET
  assert result['learner_env_steps'] == 1234
  assert list(result['returns']) == list(tasks)
  for task in tasks:
    assert len(result['returns'][task]) == 3
    assert all(np.isfinite(result['returns'][task]))
  # One actor per game, on that game's real Procgen environments, task ids in
  # the experiment's order, playing the saved network.
  assert len(played) == 2
  for task_id, (task, (network, envs)) in enumerate(zip(tasks, played)):
    assert [(type(e), e.game, e.task_id) for e in envs] == [
        (procgen.ProcgenEnvironment, task, task_id)] * 2
    _assert_plays_saved_weights(network, saved, envs[0].reset().observation)


def test_final_evaluation_without_a_checkpoint_names_the_run_dir(tmp_path):
  network = built_network('student', hidden_size=16, lstm_size=16)
  with pytest.raises(FileNotFoundError, match='No learner checkpoint'):
    evaluation.restore_learner_network(network, str(tmp_path))


def test_final_evaluation_refuses_another_architecture(tmp_path):
  _, checkpointed = _checkpointed_learner(
      tmp_path, built_network('trained', hidden_size=16, lstm_size=16))
  checkpointed.save()
  other = built_network('other', hidden_size=32, lstm_size=16)
  with pytest.raises(ValueError, match='incompatible'):
    evaluation.restore_learner_network(other, str(tmp_path))
