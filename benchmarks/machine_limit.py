"""The machine's limit for a config: env and learner cost per env step, one core.

Every env step the program makes costs, at the least, one environment step (in
an actor) and its share of a learner step (B * (T - 1) real transitions per
step). Measured on one core each, in this process (TF held to one thread):

  env:      random actions in the environments the program builds
            (experiments/factories.make_environment), each task for the same wall time; the
            per-step costs of the tasks are averaged.
  learner:  the program's learner (KickstartingBuilder.make_learner) on one synthetic full
            batch of the config's shape, held in memory (no Reverb): every row
            real, so a step consumes B * (T - 1) env steps. Its distillation
            replay's updates, if any, draw the same batch and add their cost.

Costs are CPU time (time.process_time), not wall time, so a machine shared
with other work still gives the cost of a core's second. On `cores` cores the
system can make at most cores / (env + learner cost) env steps/s; the actors'
policy calls and the writer come on top. Run as a script
it prints one JSON line (benchmarks/throughput.py reads it):

  {"env_steps_per_second_per_core": ..., "learner_env_steps_per_second_per_core": ..., ...}
"""

import json
import os
import sys
import time

from absl import flags
from ml_collections import config_flags

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
flags.DEFINE_float('seconds', 10.0, 'Measured CPU time for env and learner each.')
_CONFIG = config_flags.DEFINE_config_file(
    'config', os.path.join(_ROOT, 'configs', 'minatar5.py'),
    'Experiment config file (default configs/minatar5.py).')
flags.DEFINE_bool('compare_xla', False,
                  'Also time the learner update on a batch passed in, with and '
                  'without XLA (jit_compile), side by side.')
FLAGS = flags.FLAGS


def env_seconds_per_step(config, seconds: float) -> float:
  """Mean over tasks of one env step's cost (random actions, auto-reset)."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  from acme_kickstart.experiments import factories  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(0)
  costs = []
  for task in config.tasks:
    env = factories.make_environment(config, task, seed=0)
    num_actions = env.action_spec().num_values
    actions = rng.integers(num_actions, size=4096)
    env.reset()
    steps, start = 0, time.process_time()
    deadline = start + seconds / len(config.tasks)
    while True:
      for action in actions[:256]:
        env.step(action)  # A LAST step's successor is the next FIRST.
      steps += 256
      now = time.process_time()
      if now >= deadline:
        break
      actions = np.roll(actions, 1)
    costs.append((now - start) / steps)
  return float(np.mean(costs))


def synthetic_batch(config, network, spec):
  """A full batch of the queue's signature: random data, every row real."""
  from acme.adders import reverb as adders  # pylint: disable=g-import-not-at-top
  import numpy as np  # pylint: disable=g-import-not-at-top
  import reverb  # pylint: disable=g-import-not-at-top
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  import tree  # pylint: disable=g-import-not-at-top
  from acme_kickstart.agents.kickstarting import acting  # pylint: disable=g-import-not-at-top
  agent = config.agent
  signature = adders.SequenceAdder.signature(
      spec, extras_spec=acting.extras_spec(network, spec.actions.num_values),
      sequence_length=agent.sequence_length)
  rng = np.random.default_rng(0)
  shape = [agent.batch_size, agent.sequence_length]
  num_actions = spec.actions.num_values

  def fill(path, leaf_spec):
    name = '/'.join(str(p) for p in path)
    full = shape + leaf_spec.shape.as_list()[1:]  # Signature: [T, ...].
    dtype = leaf_spec.dtype.as_numpy_dtype
    if 'task_id' in name:
      return np.repeat(rng.integers(len(config.tasks), size=[shape[0], 1]),
                       shape[1], axis=1).astype(dtype)
    if 'action' in name and 'previous' not in name:
      return rng.integers(num_actions, size=full).astype(dtype)
    if name.endswith(('discount', 'teacher_mask', 'valid')):
      return np.ones(full, dtype)
    if 'start_of_episode' in name:
      return np.zeros(full, dtype)
    if dtype == np.uint8:
      return rng.integers(0, 2, size=full).astype(dtype)
    if np.issubdtype(dtype, np.floating):
      return rng.normal(size=full).astype(dtype)
    return np.zeros(full, dtype)

  data = tree.map_structure_with_path(fill, signature)
  # The learner reads only the data.
  return reverb.ReplaySample(info=(), data=tree.map_structure(tf.constant, data))


def _synthetic_replay(dataset, batch_size: int):
  """The distillation replay's reader, drawing the synthetic batch (no Reverb).

  The learner makes `distillation_replay_ratio` replayed updates per step:
  their cost is the learner's, though they consume no env steps.
  """
  from acme_kickstart.agents.kickstarting import distillation_replay  # pylint: disable=g-import-not-at-top

  class SyntheticReplay(distillation_replay.ReplayReader):

    def _make_dataset(self):
      return dataset

    def table_info(self):
      return {'size': 1, 'inserted': 1}
  return SyntheticReplay(batch_size)


def learner_on_synthetic_batch(config):
  """The program's learner reading one synthetic full batch forever (its
  distillation replay too, if the config has one)."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from acme.utils import loggers  # pylint: disable=g-import-not-at-top
  from acme_kickstart.agents.kickstarting.builder import KickstartingBuilder  # pylint: disable=g-import-not-at-top
  from acme_kickstart.experiments import factories  # pylint: disable=g-import-not-at-top
  spec = factories.environment_spec(config)
  network = factories.build_network(
      factories.make_network(config, spec.actions.num_values), spec)
  sample = synthetic_batch(config, network, spec)
  dataset = tf.data.Dataset.from_tensors(sample).repeat()
  replay = None
  if config.agent.distillation_replay_ratio > 0:
    replay = _synthetic_replay(dataset, config.agent.batch_size)
  learner = KickstartingBuilder(config.agent).make_learner(
      network, dataset, config.tasks, logger=loggers.NoOpLogger(),
      replay_reader=replay)
  return learner, sample


def _seconds_per_env_step(config, step, seconds: float) -> float:
  for _ in range(3):  # Trace and warm up.
    step()
  steps, start = 0, time.process_time()
  while time.process_time() - start < seconds or steps < 3:
    step()
    steps += 1
  elapsed = time.process_time() - start
  agent = config.agent
  return elapsed / (steps * agent.batch_size * (agent.sequence_length - 1))


def learner_seconds_per_env_step(config, seconds: float) -> float:
  """One learner step's cost divided by the B * (T - 1) env steps it consumes."""
  learner, _ = learner_on_synthetic_batch(config)
  return _seconds_per_env_step(config, learner.step, seconds)


def update_on_batch(learner, sample, jit_compile: bool):
  """The learner's update (loss, gradients, clipping, optimizer) on a batch
  passed in, as one tf.function, with or without XLA: XLA cannot compile the
  learner's own step, which reads its dataset iterator."""
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  network = learner.network
  optimizer = learner._optimizer  # pylint: disable=protected-access
  max_norm = learner._max_gradient_norm  # pylint: disable=protected-access

  @tf.function(jit_compile=jit_compile)
  def update(batch):
    variables = network.trainable_variables
    with tf.GradientTape() as tape:
      output = learner.loss(batch)
    gradients = tape.gradient(output.loss, variables)
    gradients, _ = tf.clip_by_global_norm(gradients, max_norm)
    optimizer.apply(gradients, variables)
    return output.loss

  return lambda: update(sample).numpy()


def compare_xla(config, seconds: float, repeats: int = 5) -> dict:
  """Medians of interleaved timings of the same update with and without XLA."""
  import statistics  # pylint: disable=g-import-not-at-top
  steps = {}
  for jit_compile in (False, True):
    learner, sample = learner_on_synthetic_batch(config)
    steps[jit_compile] = update_on_batch(learner, sample, jit_compile)
  costs = {False: [], True: []}
  for _ in range(repeats):
    for jit_compile, step in steps.items():
      costs[jit_compile].append(
          _seconds_per_env_step(config, step, seconds / repeats))
  return {'learner_update_env_steps_per_second_per_core':
              1.0 / statistics.median(costs[False]),
          'learner_update_xla_env_steps_per_second_per_core':
              1.0 / statistics.median(costs[True])}


def measure(config, seconds: float, xla: bool = False) -> dict:
  env = env_seconds_per_step(config, seconds)
  learner = learner_seconds_per_env_step(config, seconds)
  result = {'env_steps_per_second_per_core': 1.0 / env,
            'learner_env_steps_per_second_per_core': 1.0 / learner,
            'cores': len(os.sched_getaffinity(0))}
  result['limit'] = result['cores'] / (env + learner)
  result['seconds_per_env_step'] = env + learner
  if xla:
    result.update(compare_xla(config, 2 * seconds))
  return result


def main(_):
  os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '2')
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  tf.config.threading.set_intra_op_parallelism_threads(1)
  tf.config.threading.set_inter_op_parallelism_threads(1)
  print(json.dumps(measure(_CONFIG.value, FLAGS.seconds,
                           FLAGS.compare_xla)), flush=True)


if __name__ == '__main__':
  # Not under absl's app.run: there the learner's traced step fails with "Op
  # type not registered ..._while_cond" (see benchmarks/single_process.py).
  flags.FLAGS(sys.argv)
  main(None)
