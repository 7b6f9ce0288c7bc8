"""Exports a trained student as a teacher for other students.

  python -m launch.export_student --config=configs/minatar5.py \
      --config.network_kwargs.conv_channels=8 --run_dir=runs/small/scratch/seed_0 \
      --output=teachers/minatar5_small

--config must build the run's network (the same config and overrides the run
was launched with). The snapshot and teacher.json (per-task evaluation
returns: the run's final_eval.json if it has one, else 30 fresh episodes per
task) go to --output; `--teacher=TASK:<output>` or a config's `teachers` then
use it for any task it was trained on.
"""

import json
import os
import sys

# First: it turns TF's oneDNN kernels on (acme_kickstart/__init__.py), which
# counts only before anything loads TF's library, as launchpad does.
import acme_kickstart  # pylint: disable=unused-import

from absl import app
from absl import flags
from ml_collections import config_flags

from acme_kickstart.experiments import student_export
from acme_kickstart.utils import provenance

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_CONFIG = config_flags.DEFINE_config_file(
    'config', os.path.join(ROOT, 'configs', 'minatar5.py'),
    'The experiment the run was launched with (its network).')
flags.DEFINE_string('run_dir', None, 'The run (its checkpoints/learner).')
flags.DEFINE_string('output', None, 'Where the snapshot and teacher.json go.')
flags.mark_flags_as_required(['run_dir', 'output'])
FLAGS = flags.FLAGS


def main(_):
  experiment = _CONFIG.value
  final_eval = os.path.join(FLAGS.run_dir, 'final_eval.json')
  final_returns = None
  if os.path.exists(final_eval):
    with open(final_eval) as f:
      final_returns = json.load(f)['returns']
  # The commit that trained the run (a benchmark run's launch.json), beside
  # the one that exported it.
  launch = os.path.join(FLAGS.run_dir, 'launch.json')
  trained_at = {}
  if os.path.exists(launch):
    with open(launch) as f:
      trained_at = {'run_git_commit': json.load(f)['git_commit']}
  record = student_export.export_student(
      experiment, FLAGS.run_dir, FLAGS.output, final_returns,
      command=' '.join(['python -m launch.export_student'] + sys.argv[1:]),
      git_commit=provenance.git_commit(ROOT), **trained_at)
  print(f'{FLAGS.output}: {record["env_steps"]} env steps; evaluation '
        'returns ' + ', '.join(f'{t} {r:.2f}'
                               for t, r in record['task_returns'].items()))


if __name__ == '__main__':
  app.run(main)
