"""Plots of PBT runs: each member's lambda_k over env steps (paper, Fig. 4)."""

import os
from typing import Dict, List

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
import matplotlib.ticker  # pylint: disable=g-import-not-at-top

from acme_kickstart import run_dirs  # pylint: disable=g-import-not-at-top


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
