"""Files of a run directory, on local disk or a remote filesystem.

A multi-host launch gives every node one run directory, e.g. gs://bucket/run.
os.path would turn that into a local path under each container's working
directory (os.path.abspath('gs://b/run') is '/cwd/gs:/b/run'), so every node
would write its checkpoints and logs to its own disk. Everything under a run
directory therefore goes through these helpers: `scheme://` paths stay as they
are, and files are read and written with tf.io.gfile, which reaches local disk
and every filesystem TF knows (gs://, and ram:// in tests).
"""

import csv
import os
import re
from typing import IO, Dict, List, Mapping, Union

from acme import core
from acme.tf import savers as tf2_savers
import tensorflow as tf

_SCHEME = re.compile(r'^[A-Za-z][A-Za-z0-9+.-]*://')


def is_remote(path: Union[str, os.PathLike]) -> bool:
  """Whether `path` names a filesystem by scheme (gs://, ram://, ...)."""
  return bool(_SCHEME.match(os.fspath(path)))


def resolve(path: Union[str, os.PathLike]) -> str:
  """A `scheme://` path as it is; a local one with ~ expanded, made absolute.

  Launchers resolve the run directory once, so nodes started elsewhere (other
  processes, other hosts) all see the same path.
  """
  path = os.fspath(path)
  if is_remote(path):
    return path
  return os.path.abspath(os.path.expanduser(path))


def join(path: str, *parts: str) -> str:
  return os.path.join(os.fspath(path), *parts)


def makedirs(path: str):
  """Creates `path` and its parents; nothing if it exists."""
  tf.io.gfile.makedirs(path)


def exists(path: str) -> bool:
  return tf.io.gfile.exists(path)


def isdir(path: str) -> bool:
  return tf.io.gfile.isdir(path)


def listdir(path: str) -> List[str]:
  return [name.rstrip('/') for name in tf.io.gfile.listdir(path)]


def size(path: str) -> int:
  return tf.io.gfile.stat(path).length


def open(path: str, mode: str = 'r') -> IO:  # pylint: disable=redefined-builtin
  """A file object (text unless 'b' in mode) through tf.io.gfile."""
  return tf.io.gfile.GFile(path, mode)


def read_csv(path: str) -> List[Dict[str, str]]:
  """The rows of a CSV file with a header (e.g. a logger's logs.csv)."""
  with open(path) as f:
    return list(csv.DictReader(f))


def replace(source: str, destination: str):
  """Renames `source` to `destination`, overwriting it (os.replace)."""
  tf.io.gfile.rename(source, destination, overwrite=True)


class Checkpointer(tf2_savers.Checkpointer):
  """acme's Checkpointer, writing <directory>/checkpoints/<subdirectory>.

  acme's builds its directory with paths.process_path, which calls
  os.makedirs: on a gs:// path that creates a local 'gs:' folder. This one
  makes the directory through tf.io.gfile and otherwise keeps acme's save,
  restore and periodic behaviour (no uid in the path).
  """

  def __init__(self, objects_to_save: Mapping[str, Union[
      tf2_savers.Checkpointable, core.Saveable]], *, directory: str,
               subdirectory: str, time_delta_minutes: float,
               max_to_keep: int = 1):
    super().__init__(objects_to_save, time_delta_minutes=time_delta_minutes,
                     enable_checkpointing=False)
    self._enable_checkpointing = True
    self._checkpoint = tf.train.Checkpoint(**{
        key: (tf2_savers.SaveableAdapter(value)
              if isinstance(value, core.Saveable) else value)
        for key, value in objects_to_save.items()})
    self._checkpoint_dir = join(directory, 'checkpoints', subdirectory)
    makedirs(self._checkpoint_dir)
    self._checkpoint_manager = tf.train.CheckpointManager(
        self._checkpoint, directory=self._checkpoint_dir,
        max_to_keep=max_to_keep)
    self.restore()
