"""Kickstarting from a stock acme Q-network teacher: the KL/distillation curve.

The teacher is acme.tf.networks.DQNAtariNetwork on raw breakout frames (its 4
channels) with breakout's minimal action set (noop, left, right), snapshotted
the acme way and loaded through a TeacherSpec (raw_channels, action_map
'minimal', q_temperature). A single-process student (MinAtarNetwork, 6 actions)
is kickstarted on breakout with lambda = 1 and no entropy bonus, so the curve
shows distillation alone (`distil_on_breakout`, which its test runs for fewer
steps).

  python -m benchmarks.acme_q_teacher --env_steps=8000 \
      --output=results/teachers_from_anywhere
"""

import json
import os
import tempfile
from typing import Dict, List

from absl import app
from absl import flags
import numpy as np
import tensorflow as tf

flags.DEFINE_integer('env_steps', 8000, 'Env steps of the run.')
flags.DEFINE_float('q_temperature', 0.005, 'tau of softmax(Q / tau).')
flags.DEFINE_string('output', 'results/teachers_from_anywhere', 'Output dir.')
FLAGS = flags.FLAGS
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def distil_on_breakout(teacher_spec, env_steps: int) -> List[Dict[str, float]]:
  """A short single-process kickstarting run on breakout from `teacher_spec`
  (a TeacherSpec), lambda = 1 and no entropy bonus, so the curve shows
  distillation alone. One row per learner step: env steps, KL to the teacher,
  distillation loss."""
  from acme_kickstart.agents.kickstarting.agent import KickstartingAgent  # pylint: disable=g-import-not-at-top
  from acme_kickstart.agents.kickstarting.config import KickstartingConfig  # pylint: disable=g-import-not-at-top
  from acme_kickstart.environments import minatar  # pylint: disable=g-import-not-at-top
  from acme_kickstart.experiments import factories  # pylint: disable=g-import-not-at-top
  from acme_kickstart.experiments import single_game  # pylint: disable=g-import-not-at-top
  from acme_kickstart.experiments.config import ExperimentConfig  # pylint: disable=g-import-not-at-top
  from acme_kickstart.networks import MinAtarNetwork  # pylint: disable=g-import-not-at-top
  teachers = factories.load_teachers(
      ExperimentConfig(teachers={'breakout': teacher_spec}))
  agent_config = KickstartingConfig(batch_size=8, sequence_length=10,
                                    entropy_cost=0.0, learning_rate=2e-3,
                                    distillation_costs=(1.0,),
                                    num_envs_per_actor=8)
  rows = []
  with KickstartingAgent(single_game.make_envs('breakout', 8, seed=0),
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



def main(_):
  from acme.tf import networks as acme_networks  # pylint: disable=g-import-not-at-top
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top

  from acme_kickstart.teachers import stock_acme  # pylint: disable=g-import-not-at-top
  from acme_kickstart.teachers.specs import TeacherSpec  # pylint: disable=g-import-not-at-top
  from acme_kickstart.utils import provenance  # pylint: disable=g-import-not-at-top

  tf.random.set_seed(0)
  snapshot = stock_acme.write_snapshot(
      acme_networks.DQNAtariNetwork(3),
      stock_acme.raw_observation_spec('breakout'), tempfile.mkdtemp())
  rows = distil_on_breakout(
      TeacherSpec(snapshot, observation_fn='raw_channels',
                  action_map='minimal', q_temperature=FLAGS.q_temperature),
      FLAGS.env_steps)

  os.makedirs(FLAGS.output, exist_ok=True)
  steps = np.array([r['env_steps'] for r in rows])
  kl = np.array([r['kl'] for r in rows])
  distillation = np.array([r['distillation_loss'] for r in rows])
  window = max(1, len(rows) // 10)
  summary = dict(
      teacher='acme.tf.networks.DQNAtariNetwork(3), raw breakout frames, '
              'minimal action set (0, 1, 3), softmax(Q / tau)',
      q_temperature=FLAGS.q_temperature, env_steps=int(steps[-1]),
      learner_steps=len(rows), window=window,
      kl_first=float(kl[:window].mean()), kl_last=float(kl[-window:].mean()),
      distillation_first=float(distillation[:window].mean()),
      distillation_last=float(distillation[-window:].mean()),
      git_commit=provenance.git_commit(ROOT),
      command=f'python -m benchmarks.acme_q_teacher '
              f'--env_steps={FLAGS.env_steps} '
              f'--q_temperature={FLAGS.q_temperature}',
      curve=rows)
  with open(os.path.join(FLAGS.output, 'acme_q_teacher.json'), 'w') as f:
    json.dump(summary, f, indent=1)
  fig, ax = plt.subplots(figsize=(6, 3.5))
  ax.plot(steps, kl, label='KL(teacher || student)')
  ax.plot(steps, distillation, label='distillation loss (cross-entropy)')
  ax.set_xlabel('env steps')
  ax.set_ylabel('nats')
  ax.set_title('Kickstarting from a stock acme DQN (raw frames, minimal set)')
  ax.legend()
  fig.tight_layout()
  fig.savefig(os.path.join(FLAGS.output, 'acme_q_teacher.png'), dpi=100)
  print(json.dumps({k: v for k, v in summary.items() if k != 'curve'}))


if __name__ == '__main__':
  app.run(main)
