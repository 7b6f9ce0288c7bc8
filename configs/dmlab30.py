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

import os
from typing import Optional, Sequence

from acme_kickstart.agents.kickstarting import KickstartingConfig
from acme_kickstart.environments import dmlab30
from acme_kickstart.experiments.config import ExperimentConfig
from acme_kickstart.experiments.config import RunConfig
from acme_kickstart.experiments.config import Topology

# scalable_agent README (DMLab-30 learner command line).
IMPALA_DMLAB30_LEARNING_RATE = 0.00031866995608948655
IMPALA_DMLAB30_ENTROPY_COST = 0.0033391318945337044
IMPALA_DMLAB30_TOTAL_FRAMES = 10_000_000_000
# scalable_agent experiment.py flag defaults, kept by the DMLab-30 command.
IMPALA_UNROLL_LENGTH = 100
IMPALA_NUM_ACTION_REPEATS = 4


def impala_dmlab30_agent_config() -> KickstartingConfig:
  """IMPALA's published DMLab-30 hyperparameters as a KickstartingConfig.

  An unroll of 100 agent steps is 100 transitions; acme sequences carry one
  more step, whose observation only bootstraps the last value, so the
  sequence length is 101, with period 100 (consecutive unrolls share it, as
  IMPALA's actors start each unroll from the last one's final step).

  scalable_agent's update, reproduced exactly
  (tests/agents/test_impala_update.py):
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
      num_envs_per_actor=1)


def make_experiment(levels: Sequence[str] = dmlab30.LEVELS,
                    network: str = 'large',
                    teacher_snapshot_dir: str = '~/kickstart/dmlab30_teachers',
                    level_cache_dir: Optional[str] = '/tmp/dmlab_level_cache',
                    dataset_path: Optional[str] = None,
                    run_dir: str = 'runs/dmlab30',
                    seed: int = 0) -> ExperimentConfig:
  """The paper's DMLab-30 experiment on `levels` (all 30 by default).

  Student: IMPALA's 'large' (15-conv ResNet) or 'small' (2 convs) network,
  with the previous action and reward as inputs. Teachers: one acme snapshot
  per level, at `<teacher_snapshot_dir>/<level>` (the directory holding
  saved_model.pb, e.g. a copy or link of a teacher run's
  `snapshots/network`). Rewards: the agent config's 'soft_asymmetric'
  clipping. The run lasts IMPALA's 10^10 frames (4 frames an agent step),
  over which the learning rate decays to 0.
  """
  if network not in ('large', 'small'):
    raise ValueError(f"network must be 'large' or 'small', got {network!r}.")
  for level in levels:
    dmlab30.check_level(level)
  snapshots = os.path.expanduser(teacher_snapshot_dir)
  return ExperimentConfig(
      agent=impala_dmlab30_agent_config(),
      suite='dmlab30',
      suite_kwargs=dict(level_cache_dir=level_cache_dir,
                        dataset_path=dataset_path,
                        action_repeat=dmlab30.ACTION_REPEAT),
      tasks=tuple(levels),
      teachers={level: os.path.join(snapshots, level) for level in levels},
      network=f'{network}_impala',
      network_kwargs=dict(pixel_scale=1.0 / 255.0,
                          use_previous_action_reward=True),
      previous_action_reward=True,
      seed=seed,
      run=RunConfig(max_env_steps=(IMPALA_DMLAB30_TOTAL_FRAMES //
                                   dmlab30.ACTION_REPEAT),
                    run_dir=run_dir))


def make_topology(levels: Sequence[str] = dmlab30.LEVELS,
                  actors_per_level: int = 5) -> Topology:
  """One learner and `actors_per_level` single-level actors per level,
  assigned round robin as scalable_agent's --level_name=dmlab30 does."""
  num_actors = actors_per_level * len(levels)
  return Topology(
      num_actors=num_actors,
      actor_tasks=[[level] for level in dmlab30.actor_levels(num_actors,
                                                             levels)],
      # The evaluator plays 30 levels: a host of its own on a cluster.
      colocate_services=False)


def get_config(part: str = 'experiment'):
  """`--config=configs/dmlab30.py` the experiment; `:topology` its layout."""
  parts = {'experiment': make_experiment, 'topology': make_topology}
  if part not in parts:
    raise ValueError(f'Unknown config part {part!r}: use one of {sorted(parts)}.')
  return parts[part]()
