"""Evaluating a policy: a fixed quota of complete episodes per environment,
from a network in memory or from a run's last learner checkpoint."""

from typing import Dict, List, Optional, Sequence

import numpy as np
import tensorflow as tf

from acme_kickstart.agents.kickstarting.builder import KickstartingBuilder
from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.experiments import single_game
from acme_kickstart.utils import run_dirs
from acme_kickstart.utils import seeding


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


def restore_learner_network(network, run_dir: str) -> Optional[int]:
  """Loads the student weights of a run's newest learner checkpoint
  (<run_dir>/checkpoints/learner, the LearnerNode's) into `network`, whose
  variables exist (single_game.build); returns the env steps the learner had
  trained on.
  """
  directory = run_dirs.join(run_dir, 'checkpoints', 'learner')
  path = tf.train.latest_checkpoint(directory)
  if path is None:
    raise FileNotFoundError(
        f'No learner checkpoint in {directory}: is {run_dir} the run '
        'directory of a finished kickstarting program (or a PBT member_<i>)?')
  # The learner checkpoints its `state` dict under 'learner'; only the
  # network is wanted here, and all of its variables must be found.
  status = tf.train.Checkpoint(learner={'network': network}).restore(path)
  status.assert_existing_objects_matched().expect_partial()
  reader = tf.train.load_checkpoint(path)
  key = 'learner/num_env_steps/.ATTRIBUTES/VARIABLE_VALUE'
  return int(reader.get_tensor(key)) if reader.has_tensor(key) else None


def evaluate_checkpoint(network, run_dir: str, games: Sequence[str],
                        episodes_per_game: int,
                        seed: int) -> Dict[str, object]:
  """A run's final score: its last checkpoint's policy, `episodes_per_game`
  complete episodes of every game (evaluate_returns, fixed quotas), played on
  environments seeded from `seed`, not from training's seeds."""
  env_steps = restore_learner_network(network, run_dir)
  game_seeds = seeding.spawn_seeds(seed, len(games),
                                   key=(seeding.FINAL_EVALUATION,))
  returns = {game: evaluate_returns(network, game, episodes_per_game,
                                    seed=game_seed)
             for game, game_seed in zip(games, game_seeds)}
  return {'returns': returns, 'episodes_per_game': episodes_per_game,
          'seed': seed, 'learner_env_steps': env_steps}
