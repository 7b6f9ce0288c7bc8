"""The kickstarting report's tables, in Markdown, beside the paper's numbers.

The one rendering of a report: the benchmark prints it and writes it to
results/kickstarting/kickstarting.md, which the README's Results section
quotes, so its tables are the JSON's numbers and nothing typed by hand.
Every score is teacher-normalised (0 random, 100 teacher).
"""

from typing import List, Optional

from benchmarks.kickstarting import report as report_lib

PAPER = report_lib.PAPER  # Schmitt et al. (2018), Tables 1-3.


def _ci(estimate: Optional[dict], key: str = 'point', fmt: str = '.1f') -> str:
  if not estimate or estimate.get(key) is None:
    return '—'
  low, high = estimate['ci']
  return f'{estimate[key]:{fmt}} [{low:{fmt}}, {high:{fmt}}]'


def _steps(steps, ratio=None) -> str:
  if not steps:
    return 'not reached'
  text = f'{steps / 1e6:.2f}M' if steps >= 1e6 else f'{steps / 1e3:,.0f}k'
  return text + (f' ({ratio:.1f}×)' if ratio else '')


def _table(header: List[str], rows: List[List[str]]) -> List[str]:
  align = ['---'] + ['---:'] * (len(header) - 1)
  return ['| ' + ' | '.join(header) + ' |', '| ' + ' | '.join(align) + ' |'
          ] + ['| ' + ' | '.join(row) + ' |' for row in rows]


def claims(out: dict) -> List[str]:
  """The paper's four claims and ours, one row each."""
  return _table(['claim (target)', 'paper (DMLab-30)', 'ours (MinAtar-5)'],
                _claim_rows(out))


def _claim_rows(out: dict) -> List[List[str]]:
  best = out.get('best_variant')
  schedule = out.get('scheduled_beats_constant') or {}
  rows = [
      ['steps to scratch\'s final score, scratch ÷ kickstarted (≥ 10)',
       f'{PAPER["frames_to_50"]["ratio"]}× (score 50: 0.85B vs 8.14B frames)',
       _ratio(out.get('best_step_ratio')) + f' ({best}' + (
           f'; {_ratio(out["best_step_ratio_population"])} on its '
           "population's env steps)" if out.get('best_step_ratio_population')
           else ')')],
      ['final score over scratch (≥ +42%)',
       f'+{100 * PAPER["at_10B_frames"]["gain"]:.1f}% (73.8 vs 51.9)',
       _gain(out.get('best_final_gain'), out.get('best_final_gain_ci'))
       + f' ({best}' + _population(out.get(
           'best_population_env_steps_factor')) + ')'],
      ['games where the student ends above its teacher (≥ 3 of 5)',
       # The paper counts no games above the experts; its students-above-
       # teacher figure is the small teacher's (experiment B's row).
       'not counted (one small teacher: 56.9 vs 39.7)',
       f'{out.get("games_student_beats_teacher", 0):.1f} per seed; '
       f'{out.get("games_mean_return_beats_teacher", 0)} on the seed mean'
       f' ({best})'],
      ['P(scheduled λ > constant λ) (> 0.5, CI above 0.5)',
       'one small teacher: linear 60.8, PBT 56.9 vs constant 41.2',
       (f'{_ci(schedule, "p", fmt=".2f")} ({schedule.get("variant")})'
        if schedule else '—')],
  ]
  return rows


def _population(factor) -> str:
  return f'; its population took {factor:.1f}× the env steps' if factor else ''


def _over(over: dict) -> str:
  return (f'{over["ratio"]:.2f}× [{over["ci"][0]:.2f}, {over["ci"][1]:.2f}]'
          f' ({over["variant"]})')


def _ratio(value) -> str:
  return f'{value:.1f}×' if value else 'not reached'


def _gain(gain, ci) -> str:
  if gain is None:
    return '—'
  return f'{100 * gain:+.0f}% [{100 * ci[0]:+.0f}%, {100 * ci[1]:+.0f}%]'


def scores(out: dict) -> List[str]:
  """The paper's Tables 1 and 3: scores over the budget, final evaluation."""
  rows, fractions = [], []
  for name, v in out['variants'].items():
    at = v['score_at_budget_fraction']
    fractions = sorted(at, key=float)
    improvement = v.get('improvement_over', {})
    rows.append([name] + [f'{at[k]:.1f}' for k in sorted(at, key=float)] + [
        _ci(v['final']['iqm']), _ci(v['final']['mean']),
        _gain((v.get('final_gain') or {}).get('gain'),
              (v.get('final_gain') or {}).get('ci'))
        if name != 'scratch' else '—',
        _ci(improvement.get('scratch'), 'p', fmt='.2f'),
        _ci(improvement.get('constant'), 'p', fmt='.2f')])
  return _table(['variant'] + [f'{100 * float(f):g}%' for f in fractions[:-1]]
                + [f'{100 * float(fractions[-1]):g}% of the budget'] + [
                 'final IQM [95% CI]', 'final mean [95% CI]',
                 'IQM gain over scratch', 'P(> scratch)', 'P(> constant)'],
                rows)


STEP_TARGETS = ('scratch_final', 'scratch_curve_end', 'half_teacher',
                'teacher')


def steps_to_reach(out: dict) -> List[str]:
  rows = []
  for name, v in out['variants'].items():
    ratio = v.get('step_ratio', {})
    rows.append([name] + [_steps(v['steps_to'].get(k), ratio.get(k))
                          for k in STEP_TARGETS])
    if 'steps_to_population' in v:  # PBT: the population's env steps too.
      ratio = v['step_ratio_population']
      rows.append([f'{name} (population\'s env steps)'] + [
          _steps(v['steps_to_population'].get(k), ratio.get(k))
          for k in STEP_TARGETS])
  return _table(['variant', "scratch's final IQM (the headline's)",
                 "scratch's IQM curve at the budget",
                 '50 (half the teachers)', '100 (the teachers)'], rows)


def per_game(out: dict) -> List[str]:
  """Mean final return over seeds [95% CI]; bold where the CI is above."""
  names = list(out['variants'])
  rows = []
  for task in out['tasks']:
    cells = []
    for name in names:
      game = out['variants'][name]['per_game'][task]
      cell = _ci(game['student'], fmt='.2f')
      cells.append(f'**{cell}**' if game['ci_above_teacher'] else cell)
    rows.append([task, f'{out["teachers"][task]:.2f}'] + cells)
  return _table(['game', 'teacher'] + names, rows)


def pbt(out: dict) -> List[str]:
  lines = []
  for name, v in out['variants'].items():
    if 'population_mean_selection_score' not in v:
      continue
    runs = v['runs']
    member = sum(r['env_steps_member'] for r in runs) / len(runs)
    population = sum(r['env_steps_population'] for r in runs) / len(runs)
    lines.append(
        f'`{name}`: the member chosen per seed {[r["pbt"]["member"] for r in runs]}'
        f' (selection evaluation, other seeds); {member / 1e6:.2f}M env steps '
        f'for that member, {population / 1e6:.2f}M for the whole population; '
        'the population\'s mean selection score '
        f'{v["population_mean_selection_score"]:.1f} against the chosen '
        f'member\'s final mean {v["final"]["mean"]["point"]:.1f} (both '
        'means over games; the selection\'s capped at 200 per game).')
  return lines


def table1(out: dict) -> List[str]:
  """The paper's Table 1 beside ours: IQM of the evaluator curves at 5, 10,
  20 and 100% of the budget (the paper's 0.5B, 1B, 2B and 10B frames)."""
  fractions = report_lib.TABLE1_FRACTIONS
  paper = PAPER['table1']
  variants = out['variants']
  block = out.get('single_teacher') or {}
  small = block.get('score_at_budget_fraction', {})
  small_best = ('pbt' if 'pbt' in small else
                (block.get('student_over_teacher') or {}).get('variant'))
  ours = [('scratch', 'scratch', variants.get('scratch', {}).get(
              'score_at_budget_fraction')),
          ('one expert per task', out.get('best_variant'),
           variants.get(out.get('best_variant'), {}).get(
               'score_at_budget_fraction')),
          ('one small teacher (PBT)',
           f'small_{small_best}' if small_best else '—', small.get(small_best))]
  rows = []
  for label, name, at in ours:
    rows.append([f'paper: {label}'] + [f'{v}' for v in paper[label]])
    rows.append([f'ours: {name}'] + ([f'{at[f]:.1f}' for f in fractions]
                                     if at else ['—'] * len(fractions)))
  return _table(['', '5%', '10%', '20%', '100% of the budget'], rows)


def paper_vs_ours(out: dict) -> List[str]:
  """Both experiments' findings in one table (the README's): A, one expert
  per game; B, one small teacher (the report's `single_teacher` block)."""
  rows = ([[f'A: {row[0]}'] + row[1:] for row in _claim_rows(out)[:3]]
          if out.get('best_variant') else [])
  block = out.get('single_teacher') or {}
  over = block.get('pbt_over_teacher')
  if over:
    rows.append(['B: the PBT student over its teacher (≥ 1.43×, CI above 1)',
                 f'{over["paper"]:.2f}× (56.9 vs 39.7)', _over(over)])
  over = block.get('student_over_teacher')
  if over:
    rows.append([f'B: the best of {", ".join(over["candidates"])} over its '
                 'teacher, chosen on these seeds',
                 f'{over["paper"]:.2f}× (linear: 60.8 vs 39.7)', _over(over)])
  linear = block.get('linear_beats_constant')
  if linear:
    rows.append(['B: P(linear 1→0 by 20% > constant 1) (> 0.5, CI above 0.5)',
                 '60.8 vs 41.2', _ci(linear, 'p', fmt='.2f')])
  if block.get('order_against_paper'):
    rows.append(["B: Table 2's order, row by row", 'its ranks',
                 '; '.join(block['order_against_paper'])])
  return _table(['finding (target)', 'paper (DMLab-30)', 'ours (MinAtar-5)'],
                rows)


def markdown(out: dict) -> str:
  """Every table of the report, Markdown, headed by its commit and seeds."""
  lines = [f'MinAtar-5, {out["budget_env_steps"] / 1e6:g}M env steps per '
           f'student, seeds {out["seeds"]}, commit `{out["git_commit"]}`.']
  runs = {name: len(v['runs']) for name, v in out['variants'].items()}
  if len(set(runs.values())) > 1:  # An unfinished study says how far it is.
    lines.append('Finished runs per variant: ' + ', '.join(
        f'{name} {n}' for name, n in runs.items()) + '.')
  lines += checkpoints(out)
  if out['variants']:  # The experts' study (a Table 2 run may have none).
    lines += [''] + experts(out)
  if 'single_teacher' in out:
    lines += [''] + single_teacher(out['single_teacher'])
    lines += ['', '**Both experiments against the paper** (the README\'s '
              'table)', ''] + paper_vs_ours(out)
  if out.get('pbt_lambdas'):
    lines += ['', '**PBT\'s λ over the budget** (mean λ_k over members and '
              'games, then over seeds [lowest, highest seed]; linear\'s is 0 '
              'from 20%)', ''] + lambdas(out['pbt_lambdas'])
  return '\n'.join(lines) + '\n'


def lambdas(blocks: dict) -> List[str]:
  fractions = next(iter(blocks.values()))['fractions']
  return _table(
      ['variant'] + [f'{100 * f:g}%' for f in fractions[:-1]]
      + ['100% of the budget'],
      [[name] + [f'{m:.2f} [{lo:.2f}, {hi:.2f}]' for m, lo, hi in zip(
          b['mean_lambda'], b['min_over_runs'], b['max_over_runs'])]
       for name, b in blocks.items()])


def checkpoints(out: dict) -> List[str]:
  """Which checkpoints the final evaluations read, when some are short."""
  saved = out.get('final_checkpoints')
  if not saved or not saved['short']:
    return []
  return [f'Final evaluations read each run\'s last checkpoint, saved at '
          f'{saved["min"]:.0%}–{saved["max"]:.0%} of the budget (median '
          f'{saved["median"]:.0%}); {len(saved["short"])} of {saved["runs"]} '
          f'runs below {report_lib.SHORT_CHECKPOINT_FRACTION:.0%}: ' + ', '.join(
              f'{run} {f:.0%}' for run, f in saved['short'].items()) + '.']


def experts(out: dict) -> List[str]:
  """The one-expert-per-game study's tables (the report's headline keys)."""
  candidates = [v for v in out['variants'] if v in report_lib.HEADLINE]
  lines = ["**The paper's claims and ours** (the best by final IQM of "
           f'{", ".join(candidates)}, chosen on these seeds; each variant\'s '
           'own rows are in the tables below)', ''] + claims(out)
  if 'extension' in out:
    extension = out['extension']
    lines += ['', f'**Our extension** (`{extension["variant"]}`, '
              'reported apart):', ''] + claims(extension)
    own = extension.get('beats_its_schedule')
    if own:
      lines += ['', f'P(`{extension["variant"]}` > `{own["variant"]}`, its '
                f'schedule without the replay) = {_ci(own, "p", fmt=".2f")}']
  lines += ['', "**The paper's Table 1 beside ours** (IQM of the evaluator "
            'curves; the paper: DMLab-30 at 0.5B, 1B, 2B and 10B frames)', ''
            ] + table1(out)
  lines += ['', '**Score over the budget** (IQM curve of the evaluator; '
            'final: a separate 30-episode-per-game evaluation of the last '
            'checkpoint)', ''] + scores(out)
  lines += ['', '**Env steps for the IQM curve to reach**', ''
            ] + steps_to_reach(out)
  lines += ['', '**Final return per game**, mean over seeds [95% CI] '
            '(bold: the CI is above the teacher)', ''] + per_game(out)
  population = pbt(out)
  return lines + ([''] + population if population else [])


def single_teacher(block: dict) -> List[str]:
  """Table 2 row by row beside the paper's, and the student over its one
  teacher."""
  lines = [f'**One small teacher** (the paper\'s Table 2; seeds '
           f'{block.get("seeds")}): the teacher scores '
           f'{block["teacher_score"]:.1f} on the experts\' scale (the '
           f'paper\'s: {block["paper_teacher_score"]}).', '']
  versus_scratch = 'teacher_over_scratch' in block
  ratio = lambda x: '—' if x is None else f'{x:.2f}×'
  lines += _table(
      ['variant', 'final IQM [95% CI]', 'final mean', 'over the teacher',
       'paper', 'paper over its teacher'] + (
           ['over scratch', 'paper over scratch'] if versus_scratch else []),
      [[r['variant'], f'{r["iqm"]:.1f} [{r["ci"][0]:.1f}, {r["ci"][1]:.1f}]',
        f'{r["mean"]:.1f}', f'{r["over_teacher"]:.2f}×',
        '—' if r['paper'] is None else f'{r["paper"]}',
        ratio(r.get('paper_over_teacher'))]
       + ([ratio(r['over_scratch']), ratio(r['paper_over_scratch'])]
          if versus_scratch else [])
       for r in block['table2']])
  lines.append('')  # The table ends here.
  runs = block.get('runs_per_variant') or {}
  if len(set(runs.values())) > 1:  # An unfinished study says how far it is.
    lines.append('- Finished runs per variant: ' + ', '.join(
        f'{name} {n}' for name, n in runs.items()) + '.')
  if versus_scratch:
    regime = block['teacher_over_scratch']
    lines.append(f'- The teacher over scratch\'s final IQM on these seeds: '
                 f'{regime["ratio"]:.2f}× (the paper\'s: '
                 f'{regime["paper"]:.2f}×, 39.7 vs 51.9).')
  over = block.get('pbt_over_teacher')
  if over:
    lines.append(f'- The PBT student over its teacher: {_over(over)} (the '
                 f'paper\'s: {over["paper"]:.2f}×).')
  over = block.get('student_over_teacher')
  if over:
    lines.append(f'- The best scheduled student, chosen on these seeds, over '
                 f'its teacher: {_over(over)} (the paper\'s best row: '
                 f'{over["paper"]:.2f}×).')
  for key, name in (('linear_beats_constant', 'linear'),
                    ('pbt_beats_constant', 'pbt')):
    if key in block:
      lines.append(f'- P({name} > constant) = {_ci(block[key], "p", ".2f")}.')
  if block.get('order_against_paper'):
    lines.append('- Rank by final IQM, ours against the paper\'s: '
                 + '; '.join(block['order_against_paper']) + '.')
  steps = block.get('pbt_env_steps')
  if steps:
    lines.append(f'- PBT: {steps["member"] / 1e6:.2f}M env steps for the chosen'
                 f' member, {steps["population"] / 1e6:.2f}M for its '
                 'population.')
  return lines
