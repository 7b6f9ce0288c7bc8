"""Re-measures a shipped MinAtar teacher and records it in its teacher.json.

  python -m launch.evaluate_teacher --game=breakout --episodes=320 \
      --seeds=12345,1,2,3 --write

Plays the teacher's sampled policy with experiments/evaluation.py's
`evaluate_returns` (a fixed quota of complete episodes per environment) once
per seed; the reference score is the mean over all seeds' episodes. With
--write, teacher.json's `evaluation_return` becomes that score, and the
episodes, seeds and git commit of the measurement are recorded.
"""

import json
import os
import subprocess
import sys
import time

from absl import app
from absl import flags
import numpy as np

from acme_kickstart.environments import minatar
from acme_kickstart.experiments import evaluation
from acme_kickstart.teachers import Teacher

flags.DEFINE_enum('game', 'breakout', minatar.GAMES, 'MinAtar game.')
flags.DEFINE_string('teachers_dir', os.path.join('teachers', 'minatar5'),
                    'Directory holding one snapshot directory per game.')
flags.DEFINE_integer('episodes', 320, 'Episodes per seed.')
flags.DEFINE_integer('num_envs', 16, 'Parallel environments per seed.')
flags.DEFINE_list('seeds', ['12345'], 'Evaluation seeds.')
flags.DEFINE_bool('write', False, "Update the teacher's teacher.json.")
FLAGS = flags.FLAGS


class TeacherPolicy:
  """A loaded teacher as the (logits, value), state core BatchedActor steps."""

  def __init__(self, teacher: Teacher):
    self._teacher = teacher

  def initial_state(self, batch_size: int):
    return self._teacher.initial_state(batch_size)

  def __call__(self, observations, state):
    logits, new_state = self._teacher.step(observations, state)
    return (logits, None), new_state


def git_commit() -> str:
  commit = subprocess.run(['git', 'rev-parse', 'HEAD'], capture_output=True,
                          text=True, check=True).stdout.strip()
  dirty = subprocess.run(['git', 'status', '--porcelain', '--', 'acme_kickstart',
                          'launch', 'teachers/*/*/saved_model.pb',
                          'teachers/*/*/variables'],
                         capture_output=True, text=True, check=True).stdout
  return commit + ('-dirty' if dirty else '')


def main(_):
  directory = os.path.join(FLAGS.teachers_dir, FLAGS.game)
  policy = TeacherPolicy(Teacher.from_snapshot(directory))
  seeds = [int(s) for s in FLAGS.seeds]
  start = time.time()
  returns = [evaluation.evaluate_returns(policy, FLAGS.game, FLAGS.episodes,
                                        seed, FLAGS.num_envs)
             for seed in seeds]
  per_seed = [float(np.mean(r)) for r in returns]
  all_returns = np.concatenate(returns)
  score = round(float(np.mean(all_returns)), 2)
  standard_error = float(np.std(all_returns, ddof=1) /
                         np.sqrt(len(all_returns)))
  print(f'{FLAGS.game}: {score:.2f} +- {standard_error:.2f} (s.e.) over '
        f'{len(all_returns)} episodes (per seed '
        f'{[round(s, 2) for s in per_seed]}) in {time.time() - start:.0f} s')
  if not FLAGS.write:
    return
  path = os.path.join(directory, 'teacher.json')
  with open(path) as f:
    info = json.load(f)
  previous = info.get('evaluation_return')
  info['evaluation_return'] = score
  info['evaluation_episodes'] = len(all_returns)
  info['evaluation'] = {
      'command': ' '.join(['python', '-m', 'launch.evaluate_teacher'] +
                          sys.argv[1:]),
      'method': ('sampled policy; every environment plays a fixed quota of '
                 'complete episodes, all counted'),
      'episodes_per_seed': FLAGS.episodes,
      'num_envs': FLAGS.num_envs,
      'seeds': seeds,
      'per_seed_return': [round(s, 3) for s in per_seed],
      'standard_error': round(standard_error, 3),
      'git_commit': git_commit(),
  }
  with open(path, 'w') as f:
    json.dump(info, f, indent=1)
  print(f'evaluation_return {previous} -> {score} ({path})')


if __name__ == '__main__':
  app.run(main)
