"""Teachers: loading, validation against the suite, exact recurrent core state."""

from acme import specs
from acme.tf import savers as tf2_savers
import numpy as np
import pytest
import tensorflow as tf
import tree

from acme_kickstart.environments import minatar
from acme_kickstart.networks import MinAtarNetwork, MLPPolicy
from acme_kickstart.teachers import Teacher, TeacherSet
from adder_adapters import actor_with_adders
from conftest import built_network

OBS_SPEC = minatar.observation_spec()
NUM_TASKS = len(minatar.GAMES)


def _dummy_batch(n=3, seed=0):
  rng = np.random.default_rng(seed)
  return {'pixels': (rng.random((n, 10, 10, 10)) > 0.8).astype(np.uint8),
          'task_id': np.zeros([n], np.int32)}


def _teacher_set(teachers):
  return TeacherSet(teachers, NUM_TASKS, minatar.NUM_ACTIONS, OBS_SPEC,
                    minatar.GAMES)


def test_snapshot_round_trip_gives_same_logits(tmp_path):
  network = built_network('snap_teacher', lstm_size=16)
  snapshotter = tf2_savers.Snapshotter({'network': network},
                                       directory=str(tmp_path))
  snapshotter.save(force=True)
  path = f'{snapshotter.directory}/network'
  loaded = Teacher.from_snapshot(path)
  assert loaded.recurrent
  obs = _dummy_batch()
  expected, _ = Teacher.from_module(network).step(obs, network.initial_state(3))
  got, state = loaded.step(obs, loaded.initial_state(3))
  np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-5)
  got2, _ = loaded.step(obs, state)  # The loaded teacher's state advances.
  assert not np.allclose(got2.numpy(), got.numpy())
  _teacher_set({0: loaded})


def test_feedforward_snapshot_is_a_teacher(tmp_path):
  from acme.tf import utils as tf2_utils  # pylint: disable=g-import-not-at-top
  mlp = MLPPolicy(minatar.NUM_ACTIONS)
  tf2_utils.create_variables(mlp, [OBS_SPEC])
  snapshotter = tf2_savers.Snapshotter({'network': mlp}, directory=str(tmp_path))
  snapshotter.save(force=True)
  loaded = Teacher.from_snapshot(f'{snapshotter.directory}/network')
  assert not loaded.recurrent
  np.testing.assert_allclose(loaded.step(_dummy_batch(), ())[0].numpy(),
                             mlp(_dummy_batch()).numpy(), rtol=1e-5)


def test_checkpoint_with_network_factory(tmp_path):
  network = built_network('ckpt_teacher', lstm_size=16)
  prefix = tf.train.Checkpoint(network=network).save(str(tmp_path / 'ckpt'))
  factory = lambda: MinAtarNetwork(minatar.NUM_ACTIONS, lstm_size=16)
  for path in (prefix, str(tmp_path)):
    teacher = Teacher.from_checkpoint(path, factory, OBS_SPEC)
    obs = _dummy_batch()
    expected, _ = network(obs, network.initial_state(3))
    got, _ = teacher.step(obs, teacher.initial_state(3))
    np.testing.assert_allclose(got.numpy(), expected[0].numpy(), rtol=1e-5)
  wrong = lambda: MinAtarNetwork(minatar.NUM_ACTIONS, lstm_size=8)
  with pytest.raises(ValueError, match='does not match'):
    Teacher.from_checkpoint(prefix, wrong, OBS_SPEC)


def test_missing_snapshot_directory_is_one_clear_error(tmp_path):
  with pytest.raises(FileNotFoundError, match='does not exist.*saved_model.pb'):
    Teacher.from_snapshot(str(tmp_path / 'nope'))
  with pytest.raises(FileNotFoundError, match='holds no saved_model.pb'):
    Teacher.from_snapshot(str(tmp_path))
  with pytest.raises(FileNotFoundError, match='No TF checkpoint'):
    Teacher.from_checkpoint(str(tmp_path / 'nope'), MLPPolicy, OBS_SPEC)


def test_teacher_with_wrong_action_count_is_rejected():
  from acme.tf import utils as tf2_utils  # pylint: disable=g-import-not-at-top
  four_actions = MLPPolicy(4)
  tf2_utils.create_variables(four_actions, [OBS_SPEC])
  with pytest.raises(ValueError, match='outputs 4 action logits, but the suite '
                     'has 6 actions'):
    _teacher_set({2: Teacher.from_module(four_actions, 'small')})
  with pytest.raises(ValueError, match='is for task 7'):
    _teacher_set({7: Teacher.from_module(MLPPolicy(6))})


def test_only_tasks_with_a_teacher_are_in_the_set():
  teachers = _teacher_set({1: Teacher.from_module(MLPPolicy(6))})
  assert teachers.task_ids == [1] and len(teachers) == 1
  assert 1 in teachers and 0 not in teachers


class _RecordingAdder:
  """Keeps what an actor hands its adder, to compare with a fresh unroll."""

  def __init__(self):
    self.episodes = [[]]

  def add_first(self, timestep):
    if self.episodes[-1]:
      self.episodes.append([])
    self.episodes[-1].append(('first', timestep.observation, None))

  def add(self, action, next_timestep, extras):
    self.episodes[-1].append(('step', next_timestep.observation,
                              tree.map_structure(np.copy, extras)))

  def reset(self):
    pass


def test_recurrent_teacher_logits_equal_a_fresh_unroll_over_the_episode():
  """The teacher logits written for every step of several episodes, in a batch
  of environments that end at different times, equal a fresh unroll of the
  teacher over that episode alone."""
  teacher_net = built_network('recurrent_teacher', lstm_size=24)
  teacher = Teacher.from_module(teacher_net)
  envs = [minatar.make_environment('breakout', seed=s, max_episode_steps=40)
          for s in range(3)]
  recorders = [_RecordingAdder() for _ in envs]
  actor = actor_with_adders(built_network('student'), envs, recorders,
                            teachers=_teacher_set({0: teacher}), seed=3)
  for _ in range(150):
    actor.step()
  checked = 0
  for recorder in recorders:
    assert len(recorder.episodes) >= 3  # Several episodes, several resets.
    for episode in recorder.episodes[:-1]:
      observations = [obs for _, obs, _ in episode]
      written = np.stack([extras['teacher_logits']
                          for _, _, extras in episode[1:]])
      stacked = tree.map_structure(lambda *x: np.stack(x)[:, None],
                                   *observations[:-1])
      fresh = teacher.unroll(stacked).numpy()[:, 0]
      np.testing.assert_allclose(written, fresh, rtol=1e-4, atol=1e-5)
      assert all(extras['teacher_mask'] == 1.0 for _, _, extras in episode[1:])
      checked += 1
  assert checked >= 6
