"""TF's oneDNN CPU kernels are on wherever acme_kickstart is imported first,
as every launcher does (a single-process or local_mt run trains in the
launcher's own process), and a user's TF_ENABLE_ONEDNN_OPTS is kept.

TF 2.8 has no Python query for this; it logs the line below once, at its
first op, when they are on.
"""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_ON = 'oneDNN custom operations are on'
_PROBE = 'import acme_kickstart, tensorflow as tf; tf.constant(1.) + 1.'


def _tf_log(env_value, probe=_PROBE) -> str:
  env = {k: v for k, v in os.environ.items() if k != 'TF_ENABLE_ONEDNN_OPTS'}
  if env_value is not None:
    env['TF_ENABLE_ONEDNN_OPTS'] = env_value
  env.update(PYTHONPATH=ROOT, TF_CPP_MIN_LOG_LEVEL='0')
  return subprocess.run([sys.executable, '-c', probe], env=env, cwd=ROOT,
                        capture_output=True, text=True, check=True).stderr


@pytest.mark.parametrize('env_value, on', [
    (None, True),   # Our default.
    ('0', False),   # The user's choice wins.
])
def test_onednn_setting(env_value, on):
  assert (_ON in _tf_log(env_value)) == on


def test_a_launchers_own_process_has_onednn_on():
  # Importing launchpad loads TF's library, which reads the setting then.
  probe = 'import launch.kickstart, tensorflow as tf; tf.constant(1.) + 1.'
  assert _ON in _tf_log(None, probe)


# Imports that load TF's library (and so read the setting).
_LOADS_TF = ('acme', 'courier', 'launchpad', 'reverb', 'sonnet', 'tensorflow',
             'trfl')


def test_every_launcher_imports_acme_kickstart_before_what_loads_tf():
  """The same for every launcher, read from its source."""
  import ast  # pylint: disable=g-import-not-at-top
  launchers = [os.path.join(ROOT, 'launch', name) for name in
               sorted(os.listdir(os.path.join(ROOT, 'launch')))
               if name.endswith('.py') and name != '__init__.py']
  assert len(launchers) >= 3
  for path in launchers:
    with open(path) as f:
      tree = ast.parse(f.read())
    packages = [(alias.name if isinstance(node, ast.Import)
                 else node.module).split('.')[0]
                for node in tree.body
                if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names]
    loading = [i for i, name in enumerate(packages) if name in _LOADS_TF]
    if loading:
      assert 'acme_kickstart' in packages[:loading[0]], (
          f'{path} imports {packages[loading[0]]} before acme_kickstart')
