"""Builds the agent's parts from configs: networks, environments, replay, learner.

Shared by the single-process agent (agent.py) and the Launchpad program
(program.py), so both build the same things the same way.
"""

from typing import Dict, List, Optional, Sequence, Tuple

from acme import specs
from acme.adders import reverb as adders
from acme.tf import utils as tf2_utils
import dm_env
import reverb
import sonnet as snt
import tensorflow as tf

from acme_kickstart import networks
from acme_kickstart import run_dirs
from acme_kickstart.agents.kickstarting import acting
from acme_kickstart.agents.kickstarting import distillation_replay
from acme_kickstart.agents.kickstarting import learning
from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.agents.kickstarting.config import ProgramConfig
from acme_kickstart.environments import base as suite_base
from acme_kickstart.environments import minatar
from acme_kickstart import teacher_specs
from acme_kickstart.teachers import Teacher, TeacherSet

NETWORKS = {
    'minatar': networks.MinAtarNetwork,
    'small_impala': networks.SmallImpalaNetwork,
    'large_impala': networks.LargeImpalaNetwork,
}


def make_network(config: ProgramConfig, num_actions: int) -> snt.RNNCore:
  if config.network not in NETWORKS:
    raise ValueError(f'Unknown network {config.network!r}; known: '
                     f'{sorted(NETWORKS)}.')
  return NETWORKS[config.network](num_actions, **config.network_kwargs)


MODES = ('train', 'test')


def make_environment(config: ProgramConfig, task: str,
                     seed: Optional[int] = None,
                     mode: str = 'train') -> dm_env.Environment:
  """One environment of the suite; its task id is the task's index.

  Actors use mode 'train'; the evaluator 'test', which a suite with its own
  test protocol honours through a `make_test_environment` function (DMLab-30:
  IMPALA's held-out `_test` levels); other suites play the same environment
  in both modes.
  """
  if mode not in MODES:
    raise ValueError(f'Unknown mode {mode!r}: use one of {MODES}.')
  env = _make_suite_environment(config, task, seed, mode)
  if config.previous_action_reward:
    from acme_kickstart.environments import wrappers  # pylint: disable=g-import-not-at-top
    env = wrappers.PreviousActionReward(env)
  return env


def _suite_module(suite: str):
  """The suite's environment module (imports no simulator)."""
  if suite == 'minatar5':
    return minatar
  if suite == 'dmlab30':
    from acme_kickstart.environments import dmlab30  # pylint: disable=g-import-not-at-top
    return dmlab30
  if suite == 'procgen':
    from acme_kickstart.environments import procgen  # pylint: disable=g-import-not-at-top
    return procgen
  raise ValueError(f"Unknown suite {suite!r}: use 'minatar5', 'dmlab30' or "
                   "'procgen'.")


def _make_suite_environment(config: ProgramConfig, task: str,
                            seed: Optional[int],
                            mode: str) -> dm_env.Environment:
  task_id = list(config.tasks).index(task)
  module = _suite_module(config.suite)
  make = module.make_environment
  if mode == 'test':
    make = getattr(module, 'make_test_environment', make)
  return make(task, task_id=task_id, seed=seed, **config.env_kwargs)


def environment_spec(config: ProgramConfig) -> specs.EnvironmentSpec:
  """The suite's spec, known without building an environment.

  The replay and learner nodes need only the spec, so their hosts need no
  simulator (no deepmind_lab on a DMLab-30 learner). A test checks it equals
  every suite's real environment spec.
  """
  module = _suite_module(config.suite)
  observations = module.observation_spec()
  if config.previous_action_reward:
    from acme_kickstart.environments import wrappers  # pylint: disable=g-import-not-at-top
    observations = wrappers.with_previous_action_reward(observations,
                                                        module.NUM_ACTIONS)
  return specs.EnvironmentSpec(
      observations=observations,
      actions=suite_base.action_spec(module.NUM_ACTIONS),
      rewards=suite_base.reward_spec(), discounts=suite_base.discount_spec())


def check_environments(
    environments: Sequence[dm_env.Environment]) -> specs.EnvironmentSpec:
  """All environments must share one spec (each suite pads to one)."""
  spec = specs.make_environment_spec(environments[0])
  for env in environments[1:]:
    if specs.make_environment_spec(env) != spec:
      raise ValueError('All environments of one actor must share one spec; '
                       f'{env} differs from {environments[0]}.')
  return spec


def make_queue(spec: specs.EnvironmentSpec, network: snt.RNNCore,
               config: KickstartingConfig, min_size: int = 0) -> reverb.Table:
  """The Reverb queue that carries trajectories from actors to the learner."""
  return reverb.Table.queue(
      name=adders.DEFAULT_PRIORITY_TABLE,
      max_size=max(config.max_queue_size, min_size),
      signature=adders.SequenceAdder.signature(
          spec,
          extras_spec=acting.extras_spec(network, spec.actions.num_values),
          sequence_length=config.sequence_length))


def make_replay_tables(config: ProgramConfig) -> List[reverb.Table]:
  """The program's replay: one queue, signature from the suite and network."""
  spec = environment_spec(config)
  network = make_network(config, spec.actions.num_values)
  queue = make_queue(spec, network, config.agent)
  return [queue] + distillation_replay.make_tables(queue, config.agent)


def _check_snapshots_exist(config: ProgramConfig, tasks: Sequence[str]):
  """One clear error for a missing teacher snapshot (local or scheme:// path)."""
  for task in tasks:
    directory = teacher_specs.as_spec(config.teachers[task]).snapshot
    path = run_dirs.join(run_dirs.resolve(directory), 'saved_model.pb')
    if not run_dirs.exists(path):
      raise FileNotFoundError(
          f'The teacher of task {task!r} has no snapshot at {directory!r} '
          '(no saved_model.pb). Train it with launch/train_teacher.py '
          f'--game={task} --output={directory} (or `make teachers`), or '
          'remove it from the config to train that task without a teacher.')


def check_teacher_snapshots(config: ProgramConfig):
  """Fails fast, before anything launches, if a teacher cannot be used.

  A missing snapshot, one TF cannot load, or a teacher that does not fit the
  suite (its inputs, or its action map against its outputs) would otherwise
  fail inside an actor, after the replay, learner and counter have started.
  The nodes that load teachers check again (load_teachers), as they may run
  on hosts that do not see the same files.
  """
  if config.teachers:
    spec = environment_spec(config)
    load_teachers(config, spec.actions.num_values, spec.observations)


def load_teachers(config: ProgramConfig, num_actions: int, observation_spec,
                  tasks: Optional[Sequence[str]] = None) -> Optional[TeacherSet]:
  """Loads the teacher of each task in `tasks` that has one in the config."""
  wanted = [t for t in (tasks or config.tasks) if t in config.teachers]
  if not wanted:
    return None
  _check_snapshots_exist(config, sorted(set(wanted)))
  teachers = {}
  for task in sorted(set(wanted)):
    spec = teacher_specs.as_spec(config.teachers[task])
    try:
      teachers[list(config.tasks).index(task)] = Teacher.from_snapshot(
          spec.snapshot, name=f'{task}_teacher',
          **teacher_specs.teacher_options(spec, config.suite, task))
    except ValueError as e:
      raise ValueError(f'The teacher of task {task!r} ({spec.snapshot}): '
                       f'{e}') from e
  return TeacherSet(teachers, len(config.tasks), num_actions, observation_spec,
                    task_names=config.tasks)


def make_dataset(server_address: str, batch_size: int, num_streams: int,
                 timeout_ms: int) -> tf.data.Dataset:
  """Batches from the replay queue, read over `num_streams` Reverb streams.

  Each stream has Reverb's rate-limiter timeout: a stream that waits longer
  than `timeout_ms` for data ends, and once all have, so does an iterator of
  this dataset, so a learner blocked on an empty queue returns to Python (and
  can stop); its next iterator opens fresh streams. A queue item leaves the
  table when sampled, so an ended iterator must not drop what it took: the
  streams' items are batched after the interleave, keeping the remainder, and
  an iterator's last batch before a timeout may be smaller (the learner trains
  on it; the losses are means over the batch). Batching each stream with
  drop_remainder lost up to batch_size - 1 items per stream at every timeout.
  (Holding the remainder for the next iterator in Python, e.g. through
  from_generator, can deadlock a program's shutdown: an iterator destroyed
  while its generator waits for the GIL never returns.)
  """
  def stream(unused_index):
    return reverb.TrajectoryDataset.from_table_signature(
        server_address=server_address, table=adders.DEFAULT_PRIORITY_TABLE,
        max_in_flight_samples_per_worker=2 * batch_size,
        rate_limiter_timeout_ms=timeout_ms)
  dataset = tf.data.Dataset.range(num_streams).interleave(
      stream, cycle_length=num_streams, num_parallel_calls=num_streams,
      deterministic=False)
  return dataset.batch(batch_size).prefetch(2)


def score_ranges(config: ProgramConfig) -> Dict[str, Tuple[float, float]]:
  """Per task with a teacher and a reference score: (random, reference)
  returns, the 0 and 1 of the gate's teacher-normalised score s_k."""
  from acme_kickstart import scoring  # pylint: disable=g-import-not-at-top
  low = scoring.random_scores(
      config.suite, config.tasks,
      config.env_kwargs.get('distribution_mode', 'easy'))
  ranges = {task: (float(low[task]), float(config.reference_scores[task]))
            for task in config.tasks
            if task in config.teachers and task in config.reference_scores}
  gated_tasks = [t for t in config.teachers if t not in ranges]
  if config.agent.distillation_schedule.gated and gated_tasks:
    raise ValueError(
        f'The gated lambda schedule needs a reference score for every task '
        f'with a teacher; missing for {sorted(gated_tasks)}. Add them to '
        'ProgramConfig.reference_scores (e.g. teacher.json evaluation_return).')
  return ranges


def make_learner(network: snt.RNNCore, dataset, config: KickstartingConfig,
                 task_names: Sequence[str], logger=None, counter=None,
                 score_ranges=None, events_logger=None,
                 replay_reader=None) -> learning.KickstartingLearner:
  num_tasks = len(task_names)
  return learning.KickstartingLearner(
      network=network,
      dataset=dataset,
      num_tasks=num_tasks,
      task_names=task_names,
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
      counter=counter,
      logger=logger,
      events_logger=events_logger,
      distillation_replay=replay_reader,
      distillation_replay_ratio=config.distillation_replay_ratio,
      distillation_replay_burn_in=config.distillation_replay_burn_in)


def build_network(network: snt.RNNCore, spec: specs.EnvironmentSpec):
  tf2_utils.create_variables(network, [spec.observations])
  return network
