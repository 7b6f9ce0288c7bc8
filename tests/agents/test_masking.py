"""Only real transitions train the IMPALA terms (filler and padding rows don't).

acme's SequenceAdder ends an episode with a filler row (the last observation
with zero action, reward, discount and extras) and zero padding to the
window's end. The loss takes a [T-1, B] `valid` mask of real transitions.
"""

import numpy as np
import pytest
import tensorflow as tf

from acme_kickstart.agents.kickstarting import losses
import numpy_impala

T, B, A = 9, 4, 5
# Index of each column's last real step; column 3 is a whole window.
LAST_REAL = np.array([2, 4, 0, T - 2])


def _batch(rng, truncated: bool):
  """Columns whose episode ends at LAST_REAL (by termination or truncation),
  then a filler row and padding, filled with random junk to prove it unused."""
  batch = dict(
      student_logits=rng.normal(size=(T, B, A)).astype(np.float32),
      values=rng.normal(size=(T, B)).astype(np.float32),
      behaviour_logits=rng.normal(size=(T, B, A)).astype(np.float32),
      actions=rng.integers(0, A, size=(T - 1, B)).astype(np.int32),
      rewards=rng.normal(size=(T - 1, B)).astype(np.float32),
      discounts=np.ones((T - 1, B), np.float32),
      teacher_logits=rng.normal(size=(T, B, A)).astype(np.float32),
      teacher_mask=np.ones((T, B), np.float32),
      task_ids=np.zeros((T, B), np.int32),
  )
  valid = np.zeros((T - 1, B), np.float32)
  for b, last in enumerate(LAST_REAL):
    valid[:last + 1, b] = 1.0
    if last < T - 2 and not truncated:
      batch['discounts'][last, b] = 0.0
  batch['valid'] = valid
  return batch


def _loss_and_grads(batch, lam=0.0, reduction='mean'):
  batch = dict(batch)
  student = tf.Variable(batch.pop('student_logits'))
  values = tf.Variable(batch.pop('values'))
  with tf.GradientTape() as tape:
    out = losses.kickstarting_loss(
        student_logits=student, values=values,
        distillation_costs=tf.constant([lam]), entropy_cost=tf.constant(0.01),
        baseline_cost=0.5, discount=0.9, max_abs_reward=tf.constant(np.inf),
        reduction=reduction, **batch)
  d_logits, d_values = tape.gradient(out.loss, [student, values])
  return out.loss.numpy(), d_logits.numpy(), d_values.numpy()


def _after_last_real(batch, rng, rows_from):
  """A copy with every T- and (T-1)-row from `rows_from(last)` on replaced,
  in the columns whose episode ends inside the window."""
  changed = {k: v.copy() for k, v in batch.items()}
  for b, last in enumerate(LAST_REAL[:3]):
    start = rows_from(last)
    for key in ('student_logits', 'values', 'behaviour_logits',
                'teacher_logits', 'actions', 'rewards', 'discounts'):
      column = changed[key][start:, b]
      if key == 'actions':
        changed[key][start:, b] = rng.integers(0, A, size=column.shape)
      else:
        changed[key][start:, b] = column + rng.normal(size=column.shape) * 3
  return changed


@pytest.mark.parametrize('reduction', ['mean', 'sum'])
def test_masked_loss_equals_numpy_impala_on_each_real_prefix(reduction):
  rng = np.random.default_rng(0)
  for truncated in (False, True):
    batch = _batch(rng, truncated)
    loss, _, _ = _loss_and_grads(batch, reduction=reduction)
    terms = []
    for b, last in enumerate(LAST_REAL):
      n = last + 1  # Real steps; row n is o_T, the bootstrap.
      t = numpy_impala.impala_terms(
          batch['student_logits'][:n + 1, b:b + 1],
          batch['values'][:n + 1, b:b + 1],
          batch['behaviour_logits'][:n + 1, b:b + 1],
          batch['actions'][:n, b:b + 1], batch['rewards'][:n, b:b + 1],
          batch['discounts'][:n, b:b + 1], gamma=0.9)
      terms.append(t['pg'] + 0.5 * t['critic'] + 0.01 * t['entropy_loss'])
    total = np.concatenate(terms).sum()
    expected = total / batch['valid'].sum() if reduction == 'mean' else total
    np.testing.assert_allclose(loss, expected, rtol=2e-5)


def test_rows_after_a_terminal_step_change_neither_loss_nor_gradients():
  rng = np.random.default_rng(1)
  batch = _batch(rng, truncated=False)
  changed = _after_last_real(batch, rng, rows_from=lambda last: last + 1)
  # Control: without the mask (today's behaviour) the junk rows do count.
  unmasked = lambda b: dict(b, valid=np.ones_like(b['valid']))
  assert _loss_and_grads(unmasked(batch), lam=1.0)[0] != pytest.approx(
      _loss_and_grads(unmasked(changed), lam=1.0)[0], rel=1e-4)
  for got, want in zip(_loss_and_grads(changed, lam=1.0),
                       _loss_and_grads(batch, lam=1.0)):
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
  _, d_logits, d_values = _loss_and_grads(batch, lam=1.0)
  for b, last in enumerate(LAST_REAL[:3]):
    assert np.all(d_logits[last + 1:, b] == 0.0)
    assert np.all(d_values[last + 1:, b] == 0.0)
    assert np.all(np.abs(d_logits[:last + 1, b]).sum(-1) > 0)


def test_truncated_episode_still_bootstraps_from_the_last_observation():
  rng = np.random.default_rng(2)
  batch = _batch(rng, truncated=True)
  changed = {k: v.copy() for k, v in batch.items()}
  b, last = 0, LAST_REAL[0]
  changed['values'][last + 1, b] += 5.0  # V(o_T) of a truncated episode.
  assert _loss_and_grads(changed)[0] != pytest.approx(
      _loss_and_grads(batch)[0], rel=1e-4)


def test_filler_rows_reward_action_and_behaviour_logits_reach_no_target():
  """At a truncation vs_p's recursion term reads the filler row: it must not."""
  rng = np.random.default_rng(3)
  batch = _batch(rng, truncated=True)
  changed = {k: v.copy() for k, v in batch.items()}
  for b, last in enumerate(LAST_REAL[:3]):
    filler = last + 1
    changed['rewards'][filler, b] += 7.0
    changed['actions'][filler, b] = (changed['actions'][filler, b] + 1) % A
    changed['behaviour_logits'][filler, b] = rng.normal(size=A) * 4
  unmasked = lambda x: dict(x, valid=np.ones_like(x['valid']))
  assert _loss_and_grads(unmasked(changed))[0] != pytest.approx(
      _loss_and_grads(unmasked(batch))[0], rel=1e-4)
  for got, want in zip(_loss_and_grads(changed), _loss_and_grads(batch)):
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_all_valid_mask_is_todays_loss():
  rng = np.random.default_rng(4)
  batch = _batch(rng, truncated=True)
  batch['valid'] = np.ones_like(batch['valid'])
  without = dict(batch)
  del without['valid']
  np.testing.assert_allclose(_loss_and_grads(batch)[0],
                             _loss_and_grads(without)[0], rtol=1e-6)


def test_unknown_reduction_is_rejected():
  with pytest.raises(ValueError, match="'mean', 'sum'"):
    _loss_and_grads(_batch(np.random.default_rng(5), False),
                    reduction='median')
