"""The PBT controller node: reads fitness, exploits and explores, logs lineage."""

import csv
import json
import time
from typing import List, Sequence

from absl import logging
import launchpad as lp

from acme_kickstart import run_dirs
from acme_kickstart.agents.kickstarting import checkpointing
from acme_kickstart.pbt import fitness as pbt_fitness
from acme_kickstart.pbt.config import PBTConfig
from acme_kickstart.pbt.controller import PopulationController
from acme_kickstart.pbt.search_space import Hyperparameters
from acme_kickstart.pbt.search_space import SearchSpace


def pbt_dir(config: PBTConfig) -> str:
  return run_dirs.join(run_dirs.resolve(config.run_dir), 'pbt')


class PBTControllerNode:
  """Drives a population through courier calls on its learners.

  Every period it reads each member's fitness (its evaluator) and env steps
  (its counter), logs every member's hyperparameters, and applies the
  controller's decisions: the loser's learner takes the winner's network,
  optimizer state and hyperparameters in one call between two of its steps,
  then the explored hyperparameters, and checkpoints. Its state is saved after
  every round, so a restarted controller resumes where it was.
  """

  def __init__(self, config: PBTConfig, learners: Sequence, evaluators: Sequence,
               counters: Sequence):
    self._config = config
    self._learners, self._evaluators = list(learners), list(evaluators)
    self._counters = list(counters)
    self._dir = pbt_dir(config)
    run_dirs.makedirs(self._dir)
    space = SearchSpace(num_tasks=len(config.member.tasks),
                        **config.search_space)
    self._controller = PopulationController(
        config.population_size, space, seed=config.seed,
        fraction=config.fraction, ready_env_steps=config.ready_env_steps,
        initial=config.initial,
        anchor=(member_hyperparameters(config, space)
                if config.anchor_first_member else None))
    self._state_path = run_dirs.join(self._dir, 'controller.json')
    if run_dirs.exists(self._state_path):
      with run_dirs.open(self._state_path) as f:
        self._controller.load_state_dict(json.load(f))
      logging.info('PBT controller resumed from %s', self._state_path)

  def _save_state(self):
    tmp = self._state_path + '.tmp'
    with run_dirs.open(tmp, 'w') as f:
      json.dump(self._controller.state_dict(), f)
    run_dirs.replace(tmp, self._state_path)

  def _push_hyperparameters(self):
    """Every round, every member: a learner restored from a checkpoint older
    than PBT's last change to it gets the controller's values back within
    one period (and the learner checkpoints what it is given)."""
    for member, (learner, hyper) in enumerate(
        zip(self._learners, self._controller.hyperparameters)):
      try:
        learner.set_hyperparameters(**hyper.as_dict())
      except Exception as e:  # pylint: disable=broad-except
        logging.warning('PBT: could not set member %d\'s hyperparameters '
                        '(%s); retrying next round.', member, e)
    self._save_state()

  def _copyable(self) -> List[bool]:
    """Members whose learner has stepped and checkpointed: only those may be
    copied from (a learner just restarted without a checkpoint holds initial
    weights, whatever its evaluator last measured)."""
    copyable = []
    for learner in self._learners:
      try:
        copyable.append(bool(learner.has_checkpoint()) and
                        learner.get_num_steps() > 0)
      except Exception:  # pylint: disable=broad-except
        copyable.append(False)
    return copyable

  def _log_hyperparameters(self, env_steps, fitness):
    path = run_dirs.join(self._dir, 'hyperparameters.csv')
    tasks = list(self._config.member.tasks)
    new = not run_dirs.exists(path)
    with run_dirs.open(path, 'a') as f:
      writer = csv.writer(f)
      if new:
        writer.writerow(['time', 'member', 'env_steps', 'fitness',
                         'learning_rate', 'entropy_cost'] +
                        [f'lambda/{t}' for t in tasks])
      for member, hyper in enumerate(self._controller.hyperparameters):
        writer.writerow([round(time.time(), 2), member, env_steps[member],
                         fitness[member], hyper.learning_rate,
                         hyper.entropy_cost] + list(hyper.distillation_costs))

  def step(self) -> list:
    """One round; returns the exploits it applied."""
    self._push_hyperparameters()
    env_steps = [int(c.get_counts().get('actor_steps', 0))
                 for c in self._counters]
    fitness = [pbt_fitness.member_fitness(
        self._config.member, e, self._config.fitness_rounds,
        self._config.fitness_cap) for e in self._evaluators]
    self._log_hyperparameters(env_steps, fitness)
    applied = []
    for decision in self._controller.step(fitness, env_steps,
                                          self._copyable()):
      try:
        state = self._learners[decision.winner].get_state()
        self._learners[decision.loser].set_state(
            state, decision.hyperparameters.as_dict())
      except Exception as e:  # pylint: disable=broad-except
        logging.warning('PBT: member %d could not copy member %d (%s); '
                        'skipped.', decision.loser, decision.winner, e)
        self._controller.revert(decision)
        continue
      applied.append(decision)
      # Its evaluator's past rounds measured the weights it no longer has.
      self._evaluators[decision.loser].reset_returns()
      with run_dirs.open(run_dirs.join(self._dir, 'lineage.jsonl'), 'a') as f:
        f.write(json.dumps({
            'time': time.time(), 'env_steps': decision.env_steps,
            'member': decision.loser, 'copied': decision.winner,
            'fitness': fitness[decision.loser],
            'copied_fitness': fitness[decision.winner],
            'copied_hyperparameters':
                decision.winner_hyperparameters.state_dict(),
            'hyperparameters': decision.hyperparameters.state_dict()}) + '\n')
      logging.info('PBT: member %d copied member %d at %d env steps',
                   decision.loser, decision.winner, decision.env_steps)
    self._save_state()
    return applied

  def run(self):
    checkpointing.run_until_stopped(self._control, 'PBT controller')

  def _control(self, stop):
    while not stop.is_set():
      self.step()
      if all(int(c.get_counts().get('actor_steps', 0)) >=
             self._config.member.run.max_env_steps for c in self._counters):
        lp.stop()
        return
      checkpointing.sleep_unless_stopped(
          self._config.controller_period_seconds, stop)


def member_hyperparameters(config: PBTConfig,
                           space: SearchSpace) -> Hyperparameters:
  """The member config's own hyperparameters, as a point of `space`."""
  agent = config.member.agent
  costs = list(agent.distillation_costs)
  if len(costs) == 1:
    costs = costs * space.num_tasks
  if space.lambdas == 'factorised':
    alpha = float(max(costs))
    rho = [c / alpha if alpha > 0 else 1.0 for c in costs]
    return Hyperparameters.factorised(agent.learning_rate, agent.entropy_cost,
                                      alpha, rho)
  return Hyperparameters(agent.learning_rate, agent.entropy_cost,
                         tuple(float(c) for c in costs))
