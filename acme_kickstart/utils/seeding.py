"""Every random stream of a run, spawned from its one seed.

np.random.SeedSequence makes streams that are independent whatever the seeds
(no two workers, environments or launches share one), where seed arithmetic
(`seed * 1000 + i`) makes streams of neighbouring seeds collide.
"""

from typing import List, Sequence

import numpy as np

# Kinds of worker, the first entry of their spawn keys.
ACTOR, EVALUATOR, FINAL_EVALUATION = 0, 1, 2

# A run's final evaluation (benchmarks/kickstarting, launch/demo.py) roots
# its streams at the run's seed + this: a seed no training run is given.
FINAL_EVALUATION_SEED_OFFSET = 1_000_000


def spawn_seeds(seed: int, count: int, key: Sequence[int] = ()) -> List[int]:
  """`count` independent seeds below 2**31 (any simulator takes them) from
  the children of SeedSequence(seed, spawn_key=key)."""
  children = np.random.SeedSequence(seed, spawn_key=tuple(key)).spawn(count)
  return [int(child.generate_state(1)[0]) >> 1 for child in children]


def launch_seeds(seed: int, launch: int, worker: Sequence[int],
                 count: int) -> List[int]:
  """`count` seeds for one worker of one launch (its environments, then its
  actor). The launch is in the key, so a resumed run plays fresh episodes
  rather than replaying the first launch's, while a run's first launch is
  still fixed by `seed` alone."""
  return spawn_seeds(seed, count, key=(launch,) + tuple(worker))
