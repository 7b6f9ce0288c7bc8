"""Distillation replay: when it must not replay, and what a non-finite
replayed batch leaves behind."""

import time

from acme.utils import loggers
import numpy as np
import pytest
import tensorflow as tf

from acme_kickstart.agents.kickstarting import learning
from acme_kickstart.agents.kickstarting import losses
from acme_kickstart.agents.kickstarting.builder import KickstartingBuilder
from acme_kickstart.agents.kickstarting.schedules import LambdaSchedule
from acme_kickstart.environments import minatar
from conftest import built_network
from replay_utils import replay, sample  # pylint: disable=unused-import
from replay_utils import Rows, make_learner, twin_networks


def test_empty_replay_table_does_not_block(sample, replay):
  """An empty table: the step returns at once, trained on V-trace only."""
  network = built_network('empty_replay')
  learner = make_learner(
      network, tf.data.Dataset.from_tensors(sample).repeat(),
      distillation_replay=replay.reader(timeout_ms=60_000),
      distillation_replay_ratio=2)
  before = [v.numpy() for v in network.trainable_variables]
  start = time.time()
  metrics = learner.step()
  assert time.time() - start < 30  # Far below the 60 s stream timeout.
  assert metrics['replay/batches'] == 0
  assert metrics['replay/table_size'] == 0
  assert np.isnan(metrics['replay/distillation_loss'])
  assert learner.num_steps == 1
  assert any(not np.array_equal(b, v.numpy())
             for b, v in zip(before, network.trainable_variables))


def test_stalled_queue_returns_without_replaying(sample, replay):
  """No V-trace batch before the queue's timeout: the step returns None and
  replays nothing (replayed batches ride on V-trace batches)."""
  replay.fill(sample)
  dataset = KickstartingBuilder(replay.config).make_dataset(
      replay.address, num_streams=1, timeout_ms=300)
  reader = replay.reader()
  learner = make_learner(built_network('stalled'), dataset,
                         distillation_replay=reader,
                         distillation_replay_ratio=2)
  start = time.time()
  assert learner.step() is None
  assert time.time() - start < 30
  assert reader.num_sampled == 0 and learner.num_steps == 0


def test_learner_needs_a_reader_for_a_positive_ratio(sample):
  with pytest.raises(ValueError, match='needs a distillation_replay reader'):
    make_learner(built_network('no_reader'),
                 tf.data.Dataset.from_tensors(sample).repeat(),
                 distillation_replay_ratio=1)


def test_no_replayed_update_while_every_lambda_is_zero(sample, replay):
  """A schedule at lambda 0 (or closed gates) replays nothing: the learner
  equals one without replay (a zero-gradient Adam update would still move
  the weights along its momentum)."""
  replay.fill(sample)
  with_net, without_net = twin_networks('lambda0')
  dataset = tf.data.Dataset.from_tensors(sample).repeat()
  learners = [learning.KickstartingLearner(
      network=net, dataset=dataset, num_tasks=len(minatar.GAMES),
      task_names=minatar.GAMES, learning_rate=1e-3, distillation_costs=0.0,
      entropy_cost=0.01, baseline_cost=0.5, logger=loggers.NoOpLogger(),
      **kwargs) for net, kwargs in (
          (with_net, dict(distillation_replay=replay.reader(),
                          distillation_replay_ratio=2)),
          (without_net, {}))]
  for _ in range(3):
    metrics = learners[0].step()
    learners[1].step()
  assert metrics['replay/batches'] == 0
  for a, b in zip(with_net.variables, without_net.variables):
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_no_replayed_update_once_every_teachers_gate_has_shut(sample, replay):
  """lambda^0 = 1 on every task, but only asterix has a teacher, and its
  gate has shut: the tasks without a teacher (whose gates never shut) must
  not keep the replay going; the learner equals one without replay."""
  replay.fill(sample)
  with_net, without_net = twin_networks('gates_shut')
  dataset = tf.data.Dataset.from_tensors(sample).repeat()
  gated = dict(schedule=LambdaSchedule('gated', score_window_episodes=1.0),
               score_ranges={'asterix': (0.0, 1.0)}, teacher_tasks=['asterix'])
  learners = [make_learner(with_net, dataset,
                           distillation_replay=replay.reader(),
                           distillation_replay_ratio=2, **gated),
              make_learner(without_net, dataset, **gated)]
  for learner in learners:
    learner.set_hyperparameters(distillation_costs=1.0)
    for returns in (0.0, 2.0):  # A baseline, then the teacher passed.
      learner.update_task_scores({'actor_return_sum/asterix': returns,
                                  'actor_episodes/asterix': returns})
  for _ in range(3):
    metrics = learners[0].step()
    learners[1].step()
  assert metrics['gate/asterix'] == 0.0
  assert all(metrics[f'lambda/{t}'] == 0.0 for t in minatar.GAMES)
  assert metrics['replay/batches'] == 0
  for a, b in zip(with_net.variables, without_net.variables):
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_non_finite_replayed_loss_raises_and_is_not_applied(sample, replay):
  """A replayed batch whose loss is NaN stops the replay with one error; its
  update is not applied, so the weights are those of the V-trace update."""
  extras = dict(sample.data.extras)
  extras['teacher_logits'] = tf.fill(tf.shape(extras['teacher_logits']),
                                     np.float32(np.nan))
  replay.fill(sample._replace(data=sample.data._replace(extras=extras)))
  replayed_net, plain_net = twin_networks('non_finite_replay')
  dataset = tf.data.Dataset.from_tensors(sample).repeat()
  replayed = make_learner(replayed_net, dataset, distillation_replay_ratio=2,
                          distillation_replay=replay.reader())
  plain = make_learner(plain_net, dataset)
  with pytest.raises(losses.NonFiniteLossError,
                     match='Non-finite distillation loss.*not applied'):
    replayed.step()
  plain.step()
  for a, b in zip(replayed_net.variables, plain_net.variables):
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_a_non_finite_replayed_loss_leaves_the_bookkeeping_right(sample,
                                                                 replay):
  """The V-trace update before it was applied: the counter, the gate feed and
  the log have its step, so learner_steps on the counter equals the
  learner's own steps."""
  from acme.utils import counting  # pylint: disable=g-import-not-at-top
  extras = dict(sample.data.extras)
  extras['teacher_logits'] = tf.fill(tf.shape(extras['teacher_logits']),
                                     np.float32(np.nan))
  replay.fill(sample._replace(data=sample.data._replace(extras=extras)))
  counter, rows = counting.Counter(), []
  learner = learning.KickstartingLearner(
      network=built_network('nan_replay_bookkeeping'),
      dataset=tf.data.Dataset.from_tensors(sample).repeat(),
      num_tasks=len(minatar.GAMES), task_names=minatar.GAMES,
      learning_rate=1e-3, distillation_costs=1.0, logger=Rows(rows),
      counter=counting.Counter(counter, prefix='learner', time_delta=0.0),
      distillation_replay=replay.reader(), distillation_replay_ratio=2)
  for _ in range(2):
    with pytest.raises(losses.NonFiniteLossError):
      learner.step()
  assert learner.num_steps == 2
  assert counter.get_counts()['learner_steps'] == 2
  assert [row['learner_steps'] for row in rows] == [1, 2]
