"""A run's learning curve: its evaluator's returns per task over env steps.

The evaluator node writes <run_dir>/logs/evaluator/logs.csv, one row per
round (a fresh episode in every evaluation environment, latest weights). These
helpers read it back, normalise it between random play and reference scores
(e.g. the teachers'), and draw it.
"""

import dataclasses
from typing import Dict, List, Mapping, Optional, Sequence

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
import numpy as np

from acme_kickstart.analysis import plotting
from acme_kickstart.environments import base
from acme_kickstart.utils import run_dirs


@dataclasses.dataclass
class Curve:
  """Evaluator returns per task (arrays aligned with `env_steps`)."""
  env_steps: np.ndarray
  returns: Dict[str, np.ndarray]

  def __len__(self):
    return len(self.env_steps)


def newest_launch_rows(rows: Sequence[Dict[str, str]],
                       key: str = 'actor_steps') -> List[Dict[str, str]]:
  """A log's rows, in file order, with each env-step range from its last launch.

  A relaunched program appends to the same CSV files. Within one launch `key`
  (the shared counter's env steps) never decreases, so a decrease marks a
  relaunch whose counter was restored behind rows already written (a run dir
  written before the counter saved every change). Its rows then cover again a
  range the previous launch had logged: the newest launch's rows are the ones
  that continue into the rest of the run, so a previous launch keeps only its
  rows below the next launch's first. The result is monotone, and no env step
  is counted twice.
  """
  launches = [[]]
  for row in rows:
    if launches[-1] and float(row[key]) < float(launches[-1][-1][key]):
      launches.append([])
    launches[-1].append(row)
  kept, end = [], float('inf')
  for launch in reversed(launches):
    kept = [r for r in launch if float(r[key]) < end] + kept
    end = min(end, float(launch[0][key]))
  return kept


def actor_steps(run_dir: str) -> float:
  """The shared counter's newest env-step count in any actor's log.

  Each actor's log is read as `newest_launch_rows` does: a relaunch that
  restored its counter behind a crash's rows continues from its own count.
  """
  newest = 0.0
  logs = run_dirs.join(run_dir, 'logs')
  for label in run_dirs.listdir(logs) if run_dirs.isdir(logs) else []:
    path = run_dirs.join(logs, label, 'logs.csv')
    # An actor's log directory exists before its first row is written.
    if label.startswith('actor_') and run_dirs.exists(path):
      rows = newest_launch_rows(run_dirs.read_csv(path))
      if rows:
        newest = max(newest, float(rows[-1]['actor_steps']))
  return newest


def evaluator_csv(run_dir: str) -> str:
  return run_dirs.join(run_dir, 'logs', 'evaluator', 'logs.csv')


def read_curve(run_dir: str, tasks: Sequence[str]) -> Curve:
  """Reads <run_dir>/logs/evaluator/logs.csv: one point per round, by env steps.

  Rounds that a relaunch logged again keep their newest launch's values
  (`newest_launch_rows`), so a resumed run's curve is monotone in env steps.
  """
  path = evaluator_csv(run_dir)
  if not run_dirs.exists(path):
    raise FileNotFoundError(
        f'No evaluator log {path}: is {run_dir} the run directory of a '
        'kickstarting program (launch/kickstart.py, launch/demo.py)?')
  rows = run_dirs.read_csv(path)
  missing = [t for t in tasks if rows and f'return/{t}' not in rows[0]]
  if missing:
    raise ValueError(f'{path} has no returns for {", ".join(missing)}.')
  rows = newest_launch_rows(rows)
  return Curve(
      env_steps=np.array([float(r['actor_steps']) for r in rows]),
      returns={t: np.array([float(r[f'return/{t}'] or 'nan') for r in rows])
               for t in tasks})


def normalized_curves(curve: Curve, low: Mapping[str, float],
                      high: Mapping[str, float],
                      cap: Optional[float] = None) -> Dict[str, np.ndarray]:
  """Per task and round, base.normalised_score of the return: 0 at `low`
  (the suite's random scores), 100 at `high` (e.g. the teachers'), at most
  `cap`. A round missing any task's return scores no task, so that the mean
  over tasks never averages a different set of them."""
  missing = np.zeros(len(curve), bool)
  for returns in curve.returns.values():
    missing |= np.isnan(returns)
  out = {}
  for task, returns in curve.returns.items():
    out[task] = base.normalised_score(returns, low[task], high[task], cap,
                                      task)
    out[task][missing] = np.nan
  return out


def mean_normalized_curve(curve: Curve, low: Mapping[str, float],
                          high: Mapping[str, float],
                          cap: Optional[float] = None) -> np.ndarray:
  """The suite's score per round: the mean over tasks of the normalised returns."""
  per_task = normalized_curves(curve, low, high, cap)
  return np.mean(np.stack(list(per_task.values())), axis=0)


def plot_curve(curve: Curve, low: Mapping[str, float],
               high: Mapping[str, float], output: str, title: str = '',
               cap: Optional[float] = None,
               mean_band: Optional[plotting.ReferenceBand] = None) -> str:
  """One panel per task (return, teacher and random levels) + the mean score,
  with `mean_band` (e.g. a study's scratch curve) behind it; `low` and `high`
  as in `normalized_curves`."""
  tasks = list(curve.returns)
  fig, axes = plt.subplots(1, len(tasks) + 1,
                           figsize=(3.0 * (len(tasks) + 1), 2.8))
  for ax, task in zip(axes, tasks):
    ax.plot(curve.env_steps, curve.returns[task], color='C0', label='student')
    ax.axhline(high[task], color='C3', ls='--', label='teacher')
    ax.axhline(low[task], color='grey', ls=':', label='random')
    ax.set_title(task)
    plotting.steps_axis(ax)
  axes[0].set_ylabel('evaluation return')
  axes[0].legend(fontsize='small')
  ax = axes[-1]
  if mean_band is not None:
    plotting.draw_reference_band(ax, mean_band)
  ax.plot(curve.env_steps, mean_normalized_curve(curve, low, high, cap),
          color='C0', label='this run')
  ax.axhline(100.0, color='C3', ls='--')
  if mean_band is not None:
    ax.legend(fontsize='x-small')
  ax.set_title('mean normalised score')
  ax.set_ylabel('% of teacher (0 = random)')
  plotting.steps_axis(ax)
  if title:
    fig.suptitle(title)
  fig.tight_layout()
  return plotting.save_figure(fig, output)


def normalised_curve_on_grid(run_dir: str, tasks: Sequence[str],
                             low: Mapping[str, float],
                             high: Mapping[str, float], grid: np.ndarray,
                             max_env_steps: float) -> np.ndarray:
  """(tasks, points): a run's per-task evaluator returns, normalised between
  `low` (random, 0) and `high` (e.g. the teacher, 100), smoothed over
  neighbouring rounds and interpolated on `grid`. Rounds past 1.05 x
  `max_env_steps` are dropped (a PBT member that finished early trains on
  until the last one does)."""
  from acme_kickstart.analysis import statistics  # pylint: disable=g-import-not-at-top
  curve = read_curve(run_dir, tasks)
  within = curve.env_steps <= 1.05 * max_env_steps
  return np.stack([
      statistics.smoothed_on_grid(
          curve.env_steps[within],
          base.normalised_score(curve.returns[t][within], low[t], high[t],
                                task=t),
          grid) for t in tasks])
