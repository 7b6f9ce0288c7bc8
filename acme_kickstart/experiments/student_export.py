"""A trained student as a teacher: its last learner checkpoint as a snapshot.

The paper's Table 2 kickstarts a large student from one small multi-task
agent trained before it. Here that agent is a student of this project: its
run's newest learner checkpoint becomes an acme snapshot (SavedModel) that
`Teacher.from_snapshot` loads for every task it was trained on, beside a
teacher.json with its per-task evaluation returns, the gate's and the
normalisation's reference scores (`task_returns`).
"""

import json
import os
from typing import Dict, Mapping, Optional, Sequence

from acme.tf import savers as tf2_savers
import numpy as np
import tensorflow as tf

from acme_kickstart.experiments import evaluation
from acme_kickstart.experiments.config import ExperimentConfig

TEACHER_JSON = 'teacher.json'


def export_student(experiment: ExperimentConfig, run_dir: str, output: str,
                   final_returns: Optional[Mapping[str, Sequence[float]]],
                   **provenance: str) -> Dict[str, object]:
  """Writes `run_dir`'s student (built as `experiment` builds it) to
  `output` as a snapshot and teacher.json; returns teacher.json's content.

  `final_returns`: the run's final evaluation (episode returns per task, as
  final_eval.json holds them); None plays one (30 episodes per task).
  `provenance` (e.g. command, git_commit) goes into teacher.json as it is.
  """
  network, env_steps = evaluation.restore_network(experiment, run_dir)
  if final_returns is None:
    final_returns = evaluation.evaluate_checkpoint(
        experiment, episodes_per_task=30, run_dir=run_dir)['returns']
  missing = sorted(set(experiment.tasks) - set(final_returns))
  if missing:
    raise ValueError(f'The final evaluation of {run_dir} has no returns for '
                     f'{missing}: evaluate the run on every task of the '
                     'experiment (or pass none, and one is played).')
  tf.saved_model.save(tf2_savers.make_snapshot(network), output)
  record = {
      'tasks': list(experiment.tasks),
      'task_returns': {t: float(np.mean(final_returns[t]))
                       for t in experiment.tasks},
      'episodes_per_task': {t: len(final_returns[t])
                            for t in experiment.tasks},
      'env_steps': env_steps,
      'network': experiment.network,
      'network_kwargs': dict(experiment.network_kwargs),
      'source_run': os.path.abspath(run_dir),
      **provenance,
  }
  with open(os.path.join(output, TEACHER_JSON), 'w') as f:
    json.dump(record, f, indent=1)
  return record


def check_teacher_dir(directory: str):
  """One clear error unless `directory` holds an exported student."""
  if not os.path.exists(os.path.join(directory, TEACHER_JSON)):
    raise ValueError(
        f'{directory} holds no {TEACHER_JSON}: pass the directory that '
        'launch.export_student wrote (--output), e.g. teachers/minatar5_small.')


def task_returns(directory: str) -> Dict[str, float]:
  """An exported student's evaluation return per task (its teacher.json)."""
  check_teacher_dir(directory)
  with open(os.path.join(directory, TEACHER_JSON)) as f:
    return json.load(f)['task_returns']
