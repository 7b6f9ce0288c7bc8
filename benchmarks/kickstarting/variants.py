"""The kickstarting benchmark's variants: a schedule of lambda, and overrides.

A variant's name is a schedule of SCHEDULES with optional parts, in this
order: '_lam<x>' lambda_k^0 = x (else --distillation_cost); for 'linear',
'_decay<p>' (lambda reaches its floor at p% of the budget, else
--linear_decay_fraction) and '_floor<p>' (the floor: p% of lambda_k^0, else
0); '_replay<r>' the distillation replay at ratio r. The paper's Table 2 rows
are 'constant', 'constant_lam2', 'linear', 'linear_lam2_decay10' and
'linear_decay40'; 'linear_floor10' keeps a tenth of lambda. The prefix
'small_' kickstarts every game from the one small teacher
(benchmarks/kickstarting/run.py's --single_teacher) instead of the five
experts: 'small_constant', ..., the paper's Table 2 setting. 'extension'
stands for one such name (benchmarks/kickstarting/run.py's
--extension_schedule and --extension_replay_ratio). The overrides are
KickstartingConfig fields; `with_agent_overrides` makes one this commit's
config lacks a clear error (the benchmark checks every variant before it
launches anything). `apply_override` is the benchmark's --override=PATH=VALUE,
which the baseline search's configurations are made of.
"""

import ast
import dataclasses
import re
from typing import Mapping, Optional

from acme_kickstart.agents.kickstarting.config import KickstartingConfig

SCHEDULES = ('scratch', 'constant', 'linear', 'gated', 'pbt')
SMALL_PREFIX = 'small_'


@dataclasses.dataclass(frozen=True)
class Variant:
  name: str  # Its run directories' name, e.g. 'linear_replay2'.
  schedule: str  # One of SCHEDULES.
  agent_overrides: Mapping[str, object]
  distillation_cost: Optional[float] = None  # lambda_k^0; None: the flag's.
  decay_fraction: Optional[float] = None  # Linear's; None: the flag's.
  final_fraction: float = 0.0  # Linear's floor, a fraction of lambda_k^0.
  single_teacher: bool = False  # From the one small teacher ('small_').

  @property
  def table2_name(self) -> str:
    """The name without 'small_': the paper's Table 2 rows are named so."""
    return self.name[len(SMALL_PREFIX):] if self.single_teacher else self.name


_NAME = re.compile(r'(?P<schedule>[a-z]+)(?:_lam(?P<lam>\d+(?:\.\d+)?))?'
                   r'(?:_decay(?P<decay>\d+))?(?:_floor(?P<floor>\d+))?'
                   r'(?:_replay(?P<ratio>\d+))?')


def parse_variant(name: str, extension_schedule: str = 'linear',
                  extension_replay_ratio: int = 2) -> Variant:
  """'extension', or a schedule with optional parts (the module's doc)."""
  if name == 'extension':
    name = f'{extension_schedule}_replay{extension_replay_ratio}'
  single_teacher = name.startswith(SMALL_PREFIX)
  match = _NAME.fullmatch(name[len(SMALL_PREFIX):] if single_teacher
                          else name)
  if not match or match['schedule'] not in SCHEDULES:
    raise ValueError(f'Unknown variant {name!r}: use one of {SCHEDULES}, '
                     "'extension', or a schedule with optional parts "
                     "'_lam<x>', '_decay<percent>', '_floor<percent>' "
                     "(linear), '_replay<ratio>' in that order (e.g. "
                     "'linear_lam2_decay10', 'constant_replay2'), optionally "
                     f"after {SMALL_PREFIX!r} (from the one small teacher).")
  schedule = match['schedule']
  if schedule == 'scratch' and single_teacher:
    raise ValueError(f'{name!r}: scratch has no teachers; use \'scratch\'.')
  if schedule == 'scratch' and (match['lam'] or match['ratio']):
    raise ValueError(f'{name!r}: scratch has no teachers, so no lambda and no '
                     'replay.')
  if schedule != 'linear' and (match['decay'] or match['floor']):
    raise ValueError(f'{name!r}: _decay and _floor are parts of a linear '
                     "schedule's name (e.g. 'linear_decay40').")
  decay = None if match['decay'] is None else int(match['decay']) / 100
  floor = 0.0 if match['floor'] is None else int(match['floor']) / 100
  if decay is not None and not 0 < decay <= 1 or not 0 <= floor < 1:
    raise ValueError(f'{name!r}: _decay takes a percent in 1..100 and _floor '
                     'one in 0..99.')
  overrides = ({'distillation_replay_ratio': int(match['ratio'])}
               if match['ratio'] else {})
  return Variant(name, schedule, overrides,
                 distillation_cost=(None if match['lam'] is None
                                    else float(match['lam'])),
                 decay_fraction=decay, final_fraction=floor,
                 single_teacher=single_teacher)


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
