"""The package's shape, read from its imports with `ast` (nothing is imported).

Acme's direction of imports: the agent never imports the experiments that run
it (nor PBT or the analysis of runs); no two top-level parts of acme_kickstart
import each other, so each can be read, tested and replaced on its own; and
every module is reached, through the library's own imports, from its
launchers, configs or scripts: nothing in acme_kickstart lives only for
benchmarks or tests.
"""

import ast
import collections
import os
from typing import Dict, List, Set

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = 'acme_kickstart'
# Where the library's users start.
ENTRY_POINTS = ('launch', 'configs', 'scripts')
# What the agent must never import.
NOT_FOR_AGENTS = ('experiments', 'pbt', 'analysis')


def _python_files(top: str) -> List[str]:
  paths = []
  for directory, subdirectories, files in os.walk(os.path.join(ROOT, top)):
    subdirectories[:] = sorted(d for d in subdirectories
                               if d != '__pycache__')
    paths.extend(os.path.join(directory, f) for f in sorted(files)
                 if f.endswith('.py'))
  return paths


def _module_name(path: str) -> str:
  parts = os.path.relpath(path, ROOT)[:-len('.py')].split(os.sep)
  return '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)


MODULES = {_module_name(p): p for p in _python_files(PACKAGE)}


def _imports(path: str) -> Set[str]:
  """Library modules the file imports, and each package above them (importing
  a.b.c runs a/__init__.py and a/b/__init__.py). A string that names a module
  (importlib.import_module by name, environments.SUITE_MODULES) counts too."""
  with open(path) as f:
    tree = ast.parse(f.read(), path)
  package = _module_name(path)
  if not path.endswith('__init__.py'):
    package = package.rpartition('.')[0]
  named = set()
  for node in ast.walk(tree):
    if isinstance(node, ast.Import):
      named.update(alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
      base = node.module or ''
      if node.level:
        parent = package.split('.')[:len(package.split('.')) - node.level + 1]
        base = '.'.join(parent + ([base] if base else []))
      for alias in node.names:
        full = f'{base}.{alias.name}'
        named.add(full if full in MODULES else base)
    elif isinstance(node, ast.Constant) and node.value in MODULES:
      named.add(node.value)
  modules = set()
  for name in named:
    while name:
      if name in MODULES:
        modules.add(name)
      name = name.rpartition('.')[0]
  return modules


def _part(module: str) -> str:
  """The top-level subpackage or module of acme_kickstart holding `module`."""
  return module.split('.')[1] if '.' in module else ''


def _package_graph() -> Dict[str, Set[str]]:
  graph = collections.defaultdict(set)
  for module, path in MODULES.items():
    if not _part(module):
      continue  # acme_kickstart/__init__.py
    graph[_part(module)].update(
        _part(m) for m in _imports(path) if _part(m) not in ('', _part(module)))
  return graph


def _cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
  """Each strongly connected set of parts bigger than one (Tarjan)."""
  index, low, stack, on_stack, found = {}, {}, [], set(), []

  def visit(node):
    index[node] = low[node] = len(index)
    stack.append(node)
    on_stack.add(node)
    for other in sorted(graph.get(node, ())):
      if other not in index:
        visit(other)
        low[node] = min(low[node], low[other])
      elif other in on_stack:
        low[node] = min(low[node], index[other])
    if low[node] == index[node]:
      component = []
      while True:
        member = stack.pop()
        on_stack.discard(member)
        component.append(member)
        if member == node:
          break
      if len(component) > 1:
        found.append(sorted(component))
  for node in sorted(graph):
    if node not in index:
      visit(node)
  return found


def _show(graph: Dict[str, Set[str]]) -> str:
  return '\n'.join(f'  {part} -> {", ".join(sorted(graph[part])) or "-"}'
                   for part in sorted(graph))


def test_the_agent_imports_no_experiments_pbt_or_analysis():
  wrong = []
  for module, path in MODULES.items():
    if module.startswith(f'{PACKAGE}.agents'):
      wrong.extend(f'{module} imports {m}' for m in sorted(_imports(path))
                   if _part(m) in NOT_FOR_AGENTS)
  assert not wrong, 'The agent must not import what runs it:\n' + '\n'.join(
      wrong)


def test_no_two_parts_of_the_package_import_each_other():
  graph = _package_graph()
  cycles = _cycles(graph)
  assert not cycles, (
      f'Parts of {PACKAGE} that import each other: {cycles}.\n'
      f'The package graph (part -> the parts it imports):\n{_show(graph)}')


def test_every_module_is_reached_from_the_launchers_configs_or_scripts():
  reached = set()
  frontier = [m for top in ENTRY_POINTS for path in _python_files(top)
              for m in _imports(path)]
  while frontier:
    module = frontier.pop()
    if module not in reached:
      reached.add(module)
      frontier.extend(_imports(MODULES[module]))
  unreached = sorted(set(MODULES) - reached)
  assert not unreached, (
      f'Modules of {PACKAGE} that no import chain from '
      f'{", ".join(t + "/" for t in ENTRY_POINTS)} reaches (used only by '
      f'benchmarks or tests, or by nothing): {unreached}. Move them to what '
      'uses them, or delete them.')
