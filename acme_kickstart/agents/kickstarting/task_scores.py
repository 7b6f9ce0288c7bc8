"""Students' episode returns per task, from the actors to the learner.

The route is the program's counter. Each actor already adds its env steps to
the counter every few seconds; it adds, in the same call, each task's sum of
finished-episode returns and number of episodes ('actor_return_sum/<task>',
'actor_episodes/<task>'). The learner already reads every count in each step
(acme's Counter returns them from `increment`, fetched from the counter node at
most once a second), so the scores cost no extra call, no extra node and no
courier endpoint. The counter node checkpoints its counts, and the learner
checkpoints its moving averages (tf.Variables), so both survive a restart:
after one the learner takes the counter's totals as its new baseline and
resumes averaging from there. A variable client would need the actors to
serve, and a courier call per episode would cost an RPC each; the counter is
the one channel every node already shares.

The single-process agent increments the same keys on its own acme Counter.
"""

from typing import Dict, Mapping, Sequence

import numpy as np

PREFIX = 'actor'  # ActorWorker's Counter prefix.
RETURN_SUM = 'return_sum'
EPISODES = 'episodes'


def returns_by_task(episodes, task_names: Sequence[str]) -> Dict[str, list]:
  """Episode returns grouped by task name (episodes carry a task id)."""
  grouped = {}
  for episode in episodes:
    grouped.setdefault(task_names[episode.task_id], []).append(
        episode.episode_return)
  return grouped


def increments(returns_by_task: Mapping[str, Sequence[float]]) -> Dict[str, float]:
  """Counter increments (unprefixed) for the episodes finished per task."""
  counts = {}
  for task, returns in returns_by_task.items():
    if len(returns):  # pylint: disable=g-explicit-length-test
      counts[f'{RETURN_SUM}/{task}'] = float(np.sum(returns))
      counts[f'{EPISODES}/{task}'] = int(len(returns))
  return counts


def is_score_key(key: str) -> bool:
  """Keys of the score feed (kept out of the learner's log rows)."""
  return (key.startswith(f'{PREFIX}_{RETURN_SUM}/') or
          key.startswith(f'{PREFIX}_{EPISODES}/'))


class ReturnAverager:
  """Per task, an exponential moving average of episode returns.

  Fed with the counter's cumulative totals; it averages the new episodes since
  the previous totals (their mean, weighted as n episodes: each episode
  multiplies the old average's weight by 1 - 1/window). The first totals it
  sees are only a baseline: a restarted learner does not re-count the whole
  history. Totals that go backwards (a counter restored from an older
  checkpoint) also only reset the baseline, and non-finite ones are skipped.
  """

  def __init__(self, task_names: Sequence[str], window_episodes: float):
    self._tasks = list(task_names)
    self._keep = 1.0 - 1.0 / float(window_episodes)
    self._last = None  # (sums, counts) at the previous update.

  def update(self, counts: Mapping[str, float], averages: np.ndarray,
             seen: np.ndarray):
    """Returns new (averages, seen) after the counter totals `counts`."""
    sums = np.array([counts.get(f'{PREFIX}_{RETURN_SUM}/{t}', 0.0)
                     for t in self._tasks], np.float64)
    episodes = np.array([counts.get(f'{PREFIX}_{EPISODES}/{t}', 0)
                         for t in self._tasks], np.float64)
    averages = np.array(averages, np.float64)
    seen = np.array(seen, bool)
    last, self._last = self._last, (sums, episodes)
    if last is None:
      return averages, seen
    new_sums, new_episodes = sums - last[0], episodes - last[1]
    for k in range(len(self._tasks)):
      # A non-finite total (from a counter that once took a NaN return; the
      # actors refuse them) would make s_k, the gate and every lambda NaN for
      # good: its episodes are skipped, and the average keeps its last value.
      if new_episodes[k] <= 0 or not np.isfinite(new_sums[k]):
        continue
      mean = new_sums[k] / new_episodes[k]
      if not seen[k]:
        averages[k], seen[k] = mean, True
      else:
        weight = self._keep ** new_episodes[k]
        averages[k] = weight * averages[k] + (1.0 - weight) * mean
    return averages, seen
