"""The baseline search's tables, as baseline.md holds them: every
configuration, the choice and its confirmation, the kickstarted students,
and the per-game returns beside our teachers and published MinAtar agents."""


def markdown(summary: dict) -> str:
  tasks = summary['tasks']
  compute = summary['compute']
  lines = [f'MinAtar-5, {summary["budget_env_steps"]:,} env steps per student '
           f'(one multi-task student, 600k per game), tuning seeds, commit '
           f'`{summary["git_commit"]}`; {compute["runs"]} runs, '
           f'{compute["env_steps"] / 1e6:.0f}M env steps, '
           f'{compute["hours"]:.1f} h of wall time on 2 cores (training and '
           'final evaluations).', '',
           '| configuration | settings | seeds | final IQM [95% CI] | final '
           'mean [95% CI] | ' + ' | '.join(tasks) + ' |',
           '| --- | --- | --- | ---: | ---: |' + ' ---: |' * len(tasks)]
  for row in sorted(summary['searched'], key=lambda r: -r['iqm']):
    settings = ', '.join(s.split('.', 1)[-1] for s in row['settings']) or (
        'as in the headline study')
    lines.append(
        f'| {row["config"]} | {settings} | {len(row["seeds"])} | '
        f'{row["iqm"]:.1f} {_ci(row["ci"], row)} | {row["mean"]:.1f} '
        f'{_ci(row["mean_ci"], row)} | ' +
        ' | '.join(f'{row["returns"][t]:.2f}' for t in tasks) + ' |')
  chosen = summary['chosen']
  if chosen is None:
    lines += ['', f'Nothing chosen: no configuration has every seed of '
              f'{summary["choice_seeds"]} yet.']
  else:
    on_choice = chosen['on_choice_seeds']
    lines += ['', f'Chosen: **{chosen["config"]}**, the best IQM on seeds '
              f'{summary["choice_seeds"]} ({on_choice["iqm"]:.1f} '
              f'{_ci(on_choice["ci"])}).']
  confirmation = summary['confirmation']
  if confirmation:
    p = confirmation['probability_of_improvement']
    lines += ['', f'Confirmation on seeds {confirmation["seeds"]}, which '
              'chose nothing:', '',
              '| configuration | final IQM [95% CI] | final mean [95% CI] |',
              '| --- | ---: | ---: |']
    for name, row in ((chosen['config'], confirmation['x']),
                      ('previous', confirmation['y'])):
      lines.append(f'| {name} | {row["iqm"]:.1f} {_ci(row["ci"], row)} | '
                   f'{row["mean"]:.1f} {_ci(row["mean_ci"], row)} |')
    ratio = confirmation['iqm_ratio']
    apart = {True: 'apart', False: 'overlap',
             None: 'not comparable (one run a side)'}[confirmation['cis_apart']]
    lines += ['', f'IQM ratio {"n/a" if ratio is None else f"{ratio:.2f}"}, '
              f'CIs {apart}, P({chosen["config"]} > previous) = {p["p"]:.2f} '
              f'[{p["ci"][0]:.2f}, {p["ci"][1]:.2f}].']
  if summary['kickstarted']:
    lines += ['', 'Kickstarted students, under each configuration\'s settings:',
              '', '| variant | settings | seeds | final IQM [95% CI] | final '
              'mean [95% CI] | ' + ' | '.join(tasks) + ' |',
              '| --- | --- | --- | ---: | ---: |' + ' ---: |' * len(tasks)]
    for row in summary['kickstarted']:
      lines.append(
          f'| {row["variant"]} | {row["config"]} | {len(row["seeds"])} | '
          f'{row["iqm"]:.1f} {_ci(row["ci"], row)} | {row["mean"]:.1f} '
          f'{_ci(row["mean_ci"], row)} | ' +
          ' | '.join(f'{row["returns"][t]:.2f}' for t in tasks) + ' |')
  lines += ['', anchors_table(summary)]
  return '\n'.join(lines) + '\n'


def anchors_table(summary: dict) -> str:
  """Returns per game: our scratch students (chosen and previous, mean over
  their seeds), our teachers, and the published anchors with their budgets."""
  tasks = summary['tasks']
  per_game = summary['budget_env_steps'] // len(tasks)
  rows = []
  for name, row in (('chosen', summary['chosen']),
                    ('previous', summary['previous'])):
    if row is not None:
      label = row.get('config', 'previous')
      rows.append((f'our scratch, {label} (seeds {_seeds(row["seeds"])})',
                   f'{per_game // 1000}k', row['returns']))
  budgets = summary['teacher_budgets']
  rows.append(('our teachers (alone on their game)',
               f'{min(budgets.values()) // 1000}k-'
               f'{max(budgets.values()) / 1e6:.1f}M', summary['teachers']))
  for anchor in summary['anchors']:
    steps = anchor['env_steps']
    rows.append((anchor['name'] + ('' if anchor['exact'] else ' (read off '
                                   'a figure)'),
                 f'{steps / 1e6:.1f}M' if steps >= 1e6 else
                 f'{steps // 1000}k', anchor['returns']))
  lines = ['| | env steps per game | ' + ' | '.join(tasks) + ' |',
           '|---|---:|' + '---:|' * len(tasks)]
  for label, steps, returns in rows:
    lines.append(f'| {label} | {steps} | ' + ' | '.join(
        '—' if returns.get(t) is None else f'{returns[t]:.2f}'
        for t in tasks) + ' |')
  return '\n'.join(lines)


def _seeds(seeds) -> str:
  return (f'{seeds[0]}-{seeds[-1]}' if seeds == list(range(seeds[0],
                                                          seeds[-1] + 1))
          else ', '.join(map(str, seeds)))


def _ci(ci, row=None) -> str:
  """'[low, high]'; '(1 seed)' for one run, which resamples to itself."""
  if row is not None and len(row['seeds']) < 2:
    return '(1 seed)'
  return f'[{ci[0]:.1f}, {ci[1]:.1f}]'
