"""A trained multi-task student exported as a teacher (the paper's Table 2
kickstarts from one small agent): the snapshot acts as the student did."""

import dataclasses
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from acme_kickstart.agents.kickstarting.builder import KickstartingBuilder
from acme_kickstart.environments import minatar
from acme_kickstart.experiments import factories
from acme_kickstart.experiments import learner_node
from acme_kickstart.experiments import student_export
from acme_kickstart.teachers import Teacher
from configs import minatar5

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SMALL = dict(conv_channels=4, hidden_size=16, lstm_size=16)


def _small_experiment():
  experiment = minatar5.get_experiment()
  experiment.network_kwargs = dict(SMALL)
  # Its learner here reads no replay: the exported network is the same.
  experiment.agent = dataclasses.replace(experiment.agent,
                                         distillation_replay_ratio=0)
  return experiment


def _trained_run(experiment, run_dir):
  """A learner checkpoint as a program's learner node leaves it."""
  spec = factories.environment_spec(experiment)
  network = factories.build_network(
      factories.make_network(experiment, spec.actions.num_values), spec)
  for variable in network.trainable_variables:  # Not the initial weights.
    variable.assign(variable + tf.random.stateless_normal(
        variable.shape, [1, 2], stddev=0.1))
  learner = KickstartingBuilder(experiment.agent).make_learner(
      network, tf.data.Dataset.range(1), task_names=experiment.tasks)
  learner.state['num_env_steps'].assign(4321)
  learner_node.LearnerNode(learner, str(run_dir), 60.0).save()
  return network


def test_the_exported_student_acts_as_the_student_on_every_game(tmp_path):
  experiment = _small_experiment()
  network = _trained_run(experiment, tmp_path / 'run')
  returns = {t: [1.0, 2.0] for t in minatar.GAMES}
  record = student_export.export_student(
      experiment, str(tmp_path / 'run'), str(tmp_path / 'teacher'), returns,
      git_commit='abc123')
  assert record['env_steps'] == 4321 and record['git_commit'] == 'abc123'
  assert student_export.task_returns(str(tmp_path / 'teacher')) == {
      t: 1.5 for t in minatar.GAMES}

  teacher = Teacher.from_snapshot(str(tmp_path / 'teacher'))
  student = Teacher.from_module(network)
  for game in minatar.GAMES:
    env = factories.make_environment(experiment, game, seed=3)
    observation = tf.nest.map_structure(lambda x: x[None],
                                        env.reset().observation)
    teacher_state, student_state = (teacher.initial_state(1),
                                    student.initial_state(1))
    for _ in range(3):  # The recurrent state is carried too.
      teacher_logits, teacher_state = teacher.step(observation, teacher_state)
      student_logits, student_state = student.step(observation, student_state)
      np.testing.assert_allclose(teacher_logits.numpy(),
                                 student_logits.numpy(), atol=1e-5)


def test_a_final_evaluation_without_every_task_is_one_clear_error(tmp_path):
  experiment = _small_experiment()
  _trained_run(experiment, tmp_path / 'run')
  with pytest.raises(ValueError, match=r"no returns for \['seaquest'\]"):
    student_export.export_student(
        experiment, str(tmp_path / 'run'), str(tmp_path / 'teacher'),
        {t: [1.0] for t in minatar.GAMES if t != 'seaquest'})
  assert not os.path.exists(tmp_path / 'teacher')  # Nothing half-written.


def test_the_launcher_reads_the_runs_final_evaluation(tmp_path):
  experiment = _small_experiment()
  _trained_run(experiment, tmp_path / 'run')
  with open(tmp_path / 'run' / 'final_eval.json', 'w') as f:
    json.dump({'returns': {t: [float(i)] * 3
                           for i, t in enumerate(minatar.GAMES)}}, f)
  network_flags = [f'--config.network_kwargs.{k}={v}'
                   for k, v in SMALL.items()]
  process = subprocess.run(
      [sys.executable, '-m', 'launch.export_student', *network_flags,
       f'--run_dir={tmp_path / "run"}', f'--output={tmp_path / "teacher"}'],
      cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT,
                         TF_CPP_MIN_LOG_LEVEL='2'),
      capture_output=True, text=True, timeout=300)
  assert process.returncode == 0, process.stderr[-3000:]
  with open(tmp_path / 'teacher' / 'teacher.json') as f:
    record = json.load(f)
  assert record['task_returns'] == {t: float(i)
                                    for i, t in enumerate(minatar.GAMES)}
  assert record['network_kwargs'] == SMALL
  assert record['command'].startswith('python -m launch.export_student')


# The benchmark's 'small_' student: --single_teacher on every game, its own
# scores as the gate's levels, the experts' as the references; the same
# variant without the prefix: the experts.
_BENCHMARK_TEACHERS = """
import sys
from absl import flags
from benchmarks.kickstarting import run as bench
flags.FLAGS(['bench', f'--single_teacher={sys.argv[1]}'])
experts = bench.member_config(bench.parse_variant('gated'), 0, '/tmp/x')
print(sorted(set(experts.teachers.values())) != [sys.argv[1]])
experiment = bench.member_config(bench.parse_variant('small_gated'), 0, '/y')
print(sorted(set(experiment.teachers.values())))
print(experiment.reference_scores == experts.reference_scores)
print(experiment.teacher_levels)
"""


def test_the_benchmark_kickstarts_every_game_from_one_exported_teacher(
    tmp_path):
  experiment = _small_experiment()
  _trained_run(experiment, tmp_path / 'run')
  student_export.export_student(
      experiment, str(tmp_path / 'run'), str(tmp_path / 'teacher'),
      {t: [float(i)] for i, t in enumerate(minatar.GAMES)})
  process = subprocess.run(
      [sys.executable, '-c', _BENCHMARK_TEACHERS, str(tmp_path / 'teacher')],
      cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT,
                         TF_CPP_MIN_LOG_LEVEL='2'),
      capture_output=True, text=True, timeout=300)
  assert process.returncode == 0, process.stderr[-3000:]
  experts, teachers, same, references = process.stdout.strip().splitlines(
      )[-4:]
  assert experts == 'True' and same == 'True'  # PBT scores on the experts.
  assert teachers == repr([str(tmp_path / 'teacher')])
  assert references == repr({t: float(i) for i, t in enumerate(minatar.GAMES)})
