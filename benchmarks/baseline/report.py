"""The baseline search's report: every configuration's final IQM, the chosen
one's curves per game, and its per-game table beside published anchors.

  python -m benchmarks.baseline.report          # from results/baseline/runs
  python -m benchmarks.baseline.report --export_from=runs/baseline

`--export_from` first copies each finished run's small records (DONE.json,
launch.json, final_eval.json and the evaluator's logs.csv) from a search's
run directory into results/baseline/runs/, so that the report is recomputed
from the repository alone. Writes results/baseline/baseline.json (keys
`searched`, `chosen`, `previous`, `budget_env_steps`, `git_commit`),
baseline.md (its tables) and curves.png.
"""

import os
import shutil
from typing import Dict, List

from absl import app
from absl import flags
import numpy as np

from acme_kickstart.analysis import plotting
from acme_kickstart.analysis import statistics
from acme_kickstart.environments import minatar
from acme_kickstart.utils import run_dirs
from benchmarks.baseline import anchors
from benchmarks.baseline import search
from benchmarks.kickstarting import records
from benchmarks.kickstarting import report as kickstarting_report
from configs import minatar5

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
RECORDS = ('DONE.json', 'launch.json', 'final_eval.json',
           os.path.join('logs', 'evaluator', 'logs.csv'))

NORMALISATION = ('100 * (final-evaluation mean return - random) / (teacher - '
                 'random) per game, uncapped; IQM and mean over runs x games, '
                 '95% stratified bootstrap CIs')

flags.DEFINE_string('runs', os.path.join(ROOT, 'results', 'baseline', 'runs'),
                    'Run records: <runs>/<config>/scratch/seed_<s>.')
flags.DEFINE_string('export_from', None,
                    "A search's run directory to copy the records from first.")
flags.DEFINE_string('output', os.path.join(ROOT, 'results', 'baseline'),
                    'Where baseline.json, baseline.md and curves.png go.')
flags.DEFINE_integer('bootstrap_reps', 2000, 'Bootstrap resamples per CI.')
FLAGS = flags.FLAGS  # --budget: search.py's.


def export(source: str, destination: str) -> int:
  """Copies every finished run's records; returns how many runs."""
  copied = 0
  for config in sorted(os.listdir(source)):
    variant_dir = os.path.join(source, config, 'scratch')
    if not os.path.isdir(variant_dir):
      continue
    for seed_dir in sorted(os.listdir(variant_dir)):
      run = os.path.join(variant_dir, seed_dir)
      if not os.path.exists(os.path.join(run, records.DONE)):
        continue
      for name in RECORDS:
        target = os.path.join(destination, config, 'scratch', seed_dir, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copyfile(os.path.join(run, name), target)
      copied += 1
  return copied


def read_config(runs_dir: str, config: str, low, high) -> List[dict]:
  variant_dir = os.path.join(runs_dir, config, 'scratch')
  return [kickstarting_report.read_run(os.path.join(variant_dir, d),
                                       list(minatar.GAMES), low, high,
                                       FLAGS.budget)
          for d in sorted(os.listdir(variant_dir))
          if os.path.exists(os.path.join(variant_dir, d, records.DONE))]


def summarise(runs: Dict[str, List[dict]], low, high) -> dict:
  """baseline.json's content from each configuration's runs."""
  tasks = list(minatar.GAMES)
  commit = records.check_one_commit({f'{c}/seed_{r["seed"]}': r['git_commit']
                                     for c, rs in runs.items() for r in rs})
  settings = search.configurations()
  rows = []
  for config, config_runs in sorted(runs.items()):
    scores = statistics.normalised_scores(
        {t: [r['final_returns'][t] for r in config_runs] for t in tasks},
        low, high, tasks)
    final = statistics.aggregate_estimates(scores, reps=FLAGS.bootstrap_reps)
    rows.append({
        'config': config, 'settings': settings.get(config, []),
        'seeds': [r['seed'] for r in config_runs],
        'iqm': final['iqm']['point'], 'ci': final['iqm']['ci'],
        'mean': final['mean']['point'], 'mean_ci': final['mean']['ci'],
        'returns': {t: float(np.mean([r['final_returns'][t]
                                      for r in config_runs])) for t in tasks},
        'returns_per_seed': {t: [r['final_returns'][t] for r in config_runs]
                             for t in tasks},
        'normalised_per_game': {t: float(np.mean(scores[:, i]))
                                for i, t in enumerate(tasks)},
        'wall_seconds_train': [r['wall_seconds']['train']
                               for r in config_runs]})
  by_name = {row['config']: row for row in rows}
  # Chosen among configurations with every tuning seed the screen ran.
  most_seeds = max(len(row['seeds']) for row in rows)
  chosen = max((row for row in rows if len(row['seeds']) == most_seeds),
               key=lambda row: row['iqm'])
  previous = by_name.get('previous')
  return {
      'budget_env_steps': FLAGS.budget, 'git_commit': commit, 'tasks': tasks,
      'teachers': dict(high), 'random': dict(low),
      'normalisation': NORMALISATION,
      'searched': rows,
      'chosen': {k: chosen[k] for k in ('config', 'settings', 'seeds', 'iqm',
                                        'ci', 'mean', 'mean_ci', 'returns')},
      'previous': None if previous is None else {
          k: previous[k] for k in ('seeds', 'iqm', 'ci', 'mean', 'mean_ci',
                                   'returns')},
      'anchors': anchors.ANCHORS,
      'teacher_budgets': anchors.TEACHER_BUDGETS}


def markdown(summary: dict) -> str:
  tasks = summary['tasks']
  lines = [f'MinAtar-5, {summary["budget_env_steps"]:,} env steps per student '
           f'(one multi-task student, 600k per game), tuning seeds, commit '
           f'`{summary["git_commit"]}`.', '',
           '| configuration | settings | seeds | final IQM [95% CI] | final '
           'mean [95% CI] | ' + ' | '.join(tasks) + ' |',
           '| --- | --- | --- | ---: | ---: |' + ' ---: |' * len(tasks)]
  for row in sorted(summary['searched'], key=lambda r: -r['iqm']):
    settings = ', '.join(s.split('.', 1)[-1] for s in row['settings']) or (
        'as in the headline study')
    lines.append(
        f'| {row["config"]} | {settings} | {len(row["seeds"])} | '
        f'{row["iqm"]:.1f} [{row["ci"][0]:.1f}, {row["ci"][1]:.1f}] | '
        f'{row["mean"]:.1f} [{row["mean_ci"][0]:.1f}, {row["mean_ci"][1]:.1f}]'
        ' | ' + ' | '.join(f'{row["returns"][t]:.2f}' for t in tasks) + ' |')
  return '\n'.join(lines) + '\n'


def plot(runs: Dict[str, List[dict]], summary: dict, output: str) -> str:
  """Per game, the chosen configuration's and previous's evaluator returns
  over env steps (mean over seeds, band: min to max), teacher and random."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  tasks = summary['tasks']
  grid = kickstarting_report.budget_grid(summary['budget_env_steps'])
  fig, axes = plt.subplots(1, len(tasks), figsize=(3.2 * len(tasks), 2.9))
  shown = [(summary['chosen']['config'], 'C0')]
  if summary['previous'] is not None and shown[0][0] != 'previous':
    shown.append(('previous', 'C7'))
  for config, color in shown:
    curves = np.stack([r['curve'] for r in runs[config]])  # Normalised.
    for i, (ax, task) in enumerate(zip(axes, tasks)):
      low, high = summary['random'][task], summary['teachers'][task]
      returns = low + curves[:, i] / 100.0 * (high - low)
      ax.plot(grid, returns.mean(0), color=color, label=config)
      ax.fill_between(grid, returns.min(0), returns.max(0), color=color,
                      alpha=0.2)
  for ax, task in zip(axes, tasks):
    ax.axhline(summary['teachers'][task], color='C3', ls='--', label='teacher')
    ax.axhline(summary['random'][task], color='grey', ls=':', label='random')
    ax.set_title(task)
    plotting.steps_axis(ax)
  axes[0].set_ylabel('evaluation return')
  axes[0].legend(fontsize='small')
  fig.tight_layout()
  return plotting.save_figure(fig, output)


def main(_):
  if FLAGS.export_from:
    print(f'Copied {export(FLAGS.export_from, FLAGS.runs)} runs\' records.')
  high = minatar5.teacher_scores()
  low = {t: minatar.make_suite().random_score(t) for t in minatar.GAMES}
  runs = {config: read_config(FLAGS.runs, config, low, high)
          for config in sorted(os.listdir(FLAGS.runs))}
  runs = {c: r for c, r in runs.items() if r}
  summary = summarise(runs, low, high)
  summary['plots'] = {'curves': os.path.relpath(
      plot(runs, summary, os.path.join(FLAGS.output, 'curves.png')), ROOT)}
  tables = markdown(summary)
  print(tables)
  records.write_json(os.path.join(FLAGS.output, 'baseline.json'), summary)
  with run_dirs.open(os.path.join(FLAGS.output, 'baseline.md'), 'w') as f:
    f.write(tables)


if __name__ == '__main__':
  app.run(main)
