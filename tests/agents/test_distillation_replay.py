"""Distillation replay: the table, the learner's replay-only step, its ratio."""

from acme.adders import reverb as acme_adders
import numpy as np
import pytest
import tensorflow as tf
import tree

from acme_kickstart.agents.kickstarting import acting
from acme_kickstart.agents.kickstarting import distillation_replay
from acme_kickstart.agents.kickstarting import losses
from acme_kickstart.agents.kickstarting.adders import BatchedSequenceAdder
from acme_kickstart.agents.kickstarting.agent import KickstartingAgent
from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.environments import minatar
from acme_kickstart.experiments.single_game import make_envs
from acme_kickstart.teachers import Teacher, TeacherSet
from conftest import built_network
from replay_utils import replay, sample  # pylint: disable=unused-import
from replay_utils import (Replay, Rows, SEQUENCE_LENGTH, gradients_of,
                          make_learner, twin_networks)


def test_ratio_zero_equals_learner_without_replay(sample, replay):
  """Ratio 0 with a reader at hand: same loss, gradients, weights and
  optimizer state as a learner built without replay; the table is not read."""
  replay.fill(sample)
  with_net, without_net = twin_networks('ratio0')
  dataset = tf.data.Dataset.from_tensors(sample).repeat()
  with_replay = make_learner(with_net, dataset,
                             distillation_replay=replay.reader(),
                             distillation_replay_ratio=0)
  without = make_learner(without_net, dataset)
  loss_a, grads_a = gradients_of(with_replay, with_replay.loss, sample)
  loss_b, grads_b = gradients_of(without, without.loss, sample)
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
  learner = make_learner(network, tf.data.Dataset.from_tensors(sample).repeat(),
                         distillation_replay=replay.reader(),
                         distillation_replay_ratio=1)
  replay_loss, replay_grads = gradients_of(learner, learner.replay_loss, sample)
  full_loss, full_grads = gradients_of(learner, learner.loss, sample)
  learner.set_hyperparameters(distillation_costs=0.0)
  impala_loss, impala_grads = gradients_of(learner, learner.loss, sample)
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
  replayed_net, plain_net = twin_networks('replay_steps')
  dataset = tf.data.Dataset.from_tensors(sample).repeat()
  replayed = make_learner(replayed_net, dataset, distillation_replay_ratio=2,
                          distillation_replay=replay.reader())
  plain = make_learner(plain_net, dataset)
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
  learner = make_learner(network, tf.data.Dataset.from_tensors(sample).repeat(),
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

  loss, grads = gradients_of(learner, learner.replay_loss, sample)
  manual_loss, manual_grads = gradients_of(learner,
                                           lambda _: manual(True), sample)
  _, through_grads = gradients_of(learner, lambda _: manual(False), sample)
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


def test_single_process_agent_replays_about_ratio_times():
  config = KickstartingConfig(batch_size=8, sequence_length=10,
                              num_envs_per_actor=8,
                              distillation_replay_ratio=2,
                              distillation_replay_window=64)
  rows = []
  teacher = Teacher.from_module(built_network('agent_teacher'))
  teachers = TeacherSet({0: teacher},
                        len(minatar.GAMES), minatar.NUM_ACTIONS,
                        minatar.observation_spec())
  with KickstartingAgent(make_envs('breakout', 8, seed=0),
                         built_network('agent'), config, minatar.GAMES,
                         teachers=teachers, logger=Rows(rows)) as agent:
    agent.run(800)
    assert agent.learner.num_env_steps <= agent.env_steps
  assert len(rows) >= 8
  assert rows[-1]['replay/batches'] == 2
  assert 0 < rows[-1]['replay/table_size'] <= 64
  assert 1.5 <= rows[-1]['replay/reuse_factor'] <= 2.2


@pytest.mark.parametrize('field,value,words', [
    ('distillation_replay_ratio', -1, 'distillation_replay_ratio must be'),
    ('distillation_replay_window', 4, 'must hold at least one batch'),
    ('distillation_replay_burn_in', 19, 'distillation_replay_burn_in must'),
])
def test_config_rejects_bad_replay_settings(field, value, words):
  with pytest.raises(ValueError, match=words):
    KickstartingConfig(batch_size=8, sequence_length=20, **{field: value})
