"""The baseline search's report: every configuration's final IQM, the chosen
one's curves per game, and its per-game table beside published anchors.

  python -m benchmarks.baseline.report          # from results/baseline/runs
  python -m benchmarks.baseline.report --export_from=runs/baseline

`--export_from` first copies each finished run's small records (DONE.json,
launch.json, final_eval.json and the evaluator's logs.csv) from a search's
run directory into results/baseline/runs/, so that the report is recomputed
from the repository alone. Writes results/baseline/baseline.json (keys
`searched`, `chosen`, `previous`, `confirmation`, `kickstarted`,
`budget_env_steps`, `git_commit`), baseline.md (its tables) and curves.png.
The choice is search.py's rule (the best IQM on search.CHOICE_SEEDS); the
confirmation compares the chosen and the previous settings on the seeds that
chose nothing.
"""

import os
from typing import Dict, List

from absl import app
from absl import flags
import numpy as np

from acme_kickstart.analysis import plotting
from acme_kickstart.analysis import statistics
from acme_kickstart.environments import minatar
from acme_kickstart.utils import run_dirs
from benchmarks.baseline import anchors
from benchmarks.baseline import markdown
from benchmarks.baseline import search
from benchmarks.kickstarting import records
from benchmarks.kickstarting import report as kickstarting_report
from configs import minatar5

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
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


def read_runs(variant_dir: str, low, high) -> List[dict]:
  if not os.path.isdir(variant_dir):
    return []
  return [kickstarting_report.read_run(os.path.join(variant_dir, d),
                                       list(minatar.GAMES), low, high,
                                       FLAGS.budget)
          for d in sorted(os.listdir(variant_dir))
          if os.path.exists(os.path.join(variant_dir, d, records.DONE))]


def _scores(runs: List[dict], low, high) -> np.ndarray:
  """Runs x games, normalised by the teachers (the headline report's)."""
  return kickstarting_report.final_scores(runs, list(minatar.GAMES), low, high)


def _estimates(runs: List[dict], low, high) -> dict:
  """IQM and mean with CIs, and mean returns per game, of `runs`."""
  tasks = list(minatar.GAMES)
  scores = _scores(runs, low, high)
  final = statistics.aggregate_estimates(scores, reps=FLAGS.bootstrap_reps)
  return {
      'seeds': [r['seed'] for r in runs],
      'iqm': final['iqm']['point'], 'ci': final['iqm']['ci'],
      'mean': final['mean']['point'], 'mean_ci': final['mean']['ci'],
      'returns': {t: float(np.mean([r['final_returns'][t] for r in runs]))
                  for t in tasks},
      'normalised_per_game': {t: float(np.mean(scores[:, i]))
                              for i, t in enumerate(tasks)}}


def _on_seeds(runs: List[dict], seeds) -> List[dict]:
  return [r for r in runs if r['seed'] in seeds]


def compare(runs_x: List[dict], runs_y: List[dict], low, high) -> dict:
  """X against Y: each one's estimates, IQM ratio, whether the IQM CIs are
  apart, and P(X > Y)."""
  x, y = _estimates(runs_x, low, high), _estimates(runs_y, low, high)
  improvement = statistics.probability_of_improvement(
      _scores(runs_x, low, high), _scores(runs_y, low, high),
      reps=FLAGS.bootstrap_reps)
  # One run a side resamples to itself: its CI has no width to compare.
  cis_apart = (bool(x['ci'][0] > y['ci'][1] or y['ci'][0] > x['ci'][1])
               if min(len(runs_x), len(runs_y)) > 1 else None)
  return {'x': x, 'y': y,
          'iqm_ratio': x['iqm'] / y['iqm'] if y['iqm'] > 0 else None,
          'cis_apart': cis_apart, 'probability_of_improvement': improvement}


def summarise(runs: Dict[str, List[dict]],
              kickstarted: Dict[str, Dict[str, List[dict]]], low, high) -> dict:
  """baseline.json's content from each configuration's scratch runs and the
  kickstarted students' runs ({config: {variant: runs}})."""
  tasks = list(minatar.GAMES)
  commit = records.check_one_commit(
      {f'{c}/seed_{r["seed"]}': r['git_commit'] for c, rs in runs.items()
       for r in rs} |
      {f'kickstarted_{c}/{v}/seed_{r["seed"]}': r['git_commit']
       for c, vs in kickstarted.items() for v, rs in vs.items() for r in rs})
  settings = search.configurations()
  rows = [{'config': config, 'settings': settings.get(config, []),
           **_estimates(config_runs, low, high),
           'returns_per_seed': {t: [r['final_returns'][t] for r in config_runs]
                                for t in tasks},
           'wall_seconds_train': [r['wall_seconds']['train']
                                  for r in config_runs]}
          for config, config_runs in sorted(runs.items())]
  # search.py's rule: the best IQM on the choice seeds, among the
  # configurations that have them all.
  choice = {config: _estimates(_on_seeds(config_runs, search.CHOICE_SEEDS),
                               low, high)
            for config, config_runs in runs.items()
            if set(search.CHOICE_SEEDS) <= {r['seed'] for r in config_runs}}
  by_name = {row['config']: row for row in rows}
  keys = ('seeds', 'iqm', 'ci', 'mean', 'mean_ci', 'returns')
  chosen = None  # Until a configuration has every choice seed.
  if choice:
    chosen_name = max(choice, key=lambda c: choice[c]['iqm'])
    chosen = {'config': chosen_name, 'settings': settings.get(chosen_name, []),
              **{k: by_name[chosen_name][k] for k in keys},
              'on_choice_seeds': choice[chosen_name]}
  every_run = [r for rs in runs.values() for r in rs] + [
      r for vs in kickstarted.values() for rs in vs.values() for r in rs]
  summary = {
      'budget_env_steps': FLAGS.budget, 'git_commit': commit, 'tasks': tasks,
      'compute': {
          'runs': len(every_run),
          'env_steps': float(sum(r['env_steps_population'] for r in every_run)),
          'hours': sum(sum(r['wall_seconds'].values())
                       for r in every_run) / 3600},
      'teachers': dict(high), 'random': dict(low),
      'normalisation': NORMALISATION, 'searched': rows,
      'choice_seeds': list(search.CHOICE_SEEDS), 'chosen': chosen,
      'previous': None, 'confirmation': None, 'kickstarted': [],
      'anchors': anchors.ANCHORS,
      'teacher_budgets': anchors.TEACHER_BUDGETS}
  if 'previous' in runs:
    summary['previous'] = {k: by_name['previous'][k] for k in keys}
  if 'previous' in runs and chosen and chosen['config'] != 'previous':
    chosen_name = chosen['config']
    # The seeds that chose nothing, where both have a run.
    seeds = sorted(({r['seed'] for r in runs[chosen_name]} &
                    {r['seed'] for r in runs['previous']}) -
                   set(search.CHOICE_SEEDS))
    if seeds:
      summary['confirmation'] = {
          'seeds': seeds,
          **compare(_on_seeds(runs[chosen_name], seeds),
                    _on_seeds(runs['previous'], seeds), low, high)}
  for variant in search.KICKSTARTED_VARIANTS:
    for config in search.KICKSTARTED_CONFIGS:
      config_runs = kickstarted.get(config, {}).get(variant, [])
      if config_runs:
        summary['kickstarted'].append({'variant': variant, 'config': config,
                                       **_estimates(config_runs, low, high)})
  return summary


def plot(runs: Dict[str, List[dict]], summary: dict, output: str) -> str:
  """Per game, the chosen configuration's and previous's evaluator returns
  over env steps (mean over seeds, band: min to max), teacher and random."""
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  tasks = summary['tasks']
  grid = kickstarting_report.budget_grid(summary['budget_env_steps'])
  fig, axes = plt.subplots(1, len(tasks), figsize=(3.2 * len(tasks), 2.9))
  shown = [] if summary['chosen'] is None else [
      (summary['chosen']['config'], 'C0')]
  if summary['previous'] is not None and 'previous' not in dict(shown):
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
    copied = records.export_runs(FLAGS.export_from, FLAGS.runs)
    print(f'Copied {copied} runs\' records.')
  high = minatar5.teacher_scores()
  low = {t: minatar.make_suite().random_score(t) for t in minatar.GAMES}
  configs = sorted(os.listdir(FLAGS.runs))
  runs = {c: read_runs(os.path.join(FLAGS.runs, c, 'scratch'), low, high)
          for c in configs if not c.startswith('kickstarted_')}
  runs = {c: r for c, r in runs.items() if r}
  kickstarted = {
      c: {v: read_runs(os.path.join(FLAGS.runs, f'kickstarted_{c}', v), low,
                       high) for v in search.KICKSTARTED_VARIANTS}
      for c in search.KICKSTARTED_CONFIGS}
  summary = summarise(runs, kickstarted, low, high)
  summary['plots'] = {'curves': os.path.relpath(
      plot(runs, summary, os.path.join(FLAGS.output, 'curves.png')), ROOT)}
  tables = markdown.markdown(summary)
  print(tables)
  records.write_json(os.path.join(FLAGS.output, 'baseline.json'), summary)
  with run_dirs.open(os.path.join(FLAGS.output, 'baseline.md'), 'w') as f:
    f.write(tables)


if __name__ == '__main__':
  app.run(main)
