"""Evaluating a policy: a fixed quota of complete episodes per environment.

`evaluate_returns` plays a network in memory on one MinAtar game (the
teachers'); `evaluate_checkpoint` is a run's final evaluation: the network
its experiment names, restored from the learner's last checkpoint, on the
environments of the experiment's own suite.
"""

from typing import Dict, List, Optional, Sequence, Tuple

import dm_env
import numpy as np
import sonnet as snt
import tensorflow as tf

from acme_kickstart.agents.kickstarting.builder import KickstartingBuilder
from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.experiments import factories
from acme_kickstart.experiments import single_game
from acme_kickstart.experiments.config import ExperimentConfig
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
  """Returns of `num_episodes` complete episodes of the sampled policy on
  MinAtar's `game` (see `play_quotas`)."""
  quotas = episode_quotas(num_episodes, min(num_envs, num_episodes))
  envs = single_game.make_envs(game, len(quotas), seed)
  return play_quotas(network, envs, quotas, seed)


def play_quotas(network, envs: Sequence[dm_env.Environment],
                quotas: Sequence[int], seed: int,
                agent: Optional[KickstartingConfig] = None) -> List[float]:
  """Returns of the sampled policy: environment i's first quotas[i] episodes.

  Every environment plays a quota of episodes fixed before the first step,
  and all of them count. Taking the first episodes to finish across parallel
  environments instead would favour short episodes (in most games, the bad
  ones) and score the policy low.
  """
  actor = KickstartingBuilder(agent or KickstartingConfig()).make_actor(
      network, envs, seed=seed)
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
  variables exist (factories.build_network); returns the env steps the
  learner had trained on.
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


def restore_network(experiment: ExperimentConfig,
                    run_dir: str) -> Tuple[snt.RNNCore, Optional[int]]:
  """The experiment's student network with the weights of `run_dir`'s newest
  learner checkpoint, and the env steps the learner had trained on."""
  spec = factories.environment_spec(experiment)
  network = factories.build_network(
      factories.make_network(experiment, spec.actions.num_values), spec)
  return network, restore_learner_network(network, run_dir)


def evaluate_checkpoint(experiment: ExperimentConfig, episodes_per_task: int,
                        seed: Optional[int] = None,
                        run_dir: Optional[str] = None,
                        num_envs: int = 16) -> Dict[str, object]:
  """A run's final score: its last checkpoint's policy, `episodes_per_task`
  complete episodes of every task of `experiment` (fixed quotas, at most
  `num_envs` environments at once).

  The environments are the suite's as its evaluator plays them (mode 'test':
  DMLab-30's held-out levels), seeded from `seed`, not from training's seeds
  (default: the experiment's seed + seeding.FINAL_EVALUATION_SEED_OFFSET).
  `run_dir` defaults to the experiment's (a PBT member's is another).
  """
  if seed is None:
    seed = experiment.seed + seeding.FINAL_EVALUATION_SEED_OFFSET
  network, env_steps = restore_network(experiment,
                                       run_dir or experiment.run.run_dir)
  quotas = episode_quotas(episodes_per_task,
                          min(num_envs, episodes_per_task))
  task_seeds = seeding.spawn_seeds(seed, len(experiment.tasks),
                                   key=(seeding.FINAL_EVALUATION,))
  returns = {}
  for task, task_seed in zip(experiment.tasks, task_seeds):
    envs = [factories.make_environment(experiment, task, seed=env_seed,
                                       mode='test')
            for env_seed in seeding.spawn_seeds(task_seed, len(quotas))]
    returns[task] = play_quotas(network, envs, quotas, task_seed,
                                experiment.agent)
  # 'episodes_per_game' is the key final_eval.json and the demo's
  # results.json are read by (benchmarks/kickstarting/report.py).
  return {'returns': returns, 'episodes_per_game': episodes_per_task,
          'seed': seed, 'learner_env_steps': env_steps}
