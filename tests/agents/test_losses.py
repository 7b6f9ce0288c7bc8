"""Distillation and kickstarting losses against hand-written numpy references."""

import numpy as np
import pytest
import tensorflow as tf

from acme_kickstart.agents.kickstarting import losses


def np_log_softmax(x):
  x = x - x.max(axis=-1, keepdims=True)
  return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


def np_cross_entropy(teacher, student):
  return -(np.exp(np_log_softmax(teacher)) * np_log_softmax(student)).sum(-1)


def np_kl(teacher, student):
  p = np.exp(np_log_softmax(teacher))
  return (p * (np_log_softmax(teacher) - np_log_softmax(student))).sum(-1)


def test_distillation_loss_hand_computed():
  # Teacher certain of action 0, student uniform over 2 actions: H = log 2.
  teacher = np.array([[100.0, -100.0]], np.float32)
  student = np.array([[0.0, 0.0]], np.float32)
  np.testing.assert_allclose(
      losses.distillation_loss(teacher, student).numpy(), [np.log(2.0)],
      rtol=1e-6)
  # Both uniform over 3 actions: H = log 3, KL = 0.
  uniform = np.zeros([1, 3], np.float32)
  np.testing.assert_allclose(
      losses.distillation_loss(uniform, uniform).numpy(), [np.log(3.0)],
      rtol=1e-6)
  np.testing.assert_allclose(
      losses.distillation_kl(uniform, uniform).numpy(), [0.0], atol=1e-6)


@pytest.mark.parametrize('shape', [(7, 6), (5, 4, 6), (3, 2, 2, 9)])
def test_distillation_loss_matches_numpy(shape):
  rng = np.random.default_rng(0)
  teacher = rng.normal(size=shape).astype(np.float32) * 3
  student = rng.normal(size=shape).astype(np.float32) * 3
  ce = losses.distillation_loss(teacher, student).numpy()
  kl = losses.distillation_kl(teacher, student).numpy()
  assert ce.shape == shape[:-1]
  np.testing.assert_allclose(ce, np_cross_entropy(teacher, student), rtol=1e-5)
  np.testing.assert_allclose(kl, np_kl(teacher, student), rtol=1e-4, atol=1e-6)
  assert np.all(kl >= -1e-6)


def test_distillation_gradient_moves_student_towards_teacher():
  rng = np.random.default_rng(1)
  teacher = tf.constant(rng.normal(size=(8, 6)).astype(np.float32) * 2)
  student = tf.Variable(rng.normal(size=(8, 6)).astype(np.float32))
  kl_before = losses.distillation_kl(teacher, student).numpy()
  with tf.GradientTape(persistent=True) as tape:
    loss = tf.reduce_sum(losses.distillation_loss(teacher, student))
  grad = tape.gradient(loss, student)
  # d/dz H(p || softmax(z)) = softmax(z) - p.
  np.testing.assert_allclose(
      grad.numpy(),
      np.exp(np_log_softmax(student.numpy())) - np.exp(np_log_softmax(
          teacher.numpy())), atol=1e-6)
  # No gradient flows into the teacher.
  teacher_var = tf.Variable(teacher)
  with tf.GradientTape() as tape:
    loss = tf.reduce_sum(losses.distillation_loss(teacher_var, student))
  assert tape.gradient(loss, teacher_var) is None
  student.assign_sub(0.5 * grad)
  assert np.all(losses.distillation_kl(teacher, student).numpy() < kl_before)


def _batch(rng, T=6, B=4, A=5):
  return dict(
      student_logits=rng.normal(size=(T, B, A)).astype(np.float32),
      values=rng.normal(size=(T, B)).astype(np.float32),
      behaviour_logits=rng.normal(size=(T, B, A)).astype(np.float32),
      actions=rng.integers(0, A, size=(T - 1, B)).astype(np.int32),
      rewards=rng.normal(size=(T - 1, B)).astype(np.float32),
      discounts=(rng.random(size=(T - 1, B)) > 0.1).astype(np.float32),
      teacher_logits=rng.normal(size=(T, B, A)).astype(np.float32),
      teacher_mask=(rng.random(size=(T, B)) > 0.2).astype(np.float32),
      task_ids=rng.integers(0, 3, size=(T, B)).astype(np.int32),
  )


def _loss(batch, costs, entropy_cost=0.01):
  return losses.kickstarting_loss(
      distillation_costs=tf.constant(costs, tf.float32),
      entropy_cost=tf.constant(entropy_cost), baseline_cost=0.5, discount=0.9,
      max_abs_reward=tf.constant(np.inf), **batch)


def test_kickstarting_loss_adds_lambda_weighted_cross_entropy_per_task():
  rng = np.random.default_rng(2)
  batch = _batch(rng)
  costs = np.array([0.5, 2.0, 0.0], np.float32)
  base = _loss(batch, np.zeros(3, np.float32))
  full = _loss(batch, costs)
  # Numpy reference: mean over the [T-1, B] steps of lambda_{task} * mask * H.
  ce = np_cross_entropy(batch['teacher_logits'][:-1],
                        batch['student_logits'][:-1])
  lam = costs[batch['task_ids'][:-1]] * batch['teacher_mask'][:-1]
  expected = (lam * ce).mean()
  np.testing.assert_allclose(full.metrics['distillation_loss'].numpy(),
                             expected, rtol=1e-5)
  np.testing.assert_allclose(full.loss.numpy() - base.loss.numpy(), expected,
                             rtol=1e-4)
  assert base.metrics['distillation_loss'].numpy() == 0.0
  # KL per task over the masked steps of that task only.
  kl = np_kl(batch['teacher_logits'][:-1], batch['student_logits'][:-1])
  for k in range(3):
    sel = (batch['task_ids'][:-1] == k) & (batch['teacher_mask'][:-1] > 0)
    np.testing.assert_allclose(full.metrics['kl_per_task'].numpy()[k],
                               kl[sel].mean(), rtol=1e-4)


def test_lambda_of_a_task_only_reaches_that_tasks_steps():
  rng = np.random.default_rng(3)
  batch = _batch(rng)
  student = tf.Variable(batch.pop('student_logits'))
  with tf.GradientTape() as tape:
    out = losses.kickstarting_loss(
        student_logits=student,
        distillation_costs=tf.constant([0.0, 1.0, 0.0]),
        entropy_cost=tf.constant(0.0), baseline_cost=0.0, discount=0.9,
        max_abs_reward=tf.constant(np.inf), **batch)
    distill = out.metrics['distillation_loss']
  grad = tape.gradient(distill, student).numpy()
  on_task_1 = (batch['task_ids'] == 1) & (batch['teacher_mask'] > 0)
  on_task_1[-1] = False  # The bootstrap step carries no loss.
  assert np.all(grad[~on_task_1] == 0.0)
  assert np.all(np.abs(grad[on_task_1]).sum(-1) > 0)
