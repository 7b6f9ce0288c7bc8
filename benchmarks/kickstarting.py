"""The paper's headline on MinAtar-5: kickstarting against learning from scratch.

  python benchmarks/kickstarting.py            # every run, then the results
  python benchmarks/kickstarting.py --aggregate_only

Four variants of one multi-task student (configs/minatar5.py's network and
agent, 1 actor of 32 environments playing all five games), each for the same
env-step budget and `--seeds` seeds, every run a Launchpad local_mp program:
  scratch   no teachers (plain IMPALA);
  constant  the five shipped teachers, lambda_k = --distillation_cost throughout;
  annealed  the same lambda_k, annealed linearly to 0 over the budget;
  pbt       a population of --population_size students whose lambda_k,
            learning rate and entropy cost PBT schedules; the member with the
            best final score stands for the seed (what PBT hands over).
A run's curve is its evaluator's returns; its score is the mean over the five
games of 100 * (return - random) / (teacher - random), each capped at 200%.
A run's final score is the mean of its last 3 evaluation rounds.

Writes results/kickstarting.json (curves, finals, per-game table, and the keys
best_step_ratio, best_final_gain, games_student_beats_teacher),
results/kickstarting_curves.png and results/kickstarting_pbt_lambdas.png, and
prints the tables. Runs already finished under --run_dir are not re-run.
"""

import dataclasses
import json
import os
import platform
import subprocess
import sys
import time
from typing import Dict, List, Optional

from absl import app
from absl import flags
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from acme_kickstart import plotting  # pylint: disable=g-import-not-at-top
from acme_kickstart import results
from acme_kickstart import run_dirs
from acme_kickstart.agents.kickstarting.schedules import LambdaSchedule
from acme_kickstart.config_files import load_config
from acme_kickstart.pbt.config import PBTConfig

VARIANTS = ('scratch', 'constant', 'annealed', 'pbt')
CAP = 200.0  # Per-game cap of the normalised score (as PBT's fitness).
FINAL_ROUNDS = 3

flags.DEFINE_integer('budget', 500_000, 'Env steps per student.')
flags.DEFINE_integer('seeds', 3, 'Seeds per variant.')
flags.DEFINE_list('variants', list(VARIANTS), 'Variants to run.')
flags.DEFINE_float('distillation_cost', 1.0,
                   'lambda_k of the constant and annealed variants.')
flags.DEFINE_integer('population_size', 4, 'PBT members per seed.')
flags.DEFINE_string('run_dir', os.path.join(ROOT, 'runs', 'bench_kickstarting'),
                    'Where the runs go.')
flags.DEFINE_string('output', os.path.join(ROOT, 'results'),
                    'Where kickstarting.json and the PNGs go.')
flags.DEFINE_boolean('aggregate_only', False, 'Only read finished runs.')
flags.DEFINE_string('only', None, 'Internal: launch the one run <variant>:<seed>.')
FLAGS = flags.FLAGS


# ------------------------------------------------------------------ configs
def base_config():
  return load_config(os.path.join(ROOT, 'configs', 'minatar5.py'))


def member_config(variant: str, seed: int, run_dir: str):
  """One student of `variant`, identical across variants but for lambda_k."""
  config = base_config()
  agent = dataclasses.replace(config.agent, seed=seed, num_envs_per_actor=32,
                              distillation_costs=(FLAGS.distillation_cost,))
  overrides = {}
  if variant == 'scratch':
    agent = dataclasses.replace(agent, distillation_costs=(0.0,))
    overrides['teachers'] = {}
  elif variant == 'annealed':
    agent = dataclasses.replace(agent, distillation_schedule=LambdaSchedule(
        'linear', decay_env_steps=FLAGS.budget))
  return dataclasses.replace(
      config, agent=agent, num_actors=1, actor_tasks=None,
      max_env_steps=FLAGS.budget, run_dir=run_dir,
      evaluator_period_seconds=5.0, evaluator_episodes_per_task=4,
      fitness_rounds=FINAL_ROUNDS, **overrides)


def pbt_config(seed: int, run_dir: str) -> PBTConfig:
  member = member_config('constant', seed * 100, run_dir)
  member = dataclasses.replace(member, agent=dataclasses.replace(
      member.agent, distillation_schedule=LambdaSchedule('pbt')))
  return PBTConfig(member=member, population_size=FLAGS.population_size,
                   run_dir=run_dir, seed=seed,
                   # A fifth of the budget (100k of 500k): PBTConfig says why.
                   ready_env_steps=max(FLAGS.budget // 5, 1),
                   controller_period_seconds=15.0)


def run_dir_of(variant: str, seed: int) -> str:
  return run_dirs.join(run_dirs.resolve(FLAGS.run_dir), variant,
                       f'seed_{seed}')


def member_dirs(variant: str, seed: int) -> List[str]:
  run_dir = run_dir_of(variant, seed)
  if variant == 'pbt':
    return [run_dirs.join(run_dir, f'member_{i}')
            for i in range(FLAGS.population_size)]
  return [run_dir]


# ------------------------------------------------------------------ running
def launch_one(variant: str, seed: int):
  """Launches one run under local_mp and waits for it (child process)."""
  from acme_kickstart.agents.kickstarting import program as program_lib  # pylint: disable=g-import-not-at-top
  from acme_kickstart.pbt import program as pbt_program  # pylint: disable=g-import-not-at-top
  run_dir = run_dir_of(variant, seed)
  if variant == 'pbt':
    config = pbt_config(seed, run_dir)
    program = pbt_program.make_pbt_program(config)
    resources = pbt_program.make_local_resources(config)
  else:
    config = member_config(variant, seed, run_dir)
    program = program_lib.make_program(config)
    resources = program_lib.make_local_resources(config)
  program_lib.launch_and_wait(program, 'local_mp', local_resources=resources,
                              terminal='output_to_files')


def finished(variant: str, seed: int) -> bool:
  return run_dirs.exists(run_dirs.join(run_dir_of(variant, seed), 'DONE.json'))


def git_commit() -> str:
  """HEAD's commit, '+dirty' if tracked files differ from it."""
  head = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=ROOT, text=True,
                        capture_output=True).stdout.strip() or 'unknown'
  dirty = subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no'],
                         cwd=ROOT, text=True, capture_output=True).stdout
  return head + ('+dirty' if dirty.strip() else '')


def run_all(variants, seeds):
  commit = git_commit()
  for seed in range(seeds):  # Seed by seed: early seeds give every variant.
    for variant in variants:
      if finished(variant, seed):
        continue
      run_dir = run_dir_of(variant, seed)
      print(f'== {variant} seed {seed}: {FLAGS.budget:,} env steps per student '
            f'-> {run_dir}', flush=True)
      run_dirs.makedirs(run_dir)
      # Launchpad writes worker logs with open(): local disk only.
      workers = (os.path.join(ROOT, 'runs', 'bench_workers', variant,
                              f'seed_{seed}')
                 if run_dirs.is_remote(run_dir) else
                 os.path.join(run_dir, 'workers'))
      env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL='2',
                 LAUNCHPAD_LOGGING_DIR=workers)
      start = time.time()
      subprocess.run(
          [sys.executable, os.path.abspath(__file__), f'--only={variant}:{seed}',
           f'--budget={FLAGS.budget}',
           f'--run_dir={run_dirs.resolve(FLAGS.run_dir)}',
           f'--distillation_cost={FLAGS.distillation_cost}',
           f'--population_size={FLAGS.population_size}'],
          env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
      # Judged by its logs, not its exit code: Launchpad may SIGKILL a launcher
      # whose workers were slow to stop after the run had finished. What
      # counts is that every student's actors reached the budget.
      steps = [results.actor_steps(d) for d in member_dirs(variant, seed)]
      if min(steps) < FLAGS.budget:
        raise RuntimeError(
            f'{variant} seed {seed} ended at {min(steps):,.0f} env steps, short '
            f'of {FLAGS.budget:,}: see the worker logs in {workers}.')
      with run_dirs.open(run_dirs.join(run_dir, 'DONE.json'), 'w') as f:
        json.dump({'wall_seconds': round(time.time() - start, 1),
                   'env_steps': steps, 'git_commit': commit}, f)
      print(f'   done in {time.time() - start:.0f} s', flush=True)


# ------------------------------------------------------------------ results
def run_score(run_dir: str, tasks, teachers) -> dict:
  """One student's curve (mean normalised score per round) and its finals."""
  curve = results.read_curve(run_dir, tasks)
  # A PBT member that finishes early keeps training until the last one does:
  # only rounds within the budget count (a round may end just past it).
  within = curve.env_steps <= 1.05 * FLAGS.budget
  curve = results.Curve(curve.env_steps[within],
                        {t: r[within] for t, r in curve.returns.items()})
  scores = results.mean_normalized_curve(curve, teachers, CAP)
  return {'env_steps': curve.env_steps.tolist(), 'score': scores.tolist(),
          'final_score': float(np.nanmean(scores[-FINAL_ROUNDS:])),
          'final_returns': curve.final_returns(FINAL_ROUNDS)}


def smoothed_on_grid(run: dict, grid: np.ndarray) -> np.ndarray:
  """A run's score, each round averaged with its two neighbours, on `grid`.

  Centred, so a rising curve is not delayed (a trailing mean would move every
  crossing later, and most for the fastest learners).
  """
  steps, score = np.array(run['env_steps']), np.array(run['score'])
  keep = ~np.isnan(score)
  steps, score = steps[keep], score[keep]
  smooth = np.array([score[max(0, i - 1):i + 2].mean()
                     for i in range(len(score))])
  return np.interp(grid, steps, smooth)


def steps_to_reach(grid: np.ndarray, curve: np.ndarray,
                   target: float) -> Optional[float]:
  """First env step where `curve` reaches `target` (linear between points)."""
  above = np.nonzero(curve >= target)[0]
  if not above.size:
    return None
  i = above[0]
  if i == 0:
    return float(grid[0])
  x0, x1, y0, y1 = grid[i - 1], grid[i], curve[i - 1], curve[i]
  return float(x0 + (target - y0) * (x1 - x0) / (y1 - y0))


def aggregate(variants, seeds) -> dict:
  config = base_config()
  tasks, teachers = list(config.tasks), dict(config.reference_scores)
  grid = np.linspace(FLAGS.budget / 100, FLAGS.budget, 100)
  out = {'budget_env_steps': FLAGS.budget, 'teachers': teachers,
         'normalisation': '100 * (return - random) / (teacher - random), '
                          f'capped at {CAP:.0f}% per game, mean over games',
         'variants': {}}
  for variant in variants:
    runs = []
    for seed in range(seeds):
      if not finished(variant, seed):
        continue
      members = [run_score(d, tasks, teachers)
                 for d in member_dirs(variant, seed)]
      best = int(np.argmax([m['final_score'] for m in members]))
      run = dict(members[best], seed=seed)
      with run_dirs.open(run_dirs.join(run_dir_of(variant, seed),
                                       'DONE.json')) as f:
        done = json.load(f)
      run['wall_seconds'] = done['wall_seconds']
      run['git_commit'] = done.get('git_commit', 'unrecorded')
      if variant == 'pbt':
        run['member'] = best
        run['population_final_scores'] = [m['final_score'] for m in members]
      runs.append(run)
    if not runs:
      continue
    on_grid = np.stack([smoothed_on_grid(r, grid) for r in runs])
    finals = [r['final_score'] for r in runs]
    out['variants'][variant] = {
        'seeds': runs,
        'grid_env_steps': grid.tolist(),
        'mean_curve': on_grid.mean(0).tolist(),
        'std_curve': on_grid.std(0).tolist(),
        'final_score_mean': float(np.mean(finals)),
        'final_score_std': float(np.std(finals)),
        'final_returns_mean': {
            t: float(np.mean([r['final_returns'][t] for r in runs]))
            for t in tasks}}
  commits = sorted({r['git_commit'] for v in out['variants'].values()
                    for r in v['seeds']})
  if len(commits) > 1:
    raise ValueError(
        f'The runs under {FLAGS.run_dir} come from several commits {commits}: '
        'one table never mixes commits. Re-run the stale ones (delete their '
        'DONE.json) or aggregate each commit from its own --run_dir.')
  out['git_commit'] = commits[0] if commits else None
  if 'scratch' not in out['variants']:
    return out
  scratch = out['variants']['scratch']
  target = scratch['final_score_mean']
  # Scratch reaches its own final by the end of its budget, whether or not its
  # smoothed curve touches the mean of its last rounds earlier.
  scratch_steps = (steps_to_reach(grid, np.array(scratch['mean_curve']), target)
                   or float(FLAGS.budget))
  for name, variant in out['variants'].items():
    steps = (scratch_steps if name == 'scratch' else
             steps_to_reach(grid, np.array(variant['mean_curve']), target))
    variant['steps_to_scratch_final'] = steps
    variant['step_ratio'] = (scratch_steps / steps if steps else None)
    variant['final_gain'] = (variant['final_score_mean'] / target - 1.0
                             if target > 0 else None)
    variant['games_beating_teacher'] = [
        t for t in tasks if variant['final_returns_mean'][t] > teachers[t]]
  kick = {n: v for n, v in out['variants'].items() if n != 'scratch'}
  ratios = [v['step_ratio'] for v in kick.values() if v['step_ratio']]
  gains = [v['final_gain'] for v in kick.values() if v['final_gain'] is not None]
  out['best_step_ratio'] = max(ratios) if ratios else None
  out['best_final_gain'] = max(gains) if gains else None
  best = max(kick, key=lambda n: kick[n]['final_score_mean']) if kick else None
  out['best_variant'] = best
  out['games_student_beats_teacher'] = (
      len(kick[best]['games_beating_teacher']) if best else 0)
  return out


def print_tables(out: dict):
  variants = out['variants']
  print(f'\nMinAtar-5, {out["budget_env_steps"]:,} env steps per student, '
        'mean normalised score (0% random, 100% teacher; capped at 200% per '
        'game)')
  print(f'{"variant":<10}{"seeds":>6}{"final score":>18}{"gain":>9}'
        f'{"steps to scratch final":>24}{"ratio":>8}')
  for name, v in variants.items():
    steps = v.get('steps_to_scratch_final')
    ratio = v.get('step_ratio')
    gain = v.get('final_gain')
    print(f'{name:<10}{len(v["seeds"]):>6}'
          f'{v["final_score_mean"]:>11.1f} ± {v["final_score_std"]:<5.1f}'
          f'{(f"{100 * gain:+.0f}%" if gain is not None else "-"):>9}'
          f'{(f"{steps:,.0f}" if steps else "not reached"):>24}'
          f'{(f"{ratio:.1f}x" if ratio else "-"):>8}')
  print('\nFinal return per game (mean over seeds) against the teacher')
  print(f'{"game":<16}{"teacher":>9}' +
        ''.join(f'{n:>10}' for n in variants))
  for task, teacher in out['teachers'].items():
    print(f'{task:<16}{teacher:>9.2f}' + ''.join(
        f'{v["final_returns_mean"][task]:>10.2f}' for v in variants.values()))
  print(f'\nbest_step_ratio={out.get("best_step_ratio")} '
        f'best_final_gain={out.get("best_final_gain")} '
        f'games_student_beats_teacher={out.get("games_student_beats_teacher")} '
        f'(best variant: {out.get("best_variant")})')


def plot(out: dict) -> Dict[str, str]:
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use('Agg')
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  os.makedirs(FLAGS.output, exist_ok=True)
  fig, ax = plt.subplots(figsize=(6.5, 4))
  for i, (name, v) in enumerate(out['variants'].items()):
    grid = np.array(v['grid_env_steps'])
    mean, std = np.array(v['mean_curve']), np.array(v['std_curve'])
    ax.plot(grid, mean, color=f'C{i}',
            label=f'{name} ({len(v["seeds"])} seeds)')
    ax.fill_between(grid, mean - std, mean + std, color=f'C{i}', alpha=0.2)
  ax.axhline(100.0, color='k', ls='--', lw=0.8, label='teachers')
  plotting.steps_axis(ax)
  ax.set_xlabel('env steps (all five games together)')
  ax.set_ylabel('mean normalised score (%)')
  ax.set_title('MinAtar-5: kickstarting vs scratch (mean ± std over seeds)')
  ax.legend(fontsize='small')
  fig.tight_layout()
  paths = {'curves': os.path.join(FLAGS.output, 'kickstarting_curves.png')}
  fig.savefig(paths['curves'], dpi=100)
  plt.close(fig)
  if 'pbt' in out['variants']:
    seed = out['variants']['pbt']['seeds'][0]['seed']
    paths['pbt_lambdas'] = plotting.plot_lambdas(
        run_dir_of('pbt', seed),
        os.path.join(FLAGS.output, 'kickstarting_pbt_lambdas.png'))
  return paths


def main(_):
  if FLAGS.only:
    variant, seed = FLAGS.only.split(':')
    launch_one(variant, int(seed))
    return
  unknown = sorted(set(FLAGS.variants) - set(VARIANTS))
  if unknown:
    raise SystemExit(f'Unknown variants {unknown}; choose from {VARIANTS}.')
  start = time.time()
  if not FLAGS.aggregate_only:
    run_all(FLAGS.variants, FLAGS.seeds)
  out = aggregate(FLAGS.variants, FLAGS.seeds)
  path = os.path.join(FLAGS.output, 'kickstarting.json')
  out['command'] = ' '.join(['python'] + sys.argv)
  if FLAGS.aggregate_only and os.path.exists(path):
    # Re-reading finished runs: keep the command and time that produced them.
    with open(path) as f:
      previous = json.load(f)
    for key in ('command', 'wall_seconds_this_invocation'):
      if key in previous:
        out[key] = previous[key]
    out['aggregated_by'] = ' '.join(['python'] + sys.argv)
  out['machine'] = {'platform': platform.platform(),
                    'cpu_count': os.cpu_count(),
                    'processor': platform.processor()}
  out['wall_seconds_total_runs'] = sum(
      r['wall_seconds'] for v in out['variants'].values() for r in v['seeds'])
  if not FLAGS.aggregate_only:
    out['wall_seconds_this_invocation'] = round(time.time() - start, 1)
  print_tables(out)
  out['plots'] = {k: os.path.relpath(p, ROOT) for k, p in plot(out).items()}
  os.makedirs(FLAGS.output, exist_ok=True)
  with open(path, 'w') as f:
    json.dump(out, f, indent=1)
  print(f'Wrote {path} and {", ".join(out["plots"].values())}')


if __name__ == '__main__':
  app.run(main)
