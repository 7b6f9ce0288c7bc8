"""Teacher options: observation_fn, action_map, q_temperature, and their specs."""

import pickle

from acme.tf import utils as tf2_utils
import numpy as np
import pytest
import sonnet as snt
import tensorflow as tf

from acme_kickstart.agents.kickstarting import losses
from acme_kickstart.environments import get_suite
from acme_kickstart.environments import minatar
from acme_kickstart.networks import MLPPolicy
from acme_kickstart.teachers import specs as teacher_specs
from acme_kickstart.teachers import Teacher, TeacherSet

OBS_SPEC = minatar.observation_spec()


def _batch(n=4, seed=0):
  rng = np.random.default_rng(seed)
  return {'pixels': (rng.random((n, 10, 10, 10)) > 0.8).astype(np.uint8),
          'task_id': np.zeros([n], np.int32)}


def _mlp(num_actions, scale=1.0):
  mlp = MLPPolicy(num_actions)
  tf2_utils.create_variables(mlp, [OBS_SPEC])
  for variable in mlp.trainable_variables:
    variable.assign(variable * scale)
  return mlp


def _teacher_set(task_id, teacher):
  return TeacherSet({task_id: teacher}, len(minatar.GAMES), minatar.NUM_ACTIONS,
                    OBS_SPEC, minatar.GAMES)


def test_action_map_puts_the_teachers_policy_on_its_suite_actions():
  mlp = _mlp(3)
  teacher = Teacher.from_module(mlp, action_map=(0, 1, 3))  # breakout minimal.
  _teacher_set(0, teacher)
  logits, _ = teacher.step(_batch(), ())
  assert logits.shape == (4, minatar.NUM_ACTIONS)
  assert np.all(np.isfinite(logits.numpy()))
  probs = tf.nn.softmax(logits).numpy()
  np.testing.assert_allclose(probs[:, [0, 1, 3]],
                             tf.nn.softmax(mlp(_batch())).numpy(), rtol=1e-6)
  assert np.all(probs[:, [2, 4, 5]] == 0.0)  # Exactly zero, not just small.


def test_unmapped_actions_keep_distillation_and_its_gradients_finite():
  teacher = Teacher.from_module(_mlp(3, scale=5.0), action_map=(5, 0, 2))
  _teacher_set(0, teacher)
  teacher_logits, _ = teacher.step(_batch(), ())
  student_logits = tf.Variable(tf.random.normal([4, minatar.NUM_ACTIONS]))
  with tf.GradientTape() as tape:
    cross_entropy = losses.distillation_loss(teacher_logits, student_logits)
    kl = losses.distillation_kl(teacher_logits, student_logits)
    total = tf.reduce_sum(cross_entropy) + tf.reduce_sum(kl)
  gradient = tape.gradient(total, student_logits)
  for value in (cross_entropy, kl, gradient):
    assert np.all(np.isfinite(value.numpy()))
  assert np.all(kl.numpy() >= -1e-5)
  # The KL equals the one over the teacher's own three actions, with the
  # student's probabilities there (and its mass elsewhere) unchanged.
  own = tf.nn.softmax(teacher_logits).numpy()[:, [5, 0, 2]]
  student = tf.nn.log_softmax(student_logits).numpy()[:, [5, 0, 2]]
  np.testing.assert_allclose(
      kl.numpy(), np.sum(own * (np.log(own) - student), -1), rtol=1e-4)


def test_q_temperature_makes_q_values_a_softmax_policy():
  mlp = _mlp(6)
  teacher = Teacher.from_module(mlp, q_temperature=0.25)
  logits, _ = teacher.step(_batch(), ())
  np.testing.assert_allclose(tf.nn.softmax(logits).numpy(),
                             tf.nn.softmax(mlp(_batch()) / 0.25).numpy(),
                             rtol=1e-5)
  with pytest.raises(ValueError, match='q_temperature.*must be > 0'):
    Teacher.from_module(mlp, q_temperature=0.0)


def test_observation_fn_feeds_the_teacher_a_games_raw_channels():
  raw = snt.Sequential([snt.Flatten(), snt.Linear(3)])
  raw(tf.zeros([1, 10, 10, 4]))  # Breakout's own 4 channels, float32.
  teacher = Teacher.from_module(raw, observation_fn=teacher_specs.RawChannels(4),
                                action_map=(0, 1, 3))
  _teacher_set(0, teacher)
  expected = raw(tf.cast(_batch()['pixels'][..., :4], tf.float32))
  got = tf.nn.log_softmax(teacher.step(_batch(), ())[0]).numpy()[:, [0, 1, 3]]
  np.testing.assert_allclose(got, tf.nn.log_softmax(expected).numpy(),
                             rtol=1e-5)
  # Without it the teacher cannot read the padded dict: one clear error.
  with pytest.raises(ValueError, match="cannot read this suite's observations"
                     '.*observation_fn'):
    _teacher_set(0, Teacher.from_module(raw, action_map=(0, 1, 3)))


def test_bad_action_maps_get_one_clear_error():
  with pytest.raises(ValueError, match=r'names suite action\(s\) \[1\] more '
                     'than once'):
    Teacher.from_module(_mlp(3), action_map=(0, 1, 1))
  with pytest.raises(ValueError, match=r'names suite action\(s\) \[6\] that '
                     r'are not in 0\.\.5'):
    _teacher_set(0, Teacher.from_module(_mlp(3), action_map=(0, 1, 6)))
  with pytest.raises(ValueError, match=r'outputs 3 action values, but its '
                     r'action map \[0, 1, 3, 4\] names 4 actions'):
    _teacher_set(0, Teacher.from_module(_mlp(3), action_map=(0, 1, 3, 4)))
  with pytest.raises(ValueError, match='outputs 3 action logits, but the '
                     'suite has 6 actions. Give it an action_map'):
    _teacher_set(0, Teacher.from_module(_mlp(3)))


def test_teacher_spec_resolves_names_and_pickles():
  spec = teacher_specs.TeacherSpec('/snap', observation_fn='oar:raw_channels',
                                   action_map='minimal', q_temperature=0.1)
  assert pickle.loads(pickle.dumps(spec)) == spec
  options = teacher_specs.teacher_options(spec, get_suite('minatar5'),
                                         'freeway')
  assert options['action_map'] == (0, 2, 4)  # noop, up, down.
  assert options['q_temperature'] == 0.1
  oar_fn = pickle.loads(pickle.dumps(options['observation_fn']))
  observation = dict(_batch(3), prev_action=np.array([2, 3, -1], np.int32),
                     prev_reward=np.array([1., 0., 0.], np.float32))
  oar = oar_fn(observation)
  assert oar.observation.shape == (3, 10, 10, 7)  # Freeway's 7 channels.
  # Suite action 2 (up) is the teacher's action 1; 3 (right) it lacks.
  np.testing.assert_array_equal(oar.action.numpy(), [1, -1, -1])
  assert teacher_specs.as_spec('/a/path') == teacher_specs.TeacherSpec('/a/path')
  with pytest.raises(ValueError, match="Unknown observation_fn 'rgb'.*known: "
                     'pixels'):
    teacher_specs.teacher_options(
        teacher_specs.TeacherSpec('/s', observation_fn='rgb'),
        get_suite('minatar5'), 'breakout')
  with pytest.raises(KeyError, match='previous_action_reward=True'):
    oar_fn(_batch(3))


def test_command_line_teacher_flags():
  tasks = minatar.GAMES
  config_teachers = {'asterix': '/shipped/asterix', 'breakout': '/shipped/b'}
  specs = teacher_specs.parse_teacher_flags(
      tasks, config_teachers, snapshots=['breakout:/my/dqn'],
      observation_fns=['breakout:raw_channels'],
      action_maps=['breakout:0,1,3', 'asterix:minimal'],
      q_temperatures=['breakout:0.05'])
  assert specs['breakout'] == teacher_specs.TeacherSpec(
      '/my/dqn', 'raw_channels', (0, 1, 3), 0.05)
  assert specs['asterix'] == teacher_specs.TeacherSpec(
      '/shipped/asterix', action_map='minimal')
  with pytest.raises(ValueError, match="names task 'pong', which is not in the "
                     'suite; its tasks are breakout'):
    teacher_specs.parse_teacher_flags(tasks, {}, snapshots=['pong:/x'])
  with pytest.raises(ValueError, match='give TASK:VALUE'):
    teacher_specs.parse_teacher_flags(tasks, {}, snapshots=['/x'])
  with pytest.raises(ValueError, match="task 'freeway', which has no teacher: "
                     'add --teacher=freeway:'):
    teacher_specs.parse_teacher_flags(tasks, {}, action_maps=['freeway:0,2'])
  with pytest.raises(ValueError, match='give suite action indices'):
    teacher_specs.parse_teacher_flags(tasks, config_teachers,
                                      action_maps=['breakout:left,right'])


def test_checkpoint_teacher_takes_the_same_options(tmp_path):
  mlp = _mlp(3)
  prefix = tf.train.Checkpoint(network=mlp).save(str(tmp_path / 'ckpt'))
  teacher = Teacher.from_checkpoint(
      prefix, lambda: MLPPolicy(3), OBS_SPEC, action_map=(1, 3, 5),
      q_temperature=0.5)
  _teacher_set(0, teacher)
  probs = tf.nn.softmax(teacher.step(_batch(), ())[0]).numpy()
  np.testing.assert_allclose(probs[:, [1, 3, 5]],
                             tf.nn.softmax(mlp(_batch()) / 0.5).numpy(),
                             rtol=1e-5)
  assert np.all(probs[:, [0, 2, 4]] == 0.0)
