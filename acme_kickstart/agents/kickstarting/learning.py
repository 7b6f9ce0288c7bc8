"""Learner for a kickstarted IMPALA student (V-trace + lambda_k-weighted distillation)."""

import time
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import acme
from acme.tf import savers as tf2_savers
from acme.tf import utils as tf2_utils
from acme.utils import counting
from acme.utils import loggers
import numpy as np
import reverb
import sonnet as snt
import tensorflow as tf
import tree

from acme_kickstart.agents.kickstarting import distillation_replay as replay
from acme_kickstart.agents.kickstarting import gating
from acme_kickstart.agents.kickstarting import hyperparameters
from acme_kickstart.agents.kickstarting import learner_logs
from acme_kickstart.agents.kickstarting import losses
from acme_kickstart.agents.kickstarting import optimizers
from acme_kickstart.agents.kickstarting import popart as popart_lib
from acme_kickstart.agents.kickstarting import schedules
from acme_kickstart.agents.kickstarting import task_scores


NonFiniteLossError = losses.NonFiniteLossError


class KickstartingLearner(acme.Learner, tf2_savers.TFSaveable):
  """IMPALA learner whose loss adds sum_k lambda_k H(pi_T_k || pi_S).

  The data it reads are acme `SequenceAdder` trajectories whose extras hold the
  behaviour 'logits' and 'core_state' (as acme's IMPALA), plus 'teacher_logits'
  and 'teacher_mask' written by the actor that ran each step's teacher. The
  learning rate, entropy cost and every lambda_k live in tf.Variables read inside
  the compiled step: `set_hyperparameters` changes them without retracing, and
  they are part of the checkpointed `state`.
  """

  def __init__(
      self,
      network: snt.RNNCore,
      dataset: Union[tf.data.Dataset, 'tf.data.Iterator'],
      num_tasks: int,
      learning_rate: float,
      distillation_costs: Union[float, Sequence[float]] = 0.0,
      entropy_cost: float = 0.0,
      baseline_cost: float = 1.0,
      discount: float = 0.99,
      max_abs_reward: Optional[float] = None,
      max_gradient_norm: Optional[float] = None,
      reward_clipping: Optional[str] = None,
      schedule: Optional[schedules.LambdaSchedule] = None,
      score_ranges: Optional[Mapping[str, Tuple[float, float]]] = None,
      optimizer: Union[str, snt.Optimizer] = 'adam',
      rmsprop_decay: float = 0.99,
      rmsprop_epsilon: float = 0.1,
      rmsprop_initial_mean_square: float = 0.0,
      loss_reduction: str = 'mean',
      learning_rate_decay_env_steps: Optional[int] = None,
      task_names: Optional[Sequence[str]] = None,
      teacher_tasks: Optional[Sequence[str]] = None,
      sequence_period: Optional[int] = None,
      counter: Optional[counting.Counter] = None,
      logger: Optional[loggers.Logger] = None,
      events_logger: Optional[loggers.Logger] = None,
      distillation_replay: Optional[replay.ReplayReader] = None,
      distillation_replay_ratio: int = 0,
      distillation_replay_burn_in: int = 0,
      popart: bool = False,
      popart_step_size: float = 3e-4,
  ):
    """With `distillation_replay_ratio` r > 0, each step is followed by r
    steps on batches of `distillation_replay` (distillation_replay.py) that
    train the distillation term alone; r = 0 never reads it.
    `teacher_tasks` names the tasks that have a teacher (None: all); the
    others' lambda_k is 0, whatever distillation_costs holds.
    `sequence_period`: steps between the writer's sequence starts (None:
    T - 1, no overlap); the env-step clock counts each transition once.
    With `popart`, the network's value head has one normalised output per
    task (popart.py)."""
    self._network = network
    # A Dataset (not just an iterator) lets the learner start a new iterator
    # when a Reverb stream ends after its rate-limiter timeout (no data).
    self._dataset = dataset if isinstance(dataset, tf.data.Dataset) else None
    self._iterator = iter(dataset)
    self._task_names = list(task_names or [f'task_{k}' for k in range(num_tasks)])
    if len(self._task_names) != num_tasks:
      raise ValueError(f'Got {len(self._task_names)} task names for '
                       f'{num_tasks} tasks.')
    self._has_teacher = schedules.teacher_mask(self._task_names, teacher_tasks)

    self._hyperparameters = hyperparameters.LearnerHyperparameters(
        learning_rate, entropy_cost, distillation_costs, num_tasks,
        learning_rate_decay_env_steps)
    self._num_steps = tf.Variable(0, dtype=tf.int64, trainable=False,
                                  name='num_learner_steps')
    # Real env steps (transitions) in the batches of the applied steps, each
    # counted once however many overlapping sequences hold it: the clock of
    # every schedule. Filler and padding rows are not env steps.
    self._num_env_steps = tf.Variable(0, dtype=tf.int64, trainable=False,
                                      name='num_env_steps')
    self._sequence_period = sequence_period
    if loss_reduction not in losses.REDUCTIONS:
      raise ValueError(f'loss_reduction must be one of {losses.REDUCTIONS}, '
                       f'got {loss_reduction!r}.')
    self._loss_reduction = loss_reduction

    # Fixed hyperparameters.
    self._baseline_cost = baseline_cost
    self._discount = discount
    self._max_abs_reward = tf.convert_to_tensor(
        np.inf if max_abs_reward is None else max_abs_reward)
    # As acme: a very large number, since an infinite norm gives NaNs.
    self._max_gradient_norm = tf.convert_to_tensor(
        1e10 if max_gradient_norm is None else max_gradient_norm)
    self._schedule = schedule or schedules.LambdaSchedule()
    self._gate = gating.TaskGate(self._task_names, self._schedule,
                                 score_ranges or {}, events_logger)
    self._reward_clipping = losses.check_reward_clipping(reward_clipping)
    self._popart = (popart_lib.for_network(network, num_tasks, popart_step_size)
                    if popart else None)

    self._optimizer = optimizers.make_optimizer(
        optimizer, self._hyperparameters.applied_learning_rate,
        network.trainable_variables, rmsprop_decay, rmsprop_epsilon,
        rmsprop_initial_mean_square)

    self._replay_burn_in = distillation_replay_burn_in
    self._replay = replay.make_updater(
        distillation_replay, distillation_replay_ratio, self.replay_loss,
        network.trainable_variables, self._optimizer, self._max_gradient_norm,
        lambda: self.num_steps)

    self._counter = counter or counting.Counter()
    self._logger = logger or loggers.TerminalLogger('learner', time_delta=1.)
    self._timestamp = None

  def set_hyperparameters(
      self,
      learning_rate: Optional[float] = None,
      entropy_cost: Optional[float] = None,
      distillation_costs: Optional[Union[float, Sequence[float]]] = None):
    """Sets hyperparameters; they apply from the next step, without retracing."""
    self._hyperparameters.set(learning_rate, entropy_cost, distillation_costs)

  def get_hyperparameters(self) -> Dict[str, Union[float, List[float]]]:
    return self._hyperparameters.get()

  def _effective_distillation_costs(self) -> tf.Tensor:
    """lambda_k^0 * decay(real env steps) * gate_k: see schedules.py; 0 for
    a task without a teacher (its gate never shuts), so that the replay's
    guard sees 0 everywhere once every teacher's lambda is 0."""
    return schedules.effective_lambdas(
        self._schedule, self._hyperparameters.distillation_costs,
        self._num_env_steps,
        self._gate.values()) * self._has_teacher

  def update_task_scores(self, counts: Mapping[str, float]):
    """Feeds the counter's per-task return totals to the gate (gating.py)."""
    self._gate.update(counts, int(self._num_env_steps.numpy()),
                      int(self._num_steps.numpy()))

  def _unroll(self, observations, core_state):
    if hasattr(self._network, 'unroll'):
      return self._network.unroll(observations, core_state)
    return snt.static_unroll(self._network, observations, core_state)

  def loss(self, sample: reverb.ReplaySample) -> losses.LossOutput:
    """The kickstarting loss on one batch (batch-major, as Reverb returns it)."""
    data = tf2_utils.batch_to_sequence(sample.data)
    extras = data.extras
    core_state = tree.map_structure(lambda s: s[0], extras['core_state'])
    (logits, values), _ = self._unroll(data.observation, core_state)
    task_ids = data.observation['task_id']
    value_mean = value_std = None
    if self._popart is not None:  # Each step's own task's normalised value.
      values = popart_lib.select(values, task_ids)
      value_mean, value_std = self._popart.statistics(task_ids)
    valid = losses.valid_transitions(data)
    distillation_costs = self._effective_distillation_costs()
    output = losses.kickstarting_loss(
        student_logits=logits,
        values=values,
        behaviour_logits=extras['logits'],
        actions=data.action[:-1],
        rewards=losses.clip_rewards(data.reward[:-1], self._reward_clipping),
        discounts=data.discount[:-1],
        teacher_logits=extras['teacher_logits'],
        teacher_mask=extras['teacher_mask'],
        task_ids=task_ids,
        distillation_costs=distillation_costs,
        entropy_cost=self._hyperparameters.entropy_cost,
        baseline_cost=self._baseline_cost,
        discount=self._discount,
        max_abs_reward=self._max_abs_reward,
        valid=valid,
        reduction=self._loss_reduction,
        value_mean=value_mean,
        value_std=value_std,
    )
    output.metrics['distillation_costs'] = distillation_costs
    period = self._sequence_period or int(valid.shape[0])
    output.metrics['batch_env_steps'] = tf.reduce_sum(
        losses.new_transitions(data, valid, period))
    return output

  def replay_loss(self, sample: reverb.ReplaySample) -> losses.LossOutput:
    """The distillation term alone, on a replayed batch (same lambda_k)."""
    data = tf2_utils.batch_to_sequence(sample.data)
    return replay.replay_loss(
        self._unroll, data, losses.valid_transitions(data),
        self._effective_distillation_costs(), self._replay_burn_in,
        self._loss_reduction)

  @tf.function
  def _step(self, iterator) -> Dict[str, tf.Tensor]:
    sample = next(iterator)
    variables = self._network.trainable_variables
    with tf.GradientTape() as tape:
      output = self.loss(sample)
    gradients = tape.gradient(output.loss, variables)
    gradients, gradient_norm = tf.clip_by_global_norm(
        gradients, self._max_gradient_norm)
    finite = tf.math.is_finite(output.loss) & tf.math.is_finite(gradient_norm)
    env_steps = tf.cast(output.metrics['batch_env_steps'], tf.int64)

    def apply():
      self._hyperparameters.applied_learning_rate.assign(
          self._hyperparameters.learning_rate_now(self._num_env_steps))
      self._optimizer.apply(gradients, variables)
      if self._popart is not None:  # Statistics, then the head's rescale.
        self._popart.update(*output.value_targets, self._network.value_head)
      self._num_steps.assign_add(1)
      self._num_env_steps.assign_add(env_steps)
      return tf.constant(True)

    applied = tf.cond(finite, apply, lambda: tf.constant(False))
    metrics = dict(output.metrics)
    metrics['gradient_norm'] = gradient_norm
    metrics['applied'] = applied
    return metrics

  def step(self) -> Optional[Dict[str, float]]:
    """One SGD step; raises NonFiniteLossError (weights untouched) on NaN/inf.

    A non-finite replayed update raises too, after the step's V-trace update
    (applied) has been counted, fed to the gate and logged.

    Returns the logged metrics, or None when replay gave no data before its
    timeout (a fresh iterator is then used by the next step). With a
    distillation replay, the V-trace update is followed by its replayed ones
    (and their 'replay/...' metrics); a step without a V-trace batch replays
    nothing.
    """
    if self._iterator is None:  # Closed: streams anew.
      self._iterator = iter(self._dataset)
    try:
      results = tf2_utils.to_numpy(self._step(self._iterator))
    except tf.errors.OutOfRangeError:
      if self._dataset is None:
        raise
      self._iterator = iter(self._dataset)
      return None
    if not results.pop('applied'):
      raise NonFiniteLossError(
          f'Non-finite kickstarting loss at learner step '
          f'{int(self._num_steps.numpy())}: loss={results["loss"]}, '
          f'gradient_norm={results["gradient_norm"]}. The update was not '
          'applied, so the network keeps its last finite weights. Lower the '
          'learning rate, or set max_gradient_norm / max_abs_reward.')
    replay_results, replay_error = {}, None
    if self._replay is not None:
      try:
        replay_results = self._replay.train(results['distillation_costs'])
      except NonFiniteLossError as e:
        # The V-trace update was applied: it is counted, fed to the gate and
        # logged as any step, then the replay's error is raised.
        replay_error = e
    timestamp = time.time()
    elapsed = timestamp - self._timestamp if self._timestamp else 0
    self._timestamp = timestamp
    counts = self._counter.increment(steps=1, walltime=elapsed)
    self.update_task_scores(counts)
    results.update({k: v for k, v in counts.items()
                    if not task_scores.is_score_key(k)})
    results = learner_logs.flatten(
        results, self._task_names, self._gate, self._schedule.gated,
        self._popart,
        learning_rate=float(
            self._hyperparameters.applied_learning_rate.numpy()),
        entropy_cost=float(self._hyperparameters.entropy_cost.numpy()),
        learner_env_steps=int(self._num_env_steps.numpy()))
    results.update(replay_results)
    self._logger.write(results)
    if replay_error is not None:
      raise replay_error
    return results

  def close(self):
    """Ends this learner's Reverb streams: its dataset iterator's samplers
    and its distillation replay reader's, so that none is open when the
    replay server stops (a program's end). A later step opens new ones."""
    if self._dataset is not None:  # Else the iterator cannot be renewed.
      self._iterator = None
    if self._replay is not None:
      self._replay.close()

  def exploit_variables(self) -> List[tf.Variable]:
    """What PBT's exploit copies: network, optimizer state, hyperparameters,
    and PopArt's statistics (they give the value head its meaning).

    The step counter is not copied: it is this learner's own progress.
    """
    popart = [] if self._popart is None else [self._popart.mu, self._popart.nu]
    variables, seen = [], set()
    for variable in (list(self._network.variables) +
                     list(self._optimizer.variables) +
                     self._hyperparameters.variables + popart):
      if id(variable) not in seen:
        seen.add(id(variable))
        variables.append(variable)
    return variables

  @property
  def network(self) -> snt.RNNCore:
    return self._network

  @property
  def num_steps(self) -> int:
    return int(self._num_steps.numpy())

  def get_num_steps(self) -> int:
    """Applied learner steps (a method, so courier clients can call it)."""
    return self.num_steps

  @property
  def num_env_steps(self) -> int:
    """Real env steps (transitions) the applied steps trained on."""
    return int(self._num_env_steps.numpy())

  def get_variables(self, names: List[str]) -> List[List[np.ndarray]]:
    del names  # One set of variables: the student network's.
    return [tf2_utils.to_numpy(self._network.variables)]

  @property
  def state(self) -> Mapping[str, tf2_savers.Checkpointable]:
    return {
        'network': self._network,
        'optimizer': self._optimizer,
        **self._hyperparameters.state,
        'num_learner_steps': self._num_steps,
        'num_env_steps': self._num_env_steps,
        **self._gate.state,
        **({} if self._popart is None else {'popart': self._popart}),
    }
