"""Resuming a run: the counter never lags its logs; fresh seeds per launch."""

from acme.utils import counting
import pytest
import reverb

from acme_kickstart.agents.kickstarting.builder import KickstartingBuilder
from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.experiments import counter as counter_lib
from acme_kickstart.experiments import factories
from acme_kickstart.experiments import program as program_lib
from acme_kickstart.experiments import workers
from acme_kickstart.experiments.config import ExperimentConfig
from acme_kickstart.experiments.config import RunConfig
from acme_kickstart.experiments.config import Topology

TOPOLOGY = Topology(num_actors=2)


def test_counter_restored_after_a_crash_is_past_every_count_it_returned(
    tmp_path):
  counter = counter_lib.CheckpointedCounter(str(tmp_path))
  # As the workers count: an actor's own counter, synced on every increment,
  # and the learner's caching one.
  actor = counting.Counter(counter, prefix='actor', time_delta=0.)
  learner = counting.Counter(counter, prefix='learner')
  logged = []
  for _ in range(5):
    logged.append(actor.increment(steps=160)['actor_steps'])
    learner.increment(steps=1)
  logged.append(counter.get_counts()['actor_steps'])
  assert logged == [160, 320, 480, 640, 800, 800]
  # A crash: nothing is saved on the way out. The relaunch restores.
  restored = counter_lib.CheckpointedCounter(str(tmp_path)).get_counts()
  assert restored['actor_steps'] >= max(logged)
  assert restored['launches'] == 2


@pytest.fixture
def replay_and_learner(tmp_path):
  """A real replay server, and a learner for the workers' weights."""
  config = _config(tmp_path / 'unused')
  server = reverb.Server(program_lib.make_replay_tables(config), port=None)
  address = f'localhost:{server.port}'
  spec = factories.environment_spec(config)
  network = factories.build_network(
      factories.make_network(config, spec.actions.num_values), spec)
  builder = KickstartingBuilder(config.agent)
  learner = builder.make_learner(
      network, builder.make_dataset(address, 1, timeout_ms=100),
      config.tasks)
  yield reverb.Client(address), learner
  server.stop()


def _config(run_dir):
  return ExperimentConfig(
      agent=KickstartingConfig(num_envs_per_actor=3), seed=7,
      network_kwargs=dict(hidden_size=32, lstm_size=16),
      run=RunConfig(evaluator_episodes_per_task=1, run_dir=str(run_dir)))


def test_resumed_workers_play_fresh_seeds(replay_and_learner, tmp_path,
                                          monkeypatch):
  replay, learner = replay_and_learner
  made = []
  make_environment = factories.make_environment

  def recording_make_environment(config, task, seed=None, **kwargs):
    made.append(seed)
    return make_environment(config, task, seed=seed, **kwargs)
  monkeypatch.setattr(factories, 'make_environment',
                      recording_make_environment)

  def seeds_of_a_launch(run_dir):
    """The env seeds of actors 0 and 1 and the evaluator, in one launch."""
    counter = counter_lib.CheckpointedCounter(str(run_dir))
    config = _config(run_dir)
    seeds = []
    for make in (lambda: workers.ActorWorker(config, TOPOLOGY, 0, replay,
                                             learner, counter),
                 lambda: workers.ActorWorker(config, TOPOLOGY, 1, replay,
                                             learner, counter),
                 lambda: workers.EvaluatorWorker(config, learner, counter)):
      made.clear()
      make()
      seeds.append(list(made))
    return seeds

  first = seeds_of_a_launch(tmp_path / 'run')
  resumed = seeds_of_a_launch(tmp_path / 'run')  # Restores the counter.
  again = seeds_of_a_launch(tmp_path / 'other_run')
  assert again == first  # A first launch is fixed by the config's seed.
  first_seeds = [s for worker in first for s in worker]
  resumed_seeds = [s for worker in resumed for s in worker]
  assert len(set(first_seeds)) == len(first_seeds) == 3 + 3 + 5
  # A resumed launch replays none of the first launch's environments.
  assert not set(resumed_seeds) & set(first_seeds)
  assert len(set(resumed_seeds)) == len(resumed_seeds)
