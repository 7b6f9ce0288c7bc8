"""The learner's log entries: a step's metrics, one scalar per task."""

from typing import Dict, Mapping, Optional, Sequence

import numpy as np

from acme_kickstart.agents.kickstarting import gating
from acme_kickstart.agents.kickstarting import popart as popart_lib


def flatten(results: Mapping[str, np.ndarray], task_names: Sequence[str],
            gate: gating.TaskGate, gated: bool,
            popart: Optional[popart_lib.PopArt] = None,
            **scalars: float) -> Dict[str, float]:
  """Vector metrics become one scalar per task, named after the task.

  kl/<task> and lambda/<task> from the step's results; score/<task> (s_k,
  teacher-normalised) always and gate/<task> where the schedule is gated;
  popart/mu/<task> and popart/sigma/<task> with PopArt; then `scalars`.
  """
  flat = {k: v for k, v in results.items()
          if k not in ('kl_per_task', 'distillation_costs')}
  for name, kl, cost in zip(task_names, results['kl_per_task'],
                            results['distillation_costs']):
    flat[f'kl/{name}'] = float(kl)
    flat[f'lambda/{name}'] = float(cost)
  scores = gate.scores().numpy()
  gates = gate.values().numpy() if gated else None
  for k, name in enumerate(task_names):
    flat[f'score/{name}'] = float(scores[k])
    if gates is not None:
      flat[f'gate/{name}'] = float(gates[k])
  if popart is not None:
    flat.update(popart.logs(task_names))
  flat.update(scalars)
  return flat
