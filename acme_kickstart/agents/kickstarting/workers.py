"""The Launchpad program's workers: actor processes and the evaluator.

An actor worker steps its K environments (one or several tasks) with a batched
actor, writes trajectories to the replay queue, fetches the learner's weights
every few steps, counts env steps on the shared counter and logs episode
returns per task. The evaluator plays a few episodes of every task with the
latest weights, at a fixed period, and logs returns per task.
"""

import collections
import os
import time
from typing import Dict, List, Optional

from acme import specs
from acme.tf import variable_utils as tf2_variable_utils
from acme.utils import counting
import numpy as np
import reverb
import tensorflow as tf

from acme_kickstart import loggers
from acme_kickstart import scoring
from acme_kickstart.agents.kickstarting import acting
from acme_kickstart.agents.kickstarting import builder
from acme_kickstart.agents.kickstarting import checkpointing
from acme_kickstart.agents.kickstarting.adders import BatchedSequenceAdder
from acme_kickstart.agents.kickstarting.config import ProgramConfig


def _returns_by_task(episodes: List[acting.Episode],
                     task_names) -> Dict[str, float]:
  """Mean return per task, NaN for a task without a finished episode.

  Every task has its key in every row: acme's CSVLogger fixes its columns at
  the first row, so a task whose first episode ends later would be dropped.
  """
  by_task = collections.defaultdict(list)
  for episode in episodes:
    by_task[task_names[episode.task_id]].append(episode.episode_return)
  return {f'return/{task}': (float(np.mean(by_task[task])) if by_task[task]
                             else float('nan'))
          for task in task_names}


def limit_tf_threads(num_threads: int):
  """Caps TF's thread pools in this process (before its first TF op)."""
  try:
    tf.config.threading.set_intra_op_parallelism_threads(num_threads)
    tf.config.threading.set_inter_op_parallelism_threads(num_threads)
  except RuntimeError:
    pass  # TF already started in this process (threads or tests): keep it.


def write_pid(run_dir: str, label: str):
  """Records this process's pid as <run_dir>/pids/<label> (for operators)."""
  directory = os.path.join(run_dir, 'pids')
  os.makedirs(directory, exist_ok=True)
  with open(os.path.join(directory, label), 'w') as f:
    f.write(str(os.getpid()))


class ActorWorker:
  """One actor process: K environments, their teachers, and the student."""

  def __init__(self, config: ProgramConfig, actor_id: int,
               replay: reverb.Client, variable_source, counter):
    limit_tf_threads(config.actor_tf_threads)
    self._config = config
    self._tasks = config.tasks_of_actor(actor_id)
    base_seed = config.agent.seed * 1_000_003 + actor_id * 1_009
    envs = [builder.make_environment(config, task, seed=base_seed + j)
            for j, task in enumerate(self._tasks)]
    spec = builder.check_environments(envs)
    num_actions = spec.actions.num_values
    network = builder.build_network(
        builder.make_network(config, num_actions), spec)
    teachers = builder.load_teachers(config, num_actions, spec.observations,
                                     tasks=self._tasks)
    self._variable_client = tf2_variable_utils.VariableClient(
        variable_source, {'policy': network.variables},
        update_period=config.variable_update_period)
    self._variable_client.update_and_wait()
    self._writer = BatchedSequenceAdder(
        replay, len(envs), config.agent.sequence_length,
        config.agent.period)
    self._actor = acting.BatchedActor(
        network, envs, self._writer,
        teachers=teachers, variable_client=self._variable_client,
        seed=base_seed)
    self._counter = counting.Counter(counter, prefix='actor')
    self._logger = loggers.make_logger(
        config.run_dir, f'actor_{actor_id}',
        terminal_seconds=config.progress_period_seconds if actor_id == 0
        else None)
    self._label = f'actor_{actor_id}'

  def run(self):
    write_pid(self._config.run_dir, self._label)
    episodes, steps_since, last_log = [], 0, time.time()
    with checkpointing.stop_requested() as stop:
      while not stop.is_set():
        steps_since += self._actor.step()
        episodes.extend(self._actor.pop_episodes())
        now = time.time()
        if now - last_log >= self._config.progress_period_seconds:
          counts = self._counter.increment(steps=steps_since)
          record = {'actor_steps': counts.get('actor_steps', 0),
                    'steps_per_second': steps_since / (now - last_log),
                    'episodes': len(episodes)}
          record.update(_returns_by_task(episodes, self._config.tasks))
          self._logger.write(record)
          episodes, steps_since, last_log = [], 0, now


class EvaluatorWorker:
  """Plays every task with the latest weights and logs the returns."""

  def __init__(self, config: ProgramConfig, variable_source, counter):
    limit_tf_threads(config.actor_tf_threads)
    self._config = config
    per_task = config.evaluator_episodes_per_task
    tasks = [t for t in config.tasks for _ in range(per_task)]
    seed = config.agent.seed * 7_919 + 17
    envs = [builder.make_environment(config, task, seed=seed + j, mode='test')
            for j, task in enumerate(tasks)]
    spec = builder.check_environments(envs)
    network = builder.build_network(
        builder.make_network(config, spec.actions.num_values), spec)
    self._variable_client = tf2_variable_utils.VariableClient(
        variable_source, {'policy': network.variables})
    self._actor = acting.BatchedActor(network, envs, seed=seed)
    self._num_episodes = len(envs)
    self._counter = counting.Counter(counter, prefix='evaluator')
    self._logger = loggers.make_logger(config.run_dir, 'evaluator',
                                       terminal_seconds=0.0)
    self._recent = collections.deque(maxlen=config.fitness_rounds)

  def fitness(self) -> Optional[float]:
    """The suite's score over the last few rounds (None before the first)."""
    if not self._recent:
      return None
    returns = collections.defaultdict(list)
    for round_returns in list(self._recent):
      for task, values in round_returns.items():
        returns[task].extend(values)
    return scoring.suite_fitness(
        self._config.suite, returns, self._config.reference_scores,
        self._config.fitness_cap,
        self._config.env_kwargs.get('distribution_mode', 'easy'))

  def reset_fitness(self):
    """Forgets past rounds (their weights were replaced by an exploit)."""
    self._recent.clear()

  def evaluate_once(self, stop=None) -> Optional[Dict[str, float]]:
    """One round: a fresh episode in every environment, latest weights.

    Returns None, logging nothing, if `stop` is set before the round ends.
    """
    self._variable_client.update_and_wait()
    self._actor.pop_episodes()
    self._actor.reset()
    finished, playing = [], np.ones([self._num_episodes], bool)
    while playing.any():
      if stop is not None and stop.is_set():
        return None
      # Only environments still in their episode step: the others' next
      # episodes would not be counted (a long game would keep them going).
      self._actor.step(playing)
      for episode in self._actor.pop_episodes():
        if playing[episode.env_index]:
          playing[episode.env_index] = False
          finished.append(episode)
    round_returns = collections.defaultdict(list)
    for episode in finished:
      round_returns[self._config.tasks[episode.task_id]].append(
          episode.episode_return)
    self._recent.append(dict(round_returns))
    counts = self._counter.increment(episodes=len(finished))
    record = {'actor_steps': counts.get('actor_steps', 0),
              'evaluator_episodes': counts.get('evaluator_episodes', 0)}
    record.update(_returns_by_task(finished, self._config.tasks))
    record['return/mean'] = float(np.nanmean(
        [record[f'return/{t}'] for t in self._config.tasks]))
    record['fitness'] = self.fitness()
    self._logger.write(record)
    return record

  def run(self):
    with checkpointing.stop_requested() as stop:
      while not stop.is_set():
        start = time.time()
        self.evaluate_once(stop)
        checkpointing.sleep_unless_stopped(
            self._config.evaluator_period_seconds - (time.time() - start), stop)
