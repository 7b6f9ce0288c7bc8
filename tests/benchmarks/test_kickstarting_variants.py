"""The kickstarting benchmark's variant names: what each parses to, and the
config a Table 2 row launches with."""

import os
import subprocess
import sys

import pytest

from benchmarks.kickstarting import variants

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def test_variant_names_parse_schedules_and_replay_ratios():
  parse = variants.parse_variant
  assert parse('constant').agent_overrides == {}
  variant = parse('extension', 'gated', 4)
  assert (variant.name, variant.schedule) == ('gated_replay4', 'gated')
  for bad in ('annealed', 'scratch_replay2', 'constant_replay'):
    with pytest.raises(ValueError):
      parse(bad)


def test_variant_names_carry_the_papers_table_2_schedules():
  parse = variants.parse_variant
  variant = parse('linear_lam2_decay10_replay4')
  assert (variant.schedule, variant.distillation_cost, variant.decay_fraction,
          variant.final_fraction) == ('linear', 2.0, 0.1, 0.0)
  assert variant.agent_overrides == {'distillation_replay_ratio': 4}
  assert parse('constant_lam2').distillation_cost == 2.0
  assert parse('linear_floor10').final_fraction == pytest.approx(0.1)
  assert parse('linear').decay_fraction is None  # The flag's.
  small = parse('small_linear_lam2_decay10')
  assert small.single_teacher and small.table2_name == 'linear_lam2_decay10'
  assert (small.schedule, small.distillation_cost) == ('linear', 2.0)
  assert not parse('linear').single_teacher
  for bad, message in (('constant_decay10', 'parts of a linear'),
                       ('scratch_lam2', 'scratch has no teachers'),
                       ('small_scratch', 'scratch has no teachers'),
                       ('linear_decay0', 'percent in 1..100'),
                       ('linear_floor10_decay20', 'in that order')):
    with pytest.raises(ValueError, match=message):
      parse(bad)


# Each Table 2 row's student config, as the benchmark launches it.
_MEMBER_SCHEDULES = """
from absl import flags
from benchmarks.kickstarting import run as bench
flags.FLAGS(['bench', '--budget=1000000'])
for name in ('constant_lam2', 'linear_lam2_decay10', 'linear_decay40',
             'linear_floor10', 'linear'):
  agent = bench.member_config(bench.parse_variant(name), 0, '/tmp/x').agent
  s = agent.distillation_schedule
  print(name, agent.distillation_costs[0], s.kind, s.decay_env_steps,
        s.final_fraction)
"""


def test_a_table_2_row_launches_with_its_lambda_and_decay():
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', PYTHONPATH=ROOT)
  process = subprocess.run([sys.executable, '-c', _MEMBER_SCHEDULES], env=env,
                           cwd=ROOT, capture_output=True, text=True,
                           timeout=300)
  assert process.returncode == 0, process.stderr[-3000:]
  rows = dict(line.split(' ', 1) for line in process.stdout.splitlines())
  assert rows['constant_lam2'].split()[:2] == ['2.0', 'constant']
  assert rows['linear_lam2_decay10'] == '2.0 linear 100000 0.0'
  assert rows['linear_decay40'] == '1.0 linear 400000 0.0'
  assert rows['linear_floor10'] == '1.0 linear 200000 0.1'
  assert rows['linear'] == '1.0 linear 200000 0.0'


def test_an_override_the_agent_lacks_is_one_clear_error():
  with pytest.raises(ValueError, match="KickstartingConfig on this commit"):
    variants.with_agent_overrides(
        variants.KickstartingConfig(), {'no_such_field': 1})
