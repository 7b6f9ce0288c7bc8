"""What the agent's data path needs to stop with a program.

`ProgramStopped` ends a worker's step when a call to another node, or a write
to a full replay table, is given up because the program is stopping (the
Launchpad side lives in experiments/stopping.py). `without_autotune` lets a
learner close its Reverb streams at once.
"""

import tensorflow as tf


class ProgramStopped(Exception):
  """A call to another node was given up: the program is stopping."""


def without_autotune(dataset: tf.data.Dataset) -> tf.data.Dataset:
  """`dataset` without tf.data's autotuning, whose parameters it sets itself.

  An autotuned iterator runs a model thread that waits between two
  optimisations for a period that doubles up to 60 s, and in TF 2.8 deleting
  the iterator waits for that wait to end: a learner closing its Reverb
  streams at a program's end waited 11-60 s (py-spy, gdb: ~Iterator ->
  ~LogicalThreadWrapper, tf_data_model thread in Model::OptimizeLoop). These
  datasets set their parallelism and buffers explicitly, so autotuning had
  nothing to tune.
  """
  options = tf.data.Options()
  options.autotune.enabled = False
  return dataset.with_options(options)
