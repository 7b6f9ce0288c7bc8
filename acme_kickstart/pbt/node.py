"""The PBT controller node: reads fitness, exploits and explores, logs lineage."""

import csv
import json
import time
from typing import Any, Dict, List, Optional, Sequence, Set

from absl import logging
import launchpad as lp

from acme_kickstart.experiments import stopping
from acme_kickstart.pbt import fitness as pbt_fitness
from acme_kickstart.pbt.config import PBTConfig
from acme_kickstart.pbt.controller import PopulationController
from acme_kickstart.pbt.search_space import Hyperparameters
from acme_kickstart.pbt.search_space import SearchSpace
from acme_kickstart.utils import run_dirs


def pbt_dir(config: PBTConfig) -> str:
  return run_dirs.join(run_dirs.resolve(config.run_dir), 'pbt')


class PBTControllerNode:
  """Drives a population through courier calls on its learners.

  Every period it reads each member's fitness (its evaluator) and env steps
  (its counter), logs every member's hyperparameters, and applies the
  controller's decisions: the loser's learner takes the winner's network,
  optimizer state and hyperparameters in one call between two of its steps,
  then the explored hyperparameters, and checkpoints.

  An exploit is one recoverable unit. Before the copy, controller.json is
  saved with the decision applied and marked pending; after it, the lineage
  line is written and the mark cleared. A controller restarted on a pending
  exploit does the copy again (from the winner's current weights) and writes
  the lineage line if it is missing, so on disk the population is either
  before the exploit or after it, never the loser's old hyperparameters on
  the winner's weights. A member's evaluator forgets its rounds after an
  exploit; a call that fails is retried every round, and until it succeeds
  the member has no fitness.
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
    self._pending: Optional[Dict[str, Any]] = None  # An exploit in flight.
    self._num_exploits = 0  # Exploits begun: the id of each lineage line.
    self._stale_evaluators: Set[int] = set()  # Still to forget their rounds.
    self._state_path = run_dirs.join(self._dir, 'controller.json')
    self._lineage_path = run_dirs.join(self._dir, 'lineage.jsonl')
    if run_dirs.exists(self._state_path):
      with run_dirs.open(self._state_path) as f:
        self._load_state(json.load(f))
      logging.info('PBT controller resumed from %s', self._state_path)

  def _load_state(self, state: Dict[str, Any]):
    if 'controller' not in state:  # A controller.json without exploits' state.
      state = {'controller': state}
    self._controller.load_state_dict(state['controller'])
    self._pending = state.get('pending')
    self._num_exploits = int(state.get('num_exploits', 0))
    self._stale_evaluators = set(state.get('stale_evaluators', []))

  def _save_state(self):
    tmp = self._state_path + '.tmp'
    with run_dirs.open(tmp, 'w') as f:
      json.dump({'controller': self._controller.state_dict(),
                 'pending': self._pending, 'num_exploits': self._num_exploits,
                 'stale_evaluators': sorted(self._stale_evaluators)}, f)
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

  # ---------------------------------------------------------------- exploits
  def _copy(self, record: Dict[str, Any]) -> bool:
    """The loser's learner takes the winner's state; whether it did."""
    try:
      state = self._learners[record['copied']].get_state()
      self._learners[record['member']].set_state(
          state, Hyperparameters.from_dict(
              record['hyperparameters']).as_dict())
      return True
    except Exception as e:  # pylint: disable=broad-except
      logging.warning('PBT: member %d could not copy member %d (%s).',
                      record['member'], record['copied'], e)
      return False

  def _lineage_ids(self) -> Set[int]:
    if not run_dirs.exists(self._lineage_path):
      return set()
    with run_dirs.open(self._lineage_path) as f:
      return {json.loads(line).get('exploit') for line in f if line.strip()}

  def _finish(self, record: Dict[str, Any]):
    """After the copy: the lineage line (once), then the state without the
    pending mark; then the loser's evaluator forgets its rounds."""
    if record['exploit'] not in self._lineage_ids():
      line = {k: v for k, v in record.items()
              if k not in ('previous_hyperparameters', 'previous_last_change')}
      with run_dirs.open(self._lineage_path, 'a') as f:
        f.write(json.dumps(line) + '\n')
    self._pending = None
    self._stale_evaluators.add(record['member'])
    self._save_state()
    self._forget_stale_rounds()
    logging.info('PBT: member %d copied member %d at %d env steps',
                 record['member'], record['copied'], record['env_steps'])

  def _undo(self, record: Dict[str, Any]):
    self._controller.revert_member(
        record['member'],
        Hyperparameters.from_dict(record['previous_hyperparameters']),
        record['previous_last_change'])
    self._pending = None
    self._save_state()

  def _resume_pending(self):
    """A restarted controller finishes the exploit it was in (module doc)."""
    if self._pending is None:
      return
    record = self._pending
    logging.info('PBT: finishing the exploit of member %d from member %d '
                 'that the last controller left pending.', record['member'],
                 record['copied'])
    if self._copy(record):
      self._finish(record)
    else:
      self._undo(record)

  def _forget_stale_rounds(self):
    """Evaluators whose past rounds measured weights their member no longer
    has; one that cannot be reached now is asked again next round."""
    for member in sorted(self._stale_evaluators):
      try:
        self._evaluators[member].reset_returns()
      except Exception as e:  # pylint: disable=broad-except
        logging.warning('PBT: member %d\'s evaluator could not forget its '
                        'rounds (%s); retrying next round.', member, e)
        continue
      self._stale_evaluators.discard(member)
    self._save_state()

  def _fitness(self, member: int) -> Optional[float]:
    if member in self._stale_evaluators:
      return None  # Its rounds may have played the replaced weights.
    return pbt_fitness.member_fitness(
        self._config.member, self._evaluators[member],
        self._config.fitness_rounds, self._config.fitness_cap)

  def step(self) -> list:
    """One round; returns the exploits it applied."""
    self._resume_pending()
    self._forget_stale_rounds()
    self._push_hyperparameters()
    env_steps = [int(c.get_counts().get('actor_steps', 0))
                 for c in self._counters]
    fitness = [self._fitness(m) for m in range(len(self._evaluators))]
    self._log_hyperparameters(env_steps, fitness)
    applied = []
    for decision in self._controller.step(fitness, env_steps,
                                          self._copyable()):
      self._num_exploits += 1
      record = {
          'exploit': self._num_exploits, 'time': time.time(),
          'env_steps': decision.env_steps, 'member': decision.loser,
          'copied': decision.winner, 'fitness': fitness[decision.loser],
          'copied_fitness': fitness[decision.winner],
          'copied_hyperparameters':
              decision.winner_hyperparameters.state_dict(),
          'hyperparameters': decision.hyperparameters.state_dict(),
          'previous_hyperparameters':
              decision.previous_hyperparameters.state_dict(),
          'previous_last_change': decision.previous_last_change}
      self._pending = record
      self._save_state()  # The decision, before any learner changes.
      if self._copy(record):
        self._finish(record)
        applied.append(decision)
      else:
        self._undo(record)
    self._save_state()
    return applied

  def run(self):
    stopping.run_until_stopped(self._control, 'PBT controller')

  def _control(self, stop):
    while not stop.is_set():
      self.step()
      if all(int(c.get_counts().get('actor_steps', 0)) >=
             self._config.member.run.max_env_steps for c in self._counters):
        lp.stop()
        return
      stopping.sleep_unless_stopped(
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
