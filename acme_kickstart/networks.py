"""Actor-critic networks: `snt.RNNCore`s returning ((logits, value), state).

They follow acme's IMPALA network contract, so acme's own `IMPALALearner` and
`IMPALAActor` can run them too. `unroll` runs the torso and heads once over all
T*B observations and only the LSTM step by step, which is what makes the learner
step cheap.

Each has one value output by default, squeezed to [B] ([T, B] unrolled). With
`num_values=K` (PopArt, agents/kickstarting/popart.py) the value head has K
outputs, one normalised value per task, and the value is [B, K] ([T, B, K]).
"""

from typing import Optional, Sequence, Tuple

import sonnet as snt
import tensorflow as tf

LogitsAndValue = Tuple[tf.Tensor, tf.Tensor]


def _value_head(num_values: int) -> snt.Linear:
  """K outputs; with K = 1, the same variables (names, shapes) as always."""
  if num_values < 1:
    raise ValueError(f'num_values must be >= 1, got {num_values}.')
  return snt.Linear(num_values, name='value')


def _value(head: snt.Linear, embedding: tf.Tensor) -> tf.Tensor:
  """[B] with one output (as acme's IMPALA networks), else [B, K]."""
  value = head(embedding)
  return tf.squeeze(value, axis=-1) if head.output_size == 1 else value


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
               num_values: int = 1,
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
    self._value_head = _value_head(num_values)

  def _heads(self, embedding: tf.Tensor) -> LogitsAndValue:
    return self._policy_head(embedding), _value(self._value_head, embedding)

  @property
  def value_head(self) -> snt.Linear:
    """The last linear layer of the value (PopArt rescales it)."""
    return self._value_head

  def __call__(self, observation, state: snt.LSTMState):
    embedding, new_state = self._core(self._torso(_pixels(observation)), state)
    return self._heads(embedding), new_state

  def initial_state(self, batch_size: int, **unused_kwargs) -> snt.LSTMState:
    return self._core.initial_state(batch_size)

  def unroll(self, observations, state: snt.LSTMState,
             sequence_length: Optional[int] = None):
    """Unrolls over [T, B, ...] observations; returns ([T, B, A], [T, B]), state
    ([T, B, K] values with num_values=K > 1)."""
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


# ------------------------------------------------------------------------------
# The IMPALA agent networks (Espeholt et al., 2018, Figure 3), for DMLab-30,
# Procgen and MinAtar alike.
#
# Observations are dicts (a bare tensor is read as the pixels):
#   'pixels':      uint8 [H, W, C], multiplied by `pixel_scale` (1/255 for RGB
#                  suites; 1 for MinAtar's 0/1 planes).
#   'instruction': optional int32 [L] hashed word ids, 0 = padding (made by the
#                  DMLab-30 adapter); encoded and concatenated before the core.
#   'prev_action', 'prev_reward': read when the network is built with
#                  `use_previous_action_reward=True`; the
#                  `environments.wrappers.PreviousActionReward` wrapper adds
#                  them, so acme's learner, which passes only observations and
#                  core state, still gives the core IMPALA's inputs.
#   anything else ('task_id', ...) is ignored.
# ------------------------------------------------------------------------------


class InstructionEncoder(snt.Module):
  """Hashed word ids -> embedding -> LSTM; the LSTM output at the last word.

  IMPALA's sizes: 1000 hash buckets, 20-dimensional embeddings, a 64-unit LSTM
  (scalable_agent experiment.py, Agent._instruction). Padding (id 0) sits after
  the words, so the output is taken at the last non-zero id; an empty
  instruction encodes to zeros.
  """

  def __init__(self, num_buckets: int = 1000, embedding_size: int = 20,
               lstm_size: int = 64, name: str = 'instruction_encoder'):
    super().__init__(name=name)
    self._num_buckets = num_buckets
    self._embedding_size = embedding_size
    self._lstm = snt.LSTM(lstm_size)

  @snt.once
  def _build_embedding(self):
    # snt.Embed makes its table at construction: make it on first use, so a
    # network that never sees an instruction has no unused variables.
    self._embed = snt.Embed(self._num_buckets, self._embedding_size)

  def __call__(self, word_ids: tf.Tensor) -> tf.Tensor:
    self._build_embedding()
    word_ids = tf.cast(word_ids, tf.int32)
    lengths = tf.reduce_sum(tf.cast(word_ids > 0, tf.int32), axis=1)
    embeddings = tf.transpose(self._embed(word_ids), [1, 0, 2])  # [L, B, E].
    outputs, _ = snt.static_unroll(
        self._lstm, embeddings, self._lstm.initial_state(tf.shape(word_ids)[0]))
    last = tf.gather(tf.transpose(outputs, [1, 0, 2]),
                     tf.maximum(lengths - 1, 0), batch_dims=1)
    return tf.where(lengths[:, None] > 0, last, tf.zeros_like(last))


class SmallImpalaTorso(snt.Module):
  """IMPALA's shallow torso: conv 8x8/4 (16), conv 4x4/2 (32), FC 256."""

  def __init__(self, hidden_size: int = 256, name: str = 'small_impala_torso'):
    super().__init__(name=name)
    self._net = snt.Sequential([
        snt.Conv2D(16, kernel_shape=8, stride=4), tf.nn.relu,
        snt.Conv2D(32, kernel_shape=4, stride=2), tf.nn.relu,
        snt.Flatten(),
        snt.Linear(hidden_size), tf.nn.relu,
    ])

  def __call__(self, pixels: tf.Tensor) -> tf.Tensor:
    return self._net(pixels)


class _ResidualBlock(snt.Module):
  """relu, conv 3x3, relu, conv 3x3, plus the input."""

  def __init__(self, channels: int, name: str = 'residual_block'):
    super().__init__(name=name)
    self._conv_a = snt.Conv2D(channels, kernel_shape=3, stride=1)
    self._conv_b = snt.Conv2D(channels, kernel_shape=3, stride=1)

  def __call__(self, inputs: tf.Tensor) -> tf.Tensor:
    outputs = self._conv_a(tf.nn.relu(inputs))
    outputs = self._conv_b(tf.nn.relu(outputs))
    return inputs + outputs


class LargeImpalaTorso(snt.Module):
  """IMPALA's deep torso: a 15-conv ResNet, then FC 256.

  Sections of 16, 32 and 32 channels, each a 3x3 conv, a 3x3 max-pool with
  stride 2 and two residual blocks; then relu, flatten and FC 256.
  """

  def __init__(self, channels: Sequence[int] = (16, 32, 32),
               num_blocks: int = 2, hidden_size: int = 256,
               name: str = 'large_impala_torso'):
    super().__init__(name=name)
    self._sections = []
    for i, num_channels in enumerate(channels):
      conv = snt.Conv2D(num_channels, kernel_shape=3, stride=1,
                        name=f'section_{i}_conv')
      blocks = [_ResidualBlock(num_channels, name=f'section_{i}_block_{j}')
                for j in range(num_blocks)]
      self._sections.append((conv, blocks))
    self._linear = snt.Linear(hidden_size)

  def __call__(self, pixels: tf.Tensor) -> tf.Tensor:
    outputs = pixels
    for conv, blocks in self._sections:
      outputs = conv(outputs)
      outputs = tf.nn.max_pool2d(outputs, ksize=3, strides=2, padding='SAME')
      for block in blocks:
        outputs = block(outputs)
    outputs = snt.Flatten()(tf.nn.relu(outputs))
    return tf.nn.relu(self._linear(outputs))


class ImpalaNetwork(snt.RNNCore):
  """An IMPALA agent: torso (+ instruction, previous action and reward), LSTM,
  policy and value heads. Same contract as MinAtarNetwork (`num_values`
  included; the subclasses take it as a keyword)."""

  def __init__(self,
               torso: snt.Module,
               num_actions: int,
               lstm_size: int = 256,
               pixel_scale: float = 1.0 / 255.0,
               use_previous_action_reward: bool = False,
               instruction_encoder: Optional[snt.Module] = None,
               num_values: int = 1,
               name: str = 'impala_network'):
    super().__init__(name=name)
    self._num_actions = num_actions
    self._torso = torso
    self._pixel_scale = pixel_scale
    self._use_previous_action_reward = use_previous_action_reward
    # Built always, but its variables exist only once an observation with an
    # 'instruction' has been seen (Sonnet creates variables on first call).
    self._instruction_encoder = instruction_encoder or InstructionEncoder()
    self._core = snt.LSTM(lstm_size)
    self._policy_head = snt.Linear(num_actions, name='policy')
    self._value_head = _value_head(num_values)

  def _embed(self, observation) -> tf.Tensor:
    """Everything the core reads for one step, for a batch [B, ...]."""
    if not isinstance(observation, dict):
      observation = {'pixels': observation}
    pixels = tf.cast(observation['pixels'], tf.float32) * self._pixel_scale
    features = [self._torso(pixels)]
    if 'instruction' in observation:
      features.append(self._instruction_encoder(observation['instruction']))
    if self._use_previous_action_reward:
      if 'prev_action' not in observation or 'prev_reward' not in observation:
        raise ValueError(
            "use_previous_action_reward needs 'prev_action' and 'prev_reward' "
            'in the observation: wrap the environment in '
            'acme_kickstart.environments.wrappers.PreviousActionReward.')
      # As IMPALA: the reward clipped to [-1, 1] and the action one-hot.
      reward = tf.cast(observation['prev_reward'], tf.float32)
      features.append(tf.clip_by_value(reward, -1.0, 1.0)[:, None])
      features.append(tf.one_hot(tf.cast(observation['prev_action'], tf.int32),
                                 self._num_actions))
    return tf.concat(features, axis=-1)

  def _heads(self, embedding: tf.Tensor) -> LogitsAndValue:
    return self._policy_head(embedding), _value(self._value_head, embedding)

  @property
  def value_head(self) -> snt.Linear:
    """The last linear layer of the value (PopArt rescales it)."""
    return self._value_head

  def __call__(self, observation, state: snt.LSTMState):
    embedding, new_state = self._core(self._embed(observation), state)
    return self._heads(embedding), new_state

  def initial_state(self, batch_size: int, **unused_kwargs) -> snt.LSTMState:
    return self._core.initial_state(batch_size)

  def unroll(self, observations, state: snt.LSTMState,
             sequence_length: Optional[int] = None):
    """Unrolls over [T, B, ...] observations; returns ([T, B, A], [T, B]), state
    ([T, B, K] values with num_values=K > 1).

    The torso and the instruction encoder run once over all T*B steps; only
    the LSTM core steps through time.
    """
    del sequence_length  # Sequences never cross episode boundaries (zero-pad).
    embeddings = snt.BatchApply(self._embed)(observations)
    core_outputs, new_state = snt.static_unroll(self._core, embeddings, state)
    return snt.BatchApply(self._heads)(core_outputs), new_state


class SmallImpalaNetwork(ImpalaNetwork):
  """IMPALA's shallow agent: 2 conv layers, FC 256, LSTM 256."""

  def __init__(self, num_actions: int, hidden_size: int = 256,
               lstm_size: int = 256, name: str = 'small_impala_network',
               **kwargs):
    super().__init__(SmallImpalaTorso(hidden_size), num_actions,
                     lstm_size=lstm_size, name=name, **kwargs)


class LargeImpalaNetwork(ImpalaNetwork):
  """IMPALA's deep agent: 15-conv ResNet, FC 256, LSTM 256."""

  def __init__(self, num_actions: int, channels: Sequence[int] = (16, 32, 32),
               hidden_size: int = 256, lstm_size: int = 256,
               name: str = 'large_impala_network', **kwargs):
    super().__init__(LargeImpalaTorso(channels, hidden_size=hidden_size),
                     num_actions, lstm_size=lstm_size, name=name, **kwargs)


# The student networks an experiment config names (ExperimentConfig.network).
BY_NAME = {
    'minatar': MinAtarNetwork,
    'small_impala': SmallImpalaNetwork,
    'large_impala': LargeImpalaNetwork,
}
