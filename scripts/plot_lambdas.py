"""Effective lambda_k against env steps for any run (learner CSV): PNG + CSV.

  python scripts/plot_lambdas.py RUN_DIR [--output=DIR] [--title=...]

Writes <output>/lambdas.png and <output>/lambdas.csv (the learner's lambda_k,
gate_k and s_k per task, thinned to at most 400 rows); output defaults to
RUN_DIR.
"""

import os

from absl import app
from absl import flags

from acme_kickstart.analysis import plotting

flags.DEFINE_string('output', None, 'Directory of the PNG and CSV.')
flags.DEFINE_string('title', None, 'Title of the figure.')
FLAGS = flags.FLAGS


def main(argv):
  if len(argv) != 2:
    raise app.UsageError('Give one run directory.')
  run_dir = argv[1]
  output = FLAGS.output or run_dir
  os.makedirs(output, exist_ok=True)
  png = plotting.plot_learner_lambdas(
      run_dir, os.path.join(output, 'lambdas.png'), title=FLAGS.title)
  table = plotting.write_learner_lambdas_csv(
      run_dir, os.path.join(output, 'lambdas.csv'))
  print(png)
  print(table)


if __name__ == '__main__':
  app.run(main)
