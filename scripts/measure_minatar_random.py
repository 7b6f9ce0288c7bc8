"""Measures MinAtar-5 random-policy scores (environments/minatar.py RANDOM_SCORES).

A uniform-random policy over the 6 actions plays `--episodes` episodes of each
game through `acme_kickstart.environments.minatar.make_environment` (sticky
actions 0.1, difficulty ramping on, the adapter's 10k-step cap), and prints the
mean and the standard error of the episode return.
"""

import argparse

import numpy as np

from acme_kickstart.environments import minatar


def random_returns(game: str, num_episodes: int, seed: int) -> np.ndarray:
  env = minatar.make_environment(game, seed=seed, sticky_action_prob=0.1)
  rng = np.random.default_rng(seed)
  returns = []
  for _ in range(num_episodes):
    timestep = env.reset()
    episode_return = 0.0
    while not timestep.last():
      timestep = env.step(rng.integers(minatar.NUM_ACTIONS))
      episode_return += float(timestep.reward)
    returns.append(episode_return)
  return np.asarray(returns)


def main():
  parser = argparse.ArgumentParser(description=__doc__)
  parser.add_argument('--episodes', type=int, default=200)
  parser.add_argument('--seed', type=int, default=0)
  args = parser.parse_args()
  for game in minatar.GAMES:
    returns = random_returns(game, args.episodes, args.seed)
    print(f'{game:16s} mean {returns.mean():8.4f}  '
          f'stderr {returns.std(ddof=1) / np.sqrt(len(returns)):.4f}  '
          f'episodes {len(returns)}')


if __name__ == '__main__':
  main()
