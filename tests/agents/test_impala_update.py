"""configs/dmlab30.py's agent makes scalable_agent's IMPALA update, exactly.

scalable_agent (experiment.py, `build_learner`) sums its policy-gradient,
baseline (0.5 * sum of squared advantages, times baseline_cost 0.5) and
entropy losses over time and batch, and applies TF1's RMSProp (decay 0.99,
epsilon 0.1, momentum 0, mean square starting at 1) with a learning rate that
decays linearly to 0 over the run's frames. One update of our learner built
from that config must equal a numpy transcription of it.
"""

import collections

from acme.adders.reverb import base as acme_base
import numpy as np
import sonnet as snt
import tensorflow as tf

from acme_kickstart.agents.kickstarting.builder import KickstartingBuilder
from configs import dmlab30 as dmlab30_config
import numpy_impala

T, B, D, A = 7, 3, 5, 4
# scalable_agent's DMLab-30 values (README command line, experiment.py flags).
SA_LEARNING_RATE = 0.00031866995608948655
SA_ENTROPY_COST = 0.0033391318945337044
SA_BASELINE_COST = 0.5
SA_DISCOUNTING = 0.99
SA_DECAY, SA_EPSILON = 0.99, 0.1
SA_TOTAL_FRAMES, SA_ACTION_REPEATS = 10_000_000_000, 4
Sample = collections.namedtuple('Sample', ['data'])


class LinearCore(snt.RNNCore):
  """Logits and value linear in the observation: gradients known by hand."""

  def __init__(self):
    super().__init__(name='linear_core')
    self.policy = snt.Linear(A, name='policy')
    self.value = snt.Linear(1, name='value')

  def __call__(self, inputs, state):
    x = tf.cast(inputs['observation'], tf.float32)
    return (self.policy(x), tf.squeeze(self.value(x), -1)), state

  def initial_state(self, batch_size, **unused_kwargs):
    return tf.zeros([batch_size, 1])


def _sample(rng):
  """Batch-major, as Reverb returns it; episodes end inside (discount 0), as
  scalable_agent's unrolls cross episode boundaries; every row is real."""
  discounts = (rng.random((B, T)) > 0.2).astype(np.float32)
  data = acme_base.Step(
      observation={'observation': rng.normal(size=(B, T, D)).astype(np.float32),
                   'task_id': np.zeros((B, T), np.int32)},
      action=rng.integers(0, A, size=(B, T)).astype(np.int32),
      reward=(rng.normal(size=(B, T)) * 6).astype(np.float32),
      discount=discounts,
      start_of_episode=np.zeros((B, T), bool),
      extras={'logits': rng.normal(size=(B, T, A)).astype(np.float32),
              'core_state': np.zeros((B, T, 1), np.float32),
              'teacher_logits': np.zeros((B, T, A), np.float32),
              'teacher_mask': np.zeros((B, T), np.float32),
              'valid': np.ones((B, T), np.float32)})
  return Sample(data)


def _numpy_update(network, sample, env_steps_before):
  """scalable_agent's update, in numpy, from the same weights and batch,
  with scalable_agent's constants (not the config's)."""
  seq = lambda x: np.swapaxes(x, 0, 1)  # Batch-major -> time-major.
  data = sample.data
  x = seq(data.observation['observation'])
  w, b = network.policy.w.numpy(), network.policy.b.numpy()
  u, c = network.value.w.numpy(), network.value.b.numpy()
  logits = x @ w + b
  values = (x @ u)[..., 0] + c[0]
  terms = numpy_impala.impala_terms(
      logits, values, seq(data.extras['logits']), seq(data.action)[:-1],
      numpy_impala.soft_asymmetric(seq(data.reward)[:-1]),
      seq(data.discount)[:-1], gamma=SA_DISCOUNTING)
  # d(total loss) / d(logits, values) of the T-1 trained steps.
  d_logits = np.zeros_like(logits)
  d_logits[:-1] = (terms['d_pg_d_logits'] +
                   SA_ENTROPY_COST * terms['d_entropy_loss_d_logits'])
  # compute_baseline_loss is 0.5 * sum(advantage^2), weighted by baseline_cost.
  d_values = np.zeros_like(values)
  d_values[:-1] = SA_BASELINE_COST * 0.5 * terms['d_critic_d_values']
  grads = {
      'policy/w': np.einsum('tbd,tba->da', x, d_logits),
      'policy/b': d_logits.sum((0, 1)),
      'value/w': np.einsum('tbd,tb->d', x, d_values)[:, None],
      'value/b': d_values.sum()[None],
  }
  # polynomial_decay(lr, frames, total_frames, 0), read before this update.
  frames = env_steps_before * SA_ACTION_REPEATS
  learning_rate = SA_LEARNING_RATE * (1.0 - frames / SA_TOTAL_FRAMES)
  params = {'policy/w': w, 'policy/b': b, 'value/w': u, 'value/b': c}
  return {name: numpy_impala.tf1_rmsprop(
      params[name], grads[name], learning_rate, SA_DECAY, SA_EPSILON)
          for name in params}


def test_one_update_equals_scalable_agents():
  config = dmlab30_config.impala_dmlab30_agent_config()
  rng = np.random.default_rng(0)
  sample = _sample(rng)
  network = LinearCore()
  network(tf.nest.map_structure(lambda v: v[:, 0], sample.data.observation),
          network.initial_state(B))
  for variable in network.trainable_variables:
    variable.assign(rng.normal(size=variable.shape) * 0.5)
  learner = KickstartingBuilder(config).make_learner(
      network, tf.data.Dataset.from_tensors(sample).repeat(),
      task_names=['level'])
  # Halfway through IMPALA's 10^10 frames: the learning rate is halved.
  env_steps_before = config.learning_rate_decay_env_steps // 2
  learner._num_env_steps.assign(env_steps_before)  # pylint: disable=protected-access
  expected = _numpy_update(network, sample, env_steps_before)
  learner.step()
  for name, want in expected.items():
    layer, param = name.split('/')
    got = getattr(getattr(network, layer), param).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-8)
  assert learner.num_env_steps == env_steps_before + B * (T - 1)


def test_sonnet_rmsprop_default_is_not_scalable_agents():
  """The same update with Sonnet's own RMSProp start (mean square 0) and a
  mean loss differs: the config's settings are what make it exact."""
  config = dmlab30_config.impala_dmlab30_agent_config()
  rng = np.random.default_rng(0)
  sample = _sample(rng)
  import dataclasses  # pylint: disable=g-import-not-at-top
  acme_like = dataclasses.replace(config, rmsprop_initial_mean_square=0.0,
                                  loss_reduction='mean', baseline_cost=0.5)
  network = LinearCore()
  network(tf.nest.map_structure(lambda v: v[:, 0], sample.data.observation),
          network.initial_state(B))
  for variable in network.trainable_variables:
    variable.assign(rng.normal(size=variable.shape) * 0.5)
  expected = _numpy_update(network, sample, 0)
  learner = KickstartingBuilder(acme_like).make_learner(
      network, tf.data.Dataset.from_tensors(sample).repeat(),
      task_names=['level'])
  learner.step()
  assert not np.allclose(network.policy.w.numpy(), expected['policy/w'],
                         rtol=1e-3)
