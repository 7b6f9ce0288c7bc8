"""Resuming a run: the counter never lags its logs."""

from acme.utils import counting

from acme_kickstart.agents.kickstarting import checkpointing


def test_counter_restored_after_a_crash_is_past_every_count_it_returned(
    tmp_path):
  counter = checkpointing.CheckpointedCounter(str(tmp_path))
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
  restored = checkpointing.CheckpointedCounter(str(tmp_path)).get_counts()
  assert restored['actor_steps'] >= max(logged)
  assert restored['launches'] == 2

