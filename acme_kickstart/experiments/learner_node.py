"""The learner's Launchpad node: it trains, checkpoints and serves its state."""

import os
import threading
from typing import Any, Dict, List, Optional

from absl import logging
from acme.utils import counting
import launchpad as lp
import numpy as np
import reverb

from acme_kickstart.agents.kickstarting import learning
from acme_kickstart.agents.kickstarting.builder import KickstartingBuilder
from acme_kickstart.experiments import factories
from acme_kickstart.experiments import stopping
from acme_kickstart.experiments import workers
from acme_kickstart.experiments.config import ExperimentConfig
from acme_kickstart.experiments.config import Topology
from acme_kickstart.utils import loggers
from acme_kickstart.utils import run_dirs

# How long a learner's dataset streams wait for data before they end and the
# learner returns to Python (so it can stop): builder.make_dataset.
DATASET_TIMEOUT_MS = 2_000


def checkpoint_dir(experiment: ExperimentConfig) -> str:
  """The Checkpointer adds 'checkpoints/<subdirectory>' to this."""
  return run_dirs.resolve(experiment.run.run_dir)


class LearnerNode:
  """The learner's Launchpad node: trains, checkpoints, serves its state.

  Its methods are what other nodes call through courier: actors and the
  evaluator `get_variables`; PBT reads `get_num_steps`, `has_checkpoint` and
  `get_hyperparameters`, and changes the learner with `set_hyperparameters`
  and, for an exploit, `get_state`/`set_state`, which copy a whole learner
  (network, optimizer state, hyperparameters) between two of its steps.
  Whatever changes the learner's state checkpoints at once, so a restarted
  learner keeps it.
  """

  def __init__(self, learner, directory: str, period_minutes: float,
               max_nonfinite_steps: int = 20,
               stop_grace_seconds: float = stopping.STOP_GRACE_SECONDS):
    self._learner = learner
    self._lock = threading.Lock()  # A step, or a state copy, at a time.
    self._max_nonfinite_steps = max_nonfinite_steps
    self._stop_grace_seconds = stop_grace_seconds
    # Set when `run` leaves its training thread behind; that thread must then
    # never save again: in one process launched twice (local_mt), its late
    # save would put this old learner into the next launch's checkpoints.
    self._abandoned = threading.Event()
    self._save_lock = threading.Lock()  # The check and the save, as one.
    self._exit = os._exit  # pylint: disable=protected-access
    self._checkpointer = run_dirs.Checkpointer(
        {'learner': learner.state}, directory=directory,
        subdirectory='learner',
        time_delta_minutes=period_minutes)

  def run(self):
    """Trains until stopped; a last checkpoint on the way out.

    The steps run in a second thread (`run_until_stopped`): a step blocked in
    C++ in the main thread would defer Launchpad's SIGTERM handler forever. At
    a program's end the replay and counter nodes stop too. While the replay
    server answers, a step's batch waits at most the dataset's timeout, and
    its counter.increment (through a `stopping.StopAwareClient`) raises
    `ProgramStopped` once the counter no longer answers; the step then has
    applied and saves its update, uncounted. Then the learner closes its
    Reverb streams (its iterators), before the replay server stops.
    A step still waiting for its batch when the replay server stops never
    returns: Reverb's sampler retries an unavailable server without end, and
    the dataset's timeout counts only while the server answers (a learner
    waits for data often: about a third of the study's runs ended so). That
    is the last resort: after `stop_grace_seconds` the learner saves without
    the lock and, in a process of its own, exits.
    Such a step has either not started its update (no batch yet) or finished
    it (it is counting), so the saved weights are whole.
    """
    if stopping.run_until_stopped(self._train, 'Learner',
                                  self._stop_grace_seconds):
      close = getattr(self._learner, 'close', None)
      if close is not None:
        with self._lock:
          close()
      return
    with self._save_lock:  # Waits out a save the thread has begun.
      self._abandoned.set()
    self._checkpointer.save(force=True)  # Without self._lock: see above.
    if threading.current_thread() is threading.main_thread():
      self._exit(0)  # This process is the learner's own (local_mp, hosts).

  def _train(self, stop: threading.Event):
    failures = 0
    while not stop.is_set():
      with self._lock:
        try:
          self._learner.step()
          failures = 0
        except stopping.ProgramStopped as e:
          # The counter stopped first: this step's update is applied, and
          # saved on the way out; only its count is lost.
          logging.info('Learner: %s', e)
          break
        except learning.NonFiniteLossError as e:
          # The update was not applied; the batch is dropped.
          failures += 1
          logging.error('%s (%d in a row)', e, failures)
          if failures >= self._max_nonfinite_steps:
            logging.error('Stopping the program: %d non-finite losses in a '
                          'row; the last checkpoint holds finite weights.',
                          failures)
            lp.stop()
            return
        self._save_unless_abandoned(force=False)
    with self._lock:
      self._save_unless_abandoned(force=True)

  def _save_unless_abandoned(self, force: bool):
    with self._save_lock:
      if not self._abandoned.is_set():
        self._checkpointer.save(force=force)

  def save(self):
    with self._lock:
      self._checkpointer.save(force=True)

  def has_checkpoint(self) -> bool:
    """Whether this learner's state is on disk (restored or saved)."""
    return self._checkpointer._checkpoint_manager.latest_checkpoint is not None  # pylint: disable=protected-access

  def set_hyperparameters(self, **hyperparameters):
    """The learner's, then a checkpoint at once if they changed: a restart
    must never bring back values that PBT replaced after the last save."""
    with self._lock:
      before = self._learner.get_hyperparameters()
      self._learner.set_hyperparameters(**hyperparameters)
      if self._learner.get_hyperparameters() != before:
        self._checkpointer.save(force=True)

  def get_state(self) -> List[np.ndarray]:
    """Network, optimizer and hyperparameter values, read between two steps."""
    with self._lock:
      return [v.numpy() for v in self._learner.exploit_variables()]

  def set_state(self, values: List[np.ndarray],
                hyperparameters: Optional[Dict[str, Any]] = None):
    """Takes another learner's state (then `hyperparameters`), atomically."""
    with self._lock:
      variables = self._learner.exploit_variables()
      if len(values) != len(variables) or any(
          np.shape(v) != tuple(var.shape) for v, var in zip(values, variables)):
        raise ValueError('set_state got the state of a learner with another '
                         'network or optimizer; exploit needs one architecture.')
      for variable, value in zip(variables, values):
        variable.assign(value)
      if hyperparameters:
        self._learner.set_hyperparameters(**hyperparameters)
      self._checkpointer.save(force=True)

  def get_variables(self, names: List[str]) -> List[List[np.ndarray]]:
    """The latest weights, for actors' and evaluators' variable clients."""
    return self._learner.get_variables(names)

  def get_num_steps(self) -> int:
    return self._learner.get_num_steps()

  def get_hyperparameters(self) -> Dict[str, Any]:
    return self._learner.get_hyperparameters()

  @property
  def learner(self):
    """The wrapped learner (in-process use: tests, single-process tools)."""
    return self._learner


def make_learner_node(experiment: ExperimentConfig, topology: Topology,
                      replay: reverb.Client, counter) -> LearnerNode:
  """The learner, checkpointing network, optimizer and hyperparameters."""
  run = experiment.run
  workers.write_pid(run.run_dir, 'learner')
  builder = KickstartingBuilder(experiment.agent)
  spec = factories.environment_spec(experiment)
  network = factories.build_network(
      factories.make_network(experiment, spec.actions.num_values), spec)
  dataset = builder.make_dataset(replay.server_address,
                                 topology.num_dataset_streams,
                                 timeout_ms=DATASET_TIMEOUT_MS)
  learner = builder.make_learner(
      network, dataset, experiment.tasks,
      # Its sync gives up once the program stops: the counter may stop
      # first (stopping.py).
      counter=counting.Counter(stopping.stop_aware(counter), prefix='learner'),
      logger=loggers.make_logger(run.run_dir, 'learner',
                                 terminal_seconds=None,
                                 min_seconds=run.progress_period_seconds),
      score_ranges=factories.score_ranges(experiment),
      teacher_tasks=list(experiment.teachers),
      events_logger=loggers.make_events_logger(run.run_dir),
      replay_reader=builder.make_replay_reader(replay.server_address,
                                               DATASET_TIMEOUT_MS))
  return LearnerNode(learner, checkpoint_dir(experiment),
                     run.checkpoint_minutes)
