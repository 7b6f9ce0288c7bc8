"""PBT's failure classes (as seen in Ray Tune's PBT) and the factorised space.

* A member restored from its checkpoint never reverts hyperparameters PBT
  perturbed after that checkpoint.
* A member without a checkpoint, or without a fitness, is never copied from.
* The step counters never reset on exploit.
"""

import json

from acme.utils import counting
from acme.utils import loggers
import numpy as np
import pytest
import tensorflow as tf

from acme_kickstart.agents.kickstarting.builder import KickstartingBuilder
from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.agents.kickstarting.schedules import LambdaSchedule
from acme_kickstart.environments import minatar
from acme_kickstart.experiments import learner_node
from acme_kickstart.experiments.config import ExperimentConfig
from acme_kickstart.experiments.config import RunConfig
from acme_kickstart.pbt.config import PBTConfig
from acme_kickstart.pbt.controller import PopulationController
from acme_kickstart.pbt.node import PBTControllerNode
from acme_kickstart.pbt.search_space import Hyperparameters
from acme_kickstart.pbt.search_space import SearchSpace
from conftest import built_network, real_batch

TASKS = minatar.GAMES


@pytest.fixture(scope='module')
def sample():
  return real_batch(built_network('behaviour_restore', hidden_size=32,
                                  lstm_size=16))


def _learner(name, sample, directory, steps=1, **agent):
  learner = KickstartingBuilder(
      KickstartingConfig(distillation_costs=(1.0,), **agent)).make_learner(
          built_network(name, hidden_size=32, lstm_size=16),
          tf.data.Dataset.from_tensors(sample).repeat(), TASKS,
          logger=loggers.NoOpLogger())
  for _ in range(steps):
    learner.step()
  return learner_node.LearnerNode(learner, directory, 60.0)


# ----------------------------------------------------------- restore cases
def test_restored_learner_keeps_hyperparameters_pbt_set_after_its_checkpoint(
    sample, tmp_path):
  directory = str(tmp_path / 'member')
  learner = _learner('restore_a', sample, directory)
  learner.save()  # A checkpoint with the initial hyperparameters ...
  learner.set_hyperparameters(learning_rate=2.5e-3,
                              distillation_costs=[0.5, 0.0, 1.5, 1.0, 2.0])
  # ... then the process dies before its next periodic save, and restarts.
  restarted = _learner('restore_a', sample, directory, steps=0)
  got = restarted.get_hyperparameters()
  assert got['learning_rate'] == pytest.approx(2.5e-3)
  assert got['distillation_costs'] == pytest.approx([0.5, 0.0, 1.5, 1.0, 2.0])


class _FakeLearner:
  """A member's learner as the controller sees it over courier."""

  def __init__(self, checkpointed=True, steps=10):
    self.hyperparameters = {}
    self.checkpointed, self.steps, self.state = checkpointed, steps, None
    self.took_state_from = None

  def set_hyperparameters(self, **hyperparameters):
    self.hyperparameters = hyperparameters

  def get_hyperparameters(self):
    return self.hyperparameters

  def has_checkpoint(self):
    return self.checkpointed

  def get_num_steps(self):
    return self.steps

  def get_state(self):
    return [self]

  def set_state(self, values, hyperparameters):
    self.took_state_from = values[0]
    self.hyperparameters = hyperparameters


class _FakeEvaluator:
  """Its rounds' returns; with no reference scores the fitness is their mean
  (pbt/fitness.py)."""

  def __init__(self, fitness):
    self.value = fitness

  def recent_returns(self, rounds=None):
    del rounds
    return None if self.value is None else {'breakout': [self.value]}

  def reset_returns(self):
    self.value = None


def _node(tmp_path, fitness, learners, steps=10_000):
  member = ExperimentConfig(agent=KickstartingConfig(),
                            run=RunConfig(run_dir=str(tmp_path)))
  config = PBTConfig(member=member, population_size=len(learners),
                     run_dir=str(tmp_path), ready_env_steps=0, fraction=0.5)
  counters = [counting.Counter() for _ in learners]
  for counter in counters:
    counter.increment(actor_steps=steps)
  evaluators = [_FakeEvaluator(f) for f in fitness]
  return PBTControllerNode(config, learners, evaluators, counters), evaluators


def test_controller_pushes_its_hyperparameters_back_after_a_learner_restart(
    tmp_path):
  learners = [_FakeLearner(), _FakeLearner()]
  node, _ = _node(tmp_path, [None, None], learners)
  node.step()
  pushed = [dict(l.hyperparameters) for l in learners]
  assert all(pushed)
  learners[1].hyperparameters = {'learning_rate': 1e-4}  # Restored, stale.
  node.step()
  assert learners[1].hyperparameters == pushed[1]


def test_member_without_checkpoint_or_fitness_is_never_copied_from(tmp_path):
  # Member 2 has the best fitness but no checkpoint; member 3 no fitness.
  learners = [_FakeLearner(), _FakeLearner(), _FakeLearner(checkpointed=False),
              _FakeLearner()]
  node, evaluators = _node(tmp_path, [1.0, 5.0, 9.0, None], learners)
  decisions = node.step()
  assert decisions and all(d.winner not in (2, 3) for d in decisions)
  assert learners[0].took_state_from is learners[1]
  # A learner that has checkpointed but not stepped (fresh weights) neither.
  learners = [_FakeLearner(), _FakeLearner(steps=0), _FakeLearner()]
  node, _ = _node(tmp_path / 'b', [1.0, 9.0, 5.0], learners)
  assert all(d.winner != 1 for d in node.step())
  assert PopulationController(2, SearchSpace(num_tasks=5), ready_env_steps=0
                              ).step([1.0, 2.0], [10, 10],
                                     copyable=[True, False]) == []


def _lineage(tmp_path):
  with open(tmp_path / 'pbt' / 'lineage.jsonl') as f:
    return [json.loads(line) for line in f]


class _UnreachableEvaluator(_FakeEvaluator):

  def reset_returns(self):
    raise RuntimeError('courier: the evaluator did not answer')


def test_an_exploit_survives_an_evaluator_that_cannot_forget(tmp_path):
  """reset_returns fails after the copy: the exploit still completes (state,
  lineage), and a controller restarted on the run dir keeps the explored
  hyperparameters on the loser, with a lineage that matches."""
  learners = [_FakeLearner(), _FakeLearner()]
  node, evaluators = _node(tmp_path, [1.0, 5.0], learners)
  node._evaluators = [_UnreachableEvaluator(e.value) for e in evaluators]  # pylint: disable=protected-access
  decisions = node.step()
  assert [(d.loser, d.winner) for d in decisions] == [(0, 1)]
  explored = decisions[0].hyperparameters
  assert learners[0].took_state_from is learners[1]
  restarted, _ = _node(tmp_path, [None, None], [_FakeLearner(), _FakeLearner()])
  assert restarted._controller.hyperparameters[0] == explored  # pylint: disable=protected-access
  assert [(l['member'], l['copied']) for l in _lineage(tmp_path)] == [(0, 1)]
  assert _lineage(tmp_path)[0]['hyperparameters'] == explored.state_dict()
  # Member 0 has no fitness until its evaluator has forgotten its rounds.
  assert restarted._fitness(0) is None  # pylint: disable=protected-access
  restarted.step()  # Its evaluator answers now: it forgets, and counts again.
  assert not restarted._stale_evaluators  # pylint: disable=protected-access


class _Crash(BaseException):
  """The controller's process dies (nothing catches it)."""


class _CrashAfterCopy(_FakeLearner):

  def set_state(self, values, hyperparameters):
    super().set_state(values, hyperparameters)
    raise _Crash()


def test_a_crash_between_copy_and_save_is_finished_on_restart(tmp_path):
  """The loser has taken the winner's weights and the explored
  hyperparameters when the controller dies: the restarted controller holds
  the state after the exploit (it copies again and writes the lineage),
  never the loser's old hyperparameters on the winner's weights."""
  learners = [_CrashAfterCopy(), _FakeLearner()]
  node, _ = _node(tmp_path, [1.0, 5.0], learners)
  with pytest.raises(_Crash):
    node.step()
  given = learners[0].hyperparameters  # What the loser's learner now runs.
  fresh = [_FakeLearner(), _FakeLearner()]
  restarted, _ = _node(tmp_path, [None, None], fresh)
  assert restarted.step() == []  # No fitness yet: no new exploit.
  assert fresh[0].took_state_from is fresh[1]  # The copy, done again.
  assert fresh[0].hyperparameters == given
  hyper = restarted._controller.hyperparameters[0]  # pylint: disable=protected-access
  assert hyper.as_dict() == given
  assert restarted._controller.last_change[0] == 10_000  # pylint: disable=protected-access
  lineage = _lineage(tmp_path)
  assert [(l['member'], l['copied']) for l in lineage] == [(0, 1)]
  assert lineage[0]['hyperparameters'] == hyper.state_dict()
  # A third controller finds nothing pending and writes no second line.
  _node(tmp_path, [None, None], [_FakeLearner(), _FakeLearner()])[0].step()
  assert len(_lineage(tmp_path)) == 1


def test_exploit_never_resets_step_counters_or_the_schedule_clock(
    sample, tmp_path):
  schedule = LambdaSchedule('linear', decay_env_steps=10**6)
  loser = _learner('clock_loser', sample, str(tmp_path / 'l'), steps=5,
                   distillation_schedule=schedule)
  winner = _learner('clock_winner', sample, str(tmp_path / 'w'), steps=1,
                    distillation_schedule=schedule)
  steps, env_steps = loser.learner.num_steps, loser.learner.num_env_steps
  assert steps == 5 and env_steps > winner.learner.num_env_steps > 0
  loser.set_state(winner.get_state(), {'learning_rate': 5e-4})
  assert (loser.learner.num_steps == steps and
          loser.learner.num_env_steps == env_steps)
  # Its lambda keeps decaying from its own clock.
  lam = loser.learner.step()['lambda/breakout']
  assert lam == pytest.approx(1.0 - env_steps / 1e6, abs=1e-6)


# -------------------------------------------------------- factorised space
def test_factorised_space_is_alpha_times_rho_and_round_trips():
  space = SearchSpace(num_tasks=5, lambdas='factorised')
  rng = np.random.default_rng(0)
  hyper = space.sample(rng)
  assert hyper.alpha is not None and len(hyper.rho) == 5
  for _ in range(500):
    hyper = space.explore(hyper, rng)
    assert space.contains(hyper), hyper
    np.testing.assert_allclose(hyper.distillation_costs,
                               np.multiply(hyper.alpha, hyper.rho))
  # Without resampling, alpha and each rho_k move by x0.8 or x1.2, so every
  # lambda_k moves by alpha's factor times its own rho factor.
  fixed = SearchSpace(num_tasks=3, lambdas='factorised',
                      resample_probability=0.0)
  start = Hyperparameters.factorised(1e-3, 1e-2, 1.0, (0.5, 1.0, 0.25))
  for _ in range(20):
    new = fixed.explore(start, rng)
    assert new.alpha in (pytest.approx(0.8), pytest.approx(1.2))
    for lam, lam0, rho, rho0 in zip(new.distillation_costs,
                                    start.distillation_costs, new.rho,
                                    start.rho):
      assert rho / rho0 in (pytest.approx(0.8), pytest.approx(1.2),
                            pytest.approx(1.0 / rho0))  # (clipped at 1)
      assert lam == pytest.approx(new.alpha * rho)
  # The controller's state keeps alpha and rho through JSON.
  controller = PopulationController(3, space, seed=1)
  restored = PopulationController(3, space, seed=2)
  restored.load_state_dict(json.loads(json.dumps(controller.state_dict())))
  assert restored.hyperparameters == controller.hyperparameters
  with pytest.raises(ValueError, match='lambdas must be one of'):
    SearchSpace(num_tasks=2, lambdas='shared')


def test_first_member_starts_at_the_member_config(tmp_path):
  learners = [_FakeLearner() for _ in range(4)]
  node, _ = _node(tmp_path, [None] * 4, learners)
  node.step()
  assert learners[0].hyperparameters == {
      'learning_rate': 1e-3, 'entropy_cost': 0.01,
      'distillation_costs': [1.0] * 5}
  assert learners[1].hyperparameters != learners[0].hyperparameters
