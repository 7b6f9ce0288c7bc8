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
  envs = make_envs(game, len(quotas), seed)
  actor = acting.BatchedActor(network, envs, seed=seed)
  returns = [[] for _ in quotas]
  while any(len(r) < q for r, q in zip(returns, quotas)):
    actor.step()
    for episode in actor.pop_episodes():
      if len(returns[episode.env_index]) < quotas[episode.env_index]:
        returns[episode.env_index].append(episode.episode_return)
  return [r for env_returns in returns for r in env_returns]


def restore_learner_network(network, run_dir: str) -> Optional[int]:
  """Loads the student weights of a run's newest learner checkpoint
  (<run_dir>/checkpoints/learner, CheckpointedLearner's) into `network`, whose
  variables exist (`build`); returns the env steps the learner had trained on.
  """
  from acme_kickstart import run_dirs  # pylint: disable=g-import-not-at-top
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
  environments seeded by `seed`, not by training's seeds."""
  env_steps = restore_learner_network(network, run_dir)
  returns = {game: evaluate_returns(network, game, episodes_per_game,
                                    seed=seed + 7919 * i)
             for i, game in enumerate(games)}
  return {'returns': returns, 'episodes_per_game': episodes_per_game,
          'seed': seed, 'learner_env_steps': env_steps}


def teacher_set(teacher: Teacher, game: str) -> TeacherSet:
  return TeacherSet({minatar.GAMES.index(game): teacher}, len(minatar.GAMES),
                    minatar.NUM_ACTIONS, minatar.observation_spec(),
                    minatar.GAMES)


def build(network):
  tf2_utils.create_variables(network, [minatar.observation_spec()])
  return network


def distil_on_breakout(teacher_spec, env_steps: int) -> List[Dict[str, float]]:
  """A short single-process kickstarting run on breakout from `teacher_spec`
  (a TeacherSpec), lambda = 1 and no entropy bonus, so the curve shows
  distillation alone. One row per learner step: env steps, KL to the teacher,
  distillation loss. (benchmarks/acme_q_teacher.py and its test.)"""
  from acme_kickstart.agents.kickstarting import builder  # pylint: disable=g-import-not-at-top
  from acme_kickstart.agents.kickstarting.config import ProgramConfig  # pylint: disable=g-import-not-at-top
  config = ProgramConfig(teachers={'breakout': teacher_spec})
  spec = builder.environment_spec(config)
  teachers = builder.load_teachers(config, spec.actions.num_values,
                                   spec.observations)
  agent_config = KickstartingConfig(batch_size=8, sequence_length=10,
                                    entropy_cost=0.0, learning_rate=2e-3,
                                    distillation_costs=(1.0,),
                                    num_envs_per_actor=8, seed=0)
  rows = []
  with KickstartingAgent(make_envs('breakout', 8, seed=0),
                         MinAtarNetwork(6, hidden_size=32, lstm_size=32),
                         agent_config, minatar.GAMES,
                         teachers=teachers) as agent:
    learner_step = agent.learner.step

    def logged_step():
      metrics = learner_step()
      rows.append(dict(env_steps=agent.env_steps,
                       kl=float(metrics['kl/breakout']),
                       distillation_loss=float(metrics['distillation_loss'])))
      return metrics
    agent.learner.step = logged_step
    agent.run(env_steps)
  return rows
