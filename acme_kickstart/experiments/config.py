"""What an experiment is, how long it runs, and where its nodes run.

Three configs, as in acme's experiments (`ExperimentConfig` feeds both the
single-process runner and the distributed program):
  * `ExperimentConfig`: the agent (`KickstartingConfig`), the suite and its
    tasks, the teachers, the student network and the seed;
  * `RunConfig` (nested as `ExperimentConfig.run`): env-step budget, run
    directory, checkpointing, evaluation and logging periods;
  * `Topology`: how many actors and where each Launchpad group runs, given at
    launch (a second config, `--topology`).
Config files (configs/*.py) return them; ml_collections' config_flags loads
them, so any field can be overridden on the command line
(`--config.agent.learning_rate=3e-4`, `--topology.num_actors=4`). Overrides
bypass `__post_init__`, so launchers call `validate()` once loaded.
"""

import dataclasses
from typing import Any, Dict, List, Optional, Sequence, Tuple

from acme_kickstart.agents.kickstarting.config import KickstartingConfig

MINATAR5_GAMES = ('breakout', 'asterix', 'freeway', 'seaquest',
                  'space_invaders')


@dataclasses.dataclass
class RunConfig:
  """How long a run goes, where it writes, and how often it reports."""
  max_env_steps: int = 2_000_000  # Actor env steps (the counter's).
  run_dir: str = 'runs/kickstart'
  checkpoint_minutes: float = 1.0
  evaluator_episodes_per_task: int = 2
  evaluator_period_seconds: float = 60.0
  # Evaluation rounds the evaluator keeps for PBT's fitness.
  evaluator_rounds_kept: int = 5
  progress_period_seconds: float = 5.0

  def validate(self):
    if self.max_env_steps < 1:
      raise ValueError(f'run.max_env_steps must be >= 1, got '
                       f'{self.max_env_steps}.')
    if self.evaluator_episodes_per_task < 1:
      raise ValueError('run.evaluator_episodes_per_task must be >= 1, got '
                       f'{self.evaluator_episodes_per_task}.')
    if self.evaluator_rounds_kept < 1:
      raise ValueError('run.evaluator_rounds_kept must be >= 1, got '
                       f'{self.evaluator_rounds_kept}.')


@dataclasses.dataclass
class ExperimentConfig:
  """One kickstarting experiment, for either runner (agent.py or program.py).

  Task k of the student is `tasks[k]`. `teachers` maps a task to its teacher:
  an acme snapshot directory, or a teacher_specs.TeacherSpec (snapshot plus
  observation_fn, action_map, q_temperature); tasks not listed have none
  (lambda = 0 there). `reference_scores` (task -> return, e.g. the teachers'
  unbiased scores) are 100% of the normalised score: PBT's fitness and the
  gated lambda schedule read them. `teacher_levels` (task -> return) are a
  teacher's own level where it is not the reference (e.g. one small teacher
  kickstarting a student scored against experts): the gate shuts lambda_k
  there, while PBT still scores members on the references.
  """
  agent: KickstartingConfig = dataclasses.field(
      default_factory=KickstartingConfig)
  suite: str = 'minatar5'
  # Keyword arguments of the suite (e.g. procgen's distribution_mode,
  # dmlab30's level_cache_dir): they reach its environments and scores.
  suite_kwargs: Dict[str, Any] = dataclasses.field(default_factory=dict)
  tasks: Tuple[str, ...] = MINATAR5_GAMES
  teachers: Dict[str, Any] = dataclasses.field(default_factory=dict)
  reference_scores: Dict[str, float] = dataclasses.field(default_factory=dict)
  teacher_levels: Dict[str, float] = dataclasses.field(default_factory=dict)
  network: str = 'minatar'
  network_kwargs: Dict[str, Any] = dataclasses.field(default_factory=dict)
  # Adds the previous action and reward to observations (IMPALA's core inputs).
  previous_action_reward: bool = False
  # The root of every random stream of a run (workers spawn theirs from it).
  seed: int = 0
  run: RunConfig = dataclasses.field(default_factory=RunConfig)

  def __post_init__(self):
    self.validate()

  def validate(self) -> 'ExperimentConfig':
    """Checks every field once; returns self (for config-file overrides)."""
    self.tasks = tuple(self.tasks)
    if not self.tasks:
      raise ValueError('tasks is empty: name at least one task of the suite.')
    from acme_kickstart import networks  # pylint: disable=g-import-not-at-top
    if self.network not in networks.BY_NAME:
      raise ValueError(f'Unknown network {self.network!r}; known: '
                       f'{sorted(networks.BY_NAME)}.')
    unknown = set(self.teachers) - set(self.tasks)
    if unknown:
      raise ValueError(f'Teachers given for unknown tasks {sorted(unknown)}; '
                       f'the tasks are {list(self.tasks)}.')
    self.agent.validate()
    self.run.validate()
    return self

  def with_teachers(self, teachers: Dict[str, Any]) -> 'ExperimentConfig':
    """This experiment with `teachers`; with none, also no distillation
    replay, which would only replay a zero loss (e.g. kickstart.py
    --no_teachers on the default config, a scratch baseline)."""
    agent = self.agent
    if not teachers and agent.distillation_replay_ratio:
      agent = dataclasses.replace(agent, distillation_replay_ratio=0)
    return dataclasses.replace(self, teachers=teachers, agent=agent)


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


def default_groups() -> Dict[str, GroupResources]:
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
class Topology:
  """The distributed layout: actors, their tasks, and each group's resources.

  Actor i steps `agent.num_envs_per_actor` environments, environment j
  playing task (i * K + j) mod num_tasks, unless `actor_tasks` lists the tasks
  of each actor (the paper's layout, 5 actors per task, is
  `actor_tasks=[[k]] * 5 for each k`).
  """
  num_actors: int = 2
  actor_tasks: Optional[Sequence[Sequence[str]]] = None
  variable_update_period: int = 20  # Actor steps between weight fetches.
  num_dataset_streams: int = 4
  # TF threads in each actor and evaluator process: one, on small machines
  # where many processes share few cores.
  actor_tf_threads: int = 1
  # The replay table, the counter and the evaluator in one process, group
  # 'replay' (program.py): ~1 GB less memory on the
  # default program (2.8 GB peak RSS against 3.8 GB). Off where the evaluator
  # needs a host of its own (configs/dmlab30.py).
  colocate_services: bool = True
  groups: Dict[str, GroupResources] = dataclasses.field(
      default_factory=default_groups)

  def validate(self, tasks: Sequence[str]) -> 'Topology':
    if self.num_actors < 1:
      raise ValueError(f'num_actors must be >= 1, got {self.num_actors}.')
    if self.actor_tasks is not None:
      if len(self.actor_tasks) != self.num_actors:
        raise ValueError(f'actor_tasks lists {len(self.actor_tasks)} actors '
                         f'but num_actors is {self.num_actors}.')
      for own in self.actor_tasks:
        for task in own:
          if task not in tasks:
            raise ValueError(f'actor_tasks names unknown task {task!r}; the '
                             f'tasks are {list(tasks)}.')
    return self

  def tasks_of_actor(self, tasks: Sequence[str], actor_id: int,
                     num_envs: int) -> List[str]:
    """The task of each of actor `actor_id`'s `num_envs` environments."""
    if self.actor_tasks is not None:
      own = list(self.actor_tasks[actor_id])
      return [own[j % len(own)] for j in range(num_envs)]
    return [tasks[(actor_id * num_envs + j) % len(tasks)]
            for j in range(num_envs)]
