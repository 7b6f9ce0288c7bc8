"""Exports the MinAtar-5 teachers to ONNX, from the weights dumped by
scripts/dump_minatar_teachers.py.

The shipped teachers (teachers/minatar5/<game>) are `MinAtarNetwork(6,
conv_channels=16, hidden_size=64, lstm_size=64)` SavedModels. This rebuilds
the network in PyTorch, loads the dumped Sonnet weights and exports one
self-contained ONNX file per game (opset 20, weights inside, dynamic batch):

  inputs:  obs  float32 [batch, 10, 10, 10]  the suite's pixels as float, NHWC
           h_in float32 [batch, 64], c_in float32 [batch, 64]  LSTM state
  outputs: logits [batch, 6], h_out [batch, 64], c_out [batch, 64]

so the project loads it as a recurrent ONNX teacher (state `h`, `c`; zeros at
an episode's start). The value head is not exported.

torch does not install beside this project's TF 2.8 stack: run it in a
separate Python 3.11 venv, from the repository root, after the dump:

    python scripts/dump_minatar_teachers.py             # this project's venv
    python3.11 -m venv /tmp/torch_venv
    /tmp/torch_venv/bin/pip install torch==2.13.0 onnx onnxscript onnxruntime
    /tmp/torch_venv/bin/python scripts/export_minatar_teachers_onnx.py
    python scripts/dump_minatar_teachers.py \
        --check_onnx='teachers/minatar5/{game}/policy.onnx'  # project's ORT

Flags: --dump_dir (default build/minatar5_onnx, what the dump wrote),
--output (default teachers/minatar5/{game}/policy.onnx), --games.
Each file is checked here: torch and onnxruntime against the SavedModel's
logits on the dumped reference trajectories (state carried from zeros, reset
at episode starts).

Mapping Sonnet 2 -> torch:
  * snt.Conv2D(16, 3) pads SAME (stride 1: 1 pixel each side), w is HWIO
    [3, 3, 10, 16] -> torch OIHW; the input is NHWC, permuted to NCHW here.
  * snt.Flatten flattens NHWC: the conv output is permuted back to NHWC before
    flattening, so linear/w [1600, 64] is used as is (transposed: torch keeps
    [out, in]).
  * snt.LSTM: gates = x @ w_i + h @ w_h + b, split in the order i, f, g, o,
    c' = sigmoid(f) c + sigmoid(i) tanh(g), h' = sigmoid(o) tanh(c'). torch's
    LSTMCell has the same gate order, so weight_ih = w_i.T, weight_hh = w_h.T,
    bias_ih = b, bias_hh = 0. Sonnet 2 adds forget_bias (1.0) to b once, when
    it creates the variable, not at each step (Sonnet 1 and tf.keras LSTM
    cells add it in the step): the saved b already holds it.
"""

import argparse
import json
import os

import numpy as np
import torch
from torch import nn

GAMES = ('breakout', 'asterix', 'freeway', 'seaquest', 'space_invaders')
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OPSET = 20


def _from_root(path: str) -> str:
  return path if os.path.isabs(path) else os.path.join(REPO_ROOT, path)


class MinAtarTeacher(nn.Module):
  """MinAtarNetwork's policy path: conv, FC, LSTM, policy logits."""

  def __init__(self, num_actions=6, in_channels=10, conv_channels=16,
               hidden_size=64, lstm_size=64, height=10, width=10):
    super().__init__()
    self.conv = nn.Conv2d(in_channels, conv_channels, 3, stride=1, padding=1)
    self.linear = nn.Linear(height * width * conv_channels, hidden_size)
    self.lstm = nn.LSTMCell(hidden_size, lstm_size)
    self.policy = nn.Linear(lstm_size, num_actions)

  def forward(self, obs, h_in, c_in):
    x = torch.relu(self.conv(obs.permute(0, 3, 1, 2)))  # NHWC -> NCHW.
    x = x.permute(0, 2, 3, 1).flatten(1)  # Flatten in NHWC order, as Sonnet.
    x = torch.relu(self.linear(x))
    h_out, c_out = self.lstm(x, (h_in, c_in))
    return self.policy(h_out), h_out, c_out


def _variable(variables: dict, suffix: str) -> np.ndarray:
  """The one variable whose name ends with `suffix` (e.g. 'lstm/w_i')."""
  names = [n for n in variables if n == suffix or n.endswith('/' + suffix)]
  if len(names) != 1:
    raise KeyError(f'Expected one variable named */{suffix}, found {names} '
                   f'among {sorted(variables)}.')
  return variables[names[0]]


def build(variables: dict) -> MinAtarTeacher:
  """A MinAtarTeacher holding the dumped Sonnet weights."""
  conv_w = _variable(variables, 'conv2_d/w')  # [kh, kw, in, out]
  lstm_w_i = _variable(variables, 'lstm/w_i')  # [in, 4H]
  policy_w = _variable(variables, 'policy/w')  # [H, A]
  kernel, _, in_channels, conv_channels = conv_w.shape
  if kernel != 3:
    raise ValueError(f'Expected a 3x3 conv, got {conv_w.shape}.')
  hidden_size, lstm_size = lstm_w_i.shape[0], lstm_w_i.shape[1] // 4
  linear_w = _variable(variables, 'linear/w')  # [H*W*C, hidden]
  pixels = linear_w.shape[0] // conv_channels
  side = int(round(pixels ** 0.5))
  model = MinAtarTeacher(policy_w.shape[1], in_channels, conv_channels,
                         hidden_size, lstm_size, side, side)
  weights = {
      'conv.weight': conv_w.transpose(3, 2, 0, 1),  # -> [out, in, kh, kw]
      'conv.bias': _variable(variables, 'conv2_d/b'),
      'linear.weight': linear_w.T,
      'linear.bias': _variable(variables, 'linear/b'),
      'lstm.weight_ih': lstm_w_i.T,  # [4H, in], gates i, f, g, o in both.
      'lstm.weight_hh': _variable(variables, 'lstm/w_h').T,
      'lstm.bias_ih': _variable(variables, 'lstm/b'),  # forget bias inside.
      'lstm.bias_hh': np.zeros([4 * lstm_size], np.float32),
      'policy.weight': policy_w.T,
      'policy.bias': _variable(variables, 'policy/b'),
  }
  model.load_state_dict(
      {k: torch.from_numpy(np.ascontiguousarray(v, np.float32))
       for k, v in weights.items()}, strict=True)
  return model.eval()


def export(model: MinAtarTeacher, path: str):
  """torch.onnx.export (dynamo) to one file with a dynamic batch axis."""
  lstm_size = model.lstm.hidden_size
  args = (torch.zeros(2, 10, 10, model.conv.in_channels),
          torch.zeros(2, lstm_size), torch.zeros(2, lstm_size))
  batch = torch.export.Dim('batch', min=1, max=4096)
  with torch.no_grad():
    program = torch.onnx.export(
        model, args, dynamo=True, opset_version=OPSET,
        input_names=['obs', 'h_in', 'c_in'],
        output_names=['logits', 'h_out', 'c_out'],
        dynamic_shapes={'obs': {0: batch}, 'h_in': {0: batch},
                        'c_in': {0: batch}},
        external_data=False, verbose=False)
  os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
  program.save(path, external_data=False)
  if os.path.exists(path + '.data'):
    raise RuntimeError(f'{path}: weights went to external data.')


def check(model: MinAtarTeacher, path: str, reference: dict) -> dict:
  """Max |logits - SavedModel's| for torch and onnxruntime, state carried."""
  import onnxruntime  # pylint: disable=g-import-not-at-top
  options = onnxruntime.SessionOptions()
  options.intra_op_num_threads = options.inter_op_num_threads = 1
  session = onnxruntime.InferenceSession(path, options,
                                         providers=['CPUExecutionProvider'])
  worst = {'torch': 0.0, 'onnx': 0.0}
  states = {k: (np.zeros_like(reference['h_in'][0]),
                np.zeros_like(reference['c_in'][0])) for k in worst}
  for t in range(reference['obs'].shape[0]):
    first = reference['first'][t][:, None]
    obs = reference['obs'][t]
    for kind, (h, c) in states.items():
      h = np.where(first, 0.0, h).astype(np.float32)
      c = np.where(first, 0.0, c).astype(np.float32)
      if kind == 'torch':
        with torch.no_grad():
          logits, h, c = (x.numpy() for x in model(
              torch.from_numpy(obs), torch.from_numpy(h), torch.from_numpy(c)))
      else:
        logits, h, c = session.run(['logits', 'h_out', 'c_out'],
                                   {'obs': obs, 'h_in': h, 'c_in': c})
      states[kind] = (h, c)
      worst[kind] = max(worst[kind],
                        float(np.abs(logits - reference['logits'][t]).max()))
  return worst


def main():
  parser = argparse.ArgumentParser(
      description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument('--games', default=','.join(GAMES))
  parser.add_argument('--dump_dir', default='build/minatar5_onnx',
                      help='What scripts/dump_minatar_teachers.py wrote: '
                      '<game>_variables.npz and <game>_reference.npz.')
  parser.add_argument('--output', default='teachers/minatar5/{game}/policy.onnx')
  args = parser.parse_args()
  torch.manual_seed(0)
  torch.set_num_threads(1)
  for game in [g for g in args.games.split(',') if g]:
    dump_dir = _from_root(args.dump_dir)
    with np.load(os.path.join(dump_dir, f'{game}_variables.npz')) as data:
      variables = {k: data[k] for k in data.files if k != '__network__'}
      network = json.loads(str(data['__network__'])) if (
          '__network__' in data.files) else {}
    model = build(variables)
    for key, value in network.items():
      got = {'conv_channels': model.conv.out_channels,
             'hidden_size': model.linear.out_features,
             'lstm_size': model.lstm.hidden_size}.get(key, value)
      if got != value:
        raise ValueError(f'{game}: teacher.json says {key}={value}, the '
                         f'weights say {got}.')
    path = _from_root(args.output.format(game=game))
    export(model, path)
    reference_path = os.path.join(dump_dir, f'{game}_reference.npz')
    line = f'{game:16s} {path} {os.path.getsize(path)} bytes'
    if os.path.exists(reference_path):
      with np.load(reference_path) as data:
        worst = check(model, path, dict(data))
      line += (f'; max |logits - SavedModel| torch {worst["torch"]:.3g}, '
               f'onnxruntime {worst["onnx"]:.3g}')
    print(line, flush=True)


if __name__ == '__main__':
  main()
