"""Environment suites as dm_env environments, and the registry of suites.

`get_suite(name, **env_kwargs)` is the one place a suite's name is looked up;
everything else holds the `base.Suite` it returns. Suite modules are imported
on first use, so importing this package imports no suite (and no simulator).
"""

import importlib

from acme_kickstart.environments import base

# Suite name -> the module whose `make_suite(**env_kwargs)` builds it.
SUITE_MODULES = {
    'minatar5': 'acme_kickstart.environments.minatar',
    'dmlab30': 'acme_kickstart.environments.dmlab30',
    'procgen': 'acme_kickstart.environments.procgen',
}


def get_suite(name: str, **env_kwargs) -> base.Suite:
  """The suite called `name`; `env_kwargs` go to each of its environments."""
  if name not in SUITE_MODULES:
    raise ValueError(f'Unknown suite {name!r}: use one of '
                     f'{", ".join(repr(n) for n in SUITE_MODULES)}.')
  return importlib.import_module(SUITE_MODULES[name]).make_suite(**env_kwargs)
