"""Runs a small program twice under local_mt, run dir and teachers on ram://.

TF's ram:// filesystem lives in this process's memory, so both launches run
here and the run directory is inspected here; one JSON line on stdout reports
what the two launches left in it (test_run_dirs.py checks it).
"""

import dataclasses
import json
import pickle

from absl import app
from absl import flags
import tensorflow as tf

from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.experiments import launching
from acme_kickstart.experiments import program as program_lib
from acme_kickstart.experiments.config import ExperimentConfig
from acme_kickstart.experiments.config import RunConfig
from acme_kickstart.experiments.config import Topology
from acme_kickstart.utils import run_dirs
import program_utils as pu

RUN_DIR = 'ram://run'


def _saved(subdirectory: str, prefix: str):
  reader = tf.train.load_checkpoint(
      run_dirs.join(RUN_DIR, 'checkpoints', subdirectory))
  key, = [k for k in reader.get_variable_to_shape_map()
          if k.startswith(prefix)]
  return reader.get_tensor(key)


def _learner_steps_saved() -> int:
  """The learner's own step count, from its checkpoint."""
  return int(_saved('learner', 'learner/num_learner_steps/'))


def _counts_saved():
  """The shared counter's counts, from its checkpoint."""
  return pickle.loads(_saved('counter', 'counter/'))['counts']


def _actor_steps():
  return [float(r['actor_steps']) for r in run_dirs.read_csv(
      run_dirs.join(RUN_DIR, 'logs', 'actor_0', 'logs.csv'))]


def main(_):
  # Threads stop within the notice on their own; no SIGALRM-driven kill of
  # this process, which must outlive its first launch.
  flags.FLAGS.lp_termination_notice_secs = -1
  teachers = pu.write_teachers('ram://teachers', ['breakout'])
  config = ExperimentConfig(
      agent=KickstartingConfig(batch_size=8, sequence_length=10,
                               num_envs_per_actor=8, max_queue_size=64),
      network_kwargs=dict(hidden_size=32, lstm_size=32), teachers=teachers,
      suite_kwargs=dict(max_episode_steps=60),
      run=RunConfig(max_env_steps=4_000, checkpoint_minutes=0.05,
                    evaluator_period_seconds=2.0,
                    evaluator_episodes_per_task=1,
                    progress_period_seconds=1.0, run_dir=RUN_DIR))
  topology = Topology(num_actors=1, num_dataset_streams=1)
  launching.launch_and_wait(program_lib.make_program(config, topology),
                            'local_mt')
  first = dict(files=sorted(run_dirs.listdir(RUN_DIR)),
               checkpoints=sorted(run_dirs.listdir(
                   run_dirs.join(RUN_DIR, 'checkpoints'))),
               learner_steps=_learner_steps_saved(),
               actor_steps=_actor_steps())
  # The same program again, for 4k more env steps than the first took.
  config = dataclasses.replace(config, run=dataclasses.replace(
      config.run, max_env_steps=int(max(first['actor_steps'])) + 4_000))
  launching.launch_and_wait(program_lib.make_program(config, topology),
                            'local_mt')
  second = dict(learner_steps=_learner_steps_saved(),
                counted_learner_steps=_counts_saved()['learner_steps'],
                actor_steps=_actor_steps()[len(first['actor_steps']):])
  print(json.dumps(dict(first=first, second=second)))


if __name__ == '__main__':
  app.run(main)
