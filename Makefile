# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
export PYTHONUNBUFFERED := 1
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: venv demo test test-fast bench clean teachers

venv:
	@VENV=$(VENV) bash scripts/setup_venv.sh

# Main job: train a MinAtar teacher briefly, then a kickstarted and a scratch student.
demo: venv
	$(PY) launch/demo.py

# All tests, slow learning tests included (what CI runs).
test: venv
	$(PY) -m pytest tests -q -rs

# Everything but the slow learning tests.
test-fast: venv
	$(PY) -m pytest tests -q -rs -m "not slow"

bench: venv
	$(PY) benchmarks/single_process.py

clean:
	rm -rf $(VENV) runs .pytest_cache

# Retrains the five shipped MinAtar-5 teachers (teachers/minatar5/<game>).
TEACHER_STEPS ?= 600000
teachers: venv
	for game in breakout asterix freeway seaquest space_invaders; do \
	  $(PY) launch/train_teacher.py --game=$$game --steps=$(TEACHER_STEPS) \
	    --output=teachers/minatar5/$$game || exit 1; \
	done
