"""ONNX teachers, run by the real onnxruntime, against what torch computed.

The fixtures (onnx_fixtures/, made by scripts/make_onnx_fixtures.py) store
each model's inputs and the torch outputs at export, so none of this needs
torch.
"""

import os

import numpy as np
import onnxruntime
import pytest
import tensorflow as tf

from acme_kickstart.environments import minatar
from acme_kickstart.experiments import factories
from acme_kickstart.experiments.config import ExperimentConfig
from acme_kickstart.teachers import Teacher, TeacherSet
from acme_kickstart.teachers import specs
from adder_adapters import actor_with_adders
from conftest import built_network

FIXTURES = os.path.join(os.path.dirname(__file__), 'onnx_fixtures')
BREAKOUT = minatar.GAMES.index('breakout')


def _fixture(name):
  return (os.path.join(FIXTURES, f'{name}.onnx'),
          dict(np.load(os.path.join(FIXTURES, f'{name}.npz'))))


def _teacher_set(teacher):
  return TeacherSet({BREAKOUT: teacher}, len(minatar.GAMES),
                    minatar.NUM_ACTIONS, minatar.observation_spec())


@pytest.mark.parametrize('name', ['ff_policy', 'ff_policy_batch1'])
def test_feed_forward_teacher_gives_the_logits_torch_gave(name):
  path, stored = _fixture(name)
  teacher = Teacher.from_onnx(path)
  teacher.set_num_actions(minatar.NUM_ACTIONS)
  logits, state = tf.function(teacher.step)(tf.constant(stored['obs']), ())
  assert not teacher.recurrent and state == ()
  np.testing.assert_allclose(logits, stored['logits'], atol=1e-5)


def test_model_with_a_batch_of_one_runs_a_batch_row_by_row():
  path, stored = _fixture('ff_policy_batch1')
  teacher = Teacher.from_onnx(path)
  teacher.set_num_actions(minatar.NUM_ACTIONS)
  batch = np.concatenate([stored['obs'], 0.5 * stored['obs'],
                          np.zeros_like(stored['obs'])])
  logits, _ = teacher.step(tf.constant(batch), ())
  session = onnxruntime.InferenceSession(path)
  for row in range(3):
    alone, = session.run(['logits'], {'obs': batch[row:row + 1]})
    np.testing.assert_allclose(logits[row:row + 1], alone, atol=1e-6)


def test_lstm_teacher_carries_its_state_as_torch_did():
  path, stored = _fixture('lstm_policy')
  teacher = Teacher.from_onnx(path)
  teacher.set_num_actions(minatar.NUM_ACTIONS)
  assert teacher.recurrent
  state = teacher.initial_state(3)  # Zeros, as the fixture's h_in and c_in.
  np.testing.assert_array_equal(state[0], stored['h_in'])
  step = tf.function(teacher.step)
  for t in range(stored['obs'].shape[0]):
    logits, state = step(tf.constant(stored['obs'][t]), state)
    np.testing.assert_allclose(logits, stored['logits'][t], atol=1e-5)
    np.testing.assert_allclose(state[0], stored['h_out'][t], atol=1e-5)
    np.testing.assert_allclose(state[1], stored['c_out'][t], atol=1e-5)


def test_q_values_with_a_temperature_and_a_minimal_action_set():
  """A raw-channel Q-network over breakout's minimal actions (0, 1, 3)."""
  path, stored = _fixture('q_minimal_raw')
  suite = minatar.make_suite()
  options = specs.teacher_options(
      specs.TeacherSpec(path, observation_fn='raw_channels',
                        action_map='minimal', q_temperature=0.5),
      suite, 'breakout')
  teacher = _teacher_set(Teacher.from_onnx(path, **options))[BREAKOUT]
  pixels = np.zeros([5, 10, 10, 10], np.uint8)
  pixels[..., :4] = stored['obs']
  logits, _ = teacher.step({'pixels': tf.constant(pixels)}, ())
  expected = np.full([5, minatar.NUM_ACTIONS], -1e9, np.float32)
  expected[:, [0, 1, 3]] = stored['q_values'] / 0.5
  np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-5)
  probabilities = tf.nn.softmax(logits).numpy()
  assert np.all(probabilities[:, [2, 4, 5]] == 0)


def _breakout_envs(episode_steps):
  return [minatar.make_environment('breakout', seed=20 + i,
                                   max_episode_steps=steps)
          for i, steps in enumerate(episode_steps)]


def _written(tables, num_envs):
  """Per env: (pixels, start_of_episode, teacher_logits) of real steps."""
  out = []
  for i in range(num_envs):
    for seq in tables.drain(i):
      real = seq.extras['teacher_mask'] > 0
      out.append((seq.observation['pixels'][real],
                  seq.start_of_episode[real],
                  seq.extras['teacher_logits'][real]))
  return out


def test_feed_forward_teacher_in_the_actor_writes_the_models_logits(
    per_env_tables):
  path, _ = _fixture('ff_policy')
  teacher = Teacher.from_onnx(path, observation_fn=specs.Pixels())
  network = built_network('student_onnx_ff')
  tables = per_env_tables(network, 2, 6)
  actor = actor_with_adders(network, _breakout_envs([9, 13]),
                            [tables.adder(i, 5) for i in range(2)],
                            teachers=_teacher_set(teacher))
  for _ in range(25):
    actor.step()
  session = onnxruntime.InferenceSession(path)
  written = _written(tables, 2)
  assert sum(len(p) for p, _, _ in written) > 30
  for pixels, _, logits in written:
    direct, = session.run(['logits'], {'obs': pixels.astype(np.float32)})
    np.testing.assert_allclose(logits, direct, atol=1e-5)


def test_lstm_teacher_resets_at_each_episode_start_in_a_batched_actor(
    per_env_tables):
  """Three environments with episodes of 7, 11 and 13 steps: the batched
  actor writes the teacher logits that one-environment actors write, zero
  state at each episode start and carried state within an episode."""
  path, _ = _fixture('lstm_policy')
  teacher = Teacher.from_onnx(path, observation_fn=specs.Pixels())
  network = built_network('student_onnx_lstm')
  lengths = [7, 11, 13]
  batched_tables = per_env_tables(network, 3, 6)
  batched = actor_with_adders(network, _breakout_envs(lengths),
                              [batched_tables.adder(i, 5) for i in range(3)],
                              teachers=_teacher_set(teacher),
                              action_seeds=[1, 2, 3])
  single_tables = per_env_tables(network, 3, 6)
  singles = [actor_with_adders(network, [_breakout_envs(lengths)[i]],
                               [single_tables.adder(i, 5)],
                               teachers=_teacher_set(teacher),
                               action_seeds=[i + 1]) for i in range(3)]
  for _ in range(40):
    batched.step()
    for actor in singles:
      actor.step()
  session = onnxruntime.InferenceSession(path)
  zeros = np.zeros([1, 32], np.float32)
  batched_written = _written(batched_tables, 3)
  starts = mid = 0
  for (pixels, start, logits), (_, _, alone) in zip(
      batched_written, _written(single_tables, 3)):
    np.testing.assert_allclose(logits, alone, atol=1e-5)
    for t in range(len(pixels)):
      fresh, = session.run(['logits'], {
          'obs': pixels[t:t + 1].astype(np.float32), 'h_in': zeros,
          'c_in': zeros})
      if start[t]:
        np.testing.assert_allclose(logits[t:t + 1], fresh, atol=1e-5)
        starts += 1
      elif np.abs(logits[t:t + 1] - fresh).max() > 1e-4:
        mid += 1  # The state carried from earlier steps changed the logits.
  assert starts >= 6 and mid > 20


# ---------------------------------------- bad teachers, before a node starts
def _experiment(path, **spec_fields):
  return ExperimentConfig(
      tasks=('breakout',),
      teachers={'breakout': specs.TeacherSpec(path, **spec_fields)}).validate()


@pytest.mark.parametrize('name, fields, expected', [
    ('wrong_shape', dict(observation_fn='pixels'),
     r"expects 'obs': float32 \[batch, 84, 84, 4\], and is given float32 "
     r'\[batch, 10, 10, 10\]'),
    ('wrong_dtype', dict(observation_fn='pixels'),
     r"expects 'obs': int64 \[batch, 10, 10, 10\], and is given float32"),
    ('ff_policy', {}, r'expects one array.*given a nest'),
    ('lstm_missing_state_out', dict(observation_fn='pixels'),
     r"recurrent state .*'c_in': 'c_out'.*not in the ONNX model"),
    ('five_actions', dict(observation_fn='pixels'),
     r'outputs 5 action logits, but the suite has 6 actions'),
])
def test_a_teacher_that_does_not_fit_gets_one_error_naming_task_and_path(
    name, fields, expected):
  path, _ = _fixture(name)
  with pytest.raises(ValueError, match=expected) as error:
    factories.check_teacher_snapshots(_experiment(path, **fields))
  message = str(error.value)
  assert "task 'breakout'" in message or 'task 0 (breakout)' in message
  assert path in message


def test_a_missing_onnx_file_is_named_before_anything_loads(tmp_path):
  with pytest.raises(FileNotFoundError, match=r"no ONNX model at .*nope\.onnx"):
    factories.check_teacher_snapshots(_experiment(str(tmp_path / 'nope.onnx')))
