"""acme-kickstart: Kickstarting Deep RL (Schmitt et al., 2018) on Acme."""

import sys

if sys.version_info[:2] != (3, 10):
  raise ImportError(
      'acme_kickstart needs CPython 3.10 (this is %d.%d): Launchpad and Reverb '
      'publish wheels only up to 3.10. Run `make venv` and use .venv/bin/python.'
      % sys.version_info[:2])

__version__ = '0.1.0'
