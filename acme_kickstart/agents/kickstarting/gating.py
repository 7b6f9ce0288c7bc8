"""The gated schedule's per-task state in the learner: s_k, latch, events.

`TaskGate` holds, as checkpointed tf.Variables, each task's moving-average
return (fed from the counter, task_scores.py) and the hysteresis latch of
schedules.update_gate_off. Its `scores()` and `values()` are TF, read inside
the learner's compiled step; `update()` runs between steps, in Python, and
logs each crossing of a teacher's reference once ('surpassed', and
'fell_behind' when the gate reopens). The variables are the student's own
measure: PBT's exploit does not copy them.
"""

import time
from typing import Dict, Mapping, Optional, Sequence, Tuple

from absl import logging
from acme.utils import loggers
import numpy as np
import tensorflow as tf

from acme_kickstart.agents.kickstarting import schedules
from acme_kickstart.agents.kickstarting import task_scores


class TaskGate:
  """Per-task s_k / s_k^T and gate_k for one learner."""

  def __init__(self, task_names: Sequence[str],
               schedule: schedules.LambdaSchedule,
               score_ranges: Mapping[str, Tuple[float, float]],
               events_logger: Optional[loggers.Logger] = None):
    self._tasks = list(task_names)
    unknown = sorted(set(score_ranges) - set(self._tasks))
    if unknown:
      raise ValueError(f'score_ranges names unknown tasks {unknown}; the '
                       f'tasks are {self._tasks}.')
    for task, (low, high) in score_ranges.items():
      if not high > low:
        raise ValueError(f'Task {task!r}: the teacher reference {high} must '
                         f'be above the random score {low} to gate lambda.')
    self._low = tf.constant([score_ranges.get(t, (0.0, 1.0))[0]
                             for t in self._tasks], tf.float32)
    self._high = tf.constant([score_ranges.get(t, (0.0, 1.0))[1]
                              for t in self._tasks], tf.float32)
    self._has_reference = np.array([t in score_ranges for t in self._tasks])
    self._hysteresis = schedule.gate_hysteresis
    num_tasks = len(self._tasks)
    self.returns = tf.Variable(tf.zeros([num_tasks]), trainable=False,
                               name='task_returns')
    self.seen = tf.Variable(tf.zeros([num_tasks], tf.bool), trainable=False,
                            name='task_seen')
    self.off = tf.Variable(tf.zeros([num_tasks], tf.bool), trainable=False,
                           name='gate_off')
    self._averager = task_scores.ReturnAverager(
        self._tasks, schedule.score_window_episodes)
    self._events_logger = events_logger

  @property
  def state(self) -> Dict[str, tf.Variable]:
    return {'task_returns': self.returns, 'task_seen': self.seen,
            'gate_off': self.off}

  def _measured(self) -> tf.Tensor:
    return tf.logical_and(tf.constant(self._has_reference), self.seen)

  def scores(self) -> tf.Tensor:
    """s_k / s_k^T per task (0 where no reference or no episode yet)."""
    scores = schedules.normalised_scores(self.returns, self._low, self._high)
    return tf.where(self._measured(), scores, tf.zeros_like(scores))

  def values(self) -> tf.Tensor:
    """gate_k per task (1 where not measured)."""
    return schedules.gate(self.scores(), self.off, self._measured())

  def update(self, counts: Mapping[str, float], env_steps: int,
             learner_steps: int):
    """Takes the counter's totals; latches; logs each crossing once."""
    averages, seen = self._averager.update(counts, self.returns.numpy(),
                                           self.seen.numpy())
    self.returns.assign(averages.astype(np.float32))
    self.seen.assign(seen)
    was_off = self.off.numpy()
    now_off = schedules.update_gate_off(
        self.scores(), self.off, self._hysteresis).numpy()
    now_off &= self._has_reference & seen
    self.off.assign(now_off)
    scores = self.scores().numpy()
    for k in np.flatnonzero(now_off & ~was_off):
      self._log_event('surpassed', k, scores[k], env_steps, learner_steps)
    for k in np.flatnonzero(was_off & ~now_off):
      self._log_event('fell_behind', k, scores[k], env_steps, learner_steps)

  def _log_event(self, event: str, task: int, score: float, env_steps: int,
                 learner_steps: int):
    name = self._tasks[task]
    if event == 'surpassed':
      logging.info('Teacher %s surpassed at env step %d (score %.2f of the '
                   "teacher's).", name, env_steps, score)
    else:
      logging.info('Student fell behind teacher %s at env step %d (score '
                   "%.2f of the teacher's): its gate reopens.", name,
                   env_steps, score)
    if self._events_logger is not None:
      self._events_logger.write({
          'event': event, 'task': name, 'learner_env_steps': env_steps,
          'learner_steps': learner_steps, 'score': float(score),
          'time': time.time()})
