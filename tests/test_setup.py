"""Set-up finds CPython 3.10 by itself, or stops with one clear message."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIND = os.path.join(ROOT, 'scripts', 'find_python.sh')


def _run(env):
  return subprocess.run(['bash', FIND], env=env, capture_output=True,
                        text=True, check=False)


def test_finds_a_python_310():
  result = _run(dict(os.environ))
  assert result.returncode == 0, result.stderr
  version = subprocess.run(
      [result.stdout.strip(), '-c', 'import sys; print(sys.version_info[:2])'],
      capture_output=True, text=True, check=True).stdout
  assert version.strip() == '(3, 10)'


def test_wrong_python_is_one_clear_error(tmp_path):
  # A PYTHON that is not 3.10: a stand-in interpreter reporting 3.11.
  fake = tmp_path / 'python3.11'
  fake.write_text('#!/bin/sh\nexec %s -c "import sys; print(\'3.11\'); '
                  'sys.exit(1)" "$@"\n' % sys.executable)
  fake.chmod(0o755)
  result = _run({'PATH': '/usr/bin:/bin', 'PYTHON': str(fake)})
  assert result.returncode == 1
  assert 'is not CPython 3.10' in result.stderr
  assert 'Point PYTHON= at a 3.10 interpreter' in result.stderr


def test_no_python_310_anywhere_is_one_clear_error():
  result = _run({'PATH': '/usr/bin:/bin', 'HOME': '/nonexistent'})
  assert result.returncode == 1
  assert result.stderr.count('error:') == 1
  assert 'no CPython 3.10 interpreter found' in result.stderr
  assert 'pyenv install 3.10' in result.stderr


def test_package_refuses_other_pythons():
  # Imported by another interpreter, the package names the problem and the fix.
  code = ('import sys; sys.version_info = (3, 11, 7, "final", 0); '
          'import acme_kickstart')
  out = subprocess.run([sys.executable, '-c', code], cwd=ROOT,
                       capture_output=True, text=True, check=False)
  assert out.returncode == 1
  assert 'ImportError: acme_kickstart needs CPython 3.10 (this is 3.11)' in (
      out.stderr)
  assert 'make venv' in out.stderr
