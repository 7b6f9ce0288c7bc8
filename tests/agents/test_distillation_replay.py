"""Distillation replay: the table, the learner's replay-only step."""

import time

from acme import specs
from acme.adders import reverb as acme_adders
from acme.utils import loggers
import numpy as np
import pytest
import reverb
import tensorflow as tf
import tree

from acme_kickstart.agents.kickstarting import acting
from acme_kickstart.agents.kickstarting import distillation_replay
from acme_kickstart.agents.kickstarting import learning
from acme_kickstart.agents.kickstarting import losses
from acme_kickstart.agents.kickstarting.adders import BatchedSequenceAdder
from acme_kickstart.agents.kickstarting.agent import KickstartingAgent
from acme_kickstart.agents.kickstarting.builder import KickstartingBuilder
from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.agents.kickstarting.schedules import LambdaSchedule
from acme_kickstart.environments import minatar
from acme_kickstart.experiments.single_game import make_envs
from acme_kickstart.teachers import Teacher, TeacherSet
from conftest import built_network, real_batch_with_teachers

SEQUENCE_LENGTH = 8


@pytest.fixture(scope='module')
def sample():
  """A real batch (sequence length 8) with real teacher logits."""
  return real_batch_with_teachers('replay_',
                                  sequence_length=SEQUENCE_LENGTH)


class Replay:
  """A real Reverb server with the queue and the distillation replay table."""

  def __init__(self, window: int = 100):
    config = KickstartingConfig(sequence_length=SEQUENCE_LENGTH, batch_size=6,
                                distillation_replay_ratio=1,
                                distillation_replay_window=window)
    spec = specs.make_environment_spec(minatar.make_environment('breakout'))
    tables = KickstartingBuilder(config).make_replay_tables(
        spec, built_network('signature'))
    self.queue = tables[0]
    self.server = reverb.Server(tables, port=None)
    self.address = f'localhost:{self.server.port}'
    self.client = reverb.Client(self.address)
    self.config = config

  def fill(self, sample, times: int = 1):
    """Writes the sample's sequences (only) to the replay table."""
    with self.client.trajectory_writer(num_keep_alive_refs=1) as writer:
      for _ in range(times):
        for b in range(sample.data.action.shape[0]):
          writer.append(tree.map_structure(lambda x: x[b].numpy(),  # pylint: disable=cell-var-from-loop
                                           sample.data))
          writer.create_item(
              distillation_replay.TABLE, 1.0,
              tree.map_structure(lambda c: c[-1], writer.history))
      writer.flush()

  def reader(self, timeout_ms: int = 2_000):
    return distillation_replay.ReverbReplayReader(self.address, 6, timeout_ms)

  def info(self, table=distillation_replay.TABLE):
    return self.client.server_info()[table]


@pytest.fixture
def replay():
  made = Replay()
  yield made
  made.server.stop()


def _learner(network, dataset, **kwargs):
  return learning.KickstartingLearner(
      network=network, dataset=dataset, num_tasks=len(minatar.GAMES),
      task_names=minatar.GAMES, learning_rate=1e-3,
      distillation_costs=[1.0, 0.5, 0.0, 0.0, 0.0], entropy_cost=0.01,
      baseline_cost=0.5, logger=loggers.NoOpLogger(), **kwargs)


def _twins(name):
  first, second = built_network(f'{name}_a'), built_network(f'{name}_b')
  for s, d in zip(first.variables, second.variables):
    d.assign(s)
  return first, second


def _gradients(learner, loss_fn, sample):
  variables = learner.network.trainable_variables
  with tf.GradientTape() as tape:
    loss = loss_fn(sample).loss
  return loss, tape.gradient(loss, variables)


def test_ratio_zero_equals_learner_without_replay(sample, replay):
  """Ratio 0 with a reader at hand: same loss, gradients, weights and
  optimizer state as a learner built without replay; the table is not read."""
  replay.fill(sample)
  with_net, without_net = _twins('ratio0')
  dataset = tf.data.Dataset.from_tensors(sample).repeat()
  with_replay = _learner(with_net, dataset,
                         distillation_replay=replay.reader(),
                         distillation_replay_ratio=0)
  without = _learner(without_net, dataset)
  loss_a, grads_a = _gradients(with_replay, with_replay.loss, sample)
  loss_b, grads_b = _gradients(without, without.loss, sample)
  assert loss_a.numpy() == loss_b.numpy()
  for a, b in zip(grads_a, grads_b):
    np.testing.assert_array_equal(a.numpy(), b.numpy())
  for _ in range(2):
    metrics = with_replay.step()
    without.step()
  assert not any(k.startswith('replay/') for k in metrics)
  for a, b in zip(with_net.variables, without_net.variables):
    np.testing.assert_array_equal(a.numpy(), b.numpy())
  for a, b in zip(with_replay._optimizer.variables,  # pylint: disable=protected-access
                  without._optimizer.variables):  # pylint: disable=protected-access
    np.testing.assert_array_equal(a.numpy(), b.numpy())
  assert with_replay.num_env_steps == without.num_env_steps
  assert replay.info().num_unique_samples == 0


def test_replay_gradient_is_the_distillation_term_alone(sample, replay):
  """d(replay loss) = d(full loss) - d(full loss with every lambda_k = 0),
  and the value head gets no gradient from it."""
  network = built_network('replay_grad')
  learner = _learner(network, tf.data.Dataset.from_tensors(sample).repeat(),
                     distillation_replay=replay.reader(),
                     distillation_replay_ratio=1)
  replay_loss, replay_grads = _gradients(learner, learner.replay_loss, sample)
  full_loss, full_grads = _gradients(learner, learner.loss, sample)
  learner.set_hyperparameters(distillation_costs=0.0)
  impala_loss, impala_grads = _gradients(learner, learner.loss, sample)
  assert replay_loss.numpy() > 0
  np.testing.assert_allclose(replay_loss.numpy(),
                             full_loss.numpy() - impala_loss.numpy(),
                             rtol=1e-5)
  names = [v.name for v in network.trainable_variables]
  for name, replayed, full, impala in zip(names, replay_grads, full_grads,
                                          impala_grads):
    if '/value/' in name:
      assert replayed is None, name
      continue
    np.testing.assert_allclose(replayed.numpy(), (full - impala).numpy(),
                               rtol=1e-4, atol=1e-6, err_msg=name)
    assert np.abs(replayed.numpy()).sum() > 0, name


def test_replay_steps_train_distillation_and_count_no_env_steps(sample,
                                                                replay):
  """Ratio 2: one V-trace update and two replayed ones per step; the value
  head moves only with V-trace, and env steps count only V-trace rows."""
  replay.fill(sample)
  replayed_net, plain_net = _twins('replay_steps')
  dataset = tf.data.Dataset.from_tensors(sample).repeat()
  replayed = _learner(replayed_net, dataset, distillation_replay_ratio=2,
                      distillation_replay=replay.reader())
  plain = _learner(plain_net, dataset)
  metrics = replayed.step()
  plain.step()
  assert metrics['replay/batches'] == 2
  assert metrics['replay/table_size'] == 6
  assert metrics['replay/reuse_factor'] == pytest.approx(12 / 6)
  assert np.isfinite(metrics['replay/distillation_loss'])
  valid_rows = int(sample.data.extras['valid'].numpy()[:, :-1].sum())
  assert replayed.num_env_steps == plain.num_env_steps == valid_rows
  assert replayed.num_steps == 1
  for a, b in zip(replayed_net.trainable_variables,
                  plain_net.trainable_variables):
    same = np.array_equal(a.numpy(), b.numpy())
    assert same == ('/value/' in a.name), a.name


def test_burn_in_steps_get_no_loss_and_no_gradient(sample, replay):
  """Burn-in b: the loss is the distillation term on steps b.., from the
  state the current weights reach over steps ..b, with no gradient there."""
  burn_in = 3
  network = built_network('burn_in')
  learner = _learner(network, tf.data.Dataset.from_tensors(sample).repeat(),
                     distillation_replay=replay.reader(),
                     distillation_replay_ratio=1,
                     distillation_replay_burn_in=burn_in)
  data = tree.map_structure(lambda x: tf.transpose(
      x, [1, 0] + list(range(2, x.shape.rank))), sample.data)
  costs = tf.constant([1.0, 0.5, 0.0, 0.0, 0.0])

  def manual(stop_gradient):
    state = tree.map_structure(lambda s: s[0], data.extras['core_state'])
    head = tree.map_structure(lambda x: x[:burn_in], data.observation)
    _, state = network.unroll(head, state)
    if stop_gradient:
      state = tree.map_structure(tf.stop_gradient, state)
    tail = tree.map_structure(lambda x: x[burn_in:], data)
    (logits, _), _ = network.unroll(tail.observation, state)
    return losses.distillation_term(
        student_logits=logits, teacher_logits=tail.extras['teacher_logits'],
        teacher_mask=tail.extras['teacher_mask'],
        task_ids=tail.observation['task_id'], distillation_costs=costs,
        valid=tail.extras['valid'][:-1])

  loss, grads = _gradients(learner, learner.replay_loss, sample)
  manual_loss, manual_grads = _gradients(learner,
                                         lambda _: manual(True), sample)
  _, through_grads = _gradients(learner, lambda _: manual(False), sample)
  np.testing.assert_allclose(loss.numpy(), manual_loss.numpy(), rtol=1e-6)
  lstm = [i for i, v in enumerate(network.trainable_variables)
          if '/lstm/' in v.name]
  for i in lstm:
    np.testing.assert_allclose(grads[i].numpy(), manual_grads[i].numpy(),
                               rtol=1e-5, atol=1e-7)
  assert any(not np.allclose(grads[i].numpy(), through_grads[i].numpy())
             for i in lstm), 'the burn-in test cannot tell the two apart'


def test_window_keeps_only_the_newest_sequences():
  """The writer feeds queue and window; a full window drops its oldest
  sequence without blocking the writer."""
  window = 6
  replay = Replay(window=window)
  try:
    writer = BatchedSequenceAdder(
        replay.client, num_envs=1, sequence_length=SEQUENCE_LENGTH,
        period=SEQUENCE_LENGTH - 1, replay_table=distillation_replay.TABLE)
    observation = tree.map_structure(
        lambda s: np.zeros((1,) + s.shape, s.dtype),
        minatar.observation_spec())
    extras = tree.map_structure(
        lambda s: np.zeros((1,) + tuple(s.shape), s.dtype.as_numpy_dtype),
        acting.extras_spec(built_network('extras'), minatar.NUM_ACTIONS))
    num_steps = 3 * window * (SEQUENCE_LENGTH - 1) + 1
    for step in range(num_steps):
      writer.add_batch(observation, np.array([step == 0]),
                       np.zeros([1], np.int32),
                       np.array([float(step)], np.float32),
                       np.ones([1], np.float32), np.array([False]),
                       observation, extras)
    writer.flush(timeout_ms=10_000)
    writer.close()  # An open writer holds the server's stop for 5 s.
    written = writer.num_items
    assert written == 3 * window
    assert replay.info(acme_adders.DEFAULT_PRIORITY_TABLE).current_size == (
        written)
    assert replay.info().current_size == window
    samples = replay.client.sample(distillation_replay.TABLE, num_samples=200,
                                   emit_timesteps=False,
                                   unpack_as_table_signature=True)
    firsts = {int(np.asarray(s.data.reward)[0]) for s in samples}
    newest = {(written - 1 - i) * (SEQUENCE_LENGTH - 1) for i in range(window)}
    assert firsts == newest
  finally:
    replay.server.stop()


def test_empty_replay_table_does_not_block(sample, replay):
  """An empty table: the step returns at once, trained on V-trace only."""
  network = built_network('empty_replay')
  learner = _learner(network, tf.data.Dataset.from_tensors(sample).repeat(),
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
  learner = _learner(built_network('stalled'), dataset,
                     distillation_replay=reader, distillation_replay_ratio=2)
  start = time.time()
  assert learner.step() is None
  assert time.time() - start < 30
  assert reader.num_sampled == 0 and learner.num_steps == 0


def test_single_process_agent_replays_about_ratio_times():
  config = KickstartingConfig(batch_size=8, sequence_length=10,
                              num_envs_per_actor=8,
                              distillation_replay_ratio=2,
                              distillation_replay_window=64)
  rows = []
  teachers = TeacherSet({0: Teacher.from_module(built_network('agent_teacher'))},
                        len(minatar.GAMES), minatar.NUM_ACTIONS,
                        minatar.observation_spec())
  with KickstartingAgent(make_envs('breakout', 8, seed=0),
                         built_network('agent'), config, minatar.GAMES,
                         teachers=teachers, logger=_Rows(rows)) as agent:
    agent.run(800)
    assert agent.learner.num_env_steps <= agent.env_steps
  assert len(rows) >= 8
  assert rows[-1]['replay/batches'] == 2
  assert 0 < rows[-1]['replay/table_size'] <= 64
  assert 1.5 <= rows[-1]['replay/reuse_factor'] <= 2.2


class _Rows(loggers.Logger):

  def __init__(self, rows):
    self._rows = rows

  def write(self, data):
    self._rows.append(dict(data))

  def close(self):
    pass


@pytest.mark.parametrize('field,value,words', [
    ('distillation_replay_ratio', -1, 'distillation_replay_ratio must be'),
    ('distillation_replay_window', 4, 'must hold at least one batch'),
    ('distillation_replay_burn_in', 19, 'distillation_replay_burn_in must'),
])
def test_config_rejects_bad_replay_settings(field, value, words):
  with pytest.raises(ValueError, match=words):
    KickstartingConfig(batch_size=8, sequence_length=20, **{field: value})


def test_learner_needs_a_reader_for_a_positive_ratio(sample):
  with pytest.raises(ValueError, match='needs a distillation_replay reader'):
    _learner(built_network('no_reader'),
             tf.data.Dataset.from_tensors(sample).repeat(),
             distillation_replay_ratio=1)


def test_no_replayed_update_while_every_lambda_is_zero(sample, replay):
  """A schedule at lambda 0 (or closed gates) replays nothing: the learner
  equals one without replay (a zero-gradient Adam update would still move
  the weights along its momentum)."""
  replay.fill(sample)
  with_net, without_net = _twins('lambda0')
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
  with_net, without_net = _twins('gates_shut')
  dataset = tf.data.Dataset.from_tensors(sample).repeat()
  gated = dict(schedule=LambdaSchedule('gated', score_window_episodes=1.0),
               score_ranges={'asterix': (0.0, 1.0)}, teacher_tasks=['asterix'])
  learners = [_learner(with_net, dataset, distillation_replay=replay.reader(),
                       distillation_replay_ratio=2, **gated),
              _learner(without_net, dataset, **gated)]
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
  replayed_net, plain_net = _twins('non_finite_replay')
  dataset = tf.data.Dataset.from_tensors(sample).repeat()
  replayed = _learner(replayed_net, dataset, distillation_replay_ratio=2,
                      distillation_replay=replay.reader())
  plain = _learner(plain_net, dataset)
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
      learning_rate=1e-3, distillation_costs=1.0, logger=_Rows(rows),
      counter=counting.Counter(counter, prefix='learner', time_delta=0.0),
      distillation_replay=replay.reader(), distillation_replay_ratio=2)
  for _ in range(2):
    with pytest.raises(losses.NonFiniteLossError):
      learner.step()
  assert learner.num_steps == 2
  assert counter.get_counts()['learner_steps'] == 2
  assert [row['learner_steps'] for row in rows] == [1, 2]
