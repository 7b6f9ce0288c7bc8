"""Configuration of the kickstarted IMPALA agent."""

import dataclasses
from typing import Any, Dict, List, Optional, Sequence

from acme_kickstart.agents.kickstarting.schedules import LambdaSchedule


@dataclasses.dataclass
class KickstartingConfig:
  """Hyperparameters of a kickstarted IMPALA student.

  `learning_rate`, `entropy_cost` and `distillation_costs` are the initial values
  of tf.Variables in the learner: PBT (or anyone) may change them while training.
  """
  # IMPALA / V-trace.
  learning_rate: float = 1e-3
  entropy_cost: float = 0.01
  baseline_cost: float = 0.5
  discount: float = 0.99
  max_abs_reward: Optional[float] = None
  max_gradient_norm: Optional[float] = 40.0
  # None, or 'soft_asymmetric' (IMPALA's DMLab-30: 5 tanh(r/5), negatives x0.3).
  reward_clipping: Optional[str] = None
  optimizer: str = 'adam'  # 'adam' (acme's choice) or 'rmsprop' (IMPALA paper's).
  rmsprop_decay: float = 0.99
  rmsprop_epsilon: float = 0.1
  # Sonnet's RMSProp starts its mean square at 0; TF1's (IMPALA's) at 1.
  rmsprop_initial_mean_square: float = 0.0
  # 'mean' over the real steps of a batch (acme) or 'sum' (scalable_agent,
  # whose published hyperparameters assume summed losses).
  loss_reduction: str = 'mean'
  # If set, the learning rate decays linearly to 0 over this many real env
  # steps consumed by the learner (IMPALA's DMLab-30 schedule).
  learning_rate_decay_env_steps: Optional[int] = None
  # Kickstarting: lambda_k per task, k indexing the suite's tasks. A task with
  # no teacher trains with lambda 0 whatever is set here.
  distillation_costs: Sequence[float] = (1.0,)
  # How lambda_k moves over the real env steps the learner trains on:
  # constant, linear, exponential, gated (on top of any), or pbt
  # (schedules.py).
  distillation_schedule: LambdaSchedule = dataclasses.field(
      default_factory=LambdaSchedule)
  # Deprecated: N here is distillation_schedule=LambdaSchedule('linear',
  # decay_env_steps=N) (lambda to 0 over N real env steps).
  distillation_anneal_steps: Optional[int] = None
  # Replay (a Reverb queue) and batching.
  batch_size: int = 32
  sequence_length: int = 20
  # Steps between the starts of consecutive sequences; None means
  # sequence_length - 1 (consecutive sequences share their bootstrap step).
  sequence_period: Optional[int] = None
  max_queue_size: int = 2_000
  # Distillation replay (distillation_replay.py): per V-trace batch, this many
  # more batches drawn uniformly from the `distillation_replay_window` newest
  # sequences, trained on the distillation term alone. 0: no replay table.
  distillation_replay_ratio: int = 0
  distillation_replay_window: int = 1_000
  # Steps at the start of a replayed sequence that only rebuild the student's
  # core state with its current weights (no loss, no gradient; R2D2).
  distillation_replay_burn_in: int = 0
  # Acting: environments stepped per policy call in one batched actor.
  num_envs_per_actor: int = 32
  seed: int = 0

  def __post_init__(self):
    if any(c < 0 for c in self.distillation_costs):
      raise ValueError(
          f'distillation_costs must be >= 0 (they weight a cross-entropy), got '
          f'{tuple(self.distillation_costs)}. Use 0 to switch a teacher off.')
    if self.optimizer not in ('adam', 'rmsprop'):
      raise ValueError(
          f"optimizer must be 'adam' or 'rmsprop', got {self.optimizer!r}.")
    if self.loss_reduction not in ('mean', 'sum'):
      raise ValueError(f"loss_reduction must be 'mean' or 'sum', got "
                       f'{self.loss_reduction!r}.')
    if self.sequence_length < 2:
      raise ValueError('sequence_length must be >= 2 (the last step bootstraps).')
    if self.sequence_period is not None and not (
        1 <= self.sequence_period <= self.sequence_length - 1):
      raise ValueError(
          f'sequence_period must be in [1, sequence_length - 1] so that every '
          f'step is trained on, got {self.sequence_period}.')
    self._check_distillation_replay()
    if self.distillation_anneal_steps is not None:
      if self.distillation_schedule != LambdaSchedule():
        raise ValueError(
            'Give either distillation_anneal_steps (deprecated) or '
            'distillation_schedule, not both; use distillation_schedule='
            "LambdaSchedule('linear', decay_env_steps=N).")
      self.distillation_schedule = LambdaSchedule(
          'linear', decay_env_steps=self.distillation_anneal_steps)
      self.distillation_anneal_steps = None

  def _check_distillation_replay(self):
    if self.distillation_replay_ratio < 0:
      raise ValueError(
          f'distillation_replay_ratio must be >= 0 (replayed batches per '
          f'V-trace batch; 0 turns the replay off), got '
          f'{self.distillation_replay_ratio}.')
    if self.distillation_replay_window < self.batch_size:
      raise ValueError(
          f'distillation_replay_window ({self.distillation_replay_window} '
          f'sequences) must hold at least one batch (batch_size='
          f'{self.batch_size}); raise it.')
    if not 0 <= self.distillation_replay_burn_in <= self.sequence_length - 2:
      raise ValueError(
          f'distillation_replay_burn_in must be in [0, sequence_length - 2] '
          f'= [0, {self.sequence_length - 2}] so that a replayed sequence '
          f'keeps a step to train on, got {self.distillation_replay_burn_in}.')

  @property
  def period(self) -> int:
    """Steps between sequence starts (sequence_length - 1 by default)."""
    return self.sequence_period or self.sequence_length - 1


@dataclasses.dataclass
class GroupResources:
  """Where and how one Launchpad group runs.

  `gpus` 0 hides every GPU from the group's processes (CUDA_VISIBLE_DEVICES="");
  None leaves the visible GPUs alone. `env` and `args` go to Launchpad's
  PythonProcess for local_mp; `xm` is the group's XManager resource dict
  (e.g. {'cpu': 8, 'ram': '16GiB', 'gpu': 1, 'gpu_type': 'v100'}) for a
  multi-host launch.
  """
  gpus: Optional[int] = 0
  env: Dict[str, str] = dataclasses.field(default_factory=dict)
  args: Dict[str, str] = dataclasses.field(default_factory=dict)
  xm: Dict[str, Any] = dataclasses.field(default_factory=dict)


def default_topology() -> Dict[str, GroupResources]:
  """Learner on a GPU where there is one; everything else on CPU."""
  return {
      'learner': GroupResources(gpus=None, xm={'cpu': 4, 'ram': '16GiB',
                                               'gpu': 1}),
      'actor': GroupResources(gpus=0, xm={'cpu': 2, 'ram': '4GiB'}),
      'evaluator': GroupResources(gpus=0, xm={'cpu': 2, 'ram': '4GiB'}),
      'replay': GroupResources(gpus=0, xm={'cpu': 2, 'ram': '8GiB'}),
      'counter': GroupResources(gpus=0, xm={'cpu': 1, 'ram': '2GiB'}),
      'stopper': GroupResources(gpus=0, xm={'cpu': 1, 'ram': '1GiB'}),
  }


@dataclasses.dataclass
class ProgramConfig:
  """A distributed kickstarting experiment: what runs, where, and for how long.

  Tasks are the suite's games; actor i steps `agent.num_envs_per_actor`
  environments, environment j of actor i playing task (i * K + j) mod num_tasks,
  unless `actor_tasks` lists the tasks of each actor (the paper's layout, 5
  actors per task, is `actor_tasks=[[k]] * 5 for each k`).
  """
  agent: KickstartingConfig = dataclasses.field(
      default_factory=KickstartingConfig)
  suite: str = 'minatar5'
  tasks: Sequence[str] = ('breakout', 'asterix', 'freeway', 'seaquest',
                          'space_invaders')
  # Task name -> its teacher: an acme snapshot directory, or a
  # teacher_specs.TeacherSpec (snapshot plus observation_fn, action_map,
  # q_temperature). Tasks not listed have no teacher (lambda = 0 there).
  teachers: Dict[str, Any] = dataclasses.field(default_factory=dict)
  network: str = 'minatar'
  network_kwargs: Dict[str, Any] = dataclasses.field(default_factory=dict)
  env_kwargs: Dict[str, Any] = dataclasses.field(default_factory=dict)
  # Adds the previous action and reward to observations (IMPALA's core inputs).
  previous_action_reward: bool = False
  num_actors: int = 2
  actor_tasks: Optional[Sequence[Sequence[str]]] = None
  variable_update_period: int = 20  # Actor steps between weight fetches.
  max_env_steps: int = 2_000_000
  run_dir: str = 'runs/kickstart'
  checkpoint_minutes: float = 1.0
  num_dataset_streams: int = 4
  # The fitness PBT reads from the evaluator: for MinAtar-5 the mean over tasks
  # of 100 * (return - random) / (reference - random), each task capped at
  # `fitness_cap`; reference scores are e.g. the teachers'. Without reference
  # scores, the mean over tasks of the raw return.
  reference_scores: Dict[str, float] = dataclasses.field(default_factory=dict)
  fitness_cap: Optional[float] = 200.0
  fitness_rounds: int = 3  # Evaluation rounds averaged into the fitness.
  evaluator_episodes_per_task: int = 2
  evaluator_period_seconds: float = 60.0
  # TF threads in each actor and evaluator process: one, on small machines
  # where many processes share few cores.
  actor_tf_threads: int = 1
  progress_period_seconds: float = 5.0
  topology: Dict[str, GroupResources] = dataclasses.field(
      default_factory=default_topology)

  def __post_init__(self):
    unknown = set(self.teachers) - set(self.tasks)
    if unknown:
      raise ValueError(f'Teachers given for unknown tasks {sorted(unknown)}; '
                       f'the tasks are {list(self.tasks)}.')
    if self.actor_tasks is not None:
      if len(self.actor_tasks) != self.num_actors:
        raise ValueError(f'actor_tasks lists {len(self.actor_tasks)} actors '
                         f'but num_actors is {self.num_actors}.')
      for tasks in self.actor_tasks:
        for task in tasks:
          if task not in self.tasks:
            raise ValueError(f'actor_tasks names unknown task {task!r}.')

  def tasks_of_actor(self, actor_id: int) -> List[str]:
    """The task of each environment of actor `actor_id`."""
    k = self.agent.num_envs_per_actor
    if self.actor_tasks is not None:
      own = list(self.actor_tasks[actor_id])
      return [own[j % len(own)] for j in range(k)]
    return [self.tasks[(actor_id * k + j) % len(self.tasks)] for j in range(k)]
