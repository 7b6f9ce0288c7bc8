"""The experiment configs, their command-line overrides, seeds, and the
single-process runner that takes the same ExperimentConfig as the program."""

import os

from absl import flags
from ml_collections import config_flags
import pytest

from acme_kickstart.agents.kickstarting.config import KickstartingConfig
from acme_kickstart.experiments import launching
from acme_kickstart.experiments.config import ExperimentConfig
from acme_kickstart.experiments.config import RunConfig
from acme_kickstart.experiments.config import Topology
from acme_kickstart.experiments.run_experiment import run_experiment
from acme_kickstart.utils import seeding
from conftest import built_network

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
MINATAR5 = os.path.join(ROOT, 'configs', 'minatar5.py')
DMLAB30 = os.path.join(ROOT, 'configs', 'dmlab30.py')


def _parse(argv):
  """The launchers' two config flags, parsed from `argv` (not sys.argv)."""
  values = flags.FlagValues()
  config_flags.DEFINE_config_file('config', MINATAR5, flag_values=values,
                                  sys_argv=argv)
  config_flags.DEFINE_config_file('topology', MINATAR5 + ':topology',
                                  flag_values=values, sys_argv=argv)
  values(argv)
  return values, launching.topology_from_flags(flag_values=values, argv=argv)


def test_any_field_is_overridden_from_the_command_line():
  values, topology = _parse([
      'prog', '--config.agent.learning_rate=3e-4',
      '--config.run.max_env_steps=1234', '--config.seed=7',
      '--config.agent.distillation_schedule.kind=linear',
      '--config.agent.distillation_schedule.decay_env_steps=500',
      '--topology.num_actors=3'])
  experiment = values['config'].value.validate()
  assert experiment.agent.learning_rate == pytest.approx(3e-4)
  assert experiment.run.max_env_steps == 1234 and experiment.seed == 7
  assert experiment.agent.distillation_schedule.decay_env_steps == 500
  assert topology.num_actors == 3
  # Untouched fields keep the file's values.
  assert experiment.agent.num_envs_per_actor == 128


def test_the_topology_defaults_to_the_config_files_own():
  _, topology = _parse(['prog', f'--config={DMLAB30}'])
  assert topology.num_actors == 150 and len(topology.actor_tasks) == 150
  _, demo_topology = _parse(['prog', f'--config={MINATAR5}:demo'])
  assert demo_topology.num_actors == 1
  with pytest.raises(ValueError, match='--topology=.*dmlab30.py:topology'):
    _parse(['prog', f'--config={DMLAB30}', '--topology.num_actors=2'])


def test_the_pbt_config_file_builds_on_the_minatar5_one():
  """configs/minatar5_pbt.py imports configs/minatar5.py as a package, as
  launch.pbt loads it: by path, with the repository root on sys.path."""
  argv = ['prog', '--config.population_size=3']
  values = flags.FlagValues()
  config_flags.DEFINE_config_file(
      'config', os.path.join(ROOT, 'configs', 'minatar5_pbt.py'),
      flag_values=values, sys_argv=argv)
  values(argv)
  population = values['config'].value.validate()
  assert population.population_size == 3
  assert population.member.tasks == ExperimentConfig().tasks
  assert population.member.agent.distillation_schedule.kind == 'pbt'


def test_overrides_are_validated_once_loaded():
  values, _ = _parse(['prog', '--config.agent.batch_size=0'])
  with pytest.raises(ValueError, match='batch_size must be >= 1'):
    values['config'].value.validate()
  values, _ = _parse(['prog', '--config.agent.distillation_schedule.kind=cosine'])
  with pytest.raises(ValueError, match='cosine'):
    values['config'].value.validate()


@pytest.mark.parametrize('fields,words', [
    (dict(network='transformer'), "Unknown network 'transformer'"),
    (dict(teachers={'pong': '/t'}), "unknown tasks \\['pong'\\]"),
    (dict(tasks=()), 'tasks is empty'),
    (dict(run=RunConfig(max_env_steps=0)), 'run.max_env_steps must be >= 1'),
    (dict(run=RunConfig(evaluator_rounds_kept=0)), 'evaluator_rounds_kept'),
])
def test_experiment_config_rejects_bad_fields_with_one_clear_error(fields,
                                                                   words):
  with pytest.raises(ValueError, match=words):
    ExperimentConfig(**fields)


def test_topology_rejects_actor_tasks_that_do_not_fit():
  tasks = ('breakout', 'asterix')
  with pytest.raises(ValueError, match='lists 1 actors but num_actors is 2'):
    Topology(num_actors=2, actor_tasks=[['breakout']]).validate(tasks)
  with pytest.raises(ValueError, match="unknown task 'pong'"):
    Topology(num_actors=1, actor_tasks=[['pong']]).validate(tasks)
  with pytest.raises(ValueError, match='num_actors must be >= 1'):
    Topology(num_actors=0).validate(tasks)
  layout = Topology(num_actors=2)
  assert layout.tasks_of_actor(tasks, 1, 3) == ['asterix', 'breakout',
                                                'asterix']


def test_spawned_seeds_are_fixed_by_the_root_and_never_shared():
  first = seeding.spawn_seeds(3, 8)
  assert first == seeding.spawn_seeds(3, 8)
  assert len(set(first)) == 8 and all(0 <= s < 2**31 for s in first)
  # Neighbouring roots, workers and launches share no stream (seed
  # arithmetic such as seed * 1000 + i does: 0 * 1000 + 1000 = 1 * 1000 + 0).
  streams = (seeding.spawn_seeds(0, 64) + seeding.spawn_seeds(1, 64) +
             seeding.launch_seeds(0, 1, (seeding.ACTOR, 0), 64) +
             seeding.launch_seeds(0, 2, (seeding.ACTOR, 0), 64) +
             seeding.launch_seeds(0, 1, (seeding.EVALUATOR,), 64))
  assert len(set(streams)) == len(streams)


@pytest.mark.timeout(300)
def test_run_experiment_trains_from_the_same_config_as_the_program(tmp_path):
  teacher = tmp_path / 'teacher'
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  from acme.tf import savers as tf2_savers  # pylint: disable=g-import-not-at-top
  tf.saved_model.save(tf2_savers.make_snapshot(
      built_network('rx_teacher', hidden_size=16, lstm_size=16)), str(teacher))
  experiment = ExperimentConfig(
      agent=KickstartingConfig(batch_size=4, sequence_length=5,
                               num_envs_per_actor=4, max_queue_size=32),
      tasks=('breakout', 'seaquest'), teachers={'breakout': str(teacher)},
      network_kwargs=dict(hidden_size=16, lstm_size=16),
      run=RunConfig(max_env_steps=600, run_dir=str(tmp_path / 'run'),
                    progress_period_seconds=0.0))
  agent = run_experiment(experiment)
  assert agent.env_steps >= 600 and agent.learner.num_steps > 0
  # Tasks round robin over the environments, as the program's actor 0.
  assert {e.task_id for e in agent.episodes} <= {0, 1}
  rows = open(tmp_path / 'run' / 'logs' / 'learner' / 'logs.csv').read()
  assert 'kl/breakout' in rows and 'lambda/seaquest' in rows


def test_an_experiment_without_teachers_has_no_distillation_replay():
  teachers = {'breakout': '/teachers/breakout', 'asterix': '/teachers/asterix'}
  config = ExperimentConfig(
      agent=KickstartingConfig(distillation_replay_ratio=4), teachers=teachers)
  scratch = config.with_teachers({})
  assert scratch.teachers == {}
  assert scratch.agent.distillation_replay_ratio == 0  # A zero loss, replayed.
  one = config.with_teachers({'breakout': teachers['breakout']})
  assert one.agent.distillation_replay_ratio == 4
  assert config.teachers == teachers  # The original is unchanged.


def test_the_minatar5_config_holds_the_baseline_searchs_choice():
  """Every variant's RL settings are the ones results/baseline chose: the
  chosen configuration's overrides change nothing in configs/minatar5.py,
  and the search's starting point (BEFORE_SEARCH) undoes exactly them."""
  import json  # pylint: disable=g-import-not-at-top
  from benchmarks.baseline import search  # pylint: disable=g-import-not-at-top
  from benchmarks.kickstarting.variants import apply_override  # pylint: disable=g-import-not-at-top
  from configs import minatar5  # pylint: disable=g-import-not-at-top
  with open(os.path.join(ROOT, 'results', 'baseline', 'baseline.json')) as f:
    chosen = json.load(f)['chosen']
  assert chosen['settings'] == search.configurations()[chosen['config']]
  experiment = minatar5.get_experiment()
  chosen_experiment = experiment
  for override in chosen['settings']:
    chosen_experiment = apply_override(chosen_experiment, override)
  assert chosen_experiment == experiment
  before = experiment
  for override in search.BEFORE_SEARCH:
    before = apply_override(before, override)
  for override in search.configurations()['previous']:
    before = apply_override(before, override)
  assert before != experiment
  for override in chosen['settings']:
    before = apply_override(before, override)
  assert before == experiment
