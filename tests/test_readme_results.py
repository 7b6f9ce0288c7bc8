"""The README's results table is the study's own, row for row: a table
copied by hand drifts from the report it quotes."""

import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEADING = '**Both experiments against the paper**'


def _table_rows(text):
  """The rows of the first markdown table in `text`."""
  rows, started = [], False
  for line in text.splitlines():
    if line.startswith('|'):
      started = True
      rows.append(line.strip())
    elif started:
      break
  return rows


def test_the_readme_quotes_the_studys_table_of_both_experiments():
  report_path = os.path.join(ROOT, 'results', 'kickstarting',
                             'kickstarting.md')
  with open(report_path) as f:
    report = f.read()
  with open(os.path.join(ROOT, 'README.md')) as f:
    readme = f.read()
  study_rows = _table_rows(report[report.index(HEADING):])
  results = readme[readme.index('## Results'):]
  readme_rows = _table_rows(results)
  assert len(study_rows) == 9, study_rows  # Header, rule, 3 A rows, 4 B rows.
  assert readme_rows == study_rows, (
      'README.md\'s Results table differs from results/kickstarting/'
      'kickstarting.md\'s "Both experiments against the paper"; copy it '
      'after re-running the aggregate.')
