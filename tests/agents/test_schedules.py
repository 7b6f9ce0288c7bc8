"""lambda schedules: each kind's lambda at given env steps, the gate, the feed."""

from acme.utils import counting
from acme.utils import loggers
import numpy as np
import pytest
import tensorflow as tf

from acme_kickstart.agents.kickstarting import gating
from acme_kickstart.agents.kickstarting import learning
from acme_kickstart.agents.kickstarting import schedules
from acme_kickstart.agents.kickstarting import task_scores
from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.agents.kickstarting.schedules import LambdaSchedule
from acme_kickstart.environments import base
from acme_kickstart.environments import minatar
from conftest import built_network, real_batch

BASE = tf.constant([1.0, 2.0])


def _lambdas(schedule, steps, gate_values=(1.0, 1.0)):
  return schedules.effective_lambdas(
      schedule, BASE, tf.constant(steps, tf.int64),
      tf.constant(gate_values)).numpy()


def test_constant_and_pbt_hold_lambda():
  for kind in ('constant', 'pbt'):
    for steps in (0, 10**6, 10**9):
      np.testing.assert_allclose(_lambdas(LambdaSchedule(kind), steps),
                                 [1.0, 2.0])


def test_linear_goes_from_lambda0_to_lambda1_then_holds():
  schedule = LambdaSchedule('linear', decay_env_steps=1000,
                            final_fraction=0.25)
  np.testing.assert_allclose(_lambdas(schedule, 0), [1.0, 2.0])
  np.testing.assert_allclose(_lambdas(schedule, 500), [0.625, 1.25])
  np.testing.assert_allclose(_lambdas(schedule, 1000), [0.25, 0.5])
  np.testing.assert_allclose(_lambdas(schedule, 10**8), [0.25, 0.5])
  to_zero = LambdaSchedule('linear', decay_env_steps=100)
  np.testing.assert_allclose(_lambdas(to_zero, 250), [0.0, 0.0])


def test_exponential_decays_multiplicatively_per_env_step():
  schedule = LambdaSchedule('exponential', decay_rate=0.999)
  np.testing.assert_allclose(_lambdas(schedule, 1000),
                             [0.999**1000, 2 * 0.999**1000], rtol=1e-4)
  np.testing.assert_allclose(_lambdas(schedule, 10**9), [0.0, 0.0])
  floored = LambdaSchedule('exponential', decay_rate=0.9, final_fraction=0.1)
  np.testing.assert_allclose(_lambdas(floored, 10**6), [0.1, 0.2])


def test_gate_multiplies_on_top_of_any_kind():
  gated_linear = LambdaSchedule('linear', decay_env_steps=1000, gated=True)
  np.testing.assert_allclose(_lambdas(gated_linear, 500, (0.5, 0.0)),
                             [0.25, 0.0])
  # An ungated schedule ignores the gate's values.
  np.testing.assert_allclose(
      _lambdas(LambdaSchedule('linear', decay_env_steps=1000), 500,
               (0.5, 0.0)), [0.5, 1.0])
  assert LambdaSchedule('gated') == LambdaSchedule('constant', gated=True)
  assert LambdaSchedule('gated').name == 'constant+gated'


def test_gate_reaches_zero_at_the_teacher_and_comes_back_with_hysteresis():
  hysteresis = 0.1
  gated = tf.constant([True])
  off = tf.constant([False])
  seen = []
  for score in (0.0, 0.5, 0.95, 1.0, 1.3, 0.95, 0.91, 0.85, 0.5):
    s = tf.constant([score])
    off = schedules.update_gate_off(s, off, hysteresis)
    seen.append(float(schedules.gate(s, off, gated).numpy()[0]))
  np.testing.assert_allclose(
      seen, [1.0, 0.5, 0.05, 0.0, 0.0, 0.0, 0.0, 0.15, 0.5], atol=1e-6)
  # A task without a reference (or without episodes yet) is not gated.
  assert schedules.gate(tf.constant([2.0]), tf.constant([True]),
                        tf.constant([False])).numpy()[0] == 1.0


def test_tf_scores_are_the_suites_normalised_scores_as_fractions():
  rng = np.random.default_rng(0)
  low = rng.uniform(-10.0, 10.0, 200)
  high = low + rng.uniform(0.5, 50.0, 200)
  # Below random play, between the marks and beyond the teacher; then each
  # mark exactly.
  returns = low + (high - low) * rng.uniform(-3.0, 4.0, 200)
  returns[:3], returns[3:6] = low[:3], high[3:6]
  tf_scores = schedules.normalised_scores(
      *(tf.constant(x, tf.float32) for x in (returns, low, high))).numpy()
  expected = [base.normalised_score(r, l, h) / 100.0
              for r, l, h in zip(returns, low, high)]
  np.testing.assert_allclose(tf_scores, expected, rtol=1e-5, atol=1e-5)
  assert (tf_scores < 0).any() and (tf_scores > 1).any()
  np.testing.assert_array_equal(tf_scores[:6], [0.0] * 3 + [1.0] * 3)
  # The gate reads the same scores where a task has a reference and returns.
  gate = gating.TaskGate(['a', 'b', 'c'], LambdaSchedule('gated'),
                         {'a': (low[6], high[6]), 'b': (low[7], high[7])})
  gate.returns.assign(returns[[6, 7, 8]].astype(np.float32))
  gate.seen.assign([True, True, True])
  np.testing.assert_allclose(gate.scores().numpy(),
                             [expected[6], expected[7], 0.0], rtol=1e-5,
                             atol=1e-5)
  # A reference at or below random play cannot be divided by: both refuse it.
  for mark in (2.0, 1.0):
    with pytest.raises(ValueError, match='must be above'):
      base.normalised_score(3.0, 2.0, mark)
    with pytest.raises(ValueError, match='must be above'):
      gating.TaskGate(['a'], LambdaSchedule('gated'), {'a': (2.0, mark)})


def test_bad_schedules_fail_with_the_fix():
  with pytest.raises(ValueError, match='Unknown lambda schedule kind'):
    LambdaSchedule('cosine')
  with pytest.raises(ValueError, match='decay_env_steps > 0'):
    LambdaSchedule('linear')
  with pytest.raises(ValueError, match='decay_rate'):
    LambdaSchedule('exponential', decay_rate=1.5)


def test_averager_uses_counter_deltas_and_rebaselines_after_restart():
  averager = task_scores.ReturnAverager(['a', 'b'], window_episodes=2)
  counter = counting.Counter()
  actors = counting.Counter(counter, prefix='actor', time_delta=0.0)
  averages, seen = np.zeros(2), np.zeros(2, bool)
  actors.increment(**task_scores.increments({'a': [100.0]}))
  averages, seen = averager.update(counter.get_counts(), averages, seen)
  assert not seen.any()  # The first totals are a baseline.
  actors.increment(**task_scores.increments({'a': [4.0, 6.0]}))
  averages, seen = averager.update(counter.get_counts(), averages, seen)
  assert seen.tolist() == [True, False] and averages[0] == 5.0
  actors.increment(**task_scores.increments({'a': [9.0]}))
  averages, seen = averager.update(counter.get_counts(), averages, seen)
  assert averages[0] == pytest.approx(0.5 * 5.0 + 0.5 * 9.0)
  # A fresh averager (a restarted learner) keeps the checkpointed average.
  restarted = task_scores.ReturnAverager(['a', 'b'], window_episodes=2)
  again, _ = restarted.update(counter.get_counts(), averages, seen)
  assert again[0] == pytest.approx(7.0)


@pytest.fixture(scope='module')
def sample():
  return real_batch(built_network('behaviour_sched'), None)


class _Events(loggers.Logger):

  def __init__(self):
    self.rows = []

  def write(self, data):
    self.rows.append(dict(data))

  def close(self):
    pass


def test_learner_gates_lambda_from_counter_scores_and_logs_crossings(sample):
  """Counter totals -> s_k -> gate -> effective lambda, in the learner."""
  counter = counting.Counter()
  actors = counting.Counter(counter, prefix='actor', time_delta=0.0)
  events = _Events()
  # breakout: random 0.5, teacher 10.5, so s = (return - 0.5) / 10.
  learner = learning.KickstartingLearner(
      network=built_network('gated_student'),
      dataset=tf.data.Dataset.from_tensors(sample).repeat(),
      num_tasks=len(minatar.GAMES), task_names=minatar.GAMES,
      learning_rate=1e-3, distillation_costs=2.0,
      schedule=LambdaSchedule('gated', score_window_episodes=1.0,
                              gate_hysteresis=0.1),
      score_ranges={'breakout': (0.5, 10.5)},
      counter=counting.Counter(counter, prefix='learner', time_delta=0.0),
      logger=loggers.NoOpLogger(), events_logger=events)

  def step_after(breakout_returns):
    actors.increment(**task_scores.increments({'breakout': breakout_returns}))
    return learner.step()

  first = step_after([])
  assert first['lambda/breakout'] == 2.0 and first['gate/breakout'] == 1.0
  assert not any(k.startswith('actor_return_sum') for k in first)
  half = step_after([5.5])
  assert half['score/breakout'] == pytest.approx(0.5)
  assert half['gate/breakout'] == pytest.approx(0.5)
  # The next step trains with the gated lambda.
  assert step_after([5.5])['lambda/breakout'] == pytest.approx(1.0)
  assert step_after([12.5])['gate/breakout'] == 0.0  # s = 1.2: surpassed.
  assert step_after([12.5])['lambda/breakout'] == 0.0
  assert step_after([10.0])['lambda/breakout'] == 0.0  # s = 0.95: hysteresis.
  assert [e['event'] for e in events.rows] == ['surpassed']
  assert events.rows[0]['task'] == 'breakout'
  fell = step_after([5.5])  # s = 0.5: the teacher comes back.
  assert fell['gate/breakout'] == pytest.approx(0.5)
  assert step_after([5.5])['lambda/breakout'] == pytest.approx(1.0)
  assert [e['event'] for e in events.rows] == ['surpassed', 'fell_behind']
  # Tasks without a reference score stay ungated.
  assert fell['lambda/asterix'] == 2.0 and fell['gate/asterix'] == 1.0
  # The gate's state is checkpointed with the learner.
  assert {'task_returns', 'task_seen', 'gate_off'} <= set(learner.state)


def test_a_nan_return_total_cannot_make_the_gated_lambdas_nan(sample):
  """Counter totals that hold a NaN (a return no actor should have sent),
  then finite ones: s_k, the gate and every lambda stay finite and the
  learner keeps stepping with the average it had."""
  counter = counting.Counter()
  actors = counting.Counter(counter, prefix='actor', time_delta=0.0)
  learner = learning.KickstartingLearner(
      network=built_network('nan_gated_student'),
      dataset=tf.data.Dataset.from_tensors(sample).repeat(),
      num_tasks=len(minatar.GAMES), task_names=minatar.GAMES,
      learning_rate=1e-3, distillation_costs=1.0,
      schedule=LambdaSchedule('gated', score_window_episodes=1.0),
      score_ranges={'breakout': (0.5, 10.5), 'asterix': (0.5, 10.5)},
      counter=counting.Counter(counter, prefix='learner', time_delta=0.0),
      logger=loggers.NoOpLogger())

  def step_after(returns):
    actors.increment(**task_scores.increments(returns))
    return learner.step()

  step_after({})
  assert step_after({'breakout': [5.5], 'asterix': [3.0]})[
      'score/breakout'] == pytest.approx(0.5)
  poisoned = step_after({'breakout': [float('nan')], 'asterix': [5.5]})
  assert np.isnan(counter.get_counts()['actor_return_sum/breakout'])
  for _ in range(3):
    row = step_after({'breakout': [8.0], 'asterix': [5.5]})
    assert all(np.isfinite(v) for k, v in row.items()
               if k.split('/')[0] in ('lambda', 'score', 'gate', 'loss'))
  assert row['score/breakout'] == pytest.approx(0.5)  # Kept, not NaN.
  assert poisoned['score/asterix'] == row['score/asterix'] == pytest.approx(0.5)
  assert row['lambda/breakout'] == pytest.approx(0.5)
  lambdas = learner._effective_distillation_costs().numpy()  # pylint: disable=protected-access
  assert np.isfinite(lambdas).all()


def test_teacher_mask_zeroes_tasks_without_a_teacher_and_names_unknown_ones():
  names = ['breakout', 'asterix', 'freeway']
  np.testing.assert_array_equal(
      schedules.teacher_mask(names, ['asterix']).numpy(), [0.0, 1.0, 0.0])
  np.testing.assert_array_equal(schedules.teacher_mask(names, None).numpy(),
                                [1.0, 1.0, 1.0])
  np.testing.assert_array_equal(schedules.teacher_mask(names, []).numpy(),
                                [0.0, 0.0, 0.0])
  with pytest.raises(ValueError, match=r"unknown tasks \['pong'\]"):
    schedules.teacher_mask(names, ['asterix', 'pong'])


def test_masked_steps_weigh_zero_whatever_lambda_holds():
  """A NaN lambda on a task whose steps are all masked (no teacher, or
  padding) leaves the distillation term finite."""
  from acme_kickstart.agents.kickstarting import losses  # pylint: disable=g-import-not-at-top
  logits = tf.random.normal([4, 2, 3], seed=1)
  term = losses.distillation_term(
      student_logits=logits, teacher_logits=logits * 2.0,
      teacher_mask=tf.constant([[1.0, 0.0]] * 4),
      task_ids=tf.constant([[0, 1]] * 4),
      distillation_costs=tf.constant([1.0, float('nan')]),
      valid=tf.ones([3, 2]))
  assert np.isfinite(term.loss.numpy()) and term.loss.numpy() > 0


@pytest.mark.timeout(180)
def test_single_process_agent_feeds_the_gate_from_its_episodes():
  """agent.py routes episode returns to the learner as the program does."""
  from acme_kickstart.agents.kickstarting import KickstartingAgent  # pylint: disable=g-import-not-at-top
  from acme_kickstart.networks import MinAtarNetwork  # pylint: disable=g-import-not-at-top
  envs = [minatar.make_environment('breakout', seed=i, max_episode_steps=40)
          for i in range(4)]
  config = KickstartingConfig(
      batch_size=4, sequence_length=5, distillation_costs=(1.0,),
      distillation_schedule=LambdaSchedule('gated', score_window_episodes=5))
  # A reference score far above anything 40 steps can reach: 0 < gate < 1.
  with KickstartingAgent(envs, MinAtarNetwork(6, lstm_size=16), config,
                         minatar.GAMES,
                         score_ranges={'breakout': (-1.0, 100.0)}) as agent:
    metrics = []
    original_step = agent.learner.step
    agent.learner.step = lambda: metrics.append(original_step())
    agent.run(600)
  assert len(agent.episodes) >= 8
  last = metrics[-1]
  assert 0.0 < last['score/breakout'] < 0.2
  assert 0.8 < last['gate/breakout'] < 1.0
  assert last['gate/asterix'] == 1.0  # No reference score: not gated.
