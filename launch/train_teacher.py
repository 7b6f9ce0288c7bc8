"""Trains one MinAtar teacher from scratch and writes it as an acme snapshot.

  python -m launch.train_teacher --game=breakout --steps=600000 \
      --output=teachers/minatar5/breakout

Writes <output>/saved_model.pb (+ variables) and <output>/teacher.json with the
command, config and evaluation score. `make teachers` trains all five.
"""

import dataclasses
import json
import os
import sys
import time

from absl import app
from absl import flags

from acme_kickstart.agents.kickstarting import KickstartingConfig
from acme_kickstart.environments import minatar
from acme_kickstart.experiments import evaluation
from acme_kickstart.experiments import single_game
from acme_kickstart.networks import MinAtarNetwork
from acme_kickstart.utils import run_dirs

flags.DEFINE_enum('game', 'breakout', minatar.GAMES, 'MinAtar game.')
flags.DEFINE_integer('steps', None, 'Env steps of training (default: the '
                     "game's entry in TEACHER_STEPS).")
flags.DEFINE_integer('seed', 1, 'Seed.')
flags.DEFINE_string('output', None, 'Snapshot directory to write.')
flags.DEFINE_integer('eval_episodes', 100, 'Episodes of the final evaluation.')
FLAGS = flags.FLAGS

# Env steps each shipped teacher was trained for: breakout and space_invaders
# learn fast; asterix, freeway and seaquest stay near random for ~600k steps.
TEACHER_STEPS = {'breakout': 600_000, 'space_invaders': 600_000,
                 'asterix': 1_500_000, 'freeway': 1_500_000,
                 'seaquest': 1_500_000}

# Small on purpose: the snapshots are committed to the repository.
TEACHER_NETWORK = dict(conv_channels=16, hidden_size=64, lstm_size=64)


def teacher_config() -> KickstartingConfig:
  return KickstartingConfig(learning_rate=1e-3, entropy_cost=0.01,
                            batch_size=16, sequence_length=20,
                            num_envs_per_actor=16, distillation_costs=(0.0,))


def main(_):
  output = FLAGS.output or os.path.join('teachers', 'minatar5', FLAGS.game)
  config = teacher_config()
  steps = FLAGS.steps or TEACHER_STEPS[FLAGS.game]
  start = time.time()
  run = single_game.train(
      f'teacher:{FLAGS.game}', FLAGS.game, config, steps,
      lambda: MinAtarNetwork(minatar.NUM_ACTIONS, name='teacher',
                             **TEACHER_NETWORK),
      seed=FLAGS.seed, report_every=50_000)
  score = evaluation.evaluate(run.agent.network, FLAGS.game,
                               num_episodes=FLAGS.eval_episodes)
  run.agent.save_snapshot(output)
  with run_dirs.open(run_dirs.join(output, 'teacher.json'), 'w') as f:
    json.dump({'game': FLAGS.game,
               'command': ' '.join(['python', '-m', 'launch.train_teacher'] +
                                   sys.argv[1:]),
               'env_steps': run.env_steps,
               'train_seconds': round(time.time() - start, 1),
               'evaluation_return': score,
               'evaluation_episodes': FLAGS.eval_episodes,
               'final_training_return': run.final_return,
               'network': TEACHER_NETWORK,
               'config': dataclasses.asdict(config), 'seed': FLAGS.seed,
               'curve': run.curve}, f, indent=1)
  print(f'{FLAGS.game}: evaluation return {score:.2f} -> {output}')


if __name__ == '__main__':
  app.run(main)
