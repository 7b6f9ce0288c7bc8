"""The Launchpad program's workers: actor processes and the evaluator.

An actor worker steps its K environments (one or several tasks) with a batched
actor, writes trajectories to the replay queue, fetches the learner's weights
every few steps, counts env steps on the shared counter and logs episode
returns per task. The evaluator plays a few episodes of every task with the
latest weights, at a fixed period, and logs returns per task.
"""

import collections
import os
import threading
import time
from typing import Dict, List, Optional

from absl import logging
from acme.tf import variable_utils as tf2_variable_utils
from acme.utils import counting
import numpy as np
import reverb
import tensorflow as tf

from acme_kickstart.agents.kickstarting import acting
from acme_kickstart.agents.kickstarting import task_scores
from acme_kickstart.agents.kickstarting import vector_env
from acme_kickstart.agents.kickstarting.builder import KickstartingBuilder
from acme_kickstart.experiments import factories
from acme_kickstart.experiments import stopping
from acme_kickstart.experiments.config import ExperimentConfig
from acme_kickstart.experiments.config import Topology
from acme_kickstart.utils import loggers
from acme_kickstart.utils import run_dirs
from acme_kickstart.utils import seeding


def _returns_by_task(episodes: List[acting.Episode],
                     task_names) -> Dict[str, float]:
  """Mean return per task, NaN for a task without a finished episode.

  Every task has its key in every row: acme's CSVLogger fixes its columns at
  the first row, so a task whose first episode ends later would be dropped.
  """
  by_task = task_scores.returns_by_task(episodes, task_names)
  return {f'return/{task}': (float(np.mean(by_task[task])) if task in by_task
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
  directory = run_dirs.join(run_dir, 'pids')
  run_dirs.makedirs(directory)
  with run_dirs.open(run_dirs.join(directory, label), 'w') as f:
    f.write(str(os.getpid()))


def launch_index(counter) -> int:
  """Which launch of its run directory this is (1 for the first).

  The checkpointed counter counts its launches (`launches`); a plain counter
  (tests, single-process use) has no such count: a first launch.
  """
  return int(counter.get_counts().get('launches', 1))


class ActorWorker:
  """One actor process: K environments, their teachers, and the student."""

  def __init__(self, experiment: ExperimentConfig, topology: Topology,
               actor_id: int, replay: reverb.Client, variable_source, counter):
    limit_tf_threads(topology.actor_tf_threads)
    # Calls to the learner and the counter give up once the program stops
    # (stopping.py), as do writes to a full queue (`_act`).
    variable_source = stopping.stop_aware(variable_source)
    counter = stopping.stop_aware(counter)
    self._experiment = experiment
    self._run = experiment.run
    builder = KickstartingBuilder(experiment.agent)
    tasks = topology.tasks_of_actor(experiment.tasks, actor_id,
                                    experiment.agent.num_envs_per_actor)
    *env_seeds, actor_seed = seeding.launch_seeds(
        experiment.seed, launch_index(counter), (seeding.ACTOR, actor_id),
        len(tasks) + 1)
    envs = [factories.make_environment(experiment, task, seed=env_seed)
            for task, env_seed in zip(tasks, env_seeds)]
    spec = vector_env.check_environments(envs)
    network = factories.build_network(
        factories.make_network(experiment, spec.actions.num_values), spec)
    self._writer = builder.make_adder(replay, len(envs))
    self._actor = builder.make_actor(
        network, envs, self._writer,
        teachers=factories.load_teachers(experiment, tasks),
        variable_source=variable_source,
        variable_update_period=topology.variable_update_period,
        seed=actor_seed)
    # Synced on every increment (once per row): a row's actor_steps is then
    # the shared counter's saved count, never a local estimate ahead of it.
    self._counter = counting.Counter(counter, prefix='actor', time_delta=0.)
    self._logger = loggers.make_logger(
        self._run.run_dir, f'actor_{actor_id}',
        terminal_seconds=self._run.progress_period_seconds if actor_id == 0
        else None)
    self._label = f'actor_{actor_id}'

  def run(self):
    write_pid(self._run.run_dir, self._label)
    if stopping.run_until_stopped(self._act, self._label):
      self._writer.close()  # Before the replay server stops.

  def _act(self, stop: threading.Event):
    self._writer.give_up_when(stop)
    tasks = self._experiment.tasks
    episodes, steps_since, last_log = [], 0, time.time()
    while not stop.is_set():
      steps_since += self._actor.step()
      episodes.extend(self._actor.pop_episodes())
      now = time.time()
      if now - last_log >= self._run.progress_period_seconds:
        # The per-task return totals ride on the same call: the learner's
        # score feed for the gated lambda schedule (task_scores.py).
        counts = self._counter.increment(
            steps=steps_since,
            **task_scores.increments(task_scores.returns_by_task(
                episodes, tasks)))
        record = {'actor_steps': counts.get('actor_steps', 0),
                  'steps_per_second': steps_since / (now - last_log),
                  'episodes': len(episodes)}
        record.update(_returns_by_task(episodes, tasks))
        self._logger.write(record)
        episodes, steps_since, last_log = [], 0, now


class EvaluatorWorker:
  """Plays every task with the latest weights and logs the returns.

  It keeps the returns of its last few rounds for PBT, which scores them
  (pbt/fitness.py). PBT calls `recent_returns` and `reset_returns` through
  courier, from other threads than the one running `evaluate_once`; a lock
  guards the rounds they share.
  """

  def __init__(self, experiment: ExperimentConfig, variable_source, counter,
               tf_threads: int = 1):
    limit_tf_threads(tf_threads)
    variable_source = stopping.stop_aware(variable_source)
    counter = stopping.stop_aware(counter)
    self._experiment = experiment
    self._run = experiment.run
    per_task = self._run.evaluator_episodes_per_task
    tasks = [t for t in experiment.tasks for _ in range(per_task)]
    *env_seeds, seed = seeding.launch_seeds(
        experiment.seed, launch_index(counter), (seeding.EVALUATOR,),
        len(tasks) + 1)
    envs = [factories.make_environment(experiment, task, seed=env_seed,
                                       mode='test')
            for task, env_seed in zip(tasks, env_seeds)]
    spec = vector_env.check_environments(envs)
    network = factories.build_network(
        factories.make_network(experiment, spec.actions.num_values), spec)
    # Its own variable client, not the actor's: an actor's fetches weights
    # in the background as it steps, but a round must play one set of weights.
    self._variable_client = tf2_variable_utils.VariableClient(
        variable_source, {'policy': network.variables})
    self._actor = KickstartingBuilder(experiment.agent).make_actor(
        network, envs, seed=seed)
    self._num_episodes = len(envs)
    self._counter = counting.Counter(counter, prefix='evaluator')
    self._logger = loggers.make_logger(self._run.run_dir, 'evaluator',
                                       terminal_seconds=0.0)
    self._recent = collections.deque(maxlen=self._run.evaluator_rounds_kept)
    # Bumped by every exploit: a round counts only if none came after it began.
    self._generation = 0
    self._lock = threading.Lock()

  def recent_returns(self, rounds: Optional[int] = None
                     ) -> Optional[Dict[str, List[float]]]:
    """Task -> returns of the last `rounds` rounds kept (None before one)."""
    with self._lock:
      recent = list(self._recent)
    if rounds is not None:
      recent = recent[-rounds:]
    if not recent:
      return None
    returns = collections.defaultdict(list)
    for round_returns in recent:
      for task, values in round_returns.items():
        returns[task].extend(values)
    return dict(returns)

  def reset_returns(self):
    """Forgets every round begun so far: an exploit replaced their weights."""
    with self._lock:
      self._generation += 1
      self._recent.clear()

  def evaluate_once(self, stop=None) -> Optional[Dict[str, float]]:
    """One round: a fresh episode in every environment, latest weights.

    Returns None, logging nothing, if `stop` is set before the round ends.
    The round is logged but not kept if `reset_returns` was called after it
    began: it may have played the replaced weights.
    """
    with self._lock:
      generation = self._generation  # Before the fetch: strict on purpose.
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
    tasks = self._experiment.tasks
    round_returns = collections.defaultdict(list)
    for episode in finished:
      round_returns[tasks[episode.task_id]].append(episode.episode_return)
    with self._lock:
      current = generation == self._generation
      if current:
        self._recent.append(dict(round_returns))
    if not current:
      logging.info('Evaluator: an exploit replaced the weights during this '
                   'round; its returns are not kept for the fitness.')
    counts = self._counter.increment(episodes=len(finished))
    record = {'actor_steps': counts.get('actor_steps', 0),
              'evaluator_episodes': counts.get('evaluator_episodes', 0)}
    record.update(_returns_by_task(finished, tasks))
    record['return/mean'] = float(np.nanmean(
        [record[f'return/{t}'] for t in tasks]))
    self._logger.write(record)
    return record

  def run(self):
    stopping.run_until_stopped(self._evaluate, 'Evaluator')

  def _evaluate(self, stop: threading.Event):
    while not stop.is_set():
      start = time.time()
      self.evaluate_once(stop)
      stopping.sleep_unless_stopped(
          self._run.evaluator_period_seconds - (time.time() - start), stop)
