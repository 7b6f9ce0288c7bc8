"""Install script for acme-kickstart.

Use `make venv` (scripts/setup_venv.sh), which finds CPython 3.10 and installs with
`-c constraints.txt`, the pinned stack that is known to import together.
"""

import sys

from setuptools import find_packages, setup

if sys.version_info[:2] != (3, 10):
  sys.exit(
      'acme-kickstart needs CPython 3.10 (found %d.%d): Launchpad and Reverb '
      'publish wheels only up to 3.10. Run `make venv`, which finds a 3.10 '
      'interpreter, or point PYTHON= at one.' % sys.version_info[:2])

setup(
    name='acme-kickstart',
    version='0.1.0',
    description='Kickstarting Deep RL (Schmitt et al., 2018) on Acme, Reverb '
                'and Launchpad.',
    packages=find_packages(include=['acme_kickstart', 'acme_kickstart.*']),
    python_requires='>=3.10,<3.11',
    install_requires=[
        'tensorflow==2.8.0',
        'dm-acme==0.4.0',
        'dm-reverb==0.7.0',
        'dm-launchpad==0.5.0',
        'dm-sonnet==2.0.2',
        'trfl',
        'tensorflow-probability',
        'jax==0.4.13',
        'jaxlib==0.4.13',
        'numpy==1.23.5',
        'protobuf==3.19.6',
        'gym==0.23.1',
        'minatar',
        'procgen==0.10.7',
        'dm-env',
        'dm-tree',
        'absl-py',
        'matplotlib',
        'ml_collections',
        'rliable',
        'onnxruntime',
    ],
    extras_require={'test': ['pytest', 'pytest-timeout', 'pytest-xdist']},
)
