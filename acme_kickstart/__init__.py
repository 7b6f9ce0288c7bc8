"""acme-kickstart: Kickstarting Deep RL (Schmitt et al., 2018) on Acme."""

import os
import sys

if sys.version_info[:2] != (3, 10):
  raise ImportError(
      'acme_kickstart needs CPython 3.10 (this is %d.%d): Launchpad and Reverb '
      'publish wheels only up to 3.10. Run `make venv` and use .venv/bin/python.'
      % sys.version_info[:2])

# TF 2.8 leaves its oneDNN CPU kernels off on Linux. On: the learner's update
# costs half the CPU (benchmarks/machine_limit.py, README "Throughput"). It is
# read when TF loads, so it counts where this package is imported first (the
# launch scripts, and every Launchpad node, which inherits the environment);
# TF_ENABLE_ONEDNN_OPTS=0 in the environment keeps TF's default.
os.environ.setdefault('TF_ENABLE_ONEDNN_OPTS', '1')

__version__ = '0.1.0'
