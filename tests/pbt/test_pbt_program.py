"""PBT with real learners, evaluators and counters."""

import dataclasses
import json
import os

from acme.utils import counting
from acme.utils import loggers
import numpy as np
import pytest
import tensorflow as tf

from acme_kickstart.agents.kickstarting.builder import KickstartingBuilder
from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.environments import minatar
from acme_kickstart.experiments import learner_node
from acme_kickstart.experiments import workers
from acme_kickstart.experiments.config import ExperimentConfig
from acme_kickstart.experiments.config import RunConfig
from acme_kickstart.pbt.config import PBTConfig
from acme_kickstart.pbt.node import PBTControllerNode
from acme_kickstart.pbt.search_space import SearchSpace
from acme_kickstart.utils import run_dirs
from conftest import built_network, real_batch

TASKS = minatar.GAMES


def _learner(name, sample, directory):
  network = built_network(name, hidden_size=32, lstm_size=16)
  learner = KickstartingBuilder(
      KickstartingConfig(distillation_costs=(1.0,))).make_learner(
          network, tf.data.Dataset.from_tensors(sample).repeat(), TASKS,
          logger=loggers.NoOpLogger())
  for _ in range(2):
    learner.step()  # Adam's slots exist and differ between members.
  checkpointed = learner_node.LearnerNode(learner, directory, 60.0)
  checkpointed.save()  # As a running learner after its first step: copyable.
  return checkpointed


@pytest.fixture(scope='module')
def sample():
  return real_batch(built_network('behaviour', hidden_size=32, lstm_size=16))


def test_exploit_copies_weights_optimizer_and_hyperparameters(sample, tmp_path):
  winner = _learner('winner', sample, str(tmp_path / 'w'))
  loser = _learner('loser', sample, str(tmp_path / 'l'))
  winner.set_hyperparameters(learning_rate=2e-3, entropy_cost=0.02,
                             distillation_costs=[3.0, 1.0, 0.5, 0.0, 2.0])
  space = SearchSpace(num_tasks=5)
  source = winner.get_hyperparameters()
  from acme_kickstart.pbt.search_space import Hyperparameters  # pylint: disable=g-import-not-at-top
  explored = space.explore(Hyperparameters(
      source['learning_rate'], source['entropy_cost'],
      tuple(source['distillation_costs'])), np.random.default_rng(0))
  loser.set_state(winner.get_state(), explored.as_dict())

  w_vars = winner.learner.exploit_variables()
  l_vars = loser.learner.exploit_variables()
  slots = [v for v in l_vars if '/m/' in v.name or '/v/' in v.name]
  assert slots  # Adam's moments are part of the copy.
  hyper_names = ('learning_rate', 'entropy_cost', 'distillation_costs')
  for w, l in zip(w_vars, l_vars):
    if not any(h in l.name for h in hyper_names):
      np.testing.assert_array_equal(w.numpy(), l.numpy(), err_msg=l.name)
  got = loser.get_hyperparameters()
  assert got['learning_rate'] == pytest.approx(explored.learning_rate)
  assert got['distillation_costs'] == pytest.approx(
      list(explored.distillation_costs))
  assert space.contains(explored)
  # The copy was checkpointed at once: a restarted learner has it.
  restarted = _learner('loser', sample, str(tmp_path / 'l'))
  for w, r in zip(w_vars[:4], restarted.learner.exploit_variables()[:4]):
    np.testing.assert_array_equal(w.numpy(), r.numpy())
  with pytest.raises(ValueError, match='another network'):
    loser.set_state(winner.get_state()[:-2])


@pytest.mark.parametrize('remote', [False, True])
def test_controller_node_exploits_and_resumes_without_rerandomising(
    sample, tmp_path, monkeypatch, remote):
  # Remote: the run on TF's in-memory filesystem, as on gs://.
  monkeypatch.chdir(tmp_path)
  run_dir = 'ram://pbt_controller' if remote else str(tmp_path)
  member = ExperimentConfig(
      agent=KickstartingConfig(num_envs_per_actor=2),
      network_kwargs=dict(hidden_size=32, lstm_size=16),
      suite_kwargs=dict(max_episode_steps=30),
      run=RunConfig(evaluator_episodes_per_task=1,
                    run_dir=run_dirs.join(run_dir, 'm')))
  config = PBTConfig(member=member, population_size=2,
                     run_dir=run_dir, ready_env_steps=0, fraction=0.5)
  learners = [_learner(f'member{i}', sample, run_dirs.join(run_dir, f'l{i}'))
              for i in range(2)]
  counters = [counting.Counter() for _ in range(2)]
  for counter in counters:
    counter.increment(actor_steps=5000)
  evaluators = [workers.EvaluatorWorker(member, learner, counter)
                for learner, counter in zip(learners, counters)]
  node = PBTControllerNode(config, learners, evaluators, counters)
  assert node.step() == []  # No fitness yet: nothing to compare.
  pushed = [l.get_hyperparameters() for l in learners]
  for evaluator in evaluators:
    evaluator.evaluate_once()
  decisions = node.step()
  assert len(decisions) == 1
  d = decisions[0]
  weights = [v.numpy() for v in learners[d.winner].learner.network.variables]
  for w, v in zip(weights, learners[d.loser].learner.network.variables):
    np.testing.assert_array_equal(w, v.numpy())
  pbt_dir = run_dirs.join(run_dir, 'pbt')
  with run_dirs.open(run_dirs.join(pbt_dir, 'lineage.jsonl')) as f:
    lineage = [json.loads(line) for line in f]
  assert lineage[0]['member'] == d.loser and lineage[0]['copied'] == d.winner
  assert lineage[0]['env_steps'] == 5000
  assert run_dirs.read_csv(run_dirs.join(pbt_dir, 'hyperparameters.csv'))
  assert not remote or not os.listdir(tmp_path)  # Nothing written locally.
  # A restarted controller takes its saved population, not a new draw.
  restarted = PBTControllerNode(dataclasses.replace(config, seed=123),
                                learners, evaluators, counters)
  assert (restarted._controller.hyperparameters ==  # pylint: disable=protected-access
          node._controller.hyperparameters)  # pylint: disable=protected-access
  assert pushed[d.winner] == learners[d.winner].get_hyperparameters()
