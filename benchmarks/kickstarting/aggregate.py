"""The kickstarting benchmark's report from its finished runs.

Two studies share one set of runs, one commit and one scratch: the variants
kickstarted from the five experts are the headline study (report.py); the
'small_' variants, kickstarted from the one small teacher, are the paper's
Table 2 setting, summarised as the report's `single_teacher` block
(single_teacher.py). Every score is normalised by the experts.
"""

import os
from typing import Callable, Dict, List, Optional

from acme_kickstart.analysis import plotting
from acme_kickstart.environments import minatar
from acme_kickstart.experiments import student_export
from benchmarks.kickstarting import pbt_lambdas
from benchmarks.kickstarting import records
from benchmarks.kickstarting import report as report_lib
from benchmarks.kickstarting import single_teacher as single_teacher_lib
from benchmarks.kickstarting.variants import Variant
from configs import minatar5

RunDirOf = Callable[[Variant, int], str]


def finished_runs(variant: Variant, seeds: List[int],
                  run_dir_of: RunDirOf) -> List[str]:
  return [run_dir_of(variant, s) for s in seeds
          if records.finished(run_dir_of(variant, s))]


def aggregate(variants: List[Variant], seeds: List[int], run_dir_of: RunDirOf,
              budget: float, extension: Optional[str],
              single_teacher: Optional[str], reps: int) -> dict:
  """kickstarting.json's content (less the command and the plots)."""
  tasks, high = list(minatar.GAMES), minatar5.teacher_scores()
  suite = minatar.make_suite()
  low = {t: suite.random_score(t) for t in tasks}
  runs = {v.name: [report_lib.read_run(d, tasks, low, high, budget)
                   for d in finished_runs(v, seeds, run_dir_of)]
          for v in variants}
  # One commit over both studies: scratch is theirs in common.
  commit = records.check_one_commit(
      {f'{name}/seed_{r["seed"]}': r['git_commit']
       for name, rs in runs.items() for r in rs})
  report = report_lib.summarise(
      {v.name: runs[v.name] for v in variants if not v.single_teacher}, tasks,
      low, high, budget, extension=extension, reps=reps)
  report['git_commit'] = commit  # The experts' runs may be none of them.
  # Over both studies' runs (the summary above has the experts' only).
  report['final_checkpoints'] = report_lib.final_checkpoints(
      {name: rs for name, rs in runs.items() if rs}, budget)
  small = {v.table2_name: runs[v.name] for v in variants
           if v.single_teacher and runs[v.name]}
  if small:
    if not single_teacher:
      raise ValueError("The 'small_' variants' report needs --single_teacher,"
                       ' the teacher they were kickstarted from.')
    scores = {name: report_lib.final_scores(rs, tasks, low, high)
              for name, rs in small.items()}
    teacher = single_teacher_lib.teacher_score(
        student_export.task_returns(single_teacher), tasks, low, high)
    scratch = report['variants'].get('scratch')
    block = single_teacher_lib.summarise(
        scores, teacher, reps=reps,
        scratch=scratch['final']['iqm']['point'] if scratch else None)
    block['seeds'] = sorted({r['seed'] for rs in small.values() for r in rs})
    block['score_at_budget_fraction'] = {
        name: report_lib.score_at_budget_fraction(rs)
        for name, rs in small.items()}
    block['runs_per_variant'] = {name: len(rs) for name, rs in small.items()}
    pbt_runs = small.get('pbt', [])
    if pbt_runs:  # The member's env steps and its population's, side by side.
      block['pbt_env_steps'] = {
          'member': sum(r['env_steps_member'] for r in pbt_runs)
                    / len(pbt_runs),
          'population': sum(r['env_steps_population'] for r in pbt_runs)
                        / len(pbt_runs)}
    report['single_teacher'] = block
  # Whether PBT lowered lambda as the paper's did, in both studies.
  pbt_dirs = {v.name: finished_runs(v, seeds, run_dir_of) for v in variants
              if v.schedule == 'pbt'}
  report['pbt_lambdas'] = {name: pbt_lambdas.summarise(dirs, budget)
                           for name, dirs in pbt_dirs.items() if dirs}
  return report


def plot(report: dict, variants: List[Variant], seeds: List[int],
         run_dir_of: RunDirOf, output: str) -> Dict[str, str]:
  """The report's PNGs beside kickstarting.json; PBT's lambdas per variant
  from its first finished seed."""
  out = lambda name: os.path.join(output, f'kickstarting_{name}.png')
  paths = {
      'curves': plotting.plot_curves_with_ci(report, out('curves')),
      'curves_mean': plotting.plot_curves_with_ci(report, out('curves_mean'),
                                                  'mean'),
      'performance_profiles': plotting.plot_performance_profiles(
          report, out('performance_profiles')),
      'probability_of_improvement': plotting.plot_probability_of_improvement(
          report, out('probability_of_improvement'))}
  for variant in variants:
    done = finished_runs(variant, seeds, run_dir_of)
    if variant.schedule == 'pbt' and done:
      paths[f'{variant.name}_lambdas'] = plotting.plot_lambdas(
          done[0], out(f'{variant.name}_lambdas'))
  return paths
