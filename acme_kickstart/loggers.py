"""Loggers that write a run directory: CSV and TensorBoard, plus the terminal."""

import csv
from typing import Optional

from acme.utils import loggers as acme_loggers
from acme.utils.loggers import tf_summary

from acme_kickstart import run_dirs


class CSVLogger(acme_loggers.Logger):
  """Rows appended to <run_dir>/logs/<label>/logs.csv, flushed one by one.

  acme's CSVLogger behaves the same (columns fixed at the first row, extra
  keys dropped, a header only in an empty file) but opens its file with open()
  and makes its directory with os.makedirs, so it cannot write to gs://. This
  one goes through tf.io.gfile.
  """

  def __init__(self, run_dir: str, label: str):
    directory = run_dirs.join(run_dir, 'logs', label)
    run_dirs.makedirs(directory)
    self.file_path = run_dirs.join(directory, 'logs.csv')
    self._empty = (not run_dirs.exists(self.file_path) or
                   run_dirs.size(self.file_path) == 0)
    self._file = run_dirs.open(self.file_path, 'a')
    self._writer = None

  def write(self, data: acme_loggers.LoggingData):
    data = acme_loggers.to_numpy(data)
    if self._writer is None:
      self._writer = csv.DictWriter(self._file, fieldnames=sorted(data),
                                    extrasaction='ignore')
      if self._empty:
        self._writer.writeheader()
    self._writer.writerow(data)
    self._file.flush()

  def close(self):
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
