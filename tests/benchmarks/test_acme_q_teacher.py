"""benchmarks/acme_q_teacher.py's run: kickstarting from a stock acme DQN."""

import numpy as np
import pytest
import tensorflow as tf

from acme_kickstart.teachers.specs import TeacherSpec
import acme_snapshots
from benchmarks import acme_q_teacher


@pytest.mark.timeout(240)
def test_short_run_from_an_acme_q_network_teacher_distils_it(tmp_path):
  """Kickstarting from a stock acme DQN (raw frames, minimal actions, softmax
  of Q / tau): the distillation loss and the KL to the teacher fall."""
  tf.random.set_seed(0)
  _, path = acme_snapshots.dqn_snapshot(tmp_path)
  teacher = TeacherSpec(path, observation_fn='raw_channels',
                        action_map='minimal', q_temperature=acme_snapshots.TAU)
  # ~40 learner steps (each takes 8 sequences of 9 new env steps).
  metrics = acme_q_teacher.distil_on_breakout(teacher, 3_000)
  assert len(metrics) >= 40
  kl = np.array([m['kl'] for m in metrics])
  distillation = np.array([m['distillation_loss'] for m in metrics])
  assert np.all(np.isfinite(kl)) and np.all(np.isfinite(distillation))
  # The student starts uniform over 6 actions, the teacher on 3 of them.
  assert kl[:3].mean() > 0.5
  assert kl[-5:].mean() < 0.4 * kl[:3].mean()
  assert distillation[-5:].mean() < 0.7 * distillation[:3].mean()
