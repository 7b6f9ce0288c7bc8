"""What a teacher costs the actor: SavedModel against ONNX, side by side.

One actor of configs/minatar5.py (actor 0's environments and tasks, TF held
to the config's one thread per actor) steps with the five shipped teachers
as acme SavedModels (teachers/minatar5/<game>), with the same five exported
to ONNX (teachers/minatar5/<game>/policy.onnx, run by onnxruntime inside the
actor's policy call), and with no teacher. The three alternate in blocks of
`--steps` actor steps, `--repeats` times, so that a machine's noise falls on
all three alike; costs are CPU seconds (time.process_time) per env step,
medians over the blocks. A teacher's cost is the actor's cost with it minus
the actor's cost without one.

  .venv/bin/python -m benchmarks.teacher_cost            # ~3 min on one core

It prints a table and one JSON line (`onnx_over_savedmodel` is the ratio of
the teachers' costs), and what a model exported with its batch fixed to 1
costs, run row by row, against the same model with a dynamic batch.
"""

import dataclasses
import json
import os
import statistics
import time

from absl import app
from absl import flags

from acme_kickstart.agents.kickstarting.builder import KickstartingBuilder
from acme_kickstart.experiments import factories
from acme_kickstart.experiments import workers
from acme_kickstart.teachers import specs
from configs import minatar5

flags.DEFINE_integer('steps', 40, 'Actor steps per timed block.')
flags.DEFINE_integer('repeats', 7, 'Blocks per variant, interleaved.')
flags.DEFINE_integer('warmup', 10, 'Untimed actor steps per variant first.')
FLAGS = flags.FLAGS


def onnx_teachers(experiment):
  """The config's teachers, each as the ONNX file beside its SavedModel."""
  teachers = {}
  for task, value in experiment.teachers.items():
    path = os.path.join(specs.as_spec(value).snapshot, 'policy.onnx')
    teachers[task] = specs.TeacherSpec(path, observation_fn='pixels')
  return dataclasses.replace(experiment, teachers=teachers)


def make_actor(experiment, topology, with_teachers: bool):
  tasks = topology.tasks_of_actor(experiment.tasks, 0,
                                  experiment.agent.num_envs_per_actor)
  envs = [factories.make_environment(experiment, task, seed=i)
          for i, task in enumerate(tasks)]
  spec = factories.environment_spec(experiment)
  network = factories.build_network(
      factories.make_network(experiment, spec.actions.num_values), spec)
  teachers = (factories.load_teachers(experiment, tasks) if with_teachers
              else None)
  return KickstartingBuilder(experiment.agent).make_actor(
      network, envs, teachers=teachers, seed=0), len(envs)


_FIXTURES = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 'tests', 'teachers', 'onnx_fixtures')


def batch_of_one_cost(rows: int) -> dict:
  """CPU us per observation of one model exported with a dynamic batch and
  with its batch fixed to 1 (run row by row), on `rows` observations."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from acme_kickstart.teachers import Teacher  # pylint: disable=g-import-not-at-top
  observations = tf.constant(np.random.default_rng(0).random(
      [rows, 10, 10, 10], np.float32))
  steps = {name: tf.function(Teacher.from_onnx(
      os.path.join(_FIXTURES, f'{name}.onnx')).own_step)
           for name in ('ff_policy', 'ff_policy_batch1')}
  costs = {name: [] for name in steps}
  for _ in range(FLAGS.repeats):
    for name, step in steps.items():
      step(observations, ())  # Traced before the clock starts.
      start = time.process_time()
      for _ in range(FLAGS.steps):
        step(observations, ())
      costs[name].append((time.process_time() - start) / (FLAGS.steps * rows))
  return {name: 1e6 * statistics.median(c) for name, c in costs.items()}


def main(_):
  experiment, topology = minatar5.get_experiment(), minatar5.get_topology()
  workers.limit_tf_threads(topology.actor_tf_threads)
  variants = {
      'no teacher': make_actor(experiment, topology, False),
      'SavedModel': make_actor(experiment, topology, True),
      'ONNX': make_actor(onnx_teachers(experiment), topology, True),
  }
  for actor, _ in variants.values():
    for _ in range(FLAGS.warmup):
      actor.step()
  costs = {name: [] for name in variants}
  order = list(variants)
  for repeat in range(FLAGS.repeats):
    for name in order[repeat % 3:] + order[:repeat % 3]:
      actor, num_envs = variants[name]
      start = time.process_time()
      for _ in range(FLAGS.steps):
        actor.step()
      seconds = time.process_time() - start
      costs[name].append(seconds / (FLAGS.steps * num_envs))
  median_us = {name: 1e6 * statistics.median(c) for name, c in costs.items()}
  teacher_us = {name: median_us[name] - median_us['no teacher']
                for name in ('SavedModel', 'ONNX')}
  num_envs = variants['ONNX'][1]
  print(f'Actor 0 of configs/minatar5.py: {num_envs} environments, five '
        f'teachers; CPU us per env step, median of {FLAGS.repeats} blocks of '
        f'{FLAGS.steps} actor steps.')
  print('| teachers | actor us / env step | teacher us / env step |')
  print('|---|---:|---:|')
  for name in variants:
    teacher = teacher_us.get(name)
    print(f'| {name} | {median_us[name]:.1f} | '
          f'{"" if teacher is None else f"{teacher:.1f}"} |')
  ratio = teacher_us['ONNX'] / teacher_us['SavedModel']
  print(f'ONNX teacher / SavedModel teacher: {ratio:.2f}x (target <= 1.5x); '
        f'whole actor step: '
        f'{median_us["ONNX"] / median_us["SavedModel"]:.2f}x')
  rows = num_envs // len(experiment.tasks)  # One task's share of the actor.
  batch_one = batch_of_one_cost(rows)
  print(f'A model exported with its batch fixed to 1, run row by row: '
        f'{batch_one["ff_policy_batch1"]:.1f} us per observation against '
        f'{batch_one["ff_policy"]:.1f} with a dynamic batch ({rows} rows; '
        'tests/teachers/onnx_fixtures/ff_policy*.onnx).')
  print(json.dumps({'num_envs': num_envs, 'actor_us_per_env_step': median_us,
                    'teacher_us_per_env_step': teacher_us,
                    'onnx_over_savedmodel': ratio,
                    'batch_of_one_us_per_observation': batch_one,
                    'samples_us': {k: [1e6 * x for x in v]
                                   for k, v in costs.items()}}))


if __name__ == '__main__':
  app.run(main)
