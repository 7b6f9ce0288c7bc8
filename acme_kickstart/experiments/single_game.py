"""Single-game, single-process MinAtar runs: a teacher, or a student of one.

launch/train_teacher.py trains the shipped teachers with `train`; the slow
learning test compares kickstarted and scratch students with it, and
evaluation.py plays a policy on `make_envs`' environments.
"""

import dataclasses
import time
from typing import Callable, Dict, List, Optional

from acme.tf import utils as tf2_utils
import numpy as np
import tensorflow as tf

from acme_kickstart.agents.kickstarting.agent import KickstartingAgent
from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.environments import minatar
from acme_kickstart.networks import MinAtarNetwork
from acme_kickstart.teachers import Teacher, TeacherSet
from acme_kickstart.utils import seeding


@dataclasses.dataclass
class RunResult:
  """What one training run produced."""
  name: str
  env_steps: int
  seconds: float
  curve: List[Dict[str, float]]  # {'env_steps', 'mean_return'} per report.
  final_return: float  # Mean return of the last training episodes.
  agent: Optional[KickstartingAgent] = None


def make_envs(game: str, num_envs: int, seed: int, **env_kwargs):
  """`num_envs` environments of `game`, seeded from `seed`'s spawned streams."""
  return [minatar.make_environment(game, seed=env_seed, **env_kwargs)
          for env_seed in seeding.spawn_seeds(seed, num_envs)]


def train(name: str,
          game: str,
          config: KickstartingConfig,
          num_env_steps: int,
          network_factory: Callable[[], MinAtarNetwork],
          teachers: Optional[TeacherSet] = None,
          seed: int = 0,
          report_every: int = 20_000,
          final_episodes: int = 100,
          printer: Optional[Callable[[str], None]] = print) -> RunResult:
  """Trains one student on one game in this process; keeps a return curve."""
  tf.random.set_seed(seed)
  envs = make_envs(game, config.num_envs_per_actor, seed)
  agent = KickstartingAgent(envs, network_factory(), config, minatar.GAMES,
                            teachers=teachers, seed=seed)
  curve, returns = [], []
  start = time.time()
  while agent.env_steps < num_env_steps:
    agent.run(min(report_every, num_env_steps - agent.env_steps))
    returns = [e.episode_return for e in agent.episodes]
    recent = float(np.mean(returns[-final_episodes:])) if returns else 0.0
    curve.append({'env_steps': agent.env_steps, 'mean_return': recent})
    if printer:
      printer(f'[{name}] env steps {agent.env_steps:>8d}  '
              f'return (last {min(len(returns), final_episodes)} episodes) '
              f'{recent:6.2f}  {agent.env_steps / (time.time() - start):6.0f} '
              'steps/s')
  final = float(np.mean(returns[-final_episodes:])) if returns else 0.0
  agent.close()
  return RunResult(name, agent.env_steps, time.time() - start, curve, final,
                   agent)


def teacher_set(teacher: Teacher, game: str) -> TeacherSet:
  return TeacherSet({minatar.GAMES.index(game): teacher}, len(minatar.GAMES),
                    minatar.NUM_ACTIONS, minatar.observation_spec(),
                    minatar.GAMES)


def build(network):
  tf2_utils.create_variables(network, [minatar.observation_spec()])
  return network
