"""The paper's DMLab-30 setup: kickstarted IMPALA, 1 learner, 150 actors.

Kickstarting (Schmitt et al., 2018, https://arxiv.org/abs/1803.03835) trains
one student on all 30 levels with IMPALA (1 learner, 150 actors, 5 per level)
and one teacher per level. The agent hyperparameters are IMPALA's published
DMLab-30 ones: scalable_agent README, "Distributed Training on DMLab-30"
(--num_actors=150 --batch_size=32 --entropy_cost=0.0033391318945337044
--learning_rate=0.00031866995608948655 --total_environment_frames=1e10
--reward_clipping=soft_asymmetric) and the experiment.py defaults it keeps
(--unroll_length=100, --num_action_repeats=4, --discounting=0.99,
--baseline_cost=0.5, RMSProp --decay=0.99 --momentum=0 --epsilon=0.1, no
gradient clipping), https://github.com/deepmind/scalable_agent.
"""

import dataclasses
import os
from typing import Optional, Sequence, Tuple

from acme_kickstart import networks
from acme_kickstart.agents.kickstarting import KickstartingConfig
from acme_kickstart.agents.kickstarting.config import ProgramConfig
from acme_kickstart.environments import dmlab30
from acme_kickstart.environments import wrappers
from acme_kickstart.teachers import Teacher, TeacherSet

# scalable_agent README (DMLab-30 learner command line).
IMPALA_DMLAB30_LEARNING_RATE = 0.00031866995608948655
IMPALA_DMLAB30_ENTROPY_COST = 0.0033391318945337044
IMPALA_DMLAB30_TOTAL_FRAMES = 10_000_000_000
# scalable_agent experiment.py flag defaults, kept by the DMLab-30 command.
IMPALA_UNROLL_LENGTH = 100
IMPALA_NUM_ACTION_REPEATS = 4


def impala_dmlab30_agent_config(seed: int = 0) -> KickstartingConfig:
  """IMPALA's published DMLab-30 hyperparameters as a KickstartingConfig.

  An unroll of 100 agent steps is 100 transitions; acme sequences carry one
  more step, whose observation only bootstraps the last value, so the
  sequence length is 101, with period 100 (consecutive unrolls share it, as
  IMPALA's actors start each unroll from the last one's final step).

  scalable_agent's update, reproduced exactly (tests/test_impala_update.py):
  it sums its losses over time and batch, weights the baseline as
  baseline_cost * 0.5 * sum(advantage^2) (our critic term is baseline_cost *
  sum(advantage^2), hence 0.25), runs TF1's RMSProp (mean square starts at 1)
  and decays the learning rate linearly to 0 over the run's frames.
  """
  return KickstartingConfig(
      learning_rate=IMPALA_DMLAB30_LEARNING_RATE,
      entropy_cost=IMPALA_DMLAB30_ENTROPY_COST,
      baseline_cost=0.5 * 0.5,
      loss_reduction='sum',
      rmsprop_initial_mean_square=1.0,
      learning_rate_decay_env_steps=(IMPALA_DMLAB30_TOTAL_FRAMES //
                                     IMPALA_NUM_ACTION_REPEATS),
      discount=0.99,
      max_abs_reward=None,
      max_gradient_norm=None,
      optimizer='rmsprop',
      rmsprop_decay=0.99,
      rmsprop_epsilon=0.1,
      distillation_costs=(1.0,),
      batch_size=32,
      sequence_length=IMPALA_UNROLL_LENGTH + 1,
      sequence_period=IMPALA_UNROLL_LENGTH,
      reward_clipping='soft_asymmetric',
      num_envs_per_actor=1,
      seed=seed)


@dataclasses.dataclass
class DMLab30Experiment:
  """Topology, environments, teachers and agent of the DMLab-30 experiment.

  Teachers: one acme snapshot per level, at `<teacher_snapshot_dir>/<level>`
  (the directory holding saved_model.pb, i.e. a copy or link of a teacher
  run's `snapshots/network`), named by the training level name in LEVELS.
  """
  # Topology: one learner; actors assigned to levels round robin.
  num_learners: int = 1
  num_actors: int = 150
  actors_per_level: int = 5
  levels: Tuple[str, ...] = dmlab30.LEVELS
  # Student network: 'large' (15-conv ResNet) or 'small' (2 convs), with
  # IMPALA's previous action and reward inputs.
  network: str = 'large'
  use_previous_action_reward: bool = True
  # IMPALA's published hyperparameters (see impala_dmlab30_agent_config).
  agent: KickstartingConfig = dataclasses.field(
      default_factory=impala_dmlab30_agent_config)
  # IMPALA's DMLab-30 run squashed rewards with 'soft_asymmetric' clipping
  # (5 tanh(r / 5), negative rewards scaled by 0.3): agent.reward_clipping,
  # applied by the learner.
  # The run's length; the agent's learning rate decays linearly to 0 over it
  # (agent.learning_rate_decay_env_steps, in agent steps of 4 frames).
  total_environment_frames: int = IMPALA_DMLAB30_TOTAL_FRAMES
  # Environments.
  action_repeat: int = dmlab30.ACTION_REPEAT
  level_cache_dir: Optional[str] = '/tmp/dmlab_level_cache'
  dataset_path: Optional[str] = None  # psychlab_* levels' image dataset.
  # Teachers.
  teacher_snapshot_dir: str = '~/kickstart/dmlab30_teachers'

  def __post_init__(self):
    self.levels = tuple(self.levels)
    for level in self.levels:
      dmlab30.check_level(level)
    if self.num_actors != self.actors_per_level * len(self.levels):
      raise ValueError(
          f'num_actors ({self.num_actors}) must be actors_per_level '
          f'({self.actors_per_level}) x the number of levels '
          f'({len(self.levels)}).')
    if self.network not in ('large', 'small'):
      raise ValueError(f"network must be 'large' or 'small', got "
                       f'{self.network!r}.')
    if self.num_learners != 1:
      raise ValueError('The paper\'s setup has exactly one learner.')

  @property
  def task_names(self) -> Tuple[str, ...]:
    return self.levels

  def actor_levels(self) -> Sequence[str]:
    """The level each actor plays: round robin, actors_per_level each."""
    return dmlab30.actor_levels(self.num_actors, self.levels)

  def make_network(self):
    network_class = (networks.LargeImpalaNetwork if self.network == 'large'
                     else networks.SmallImpalaNetwork)
    return network_class(
        dmlab30.NUM_ACTIONS, pixel_scale=1.0 / 255.0,
        use_previous_action_reward=self.use_previous_action_reward)

  def make_environment(self, actor_index: int, seed: Optional[int] = None):
    """Actor `actor_index`'s environment (with previous action and reward)."""
    level = self.actor_levels()[actor_index]
    env = dmlab30.make_environment(
        level, task_id=self.levels.index(level),
        seed=actor_index + 1 if seed is None else seed,
        level_cache_dir=self.level_cache_dir, dataset_path=self.dataset_path,
        action_repeat=self.action_repeat)
    if self.use_previous_action_reward:
      env = wrappers.PreviousActionReward(env)
    return env

  def observation_spec(self) -> dict:
    spec = dmlab30.observation_spec()
    if self.use_previous_action_reward:
      spec = wrappers.with_previous_action_reward(spec, dmlab30.NUM_ACTIONS)
    return spec

  def teacher_snapshot(self, level: str) -> str:
    return os.path.join(os.path.expanduser(self.teacher_snapshot_dir), level)

  def load_teachers(self) -> TeacherSet:
    """One teacher per level, from `teacher_snapshot_dir/<level>`."""
    teachers = {task_id: Teacher.from_snapshot(self.teacher_snapshot(level),
                                               name=level)
                for task_id, level in enumerate(self.levels)}
    return TeacherSet(teachers, len(self.levels), dmlab30.NUM_ACTIONS,
                      self.observation_spec(), self.levels)


  def to_program_config(self, run_dir: str = 'runs/dmlab30') -> ProgramConfig:
    """The experiment as the Launchpad program's config (make_program)."""
    return ProgramConfig(
        agent=self.agent,
        suite='dmlab30',
        tasks=self.levels,
        teachers={level: self.teacher_snapshot(level) for level in self.levels},
        network=f'{self.network}_impala',
        network_kwargs=dict(
            pixel_scale=1.0 / 255.0,
            use_previous_action_reward=self.use_previous_action_reward),
        env_kwargs=dict(level_cache_dir=self.level_cache_dir,
                        dataset_path=self.dataset_path,
                        action_repeat=self.action_repeat),
        previous_action_reward=self.use_previous_action_reward,
        num_actors=self.num_actors,
        actor_tasks=[[level] for level in self.actor_levels()],
        max_env_steps=self.total_environment_frames // self.action_repeat,
        run_dir=run_dir)


def get_config() -> ProgramConfig:
  """For launch/kickstart.py --config=configs/dmlab30.py."""
  return make_config().to_program_config()


def make_config(**overrides) -> DMLab30Experiment:
  """The paper's DMLab-30 experiment, with optional field overrides."""
  return DMLab30Experiment(**overrides)
