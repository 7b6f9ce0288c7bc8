"""Evaluating a policy: a fixed quota of complete episodes per environment."""

from typing import List

import numpy as np

from acme_kickstart.agents.kickstarting.builder import KickstartingBuilder
from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.experiments import single_game


def episode_quotas(num_episodes: int, num_envs: int) -> List[int]:
  """Episodes each environment must finish: fixed in advance, they sum up."""
  if num_episodes < 1 or num_envs < 1:
    raise ValueError(f'Need num_episodes >= 1 and num_envs >= 1, got '
                     f'{num_episodes} and {num_envs}.')
  base, extra = divmod(num_episodes, num_envs)
  return [base + (i < extra) for i in range(num_envs)]


def evaluate(network, game: str, num_episodes: int = 50, seed: int = 12345,
             num_envs: int = 16) -> float:
  """Mean return of the network's (sampled) policy on fresh environments."""
  return float(np.mean(evaluate_returns(network, game, num_episodes, seed,
                                        num_envs)))


def evaluate_returns(network, game: str, num_episodes: int, seed: int,
                     num_envs: int = 16) -> List[float]:
  """Returns of `num_episodes` complete episodes of the sampled policy.

  Every environment plays a quota of episodes fixed before the first step,
  and all of them count. Taking the first `num_episodes` to finish across
  parallel environments instead would favour short episodes (in most games,
  the bad ones) and score the policy low.
  """
  quotas = episode_quotas(num_episodes, min(num_envs, num_episodes))
  envs = single_game.make_envs(game, len(quotas), seed)
  actor = KickstartingBuilder(KickstartingConfig()).make_actor(network, envs,
                                                               seed=seed)
  returns = [[] for _ in quotas]
  while any(len(r) < q for r, q in zip(returns, quotas)):
    actor.step()
    for episode in actor.pop_episodes():
      if len(returns[episode.env_index]) < quotas[episode.env_index]:
        returns[episode.env_index].append(episode.episode_return)
  return [r for env_returns in returns for r in env_returns]
