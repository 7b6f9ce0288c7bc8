"""The MinAtar-5 kickstarting demo: five shipped teachers, one student, local_mp.

  make demo        # = python -m launch.demo --lp_launch_type=local_mp

Launches configs/minatar5.py's program (its `demo` config and its topology) as
processes: a Reverb queue, a counter, the learner, one actor of 128
environments playing all five games (every environment's teacher is the
shipped snapshot in teachers/minatar5/<game>) and an evaluator, for 1M env
steps (--config.run.max_env_steps), with the distillation replay at ratio 4.
It prints progress while the student trains. Then it plays the last learner
checkpoint for --final_episodes episodes per game on fresh seeds (as the
kickstarting benchmark's final evaluation does), prints the table per game
(teacher, student, normalised score) and writes <run_dir>/learning_curve.png
and <run_dir>/results.json. About 7 minutes on 2 CPU cores.
"""

import json
import os
import threading
import time

# First: it turns TF's oneDNN kernels on (acme_kickstart/__init__.py), which
# counts only before anything loads TF's library, as launchpad does.
import acme_kickstart  # pylint: disable=unused-import

from absl import app
from absl import flags
import launchpad  # pylint: disable=unused-import  # Defines --lp_launch_type.
from ml_collections import config_flags
import numpy as np

from acme_kickstart.analysis import curves
from acme_kickstart.analysis import plotting
from acme_kickstart.experiments import evaluation
from acme_kickstart.experiments import factories
from acme_kickstart.experiments import launching
from acme_kickstart.experiments import program as program_lib
from acme_kickstart.utils import provenance
from acme_kickstart.utils import run_dirs
from acme_kickstart.utils import seeding

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_DEFAULT = os.path.join(_REPO, 'configs', 'minatar5.py')
_CONFIG = config_flags.DEFINE_config_file(
    'config', _DEFAULT + ':demo', 'Config file (and part) whose get_config() '
    'is the demo\'s ExperimentConfig; e.g. --config.run.max_env_steps=1000000.')
config_flags.DEFINE_config_file(
    'topology', _DEFAULT + ':topology', "The layout; default: the --config "
    "file's get_config('topology').")
flags.DEFINE_integer('final_episodes', 30, 'Episodes per game of the final '
                     "evaluation of the last checkpoint: the table's student "
                     'column.')
flags.DEFINE_boolean('resume', False, 'Continue the run in run_dir instead of '
                     'moving it aside and starting afresh.')
flags.DEFINE_float('progress_seconds', 15.0, 'Seconds between progress lines.')
FLAGS = flags.FLAGS


# The headline study's report: its scratch students' curve is drawn behind the
# demo's, so the gap kickstarting buys shows without running scratch.
_STUDY = os.path.join(_REPO, 'results', 'kickstarting', 'kickstarting.json')


def _scratch_band(config):
  """The study's scratch mean curve, when the demo plays the study's games."""
  try:
    band = plotting.read_reference_band(
        _STUDY, 'scratch', 'mean', max_env_steps=config.run.max_env_steps)
  except (FileNotFoundError, KeyError) as e:
    print(f'No scratch reference in the plot: {e}')
    return None
  same_games = list(band.tasks) == list(config.tasks)
  return band if same_games and len(band.env_steps) else None


def _last_row(path: str) -> dict:
  if not run_dirs.exists(path):
    return {}
  with run_dirs.open(path) as f:
    lines = f.read().splitlines()
  if len(lines) < 2:
    return {}
  return dict(zip(lines[0].split(','), lines[-1].split(',')))


def _progress_line(config, start: float) -> str:
  actor = _last_row(
      run_dirs.join(config.run.run_dir, 'logs', 'actor_0', 'logs.csv'))
  evaluator_row = _last_row(curves.evaluator_csv(config.run.run_dir))
  steps = float(actor.get('actor_steps', 0) or 0)
  line = (f'[demo {time.time() - start:5.0f}s] {steps:>10,.0f} / '
          f'{config.run.max_env_steps:,} env steps')
  if evaluator_row:
    returns = {t: float(evaluator_row.get(f'return/{t}', 'nan') or 'nan')
               for t in config.tasks}
    line += ' | evaluation return ' + ' '.join(
        f'{t} {r:.1f}' for t, r in returns.items())
    if not any(np.isnan(list(returns.values()))):
      score = factories.make_suite(config).score(returns,
                                                 config.reference_scores)
      line += f' | mean normalised {score:.0f}%'
  return line


def _print_progress(config, stop: threading.Event):
  start = time.time()
  while not stop.wait(FLAGS.progress_seconds):
    print(_progress_line(config, start), flush=True)


def _final_evaluation(config) -> dict:
  """The last checkpoint's returns on fresh seeds: the table is then taken at
  the run's end in env steps, however fast the program ran (the evaluator's
  rounds are paced in seconds)."""
  return evaluation.evaluate_checkpoint(
      config, FLAGS.final_episodes,
      seed=config.seed + seeding.FINAL_EVALUATION_SEED_OFFSET)


def _table(config, final: dict):
  suite = factories.make_suite(config)
  student = {t: float(np.mean(final['returns'][t])) for t in config.tasks}
  normalised = suite.task_scores(student, config.reference_scores)
  lines = [f'{"game":<16}{"random":>8}{"teacher":>9}{"student":>9}'
           f'{"normalised":>12}']
  for task in config.tasks:
    lines.append(f'{task:<16}{suite.random_score(task):>8.2f}'
                 f'{config.reference_scores[task]:>9.2f}{student[task]:>9.2f}'
                 f'{normalised[suite.scoring_task(task)]:>11.0f}%')
  lines.append(f'{"mean":<42}{np.mean(list(normalised.values())):>11.0f}%')
  return '\n'.join(lines), student, normalised


def main(_):
  config = _CONFIG.value.validate()
  run = config.run
  run.run_dir = run_dirs.resolve(run.run_dir)
  if run_dirs.exists(run.run_dir) and not FLAGS.resume:
    if run_dirs.is_remote(run.run_dir):
      raise SystemExit(f'{run.run_dir} exists: pass --resume to continue '
                       'it, or another --config.run.run_dir.')
    aside = f'{run.run_dir}.{time.strftime("%Y%m%d-%H%M%S")}'
    os.rename(run.run_dir, aside)
    print(f'Moved the previous demo run to {aside} (--resume continues it).')
  missing = [t for t in config.tasks if t not in config.reference_scores]
  if missing:
    raise SystemExit(f'No teacher score for {", ".join(missing)}: the shipped '
                     'teachers/minatar5/<game>/teacher.json are missing; '
                     'restore them (git checkout teachers) or `make teachers`.')
  topology = launching.topology_from_flags()
  program = program_lib.make_program(config, topology)
  print(f'Kickstarting one student on {", ".join(config.tasks)} from the '
        f'shipped teachers: {topology.num_actors} actors x '
        f'{config.agent.num_envs_per_actor} envs, {run.max_env_steps:,} env '
        f'steps, lambda schedule {config.agent.distillation_schedule.name}. '
        f'Run dir {run.run_dir}.')
  stop = threading.Event()
  threading.Thread(target=_print_progress, args=(config, stop),
                   daemon=True).start()
  launching.launch_and_wait(
      program, FLAGS.lp_launch_type,
      local_resources=launching.make_local_resources(topology),
      terminal='output_to_files')
  stop.set()

  curve = curves.read_curve(run.run_dir, config.tasks)
  final = _final_evaluation(config)
  table, student, normalised = _table(config, final)
  suite = factories.make_suite(config)
  png = curves.plot_curve(
      curve, {t: suite.random_score(t) for t in config.tasks},
      config.reference_scores,
      run_dirs.join(run.run_dir, 'learning_curve.png'),
      title='Kickstarted MinAtar-5 student (evaluation returns)',
      mean_band=_scratch_band(config))
  print(f'\nAfter {final["learner_env_steps"]:,} env steps trained on '
        f'(student: the last checkpoint, {FLAGS.final_episodes} episodes per '
        'game on fresh seeds; normalised: 0% = random, 100% = teacher):')
  print(table)
  print(f'Learning curve: {png}')
  try:
    print('lambda_k over env steps: '
          f'{plotting.plot_learner_lambdas(run.run_dir)}')
  except (FileNotFoundError, ValueError) as e:  # No learner row was logged.
    print(f'No lambda_k plot: {e}')
  with run_dirs.open(run_dirs.join(run.run_dir, 'results.json'), 'w') as f:
    json.dump({'git_commit': provenance.git_commit(_REPO),
               'env_steps': float(curve.env_steps[-1]),
               'teacher': config.reference_scores, 'student': student,
               'normalised': normalised, 'final_evaluation': final,
               'curve': {'env_steps': curve.env_steps.tolist(),
                         'returns': {t: v.tolist()
                                     for t, v in curve.returns.items()}}},
              f, indent=1)


if __name__ == '__main__':
  app.run(main)
