"""What an experiment config builds beyond the agent: suite, environments,
network and teachers (acme's ExperimentConfig factories).

Shared by the single-process runner and the Launchpad program, so both build
the same things from the same `ExperimentConfig`.
"""

import os
from typing import Dict, Optional, Sequence, Tuple

from acme import specs
from acme.tf import utils as tf2_utils
import dm_env
import sonnet as snt

from acme_kickstart import networks
from acme_kickstart.environments import base as suite_base
from acme_kickstart.environments import get_suite
from acme_kickstart.experiments.config import ExperimentConfig
from acme_kickstart.teachers import specs as teacher_specs
from acme_kickstart.teachers import Teacher, TeacherSet
from acme_kickstart.utils import run_dirs

MODES = ('train', 'test')


def make_suite(experiment: ExperimentConfig) -> suite_base.Suite:
  return get_suite(experiment.suite, **experiment.suite_kwargs)


def make_network(experiment: ExperimentConfig,
                 num_actions: Optional[int] = None) -> snt.RNNCore:
  """The student network (variables not yet created: see build_network).

  With PopArt, its value head has one (normalised) output per task.
  """
  if num_actions is None:
    num_actions = make_suite(experiment).num_actions
  kwargs = dict(experiment.network_kwargs)
  if experiment.agent.popart:
    kwargs['num_values'] = len(experiment.tasks)
  return networks.BY_NAME[experiment.network](num_actions, **kwargs)


def build_network(network: snt.RNNCore,
                  spec: specs.EnvironmentSpec) -> snt.RNNCore:
  """Creates the network's variables for the suite's observations."""
  tf2_utils.create_variables(network, [spec.observations])
  return network


def make_environment(experiment: ExperimentConfig, task: str,
                     seed: Optional[int] = None,
                     mode: str = 'train') -> dm_env.Environment:
  """One environment of the suite; its task id is the task's index.

  Actors use mode 'train'; the evaluator 'test', which a suite with its own
  test protocol honours (DMLab-30: IMPALA's held-out `_test` levels); other
  suites play the same environment in both modes.
  """
  if mode not in MODES:
    raise ValueError(f'Unknown mode {mode!r}: use one of {MODES}.')
  env = make_suite(experiment).make_environment(
      task, task_id=list(experiment.tasks).index(task), seed=seed, mode=mode)
  if experiment.previous_action_reward:
    from acme_kickstart.environments import wrappers  # pylint: disable=g-import-not-at-top
    env = wrappers.PreviousActionReward(env)
  return env


def environment_spec(experiment: ExperimentConfig) -> specs.EnvironmentSpec:
  """The suite's spec, known without building an environment.

  The replay and learner nodes need only the spec, so their hosts need no
  simulator (no deepmind_lab on a DMLab-30 learner). A test checks it equals
  every suite's real environment spec.
  """
  suite = make_suite(experiment)
  observations = suite.observation_spec()
  if experiment.previous_action_reward:
    from acme_kickstart.environments import wrappers  # pylint: disable=g-import-not-at-top
    observations = wrappers.with_previous_action_reward(observations,
                                                        suite.num_actions)
  return specs.EnvironmentSpec(
      observations=observations,
      actions=suite_base.action_spec(suite.num_actions),
      rewards=suite_base.reward_spec(), discounts=suite_base.discount_spec())


def _check_snapshots_exist(experiment: ExperimentConfig, tasks: Sequence[str]):
  """One clear error for a missing teacher snapshot (local or scheme:// path)."""
  for task in tasks:
    directory = teacher_specs.as_spec(experiment.teachers[task]).snapshot
    if teacher_specs.is_onnx(directory):
      if not os.path.isfile(os.path.expanduser(directory)):
        raise FileNotFoundError(
            f'The teacher of task {task!r} has no ONNX model at '
            f'{directory!r}. Export the policy to that file '
            '(docs/teachers.md), or remove it from the config to train that '
            'task without a teacher.')
      continue
    path = run_dirs.join(run_dirs.resolve(directory), 'saved_model.pb')
    if not run_dirs.exists(path):
      raise FileNotFoundError(
          f'The teacher of task {task!r} has no snapshot at {directory!r} '
          '(no saved_model.pb). Train it with python -m launch.train_teacher '
          f'--game={task} --output={directory} (or `make teachers`), or '
          'remove it from the config to train that task without a teacher.')


def load_teachers(experiment: ExperimentConfig,
                  tasks: Optional[Sequence[str]] = None) -> Optional[TeacherSet]:
  """Loads the teacher of each task in `tasks` (default: all) that has one."""
  wanted = [t for t in (tasks or experiment.tasks) if t in experiment.teachers]
  if not wanted:
    return None
  _check_snapshots_exist(experiment, sorted(set(wanted)))
  spec = environment_spec(experiment)
  teachers = {}
  for task in sorted(set(wanted)):
    teacher_spec = teacher_specs.as_spec(experiment.teachers[task])
    load = (Teacher.from_onnx if teacher_specs.is_onnx(teacher_spec.snapshot)
            else Teacher.from_snapshot)
    try:
      teachers[list(experiment.tasks).index(task)] = load(
          teacher_spec.snapshot, name=f'{task}_teacher',
          **teacher_specs.teacher_options(teacher_spec,
                                          make_suite(experiment), task))
    except ValueError as e:
      raise ValueError(f'The teacher of task {task!r} '
                       f'({teacher_spec.snapshot}): {e}') from e
  return TeacherSet(teachers, len(experiment.tasks), spec.actions.num_values,
                    spec.observations, task_names=experiment.tasks)


def check_teacher_snapshots(experiment: ExperimentConfig):
  """Fails fast, before anything launches, if a teacher cannot be used.

  A missing snapshot, one TF cannot load, or a teacher that does not fit the
  suite (its inputs, or its action map against its outputs) would otherwise
  fail inside an actor, after the replay, learner and counter have started.
  The nodes that load teachers check again (load_teachers), as they may run
  on hosts that do not see the same files.
  """
  if experiment.teachers:
    load_teachers(experiment)


def score_ranges(
    experiment: ExperimentConfig) -> Dict[str, Tuple[float, float]]:
  """Per task with a teacher and a reference score: (random, reference)
  returns, the 0 and 1 of the gated schedule's teacher-normalised score; the
  teacher's own level where `teacher_levels` has one."""
  suite = make_suite(experiment)
  levels = dict(experiment.reference_scores, **experiment.teacher_levels)
  ranges = {task: (suite.random_score(task), float(levels[task]))
            for task in experiment.tasks
            if task in experiment.teachers and task in levels}
  gated_tasks = [t for t in experiment.teachers if t not in ranges]
  if experiment.agent.distillation_schedule.gated and gated_tasks:
    raise ValueError(
        f'The gated lambda schedule needs a reference score for every task '
        f'with a teacher; missing for {sorted(gated_tasks)}. Add them to '
        'the experiment\'s reference_scores (e.g. teacher.json '
        'evaluation_return).')
  return ranges
