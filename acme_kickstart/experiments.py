"""Small MinAtar experiments: train a teacher, then kickstarted vs scratch students.

Used by `make demo` (launch/demo.py) and by the slow learning test.
"""

import dataclasses
import time
from typing import Callable, Dict, List, Optional, Sequence

from acme.tf import utils as tf2_utils
import numpy as np
import tensorflow as tf

from acme_kickstart.agents.kickstarting import acting
from acme_kickstart.agents.kickstarting.agent import KickstartingAgent
from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.environments import minatar
from acme_kickstart.networks import MinAtarNetwork
from acme_kickstart.teachers import Teacher, TeacherSet


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
  return [minatar.make_environment(game, seed=seed * 1000 + i, **env_kwargs)
          for i in range(num_envs)]


def train(name: str,
          game: str,
          config: KickstartingConfig,
          num_env_steps: int,
          network_factory: Callable[[], MinAtarNetwork],
          teachers: Optional[TeacherSet] = None,
          report_every: int = 20_000,
          final_episodes: int = 100,
          printer: Optional[Callable[[str], None]] = print) -> RunResult:
  """Trains one student on one game in this process; keeps a return curve."""
  tf.random.set_seed(config.seed)
  envs = make_envs(game, config.num_envs_per_actor, config.seed)
  agent = KickstartingAgent(envs, network_factory(), config, minatar.GAMES,
                            teachers=teachers)
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


def evaluate(network, game: str, num_episodes: int = 50, seed: int = 12345,
             num_envs: int = 16) -> float:
  """Mean return of the network's (sampled) policy on fresh environments."""
  envs = make_envs(game, num_envs, seed)
  actor = acting.BatchedActor(network, envs, seed=seed)
  episodes = []
  while len(episodes) < num_episodes:
    actor.step()
    episodes.extend(actor.pop_episodes())
  return float(np.mean([e.episode_return for e in episodes[:num_episodes]]))


def teacher_set(teacher: Teacher, game: str) -> TeacherSet:
  return TeacherSet({minatar.GAMES.index(game): teacher}, len(minatar.GAMES),
                    minatar.NUM_ACTIONS, minatar.observation_spec(),
                    minatar.GAMES)


def build(network):
  tf2_utils.create_variables(network, [minatar.observation_spec()])
  return network
