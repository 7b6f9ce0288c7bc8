"""Teachers from any framework: an ONNX model run by onnxruntime.

PyTorch (CleanRL, Stable-Baselines3, sample-factory), JAX (jax2onnx, or
jax2tf + tf2onnx) and TF (tf2onnx) all export ONNX, so a policy trained in any
of them becomes a teacher without adapter code (docs/teachers.md has the
recipes; `Teacher.from_onnx` wraps this class). The model runs on the CPU
inside the actor's one compiled policy call, through `tf.numpy_function`: one
onnxruntime call per task's teacher per actor step, on the whole batch of that
task's environments (benchmarks/teacher_cost.py measures what it costs).

What the model is read from itself (`InferenceSession.get_inputs/outputs`):
  * the observation input: the one input that is not state; its dtype and
    shape (a first dimension of 1 means the model was exported for one
    observation at a time: it is then run row by row);
  * recurrent state: every input named `<name>_in` with an output named
    `<name>_out` (e.g. an LSTM's `h_in`/`h_out`, `c_in`/`c_out`), or the
    pairs given as `state={'h_in': 'h_out', ...}`. State starts at zeros and
    is reset per environment at its episode's start, as for any teacher;
  * the policy output: the one output that is not state, or `output=NAME`.
"""

import os
from typing import Dict, List, Mapping, Optional, Tuple

import numpy as np
import tensorflow as tf

from acme_kickstart.teachers.teacher import TeacherInputError

# onnxruntime's element types, as numpy dtypes.
_DTYPES = {
    'tensor(float)': np.float32, 'tensor(double)': np.float64,
    'tensor(float16)': np.float16, 'tensor(uint8)': np.uint8,
    'tensor(int8)': np.int8, 'tensor(int32)': np.int32,
    'tensor(int64)': np.int64, 'tensor(bool)': np.bool_,
}


def _describe(dtype, shape) -> str:
  dims = ', '.join('batch' if d is None else str(d) for d in shape)
  return f'{np.dtype(dtype).name} [{dims}]'


class OnnxPolicy:
  """An ONNX model as a batched (and maybe recurrent) policy."""

  def __init__(self, path: str, state: Optional[Mapping[str, str]] = None,
               output: Optional[str] = None, num_threads: int = 1):
    import onnxruntime  # pylint: disable=g-import-not-at-top
    self.path = os.path.expanduser(path)
    if not os.path.isfile(self.path):
      raise FileNotFoundError(
          f'No ONNX model at {path!r}. Export the policy with '
          'torch.onnx.export (or jax2onnx, tf2onnx) and pass the .onnx file '
          '(docs/teachers.md).')
    options = onnxruntime.SessionOptions()
    # Actors are one Python thread each; onnxruntime's own pools would only
    # compete with the environments for the same cores.
    options.intra_op_num_threads = num_threads
    options.inter_op_num_threads = num_threads
    options.log_severity_level = 3  # Errors are raised here, not printed.
    try:
      self._session = onnxruntime.InferenceSession(
          self.path, options, providers=['CPUExecutionProvider'])
    except Exception as e:  # pylint: disable=broad-except
      first_line = str(e).splitlines()[0] if str(e) else repr(e)
      raise ValueError(f'{path!r} cannot be loaded as an ONNX model '
                       f'({type(e).__name__}: {first_line}).') from e
    inputs = {i.name: i for i in self._session.get_inputs()}
    outputs = {o.name: o for o in self._session.get_outputs()}
    self.state_pairs = self._state_pairs(inputs, outputs, state)
    observation_inputs = [n for n in inputs if n not in self.state_pairs]
    if len(observation_inputs) != 1:
      raise ValueError(
          f'ONNX model {path!r} has inputs {list(inputs)}: expected one '
          'observation input besides its state inputs (<name>_in with a '
          f'<name>_out output, or state=...); found {observation_inputs}.')
    self.observation_name = observation_inputs[0]
    self.observation_dtype, self.observation_shape = self._spec(
        inputs[self.observation_name])
    state_outputs = set(self.state_pairs.values())
    policy_outputs = ([output] if output else
                      [n for n in outputs if n not in state_outputs])
    if len(policy_outputs) != 1 or policy_outputs[0] not in outputs:
      raise ValueError(
          f'ONNX model {path!r} has outputs {list(outputs)}: name the one '
          f'with the logits or Q-values with output=... (found '
          f'{policy_outputs}).')
    self.output_name = policy_outputs[0]
    last = outputs[self.output_name].shape[-1]
    self.num_outputs = last if isinstance(last, int) else None
    self.state_specs = [self._spec(inputs[n]) for n in self.state_pairs]
    batch = self.observation_shape[0]
    if batch not in (None, 1):
      raise ValueError(
          f'ONNX model {path!r} fixes its batch dimension to {batch}: export '
          'it with a dynamic batch axis (torch.onnx.export(..., dynamic_axes='
          "{'obs': {0: 'batch'}})) or with batch 1.")
    self.row_by_row = batch == 1

  @staticmethod
  def _state_pairs(inputs, outputs, state) -> Dict[str, str]:
    if state is not None:
      pairs = dict(state)
    else:
      pairs = {n: n[:-len('_in')] + '_out' for n in inputs
               if n.endswith('_in') and n != 'obs_in'}
    missing = {i: o for i, o in pairs.items()
               if i not in inputs or o not in outputs}
    if missing:
      raise ValueError(
          f'The recurrent state {missing} (input -> output) is not in the '
          f'ONNX model: its inputs are {list(inputs)} and its outputs '
          f'{list(outputs)}. A state input <name>_in needs the output '
          '<name>_out that carries it to the next step.')
    return pairs

  @staticmethod
  def _spec(node) -> Tuple[type, Tuple[Optional[int], ...]]:
    if node.type not in _DTYPES:
      raise ValueError(f'ONNX input {node.name!r} has type {node.type}, '
                       'which a teacher cannot be fed.')
    shape = tuple(d if isinstance(d, int) else None for d in node.shape)
    return _DTYPES[node.type], shape

  @property
  def recurrent(self) -> bool:
    return bool(self.state_pairs)

  def expects(self) -> str:
    return f'{self.observation_name!r}: ' + _describe(self.observation_dtype,
                                                      self.observation_shape)

  def check_observation(self, observation) -> None:
    """One clear error if `observation` (a batch) does not fit the model."""
    observation = tf.nest.flatten(observation)
    if len(observation) != 1:
      raise TeacherInputError(
          f'the model expects one array, {self.expects()}, but is given a '
          f'nest of {len(observation)} (the suite\'s observation dict): give '
          'it an observation_fn, e.g. pixels or raw_channels.')
    given = observation[0]
    dtype, shape = given.dtype.as_numpy_dtype, tuple(given.shape)[1:]
    want = self.observation_shape[1:]
    if np.dtype(dtype) != np.dtype(self.observation_dtype) or len(
        shape) != len(want) or any(
            w is not None and w != s for w, s in zip(want, shape)):
      raise TeacherInputError(
          f'the model expects {self.expects()}, and is given '
          f'{_describe(dtype, (None,) + shape)}. Give it an observation_fn '
          'that makes what it reads (pixels: float32 pixels; raw_channels: '
          "a game's own channels), or export it for this input.")

  def initial_state(self, batch_size: int) -> Tuple[tf.Tensor, ...]:
    return tuple(tf.zeros([batch_size] + [d or 1 for d in shape[1:]], dtype)
                 for dtype, shape in self.state_specs)

  def _run(self, observation: np.ndarray, *state: np.ndarray) -> List:
    names = [self.output_name] + list(self.state_pairs.values())
    if not self.row_by_row:
      feed = {self.observation_name: observation}
      feed.update(zip(self.state_pairs, state))
      results = self._session.run(names, feed)
    else:
      rows = []
      for b in range(observation.shape[0]):
        feed = {self.observation_name: observation[b:b + 1]}
        feed.update({n: s[b:b + 1] for n, s in zip(self.state_pairs, state)})
        rows.append(self._session.run(names, feed))
      results = [np.concatenate(parts) for parts in zip(*rows)]
    dtypes = [np.float32] + [d for d, _ in self.state_specs]
    return [np.asarray(r, d) for r, d in zip(results, dtypes)]

  def __call__(self, observation, state=()):
    """(policy output [B, A], new state); traceable (tf.numpy_function)."""
    self.check_observation(observation)
    observation = tf.nest.flatten(observation)[0]
    state = tuple(state)
    out_dtypes = [tf.float32] + [tf.as_dtype(d) for d, _ in self.state_specs]
    results = tf.numpy_function(self._run, [observation, *state], out_dtypes,
                                name='onnx_teacher')
    if not isinstance(results, (list, tuple)):
      results = [results]  # One output (no state): a tensor, not a list.
    batch = observation.shape[0]
    logits = results[0]
    logits.set_shape([batch, self.num_outputs])
    new_state = tuple(results[1:])
    for tensor, old in zip(new_state, state):
      tensor.set_shape(old.shape)
    return logits, new_state
