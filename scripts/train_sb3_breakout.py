"""Trains a Stable-Baselines3 PPO teacher on MinAtar breakout and exports its
action logits to ONNX: a teacher trained by code outside this project.

Runs in a separate Python 3.11 venv (torch does not install beside this
project's TF 2.8 stack):

    python3.11 -m venv /tmp/torch_venv
    /tmp/torch_venv/bin/pip install torch==2.13.0 onnx onnxscript onnxruntime \
        stable-baselines3 MinAtar==1.0.15
    /tmp/torch_venv/bin/python scripts/train_sb3_breakout.py \
        --steps=500000 --output=sb3_breakout.onnx

The environment is MinAtar breakout as the suite plays it
(`minatar.Environment('breakout', sticky_action_prob=0.1)`, difficulty
ramping on, a 10k-step cap), seen as the game itself: observation
Box(0, 1, (10, 10, 4), float32), the game's own 4 channels (NHWC); actions
Discrete(3), action i being full-set action `env.minimal_action_set()[i]`
([0, 1, 3]: noop, left, right). `PPO('MlpPolicy')` flattens the observation
(no image preprocessing: a float32 0..1 Box is not an "image" to SB3).

It writes --output (the ONNX teacher: input `obs` float32 [batch, 10, 10, 4],
output `logits` [batch, 3], dynamic batch, opset 20, one file) and, beside
it, <output without .onnx>.zip (the SB3 model). It prints the mean return of
the sampled policy over --eval_episodes episodes (and of a uniform-random
policy), and the largest |log_softmax(ONNX logits) - SB3's log-probs| on
observations of those episodes.

In acme-kickstart, the teacher is then
    --teacher=breakout:sb3_breakout.onnx
    --teacher_observation_fn=breakout:raw_channels
    --teacher_action_map=breakout:minimal
(raw_channels: the game's 4 channels as float32 [B, 10, 10, 4]; minimal: the
teacher's action i is suite action minimal_action_set('breakout')[i]).
"""

import argparse
import os
import time

import gymnasium as gym
import minatar
import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import DummyVecEnv, VecMonitor

GAME = 'breakout'


class MinAtarGym(gym.Env):
  """One MinAtar game: its own channels as float32, its minimal action set."""

  metadata = {'render_modes': []}

  def __init__(self, game=GAME, sticky_action_prob=0.1, max_episode_steps=10_000,
               seed=None):
    self._env = minatar.Environment(game, sticky_action_prob=sticky_action_prob)
    if seed is not None:
      self._env.seed(seed)
    self.actions = [int(a) for a in self._env.minimal_action_set()]
    self.observation_space = gym.spaces.Box(
        0.0, 1.0, tuple(self._env.state_shape()), np.float32)
    self.action_space = gym.spaces.Discrete(len(self.actions))
    self._max_episode_steps = max_episode_steps
    self._steps = 0

  def _observation(self):
    return self._env.state().astype(np.float32)

  def reset(self, *, seed=None, options=None):
    super().reset(seed=seed)
    if seed is not None:
      self._env.seed(seed)
    self._env.reset()
    self._steps = 0
    return self._observation(), {}

  def step(self, action):
    reward, terminal = self._env.act(self.actions[int(action)])
    self._steps += 1
    truncated = not terminal and self._steps >= self._max_episode_steps
    return self._observation(), float(reward), bool(terminal), truncated, {}


class OnnxableLogits(torch.nn.Module):
  """The logits SB3 feeds its Categorical (first half of get_distribution)."""

  def __init__(self, policy):
    super().__init__()
    self.policy = policy

  def forward(self, obs):
    features = self.policy.extract_features(obs,
                                            self.policy.pi_features_extractor)
    return self.policy.action_net(self.policy.mlp_extractor.forward_actor(
        features))


def evaluate(model, episodes, seed, random_policy=False):
  """Mean return of the sampled policy; also the observations it saw."""
  env = MinAtarGym(seed=seed)
  rng = np.random.default_rng(seed)
  returns, observations = [], []
  for _ in range(episodes):
    obs, _ = env.reset()
    done, total = False, 0.0
    while not done:
      observations.append(obs)
      if random_policy:
        action = rng.integers(env.action_space.n)
      else:
        action, _ = model.predict(obs, deterministic=False)
      obs, reward, terminal, truncated, _ = env.step(action)
      total += reward
      done = terminal or truncated
    returns.append(total)
  return np.asarray(returns), np.asarray(observations, np.float32)


def export(model, path):
  wrapper = OnnxableLogits(model.policy).eval()
  batch = torch.export.Dim('batch', min=1, max=4096)
  with torch.no_grad():
    program = torch.onnx.export(
        wrapper, (torch.zeros(2, 10, 10, 4),), dynamo=True, opset_version=20,
        input_names=['obs'], output_names=['logits'],
        dynamic_shapes={'obs': {0: batch}}, external_data=False, verbose=False)
  program.save(path, external_data=False)
  if os.path.exists(path + '.data'):
    raise RuntimeError(f'{path}: weights went to external data.')


def check(model, path, observations):
  import onnxruntime  # pylint: disable=g-import-not-at-top
  session = onnxruntime.InferenceSession(path,
                                         providers=['CPUExecutionProvider'])
  logits = session.run(['logits'], {'obs': observations})[0]
  log_probs = logits - np.log(np.exp(logits - logits.max(-1, keepdims=True)).sum(
      -1, keepdims=True)) - logits.max(-1, keepdims=True)
  with torch.no_grad():
    sb3 = model.policy.get_distribution(model.policy.obs_to_tensor(
        observations)[0]).distribution.logits.numpy()
  return float(np.abs(log_probs - sb3).max()), logits.shape


def main():
  parser = argparse.ArgumentParser(
      description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
  parser.add_argument('--steps', type=int, default=500_000)
  parser.add_argument('--n_envs', type=int, default=8)
  parser.add_argument('--seed', type=int, default=0)
  parser.add_argument('--threads', type=int, default=1)
  parser.add_argument('--eval_episodes', type=int, default=50)
  parser.add_argument('--output', default='teachers/sb3_breakout/policy.onnx')
  args = parser.parse_args()
  torch.set_num_threads(args.threads)
  print('minimal action set', MinAtarGym().actions, flush=True)

  env = VecMonitor(DummyVecEnv([
      (lambda k=k: MinAtarGym(seed=args.seed * 1000 + k))
      for k in range(args.n_envs)]))
  model = PPO('MlpPolicy', env, n_steps=128, batch_size=256, n_epochs=4,
              learning_rate=5e-4, gamma=0.99, gae_lambda=0.95, clip_range=0.2,
              ent_coef=0.01, policy_kwargs=dict(net_arch=[256, 256]),
              seed=args.seed, device='cpu', verbose=0)
  start = time.time()
  chunk = 50_000
  while model.num_timesteps < args.steps:
    model.learn(min(chunk, args.steps - model.num_timesteps),
                reset_num_timesteps=False)
    recent = [e['r'] for e in model.ep_info_buffer]
    print(f'{model.num_timesteps:7d} steps {time.time() - start:6.0f}s  '
          f'mean return of the last {len(recent)} training episodes '
          f'{np.mean(recent) if recent else float("nan"):.2f}', flush=True)
  print(f'trained {model.num_timesteps} env steps in '
        f'{time.time() - start:.0f}s', flush=True)
  stem = os.path.splitext(args.output)[0]
  model.save(stem + '.zip')

  returns, observations = evaluate(model, args.eval_episodes, seed=12345)
  random_returns, _ = evaluate(None, args.eval_episodes, seed=12345,
                               random_policy=True)
  stderr = returns.std(ddof=1) / np.sqrt(len(returns))
  print(f'sampled policy: mean return {returns.mean():.2f} ± {stderr:.2f} '
        f'(s.e.) over {len(returns)} episodes; uniform random '
        f'{random_returns.mean():.2f}', flush=True)

  export(model, args.output)
  diff, shape = check(model, args.output, observations)
  print(f'{args.output}: {os.path.getsize(args.output)} bytes; logits {shape} '
        f'on {len(observations)} evaluation observations, max '
        f'|log_softmax(onnx) - sb3 log-probs| {diff:.3g}', flush=True)


if __name__ == '__main__':
  main()
