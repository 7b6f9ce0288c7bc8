"""Loggers that write a run directory: CSV and TensorBoard, plus the terminal."""

import os
from typing import Optional

from acme.utils import loggers as acme_loggers
from acme.utils.loggers import tf_summary


def make_logger(run_dir: Optional[str], label: str,
                terminal_seconds: Optional[float] = 5.0,
                min_seconds: float = 0.0,
                steps_key: Optional[str] = None) -> acme_loggers.Logger:
  """CSV at <run_dir>/logs/<label>/logs.csv, TensorBoard at <run_dir>/tb/<label>.

  Rows are written at most every `min_seconds` and flushed at once, so the
  files are current while the program runs. With `terminal_seconds` set, a
  one-line summary prints at most that often.
  """
  destinations = []
  if run_dir:
    destinations.append(acme_loggers.CSVLogger(
        run_dir, label=label, add_uid=False, flush_every=1))
    destinations.append(tf_summary.TFSummaryLogger(
        os.path.join(run_dir, 'tb', label), label=label, steps_key=steps_key))
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
  return acme_loggers.CSVLogger(run_dir, label=label, add_uid=False,
                                flush_every=1)
