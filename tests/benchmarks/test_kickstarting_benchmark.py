"""The kickstarting benchmark's report, on run directories written here
(benchmark_runs.py: what a finished benchmark run leaves)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from benchmarks.kickstarting import markdown
from benchmarks.kickstarting import records
from benchmarks.kickstarting import report as report_lib
from benchmark_runs import BUDGET
from benchmark_runs import HIGH
from benchmark_runs import LEVELS
from benchmark_runs import LOW
from benchmark_runs import TASKS
from benchmark_runs import write_run

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
def _read_all(root, seeds=(100, 101)):
  return {v: [report_lib.read_run(os.path.join(str(root), v, f'seed_{s}'),
                                  TASKS, LOW, HIGH, BUDGET) for s in seeds]
          for v in LEVELS}


@pytest.fixture
def runs_root(tmp_path):
  for variant in LEVELS:
    for seed in (100, 101):
      write_run(tmp_path, variant, seed,
                members=2 if variant == 'pbt' else 1)
  return tmp_path


def test_report_has_the_headline_keys_for_the_paper_and_the_extension(
    runs_root):
  runs = _read_all(runs_root)
  report = report_lib.summarise(runs, TASKS, LOW, HIGH, BUDGET,
                                extension='linear_replay2', reps=200)
  # The scores at budget fractions are the IQM curve's points there.
  linear = report['variants']['linear']
  assert linear['score_at_budget_fraction'] == pytest.approx({
      str(f): linear['curve']['iqm']['point'][
          round(f * report_lib.GRID_POINTS) - 1]
      for f in report_lib.BUDGET_FRACTIONS})
  keys = ('best_step_ratio', 'best_final_gain', 'best_final_gain_ci',
          'games_student_beats_teacher', 'seeds', 'budget_env_steps')
  for block in (report, report['extension']):
    assert all(key in block for key in keys), sorted(block)
  # Against constant the extension's gain would mix its replay's in.
  assert 'scheduled_beats_constant' in report
  assert 'scheduled_beats_constant' not in report['extension']
  # linear ends highest of the paper-faithful variants; the extension above.
  assert report['best_variant'] == 'linear'
  assert report['best_final_gain'] == pytest.approx(1.3 / 0.5 - 1, rel=0.1)
  assert report['best_step_ratio'] > 2
  assert report['games_student_beats_teacher'] == 5
  assert report['scheduled_beats_constant']['p'] == pytest.approx(1.0)
  assert report['extension']['variant'] == 'linear_replay2'
  assert report['extension']['beats_its_schedule']['p'] == pytest.approx(1.0)
  assert report['seeds'] == [100, 101] and report['git_commit'] == 'abc123'
  pbt = report['variants']['pbt']
  assert pbt['runs'][0]['env_steps_population'] == pytest.approx(2 * BUDGET
                                                                 * 1.01)
  assert pbt['population_mean_selection_score'] == pytest.approx(114.0)
  # The chosen member's steps and ratios, and again on the population's.
  assert pbt['population_env_steps_factor'] == pytest.approx(2.0)
  for key, steps in pbt['steps_to'].items():
    if steps:
      assert pbt['steps_to_population'][key] == pytest.approx(2 * steps)
    if pbt['step_ratio'][key]:
      assert pbt['step_ratio_population'][key] == pytest.approx(
          pbt['step_ratio'][key] / 2)
  assert pbt['step_ratio']['scratch_final']  # The case above ran.
  np.testing.assert_allclose(pbt['curve_env_steps_population'],
                             2 * np.asarray(report['grid_env_steps']))
  assert 'steps_to_population' not in report['variants']['linear']
  assert report['best_step_ratio_population'] is None  # linear is best.
  assert report['best_population_env_steps_factor'] is None
  # The paper's measure: target and crossing on the curves alone.
  scratch_curve = report['variants']['scratch']['curve']['iqm']['point']
  curve = np.array(linear['curve']['iqm']['point'])
  first = int(np.nonzero(curve >= scratch_curve[-1])[0][0])
  assert report['grid_env_steps'][first - 1] < linear['steps_to'][
      'scratch_curve_end'] <= report['grid_env_steps'][first]
  assert linear['step_ratio']['scratch_curve_end'] == pytest.approx(
      report['variants']['scratch']['steps_to']['scratch_curve_end']
      / linear['steps_to']['scratch_curve_end'])
  assert report_lib.final_checkpoints(runs, BUDGET)['short'] == {}  # At it.
  assert set(report['variants']['scratch']['score_at_budget_fraction']) == {
      '0.05', '0.1', '0.2', '0.5', '1.0'}
  text = markdown.markdown(report)
  assert 'paper' in text and 'linear_replay2' in text
  assert '(the best by final IQM of constant, linear, gated, pbt, chosen' in text
  gain = report['best_final_gain']
  assert f'{100 * gain:+.0f}%' in text and '(linear)' in text
  assert text.count('| breakout |') == 1 and '**' in text  # CIs above 100.
  assert '9.58×' in text and 'linear_replay2' in text
  assert "| pbt (population's env steps) |" in text
  # Table 1 beside the paper's: no small teacher's students in this report.
  assert '| paper: scratch | 24.1 | 31.1 | 37.5 | 51.9 |' in text
  assert '| ours: linear |' in text and '| ours: — | — |' in text
  assert 'Finished runs per variant' not in text  # Every variant has both.
  assert "scratch's IQM curve at the budget" in text
  assert 'Final evaluations read' not in text


def test_a_last_checkpoint_short_of_the_budget_is_named(runs_root):
  path = os.path.join(str(runs_root), 'gated', 'seed_101', records.FINAL_EVAL)
  final = records.read_json(path)
  final['learner_env_steps'] = int(0.86 * BUDGET)  # Its last save was early.
  records.write_json(path, final)
  runs = _read_all(runs_root)
  report = report_lib.summarise(runs, TASKS, LOW, HIGH, BUDGET, reps=100)
  report['final_checkpoints'] = report_lib.final_checkpoints(runs, BUDGET)
  saved = report['final_checkpoints']
  assert saved['short'] == {'gated/seed_101': pytest.approx(0.86)}
  assert saved['min'] == pytest.approx(0.86) and saved['max'] == 1.0
  assert saved['runs'] == 2 * len(LEVELS)
  text = markdown.markdown(report)
  assert '1 of 12 runs below 98%: gated/seed_101 86%.' in text


def test_an_unfinished_study_says_how_many_runs_each_variant_has(runs_root):
  runs = _read_all(runs_root)
  runs['gated'] = runs['gated'][:1]  # Its seed 101 is still running.
  text = markdown.markdown(report_lib.summarise(runs, TASKS, LOW, HIGH,
                                                BUDGET, reps=100))
  assert 'Finished runs per variant: ' in text
  assert 'scratch 2' in text and 'gated 1' in text


def test_games_beating_the_teacher_are_counted_per_seed_then_averaged(
    runs_root):
  # Seed 101 of linear drops to 0.9 of the teacher on breakout and asterix.
  path = os.path.join(str(runs_root), 'linear', 'seed_101', records.FINAL_EVAL)
  final = records.read_json(path)
  for task in ('breakout', 'asterix'):
    final['returns'][task] = [LOW[task] + 0.9 * (HIGH[task] - LOW[task])] * 30
  records.write_json(path, final)
  report = report_lib.summarise(_read_all(runs_root), TASKS, LOW, HIGH, BUDGET,
                                reps=100)
  assert report['best_variant'] == 'linear'
  assert report['variants']['linear']['games_beating_teacher_per_seed'] == [
      5, 3]
  assert report['games_student_beats_teacher'] == pytest.approx(4.0)
  # The mean over seeds (1.3 and 0.9 of the teacher) is still above it.
  assert report['games_mean_return_beats_teacher'] == 5


def test_report_refuses_runs_of_two_commits(runs_root):
  write_run(runs_root, 'scratch', 101, commit='def456')
  with pytest.raises(ValueError, match='several commits'):
    report_lib.summarise(_read_all(runs_root), TASKS, LOW, HIGH, BUDGET,
                         reps=100)


def _benchmark(*flags):
  """`python -m benchmarks.kickstarting.run` from the repository root."""
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', PYTHONPATH=ROOT)
  return subprocess.run(
      [sys.executable, '-m', 'benchmarks.kickstarting.run', *flags], env=env,
      cwd=ROOT, capture_output=True, text=True, timeout=500)


def test_aggregate_only_writes_the_json_and_plots(runs_root, tmp_path):
  # With the students of one teacher for every game too (the Table 2 block),
  # whose returns are at 70% of HIGH.
  for name, level in (('constant', 0.7), ('linear', 1.0), ('pbt', 0.9)):
    for seed in (100, 101):
      write_run(runs_root, f'small_{name}', seed, level=level,
                members=2 if name == 'pbt' else 1)
  teacher = tmp_path / 'teacher'
  teacher.mkdir()
  with open(teacher / 'teacher.json', 'w') as f:
    json.dump({'task_returns': {t: LOW[t] + 0.7 * (HIGH[t] - LOW[t])
                                for t in TASKS}}, f)
  output = tmp_path / 'out'
  names = ('scratch,constant,linear,gated,pbt,extension,small_constant,'
           'small_linear,small_pbt')
  process = _benchmark(
      '--aggregate_only', f'--run_dir={runs_root}', f'--output={output}',
      f'--variants={names}', f'--budget={BUDGET}', '--seeds=2',
      '--population_size=2', '--bootstrap_reps=100',
      '--extension_replay_ratio=2', f'--single_teacher={teacher}',
      f'--records_to={tmp_path / "records"}')
  assert process.returncode == 0, process.stderr[-3000:]
  assert (tmp_path / 'records' / 'small_pbt' / 'seed_101' / 'pbt' /
          'hyperparameters.csv').exists()
  with open(output / 'kickstarting.json') as f:
    report = json.load(f)
  assert report['best_variant'] == 'linear'
  assert report['extension']['variant'] == 'linear_replay2'
  # The small teacher's students are not the experts' study's variants.
  assert not any(v.startswith('small_') for v in report['variants'])
  # Both experiments' machine time: six variants of the experts' study and
  # three of the small teacher's, two seeds each.
  assert report['wall_seconds_total_runs'] == pytest.approx(65.0 * 2 * 9)
  with open(output / 'kickstarting.md') as f:
    assert f'{report["best_final_gain"] * 100:+.0f}%' in f.read()
  # The command runs from any checkout: its paths relative to the repository.
  values = [a.partition('=')[2] for a in report['command'].split()]
  assert values and not any(os.path.isabs(v) for v in values)
  assert f'--run_dir={os.path.relpath(runs_root, ROOT)}' in report['command']
  for name in ('curves', 'curves_mean', 'performance_profiles',
               'probability_of_improvement', 'pbt_lambdas', 'small_pbt_lambdas'):
    assert os.path.getsize(output / f'kickstarting_{name}.png') > 1000
  # The report normalises by the experts' scores (teachers/minatar5), not
  # HIGH, so the teacher's score is checked for sign, not value.
  block = report['single_teacher']
  assert block['teacher_score'] > 0
  assert block['student_over_teacher']['variant'] == 'linear'
  assert [r['variant'] for r in block['table2']] == ['linear', 'pbt',
                                                     'constant']
  assert block['linear_beats_constant']['p'] == pytest.approx(1.0)
  assert 'pbt_beats_constant' in block and block['seeds'] == [100, 101]
  assert block['pbt_env_steps']['population'] == pytest.approx(
      2 * block['pbt_env_steps']['member'])
  with open(output / 'kickstarting.md') as f:
    text = f.read()
  assert 'One small teacher' in text and 'ours 1, paper 1' in text
  # Scratch is among the variants: every row set over it, and the regime.
  scratch = report['variants']['scratch']['final']['iqm']['point']
  assert block['teacher_over_scratch']['ratio'] == pytest.approx(
      block['teacher_score'] / scratch)
  assert f'| {block["table2"][0]["over_scratch"]:.2f}× |' in text
  assert '| ours: small_pbt |' in text
  # The README's table: both experiments, each finding once.
  compact = text[text.index('**Both experiments against the paper**'):]
  assert compact.count('| A: ') == 3 and compact.count('| B: ') == 4
  assert f'{block["student_over_teacher"]["ratio"]:.2f}×' in compact
  # The paper's headline student is PBT's; the best of the schedules is set
  # beside the paper's best row (linear).
  assert block['pbt_over_teacher']['variant'] == 'pbt'
  assert block['pbt_over_teacher']['paper'] == pytest.approx(56.9 / 39.7)
  assert block['student_over_teacher']['paper'] == pytest.approx(60.8 / 39.7)
  assert block['student_over_teacher']['candidates'] == ['linear', 'pbt']
  assert f'{block["pbt_over_teacher"]["ratio"]:.2f}× ' in compact
  # Both studies' runs, each at its budget.
  assert report['final_checkpoints']['runs'] == 2 * (len(LEVELS) + 3)
  # PBT's lambda (benchmark_runs.py: member m's is 1 - t / budget / (m + 1)),
  # at 5%, 10%, 20%, 50% and 100% of the budget, in both studies.
  for name in ('pbt', 'small_pbt'):
    np.testing.assert_allclose(report['pbt_lambdas'][name]['mean_lambda'],
                               [1.0, 1.0, 1.0, 0.625, 0.25])
  assert '| small_pbt | 1.00 [1.00, 1.00] |' in text


def test_exported_records_give_the_report_the_same_runs(runs_root, tmp_path):
  copied = records.export_runs(str(runs_root), str(tmp_path / 'records'))
  assert copied == 2 * len(LEVELS)
  for variant in LEVELS:
    for seed in (100, 101):
      here = os.path.join(variant, f'seed_{seed}')
      original, exported = (
          report_lib.read_run(os.path.join(str(root), here), TASKS, LOW,
                              HIGH, BUDGET)
          for root in (runs_root, tmp_path / 'records'))
      np.testing.assert_array_equal(exported.pop('curve'),
                                    original.pop('curve'))
      assert exported == original
  # PBT's reported member's curve and its hyperparameters; no other member's.
  pbt = tmp_path / 'records' / 'pbt' / 'seed_100'
  assert (pbt / 'pbt' / 'hyperparameters.csv').exists()
  assert not (pbt / 'member_1').exists()


def test_a_small_variant_without_its_teacher_is_one_clear_error(tmp_path):
  process = _benchmark('--variants=scratch,small_linear',
                       f'--single_teacher={tmp_path}/none',
                       f'--run_dir={tmp_path}/runs', '--budget=1000')
  assert process.returncode != 0
  assert 'holds no teacher.json' in process.stderr
  assert not (tmp_path / 'runs').exists()  # Nothing launched.


def test_a_run_is_not_resumed_on_another_commit(tmp_path):
  records.check_launch_commit(str(tmp_path), 'abc123')
  records.check_launch_commit(str(tmp_path), 'abc123')  # Same commit: resumes.
  assert records.add_train_seconds(str(tmp_path), 10.0) == 10.0
  assert records.add_train_seconds(str(tmp_path), 5.0) == 15.0
  with pytest.raises(RuntimeError, match='started at commit abc123'):
    records.check_launch_commit(str(tmp_path), 'def456')


# Each member's learner state as PBT leaves it, with the benchmark's own
# student network; in a process of its own, where the benchmark's flags are
# defined once, and parsed (their defaults) before the network reads them.
_WRITE_MEMBERS = """
import sys
from absl import flags
import tensorflow as tf
from acme_kickstart.agents.kickstarting import learning
from acme_kickstart.experiments import factories
from acme_kickstart.experiments import learner_node
from benchmarks.kickstarting import run as bench
flags.FLAGS(['bench'])
experiment, _ = bench.base_config()
spec = factories.environment_spec(experiment)
for member in range(2):
  network = factories.build_network(
      factories.make_network(experiment, spec.actions.num_values), spec)
  learner = learning.KickstartingLearner(
      network=network, dataset=tf.data.Dataset.range(1),
      num_tasks=5, learning_rate=1e-3)
  learner.state['num_env_steps'].assign(1000 + member)
  learner_node.LearnerNode(
      learner, f'{sys.argv[1]}/member_{member}', 1.0).save()
"""


def test_pbt_final_evaluation_plays_the_member_its_selection_chose(tmp_path):
  run_dir = tmp_path / 'pbt' / 'seed_100'
  subprocess.run([sys.executable, '-c', _WRITE_MEMBERS, str(run_dir)],
                 check=True, cwd=ROOT, timeout=300,
                 env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2',
                          PYTHONPATH=ROOT), capture_output=True)
  process = _benchmark('--final_eval=pbt:100', f'--run_dir={tmp_path}',
                       '--population_size=2', '--selection_episodes=2',
                       '--final_episodes=2')
  assert process.returncode == 0, process.stderr[-3000:]
  with open(run_dir / records.FINAL_EVAL) as f:
    final = json.load(f)
  selection = final['selection']
  assert final['member'] == int(np.argmax(selection['scores']))
  assert final['member_dir'] == f'member_{final["member"]}'
  # The reported evaluation restored the chosen member, on other seeds.
  assert final['learner_env_steps'] == 1000 + final['member']
  assert final['seed'] != selection['seed']
  assert all(len(final['returns'][t]) == 2 for t in TASKS)
