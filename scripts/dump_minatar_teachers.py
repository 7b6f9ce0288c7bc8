"""Dumps the MinAtar-5 teachers' weights and reference trajectories to .npz.

First half of exporting the shipped teachers (teachers/minatar5/<game>, acme
SavedModels of `MinAtarNetwork(6, conv_channels=16, hidden_size=64,
lstm_size=64)`) to ONNX; scripts/export_minatar_teachers_onnx.py, run with
torch in a separate venv, is the second half. Run it in this project's venv,
from the repository root:

    python scripts/dump_minatar_teachers.py
    python scripts/dump_minatar_teachers.py --games=breakout \
        --teachers_dir=teachers/minatar5 --output_dir=/tmp/minatar5_onnx

For each game it writes to --output_dir (default build/minatar5_onnx):

  <game>_variables.npz  every variable of the SavedModel, keyed by its name
      without the ':0' (e.g. 'teacher/lstm/w_i'), as saved: conv w [3, 3, 10,
      16] (HWIO), linear w [in, out], LSTM w_i [in, 4H], w_h [H, 4H], b [4H]
      in Sonnet's gate order (i, f, g, o), forget bias already in b.
  <game>_reference.npz  the SavedModel's outputs on real episodes: --num_envs
      environments (make_environment(game, seed=--seed + k), sticky actions
      0.1 as the suite plays) stepped --num_steps times with uniform-random
      actions, all rows batched in one call per step. Arrays, [T, B, ...]:
      obs (float32 pixels [T, B, 10, 10, 10], NHWC, 0/1), first (bool: the
      step starts an episode, where the state was reset to zeros), h_in /
      c_in (the LSTM state fed at that step), logits [T, B, 6], value [T, B],
      h_out / c_out (the state returned).

With --check_onnx=<pattern> (default off), after the export, it also runs each
<pattern with {game}> ONNX file with onnxruntime on the stored reference,
carrying the state the same way, and prints the largest |logits difference|.
"""

import argparse
import json
import os

import numpy as np
import tensorflow as tf

from acme_kickstart.environments import minatar

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _from_root(path: str) -> str:
  return path if os.path.isabs(path) else os.path.join(REPO_ROOT, path)


def dump_variables(loaded) -> dict:
  """{name without ':0': array} for every variable of an acme snapshot."""
  # acme's make_snapshot keeps them as `_variables` (there is no `.variables`).
  variables = getattr(loaded, 'variables', None) or loaded._variables  # pylint: disable=protected-access
  arrays = {}
  for variable in variables:
    name = variable.name[:-2] if variable.name.endswith(':0') else variable.name
    if name in arrays:
      raise ValueError(f'Two variables are named {name!r}.')
    arrays[name] = variable.numpy()
  return arrays


def reference_trajectories(loaded, game: str, num_envs: int, num_steps: int,
                           seed: int) -> dict:
  """Runs the SavedModel on `num_envs` random-action episodes, batched."""
  envs = [minatar.make_environment(game, seed=seed + k, sticky_action_prob=0.1)
          for k in range(num_envs)]
  rng = np.random.default_rng(seed)
  timesteps = [env.reset() for env in envs]
  state = loaded.initial_state(num_envs)
  hidden, cell = state.hidden.numpy(), state.cell.numpy()
  record = {k: [] for k in ('obs', 'first', 'h_in', 'c_in', 'logits', 'value',
                            'h_out', 'c_out')}
  task_id = np.full([num_envs], minatar.GAMES.index(game), np.int32)
  for _ in range(num_steps):
    pixels = np.stack([t.observation['pixels'] for t in timesteps])
    first = np.array([t.first() for t in timesteps])
    hidden = np.where(first[:, None], 0.0, hidden).astype(np.float32)
    cell = np.where(first[:, None], 0.0, cell).astype(np.float32)
    (logits, value), new_state = loaded(
        {'pixels': tf.constant(pixels), 'task_id': tf.constant(task_id)},
        type(state)(tf.constant(hidden), tf.constant(cell)))
    record['obs'].append(pixels.astype(np.float32))
    record['first'].append(first)
    record['h_in'].append(hidden)
    record['c_in'].append(cell)
    record['logits'].append(logits.numpy())
    record['value'].append(value.numpy())
    hidden, cell = new_state.hidden.numpy(), new_state.cell.numpy()
    record['h_out'].append(hidden)
    record['c_out'].append(cell)
    timesteps = [env.step(int(a)) for env, a in
                 zip(envs, rng.integers(minatar.NUM_ACTIONS, size=num_envs))]
  return {k: np.stack(v) for k, v in record.items()}


def check_onnx(path: str, reference: dict) -> float:
  """Max |ONNX logits - SavedModel logits| along the stored trajectory."""
  import onnxruntime  # pylint: disable=g-import-not-at-top
  options = onnxruntime.SessionOptions()
  options.intra_op_num_threads = options.inter_op_num_threads = 1
  session = onnxruntime.InferenceSession(path, options,
                                         providers=['CPUExecutionProvider'])
  h = np.zeros_like(reference['h_in'][0])
  c = np.zeros_like(reference['c_in'][0])
  worst = 0.0
  for t in range(reference['obs'].shape[0]):
    first = reference['first'][t][:, None]
    h, c = np.where(first, 0.0, h).astype(np.float32), np.where(
        first, 0.0, c).astype(np.float32)
    logits, h, c = session.run(['logits', 'h_out', 'c_out'],
                               {'obs': reference['obs'][t], 'h_in': h,
                                'c_in': c})
    worst = max(worst, float(np.abs(logits - reference['logits'][t]).max()))
  return worst


def main():
  parser = argparse.ArgumentParser(
      description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument('--games', default=','.join(minatar.GAMES))
  parser.add_argument('--teachers_dir', default='teachers/minatar5',
                      help='Holds <game>/saved_model.pb (relative to the '
                      'repository root unless absolute).')
  parser.add_argument('--output_dir', default='build/minatar5_onnx')
  parser.add_argument('--num_envs', type=int, default=3)
  parser.add_argument('--num_steps', type=int, default=40)
  parser.add_argument('--seed', type=int, default=0)
  parser.add_argument('--check_onnx', default='',
                      help='e.g. teachers/minatar5/{game}/policy.onnx: only '
                      'compare these files with the stored references.')
  args = parser.parse_args()
  output_dir = _from_root(args.output_dir)
  games = [g for g in args.games.split(',') if g]
  for game in games:
    minatar.check_game(game)
  if args.check_onnx:
    for game in games:
      reference = dict(np.load(os.path.join(output_dir,
                                            f'{game}_reference.npz')))
      path = _from_root(args.check_onnx.format(game=game))
      print(f'{game:16s} max |onnx - savedmodel| logits '
            f'{check_onnx(path, reference):.3g}  ({path})')
    return
  os.makedirs(output_dir, exist_ok=True)
  for game in games:
    directory = os.path.join(_from_root(args.teachers_dir), game)
    loaded = tf.saved_model.load(directory)
    variables = dump_variables(loaded)
    network = {}
    record_path = os.path.join(directory, 'teacher.json')
    if os.path.exists(record_path):
      with open(record_path) as f:
        network = json.load(f).get('network', {})
    np.savez(os.path.join(output_dir, f'{game}_variables.npz'),
             __network__=np.array(json.dumps(network)), **variables)
    reference = reference_trajectories(loaded, game, args.num_envs,
                                       args.num_steps, args.seed)
    np.savez(os.path.join(output_dir, f'{game}_reference.npz'), **reference)
    shapes = ', '.join(f'{k} {list(v.shape)}' for k, v in variables.items())
    print(f'{game}: {shapes}; reference {list(reference["logits"].shape)} '
          f'logits, {int(reference["first"].sum())} episode starts')


if __name__ == '__main__':
  main()
