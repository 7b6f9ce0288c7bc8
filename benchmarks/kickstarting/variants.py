"""The kickstarting benchmark's variants: a schedule of lambda, and overrides.

A variant's name is a schedule of SCHEDULES, optionally with the distillation
replay at ratio r ('<schedule>_replay<r>', e.g. 'constant_replay2'), or
'extension', which stands for one such name (benchmarks/kickstarting/run.py's
--extension_schedule and --extension_replay_ratio). The overrides are
KickstartingConfig fields; `with_agent_overrides` makes one this commit's
config lacks a clear error (the benchmark checks every variant before it
launches anything). `apply_override` is the benchmark's --override=PATH=VALUE,
which the baseline search's configurations are made of.
"""

import ast
import dataclasses
import re
from typing import Mapping

from acme_kickstart.agents.kickstarting.config import KickstartingConfig

SCHEDULES = ('scratch', 'constant', 'linear', 'gated', 'pbt')


@dataclasses.dataclass(frozen=True)
class Variant:
  name: str  # Its run directories' name, e.g. 'linear_replay2'.
  schedule: str  # One of SCHEDULES.
  agent_overrides: Mapping[str, object]


def parse_variant(name: str, extension_schedule: str = 'linear',
                  extension_replay_ratio: int = 2) -> Variant:
  """'extension', a schedule, or '<schedule>_replay<ratio>'."""
  if name == 'extension':
    name = f'{extension_schedule}_replay{extension_replay_ratio}'
  match = re.fullmatch(r'([a-z]+)(?:_replay(\d+))?', name)
  if not match or match.group(1) not in SCHEDULES:
    raise ValueError(f'Unknown variant {name!r}: use one of {SCHEDULES}, '
                     "'extension', or '<schedule>_replay<ratio>' (e.g. "
                     "'constant_replay2').")
  schedule, ratio = match.group(1), match.group(2)
  if schedule == 'scratch' and ratio:
    raise ValueError(f'{name!r}: scratch has no teachers to replay.')
  overrides = {'distillation_replay_ratio': int(ratio)} if ratio else {}
  return Variant(name, schedule, overrides)


def with_agent_overrides(agent: KickstartingConfig,
                         overrides) -> KickstartingConfig:
  """`agent` with `overrides`; one clear error for a field it does not have."""
  known = {field.name for field in dataclasses.fields(agent)}
  unknown = sorted(set(overrides) - known)
  if unknown:
    raise ValueError(
        f'The variant sets {unknown}, which KickstartingConfig on this commit '
        'does not have: run the variant on a commit whose agent has them '
        '(e.g. distillation_replay_ratio comes with the distillation replay), '
        'or drop it from --variants.')
  return dataclasses.replace(agent, **overrides)


def apply_override(config, override: str):
  """`config` with PATH=VALUE set (dataclass fields and dict keys by dots)."""
  path, _, text = override.partition('=')
  if not path or not _:
    raise ValueError(f'Bad --override {override!r}: use PATH=VALUE.')
  try:
    value = ast.literal_eval(text)
  except (SyntaxError, ValueError):
    value = text  # A bare string, e.g. agent.optimizer=rmsprop.
  head, *rest = path.split('.')

  def set_in(node, keys):
    key, *more = keys
    if isinstance(node, dict):
      new = dict(node)
      new[key] = set_in(node[key], more) if more else value
      return new
    if not dataclasses.is_dataclass(node) or key not in {
        f.name for f in dataclasses.fields(node)}:
      raise ValueError(f'--override {override!r}: {type(node).__name__} has '
                       f'no field {key!r}.')
    return dataclasses.replace(node, **{
        key: set_in(getattr(node, key), more) if more else value})
  return set_in(config, [head] + rest)
