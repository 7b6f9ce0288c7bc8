"""The kickstarting loss (Schmitt et al., 2018, eq. 3 with IMPALA's V-trace).

    l = l_IMPALA + sum_k lambda_k * H(pi_T_k(a|x_t) || pi_S(a|x_t)),

where H is the cross-entropy of the student's policy against teacher k's, applied
on the steps of task k. `kickstarting_loss` is that equation; the IMPALA part is
computed with trfl exactly as acme's TF `IMPALALearner` computes it; with
PopArt (popart.py), its critic and advantages are normalised per task.
"""

from typing import Dict, NamedTuple, Optional

import tensorflow as tf
import tensorflow_probability as tfp
import trfl

tfd = tfp.distributions

# log(rho) of a row that is no transition: rho = c = 0, so V-trace's recursion
# stops there (vs = V) and nothing of that row reaches an earlier real step.
_NO_TRANSITION_LOG_RHO = -1e9

REDUCTIONS = ('mean', 'sum')


def distillation_loss(teacher_logits: tf.Tensor,
                      student_logits: tf.Tensor) -> tf.Tensor:
  """Per-step cross-entropy H(pi_T || pi_S) = -sum_a pi_T(a) log pi_S(a).

  Args:
    teacher_logits: [..., A] logits of the teacher; no gradient flows into them.
    student_logits: [..., A] logits of the student.

  Returns:
    [...] cross-entropy, with the leading shape of the inputs.
  """
  teacher_probs = tf.nn.softmax(tf.stop_gradient(teacher_logits))
  return -tf.reduce_sum(
      teacher_probs * tf.nn.log_softmax(student_logits), axis=-1)


def distillation_kl(teacher_logits: tf.Tensor,
                    student_logits: tf.Tensor) -> tf.Tensor:
  """Per-step KL(pi_T || pi_S) = H(pi_T || pi_S) - H(pi_T), for logging."""
  teacher_log_probs = tf.nn.log_softmax(tf.stop_gradient(teacher_logits))
  teacher_entropy = -tf.reduce_sum(
      tf.exp(teacher_log_probs) * teacher_log_probs, axis=-1)
  return distillation_loss(teacher_logits, student_logits) - teacher_entropy


class ValueTargets(NamedTuple):
  """V-trace's targets and where they count: what PopArt learns its
  statistics from."""
  targets: tf.Tensor  # [T-1, B] vs, unnormalised.
  task_ids: tf.Tensor  # [T-1, B].
  mask: tf.Tensor  # [T-1, B] 1 on real transitions.


class LossOutput(NamedTuple):
  loss: tf.Tensor
  metrics: Dict[str, tf.Tensor]
  value_targets: Optional[ValueTargets] = None


def kickstarting_loss(
    *,
    student_logits: tf.Tensor,
    values: tf.Tensor,
    behaviour_logits: tf.Tensor,
    actions: tf.Tensor,
    rewards: tf.Tensor,
    discounts: tf.Tensor,
    teacher_logits: tf.Tensor,
    teacher_mask: tf.Tensor,
    task_ids: tf.Tensor,
    distillation_costs: tf.Tensor,
    entropy_cost: tf.Tensor,
    baseline_cost: float,
    discount: float,
    max_abs_reward: tf.Tensor,
    valid: Optional[tf.Tensor] = None,
    reduction: str = 'mean',
    value_mean: Optional[tf.Tensor] = None,
    value_std: Optional[tf.Tensor] = None,
) -> LossOutput:
  """l_IMPALA + sum_k lambda_k H(pi_T_k || pi_S) over a batch of sequences.

  All sequence inputs are time-major. Logits, values and task ids cover T steps;
  actions, rewards and discounts the first T-1 (the last step only bootstraps).

  Args:
    student_logits: [T, B, A] logits of the student being trained.
    values: [T, B] the student's value estimates; with PopArt (value_mean and
      value_std given) its normalised ones n, and V = value_std * n +
      value_mean is the value V-trace reads.
    behaviour_logits: [T, B, A] logits of the policy that acted.
    actions: [T-1, B] actions taken.
    rewards: [T-1, B] rewards.
    discounts: [T-1, B] environment discounts.
    teacher_logits: [T, B, A] logits of the teacher of each step's task.
    teacher_mask: [T, B] 1 where the step has a teacher, 0 where it has none
      (a task without a teacher, or a zero-padded step).
    task_ids: [T, B] int task id of each step.
    distillation_costs: [K] lambda_k >= 0, one per task.
    entropy_cost: scalar beta.
    baseline_cost: weight of the critic loss.
    discount: gamma.
    max_abs_reward: rewards are clipped to [-max_abs_reward, max_abs_reward].
    valid: [T-1, B] 1 where the step is a real transition, 0 on the filler row
      after an episode's last step and on zero padding (acme's ZERO_PAD end of
      episode). Such rows get no loss, and their reward, action and behaviour
      logits reach no real step's V-trace target. Default: all real.
    reduction: 'mean' over the real steps (acme's IMPALA) or 'sum' over them
      (scalable_agent's IMPALA, whose hyperparameters assume sums).
    value_mean, value_std: [T, B] PopArt's mu_k and sigma_k of each step's
      task (popart.py), or None. With them, the critic learns the normalised
      targets (vs - mu_k) / sigma_k and the advantages are divided by sigma_k
      (PopArt-IMPALA, Hessel et al. 2019); the V-trace targets and the
      advantages are computed on unnormalised values, as without them.

  Returns:
    The scalar loss, per-term metrics (each a mean over the real steps) and
    the V-trace targets (`ValueTargets`).
  """
  if (value_mean is None) != (value_std is None):
    raise ValueError('Give both value_mean and value_std (PopArt), or neither.')
  valid = (tf.ones_like(rewards, tf.float32) if valid is None
           else tf.cast(valid, tf.float32))
  mean, reduce = _reducers(valid, reduction)

  # --- l_IMPALA: V-trace actor-critic, as in acme's IMPALALearner. ---
  pi_target = tfd.Categorical(logits=student_logits[:-1])
  pi_behaviour = tfd.Categorical(logits=behaviour_logits[:-1])
  log_rhos = pi_target.log_prob(actions) - pi_behaviour.log_prob(actions)
  # A truncated episode's last real step still bootstraps from V(o_T) (the
  # filler row's value, through its own discount); the filler row itself
  # contributes no TD error and no trace.
  log_rhos = tf.where(valid > 0, log_rhos, _NO_TRANSITION_LOG_RHO)
  rewards = tf.clip_by_value(rewards,
                             tf.cast(-max_abs_reward, rewards.dtype),
                             tf.cast(max_abs_reward, rewards.dtype))
  unnormalised = _unnormalised(values, value_mean, value_std)
  vtrace_returns = trfl.vtrace_from_importance_weights(
      log_rhos=tf.cast(log_rhos, tf.float32),
      discounts=tf.cast(discount * discounts, tf.float32),
      rewards=tf.cast(rewards, tf.float32),
      values=tf.cast(unnormalised[:-1], tf.float32),
      bootstrap_value=unnormalised[-1],
  )
  advantages = vtrace_returns.pg_advantages  # No gradient (trfl stops it).
  if value_std is None:
    critic_loss = tf.square(vtrace_returns.vs - values[:-1])
  else:
    critic_loss = tf.square(
        (vtrace_returns.vs - value_mean[:-1]) / value_std[:-1] - values[:-1])
    advantages = advantages / value_std[:-1]
  policy_gradient_loss = trfl.policy_gradient(
      policies=pi_target,
      actions=actions,
      action_values=advantages,
  )
  entropy_loss = trfl.policy_entropy_loss(pi_target).loss
  impala_loss = reduce(policy_gradient_loss + baseline_cost * critic_loss +
                       entropy_cost * entropy_loss)

  # --- sum_k lambda_k H(pi_T_k || pi_S) on the steps of task k. ---
  distillation = distillation_term(
      student_logits=student_logits, teacher_logits=teacher_logits,
      teacher_mask=teacher_mask, task_ids=task_ids,
      distillation_costs=distillation_costs, valid=valid, reduction=reduction)

  loss = impala_loss + distillation.loss

  metrics = {
      'loss': loss,
      'policy_gradient_loss': mean(policy_gradient_loss),
      'baseline_loss': mean(critic_loss),
      'entropy_loss': mean(entropy_loss),
      **distillation.metrics,
      'valid_fraction': tf.reduce_mean(valid),
  }
  return LossOutput(loss, metrics, ValueTargets(
      vtrace_returns.vs, task_ids[:-1], valid))


def _unnormalised(values: tf.Tensor, mean: Optional[tf.Tensor],
                  std: Optional[tf.Tensor]) -> tf.Tensor:
  """PopArt's V = sigma * n + mu; the values themselves without PopArt."""
  if std is None:
    return values
  return std * values + mean


def distillation_term(
    *,
    student_logits: tf.Tensor,
    teacher_logits: tf.Tensor,
    teacher_mask: tf.Tensor,
    task_ids: tf.Tensor,
    distillation_costs: tf.Tensor,
    valid: tf.Tensor,
    reduction: str = 'mean',
) -> LossOutput:
  """sum_k lambda_k H(pi_T_k || pi_S) on the steps of task k (eq. 3's second
  term), reduced over the real steps as `kickstarting_loss` reduces l_IMPALA.

  The one place the distillation term is computed: `kickstarting_loss` adds it
  to V-trace, and the learner's distillation replay trains on it alone (it is
  supervised, so any state the student visited will do).

  Args:
    student_logits, teacher_logits: [T, B, A]; the last step (bootstrap only)
      gets no loss.
    teacher_mask, task_ids: [T, B].
    distillation_costs: [K] lambda_k.
    valid: [T-1, B] 1 on real transitions (see `kickstarting_loss`).
    reduction: 'mean' or 'sum' over the real steps.

  Returns:
    The reduced term, and metrics: 'distillation_loss' (the term),
    'cross_entropy' (mean H over the steps with a teacher) and 'kl_per_task'
    ([K] mean KL(pi_T_k || pi_S) over the steps of task k with a teacher).
  """
  valid = tf.cast(valid, tf.float32)
  _, reduce = _reducers(valid, reduction)
  cross_entropy = distillation_loss(teacher_logits[:-1], student_logits[:-1])
  mask = tf.cast(teacher_mask[:-1], tf.float32) * valid
  # Masked steps weigh exactly 0, whatever lambda_k holds (NaN * 0 is NaN).
  step_lambdas = tf.where(mask > 0,
                          tf.gather(distillation_costs, task_ids[:-1]) * mask,
                          tf.zeros_like(mask))
  distill_loss = reduce(step_lambdas * cross_entropy)

  # Per-task KL(pi_T || pi_S) over the steps that have that task's teacher.
  num_tasks = tf.shape(distillation_costs)[0]
  task_mask = tf.one_hot(task_ids[:-1], num_tasks) * mask[..., None]
  kl = distillation_kl(teacher_logits[:-1], student_logits[:-1])
  kl_per_task = tf.math.divide_no_nan(
      tf.reduce_sum(task_mask * kl[..., None], axis=[0, 1]),
      tf.reduce_sum(task_mask, axis=[0, 1]))
  metrics = {
      'distillation_loss': distill_loss,
      'cross_entropy': tf.math.divide_no_nan(
          tf.reduce_sum(mask * cross_entropy), tf.reduce_sum(mask)),
      'kl_per_task': kl_per_task,
  }
  return LossOutput(distill_loss, metrics)


def _reducers(valid: tf.Tensor, reduction: str):
  """(mean over the real steps, the loss's reduction) of [T-1, B] values."""
  if reduction not in REDUCTIONS:
    raise ValueError(f'reduction must be one of {REDUCTIONS}, got {reduction!r}.')
  num_valid = tf.maximum(tf.reduce_sum(valid), 1.0)

  def mean(per_step):
    return tf.reduce_sum(valid * per_step) / num_valid

  if reduction == 'mean':
    return mean, mean
  return mean, lambda per_step: tf.reduce_sum(valid * per_step)


class NonFiniteLossError(FloatingPointError):
  """The loss or its gradients were not finite; the update was not applied."""


REWARD_CLIPPINGS = (None, 'soft_asymmetric')


def check_reward_clipping(kind: Optional[str]) -> Optional[str]:
  if kind not in REWARD_CLIPPINGS:
    raise ValueError(f"reward_clipping must be None or 'soft_asymmetric', "
                     f'got {kind!r}.')
  return kind


def clip_rewards(rewards: tf.Tensor, kind: Optional[str]) -> tf.Tensor:
  """None: as they are; 'soft_asymmetric' (IMPALA's DMLab-30): 5 tanh(r/5),
  negatives x0.3."""
  if kind is None:
    return rewards
  squeezed = tf.tanh(rewards / 5.0)
  return tf.where(rewards < 0, 0.3 * squeezed, squeezed) * 5.0


def valid_transitions(data) -> tf.Tensor:
  """[T-1, B] 1 on real transitions: the actor writes extras['valid'] = 1 on
  every step, and the writer zeroes it on filler and padding rows. Data
  without it (e.g. acme's own actors) counts every row as real."""
  valid = data.extras.get('valid') if isinstance(data.extras, dict) else None
  if valid is None:
    return tf.ones_like(data.reward[:-1], tf.float32)
  return tf.cast(valid[:-1], tf.float32)


def new_transitions(data, valid: tf.Tensor, period: int) -> tf.Tensor:
  """[T-1, B] 1 on the real transitions that no earlier sequence held.

  Sequences of T steps start every `period` steps of an episode, so with
  period < T-1 a transition sits in (T-1)/period of them; the env-step clock
  of the schedules must count it once. The writer's windows lie on one
  period grid from the episode's start (acme's SequenceAdder, ZERO_PAD), so
  a window's first T-1-period transitions were all in the window before it,
  unless it starts the episode (`start_of_episode` on its first row).
  """
  num_transitions = int(valid.shape[0])
  if period >= num_transitions:
    return valid
  later_rows = tf.range(num_transitions)[:, None] >= num_transitions - period
  starts = tf.cast(data.start_of_episode[0], tf.bool)[None, :]
  return valid * tf.cast(later_rows | starts, valid.dtype)
