"""PopArt: statistics, output preservation, the loss and the learner."""

import hashlib

from acme.tf import utils as tf2_utils
from acme.utils import loggers
import numpy as np
import pytest
import sonnet as snt
import tensorflow as tf
import tree

from acme_kickstart import networks
from acme_kickstart.agents.kickstarting import distillation_replay
from acme_kickstart.agents.kickstarting import losses
from acme_kickstart.agents.kickstarting import popart as popart_lib
from acme_kickstart.agents.kickstarting.builder import KickstartingBuilder
from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.environments import minatar
from acme_kickstart.experiments import factories
from acme_kickstart.experiments import learner_node
from acme_kickstart.experiments.config import ExperimentConfig
from conftest import built_network, real_batch
import numpy_impala

K = 3


def _head(rng, num_outputs=K, dim=8):
  head = snt.Linear(num_outputs)
  head(tf.zeros([1, dim]))
  head.w.assign(rng.normal(size=head.w.shape).astype(np.float32))
  head.b.assign(rng.normal(size=head.b.shape).astype(np.float32))
  return head


def _popart(step_size, mu, sigma):
  popart = popart_lib.PopArt(len(mu), step_size=step_size)
  popart.mu.assign(np.asarray(mu, np.float32))
  popart.nu.assign(np.square(mu) + np.square(sigma))
  return popart


def test_update_matches_numpy_reference():
  rng = np.random.default_rng(0)
  beta, mu, sigma = 0.1, np.array([0.5, -2.0, 3.0]), np.array([2.0, 0.5, 3.0])
  popart, head = _popart(beta, mu, sigma), _head(rng)
  w, b = head.w.numpy().astype(np.float64), head.b.numpy().astype(np.float64)
  targets = rng.normal(5.0, 10.0, size=(7, 6))
  task_ids = rng.integers(0, 2, size=(7, 6))
  mask = (rng.random((7, 6)) > 0.3).astype(np.float64)
  # Task 2 is only on masked-out steps (absent), with targets that would
  # show if the mask were ignored; so are other masked-out steps.
  task_ids[mask == 0] = rng.integers(0, 3, size=int((mask == 0).sum()))
  targets[mask == 0] = 1e3

  metrics = popart.update(tf.constant(targets, tf.float32),
                          tf.constant(task_ids, tf.int32),
                          tf.constant(mask, tf.float32), head)

  nu = mu ** 2 + sigma ** 2
  new_mu, new_nu = mu.copy(), nu.copy()
  for k in range(2):
    steps = (task_ids == k) & (mask > 0)
    new_mu[k] = (1 - beta) * mu[k] + beta * targets[steps].mean()
    new_nu[k] = (1 - beta) * nu[k] + beta * (targets[steps] ** 2).mean()
  new_sigma = np.sqrt(new_nu - new_mu ** 2)
  np.testing.assert_allclose(popart.mu.numpy(), new_mu, rtol=1e-5)
  np.testing.assert_allclose(popart.nu.numpy(), new_nu, rtol=1e-5)
  np.testing.assert_allclose(popart.sigma().numpy(), new_sigma, rtol=1e-5)
  np.testing.assert_allclose(metrics['sigma'].numpy(), new_sigma, rtol=1e-5)
  np.testing.assert_allclose(head.w.numpy(), w * sigma / new_sigma, rtol=1e-5)
  np.testing.assert_allclose(head.b.numpy(),
                             (sigma * b + mu - new_mu) / new_sigma, rtol=1e-5)
  # The absent task keeps its statistics and its column, exactly.
  assert popart.mu.numpy()[2] == np.float32(3.0)
  np.testing.assert_array_equal(head.w.numpy()[:, 2],
                                w[:, 2].astype(np.float32))
  assert head.b.numpy()[2] == np.float32(b[2])


def test_sigma_is_clipped_and_normalise_inverts_unnormalise():
  popart = _popart(0.5, [1.0, 0.0, 0.0], [0.0, 1e7, 2.0])
  np.testing.assert_allclose(popart.sigma().numpy(), [1e-4, 1e6, 2.0],
                             rtol=1e-4)
  ids = tf.constant([[2, 1], [0, 2]])
  values = tf.constant([[3.0, -1.0], [0.5, 7.0]])
  np.testing.assert_allclose(popart.normalise(values, ids).numpy(),
                             [[1.5, -1e-6], [-5e3, 3.5]], rtol=1e-4)
  np.testing.assert_allclose(
      popart.unnormalise(popart.normalise(values, ids), ids).numpy(),
      values.numpy(), rtol=1e-5)
  with pytest.raises(ValueError, match='step_size'):
    popart_lib.PopArt(2, step_size=0.0)


def test_update_preserves_unnormalised_outputs():
  rng = np.random.default_rng(1)
  popart, head = _popart(0.3, [0.0, 1.0, -4.0], [1.0, 2.0, 0.5]), _head(rng)
  embeddings = tf.constant(rng.normal(size=(50, 8)), tf.float32)
  unnormalise = lambda: popart.sigma() * head(embeddings) + popart.mu
  scales = np.array([1.0, 30.0, 1000.0])  # One reward scale per task.
  for _ in range(4):
    normalised, before = head(embeddings).numpy(), unnormalise().numpy()
    ids = rng.integers(0, K, size=(6, 5))
    targets = scales[ids] * rng.normal(3.0, 1.0, size=ids.shape)
    popart.update(tf.constant(targets, tf.float32), tf.constant(ids),
                  tf.ones(ids.shape), head)
    # Equal to ~1e-5 of each output's scale: float32 rounds sigma * n + mu
    # to the larger of the outputs and the statistics.
    scale = np.maximum(np.abs(before).max(axis=0),
                       np.abs(popart.mu.numpy()) + popart.sigma().numpy())
    error = np.abs(unnormalise().numpy() - before).max(axis=0)
    assert np.all(error <= 1e-5 * scale), (error, scale)
    assert np.abs(head(embeddings).numpy() - normalised).max() > 1e-2
  assert popart.sigma().numpy()[2] > 100 * popart.sigma().numpy()[0]


def _loss_inputs(rng, t=6, b=5, a=4):
  return dict(
      student_logits=rng.normal(size=(t, b, a)).astype(np.float32),
      values=rng.normal(size=(t, b)).astype(np.float32),
      behaviour_logits=rng.normal(size=(t, b, a)).astype(np.float32),
      actions=rng.integers(0, a, size=(t - 1, b)).astype(np.int32),
      rewards=(rng.normal(size=(t - 1, b)) * 20).astype(np.float32),
      discounts=(rng.random((t - 1, b)) > 0.2).astype(np.float32),
      teacher_logits=np.zeros((t, b, a), np.float32),
      teacher_mask=np.zeros((t, b), np.float32),
      task_ids=rng.integers(0, K, size=(t, b)).astype(np.int32),
      distillation_costs=np.zeros([K], np.float32))


def _loss(inputs, value_mean=None, value_std=None):
  """kickstarting_loss and its gradients w.r.t. the logits and the values."""
  logits, values = tf.constant(inputs['student_logits']), tf.constant(
      inputs['values'])
  rest = {k: tf.constant(v) for k, v in inputs.items()
          if k not in ('student_logits', 'values')}
  with tf.GradientTape() as tape:
    tape.watch([logits, values])
    out = losses.kickstarting_loss(
        student_logits=logits, values=values, entropy_cost=0.01,
        baseline_cost=0.5, discount=0.9, max_abs_reward=np.inf,
        value_mean=value_mean, value_std=value_std, **rest)
  return out, tape.gradient(out.loss, [logits, values])


def test_popart_loss_matches_numpy_reference():
  rng = np.random.default_rng(2)
  inputs = _loss_inputs(rng)
  mu, sigma = np.array([1.0, -5.0, 20.0]), np.array([0.5, 2.0, 30.0])
  ids = inputs['task_ids']
  out, (d_logits, d_values) = _loss(
      inputs, tf.constant(mu[ids], tf.float32),
      tf.constant(sigma[ids], tf.float32))

  n, logits = inputs['values'].astype(np.float64), inputs['student_logits']
  unnormalised = sigma[ids] * n + mu[ids]
  log_pi = numpy_impala.log_softmax(logits[:-1].astype(np.float64))
  log_mu = numpy_impala.log_softmax(inputs['behaviour_logits'][:-1])
  actions = inputs['actions'][..., None]
  take = lambda x: np.take_along_axis(x, actions, -1)[..., 0]
  vs, advantages = numpy_impala.vtrace(
      take(log_pi) - take(log_mu), 0.9 * inputs['discounts'],
      inputs['rewards'], unnormalised[:-1], unnormalised[-1])
  target = (vs - mu[ids[:-1]]) / sigma[ids[:-1]]
  advantages = advantages / sigma[ids[:-1]]  # PopArt-IMPALA's actor.
  pi = np.exp(log_pi)
  entropy = -(pi * log_pi).sum(-1)
  critic = (target - n[:-1]) ** 2
  pg = -take(log_pi) * advantages
  np.testing.assert_allclose(out.value_targets.targets.numpy(), vs, rtol=1e-4)
  np.testing.assert_allclose(out.metrics['baseline_loss'].numpy(),
                             critic.mean(), rtol=1e-4)
  np.testing.assert_allclose(out.metrics['policy_gradient_loss'].numpy(),
                             pg.mean(), rtol=1e-4, atol=1e-6)
  np.testing.assert_allclose(
      out.loss.numpy(), (pg + 0.5 * critic - 0.01 * entropy).mean(), rtol=1e-4)
  # Gradients: the critic's on the normalised value only (none through
  # V-trace, none to the bootstrap step), the actor's scaled by 1 / sigma.
  num = critic.size
  want_d_values = np.zeros_like(n)
  want_d_values[:-1] = 0.5 * 2 * (n[:-1] - target) / num
  np.testing.assert_allclose(d_values.numpy(), want_d_values, rtol=1e-4,
                             atol=1e-7)
  one_hot = np.eye(logits.shape[-1])[inputs['actions']]
  want_d_logits = np.zeros(logits.shape)
  want_d_logits[:-1] = (advantages[..., None] * (pi - one_hot) +
                        0.01 * pi * (log_pi + entropy[..., None])) / num
  np.testing.assert_allclose(d_logits.numpy(), want_d_logits, rtol=1e-4,
                             atol=1e-7)


def test_popart_loss_at_identity_statistics_is_the_plain_loss():
  inputs = _loss_inputs(np.random.default_rng(3))
  shape = inputs['values'].shape
  plain, plain_grads = _loss(inputs)
  same, same_grads = _loss(inputs, tf.zeros(shape), tf.ones(shape))
  assert same.loss.numpy() == plain.loss.numpy()
  for key in ('policy_gradient_loss', 'baseline_loss', 'entropy_loss'):
    assert same.metrics[key].numpy() == plain.metrics[key].numpy()
  for a, b in zip(same_grads, plain_grads):
    np.testing.assert_array_equal(a.numpy(), b.numpy())
  with pytest.raises(ValueError, match='both'):
    _loss(inputs, value_mean=tf.zeros(shape))


# (name, shape) of every variable, before num_values existed: checkpoints and
# teacher SavedModels of one-value networks must keep loading. The IMPALA
# networks' lists (13 and 39 variables, on MinAtar inputs) by their sha256.
MINATAR_VARIABLES = [
    'lstm/w_h:0:(128, 512)', 'lstm/w_i:0:(128, 512)', 'lstm/b:0:(512,)',
    'policy/b:0:(6,)', 'policy/w:0:(128, 6)', 'conv2_d/b:0:(16,)',
    'conv2_d/w:0:(3, 3, 10, 16)', 'linear/b:0:(128,)',
    'linear/w:0:(1600, 128)', 'value/b:0:(1,)', 'value/w:0:(128, 1)']
IMPALA_DIGESTS = {
    networks.SmallImpalaNetwork:
        '5d7a881925781bf51384238d7b8ce3cc2e4a87605af01f7b229bd4b76d1e853a',
    networks.LargeImpalaNetwork:
        'f9564fc3793f7bdc0a7b0577932e41556559c3ba13c790663e2d97103309eb29',
}


def _variables(cls, **kwargs):
  if cls is not networks.MinAtarNetwork:
    kwargs['pixel_scale'] = 1.0
  network = cls(minatar.NUM_ACTIONS, **kwargs)
  tf2_utils.create_variables(network, [minatar.observation_spec()])
  return network, [f'{v.name}:{tuple(v.shape)}' for v in network.variables]


@pytest.mark.parametrize('cls', [networks.MinAtarNetwork,
                                 networks.SmallImpalaNetwork,
                                 networks.LargeImpalaNetwork])
def test_networks_with_one_value_keep_their_variables(cls):
  network, names = _variables(cls, num_values=1)
  if cls is networks.MinAtarNetwork:
    assert names == [f'minatar_network/{n}' for n in MINATAR_VARIABLES]
  else:
    digest = hashlib.sha256('\n'.join(names).encode()).hexdigest()
    assert digest == IMPALA_DIGESTS[cls]
  assert network.value_head.output_size == 1
  many, many_names = _variables(cls, num_values=5)
  assert many.value_head.w.shape[-1] == 5 and many.value_head.b.shape == (5,)
  assert [n.split(':')[0] for n in many_names] == [
      n.split(':')[0] for n in names]
  observations = tree.map_structure(
      lambda s: tf.zeros([4, 2] + list(s.shape), s.dtype),
      minatar.observation_spec())
  (_, values), _ = many.unroll(observations, many.initial_state(2))
  assert values.shape == (4, 2, 5)
  (_, values), _ = network.unroll(observations, network.initial_state(2))
  assert values.shape == (4, 2)


def test_make_network_gives_one_value_per_task_with_popart():
  plain = ExperimentConfig()
  popart = ExperimentConfig(agent=KickstartingConfig(popart=True))
  assert factories.make_network(plain).value_head.output_size == 1
  assert (factories.make_network(popart).value_head.output_size ==
          len(popart.tasks))
  for bad in (0.0, 1.5):
    with pytest.raises(ValueError, match='popart_step_size'):
      KickstartingConfig(popart=True, popart_step_size=bad)


SCALES = np.array([1.0, 100.0, 1e4, 1.0, 1.0])  # Reward scale per task.


@pytest.fixture(scope='module')
def popart_sample():
  """A real batch acted by a 5-value network, rewards rescaled per task."""
  sample = real_batch(built_network('popart_actor', num_values=5))
  ids = sample.data.observation['task_id'].numpy()
  rewards = SCALES[ids] * np.random.default_rng(0).uniform(0.5, 1.5, ids.shape)
  return sample._replace(data=sample.data._replace(
      reward=tf.constant(rewards, sample.data.reward.dtype)))


def _popart_learner(sample, name='popart_learner'):
  config = KickstartingConfig(popart=True, popart_step_size=1.0)
  return KickstartingBuilder(config).make_learner(
      built_network(name, num_values=5),
      tf.data.Dataset.from_tensors(sample).repeat(),
      task_names=minatar.GAMES, logger=loggers.NoOpLogger())


def test_learner_moves_statistics_to_the_returns_scale(popart_sample, tmp_path):
  learner = _popart_learner(popart_sample)
  popart = learner.state['popart']
  # The targets of the first step, from the weights it starts from.
  targets, ids, mask = (x.numpy() for x in
                        learner.loss(popart_sample).value_targets)
  first = learner.step()
  present = sorted(set(ids[mask > 0]))
  assert present == [0, 1, 2]  # Breakout, asterix, freeway; 3 and 4 absent.
  for k, task in enumerate(minatar.GAMES):
    steps = (ids == k) & (mask > 0)
    if k in present:  # Step size 1: the batch's own moments.
      want_mu, want_sigma = targets[steps].mean(), targets[steps].std()
    else:
      want_mu, want_sigma = 0.0, 1.0
    np.testing.assert_allclose(first[f'popart/mu/{task}'], want_mu, rtol=1e-3)
    np.testing.assert_allclose(first[f'popart/sigma/{task}'], want_sigma,
                               rtol=1e-3)
  sigma = popart.sigma().numpy()
  assert sigma[1] > 10 * sigma[0] and sigma[2] > 10 * sigma[1]
  # Normalised targets: the critic's error falls from the returns' scale.
  second = learner.step()
  assert second['baseline_loss'] < first['baseline_loss'] / 100
  assert np.isfinite(second['loss'])

  # Checkpointed with the learner, and copied by PBT's exploit.
  exploited = learner.exploit_variables()
  assert any(v is popart.mu for v in exploited)
  assert any(v is popart.nu for v in exploited)
  learner_node.LearnerNode(learner, str(tmp_path), 60.0).save()
  again = _popart_learner(popart_sample)
  learner_node.LearnerNode(again, str(tmp_path), 60.0)  # Restores.
  for a, b in ((popart.mu, again.state['popart'].mu),
               (popart.nu, again.state['popart'].nu)):
    np.testing.assert_array_equal(a.numpy(), b.numpy())
  assert again.num_steps == 2


def test_learner_without_popart_keeps_its_state(popart_sample):
  learner = KickstartingBuilder(KickstartingConfig()).make_learner(
      built_network('plain'), tf.data.Dataset.from_tensors(
          popart_sample).repeat(), task_names=minatar.GAMES,
      logger=loggers.NoOpLogger())
  assert 'popart' not in learner.state
  assert not any('popart' in k for k in learner.step())
  with pytest.raises(ValueError, match='num_values=5'):
    _popart_learner_over(built_network('one_value'), popart_sample)


def _popart_learner_over(network, sample):
  return KickstartingBuilder(KickstartingConfig(popart=True)).make_learner(
      network, tf.data.Dataset.from_tensors(sample).repeat(),
      task_names=minatar.GAMES)


def test_distillation_replay_reads_a_many_value_network(popart_sample):
  learner = _popart_learner(popart_sample, 'popart_replay')
  assert np.isfinite(learner.replay_loss(popart_sample).loss.numpy())
  data = tf2_utils.batch_to_sequence(popart_sample.data)
  output = distillation_replay.replay_loss(
      learner.network.unroll, data, losses.valid_transitions(data),
      tf.ones([5]), burn_in=2)
  assert np.isfinite(output.loss.numpy())
