"""Writes small ONNX teacher fixtures for acme-kickstart's MinAtar-5 suite.

The tests read them (tests/teachers/onnx_fixtures/), so CI needs neither
torch nor onnx. To make them again, in a separate Python 3.11 venv (torch does
not install beside this project's TF 2.8 stack):

    python3.11 -m venv /tmp/torch_venv
    /tmp/torch_venv/bin/pip install torch==2.13.0 onnx onnxscript onnxruntime
    /tmp/torch_venv/bin/python scripts/make_onnx_fixtures.py

For each model NAME it writes NAME.onnx (one file, weights inside, no external
data) and NAME.npz: the inputs fed at export time (random 0/1 planes as
float32, as MinAtar pixels are 0/1) under the model's input names, and the
torch model's outputs under the model's output names. lstm_policy.npz holds a
trajectory instead: obs [T, B, 10, 10, 10], h_in/c_in the zero start state
[B, 32], and the per-step logits/h_out/c_out [T, B, ...] with the state carried
from one step to the next. manifest.json lists every file's inputs, outputs,
opset, IR version, size and sha256.

Everything is deterministic: fixed torch and numpy seeds, one thread. Each
model is checked here with onnxruntime against the stored torch outputs.

Architectures (NHWC in, as the suite gives pixels; the models transpose to
NCHW themselves):
  torso: conv 3x3, 16 channels, stride 2 (10x10 -> 4x4), ReLU, flatten (256),
         linear 64, ReLU. Stride 2 keeps each file under 200 KB; with stride 1
         the 1024 -> 64 linear alone is 262 KB.
  ff_policy:       torso -> linear 6 -> `logits`.
  lstm_policy:     torso -> LSTMCell(64, 32) -> linear 6 -> `logits`, `h_out`,
                   `c_out`; inputs `obs`, `h_in`, `c_in`.
  q_minimal_raw:   breakout's 4 raw channels, torso -> linear 3 -> `q_values`
                   (minimal action set: suite actions 0, 1, 3).
  ff_policy_batch1: ff_policy's weights, batch fixed to 1.
  wrong_shape:     expects [batch, 84, 84, 4] (conv, global mean pool, linear).
  wrong_dtype:     expects int64 pixels [batch, 10, 10, 10] (casts inside).
  lstm_missing_state_out: h_in/c_in inputs, but only `logits` out.
  five_actions:    ff torso, 5 logits.
"""

import argparse
import hashlib
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
import torch
from torch import nn

SEED = 0
NUM_ACTIONS = 6
LSTM_SIZE = 32
TOLERANCE = 1e-5


class Torso(nn.Module):
  """NHWC pixels -> 64 features."""

  def __init__(self, channels=10, hidden=64):
    super().__init__()
    self.conv = nn.Conv2d(channels, 16, kernel_size=3, stride=2)
    self.fc = nn.Linear(16 * 4 * 4, hidden)

  def forward(self, obs):
    x = obs.permute(0, 3, 1, 2)  # NHWC -> NCHW.
    x = torch.relu(self.conv(x))
    return torch.relu(self.fc(torch.flatten(x, 1)))


class FFPolicy(nn.Module):

  def __init__(self, channels=10, num_outputs=NUM_ACTIONS):
    super().__init__()
    self.torso = Torso(channels)
    self.head = nn.Linear(64, num_outputs)

  def forward(self, obs):
    return self.head(self.torso(obs))


class LSTMPolicy(nn.Module):

  def __init__(self, state_out=True):
    super().__init__()
    self.torso = Torso()
    self.core = nn.LSTMCell(64, LSTM_SIZE)
    self.head = nn.Linear(LSTM_SIZE, NUM_ACTIONS)
    self.state_out = state_out

  def forward(self, obs, h_in, c_in):
    h, c = self.core(self.torso(obs), (h_in, c_in))
    logits = self.head(h)
    if not self.state_out:
      return logits
    return logits, h, c


class BigPixels(nn.Module):
  """For wrong_shape: 84x84x4 Atari-like frames, global mean pool."""

  def __init__(self):
    super().__init__()
    self.conv = nn.Conv2d(4, 16, kernel_size=8, stride=4)
    self.head = nn.Linear(16, NUM_ACTIONS)

  def forward(self, obs):
    x = torch.relu(self.conv(obs.permute(0, 3, 1, 2)))
    return self.head(x.mean(dim=(2, 3)))


class IntPixels(FFPolicy):
  """For wrong_dtype: reads int64 pixels and casts them itself."""

  def forward(self, obs):
    return super().forward(obs.to(torch.float32))


def planes(rng, shape, p=0.2):
  """Random 0/1 planes, as float32 (MinAtar's pixels are 0/1)."""
  return (rng.random_sample(shape) < p).astype(np.float32)


def export(model, args, path, input_names, output_names, dynamic_batch=True):
  """torch.onnx.export (the default dynamo exporter) to one self-contained file."""
  dynamic_shapes = None
  if dynamic_batch:
    batch = torch.export.Dim('batch', min=1, max=4096)
    dynamic_shapes = {name: {0: batch} for name in input_names}
  with torch.no_grad():
    program = torch.onnx.export(
        model, tuple(torch.from_numpy(a) for a in args), dynamo=True,
        input_names=list(input_names), output_names=list(output_names),
        dynamic_shapes=dynamic_shapes, external_data=False, verbose=False)
  program.save(path, external_data=False)
  assert not os.path.exists(path + '.data'), 'weights went to external data'


def run_torch(model, *args):
  with torch.no_grad():
    out = model(*(torch.from_numpy(a) for a in args))
  out = out if isinstance(out, tuple) else (out,)
  return [o.numpy() for o in out]


def session(path):
  options = ort.SessionOptions()
  options.intra_op_num_threads = 1
  options.inter_op_num_threads = 1
  return ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])


def io_spec(values):
  return [dict(name=v.name,
               elem_type=onnx.TensorProto.DataType.Name(
                   v.type.tensor_type.elem_type).lower(),
               shape=[d.dim_param or d.dim_value
                      for d in v.type.tensor_type.shape.dim])
          for v in values]


def describe(path):
  model = onnx.load(path)
  onnx.checker.check_model(model, full_check=True)
  with open(path, 'rb') as f:
    digest = hashlib.sha256(f.read()).hexdigest()
  return dict(
      file=os.path.basename(path), bytes=os.path.getsize(path), sha256=digest,
      ir_version=model.ir_version,
      opsets={o.domain or 'ai.onnx': o.version for o in model.opset_import},
      inputs=io_spec(model.graph.input), outputs=io_spec(model.graph.output))


def main(argv):
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('--out', default=os.path.join(
      os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'tests',
      'teachers', 'onnx_fixtures'))
  out = parser.parse_args(argv).out
  os.makedirs(out, exist_ok=True)
  torch.set_num_threads(1)
  torch.manual_seed(SEED)
  torch.use_deterministic_algorithms(True)
  rng = np.random.RandomState(SEED)

  manifest = {}
  max_diffs = {}

  def save(name, model, feeds, output_names, dynamic_batch=True,
           export_args=None):
    """Exports `model`, stores feeds + torch outputs, checks onnxruntime."""
    model.eval()
    path = os.path.join(out, name + '.onnx')
    export_args = export_args or list(feeds.values())
    export(model, export_args, path, list(feeds), output_names, dynamic_batch)
    outputs = dict(zip(output_names, run_torch(model, *feeds.values())))
    np.savez_compressed(os.path.join(out, name + '.npz'), **feeds, **outputs)
    got = session(path).run(output_names, feeds)
    max_diffs[name] = max(float(np.max(np.abs(g - outputs[n])))
                          for n, g in zip(output_names, got))
    manifest[name] = describe(path)

  # Feed-forward policy over the suite's padded pixels.
  ff = FFPolicy()
  save('ff_policy', ff, {'obs': planes(rng, (5, 10, 10, 10))}, ['logits'])
  save('ff_policy_batch1', ff, {'obs': planes(rng, (1, 10, 10, 10))},
       ['logits'], dynamic_batch=False)

  # Recurrent policy: one multi-step trajectory, state carried from zeros.
  lstm = LSTMPolicy().eval()
  steps, batch = 6, 3
  obs_traj = planes(rng, (steps, batch, 10, 10, 10))
  zeros = np.zeros((batch, LSTM_SIZE), np.float32)
  path = os.path.join(out, 'lstm_policy.onnx')
  export(lstm, [obs_traj[0], zeros, zeros], path, ['obs', 'h_in', 'c_in'],
         ['logits', 'h_out', 'c_out'])
  sess = session(path)
  h = c = zeros
  h_ort = c_ort = zeros
  ref = {'logits': [], 'h_out': [], 'c_out': []}
  diff = 0.0
  for t in range(steps):
    logits, h, c = run_torch(lstm, obs_traj[t], h, c)
    for key, value in zip(ref, (logits, h, c)):
      ref[key].append(value)
    # onnxruntime carries its own state, as a teacher in an actor would.
    got = sess.run(['logits', 'h_out', 'c_out'],
                   {'obs': obs_traj[t], 'h_in': h_ort, 'c_in': c_ort})
    _, h_ort, c_ort = got
    diff = max([diff] + [float(np.max(np.abs(g - r)))
                         for g, r in zip(got, (logits, h, c))])
  np.savez_compressed(os.path.join(out, 'lstm_policy.npz'), obs=obs_traj, h_in=zeros,
           c_in=zeros, **{k: np.stack(v) for k, v in ref.items()})
  max_diffs['lstm_policy'] = diff
  manifest['lstm_policy'] = describe(path)

  # Q-network on breakout's 4 raw channels, minimal action set (0, 1, 3).
  save('q_minimal_raw', FFPolicy(channels=4, num_outputs=3),
       {'obs': planes(rng, (5, 10, 10, 4))}, ['q_values'])

  # Deliberately wrong for the suite.
  save('wrong_shape', BigPixels(), {'obs': planes(rng, (2, 84, 84, 4))},
       ['logits'])
  int_obs = planes(rng, (2, 10, 10, 10)).astype(np.int64)
  save('wrong_dtype', IntPixels(), {'obs': int_obs}, ['logits'])
  state = {'h_in': np.zeros((2, LSTM_SIZE), np.float32),
           'c_in': np.zeros((2, LSTM_SIZE), np.float32)}
  save('lstm_missing_state_out', LSTMPolicy(state_out=False),
       {'obs': planes(rng, (2, 10, 10, 10)), **state}, ['logits'])
  save('five_actions', FFPolicy(num_outputs=5),
       {'obs': planes(rng, (3, 10, 10, 10))}, ['logits'])

  for name, diff in max_diffs.items():
    manifest[name]['export_check_max_abs_diff'] = diff
  manifest = {'generator': os.path.basename(__file__),
              'versions': {'torch': torch.__version__, 'onnx': onnx.__version__,
                           'onnxruntime': ort.__version__,
                           'numpy': np.__version__},
              'seed': SEED, 'models': manifest}
  with open(os.path.join(out, 'manifest.json'), 'w') as f:
    json.dump(manifest, f, indent=1, sort_keys=True)
  for name, entry in manifest['models'].items():
    print(f"{name:24s} {entry['bytes']:7d} B  opset {entry['opsets']}  "
          f"ir {entry['ir_version']}  max|ort-torch| {max_diffs[name]:.2e}")
  bad = {n: d for n, d in max_diffs.items() if not d <= TOLERANCE}
  big = {n: e['bytes'] for n, e in manifest['models'].items()
         if e['bytes'] >= 200_000}
  if bad or big:
    print('FAILED: diffs', bad, 'sizes', big)
    return 1
  return 0


if __name__ == '__main__':
  sys.exit(main(sys.argv[1:]))
