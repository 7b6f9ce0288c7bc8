"""PBT over MinAtar-5 kickstarting: 4 students, lambda_k / lr / entropy scheduled.

Each member is configs/minatar5.py's student made small enough for four of
them on 2 cores: 1 actor of 16 environments, batch 16. Fitness is the mean over
the five games of the return normalised between random play and the shipped
teacher's score (each game capped at 200%).

Why these PBT settings (see acme_kickstart/pbt/config.py and search_space.py
for the measurements): the fitness window is 5 evaluator rounds of 4 episodes
per game (20 per game; one round's score varies by ~6 points, five by ~3),
a member is ready 100k env steps after its last change (a whole fitness
window on its new weights, and past the early phase where all members score
2-8% and rank by noise), member 0 starts at configs/minatar5.py's own
hyperparameters, and the default ranges (lr 3e-4..3e-3, entropy 1e-3..3e-2,
lambda <= 2) exclude the corners where a population collapsed
(results/pbt_minatar5).
"""

import dataclasses

from acme_kickstart.agents.kickstarting.schedules import LambdaSchedule
from acme_kickstart.experiments.config import Topology
from acme_kickstart.pbt.config import PBTConfig
from configs import minatar5


def get_pbt() -> PBTConfig:
  member = minatar5.get_experiment()
  member = dataclasses.replace(
      member,
      agent=dataclasses.replace(member.agent, batch_size=16,
                                num_envs_per_actor=16,
                                distillation_schedule=LambdaSchedule('pbt')),
      run=dataclasses.replace(member.run, max_env_steps=400_000,
                              evaluator_period_seconds=30.0,
                              evaluator_episodes_per_task=4,
                              evaluator_rounds_kept=5,
                              run_dir='runs/minatar5_pbt'))
  return PBTConfig(member=member, population_size=4,
                   run_dir='runs/minatar5_pbt', ready_env_steps=100_000,
                   controller_period_seconds=20.0, fitness_rounds=5,
                   # lambdas='factorised' searches lambda_k = alpha * rho_k.
                   search_space=dict(lambdas='independent'))


def get_topology() -> Topology:
  """Each member's layout: one actor."""
  return Topology(num_actors=1)


def get_config(part: str = 'pbt'):
  """`--config=configs/minatar5_pbt.py` the population; `:topology` the
  layout of each member."""
  parts = {'pbt': get_pbt, 'topology': get_topology}
  if part not in parts:
    raise ValueError(f'Unknown config part {part!r}: use one of {sorted(parts)}.')
  return parts[part]()
