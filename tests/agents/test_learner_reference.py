"""Two learner updates on a stored batch, bit for bit as recorded.

learner_reference.npz holds a real MinAtar batch (teacher logits on two of its
tasks), a small student's initial weights, and what two learner steps made of
them: every exploit variable (network, optimizer state, hyperparameters) and
every metric. A change that keeps the learner's maths keeps every bit; any
other shows here as a difference, so a refactor cannot change the update
unnoticed. `python tests/agents/test_learner_reference.py --write` rewrites
the file from the code as it is: only for a change meant to alter the update.

The steps run in a process of their own, on one TF thread and TF's own CPU
kernels (no oneDNN): how a float sum is split over threads, and which kernels
a CPU is given, change the last bits.
"""

import json
import os
import subprocess
import sys

from acme.adders.reverb import base as adders_base
from acme.tf import utils as tf2_utils
import numpy as np
import reverb
import sonnet as snt
import tensorflow as tf

from acme_kickstart.agents.kickstarting.builder import KickstartingBuilder
from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.agents.kickstarting.schedules import LambdaSchedule
from acme_kickstart.environments import minatar
from acme_kickstart.networks import MinAtarNetwork

PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    'learner_reference.npz')
TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(TESTS)
FIXED_ARITHMETIC = {'TF_NUM_INTRAOP_THREADS': '1',
                    'TF_NUM_INTEROP_THREADS': '1',
                    'TF_ENABLE_ONEDNN_OPTS': '0'}
TEACHER_TASKS = ('breakout', 'asterix')
NUM_STEPS = 2


def _network() -> MinAtarNetwork:
  network = MinAtarNetwork(minatar.NUM_ACTIONS, conv_channels=4,
                           hidden_size=16, lstm_size=16, name='student')
  tf2_utils.create_variables(network, [minatar.observation_spec()])
  return network


def _flat(prefix, nest):
  """{'prefix/a/b': array} of a nest of dicts and namedtuples."""
  if hasattr(nest, '_asdict'):
    nest = nest._asdict()
  if isinstance(nest, dict):
    out = {}
    for key, value in nest.items():
      out.update(_flat(f'{prefix}/{key}', value))
    return out
  return {prefix: np.asarray(nest)}


def _unflat(arrays, prefix):
  """The nested dict under `prefix` of `_flat`'s keys."""
  nest = {}
  for key, value in arrays.items():
    if not key.startswith(prefix + '/'):
      continue
    *parents, leaf = key[len(prefix) + 1:].split('/')
    node = nest
    for parent in parents:
      node = node.setdefault(parent, {})
    node[leaf] = value
  return nest


def _sample(arrays) -> reverb.ReplaySample:
  data = _unflat(arrays, 'batch/data')
  data['extras']['core_state'] = snt.LSTMState(**data['extras']['core_state'])
  return reverb.ReplaySample(
      info=reverb.SampleInfo(**_unflat(arrays, 'batch/info')),
      data=adders_base.Step(**data))


def two_steps(arrays):
  """The learner's metrics and exploit variables after NUM_STEPS steps."""
  config = KickstartingConfig(
      batch_size=6, sequence_length=8, learning_rate=1e-3, entropy_cost=0.01,
      distillation_costs=(1.0,), max_gradient_norm=40.0,
      distillation_schedule=LambdaSchedule('linear', decay_env_steps=500))
  network = _network()
  for i, variable in enumerate(network.variables):
    variable.assign(arrays[f'initial/{i}'])
  learner = KickstartingBuilder(config).make_learner(
      network, tf.data.Dataset.from_tensors(_sample(arrays)).repeat(),
      minatar.GAMES, teacher_tasks=TEACHER_TASKS)
  metrics = {}
  for step in range(NUM_STEPS):
    for key, value in learner.step().items():
      if key != 'walltime':  # The counter's clock: the one metric of no maths.
        metrics[f'metrics/{step}/{key}'] = np.asarray(value)
  variables = {f'after/{i}': v.numpy()
               for i, v in enumerate(learner.exploit_variables())}
  return metrics, variables


def mismatches():
  """What two steps on the stored batch make that differs from the record."""
  with np.load(PATH) as stored:
    arrays = dict(stored)
  metrics, variables = two_steps(arrays)
  recorded = {k for k in arrays if k.startswith(('metrics/', 'after/'))}
  made = dict(metrics, **variables)
  wrong = sorted(recorded.symmetric_difference(made))
  for key in sorted(recorded & set(made)):
    if not np.array_equal(made[key], arrays[key]):
      wrong.append(f'{key}: {made[key].tolist()} != {arrays[key].tolist()}'
                   if made[key].size == 1 else key)
  return wrong


def _in_a_process_of_its_own(*args, **kwargs):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', **FIXED_ARITHMETIC,
             PYTHONPATH=os.pathsep.join([ROOT, TESTS]))
  return subprocess.run([sys.executable, os.path.abspath(__file__), *args],
                        env=env, cwd=ROOT, timeout=500, **kwargs)


def test_two_learner_steps_are_bit_for_bit_the_recorded_ones():
  result = _in_a_process_of_its_own(capture_output=True, text=True)
  assert result.returncode == 0, result.stderr[-3000:]
  wrong = json.loads(result.stdout.strip().splitlines()[-1])
  assert not wrong, f'Not as recorded: {wrong}'


def write_reference():
  """A fresh batch and initial weights, and the code's two steps on them."""
  from conftest import real_batch  # pylint: disable=g-import-not-at-top
  from acme_kickstart.teachers import Teacher, TeacherSet  # pylint: disable=g-import-not-at-top
  tf.random.set_seed(0)
  teacher = MinAtarNetwork(minatar.NUM_ACTIONS, conv_channels=4,
                           hidden_size=16, lstm_size=16, name='teacher')
  tf2_utils.create_variables(teacher, [minatar.observation_spec()])
  teachers = TeacherSet(
      {minatar.GAMES.index(t): Teacher.from_module(teacher)
       for t in TEACHER_TASKS},
      len(minatar.GAMES), minatar.NUM_ACTIONS, minatar.observation_spec())
  network = _network()
  arrays = _flat('batch', real_batch(network, teachers))
  arrays.update({f'initial/{i}': v.numpy()
                 for i, v in enumerate(network.variables)})
  metrics, variables = two_steps(arrays)
  arrays.update(metrics)
  arrays.update(variables)
  np.savez_compressed(PATH, **arrays)


if __name__ == '__main__':
  if any(os.environ.get(k) != v for k, v in FIXED_ARITHMETIC.items()):
    sys.exit(_in_a_process_of_its_own(*sys.argv[1:]).returncode)
  if sys.argv[1:] == ['--write']:
    write_reference()
  else:
    print(json.dumps(mismatches()))
