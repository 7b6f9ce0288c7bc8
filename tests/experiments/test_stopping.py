"""A program stops even when a worker waits on a node that stopped first.

A courier call to a stopped node never returns (courier waits for the server
to come back), and Launchpad kills the whole runtime after its notice.
"""

import contextlib
import threading
import time

from acme.utils import counting
from acme.utils import loggers
import courier
from launchpad import context as lp_context
import numpy as np
import pytest
import reverb
import tensorflow as tf

from acme_kickstart.agents.kickstarting import learning
from acme_kickstart.agents.kickstarting.adders import BatchedSequenceAdder
from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.environments import minatar
from acme_kickstart.experiments import learner_node
from acme_kickstart.experiments import stopping
from acme_kickstart.experiments import workers
from acme_kickstart.experiments.config import ExperimentConfig
from acme_kickstart.experiments.config import RunConfig
from conftest import built_network, real_batch


@pytest.fixture
def stop(monkeypatch):
  """The event a Launchpad stop would set, under the test's control."""
  event = threading.Event()

  @contextlib.contextmanager
  def stop_requested():
    yield event
  monkeypatch.setattr(stopping, 'stop_requested', stop_requested)
  return event


class StoppedLearner:
  """A learner node whose courier server stopped: its calls never return."""

  def __init__(self):
    server = courier.Server()
    server.Bind('get_variables', lambda names: [])
    server.Start()
    self._client = courier.Client(server.address)
    server.Stop()
    self.fetching = threading.Event()

  def get_variables(self, names):
    self.fetching.set()
    return self._client.get_variables(names)  # Blocks: nobody serves it.


@pytest.mark.timeout(120)
def test_evaluator_waiting_on_a_stopped_learner_still_stops(
    stop, monkeypatch, tmp_path):
  monkeypatch.setattr(stopping, 'STOP_GRACE_SECONDS', 1.0)
  config = ExperimentConfig(
      agent=KickstartingConfig(num_envs_per_actor=2),
      network_kwargs=dict(hidden_size=32, lstm_size=16),
      suite_kwargs=dict(max_episode_steps=30),
      run=RunConfig(evaluator_episodes_per_task=1, run_dir=str(tmp_path)))
  learner = StoppedLearner()
  evaluator = workers.EvaluatorWorker(config, learner, counting.Counter())
  node = threading.Thread(target=evaluator.run, daemon=True)
  node.start()
  assert learner.fetching.wait(timeout=60)
  stop.set()
  node.join(timeout=30)
  assert not node.is_alive(), 'The evaluator kept the program from stopping.'


def _small_learner(name: str) -> learning.KickstartingLearner:
  network = built_network(name, hidden_size=32, lstm_size=16)
  return learning.KickstartingLearner(
      network=network,
      dataset=tf.data.Dataset.from_tensors(real_batch(network)).repeat(),
      num_tasks=len(minatar.GAMES), task_names=minatar.GAMES,
      logger=loggers.NoOpLogger(), learning_rate=1e-3)


@pytest.mark.timeout(120)
def test_learner_stops_the_program_from_its_training_thread(stop, tmp_path):
  """After too many non-finite losses the learner itself calls `lp.stop()`."""
  stopper_calls = []

  def program_stopper():
    stopper_calls.append(threading.current_thread().name)
    stop.set()
  launch_context = lp_context.LaunchContext()
  launch_context.initialize(lp_context.LaunchType.TEST_MULTI_THREADING, None,
                            program_stopper=program_stopper)
  learner = _small_learner('nonfinite')

  def nonfinite_step():
    raise learning.NonFiniteLossError('loss is nan; the update was not applied')
  learner.step = nonfinite_step
  node = learner_node.LearnerNode(learner, str(tmp_path), 60.0,
                                   max_nonfinite_steps=3, stop_grace_seconds=1.0)
  node._exit = lambda code: None  # pylint: disable=protected-access
  lp_context.set_context(launch_context)  # As Launchpad does in a node thread.
  try:
    node.run()
  finally:
    lp_context.set_context(None)
  assert len(stopper_calls) == 1 and stop.is_set()
  assert stopper_calls[0] != threading.current_thread().name
  assert node.has_checkpoint()  # The last finite weights are on disk.


def test_an_error_in_the_loop_fails_the_node(stop):
  def loop(unused_stop):
    raise ValueError('the environment crashed')
  with pytest.raises(ValueError, match='environment crashed'):
    stopping.run_until_stopped(loop, 'Actor')
  assert not stop.is_set()


@pytest.mark.timeout(120)
def test_a_learner_left_behind_never_saves_again(stop, tmp_path):
  """In one process launched twice (local_mt), a late save by the first
  launch's learner would overwrite the second launch's checkpoints."""
  learner = _small_learner('left_behind')
  stepping, release = threading.Event(), threading.Event()
  training_threads = []

  def step_waiting_on_a_stopped_replay():
    training_threads.append(threading.current_thread())
    stepping.set()
    release.wait()  # As a sample from a replay server that has gone.
  learner.step = step_waiting_on_a_stopped_replay
  node = learner_node.LearnerNode(learner, str(tmp_path), 0.0,
                                   stop_grace_seconds=0.5)
  saving_threads = []
  save = node._checkpointer.save  # pylint: disable=protected-access

  def recorded_save(*args, **kwargs):
    saving_threads.append(threading.current_thread())
    return save(*args, **kwargs)
  node._checkpointer.save = recorded_save  # pylint: disable=protected-access
  runner = threading.Thread(target=node.run, daemon=True)  # Not main: no exit.
  runner.start()
  assert stepping.wait(timeout=60)
  stop.set()
  runner.join(timeout=30)
  assert not runner.is_alive()
  assert saving_threads == [runner]  # run's own last save.
  release.set()  # The step returns, long after the stop.
  training_threads[0].join(timeout=30)
  assert not training_threads[0].is_alive()
  assert saving_threads == [runner], 'The abandoned learner saved again.'


def _courier_server(**methods):
  server = courier.Server()
  for name, method in methods.items():
    server.Bind(name, method)
  server.Start()
  return server


@pytest.mark.timeout(60)
def test_a_call_to_a_stopped_node_gives_up_after_the_stop():
  """The learner's counter sync after the counter node stopped (the bug)."""
  server = _courier_server(increment=lambda **counts: counts)
  client = stopping.StopAwareClient(courier.Client(server.address),
                                    seconds_after_stop=0.5)
  assert client.increment(steps=1) == {'steps': 1}
  server.Stop()
  server.Join()
  client._stopped.set()  # pylint: disable=protected-access  # lp.stop().
  start = time.monotonic()
  with pytest.raises(stopping.ProgramStopped, match='increment'):
    client.increment(steps=1)
  assert time.monotonic() - start < 5.0


@pytest.mark.timeout(60)
def test_a_node_that_still_serves_answers_after_the_stop():
  server = _courier_server(get_counts=lambda: {'actor_steps': 7})
  try:
    client = stopping.StopAwareClient(courier.Client(server.address))
    client._stopped.set()  # pylint: disable=protected-access
    assert client.get_counts() == {'actor_steps': 7}
  finally:
    server.Stop()


def test_in_process_objects_are_not_wrapped():
  counter = counting.Counter()
  assert stopping.stop_aware(counter) is counter


@pytest.mark.timeout(60)
def test_a_write_to_a_full_queue_gives_up_once_stopped():
  """At the end nobody samples the queue: the actor's flush would wait."""
  server = reverb.Server([reverb.Table.queue('queue', max_size=1)])
  writer = BatchedSequenceAdder(
      reverb.Client(f'localhost:{server.port}'), num_envs=1,
      sequence_length=2, period=1, table='queue', max_in_flight_items=0)
  stop = threading.Event()
  writer.give_up_when(stop)
  zeros = np.zeros([1], np.float32)
  no = np.zeros([1], bool)

  def add():
    writer.add_batch(zeros, ~no, zeros, zeros, zeros, no, zeros, {})
  try:
    add()
    add()  # One item: the queue is full.
    stopper = threading.Timer(1.0, stop.set)
    stopper.start()
    start = time.monotonic()
    with pytest.raises(stopping.ProgramStopped):
      add()  # A second item: waits for room, until the stop.
    assert 0.9 < time.monotonic() - start < 10.0
    stopper.join()
  finally:
    writer.close()
    server.stop()


class ClosableLearner:
  """A learner whose step, after the stop, meets a counter that stopped."""

  def __init__(self, stop):
    self._stop = stop
    self.steps = 0
    self.closed = False
    self.state = {'steps': tf.Variable(0)}

  def step(self):
    self.steps += 1
    self.state['steps'].assign_add(1)
    if self._stop.is_set():
      raise stopping.ProgramStopped('increment: no answer after the stop')
    time.sleep(0.01)

  def close(self):
    self.closed = True


@pytest.mark.timeout(120)
def test_a_learner_whose_counter_stopped_first_saves_and_closes(stop,
                                                                tmp_path):
  learner = ClosableLearner(stop)
  node = learner_node.LearnerNode(learner, str(tmp_path), 60.0,
                                   stop_grace_seconds=30.0)
  node._exit = lambda code: pytest.fail('left behind')  # pylint: disable=protected-access
  runner = threading.Thread(target=node.run, daemon=True)
  runner.start()
  time.sleep(0.5)
  stop.set()
  runner.join(timeout=20)
  assert not runner.is_alive(), 'The learner waited out its grace.'
  assert learner.closed  # Its Reverb streams, before the server stops.
  reader = tf.train.load_checkpoint(str(tmp_path / 'checkpoints' / 'learner'))
  saved, = [reader.get_tensor(k) for k in reader.get_variable_to_shape_map()
            if k.startswith('learner/steps')]
  assert saved == learner.steps  # Its last step's update is in the save.
