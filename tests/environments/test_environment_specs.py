"""The suites' static specs (replay and learner nodes) equal the real ones."""

from acme import specs
import pytest

from acme_kickstart.environments import minatar
from acme_kickstart.environments import procgen
from acme_kickstart.experiments import factories
from acme_kickstart.experiments.config import ExperimentConfig


@pytest.mark.parametrize('suite,tasks', [
    ('minatar5', minatar.GAMES), ('procgen', ('coinrun', 'maze'))])
@pytest.mark.parametrize('previous_action_reward', [False, True])
def test_static_spec_equals_every_tasks_real_spec(suite, tasks,
                                                  previous_action_reward):
  config = ExperimentConfig(suite=suite, tasks=tasks,
                            previous_action_reward=previous_action_reward)
  static = factories.environment_spec(config)
  for task in tasks:
    env = factories.make_environment(config, task, seed=0)
    assert specs.make_environment_spec(env) == static, task
    env.close()
  assert ('prev_action' in static.observations) == previous_action_reward


def test_unknown_suite_is_named():
  with pytest.raises(ValueError, match="Unknown suite 'atari'"):
    factories.environment_spec(ExperimentConfig(suite='atari'))
