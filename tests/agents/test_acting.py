"""Batched acting writes, through real Reverb, what K single-env actors write."""

import numpy as np
import pytest
import tree

from acme_kickstart.agents.kickstarting import acting
from acme_kickstart.environments import minatar
from acme_kickstart.networks import MLPPolicy
from acme_kickstart.teachers import Teacher, TeacherSet
from adder_adapters import actor_with_adders
from conftest import built_network

GAMES = ['breakout', 'asterix', 'breakout', 'space_invaders']
SEQUENCE_LENGTH = 6


def _envs(indices):
  return [minatar.make_environment(GAMES[i], seed=10 + i, max_episode_steps=30)
          for i in indices]


def _teachers():
  mlp = MLPPolicy(minatar.NUM_ACTIONS)
  recurrent = built_network('teacher', lstm_size=8)
  return TeacherSet({0: Teacher.from_module(recurrent),
                     1: Teacher.from_module(mlp)},
                    len(minatar.GAMES), minatar.NUM_ACTIONS,
                    minatar.observation_spec())


def _assert_same_sequences(batched, single):
  assert len(batched) == len(single) > 3
  for b, s in zip(batched, single):
    for path_b, leaf_b in tree.flatten_with_path(b):
      leaf_s = dict(tree.flatten_with_path(s))[path_b]
      if np.issubdtype(leaf_b.dtype, np.floating):
        np.testing.assert_allclose(leaf_b, leaf_s, rtol=1e-5, atol=1e-6,
                                   err_msg=str(path_b))
      else:
        np.testing.assert_array_equal(leaf_b, leaf_s, err_msg=str(path_b))


@pytest.mark.parametrize('greedy', [True, False])
def test_batched_actor_writes_what_single_env_actors_write(greedy,
                                                           per_env_tables):
  network, teachers = built_network('student'), _teachers()
  period = SEQUENCE_LENGTH - 1
  num_envs = len(GAMES)
  action_seeds = [100 + i for i in range(num_envs)]

  batched_tables = per_env_tables(network, num_envs, SEQUENCE_LENGTH)
  batched = actor_with_adders(
      network, _envs(range(num_envs)),
      [batched_tables.adder(i, period) for i in range(num_envs)],
      teachers=teachers, action_seeds=action_seeds, greedy=greedy)
  single_tables = per_env_tables(network, num_envs, SEQUENCE_LENGTH)
  singles = [actor_with_adders(network, _envs([i]),
                               [single_tables.adder(i, period)],
                               teachers=teachers,
                               action_seeds=[action_seeds[i]], greedy=greedy)
             for i in range(num_envs)]
  for _ in range(70):  # Several 30-step episodes per environment.
    batched.step()
    for actor in singles:
      actor.step()

  episodes = batched.pop_episodes()
  assert len({e.env_index for e in episodes}) == num_envs
  for i in range(num_envs):
    seqs = batched_tables.drain(i)
    _assert_same_sequences(seqs, single_tables.drain(i))
    # Each sequence is one environment's: its task id throughout.
    task = minatar.GAMES.index(GAMES[i])
    for seq in seqs:
      real = seq.extras['teacher_logits'].any(-1) | (
          seq.extras['logits'].any(-1))
      assert np.all(seq.observation['task_id'][real] == task)
      # Teacher logits are there exactly on the tasks that have a teacher.
      assert np.all(seq.extras['teacher_mask'][real] == float(task in (0, 1)))


def test_core_state_is_reset_at_each_environments_episode_start(per_env_tables):
  network = built_network('student_reset')
  tables = per_env_tables(network, 2, SEQUENCE_LENGTH)
  envs = [minatar.make_environment('breakout', seed=1, max_episode_steps=7),
          minatar.make_environment('breakout', seed=2, max_episode_steps=11)]
  actor = actor_with_adders(
      network, envs, [tables.adder(i, SEQUENCE_LENGTH - 1) for i in range(2)])
  for _ in range(40):
    actor.step()
  for i in range(2):
    starts = 0
    for seq in tables.drain(i):
      hidden = seq.extras['core_state'].hidden
      for t in np.flatnonzero(seq.start_of_episode):
        assert not hidden[t].any()
        starts += 1
      # Mid-episode states are not zero (the LSTM has run).
      mid = ~seq.start_of_episode & seq.extras['logits'].any(-1)
      assert np.all(np.abs(hidden[mid]).sum(-1) > 0)
    assert starts >= 3


def test_a_list_of_per_environment_adders_gets_one_clear_error(
    per_env_tables):
  network = built_network('student_list')
  tables = per_env_tables(network, 2, SEQUENCE_LENGTH)
  with pytest.raises(TypeError, match=r'one BatchedSequenceAdder \(add_batch\); '
                     'got list'):
    acting.BatchedActor(network, _envs([0, 1]),
                        [tables.adder(i, 2) for i in range(2)])
