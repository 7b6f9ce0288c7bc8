"""The learner's node: it checkpoints and restores its learner, stops cleanly,
and serves only its own methods."""

import contextlib
import threading

import numpy as np
import pytest
import tensorflow as tf

from acme_kickstart.agents.kickstarting import learning
from acme_kickstart.experiments import learner_node
from acme_kickstart.experiments import stopping
from conftest import built_network, learner_on, real_batch_with_teachers


_learner = learner_on


@pytest.fixture(scope='module')
def sample_with_teacher():
  """A real batch whose steps carry real (non-zero) teacher logits."""
  return real_batch_with_teachers()


def test_restarted_learner_restores_weights_optimizer_and_steps(
    sample_with_teacher, tmp_path):
  first = _learner(built_network('resume'), sample_with_teacher,
                   distillation_costs=1.0)
  for _ in range(3):
    first.step()
  first.set_hyperparameters(distillation_costs=[0.5, 1.5, 0.0, 2.0, 0.0])
  learner_node.LearnerNode(first, str(tmp_path), 60.0).save()
  again = _learner(built_network('resume'), sample_with_teacher,
                   distillation_costs=1.0)
  learner_node.LearnerNode(again, str(tmp_path), 60.0)  # Restores.
  assert again.num_steps == 3
  assert again.get_hyperparameters() == first.get_hyperparameters()
  for a, b in zip(first.network.variables, again.network.variables):
    np.testing.assert_array_equal(a.numpy(), b.numpy())
  # Adam's moments came back too: the next updates of both are the same.
  first.step()
  again.step()
  for a, b in zip(first.network.variables, again.network.variables):
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.timeout(120)
def test_learner_blocked_at_stop_saves_its_weights_and_exits(
    sample_with_teacher, tmp_path, monkeypatch):
  """At a program's end a step can wait forever on a stopped replay/counter."""
  stop, blocked, stepped = threading.Event(), threading.Event(), threading.Event()

  @contextlib.contextmanager
  def stop_requested():
    yield stop
  monkeypatch.setattr(stopping, 'stop_requested', stop_requested)

  def run(block: bool, directory: str, wait_for: threading.Event):
    """Runs the learner in this (main) thread; stops it once `wait_for` is set."""
    learner = _learner(built_network('blocked'), sample_with_teacher)
    real_step = learner.step

    def step():
      if learner.num_steps >= 2 and block:
        blocked.set()
        threading.Event().wait()  # The replay server is gone.
      result = real_step()
      stepped.set()
      return result
    learner.step = step
    wrapped = learner_node.LearnerNode(learner, directory, 60.0,
                                        stop_grace_seconds=1.0)
    exit_codes = []
    wrapped._exit = exit_codes.append  # pylint: disable=protected-access
    threading.Thread(target=lambda: wait_for.wait(60) and stop.set(),
                     daemon=True).start()
    wrapped.run()
    return exit_codes

  exit_codes = run(True, str(tmp_path / 'blocked'), blocked)
  assert blocked.is_set() and exit_codes == [0]
  restored = _learner(built_network('blocked'), sample_with_teacher)
  learner_node.LearnerNode(restored, str(tmp_path / 'blocked'), 60.0)
  assert restored.num_steps == 2  # Both finished steps are in the checkpoint.

  # A learner that is not blocked stops by itself; nothing exits the process.
  stop.clear()
  stepped.clear()
  exit_codes = run(False, str(tmp_path / 'free'), stepped)
  assert stepped.is_set() and exit_codes == []


def test_learner_node_serves_only_its_own_methods(tmp_path):
  """No pass-through: what courier clients may call is listed explicitly."""
  network = built_network('node', hidden_size=16, lstm_size=16)
  learner = learning.KickstartingLearner(
      network=network, dataset=tf.data.Dataset.range(1), num_tasks=5,
      learning_rate=1e-3)
  node = learner_node.LearnerNode(learner, str(tmp_path), 1.0)
  assert not hasattr(node, 'exploit_variables')
  assert not hasattr(node, 'step')
  (weights,) = node.get_variables(['policy'])
  assert all(np.array_equal(w, v.numpy())
             for w, v in zip(weights, network.variables))
  assert node.get_num_steps() == 0
  assert node.get_hyperparameters() == learner.get_hyperparameters()
  assert node.learner is learner
