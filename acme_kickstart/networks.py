"""Actor-critic networks: `snt.RNNCore`s returning ((logits, value), state).

They follow acme's IMPALA network contract, so acme's own `IMPALALearner` and
`IMPALAActor` can run them too. `unroll` runs the torso and heads once over all
T*B observations and only the LSTM step by step, which is what makes the learner
step cheap.
"""

from typing import Optional, Tuple

import sonnet as snt
import tensorflow as tf

LogitsAndValue = Tuple[tf.Tensor, tf.Tensor]


def _pixels(observation) -> tf.Tensor:
  """The image part of an observation (a dict with 'pixels', or a tensor)."""
  pixels = observation['pixels'] if isinstance(observation, dict) else observation
  return tf.cast(pixels, tf.float32)


class MinAtarNetwork(snt.RNNCore):
  """Small IMPALA-style agent for 10x10 inputs: conv, FC, LSTM, policy and value."""

  def __init__(self,
               num_actions: int,
               conv_channels: int = 16,
               hidden_size: int = 128,
               lstm_size: int = 128,
               name: str = 'minatar_network'):
    super().__init__(name=name)
    self._num_actions = num_actions
    self._torso = snt.Sequential([
        snt.Conv2D(conv_channels, kernel_shape=3, stride=1),
        tf.nn.relu,
        snt.Flatten(),
        snt.Linear(hidden_size),
        tf.nn.relu,
    ])
    self._core = snt.LSTM(lstm_size)
    self._policy_head = snt.Linear(num_actions, name='policy')
    self._value_head = snt.Linear(1, name='value')

  def _heads(self, embedding: tf.Tensor) -> LogitsAndValue:
    logits = self._policy_head(embedding)
    value = tf.squeeze(self._value_head(embedding), axis=-1)
    return logits, value

  def __call__(self, observation, state: snt.LSTMState):
    embedding, new_state = self._core(self._torso(_pixels(observation)), state)
    return self._heads(embedding), new_state

  def initial_state(self, batch_size: int, **unused_kwargs) -> snt.LSTMState:
    return self._core.initial_state(batch_size)

  def unroll(self, observations, state: snt.LSTMState,
             sequence_length: Optional[int] = None):
    """Unrolls over [T, B, ...] observations; returns ([T, B, A], [T, B]), state."""
    del sequence_length  # Sequences never cross episode boundaries (zero-pad).
    embeddings = snt.BatchApply(self._torso)(_pixels(observations))
    core_outputs, new_state = snt.static_unroll(self._core, embeddings, state)
    return snt.BatchApply(self._heads)(core_outputs), new_state


class MLPPolicy(snt.Module):
  """A feed-forward policy (no core state): a teacher of another architecture."""

  def __init__(self, num_actions: int, hidden_sizes=(64, 64),
               name: str = 'mlp_policy'):
    super().__init__(name=name)
    self._mlp = snt.nets.MLP(list(hidden_sizes) + [num_actions])

  def __call__(self, observation) -> tf.Tensor:
    return self._mlp(snt.Flatten()(_pixels(observation)))
