"""The kickstarting benchmark's report: statistics and headline keys.

Reads finished runs (records.py's records beside each run's logs) and turns
them into the JSON of results/kickstarting/kickstarting.json (markdown.py
renders its tables).
A run's score on a game is its final evaluation's mean return, normalised
between random play (0) and the game's teacher (100), uncapped; aggregates
over runs x games are the IQM and the mean with 95% stratified bootstrap CIs
(statistics.py). Nothing here knows how runs are configured or launched.
"""

from typing import List, Mapping, Optional, Sequence

import numpy as np

from acme_kickstart.analysis import curves as curves_lib
from acme_kickstart.analysis import statistics
from acme_kickstart.utils import run_dirs
from benchmarks.kickstarting import records

# Schmitt et al. (2018), DMLab-30, median human-normalised score; shown beside
# ours for shape only (our suite, teachers and budgets differ).
PAPER = {
    'frames_to_50': {'scratch': 8.14e9, 'kickstarted': 0.85e9, 'ratio': 9.58},
    'at_10B_frames': {'scratch': 51.9, 'kickstarted': 73.8, 'gain': 0.422},
    'single_teacher': {'teacher': 39.7, 'student': 56.9, 'gain': 0.43},
    'schedules': {'constant': 41.2, 'linear': 60.8, 'pbt': 56.9},
    # Table 1: score at 0.5B, 1B, 2B and 10B frames (5, 10, 20, 100%).
    'table1': {'scratch': (24.1, 31.1, 37.5, 51.9),
               'one expert per task': (44.8, 51.0, 61.3, 73.8),
               'one small teacher (PBT)': (37.4, 39.4, 42.4, 56.9)},
}
TABLE1_FRACTIONS = ('0.05', '0.1', '0.2', '1.0')
PAPER_FAITHFUL = ('constant', 'linear', 'gated', 'pbt')
# The headline's candidates: the paper's schedules, and the recent
# literature's decay to a floor (Wolczyk et al., 2024, on NetHack).
HEADLINE = PAPER_FAITHFUL + ('linear_floor10',)
SCHEDULED = ('linear', 'gated', 'pbt')
BUDGET_FRACTIONS = (0.05, 0.1, 0.2, 0.5, 1.0)  # The paper's Table 1: 5-20%.
GRID_POINTS = 100


def budget_grid(budget: float) -> np.ndarray:
  """Env steps 1%, 2%, ..., 100% of the budget (holds every BUDGET_FRACTION)."""
  return np.arange(1, GRID_POINTS + 1) * budget / GRID_POINTS


def read_run(run_dir: str, tasks: Sequence[str], low: Mapping[str, float],
             high: Mapping[str, float], budget: float) -> dict:
  """One finished run: its records, final returns and normalised curve."""
  done = records.read_json(run_dirs.join(run_dir, records.DONE))
  final = records.read_json(run_dirs.join(run_dir, records.FINAL_EVAL))
  member_dir = run_dirs.join(run_dir, final.get('member_dir', '.'))
  env_steps = done['env_steps']
  run = {
      'seed': done['seed'], 'git_commit': done['git_commit'],
      'wall_seconds': done['wall_seconds'], 'machine': done['machine'],
      'env_steps_member': env_steps[final.get('member') or 0],
      'env_steps_population': float(np.sum(env_steps)),
      'final_returns': {t: float(np.mean(final['returns'][t])) for t in tasks},
      'final_eval': {k: final[k] for k in ('episodes_per_game', 'seed',
                                           'learner_env_steps') if k in final},
      'curve': curves_lib.normalised_curve_on_grid(
          member_dir, tasks, low, high, budget_grid(budget), budget)}
  if final.get('selection'):
    run['pbt'] = dict(final['selection'], member=final['member'])
  return run


def score_at_budget_fraction(runs: List[dict]) -> dict:
  """The IQM over runs x tasks of the evaluator curves at BUDGET_FRACTIONS."""
  curves = np.stack([r['curve'] for r in runs])  # (runs, tasks, points)
  return {str(f): float(statistics.AGGREGATES['iqm'](
      curves[:, :, round(f * GRID_POINTS) - 1])) for f in BUDGET_FRACTIONS}


def final_scores(runs: List[dict], tasks, low, high) -> np.ndarray:
  return statistics.normalised_scores(
      {t: [r['final_returns'][t] for r in runs] for t in tasks}, low, high,
      tasks)


def summarise(runs: Mapping[str, List[dict]], tasks: Sequence[str],
              low: Mapping[str, float], high: Mapping[str, float],
              budget: float, extension: Optional[str] = None,
              reps: int = 2000) -> dict:
  """The report of finished `runs` (variant -> read_run records)."""
  runs = {v: sorted(r, key=lambda run: run['seed'])
          for v, r in runs.items() if r}
  commit = records.check_one_commit(
      {f'{v}/seed_{r["seed"]}': r['git_commit']
       for v, rs in runs.items() for r in rs})
  grid = budget_grid(budget)
  scores = {v: final_scores(rs, tasks, low, high) for v, rs in runs.items()}
  out = {'budget_env_steps': budget, 'tasks': list(tasks),
         'teachers': dict(high), 'random': dict(low), 'git_commit': commit,
         'seeds': sorted({r['seed'] for rs in runs.values() for r in rs}),
         'normalisation': '100 * (final-evaluation mean return - random) / '
                          '(teacher - random) per game, uncapped; IQM and mean '
                          'over runs x games, 95% stratified bootstrap CIs',
         'grid_env_steps': grid.tolist(), 'variants': {}}
  for name, variant_runs in runs.items():
    curves = statistics.curve_estimates(
        np.stack([r['curve'] for r in variant_runs]), reps=max(reps // 4, 100))
    per_game = {}
    for i, task in enumerate(tasks):
      student = statistics.mean_with_ci(
          [r['final_returns'][task] for r in variant_runs], reps=reps)
      per_game[task] = {'student': student, 'teacher': high[task],
                        'beats_teacher': student['point'] > high[task],
                        'ci_above_teacher': student['ci'][0] > high[task]}
    out['variants'][name] = {
        'runs': [dict({k: v for k, v in r.items() if k != 'curve'},
                      final_score=float(np.mean(scores[name][i])))
                 for i, r in enumerate(variant_runs)],
        'final': statistics.aggregate_estimates(scores[name], reps=reps),
        'per_game': per_game,
        'games_beating_teacher': [t for t in tasks
                                  if per_game[t]['beats_teacher']],
        # Per seed: how many games its final returns put above the teacher.
        'games_beating_teacher_per_seed': [
            sum(r['final_returns'][t] > high[t] for t in tasks)
            for r in variant_runs],
        'curve': curves,
        'score_at_budget_fraction': score_at_budget_fraction(variant_runs),
        'improvement_over': {
            base: statistics.probability_of_improvement(
                scores[name], scores[base], reps=reps)
            for base in ('scratch', 'constant')
            if base in scores and name not in ('scratch', base)}}
    if name.startswith('pbt'):
      out['variants'][name]['population_mean_selection_score'] = float(
          np.mean([np.mean(r['pbt']['scores']) for r in variant_runs]))
  out['performance_profiles'] = statistics.performance_profiles(
      scores, np.linspace(0.0, max([200.0] + [
          float(s.max()) for s in scores.values()]), 41), reps=reps)
  _add_steps_to_reach(out, grid)
  if 'scratch' in scores:
    for name, variant in out['variants'].items():
      gain = statistics.relative_gain(scores[name], scores['scratch'], 'iqm',
                                      reps=reps)
      variant['final_gain'] = gain
  out.update(_headline(out, scores, [v for v in HEADLINE if v in runs],
                       reps))
  if extension in runs:
    # Against constant (no replay) its gain would be the replay's as much as
    # its schedule's: it is set against its own schedule below instead.
    out['extension'] = dict(
        _headline(out, scores, [extension], reps, against_constant=False),
        variant=extension, seeds=out['seeds'], budget_env_steps=budget)
    base = extension.split('_replay')[0]
    if base in scores:
      out['extension']['beats_its_schedule'] = dict(
          statistics.probability_of_improvement(
              scores[extension], scores[base], reps=reps), variant=base)
  return out


# A last checkpoint further than this from the budget missed the learner's
# save at the program's end (the learner also saves once a minute).
SHORT_CHECKPOINT_FRACTION = 0.98


def final_checkpoints(runs: Mapping[str, List[dict]], budget: float) -> dict:
  """Where in the budget each run's evaluated checkpoint was saved: the
  final evaluation reads the last one, which should be at the budget."""
  fractions = {f'{v}/seed_{r["seed"]}':
               r['final_eval'].get('learner_env_steps', budget) / budget
               for v, rs in runs.items() for r in rs}
  values = list(fractions.values())
  if not values:
    return {'runs': 0, 'short': {}}
  return {'min': min(values), 'median': float(np.median(values)),
          'max': max(values), 'runs': len(values),
          'short': {k: f for k, f in sorted(fractions.items())
                    if f < SHORT_CHECKPOINT_FRACTION}}


def _add_steps_to_reach(out: dict, grid: np.ndarray):
  """Env steps at which each variant's IQM curve reaches scratch's final IQM
  (final evaluation), scratch's IQM curve at the budget, half the teachers
  (50) and the teachers (100); scratch's ratio to each."""
  variants = out['variants']
  scratch = variants.get('scratch')
  targets = {'half_teacher': 50.0, 'teacher': 100.0}
  if scratch:
    targets['scratch_final'] = scratch['final']['iqm']['point']
    # The paper's measure reads target and crossing off one kind of curve
    # (score 50, where its scratch ends at 51.9): scratch's curve at the end.
    targets['scratch_curve_end'] = scratch['curve']['iqm']['point'][-1]
  for name, variant in variants.items():
    curve = np.array(variant['curve']['iqm']['point'])
    variant['steps_to'] = {
        key: statistics.steps_to_reach(grid, curve, target)
        for key, target in targets.items()}
  if not scratch:
    return
  # Scratch reaches its own final by the end of its budget, whether or not its
  # smoothed curve touches its final-evaluation IQM earlier.
  scratch['steps_to']['scratch_final'] = (
      scratch['steps_to']['scratch_final'] or float(grid[-1]))
  for variant in variants.values():
    variant['step_ratio'] = _ratios(scratch['steps_to'], variant['steps_to'])
    # A PBT member inherits weights the whole population trained: its curve
    # and ratios again on the population's env steps (member's x factor).
    pbt_runs = [r for r in variant['runs'] if 'pbt' in r]
    if pbt_runs:
      factor = float(np.mean([r['env_steps_population'] / r['env_steps_member']
                              for r in pbt_runs]))
      variant['population_env_steps_factor'] = factor
      variant['curve_env_steps_population'] = (grid * factor).tolist()
      variant['steps_to_population'] = {
          key: steps * factor if steps else None
          for key, steps in variant['steps_to'].items()}
      variant['step_ratio_population'] = _ratios(
          scratch['steps_to'], variant['steps_to_population'])


def _ratios(scratch_steps: Mapping[str, float],
            steps_to: Mapping[str, Optional[float]]) -> dict:
  return {key: (scratch_steps[key] / steps
                if steps and scratch_steps[key] else None)
          for key, steps in steps_to.items()}


def _headline(out: dict, scores: Mapping[str, np.ndarray],
              candidates: List[str], reps: int,
              against_constant: bool = True) -> dict:
  """The summary keys for the best of `candidates` (by final IQM), and
  P(the best scheduled one > constant) when `against_constant`."""
  variants = out['variants']
  kicked = [v for v in candidates if v != 'scratch']
  if not kicked:
    return {}
  best = max(kicked, key=lambda v: variants[v]['final']['iqm']['point'])
  gain = variants[best].get('final_gain', {'gain': None, 'ci': None})
  headline = {
      'best_variant': best,
      'best_step_ratio': variants[best].get('step_ratio', {}).get(
          'scratch_final'),
      # For a PBT variant best_step_ratio counts the chosen member's env
      # steps; this counts the population's (None for other variants).
      'best_step_ratio_population': variants[best].get(
          'step_ratio_population', {}).get('scratch_final'),
      'best_final_gain': gain['gain'], 'best_final_gain_ci': gain['ci'],
      # PBT's chosen member ends on its population's data: how much more
      # than scratch's it took (None for other variants).
      'best_population_env_steps_factor': variants[best].get(
          'population_env_steps_factor'),
      # The reading: a count per seed, averaged over seeds.
      'games_student_beats_teacher': float(np.mean(
          variants[best]['games_beating_teacher_per_seed'])),
      'games_mean_return_beats_teacher': len(
          variants[best]['games_beating_teacher']),
      'seeds': out['seeds'], 'budget_env_steps': out['budget_env_steps']}
  scheduled = [v for v in kicked if v.split('_replay')[0] in SCHEDULED]
  if against_constant and scheduled and 'constant' in scores:
    top = max(scheduled, key=lambda v: variants[v]['final']['iqm']['point'])
    headline['scheduled_beats_constant'] = dict(
        statistics.probability_of_improvement(scores[top], scores['constant'],
                                              reps=reps), variant=top)
  return headline
