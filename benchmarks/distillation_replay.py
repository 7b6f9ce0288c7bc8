"""Distillation replay on breakout: how far the student gets toward
its teacher in a fixed number of env steps, per replay ratio.

Single process (agent.py), the shipped breakout teacher, lambda = 1, the
default batch (32 x 20) and 32 environments. After training, the student acts
on fresh environments and, on the states it visits, we read the probability it
puts on the teacher's preferred action, how often their argmax agree, and the
cross-entropy and KL to the teacher. With --staleness, replayed batches also
measure the stale-core-state effect (see `staleness`).

  python -m benchmarks.distillation_replay --ratios 0,1,2,4 --seeds 0,1,2 \
      --env_steps 100000 --staleness --output results/distillation_replay/ratios.json
"""

import argparse
import json
import time

# First: it turns TF's oneDNN kernels on (acme_kickstart/__init__.py), which
# counts only before anything loads TF's library, as launchpad does.
import acme_kickstart  # pylint: disable=unused-import

import numpy as np
import tensorflow as tf
import tree

from acme.tf import utils as tf2_utils
from acme_kickstart.agents.kickstarting import losses
from acme_kickstart.agents.kickstarting.agent import KickstartingAgent
from acme_kickstart.agents.kickstarting.builder import KickstartingBuilder
from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.environments import minatar
from acme_kickstart.experiments import factories
from acme_kickstart.experiments.config import ExperimentConfig
from acme_kickstart.experiments.single_game import make_envs

TEACHER = 'teachers/minatar5/breakout'


class _Recorder:
  """A batched 'adder' that keeps what the actor computed on each step."""

  def __init__(self):
    self.student, self.teacher = [], []

  def add_batch(self, observations, starts, actions, rewards, discounts, last,
                final_observations, extras):
    del observations, starts, actions, rewards, discounts, last
    del final_observations
    self.student.append(extras['logits'])
    self.teacher.append(extras['teacher_logits'])


def agreement(network, teachers, num_steps: int = 100, seed: int = 99):
  """Student vs teacher on the states the student visits (fresh games)."""
  recorder = _Recorder()
  actor = KickstartingBuilder(KickstartingConfig()).make_actor(
      network, make_envs('breakout', 32, seed=seed), recorder,
      teachers=teachers, seed=seed)
  for _ in range(num_steps):
    actor.step()
  student = np.concatenate(recorder.student)
  teacher = np.concatenate(recorder.teacher)
  probs = tf.nn.softmax(student).numpy()
  best = teacher.argmax(-1)
  rows = np.arange(len(best))
  return {
      'prob_on_teacher_action': float(probs[rows, best].mean()),
      # The ceiling of the above: the teacher's own probability on it.
      'teacher_prob_on_own_action': float(
          tf.nn.softmax(teacher).numpy()[rows, best].mean()),
      'argmax_agreement': float((student.argmax(-1) == best).mean()),
      'cross_entropy': float(tf.reduce_mean(
          losses.distillation_loss(teacher, student))),
      'kl': float(tf.reduce_mean(losses.distillation_kl(teacher, student))),
  }


def staleness(agent, burn_in: int, num_batches: int = 4):
  """Replayed batches: logits from the state stored at step b (as if the
  sequence started there: stale) vs from the state stored at step 0 carried
  over b steps by the current weights (burn-in). Steps b.. are compared."""
  reader = agent.learner._replay._reader  # pylint: disable=protected-access
  network = agent.network
  rows = []
  for sample in reader.dataset().take(num_batches):
    data = tf2_utils.batch_to_sequence(sample.data)
    states = data.extras['core_state']
    obs = data.observation
    head = tree.map_structure(lambda x: x[:burn_in], obs)
    tail = tree.map_structure(lambda x: x[burn_in:], obs)
    _, burned = network.unroll(head, tree.map_structure(lambda s: s[0], states))
    (burned_logits, _), _ = network.unroll(tail, burned)
    (stale_logits, _), _ = network.unroll(
        tail, tree.map_structure(lambda s: s[burn_in], states))
    teacher = data.extras['teacher_logits'][burn_in:]
    valid = tf.cast(data.extras['valid'][burn_in:], tf.float32).numpy() > 0
    mean = lambda x: float(np.asarray(x)[valid].mean())
    rows.append({
        'kl_burned_vs_stale': mean(losses.distillation_kl(burned_logits,
                                                          stale_logits)),
        'ce_teacher_stale': mean(losses.distillation_loss(teacher,
                                                          stale_logits)),
        'ce_teacher_burned': mean(losses.distillation_loss(teacher,
                                                           burned_logits)),
    })
  return {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}


def run(ratio: int, env_steps: int, burn_in: int, window: int, seed: int,
        measure_staleness: bool):
  config = ExperimentConfig(tasks=minatar.GAMES, teachers={'breakout': TEACHER})
  teachers = factories.load_teachers(config)
  agent_config = KickstartingConfig(
      distillation_costs=(1.0,), num_envs_per_actor=32,
      distillation_replay_ratio=ratio, distillation_replay_window=window,
      distillation_replay_burn_in=burn_in)
  network = factories.make_network(config)
  learner_seconds = [0.0]
  rows = []
  with KickstartingAgent(make_envs('breakout', 32, seed=seed), network,
                         agent_config, minatar.GAMES,
                         teachers=teachers, seed=seed) as agent:
    learner_step = agent.learner.step

    def timed_step():
      start = time.time()
      metrics = learner_step()
      learner_seconds[0] += time.time() - start
      rows.append({k: float(v) for k, v in metrics.items()
                   if k.startswith('replay/') or k in (
                       'cross_entropy', 'kl/breakout', 'learner_env_steps')})
      return metrics
    agent.learner.step = timed_step
    start = time.time()
    agent.run(env_steps)
    result = {
        'ratio': ratio, 'burn_in': burn_in, 'window': window, 'seed': seed,
        'env_steps': agent.env_steps,
        'learner_steps': agent.learner.num_steps,
        'learner_env_steps': agent.learner.num_env_steps,
        'seconds': time.time() - start,
        'learner_seconds_per_env_step': learner_seconds[0] / agent.env_steps,
        'last_log': rows[-1],
        **agreement(network, teachers),
    }
    if measure_staleness and ratio > 0:
      result['staleness'] = {b: staleness(agent, b) for b in (2, 5, 10)}
  return result


def main():
  parser = argparse.ArgumentParser()
  parser.add_argument('--ratios', default='0,1,2,4')
  parser.add_argument('--env_steps', type=int, default=100_000)
  parser.add_argument('--burn_in', type=int, default=0)
  parser.add_argument('--window', type=int, default=1_000)
  parser.add_argument('--seeds', default='0')
  parser.add_argument('--staleness', action='store_true')
  parser.add_argument('--output', default=None)
  args = parser.parse_args()
  results = []
  for seed in [int(s) for s in args.seeds.split(',')]:
    for ratio in [int(r) for r in args.ratios.split(',')]:
      results.append(run(ratio, args.env_steps, args.burn_in, args.window,
                         seed, args.staleness))
      print(json.dumps(results[-1]), flush=True)
  if args.output:
    with open(args.output, 'w') as f:
      json.dump(results, f, indent=1)


if __name__ == '__main__':
  main()
