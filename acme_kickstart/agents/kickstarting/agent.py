"""Single-process kickstarted IMPALA: a batched actor, a Reverb queue, a learner.

For tests and small runs. It cannot hang the way acme's single-process IMPALA
can: it reads a single Reverb stream (acme's default of 12 parallel streams each
hold a partial batch) and runs a learner step only when a whole batch of items
has been created and not yet consumed; created items reach Reverb on the
writer's own threads, and the queue has room for all of them.
"""

from typing import List, Optional, Sequence

from acme.tf import savers as tf2_savers
from acme.tf import utils as tf2_utils
from acme.utils import counting
from acme.utils import loggers
import dm_env
import reverb
import sonnet as snt
import tensorflow as tf

from acme_kickstart.agents.kickstarting import acting
from acme_kickstart.agents.kickstarting import learning
from acme_kickstart.agents.kickstarting import task_scores
from acme_kickstart.agents.kickstarting import vector_env
from acme_kickstart.agents.kickstarting.builder import KickstartingBuilder
from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.teachers import TeacherSet


class KickstartingAgent:
  """A kickstarted IMPALA student trained in this process."""

  def __init__(self,
               environments: Sequence[dm_env.Environment],
               network: snt.RNNCore,
               config: KickstartingConfig,
               task_names: Sequence[str],
               teachers: Optional[TeacherSet] = None,
               logger: Optional[loggers.Logger] = None,
               score_ranges=None,
               events_logger: Optional[loggers.Logger] = None,
               seed: int = 0):
    """`score_ranges` (task -> (random, teacher reference) returns) feed the
    gated lambda schedule, as experiments/factories.py does for an experiment;
    `seed` seeds the actor's action sampling."""
    self._config = config
    self._task_names = list(task_names)
    spec = vector_env.check_environments(environments)
    self._network = network
    tf2_utils.create_variables(network, [spec.observations])
    builder = KickstartingBuilder(config)

    num_envs = len(environments)
    # Room for a whole batch plus one item per environment per actor step, so
    # an insert never blocks on a full queue before the learner drains it.
    self._server = reverb.Server(
        builder.make_replay_tables(spec, network,
                                   min_size=config.batch_size + 2 * num_envs),
        port=None)
    address = f'localhost:{self._server.port}'
    self._writer = builder.make_adder(reverb.Client(address), num_envs)
    dataset = builder.make_dataset_iterator(address)

    # As in the program: episode returns per task reach the learner through
    # the counter (task_scores.py); here one in-process Counter, read at once.
    self._counter = counting.Counter()
    self._actor_counter = counting.Counter(self._counter,
                                           prefix=task_scores.PREFIX,
                                           time_delta=0.0)
    self._learner = builder.make_learner(
        network, dataset, task_names,
        logger=logger or loggers.NoOpLogger(),
        counter=counting.Counter(self._counter, prefix='learner',
                                 time_delta=0.0),
        score_ranges=score_ranges, events_logger=events_logger,
        replay_reader=builder.make_replay_reader(address),
        teacher_tasks=[task_names[k] for k in
                       (teachers.task_ids if teachers is not None else [])])
    self._actor = builder.make_actor(network, environments, self._writer,
                                     teachers=teachers, seed=seed)
    self._batches_consumed = 0
    self.env_steps = 0
    self.episodes: List[acting.Episode] = []

  @property
  def learner(self) -> learning.KickstartingLearner:
    return self._learner

  @property
  def actor(self) -> acting.BatchedActor:
    return self._actor

  @property
  def network(self) -> snt.RNNCore:
    return self._network

  def _unconsumed_items(self) -> int:
    return (self._writer.num_items -
            self._batches_consumed * self._config.batch_size)

  def run(self, num_env_steps: int, callback=None) -> List[acting.Episode]:
    """Acts and learns for `num_env_steps` more env steps; returns episodes."""
    target = self.env_steps + num_env_steps
    while self.env_steps < target:
      self.env_steps += self._actor.step()
      while self._unconsumed_items() >= self._config.batch_size:
        self._batches_consumed += 1
        self._learner.step()
      episodes = self._actor.pop_episodes()
      self.episodes.extend(episodes)
      if episodes:
        self._actor_counter.increment(**task_scores.increments(
            task_scores.returns_by_task(episodes, self._task_names)))
      if callback is not None and episodes:
        callback(self, episodes)
    return self.episodes

  def save_snapshot(self, directory: str) -> str:
    """Writes an acme snapshot (SavedModel) of the student network there."""
    tf.saved_model.save(tf2_savers.make_snapshot(self._network), directory)
    return directory

  def close(self):
    self._writer.flush(timeout_ms=5_000)
    self._writer.close()
    self._server.stop()

  def __enter__(self):
    return self

  def __exit__(self, *unused):
    self.close()
