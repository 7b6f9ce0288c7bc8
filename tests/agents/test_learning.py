"""The kickstarting learner: acme equivalence at lambda=0, hyperparameters, NaNs."""

from acme.agents.tf.impala import learning as acme_impala
from acme.utils import loggers
import numpy as np
import pytest
import sonnet as snt
import tensorflow as tf
import tree

from acme_kickstart.agents.kickstarting import learning
from acme_kickstart.agents.kickstarting import losses
from acme_kickstart.agents.kickstarting import schedules
from acme_kickstart.environments import minatar
from acme_kickstart.teachers import Teacher, TeacherSet
from conftest import (built_network, learner_on, real_batch,
                      real_batch_with_teachers)


def _copy_weights(src, dst):
  for s, d in zip(src.variables, dst.variables):
    d.assign(s)


_learner = learner_on


@pytest.fixture(scope='module')
def sample_with_teacher():
  """A real batch whose steps carry real (non-zero) teacher logits."""
  return real_batch_with_teachers()


def test_batch_is_real_and_carries_teacher_logits(sample_with_teacher):
  extras = sample_with_teacher.data.extras
  mask = extras['teacher_mask'].numpy()
  task_ids = sample_with_teacher.data.observation['task_id'].numpy()
  assert mask.sum() > 0
  # Breakout (0) and asterix (1) have a teacher; freeway (2) has none.
  assert np.all(mask[task_ids == 2] == 0)
  assert np.abs(extras['teacher_logits'].numpy()[mask > 0]).sum() > 0


@pytest.fixture(scope='module')
def unpadded_sample_with_teacher():
  """A real batch of whole windows only: no filler or padding rows, where acme
  (which trains on every row) and the masked loss must agree."""
  teacher_net = built_network('teacher_full', lstm_size=32)
  teachers = TeacherSet({0: Teacher.from_module(teacher_net),
                         1: Teacher.from_module(teacher_net)},
                        len(minatar.GAMES), minatar.NUM_ACTIONS,
                        minatar.observation_spec())
  sample = real_batch(built_network('behaviour_full'), teachers, batch_size=40,
                      num_actor_steps=150)
  full = np.flatnonzero(sample.data.extras['valid'].numpy().all(axis=1))
  assert len(full) >= 6, 'too few unpadded windows for the test'
  return tree.map_structure(lambda x: tf.gather(x, full[:6]), sample)


def test_lambda_zero_equals_acme_impala_learner(unpadded_sample_with_teacher):
  """With every lambda_k = 0: same loss and same gradients as acme's learner."""
  sample_with_teacher = unpadded_sample_with_teacher
  ours_net, acme_net = built_network('ours'), built_network('acme')
  _copy_weights(ours_net, acme_net)
  hyper = dict(discount=0.99, entropy_cost=0.01, baseline_cost=0.5,
               max_abs_reward=None, max_gradient_norm=None)
  dataset = tf.data.Dataset.from_tensors(sample_with_teacher).repeat()
  acme_learner = acme_impala.IMPALALearner(
      environment_spec=None, network=acme_net, dataset=dataset,
      learning_rate=1e-3, logger=loggers.NoOpLogger(), **hyper)
  # SGD with step 1 makes the weight change equal to minus the gradient.
  acme_learner._optimizer = snt.optimizers.SGD(1.0)  # pylint: disable=protected-access
  ours = _learner(ours_net, sample_with_teacher, distillation_costs=0.0,
                  optimizer=snt.optimizers.SGD(1.0), **hyper)

  before = [v.numpy() for v in ours_net.trainable_variables]
  acme_metrics = acme_learner._step()  # pylint: disable=protected-access
  our_metrics = ours.step()

  np.testing.assert_allclose(our_metrics['loss'], acme_metrics['loss'].numpy(),
                             rtol=1e-5)
  np.testing.assert_allclose(our_metrics['policy_gradient_loss'],
                             acme_metrics['policy_gradient_loss'].numpy(),
                             rtol=1e-5, atol=1e-7)
  np.testing.assert_allclose(our_metrics['baseline_loss'],
                             acme_metrics['critic_loss'].numpy(), rtol=1e-5)
  assert our_metrics['distillation_loss'] == 0.0
  assert our_metrics['cross_entropy'] > 0.0  # Teachers were there, at weight 0.
  for b, o, a in zip(before, ours_net.trainable_variables,
                     acme_net.trainable_variables):
    our_grad, acme_grad = b - o.numpy(), b - a.numpy()
    np.testing.assert_allclose(our_grad, acme_grad, rtol=1e-4, atol=1e-6)
  assert any(np.abs(b - o.numpy()).max() > 1e-4
             for b, o in zip(before, ours_net.trainable_variables))


def test_positive_lambda_adds_the_distillation_gradient(sample_with_teacher):
  net = built_network('lam')
  ours = _learner(net, sample_with_teacher, distillation_costs=0.0)
  with tf.GradientTape() as tape:
    out0 = ours.loss(sample_with_teacher)
  g0 = tape.gradient(out0.loss, net.trainable_variables)
  ours.set_hyperparameters(distillation_costs=[2.0, 2.0, 0.0, 0.0, 0.0])
  with tf.GradientTape() as tape:
    out1 = ours.loss(sample_with_teacher)
    ce = out1.metrics['distillation_loss']
  g1 = tape.gradient(out1.loss, net.trainable_variables)
  np.testing.assert_allclose(out1.loss - out0.loss, ce, rtol=1e-5)
  assert ce > 0
  # The extra gradient is the distillation term's, and stepping along minus it
  # lowers the cross-entropy to the teacher.
  diff = [a - b for a, b in zip(g1, g0)]
  for v, d in zip(net.trainable_variables, diff):
    v.assign_sub(1e-2 * d)
  after = ours.loss(sample_with_teacher).metrics['distillation_loss']
  assert after < ce


def test_hyperparameters_change_without_retracing(sample_with_teacher):
  net = built_network('hp')
  ours = _learner(net, sample_with_teacher, distillation_costs=1.0,
                  entropy_cost=0.01)
  first = ours.step()
  traces = ours._step.experimental_get_tracing_count()  # pylint: disable=protected-access
  ours.set_hyperparameters(learning_rate=5e-4, entropy_cost=0.5,
                           distillation_costs=[0.0, 3.0, 0.0, 0.0, 0.0])
  second = ours.step()
  assert ours._step.experimental_get_tracing_count() == traces  # pylint: disable=protected-access
  assert second['entropy_loss'] != first['entropy_loss']
  assert ours.get_hyperparameters() == {
      'learning_rate': pytest.approx(5e-4), 'entropy_cost': 0.5,
      'distillation_costs': [0.0, 3.0, 0.0, 0.0, 0.0]}
  assert second['lambda/breakout'] == 0.0 and second['lambda/asterix'] == 3.0
  assert first['lambda/breakout'] == 1.0
  assert second['learning_rate'] == pytest.approx(5e-4)
  for key in ('loss', 'policy_gradient_loss', 'baseline_loss', 'entropy_loss',
              'distillation_loss', 'kl/breakout', 'kl/asterix', 'kl/freeway',
              'lambda/seaquest'):
    assert key in second and np.isfinite(second[key])
  assert ours.num_steps == 2


def test_linear_anneal_scales_lambda_to_zero(sample_with_teacher):
  net = built_network('anneal')
  # The anneal's clock is real env steps: the batch's real transitions.
  frames_per_step = int(
      sample_with_teacher.data.extras['valid'].numpy()[:, :-1].sum())
  ours = _learner(net, sample_with_teacher, distillation_costs=1.0,
                  schedule=schedules.LambdaSchedule(
                      'linear', decay_env_steps=2 * frames_per_step))
  lams = [ours.step()['lambda/breakout'] for _ in range(3)]
  np.testing.assert_allclose(lams, [1.0, 0.5, 0.0], atol=1e-6)


def test_negative_lambda_is_rejected(sample_with_teacher):
  net = built_network('neg')
  with pytest.raises(ValueError, match='>= 0'):
    _learner(net, sample_with_teacher, distillation_costs=-0.1)
  ours = _learner(net, sample_with_teacher, distillation_costs=0.1)
  before = ours.get_hyperparameters()
  # One bad value rejects the whole call: the good ones beside it are not set.
  with pytest.raises(ValueError, match='>= 0'):
    ours.set_hyperparameters(learning_rate=0.5, entropy_cost=0.5,
                             distillation_costs=[0.1, -1.0, 0.0, 0.0, 0.0])
  with pytest.raises(ValueError, match='learning_rate must be > 0'):
    ours.set_hyperparameters(learning_rate=0.0, entropy_cost=0.5)
  assert ours.get_hyperparameters() == before
  assert before['distillation_costs'] == pytest.approx([0.1] * 5)


def test_nan_loss_raises_and_keeps_weights(sample_with_teacher):
  bad = tree.map_structure(lambda x: x, sample_with_teacher)
  rewards = bad.data.reward.numpy()
  rewards[0, 0] = np.nan
  bad = bad._replace(data=bad.data._replace(reward=tf.constant(rewards)))
  net = built_network('nan')
  ours = _learner(net, bad, distillation_costs=1.0)
  before = [v.numpy() for v in net.variables]
  with pytest.raises(learning.NonFiniteLossError, match='not applied'):
    ours.step()
  for b, v in zip(before, net.variables):
    np.testing.assert_array_equal(b, v.numpy())
  assert ours.num_steps == 0


def test_soft_asymmetric_reward_clipping(sample_with_teacher):
  net = built_network('clip')
  ours = _learner(net, sample_with_teacher, reward_clipping='soft_asymmetric')
  rewards = tf.constant([-10.0, -1.0, 0.0, 1.0, 10.0])
  expected = 5 * np.tanh(np.array([-10.0, -1.0, 0.0, 1.0, 10.0]) / 5)
  expected[:2] *= 0.3
  clipped = losses.clip_rewards(rewards, ours._reward_clipping)  # pylint: disable=protected-access
  np.testing.assert_allclose(clipped.numpy(), expected, rtol=1e-6)
  with pytest.raises(ValueError, match='reward_clipping'):
    _learner(net, sample_with_teacher, reward_clipping='abs_one')


def test_env_step_clock_counts_overlapping_transitions_once():
  """Sequences of 20 steps every 5 steps hold each transition ~4 times: one
  100-step episode, written by the program's writer and consumed whole by
  the learner, is 100 env steps on the schedules' clock."""
  import reverb  # pylint: disable=g-import-not-at-top
  from acme import specs  # pylint: disable=g-import-not-at-top
  from acme_kickstart.agents.kickstarting.builder import KickstartingBuilder  # pylint: disable=g-import-not-at-top
  from acme_kickstart.agents.kickstarting.config import KickstartingConfig  # pylint: disable=g-import-not-at-top
  config = KickstartingConfig(sequence_length=20, sequence_period=5,
                              batch_size=4, num_envs_per_actor=1)
  builder = KickstartingBuilder(config)
  env = minatar.make_environment('freeway', seed=0, max_episode_steps=100)
  network = built_network('clock_student')
  server = reverb.Server(builder.make_replay_tables(
      specs.make_environment_spec(env), network), port=None)
  address = f'localhost:{server.port}'
  writer = builder.make_adder(reverb.Client(address), 1)
  actor = builder.make_actor(network, [env], writer, seed=0)
  for _ in range(100):
    actor.step()
  assert [e.length for e in actor.pop_episodes()] == [100]
  writer.flush()
  writer.close()
  learner = builder.make_learner(
      network, builder.make_dataset(address, 1, timeout_ms=500),
      minatar.GAMES, logger=loggers.NoOpLogger())
  sequences = 0
  while (metrics := learner.step()) is not None or sequences == 0:
    sequences += 0 if metrics is None else 1
  assert learner.num_steps >= 5  # 4 sequences a batch: ~19 sequences.
  assert learner.num_env_steps == 100
  server.stop()
