"""Numpy references for the IMPALA update (tests only).

A transcription, in numpy, of the maths of scalable_agent's `vtrace.py`
(`from_importance_weights`) and `experiment.py` (`build_learner`: summed
policy-gradient, 0.5 * sum of squared advantages for the baseline, minus the
summed entropy; TF1 RMSProp): the tests compare the TF learner against it.
"""

import numpy as np


def log_softmax(logits):
  shifted = logits - logits.max(-1, keepdims=True)
  return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


def vtrace(log_rhos, discounts, rewards, values, bootstrap_value,
           clip_rho=1.0, clip_pg_rho=1.0):
  """V-trace targets vs and policy-gradient advantages, time-major [T, B]."""
  rhos = np.exp(log_rhos)
  clipped_rhos = np.minimum(clip_rho, rhos)
  cs = np.minimum(1.0, rhos)
  next_values = np.concatenate([values[1:], bootstrap_value[None]], 0)
  deltas = clipped_rhos * (rewards + discounts * next_values - values)
  vs_minus_v = np.zeros_like(values)
  acc = np.zeros_like(bootstrap_value)
  for t in reversed(range(len(values))):
    acc = deltas[t] + discounts[t] * cs[t] * acc
    vs_minus_v[t] = acc
  vs = vs_minus_v + values
  next_vs = np.concatenate([vs[1:], bootstrap_value[None]], 0)
  pg_advantages = np.minimum(clip_pg_rho, rhos) * (
      rewards + discounts * next_vs - values)
  return vs, pg_advantages


def impala_terms(logits, values, behaviour_logits, actions, rewards, discounts,
                 gamma):
  """Per-step pg, critic (squared advantage) and entropy-loss terms, and the
  gradients of each w.r.t. the logits / values of the T-1 trained steps.

  Inputs are time-major: logits/values/behaviour_logits over T steps,
  actions/rewards/discounts over the first T-1.
  """
  log_pi = log_softmax(logits[:-1])
  log_mu = log_softmax(behaviour_logits[:-1])
  take = lambda x: np.take_along_axis(x, actions[..., None], -1)[..., 0]
  log_rhos = take(log_pi) - take(log_mu)
  vs, advantages = vtrace(log_rhos, gamma * discounts, rewards, values[:-1],
                          values[-1])
  pi = np.exp(log_pi)
  entropy = -(pi * log_pi).sum(-1)
  one_hot = np.eye(logits.shape[-1])[actions]
  return dict(
      pg=-take(log_pi) * advantages,
      critic=(vs - values[:-1]) ** 2,
      entropy_loss=-entropy,
      d_pg_d_logits=advantages[..., None] * (pi - one_hot),
      d_critic_d_values=2.0 * (values[:-1] - vs),
      d_entropy_loss_d_logits=pi * (log_pi + entropy[..., None]),
  )


def soft_asymmetric(rewards):
  squeezed = np.tanh(rewards / 5.0)
  return np.where(rewards < 0, 0.3 * squeezed, squeezed) * 5.0


def tf1_rmsprop(param, grad, learning_rate, decay, epsilon, mean_square=1.0):
  """One step of TF1's RMSPropOptimizer (momentum 0): ms starts at 1."""
  mean_square = decay * mean_square + (1.0 - decay) * grad ** 2
  return param - learning_rate * grad / np.sqrt(mean_square + epsilon)
