"""Runs an experiment in this process: the single-process twin of the program.

It takes the same `ExperimentConfig` as program.py and builds the same parts
through the same factories and builder: one actor of
`agent.num_envs_per_actor` environments (tasks round robin, as the program's
actor 0 with no `actor_tasks`), their teachers, a Reverb queue and the
learner, all stepped in turn by KickstartingAgent.
"""

from typing import Optional

from acme_kickstart.agents.kickstarting.agent import KickstartingAgent
from acme_kickstart.experiments import factories
from acme_kickstart.experiments.config import ExperimentConfig
from acme_kickstart.experiments.config import Topology
from acme_kickstart.utils import loggers
from acme_kickstart.utils import seeding


def make_agent(experiment: ExperimentConfig,
               log_to_run_dir: bool = False) -> KickstartingAgent:
  """The experiment's single-process agent (not yet stepped).

  With `log_to_run_dir` the learner writes its rows and lambda events under
  `experiment.run.run_dir`, as the program's learner does.
  """
  experiment.validate()
  num_envs = experiment.agent.num_envs_per_actor
  tasks = Topology(num_actors=1).tasks_of_actor(experiment.tasks, 0, num_envs)
  *env_seeds, actor_seed = seeding.launch_seeds(
      experiment.seed, 1, (seeding.ACTOR, 0), num_envs + 1)
  environments = [factories.make_environment(experiment, task, seed=env_seed)
                  for task, env_seed in zip(tasks, env_seeds)]
  logger = events_logger = None
  if log_to_run_dir:
    run_dir = experiment.run.run_dir
    logger = loggers.make_logger(run_dir, 'learner', terminal_seconds=None,
                                 min_seconds=experiment.run.
                                 progress_period_seconds)
    events_logger = loggers.make_events_logger(run_dir)
  return KickstartingAgent(
      environments, factories.make_network(experiment),
      experiment.agent, experiment.tasks,
      teachers=factories.load_teachers(experiment, tasks),
      logger=logger, score_ranges=factories.score_ranges(experiment),
      events_logger=events_logger, seed=actor_seed)


def run_experiment(experiment: ExperimentConfig,
                   num_env_steps: Optional[int] = None,
                   log_to_run_dir: bool = True) -> KickstartingAgent:
  """Acts and learns for `num_env_steps` (default `run.max_env_steps`) env
  steps; returns the agent, closed (its episodes and network stay readable)."""
  agent = make_agent(experiment, log_to_run_dir)
  with agent:
    agent.run(num_env_steps or experiment.run.max_env_steps)
  return agent
