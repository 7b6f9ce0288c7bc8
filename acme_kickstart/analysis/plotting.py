"""Plots of lambda_k over env steps (any run's learner CSV, or a PBT
population), of curves with CIs, and what they share: axes, saving, a
study's reference band."""

import csv
import dataclasses
import json
import os
from typing import Dict, List, Optional

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
import matplotlib.ticker  # pylint: disable=g-import-not-at-top
import numpy as np

from acme_kickstart.utils import run_dirs  # pylint: disable=g-import-not-at-top


def steps_axis(ax):
  """Env steps on the x axis, as 250k / 1.5M."""
  def label(x, _):
    if abs(x) >= 1e6:
      return f'{x / 1e6:g}M'
    return f'{x / 1e3:g}k' if x else '0'
  ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(label))
  ax.set_xlabel('env steps')


def save_figure(fig, output: str) -> str:
  """Writes `fig` as a PNG to `output` (local or gs://) and closes it."""
  output = run_dirs.resolve(output)
  run_dirs.makedirs(os.path.dirname(output))
  with run_dirs.open(output, 'wb') as f:
    fig.savefig(f, format='png', dpi=100)
  plt.close(fig)
  return output


@dataclasses.dataclass(frozen=True)
class ReferenceBand:
  """A study's aggregate curve with its CI, to draw behind a single run."""
  env_steps: np.ndarray
  point: np.ndarray
  ci_low: np.ndarray
  ci_high: np.ndarray
  label: str
  tasks: tuple = ()  # The study's tasks, in its order.


def read_reference_band(study_json: str, variant: str = 'scratch',
                        metric: str = 'mean',
                        max_env_steps: Optional[float] = None
                        ) -> ReferenceBand:
  """`variant`'s `metric` curve from a benchmark report (kickstarting.json),
  up to `max_env_steps`, labelled with its seeds and commit: so a demo shows
  what training from scratch reaches at the same env steps without running
  it."""
  with run_dirs.open(study_json) as f:
    report = json.load(f)
  steps = np.asarray(report['grid_env_steps'], float)
  curve = report['variants'][variant]['curve'][metric]
  keep = (steps <= max_env_steps * 1.0001 if max_env_steps is not None
          else np.ones_like(steps, bool))
  # The variant's own seeds: an unfinished study has fewer for some variants.
  seeds = {r['seed'] for r in report['variants'][variant].get('runs', ())}
  label = (f"{variant}, {len(seeds or report['seeds'])} seeds, 95% CI "
           f"({report['git_commit'][:7]})")
  return ReferenceBand(steps[keep], *(np.asarray(curve[k], float)[keep]
                                      for k in ('point', 'ci_low', 'ci_high')),
                       label=label, tasks=tuple(report['tasks']))


def draw_reference_band(ax, band: ReferenceBand):
  ax.fill_between(band.env_steps, band.ci_low, band.ci_high, color='grey',
                  alpha=0.25, lw=0)
  ax.plot(band.env_steps, band.point, color='grey', lw=1, label=band.label)


def read_hyperparameters(pbt_dir: str) -> List[Dict[str, str]]:
  path = run_dirs.join(pbt_dir, 'hyperparameters.csv')
  if not run_dirs.exists(path):
    raise FileNotFoundError(
        f'No {path}: pass the run directory of a PBT run (launch/pbt.py), '
        'whose controller writes pbt/hyperparameters.csv.')
  return run_dirs.read_csv(path)


def plot_lambdas(run_dir: str, output: str = None) -> str:
  """Draws lambda_k (one panel per task) against env steps, a line per member."""
  pbt_dir = run_dirs.join(run_dir, 'pbt')
  rows = read_hyperparameters(pbt_dir)
  tasks = [k.split('/', 1)[1] for k in rows[0] if k.startswith('lambda/')]
  members = sorted({int(r['member']) for r in rows})
  fig, axes = plt.subplots(1, len(tasks), figsize=(3.2 * len(tasks), 3),
                           sharey=True, squeeze=False)
  for ax, task in zip(axes[0], tasks):
    for member in members:
      mine = [r for r in rows if int(r['member']) == member]
      ax.plot([float(r['env_steps']) for r in mine],
              [float(r[f'lambda/{task}']) for r in mine],
              drawstyle='steps-post', label=f'member {member}')
    ax.set_title(task)
    steps_axis(ax)
  axes[0][0].set_ylabel('distillation weight λ')
  axes[0][-1].legend(fontsize='small')
  fig.tight_layout()
  return save_figure(fig, output or run_dirs.join(pbt_dir, 'lambdas.png'))


def read_learner_lambdas(run_dir: str, max_rows: int = 400) -> List[Dict]:
  """The learner's effective lambda_k (and gate_k, s_k where logged) against
  its real env steps, from <run_dir>/logs/learner/logs.csv, thinned to at
  most `max_rows` evenly spaced rows (the last one kept)."""
  path = run_dirs.join(run_dir, 'logs', 'learner', 'logs.csv')
  if not run_dirs.exists(path):
    raise FileNotFoundError(
        f'No {path}: pass the run directory of a kickstarting run '
        '(launch/kickstart.py, launch/demo.py or a PBT member_<i>).')
  rows = run_dirs.read_csv(path)
  if not rows or not any(k.startswith('lambda/') for k in rows[0]):
    raise ValueError(f'{path} has no lambda/<task> columns.')
  if len(rows) > max_rows:
    stride = -(-len(rows) // max_rows)
    rows = rows[::stride] + ([rows[-1]] if (len(rows) - 1) % stride else [])
  keep = [k for k in rows[0] if k == 'learner_env_steps' or
          k.split('/', 1)[0] in ('lambda', 'gate', 'score')]
  return [{k: float(r[k]) for k in keep if r.get(k) not in (None, '')}
          for r in rows]


def write_learner_lambdas_csv(run_dir: str, output: str) -> str:
  """The thinned rows of read_learner_lambdas as a small CSV."""
  rows = read_learner_lambdas(run_dir)
  with run_dirs.open(output, 'w') as f:
    writer = csv.DictWriter(f, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
  return output


def plot_learner_lambdas(run_dir: str, output: str = None,
                         title: str = None) -> str:
  """Effective lambda_k against env steps for any run, a panel per task; the
  teacher-normalised score s_k (and the gate, if gated) on a second row."""
  rows = read_learner_lambdas(run_dir)
  tasks = [k.split('/', 1)[1] for k in rows[0] if k.startswith('lambda/')]
  has_scores = any(f'score/{t}' in rows[0] for t in tasks)
  fig, axes = plt.subplots(2 if has_scores else 1, len(tasks),
                           figsize=(3.2 * len(tasks), 5.5 if has_scores else 3),
                           sharex=True, squeeze=False)
  steps = [r['learner_env_steps'] for r in rows]
  for k, task in enumerate(tasks):
    ax = axes[0][k]
    ax.plot(steps, [r[f'lambda/{task}'] for r in rows], label='effective λ')
    ax.set_title(task)
    if has_scores:
      low = axes[1][k]
      low.plot(steps, [r.get(f'score/{task}', float('nan')) for r in rows],
               label='s_k / s_k^T', color='tab:green')
      if f'gate/{task}' in rows[0]:
        low.plot(steps, [r[f'gate/{task}'] for r in rows], label='gate',
                 color='tab:red')
      low.axhline(1.0, color='grey', lw=0.8, ls='--')
      steps_axis(low)
    else:
      steps_axis(ax)
  axes[0][0].set_ylabel('distillation weight λ')
  if has_scores:
    axes[1][0].set_ylabel("student / teacher score")
    axes[1][-1].legend(fontsize='small')
  if title:
    fig.suptitle(title)
  fig.tight_layout()
  return save_figure(fig, output or run_dirs.join(run_dir, 'lambdas.png'))


# ------------------------------------------------- benchmark plots (rliable)
def plot_curves_with_ci(report: dict, output: str, metric: str = 'iqm') -> str:
  """Each variant's aggregate (IQM or mean over runs x games) normalised score
  against env steps, with its 95% bootstrap band (a report of
  benchmarks/kickstarting/report.py)."""
  fig, ax = plt.subplots(figsize=(6.5, 4))
  grid = report['grid_env_steps']
  for i, (name, variant) in enumerate(report['variants'].items()):
    curve = variant['curve'][metric]
    ax.plot(grid, curve['point'], color=f'C{i}',
            label=f'{name} ({len(variant["runs"])} runs)')
    ax.fill_between(grid, curve['ci_low'], curve['ci_high'], color=f'C{i}',
                    alpha=0.2)
    if 'curve_env_steps_population' in variant:  # PBT: what the population
      ax.plot(variant['curve_env_steps_population'], curve['point'],  # took.
              color=f'C{i}', ls=':', label=f"{name} on its population's "
              'env steps')
  ax.axhline(100.0, color='k', ls='--', lw=0.8, label='teachers')
  steps_axis(ax)
  ax.set_ylabel(f'{metric.upper()} normalised score (%)')
  ax.set_title(f'{metric.upper()} over runs x games, 95% CI')
  ax.legend(fontsize='small')
  fig.tight_layout()
  return save_figure(fig, output)


def plot_performance_profiles(report: dict, output: str) -> str:
  """Fraction of (run, game) final scores above tau, per variant, with CIs."""
  fig, ax = plt.subplots(figsize=(6, 4))
  for i, (name, profile) in enumerate(report['performance_profiles'].items()):
    ax.plot(profile['taus'], profile['fraction'], color=f'C{i}', label=name)
    ax.fill_between(profile['taus'], profile['ci_low'], profile['ci_high'],
                    color=f'C{i}', alpha=0.2)
  ax.axvline(100.0, color='k', ls='--', lw=0.8)
  ax.set_xlabel('normalised score τ (100 = teacher)')
  ax.set_ylabel('fraction of runs x games with score > τ')
  ax.set_title('Performance profiles (final evaluation)')
  ax.legend(fontsize='small')
  fig.tight_layout()
  return save_figure(fig, output)


def plot_probability_of_improvement(report: dict, output: str) -> str:
  """P(variant > baseline) with its 95% CI, one bar per pair."""
  pairs = [(f'{name} > {base}', p)
           for name, variant in report['variants'].items()
           for base, p in variant['improvement_over'].items()]
  fig, ax = plt.subplots(figsize=(6, 0.4 * len(pairs) + 1.2))
  for row, (label, p) in enumerate(pairs):
    ax.errorbar([p['p']], [row], xerr=[[p['p'] - p['ci'][0]],
                                       [p['ci'][1] - p['p']]],
                fmt='o', color='C0', capsize=4)
  ax.set_yticks(range(len(pairs)))
  ax.set_yticklabels([label for label, _ in pairs])
  ax.axvline(0.5, color='grey', ls='--', lw=0.8)
  ax.set_xlim(-0.03, 1.03)
  ax.set_xlabel('probability of improvement (95% CI)')
  fig.tight_layout()
  return save_figure(fig, output)
