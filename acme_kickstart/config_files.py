"""Experiment configs as code: a Python file that defines `get_config()`."""

import importlib.util
import os


def load_config(path: str):
  """Runs `path` and returns its `get_config()`."""
  if not os.path.isfile(path):
    raise FileNotFoundError(f'No config file at {path!r}; pass --config='
                            'configs/<name>.py (a file defining get_config()).')
  spec = importlib.util.spec_from_file_location(
      os.path.splitext(os.path.basename(path))[0], path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  return module.get_config()
