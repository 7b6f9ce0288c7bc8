"""A small-network teacher kickstarts a large-network student (MinAtar)."""

from acme.tf import utils as tf2_utils
import numpy as np
import pytest
import tensorflow as tf

from acme_kickstart.agents.kickstarting import KickstartingAgent
from acme_kickstart.agents.kickstarting import KickstartingConfig
from acme_kickstart.environments import minatar
from acme_kickstart.networks import LargeImpalaNetwork
from acme_kickstart.networks import SmallImpalaNetwork
from acme_kickstart.teachers import Teacher, TeacherSet


def _conv_kernels(network):
  return [v for v in network.trainable_variables if v.shape.rank == 4]


@pytest.mark.timeout(180)
def test_small_teacher_kickstarts_large_student_and_distillation_falls():
  tf.random.set_seed(0)
  teacher_net = SmallImpalaNetwork(minatar.NUM_ACTIONS, pixel_scale=1.0,
                                   hidden_size=64, lstm_size=64, name='teacher')
  tf2_utils.create_variables(teacher_net, [minatar.observation_spec()])
  # A confident, state-dependent teacher policy: sharpen its random policy
  # head, so there is something to distil (a random net is near uniform).
  for variable in teacher_net.trainable_variables:
    if 'policy' in variable.name:
      variable.assign(variable * 300.0)
  teachers = TeacherSet({0: Teacher.from_module(teacher_net)}, 5,
                        minatar.NUM_ACTIONS, minatar.observation_spec(),
                        minatar.GAMES)

  student = LargeImpalaNetwork(minatar.NUM_ACTIONS, pixel_scale=1.0,
                               hidden_size=64, lstm_size=64, name='student')
  config = KickstartingConfig(batch_size=8, sequence_length=10,
                              entropy_cost=0.0, distillation_costs=(1.0,),
                              num_envs_per_actor=8)
  envs = [minatar.make_environment('breakout', seed=i) for i in range(8)]
  metrics = []
  with KickstartingAgent(envs, student, config, minatar.GAMES,
                         teachers=teachers, seed=0) as agent:
    learner_step = agent.learner.step
    agent.learner.step = lambda: metrics.append(learner_step())
    while len(metrics) < 25:
      agent.run(8)

  # Different architectures: 2 convs (8x8, 4x4) against a 15-conv ResNet.
  assert len(_conv_kernels(teacher_net)) == 2
  assert len(_conv_kernels(student)) == 15

  kl = np.array([m['kl/breakout'] for m in metrics])
  distillation = np.array([m['distillation_loss'] for m in metrics])
  assert np.all(np.isfinite(distillation))
  assert kl[:3].mean() > 0.5  # The student starts far from the teacher ...
  # ... and the learner's distillation term pulls it to the teacher.
  assert distillation[-5:].mean() < 0.5 * distillation[:3].mean()
  assert kl[-5:].mean() < 0.25 * kl[:3].mean()
