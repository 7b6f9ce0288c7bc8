"""Launching a program: the topology's resources, and waiting for the end.

`make_local_resources` and `make_xm_resources` turn a `Topology`'s groups
into Launchpad's local_mp and XManager (multi-host) resources;
`launch_and_wait` launches and returns once the program has ended.
"""

import os
import sys
import time
from typing import Any, Dict, Optional, Sequence

from absl import flags
from absl import logging
import launchpad as lp

from acme_kickstart.experiments.config import Topology


def topology_from_flags(config_flag: str = 'config',
                        topology_flag: str = 'topology',
                        flag_values: Optional[flags.FlagValues] = None,
                        argv: Optional[Sequence[str]] = None) -> Topology:
  """The launchers' --topology config; without one, the --config file's.

  Both are ml_collections config files; a config file's
  `get_config('topology')` is its layout, so `--config=configs/dmlab30.py`
  alone launches DMLab-30's 150 actors.
  """
  values = flag_values or flags.FLAGS
  argv = sys.argv if argv is None else argv
  if values[topology_flag].present:
    return values[topology_flag].value
  config_file = values[config_flag].config_filename.split(':')[0]
  default_file = values[topology_flag].config_filename.split(':')[0]
  if os.path.abspath(config_file) == os.path.abspath(default_file):
    return values[topology_flag].value  # With any --topology.FIELD overrides.
  if any(arg.startswith(f'--{topology_flag}.') for arg in argv):
    raise ValueError(f'Give --{topology_flag}={config_file}:topology with '
                     f'--{topology_flag}.FIELD overrides: the default '
                     f'--{topology_flag} is another file\'s.')
  return values[config_flag].parser.parse(f'{config_file}:topology')


def make_local_resources(topology: Topology) -> Dict[str, Any]:
  """Launchpad local_mp resources: per-group environment and arguments."""
  from launchpad.nodes.python import local_multi_processing  # pylint: disable=g-import-not-at-top
  resources = {}
  for group, group_resources in topology.groups.items():
    env = dict(group_resources.env)
    if group_resources.gpus == 0:
      env['CUDA_VISIBLE_DEVICES'] = ''
    resources[group] = local_multi_processing.PythonProcess(
        env=env, args=dict(group_resources.args))
  return resources


def make_xm_resources(topology: Topology) -> Dict[str, Dict[str, Any]]:
  """Per-group XManager resources for a multi-host (Vertex AI) launch."""
  resources = {}
  for group, group_resources in topology.groups.items():
    xm = dict(group_resources.xm)
    if group_resources.gpus == 0:
      xm.pop('gpu', None)
    resources[group] = xm
  return resources


def launch_and_wait(program: lp.Program, launch_type: str,
                    local_resources: Optional[Dict[str, Any]] = None,
                    xm_resources: Optional[Dict[str, Any]] = None,
                    terminal: str = 'current_terminal',
                    termination_notice_secs: int = 60):
  """Launches `program` and returns when it has ended.

  Resources go to the launch types that take them (`local_resources` and
  `terminal` to local_mp, `xm_resources` to vertex_ai). This launcher (and
  local_mt's threads) gets `termination_notice_secs` (Launchpad's default is
  10) to stop: on a loaded machine a learner still tracing its first step, or
  saving its last checkpoint, can take longer, and Launchpad then SIGKILLs the
  whole runtime, this launcher included, losing its work after the run (the
  demo's table). A local_mp node's own process keeps Launchpad's 10 s (its
  command line takes no launcher flag), which stopping.STOP_GRACE_SECONDS
  fits in.
  An explicit --lp_termination_notice_secs still wins. Once the program has
  ended after a stop, it logs how long its nodes took to stop.
  """
  from absl import flags  # pylint: disable=g-import-not-at-top
  flags.FLAGS.set_default('lp_termination_notice_secs', termination_notice_secs)
  launch_type = lp.LaunchType(launch_type)
  kwargs = {}
  if launch_type == lp.LaunchType.LOCAL_MULTI_PROCESSING:
    kwargs = dict(local_resources=local_resources or {}, terminal=terminal)
  elif launch_type == lp.LaunchType.VERTEX_AI:
    kwargs = dict(xm_resources=xm_resources or {})
  stops = []

  def stop_handler():
    stops.append(time.monotonic())
  lp.register_stop_handler(stop_handler)
  try:
    manager = lp.launch(program, launch_type=launch_type, **kwargs)
    if manager is not None and hasattr(manager, 'wait'):
      manager.wait()
  finally:
    lp.unregister_stop_handler(stop_handler)
  if stops:
    logging.info('The program ended %.1f s after its stop.',
                 time.monotonic() - stops[0])
  if launch_type == lp.LaunchType.LOCAL_MULTI_THREADING:
    stop_replay_servers(program)


def _nodes(nodes):
  for node in nodes:
    yield node
    yield from _nodes(getattr(node, 'nodes', ()))  # A colocation's.


def stop_replay_servers(program: lp.Program):
  """Stops the Reverb servers that a local_mt program's nodes left running.

  Launchpad's ReverbNode never stops its server: in a program of threads it
  lives on in this process until the interpreter's exit, where
  `Server.__del__` stops it; with a thread then still blocked in a Reverb
  write (a worker left behind), that stop aborted the process ("terminate
  called without an active exception", exit code 134). Every node has
  returned by now, and closed its writers and streams unless left behind, so
  the servers stop here, before the interpreter's exit. (A server stopped so,
  outside the exit, under a writer blocked on its full queue, stopped
  cleanly and released the writer, in a standalone check.)
  """
  for node in _nodes(program.get_all_nodes()):
    server = getattr(node, '_server', None)  # Set by ReverbNode.run.
    if isinstance(node, lp.ReverbNode) and server is not None:
      server.stop()
