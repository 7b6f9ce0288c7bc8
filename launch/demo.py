"""MinAtar kickstarting demo: teacher, then a kickstarted and a scratch student.

1. Trains a teacher on one MinAtar game from scratch (plain IMPALA, no teacher)
   and writes it as an acme snapshot.
2. Loads that snapshot back as a frozen teacher.
3. Trains a kickstarted student and a scratch student with the same seed and
   the same env-step budget; the student's distillation weight lambda anneals
   linearly to 0 over its budget.
4. Prints their returns side by side.

Run with `make demo` (about 10 minutes on 2 CPU cores).
"""

import json
import os

from absl import app
from absl import flags

from acme_kickstart import experiments
from acme_kickstart.agents.kickstarting import KickstartingConfig
from acme_kickstart.networks import MinAtarNetwork
from acme_kickstart.teachers import Teacher

flags.DEFINE_string('game', 'breakout', 'MinAtar game.')
flags.DEFINE_integer('teacher_steps', 400_000, 'Env steps to train the teacher.')
flags.DEFINE_integer('student_steps', 150_000, 'Env steps for each student.')
flags.DEFINE_float('distillation_cost', 2.0, 'Initial lambda of the student.')
flags.DEFINE_integer('seed', 0, 'Seed of the students (the teacher uses seed+1).')
flags.DEFINE_string('run_dir', 'runs/demo', 'Where the teacher and results go.')
FLAGS = flags.FLAGS


def config(seed: int, **kwargs) -> KickstartingConfig:
  return KickstartingConfig(learning_rate=1e-3, entropy_cost=0.01,
                            batch_size=16, sequence_length=20,
                            num_envs_per_actor=16, seed=seed, **kwargs)


def teacher_network():
  return MinAtarNetwork(6, hidden_size=128, lstm_size=64, name='teacher')


def student_network():
  return MinAtarNetwork(6, conv_channels=32, hidden_size=128, lstm_size=128,
                        name='student')


def main(_):
  game = FLAGS.game
  os.makedirs(FLAGS.run_dir, exist_ok=True)
  print(f'== 1/3 Training a teacher on {game} for {FLAGS.teacher_steps} steps')
  teacher_run = experiments.train(
      'teacher', game, config(FLAGS.seed + 1, distillation_costs=(0.0,)),
      FLAGS.teacher_steps, teacher_network, report_every=50_000)
  snapshot = teacher_run.agent.save_snapshot(
      os.path.join(FLAGS.run_dir, 'teacher_snapshot'))
  teacher = Teacher.from_snapshot(snapshot, name=f'{game}_teacher')
  teacher_score = experiments.evaluate(teacher_run.agent.network, game)
  print(f'Teacher snapshot: {snapshot}  (evaluation return {teacher_score:.2f})')

  print(f'== 2/3 Kickstarted student, {FLAGS.student_steps} steps')
  kick = experiments.train(
      'kickstarted', game,
      config(FLAGS.seed, distillation_costs=(FLAGS.distillation_cost,),
             distillation_anneal_steps=FLAGS.student_steps),
      FLAGS.student_steps, student_network,
      teachers=experiments.teacher_set(teacher, game), report_every=25_000)
  print(f'== 3/3 Scratch student, {FLAGS.student_steps} steps')
  scratch = experiments.train(
      'scratch', game, config(FLAGS.seed, distillation_costs=(0.0,)),
      FLAGS.student_steps, student_network, report_every=25_000)

  kick_eval = experiments.evaluate(kick.agent.network, game)
  scratch_eval = experiments.evaluate(scratch.agent.network, game)
  rows = [('teacher', FLAGS.teacher_steps, teacher_run.final_return,
           teacher_score),
          ('kickstarted student', FLAGS.student_steps, kick.final_return,
           kick_eval),
          ('scratch student', FLAGS.student_steps, scratch.final_return,
           scratch_eval)]
  print(f'\n{game}: mean episode return (higher is better)')
  print(f'{"agent":<22}{"env steps":>10}{"training":>10}{"evaluation":>12}')
  for name, steps, train_return, eval_return in rows:
    print(f'{name:<22}{steps:>10d}{train_return:>10.2f}{eval_return:>12.2f}')
  print(f'\nkickstarted / scratch (evaluation): '
        f'{kick_eval / max(scratch_eval, 1e-6):.2f}x')
  with open(os.path.join(FLAGS.run_dir, 'results.json'), 'w') as f:
    json.dump({'game': game, 'teacher_snapshot': snapshot,
               'rows': [dict(zip(('agent', 'env_steps', 'training_return',
                                  'evaluation_return'), r)) for r in rows],
               'curves': {'kickstarted': kick.curve, 'scratch': scratch.curve,
                          'teacher': teacher_run.curve}}, f, indent=1)


if __name__ == '__main__':
  app.run(main)
