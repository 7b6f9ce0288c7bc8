#!/usr/bin/env bash
# Prints the path of a CPython 3.10 interpreter, or exits 1 with one clear message.
# Looks, in order, at: $PYTHON, python3.10 on PATH, pyenv's 3.10.x.
set -u

is_py310() {
  "$1" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 10) and sys.implementation.name == "cpython" else 1)' >/dev/null 2>&1
}

if [ -n "${PYTHON:-}" ]; then
  if is_py310 "$PYTHON"; then command -v "$PYTHON"; exit 0; fi
  found=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo "not runnable")
  echo "error: PYTHON=$PYTHON is not CPython 3.10 (it is: $found). acme-kickstart needs CPython 3.10 because Launchpad and Reverb publish wheels only up to 3.10. Point PYTHON= at a 3.10 interpreter, e.g. 'pyenv install 3.10 && make PYTHON=\$(pyenv root)/versions/3.10.13/bin/python3.10'." >&2
  exit 1
fi

candidates=()
p=$(command -v python3.10 2>/dev/null) && candidates+=("$p")
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root 2>/dev/null)
  for v in $(ls -d "$root"/versions/3.10* 2>/dev/null | sort -rV); do
    candidates+=("$v/bin/python3.10")
  done
fi
for c in "${candidates[@]+"${candidates[@]}"}"; do
  if is_py310 "$c"; then echo "$c"; exit 0; fi
done

echo "error: no CPython 3.10 interpreter found (looked at \$PYTHON, python3.10 on PATH and pyenv's versions). acme-kickstart needs CPython 3.10 because Launchpad and Reverb publish wheels only up to 3.10. Install one (e.g. 'pyenv install 3.10' or 'apt-get install python3.10 python3.10-venv') or name it with PYTHON=/path/to/python3.10." >&2
exit 1
