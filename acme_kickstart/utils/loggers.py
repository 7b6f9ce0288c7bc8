"""Loggers that write a run directory: CSV and TensorBoard, plus the terminal."""

import csv
from typing import List, Optional

from acme.utils import loggers as acme_loggers
from acme.utils.loggers import tf_summary

from acme_kickstart.utils import run_dirs


class CSVLogger(acme_loggers.Logger):
  """Rows appended to <run_dir>/logs/<label>/logs.csv, flushed one by one.

  A file has one header, and every row is read under it. A resumed run
  appends under the header already in the file, and a row with a key the
  header lacks (learner rows gain the counter's keys once it reports; a
  second launch may log more) widens it: the file is rewritten once with the
  wider header, older rows empty in the new columns. (acme's CSVLogger fixes
  the columns at the first row of each launch, drops later keys, and on a
  resume writes rows whose columns disagree with the file's header, so every
  reader reads them shifted.) It goes through tf.io.gfile, so it can write
  to gs:// too.
  """

  def __init__(self, run_dir: str, label: str):
    directory = run_dirs.join(run_dir, 'logs', label)
    run_dirs.makedirs(directory)
    self.file_path = run_dirs.join(directory, 'logs.csv')
    self._fields = self._read_header()
    self._file = None
    self._writer = None

  def _read_header(self) -> Optional[List[str]]:
    if not run_dirs.exists(self.file_path) or (
        run_dirs.size(self.file_path) == 0):
      return None
    with run_dirs.open(self.file_path) as f:
      return next(csv.reader(f), None)

  def _open(self, write_header: bool):
    self._file = run_dirs.open(self.file_path, 'a')
    self._writer = csv.DictWriter(self._file, fieldnames=self._fields,
                                  restval='')
    if write_header:
      self._writer.writeheader()

  def _widen(self, fields: List[str]):
    """Rewrites the file under `fields` (old rows keep their values)."""
    if self._file is not None:
      self._file.close()
    rows = run_dirs.read_csv(self.file_path)
    tmp = self.file_path + '.tmp'
    with run_dirs.open(tmp, 'w') as f:
      writer = csv.DictWriter(f, fieldnames=fields, restval='')
      writer.writeheader()
      writer.writerows(rows)
    run_dirs.replace(tmp, self.file_path)
    self._fields = fields
    self._open(write_header=False)

  def write(self, data: acme_loggers.LoggingData):
    data = acme_loggers.to_numpy(data)
    if self._fields is None:
      self._fields = sorted(data)
      self._open(write_header=True)
    elif not set(data) <= set(self._fields):
      self._widen(self._fields + sorted(set(data) - set(self._fields)))
    elif self._writer is None:
      self._open(write_header=False)
    self._writer.writerow(data)
    self._file.flush()

  def close(self):
    if self._file is not None:
      self._file.close()


def make_logger(run_dir: Optional[str], label: str,
                terminal_seconds: Optional[float] = 5.0,
                min_seconds: float = 0.0,
                steps_key: Optional[str] = None) -> acme_loggers.Logger:
  """CSV at <run_dir>/logs/<label>/logs.csv, TensorBoard at <run_dir>/tb/<label>.

  Rows are written at most every `min_seconds` and flushed at once, so the
  files are current while the program runs. With `terminal_seconds` set, a
  one-line summary prints at most that often. `run_dir` may be remote (gs://).
  """
  destinations = []
  if run_dir:
    destinations.append(CSVLogger(run_dir, label))
    destinations.append(tf_summary.TFSummaryLogger(
        run_dirs.join(run_dir, 'tb', label), label=label, steps_key=steps_key))
  if terminal_seconds is not None:
    destinations.append(acme_loggers.TimeFilter(
        acme_loggers.TerminalLogger(label), terminal_seconds))
  logger = acme_loggers.Dispatcher(destinations)
  if min_seconds > 0:
    logger = acme_loggers.TimeFilter(logger, min_seconds)
  return acme_loggers.NoneFilter(logger)


def make_events_logger(run_dir: str,
                       label: str = 'events') -> acme_loggers.Logger:
  """Rare events (a teacher surpassed, ...) as CSV rows at
  <run_dir>/logs/<label>/logs.csv, flushed at once. CSV only: TensorBoard
  scalars cannot hold their text fields."""
  return CSVLogger(run_dir, label)
