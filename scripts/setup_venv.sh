#!/usr/bin/env bash
# Builds .venv with CPython 3.10 and the pinned stack (constraints.txt). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
py=$(bash scripts/find_python.sh) || exit 1
venv=${VENV:-.venv}
stamp="$venv/.installed"
if [ -f "$stamp" ] && cmp -s "$stamp" <(cat constraints.txt setup.py); then
  exit 0
fi
echo "Setting up $venv with $py ($("$py" --version 2>&1))"
start=$(date +%s)
[ -x "$venv/bin/python" ] || "$py" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip wheel setuptools -c constraints.txt 2>/dev/null || \
  "$venv/bin/python" -m pip install -q --upgrade pip wheel setuptools
"$venv/bin/python" -m pip install -q -c constraints.txt -e '.[test]'
cat constraints.txt setup.py > "$stamp"
echo "Installed in $(( $(date +%s) - start ))s."
