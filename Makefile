# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
export PYTHONUNBUFFERED := 1
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: venv demo test test-fast test-stopping bench bench-kickstarting clean teachers

venv:
	@VENV=$(VENV) bash scripts/setup_venv.sh

# Main job: kickstart one student on all five MinAtar games from the shipped
# teachers (Launchpad local_mp); worker output goes to runs/demo/workers.
demo: venv
	LAUNCHPAD_LOGGING_DIR=$(CURDIR)/runs/demo/workers $(PY) -m launch.demo --lp_launch_type=local_mp

# All tests, slow learning tests included (what CI runs). The unit tests run
# on TEST_WORKERS processes; the real Launchpad launches one at a time, since
# two programs sharing the cores would fight for them and time out.
TEST_WORKERS ?= 2
test: venv
	@status=0; \
	$(PY) -m pytest tests -q -rs --durations=10 --ignore=tests/integration \
	  -n $(TEST_WORKERS) || status=1; \
	$(PY) -m pytest tests/integration -q -rs --durations=10 || status=1; \
	exit $$status

# The quick unit suite: no slow learning tests, no real Launchpad launches.
test-fast: venv
	$(PY) -m pytest tests -q -rs -m "not slow" --ignore=tests/integration

# Five one-task local_mt launches, each must stop cleanly (~2.5 min).
test-stopping: venv
	$(PY) -m pytest tests/integration/test_local_mt_stop.py -q -m stopping

bench: venv
	$(PY) -m benchmarks.throughput

# The headline benchmark (long; not in CI): results/kickstarting.json + PNGs.
bench-kickstarting: venv
	$(PY) -m benchmarks.kickstarting.run

clean:
	rm -rf $(VENV) runs .pytest_cache

# Retrains the five shipped MinAtar-5 teachers (teachers/minatar5/<game>), each
# for its steps in launch/train_teacher.py's TEACHER_STEPS (~9 min per game).
teachers: venv
	for game in breakout asterix freeway seaquest space_invaders; do \
	  $(PY) -m launch.train_teacher --game=$$game \
	    --output=teachers/minatar5/$$game || exit 1; \
	done
