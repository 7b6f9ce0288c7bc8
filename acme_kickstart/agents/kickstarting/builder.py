"""Builds the kickstarted IMPALA agent's parts, as acme's IMPALABuilder does.

`KickstartingBuilder(agent_config)` makes the replay tables, the dataset
iterator, the adder, the actor and the learner. Every runner builds through
it: the single-process agent (agent.py), the Launchpad program's actor,
evaluator and learner nodes (experiments/workers.py and learner_node.py), and
policy evaluation (experiments/evaluation.py). What depends on the experiment
rather than on the agent (suite, environments, network, teachers) is in
experiments/factories.py.
"""

from typing import Iterator, List, Optional, Sequence

from acme import datasets
from acme import specs
from acme.adders import reverb as adders_reverb
from acme.tf import variable_utils as tf2_variable_utils
import dm_env
import reverb
import sonnet as snt
import tensorflow as tf

from acme_kickstart.agents.kickstarting import acting
from acme_kickstart.agents.kickstarting import distillation_replay
from acme_kickstart.agents.kickstarting import learning
from acme_kickstart.agents.kickstarting import stopping
from acme_kickstart.agents.kickstarting.adders import BatchedSequenceAdder
from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.teachers import TeacherSet


class KickstartingBuilder:
  """Replay, dataset, adder, actor and learner of one kickstarted student."""

  def __init__(self, config: KickstartingConfig):
    self._config = config

  @property
  def config(self) -> KickstartingConfig:
    return self._config

  def make_replay_tables(self, environment_spec: specs.EnvironmentSpec,
                         network: snt.RNNCore,
                         min_size: int = 0) -> List[reverb.Table]:
    """The Reverb queue that carries trajectories from actors to the learner,
    and the distillation replay's table when the config has a replay ratio.

    `min_size`: room the queue must have at least (the single-process agent
    needs a whole batch plus one actor step's items, so no insert blocks).
    """
    queue = reverb.Table.queue(
        name=adders_reverb.DEFAULT_PRIORITY_TABLE,
        max_size=max(self._config.max_queue_size, min_size),
        signature=adders_reverb.SequenceAdder.signature(
            environment_spec,
            extras_spec=acting.extras_spec(
                network, environment_spec.actions.num_values),
            sequence_length=self._config.sequence_length))
    # With a replay ratio, the distillation replay's FIFO window beside it.
    return [queue] + distillation_replay.make_tables(queue, self._config)

  def make_dataset_iterator(self, server_address: str) -> Iterator:
    """Batches of the queue's sequences: acme's dataset of one stream.

    For the single-process agent, which steps the learner only once a whole
    batch is in the queue: a single stream holds no partial batch that could
    wait, and no timeout is needed.
    """
    batch_size = self._config.batch_size
    return iter(datasets.make_reverb_dataset(
        server_address=server_address, batch_size=batch_size,
        num_parallel_calls=1, max_in_flight_samples_per_worker=batch_size))

  def make_dataset(self, server_address: str, num_streams: int,
                   timeout_ms: int) -> tf.data.Dataset:
    """The distributed learner's batches, read over `num_streams` streams.

    A dataset, not an iterator, because it ends: a stream that waits longer
    than `timeout_ms` for data ends, and once all have, so does an iterator
    of it, so a learner blocked on an empty queue returns to Python (and can
    stop); the learner then iterates it afresh. A queue item leaves the table
    when sampled, so an ended iterator must not drop what it took: the
    streams' items are batched after the interleave, keeping the remainder,
    and an iterator's last batch before a timeout may be smaller (the learner
    trains on it; its losses are means over real steps). (Holding the
    remainder for the next iterator in Python, e.g. through from_generator,
    can deadlock a program's shutdown: an iterator destroyed while its
    generator waits for the GIL never returns.)
    """
    batch_size = self._config.batch_size

    def stream(unused_index):
      return reverb.TrajectoryDataset.from_table_signature(
          server_address=server_address,
          table=adders_reverb.DEFAULT_PRIORITY_TABLE,
          max_in_flight_samples_per_worker=2 * batch_size,
          rate_limiter_timeout_ms=timeout_ms)
    dataset = tf.data.Dataset.range(num_streams).interleave(
        stream, cycle_length=num_streams, num_parallel_calls=num_streams,
        deterministic=False)
    return stopping.without_autotune(dataset.batch(batch_size).prefetch(2))

  def make_adder(self, replay_client: reverb.Client,
                 num_envs: int) -> BatchedSequenceAdder:
    """The writer of `num_envs` environments' overlapping sequences."""
    return BatchedSequenceAdder(
        replay_client, num_envs, self._config.sequence_length,
        self._config.period,
        replay_table=distillation_replay.table_name(self._config))

  def make_replay_reader(self, server_address: str, timeout_ms: int = 2_000
                         ) -> Optional[distillation_replay.ReplayReader]:
    """The learner's reader of the distillation replay (None at ratio 0)."""
    return distillation_replay.make_reader(server_address, self._config,
                                           timeout_ms=timeout_ms)

  def make_actor(self,
                 network: snt.RNNCore,
                 environments: Sequence[dm_env.Environment],
                 adder: Optional[BatchedSequenceAdder] = None,
                 teachers: Optional[TeacherSet] = None,
                 variable_source=None,
                 variable_update_period: int = 1,
                 seed: int = 0,
                 greedy: bool = False) -> acting.BatchedActor:
    """A batched actor of `environments`; it writes to `adder` if given.

    With a `variable_source` (the learner, or its courier handle) the actor
    fetches the latest weights before its first step and then every
    `variable_update_period` steps; an evaluator passes a period and calls
    `actor.update(wait=True)` itself before each round.
    """
    variable_client = None
    if variable_source is not None:
      variable_client = tf2_variable_utils.VariableClient(
          variable_source, {'policy': network.variables},
          update_period=variable_update_period)
      variable_client.update_and_wait()
    return acting.BatchedActor(
        network, environments, adder, teachers=teachers,
        variable_client=variable_client, seed=seed, greedy=greedy)

  def make_learner(self, network: snt.RNNCore, dataset: Iterator,
                   task_names: Sequence[str], counter=None, logger=None,
                   score_ranges=None, events_logger=None,
                   replay_reader=None,
                   teacher_tasks=None) -> learning.KickstartingLearner:
    """The learner; `score_ranges` (task -> (random, reference) returns)
    feed the gated lambda schedule (experiments/factories.py);
    `replay_reader` (make_replay_reader) its distillation replay;
    `teacher_tasks` the tasks with a teacher (None: all)."""
    config = self._config
    return learning.KickstartingLearner(
        network=network,
        dataset=dataset,
        num_tasks=len(task_names),
        task_names=task_names,
        teacher_tasks=teacher_tasks,
        sequence_period=config.period,
        learning_rate=config.learning_rate,
        distillation_costs=config.distillation_costs,
        entropy_cost=config.entropy_cost,
        baseline_cost=config.baseline_cost,
        discount=config.discount,
        max_abs_reward=config.max_abs_reward,
        max_gradient_norm=config.max_gradient_norm,
        reward_clipping=config.reward_clipping,
        schedule=config.distillation_schedule,
        score_ranges=score_ranges,
        optimizer=config.optimizer,
        rmsprop_decay=config.rmsprop_decay,
        rmsprop_epsilon=config.rmsprop_epsilon,
        rmsprop_initial_mean_square=config.rmsprop_initial_mean_square,
        loss_reduction=config.loss_reduction,
        learning_rate_decay_env_steps=config.learning_rate_decay_env_steps,
        popart=config.popart,
        popart_step_size=config.popart_step_size,
        counter=counter,
        logger=logger,
        events_logger=events_logger,
        distillation_replay=replay_reader,
        distillation_replay_ratio=config.distillation_replay_ratio,
        distillation_replay_burn_in=config.distillation_replay_burn_in)
