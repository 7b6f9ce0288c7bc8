"""PBT over MinAtar-5 kickstarting: 4 students, lambda_k / lr / entropy scheduled.

Each member is configs/minatar5.py's student made small enough for four of
them on 2 cores: 1 actor of 16 environments, batch 16. Fitness is the mean over
the five games of the return normalised between random play and the shipped
teacher's score (each game capped at 200%).
"""

import dataclasses
import os

from acme_kickstart.config_files import load_config
from acme_kickstart.pbt.config import PBTConfig

_HERE = os.path.dirname(os.path.abspath(__file__))


def get_config() -> PBTConfig:
  member = load_config(os.path.join(_HERE, 'minatar5.py'))
  member = dataclasses.replace(
      member,
      agent=dataclasses.replace(member.agent, batch_size=16,
                                num_envs_per_actor=16),
      num_actors=1,
      max_env_steps=400_000,
      evaluator_period_seconds=30.0,
      run_dir='runs/minatar5_pbt')
  return PBTConfig(member=member, population_size=4,
                   run_dir='runs/minatar5_pbt', ready_env_steps=50_000,
                   controller_period_seconds=20.0,
                   search_space=dict(lambda_max=4.0))
