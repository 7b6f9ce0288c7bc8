"""A benchmark run's records, beside its program's logs and checkpoints.

launch.json holds the commit that started the run (and its training time per
launch), final_eval.json its final evaluation, and DONE.json, written last,
marks it finished. A run is never resumed on another commit, and a report
never mixes commits.
"""

import json
import os
import shutil
from typing import Dict, Iterable, List, Mapping, Optional

from acme_kickstart.analysis import curves
from acme_kickstart.utils import provenance
from acme_kickstart.utils import run_dirs

LAUNCH, FINAL_EVAL, DONE = 'launch.json', 'final_eval.json', 'DONE.json'
PBT_CSV = os.path.join('pbt', 'hyperparameters.csv')


def write_json(path: str, value) -> str:
  """Writes `value` as JSON through a temporary file: a reader (or a resumed
  benchmark) never sees half a file."""
  run_dirs.makedirs(os.path.dirname(path))
  with run_dirs.open(path + '.tmp', 'w') as f:
    json.dump(value, f, indent=1)
  run_dirs.replace(path + '.tmp', path)
  return path


def read_json(path: str):
  with run_dirs.open(path) as f:
    return json.load(f)


def finished(run_dir: str) -> bool:
  """Whether the run wrote DONE.json, its last record."""
  return run_dirs.exists(run_dirs.join(run_dir, DONE))


def check_launch_commit(run_dir: str, commit: str):
  """Records the commit that starts a run; refuses to resume it on another.

  A run resumed on other code would mix two commits in one curve.
  """
  path = run_dirs.join(run_dir, LAUNCH)
  if not run_dirs.exists(path):
    write_json(path, {'git_commit': commit,
                      'machine': provenance.machine()})
    return
  started = read_json(path)['git_commit']
  if started != commit:
    raise RuntimeError(
        f'{run_dir} was started at commit {started} and this is {commit}: '
        'resuming it would mix two commits in one run. Check out '
        f'{started} to finish it, or delete {run_dir} to start it afresh.')


def add_train_seconds(run_dir: str, seconds: float) -> float:
  """Adds one launch's training time to launch.json; returns the run's total
  so far (a resumed run's launches add up)."""
  path = run_dirs.join(run_dir, LAUNCH)
  record = read_json(path)
  record['train_seconds'] = record.get('train_seconds', []) + [
      round(seconds, 1)]
  write_json(path, record)
  return float(sum(record['train_seconds']))


def total_wall_seconds(finished_run_dirs: Iterable[str]) -> float:
  """Training and final-evaluation seconds of these finished runs, from their
  DONE.json: what a whole study cost, both experiments."""
  return round(sum(
      sum(read_json(run_dirs.join(run_dir, DONE))['wall_seconds'].values())
      for run_dir in finished_run_dirs), 1)


def check_one_commit(commits: Mapping[str, str]) -> Optional[str]:
  """The one commit of all runs (run name -> commit); an error naming the
  runs of each commit if they differ: one table never mixes commits."""
  by_commit: Dict[str, List[str]] = {}
  for run, commit in sorted(commits.items()):
    by_commit.setdefault(commit, []).append(run)
  if len(by_commit) > 1:
    listing = '; '.join(f'{c}: {", ".join(r)}' for c, r in by_commit.items())
    raise ValueError(
        f'The runs come from several commits ({listing}): one table never '
        'mixes commits. Re-run the stale ones (delete their run directories) '
        'or aggregate each commit from its own run directory.')
  return next(iter(by_commit), None)


def export_run(run_dir: str, destination: str):
  """Copies what a report reads of one finished run (its launch record, final
  evaluation, DONE.json, the reported member's evaluator curve and PBT's
  hyperparameters), kilobytes where the run holds checkpoints, so that the
  report is recomputed from the repository alone."""
  member_dir = read_json(os.path.join(run_dir, FINAL_EVAL)).get(
      'member_dir', '.')
  names = [LAUNCH, FINAL_EVAL, DONE, curves.evaluator_csv(member_dir),
           PBT_CSV]
  for name in names:
    source = os.path.normpath(os.path.join(run_dir, name))
    if name == PBT_CSV and not os.path.exists(source):
      continue  # Not a PBT run.
    target = os.path.normpath(os.path.join(destination, name))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    shutil.copyfile(source, target)


def export_runs(source: str, destination: str) -> int:
  """export_run for every finished run under `source` (a directory holding
  DONE.json), each at its place relative to `source`; returns how many."""
  copied = 0
  for directory, subdirs, files in os.walk(source):
    subdirs.sort()
    if DONE in files:
      subdirs[:] = []  # A run's own directories hold no other run.
      export_run(directory, os.path.join(
          destination, os.path.relpath(directory, source)))
      copied += 1
  return copied
