"""The from-scratch baseline's search: the student's RL settings, tuned on
tuning seeds at the headline benchmark's budget.

  python -m benchmarks.baseline.search --stage=screen --seeds=1
  python -m benchmarks.baseline.search --stage=screen --first_seed=1 --seeds=1 \
      --configs=previous,popart,batch_16
  python -m benchmarks.baseline.search --stage=combine --seeds=2
  python -m benchmarks.baseline.search --stage=confirm \
      --configs=popart,previous --first_seed=2 --seeds=3
  python -m benchmarks.baseline.search --stage=kickstarted --seeds=1
  python -m benchmarks.baseline.report --export_from=runs/baseline

Each configuration is a set of overrides of the settings the search started
from: configs/minatar5.py's experiment as it was before the search
(BEFORE_SEARCH undoes what the search chose); each run is one
`benchmarks.kickstarting.run --variants=scratch` run (a Launchpad local_mp
program, 3M env steps, five games, one multi-task student, a final evaluation
of its last checkpoint), in <run_dir>/<config>/scratch/seed_<s>, resumable,
with its commit, machine and overrides in DONE.json. Stage 'kickstarted'
runs the kickstarted students (KICKSTARTED_VARIANTS) with the chosen
settings and the previous ones, in <run_dir>/kickstarted_<config>/<variant>/
seed_<s>.
Seeds are tuning seeds (0-4): never the headline's 100-104 or the demo's
200-204. Runs go seed by seed, so that every configuration has a first seed
before any has a second.

The search is successive halving over the tuning seeds, as the commands
above run it: the screen (today's config and one change at a time) on seed
0; the two best changes and today's config on seed 1; the two best combined
(stage 'combine') on seeds 0 and 1; then the best of those by IQM over both
seeds (CHOICE_SEEDS) is chosen, and it and today's config run on seeds 2-4
(stage 'confirm' is every configuration, for --configs), which chose nothing;
the report (report.py) applies that rule and shows every configuration.
"""

import os
import subprocess
import sys

from absl import app
from absl import flags

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

# Stage 'screen': today's config and one change at a time, each a lever that
# matters for actor-critic sample efficiency on MinAtar
# (results/baseline/README.md).
SCREEN = {
    'previous': [],
    'lr_3e-4': ['agent.learning_rate=3e-4'],
    'lr_3e-3': ['agent.learning_rate=3e-3'],
    'entropy_0.003': ['agent.entropy_cost=0.003'],
    'entropy_0.03': ['agent.entropy_cost=0.03'],
    'batch_16': ['agent.batch_size=16'],
    'unroll_10': ['agent.sequence_length=10'],
    'discount_0.995': ['agent.discount=0.995'],
    # PopArt's statistics at step 3e-3 track within ~300 updates; the paper's
    # 3e-4 needs ~3k, about the ~5k updates of a whole run here.
    'popart': ['agent.popart=True', 'agent.popart_step_size=3e-3'],
    'wide': ['network_kwargs.conv_channels=32',
             'network_kwargs.hidden_size=256',
             'network_kwargs.lstm_size=256'],
}
# The two best single changes of the screen's first seed, together.
COMBINE = {
    'popart_batch_16': SCREEN['popart'] + SCREEN['batch_16'],
}
STAGES = {'screen': SCREEN, 'combine': COMBINE}
STAGES['confirm'] = {**SCREEN, **COMBINE}
TUNING_SEEDS = range(0, 5)
# The choice: the best final IQM over these seeds among the configurations
# that have them all; later seeds only confirm it.
CHOICE_SEEDS = (0, 1)
# configs/minatar5.py now holds the chosen settings; every configuration
# above is a change from the settings before the search.
BEFORE_SEARCH = ['agent.popart=False', 'agent.popart_step_size=3e-4']
# The kickstarted students compared under the chosen and the previous
# settings: constant lambda, and the demo's gated lambda with the replay.
KICKSTARTED_VARIANTS = ('constant', 'gated_replay4')
KICKSTARTED_CONFIGS = ('popart', 'previous')
STAGES['kickstarted'] = {c: SCREEN[c] for c in KICKSTARTED_CONFIGS}

flags.DEFINE_enum('stage', 'screen', list(STAGES), 'Which configurations.')
flags.DEFINE_list('configs', None, 'Only these configurations of the stage.')
flags.DEFINE_integer('first_seed', 0, 'Seeds first_seed, +1, ...')
flags.DEFINE_integer('seeds', 2, 'Seeds per configuration.')
flags.DEFINE_integer('budget', 3_000_000, 'Env steps per student.')
flags.DEFINE_string('run_dir', os.path.join(ROOT, 'runs', 'baseline'),
                    'Where the runs go (one folder per configuration).')
FLAGS = flags.FLAGS


def configurations():
  """Every configuration, by name (a name means one thing in every stage)."""
  merged = {}
  for stage in STAGES.values():
    merged.update(stage)
  return merged


def run_config(name: str, overrides, seed: int, variant: str = 'scratch'):
  """One configuration's run for `seed` (skipped by the benchmark if done)."""
  if seed not in TUNING_SEEDS:
    raise SystemExit(f'Seed {seed} is not a tuning seed ({list(TUNING_SEEDS)}):'
                     ' the search never uses reported seeds.')
  folder = os.path.join(FLAGS.run_dir, name if variant == 'scratch'
                        else f'kickstarted_{name}')
  command = [sys.executable, '-m', 'benchmarks.kickstarting.run',
             f'--variants={variant}', f'--budget={FLAGS.budget}',
             f'--first_seed={seed}', '--seeds=1', f'--run_dir={folder}',
             f'--output={os.path.join(folder, "report")}']
  command += [f'--override={o}' for o in BEFORE_SEARCH + list(overrides)]
  os.makedirs(os.path.join(folder, 'report'), exist_ok=True)
  print(f'== {name} {variant} seed {seed}: '
        f'{" ".join(overrides) or "(as before the search)"}', flush=True)
  subprocess.run(command, check=True, cwd=ROOT,
                 env=dict(os.environ, PYTHONPATH=ROOT))


def main(_):
  stage = STAGES[FLAGS.stage]
  names = FLAGS.configs or list(stage)
  unknown = sorted(set(names) - set(stage))
  if unknown:
    raise SystemExit(f'Unknown configurations {unknown}; stage '
                     f'{FLAGS.stage!r} has {list(stage)}.')
  variants = (KICKSTARTED_VARIANTS if FLAGS.stage == 'kickstarted'
              else ('scratch',))
  for seed in range(FLAGS.first_seed, FLAGS.first_seed + FLAGS.seeds):
    for variant in variants:
      for name in names:
        run_config(name, stage[name], seed, variant)


if __name__ == '__main__':
  app.run(main)
