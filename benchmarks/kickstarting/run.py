"""The paper's headline on MinAtar-5: kickstarting against learning from scratch.

  python -m benchmarks.kickstarting.run            # every run, then the report
  python -m benchmarks.kickstarting.run --aggregate_only
  python -m benchmarks.kickstarting.run --variants=constant,constant_replay1,\
constant_replay2 --first_seed=0 --seeds=3     # a tuning sweep

Variants of one multi-task student (configs/minatar5.py's experiment and
topology: 1 actor of 128 environments playing all five games), each for
--budget env steps per student and --seeds seeds, every run a Launchpad
local_mp program:
  scratch   no teachers (plain IMPALA);
  constant  the five shipped teachers, lambda_k = --distillation_cost;
  linear    lambda_k annealed 1 -> 0 by 20% of the budget (the paper's decay);
  gated     lambda_k shut per game once the student plays at its teacher's
            level (schedules.py);
  pbt       a population of --population_size students whose lambda_k,
            learning rate and entropy cost PBT schedules;
  <schedule>_lam<x>_decay<p>_floor<p>_replay<r>, small_<variant>  other
            lambda_k^0, decays, floors and replay ratios, and students of the
            one small teacher (--single_teacher): variants.py's names, e.g.
            the paper's Table 2 rows small_constant_lam2, small_linear_decay40;
            the small_ ones fill the report's `single_teacher` block;
  extension --extension_schedule with --extension_replay_ratio (linear_replay4
            by default): the report's `extension` block.
Seeds: the reported runs use seeds 100..104 (--first_seed=100 --seeds=5).
Settings are chosen by sweeps on other seeds, e.g. --first_seed=0, so that no
reported seed helped choose them.

Every run ends with a final evaluation of its last checkpoint
(final_evaluation.py; PBT's member chosen first by a selection evaluation on
other seeds). Writes results/kickstarting/kickstarting.json (report.py's keys;
the 'small_' variants' under `single_teacher`), its tables as Markdown
(kickstarting.md, quoted by the README) and PNGs beside it; --records_to
copies each run's small records for the repository.

Resumable: a finished run (DONE.json) is never re-run; a half-finished one
resumes from its checkpoints; a run started on another commit is refused, and
a report never mixes commits.
"""

import dataclasses
import os
import subprocess
import sys
import time
from typing import Dict, List

from absl import app
from absl import flags
from absl import logging

from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.analysis import curves
from acme_kickstart.experiments import student_export
from acme_kickstart.utils import provenance
from acme_kickstart.utils import run_dirs
from benchmarks.kickstarting import aggregate as aggregate_lib
from benchmarks.kickstarting import markdown
from benchmarks.kickstarting import records
from benchmarks.kickstarting.variants import apply_override
from benchmarks.kickstarting.variants import parse_variant
from benchmarks.kickstarting.variants import Variant
from benchmarks.kickstarting.variants import with_agent_overrides
from configs import minatar5

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

DEFAULT_VARIANTS = ('scratch', 'constant', 'linear', 'gated', 'pbt',
                    'extension')

flags.DEFINE_integer('budget', 3_000_000, 'Env steps per student.')
flags.DEFINE_integer('seeds', 5, 'Seeds per variant.')
flags.DEFINE_integer('first_seed', 100, 'Seeds are first_seed, +1, ...')
flags.DEFINE_list('variants', list(DEFAULT_VARIANTS),
                  'scratch, constant, linear, gated, pbt, extension, or '
                  '<schedule>_replay<ratio>.')
flags.DEFINE_string('extension_schedule', 'linear',
                    "The extension's schedule: constant, linear, gated, pbt.")
flags.DEFINE_integer('extension_replay_ratio', 4,
                     "The extension's distillation_replay_ratio (that of "
                     'configs/minatar5.py, chosen by the replay sweeps).')
flags.DEFINE_float('distillation_cost', 1.0, 'lambda_k^0 of kickstarted runs.')
flags.DEFINE_float('linear_decay_fraction', 0.2,
                   "Budget fraction by which 'linear' reaches lambda 0.")
flags.DEFINE_string(
    'single_teacher', os.path.join(ROOT, 'teachers', 'minatar5_small'),
    "The 'small_' variants' teacher: one multi-task student for every game "
    "(launch.export_student's output), the paper's Table 2 setting. Its "
    "teacher.json scores are the gate's levels; PBT's fitness and the report "
    'score on the experts.')
flags.DEFINE_integer('population_size', 4, 'PBT members per seed.')
flags.DEFINE_integer('final_episodes', 30, 'Final-evaluation episodes/game.')
flags.DEFINE_integer('selection_episodes', 30,
                     "Episodes per game of PBT's member selection.")
flags.DEFINE_integer('bootstrap_reps', 2000, 'Bootstrap resamples per CI.')
flags.DEFINE_string('run_dir', os.path.join(ROOT, 'runs', 'bench_kickstarting'),
                    'Where the runs go.')
flags.DEFINE_string('output', os.path.join(ROOT, 'results', 'kickstarting'),
                    'Where kickstarting.json and the PNGs go.')
flags.DEFINE_boolean('aggregate_only', False, 'Only read finished runs.')
flags.DEFINE_string('records_to', None,
                    "Copies each finished run's small records there (e.g. "
                    'results/kickstarting/runs), so that --aggregate_only '
                    '--run_dir=<there> recomputes the report from them.')
flags.DEFINE_multi_string(
    'override', [],
    "PATH=VALUE on configs/minatar5.py's experiment for every variant, e.g. "
    '--override=agent.learning_rate=3e-4 --override=network_kwargs.'
    'hidden_size=256 (a Python literal; the baseline search sets its '
    'configurations this way).')
flags.DEFINE_string('only', None, 'Internal: train the one run VARIANT:SEED.')
flags.DEFINE_string('final_eval', None, 'Internal: evaluate VARIANT:SEED.')
FLAGS = flags.FLAGS


# ------------------------------------------------------ configs and launching
def base_config():
  """configs/minatar5.py's experiment (with --override) and topology."""
  experiment = minatar5.get_experiment()
  # Unparsed when a test imports this module to build the student network.
  for override in FLAGS.override if FLAGS.is_parsed() else ():
    experiment = apply_override(experiment, override)
  return experiment.validate(), minatar5.get_topology()


def member_config(variant: Variant, seed: int, run_dir: str):
  """One student of `variant`: every variant the same but for lambda_k."""
  from acme_kickstart.agents.kickstarting.schedules import LambdaSchedule  # pylint: disable=g-import-not-at-top
  experiment, _ = base_config()
  decay_fraction = (FLAGS.linear_decay_fraction
                    if variant.decay_fraction is None
                    else variant.decay_fraction)
  schedule = {
      'linear': LambdaSchedule('linear', decay_env_steps=max(
          1, int(decay_fraction * FLAGS.budget)),
                               final_fraction=variant.final_fraction),
      'gated': LambdaSchedule('gated'), 'pbt': LambdaSchedule('pbt'),
  }.get(variant.schedule, LambdaSchedule('constant'))
  cost = (FLAGS.distillation_cost if variant.distillation_cost is None
          else variant.distillation_cost)
  # The paper's variants train without the distillation replay that
  # configs/minatar5.py turns on; a variant's own overrides may add it.
  agent = dataclasses.replace(
      experiment.agent, distillation_costs=(cost,),
      distillation_schedule=schedule, distillation_replay_ratio=0)
  overrides = {}
  if variant.single_teacher:
    # The gate shuts lambda_k at this teacher's own level; PBT's fitness and
    # the report still score on the experts, as the paper's PBT did on its
    # suite's score, whatever the teacher.
    overrides = dict(
        teachers={t: FLAGS.single_teacher for t in experiment.tasks},
        teacher_levels=student_export.task_returns(FLAGS.single_teacher))
  if variant.schedule == 'scratch':
    agent = dataclasses.replace(agent, distillation_costs=(0.0,))
    overrides['teachers'] = {}
  return dataclasses.replace(
      experiment, agent=with_agent_overrides(agent, variant.agent_overrides),
      seed=seed, run=dataclasses.replace(
          experiment.run, max_env_steps=FLAGS.budget, run_dir=run_dir,
          evaluator_period_seconds=5.0, evaluator_episodes_per_task=4),
      **overrides)


def launch_one(variant: Variant, seed: int):
  """Trains one run under local_mp and waits for it (in a child process)."""
  from acme_kickstart.experiments import launching  # pylint: disable=g-import-not-at-top
  from acme_kickstart.experiments import program as program_lib  # pylint: disable=g-import-not-at-top
  from acme_kickstart.pbt import program as pbt_program  # pylint: disable=g-import-not-at-top
  from acme_kickstart.pbt.config import PBTConfig  # pylint: disable=g-import-not-at-top
  run_dir = run_dir_of(variant, seed)
  _, topology = base_config()
  if variant.schedule == 'pbt':
    # Members' seeds are spawned from `seed` (pbt/program.py).
    config = PBTConfig(member=member_config(variant, seed, run_dir),
                       population_size=FLAGS.population_size, run_dir=run_dir,
                       seed=seed, ready_env_steps=min(100_000,
                                                      FLAGS.budget // 5),
                       controller_period_seconds=15.0, fitness_rounds=3)
    program = pbt_program.make_pbt_program(config, topology)
    resources = pbt_program.make_local_resources(topology)
  else:
    program = program_lib.make_program(
        member_config(variant, seed, run_dir), topology)
    resources = launching.make_local_resources(topology)
  launching.launch_and_wait(program, 'local_mp', local_resources=resources,
                            terminal='output_to_files')


# ------------------------------------------------------------------- running
def run_dir_of(variant: Variant, seed: int) -> str:
  return run_dirs.join(run_dirs.resolve(FLAGS.run_dir), variant.name,
                       f'seed_{seed}')


def member_dirs(variant: Variant, seed: int) -> List[str]:
  run_dir = run_dir_of(variant, seed)
  if variant.schedule == 'pbt':
    return [run_dirs.join(run_dir, f'member_{i}')
            for i in range(FLAGS.population_size)]
  return [run_dir]


def finished(variant: Variant, seed: int) -> bool:
  return records.finished(run_dir_of(variant, seed))


def final_evaluation(variant: Variant, seed: int) -> dict:
  """The run's final_eval.json (final_evaluation.py)."""
  from benchmarks.kickstarting import final_evaluation as final_lib  # pylint: disable=g-import-not-at-top
  run_dir = run_dir_of(variant, seed)
  return final_lib.evaluate_run(
      member_config(variant, seed, run_dir), run_dir,
      member_dirs(variant, seed), seed, FLAGS.final_episodes,
      FLAGS.selection_episodes, pbt=variant.schedule == 'pbt')


def _child(variant: Variant, seed: int, mode: str, env: Dict[str, str]):
  """This script again, with the user's flags, for one run's `mode`."""
  subprocess.run([sys.executable, '-m', 'benchmarks.kickstarting.run',
                  *sys.argv[1:], f'--{mode}={variant.name}:{seed}'],
                 env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2', **env),
                 cwd=ROOT, stdout=subprocess.DEVNULL)


def relative_to_repository(argument: str) -> str:
  """A flag's absolute path, relative to the repository: a recorded command
  that runs from any checkout."""
  flag, sep, value = argument.partition('=')
  if sep and os.path.isabs(value):
    return f'{flag}={os.path.relpath(value, ROOT)}'
  return argument


def check_package_root():
  """A run's commit is this checkout's: its package must be the one imported
  here and by every Launchpad worker (which inherit PYTHONPATH)."""
  import acme_kickstart  # pylint: disable=g-import-not-at-top
  package = os.path.dirname(os.path.abspath(acme_kickstart.__file__))
  if os.path.dirname(package) != ROOT:
    raise SystemExit(
        f'acme_kickstart is imported from {package}, not from this checkout '
        f'({ROOT}), so the runs would not run the commit they record. Run '
        f'with PYTHONPATH={ROOT}.')


def run_all(variants: List[Variant], seeds: List[int]):
  check_package_root()
  commit = provenance.git_commit(ROOT)
  for seed in seeds:  # Seed by seed: early seeds give every variant.
    for variant in variants:
      if finished(variant, seed):
        continue
      run_dir = run_dir_of(variant, seed)
      run_dirs.makedirs(run_dir)
      records.check_launch_commit(run_dir, commit)
      resumed = any(curves.actor_steps(d) for d in member_dirs(variant, seed))
      print(f'== {variant.name} seed {seed}: {FLAGS.budget:,} env steps per '
            f'student -> {run_dir}' + (' (resumed)' if resumed else ''),
            flush=True)
      # Launchpad writes worker logs with open(): local disk only.
      workers = (os.path.join(ROOT, 'runs', 'bench_workers', variant.name,
                              f'seed_{seed}') if run_dirs.is_remote(run_dir)
                 else os.path.join(run_dir, 'workers'))
      start = time.time()
      if min(curves.actor_steps(d) for d in member_dirs(variant, seed)
             ) < FLAGS.budget:
        _child(variant, seed, 'only', {'LAUNCHPAD_LOGGING_DIR': workers})
      # Judged by its logs, not its exit code: Launchpad may SIGKILL a launcher
      # whose workers were slow to stop after the run had finished. What
      # counts is that every student's actors reached the budget.
      steps = [curves.actor_steps(d) for d in member_dirs(variant, seed)]
      if min(steps) < FLAGS.budget:
        raise RuntimeError(
            f'{variant.name} seed {seed} ended at {min(steps):,.0f} env steps,'
            f' short of {FLAGS.budget:,}: see the worker logs in {workers}.')
      trained = time.time()
      train_seconds = records.add_train_seconds(run_dir, trained - start)
      # On CPU: the next run's learner may need the whole GPU.
      _child(variant, seed, 'final_eval', {'CUDA_VISIBLE_DEVICES': ''})
      if not run_dirs.exists(run_dirs.join(run_dir, records.FINAL_EVAL)):
        raise RuntimeError(
            f'The final evaluation of {run_dir} failed: rerun with '
            f'--final_eval={variant.name}:{seed} to see why.')
      records.write_json(run_dirs.join(run_dir, records.DONE), {
          'variant': variant.name, 'seed': seed, 'git_commit': commit,
          'overrides': list(FLAGS.override),
          'single_teacher': (os.path.relpath(os.path.abspath(
              FLAGS.single_teacher), ROOT) if variant.single_teacher
                             else None),
          'budget_env_steps': FLAGS.budget, 'env_steps': steps,
          'resumed': resumed, 'machine': provenance.machine(),
          'wall_seconds': {'train': round(train_seconds, 1),
                           'final_eval': round(time.time() - trained, 1)}})
      print(f'   done in {time.time() - start:.0f} s', flush=True)


def main(_):
  logging.set_verbosity(logging.WARNING)  # rliable logs every bootstrap.
  parse = lambda name: parse_variant(name, FLAGS.extension_schedule,
                                     FLAGS.extension_replay_ratio)
  for mode, action in (('only', launch_one), ('final_eval', final_evaluation)):
    if getattr(FLAGS, mode):
      name, seed = getattr(FLAGS, mode).rsplit(':', 1)
      action(parse(name), int(seed))
      return
  try:
    variants = list({v.name: v for v in map(parse, FLAGS.variants)}.values())
    for variant in variants if not FLAGS.aggregate_only else []:
      with_agent_overrides(KickstartingConfig(), variant.agent_overrides)
    if any(v.single_teacher for v in variants):
      student_export.check_teacher_dir(FLAGS.single_teacher)
  except ValueError as e:  # Before anything launches.
    raise SystemExit(str(e)) from e
  extension = (parse('extension').name if 'extension' in FLAGS.variants
               else None)
  seeds = list(range(FLAGS.first_seed, FLAGS.first_seed + FLAGS.seeds))
  start = time.time()
  if not FLAGS.aggregate_only:
    run_all(variants, seeds)
  report = aggregate_lib.aggregate(
      variants, seeds, run_dir_of, FLAGS.budget, extension,
      FLAGS.single_teacher, FLAGS.bootstrap_reps)
  report['command'] = ' '.join(['python', '-m', 'benchmarks.kickstarting.run']
                               + [relative_to_repository(a)
                                  for a in sys.argv[1:]])
  report['machine'] = provenance.machine()
  report['wall_seconds_total_runs'] = records.total_wall_seconds(
      d for v in variants
      for d in aggregate_lib.finished_runs(v, seeds, run_dir_of))
  if not FLAGS.aggregate_only:
    report['wall_seconds_this_invocation'] = round(time.time() - start, 1)
  tables = markdown.markdown(report)
  print(tables)
  report['plots'] = {k: os.path.relpath(p, ROOT) for k, p in
                     aggregate_lib.plot(report, variants, seeds, run_dir_of,
                                        FLAGS.output).items()}
  if FLAGS.records_to:
    for variant in variants:
      for seed in seeds:
        if finished(variant, seed):
          records.export_run(run_dir_of(variant, seed), os.path.join(
              FLAGS.records_to, variant.name, f'seed_{seed}'))
  path = records.write_json(os.path.join(FLAGS.output, 'kickstarting.json'),
                            report)
  with open(os.path.join(FLAGS.output, 'kickstarting.md'), 'w') as f:
    f.write(tables)  # The README's tables.
  print(f'Wrote {path}, kickstarting.md and '
        f'{", ".join(report["plots"].values())}')


if __name__ == '__main__':
  app.run(main)
