"""A PBT population launched under local_mt exploits by itself."""

import json
import os
import textwrap

import pytest

import program_utils as pu


@pytest.mark.timeout(420)
def test_small_population_exploits_by_itself_under_local_mt(tmp_path):
  teachers = pu.write_teachers(tmp_path / 'teachers', ['breakout'])
  config_path = tmp_path / 'pbt_config.py'
  config_path.write_text(textwrap.dedent(f'''\
      from acme_kickstart.agents.kickstarting.config import KickstartingConfig
      from acme_kickstart.experiments.config import ExperimentConfig
      from acme_kickstart.experiments.config import RunConfig
      from acme_kickstart.experiments.config import Topology
      from acme_kickstart.pbt.config import PBTConfig

      def get_config(part='pbt'):
        if part == 'topology':
          return Topology(num_actors=1, num_dataset_streams=1)
        member = ExperimentConfig(
            agent=KickstartingConfig(batch_size=8, sequence_length=10,
                                     num_envs_per_actor=8, max_queue_size=64),
            network_kwargs=dict(hidden_size=32, lstm_size=32),
            teachers={teachers!r},
            suite_kwargs=dict(max_episode_steps=60),
            run=RunConfig(max_env_steps=12_000, checkpoint_minutes=0.5,
                          evaluator_period_seconds=2.0,
                          evaluator_episodes_per_task=1,
                          progress_period_seconds=2.0))
        return PBTConfig(member=member, population_size=2,
                         run_dir={str(tmp_path / 'run')!r}, fraction=0.5,
                         ready_env_steps=2_000, controller_period_seconds=3.0)
      '''))
  log = str(tmp_path / 'log.txt')
  process = pu.launch_script('pbt', config_path, 'local_mt', log)
  try:
    assert process.wait(timeout=360) == 0, pu._tail(log)  # pylint: disable=protected-access
  finally:
    pu.kill_program(process)
  pbt = tmp_path / 'run' / 'pbt'
  lineage = [json.loads(l) for l in open(pbt / 'lineage.jsonl')]
  assert lineage, 'The population never exploited.'
  assert {l['member'] for l in lineage} <= {0, 1}
  assert os.path.getsize(pbt / 'lambdas.png') > 1000
